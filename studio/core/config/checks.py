"""Constraints declared with the settings they constrain: `setting(default, check, ...)`.

A check is a test and the words of its message; `problem(value)` gives
"must be between 1 and 64, got 0" or None. Empty strings pass the checks of
optional text settings (an unset URL, address or name).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from studio.core.lazy import lazy_pattern
from studio.core.pubdate import known_zone

EMAIL = lazy_pattern(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Check:
    test: Callable[[Any], bool]
    says: str  # "must be between 1 and 64"
    show_value: bool = True  # end the message with ", got VALUE"

    def problem(self, value: Any) -> str | None:
        if self.test(value):
            return None
        return f"{self.says}, got {value!r}" if self.show_value else self.says


def setting(default: Any, *checks: Check, internal: bool = False) -> Any:
    """A dataclass field with its checks (lists and dicts get a fresh copy per instance)."""
    meta = {"checks": checks, "internal": internal}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def between(low: float, high: float, unit: str = "") -> Check:
    return Check(lambda v: low <= v <= high, f"must be between {low} and {high}{unit}")


def at_least(low: float, unit: str = "") -> Check:
    return Check(lambda v: v >= low, f"must be at least {low}{unit}")


def positive(what: str = "") -> Check:
    return Check(lambda v: v > 0, "must be positive" + (f" ({what})" if what else ""))


def not_negative() -> Check:
    return Check(lambda v: v >= 0, "must not be negative")


def one_of(*values: Any, what: str = "") -> Check:
    names = [str(v) for v in values]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return Check(lambda v: v in values, f"must be {what} ({listed})" if what else f"must be {listed}")


def looks_like(pattern: str, example: str) -> Check:
    return Check(lambda v: re.fullmatch(pattern, v) is not None, f"must look like {example!r}")


def email_address() -> Check:
    return Check(lambda v: not v or EMAIL.match(v.removeprefix("mailto:").split("?")[0]) is not None,
                 "not an email address")


def web_url(end_slash: bool = False) -> Check:
    """An http(s) URL without spaces ("" = unset)."""
    def ok(v: str) -> bool:
        return not v or (v.startswith(("https://", "http://")) and not any(c.isspace() for c in v)
                         and (not end_slash or v.endswith("/")))
    return Check(ok, "must be an http(s) URL" + (" ending with '/'" if end_slash else ""))


def https_or_loopback() -> Check:
    """https, or plain http to this machine only (a test or a local preview); "" = unset."""
    return Check(lambda v: not v or is_https_or_loopback(v), "must be an https:// URL")


def is_https_or_loopback(url: str) -> bool:
    if url.startswith("https://"):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "http" and is_loopback_host(parts.hostname)


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: this machine."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def time_zone() -> Check:
    return Check(known_zone, "must be a time zone name such as 'UTC', 'Asia/Shanghai' or 'America/New_York' "
                             "(without the system's time zone database: pip install tzdata)")


def clock_time() -> Check:
    return Check(lambda v: re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v) is not None, "must be a time of day like '10:00'")


def https_url() -> Check:
    return Check(lambda v: not v or v.startswith("https://"), "must be an https:// URL")


def env_name() -> Check:
    """The NAME of an environment variable, never a secret itself ("" = unset)."""
    def ok(v: str) -> bool:
        return not v or (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v) is not None
                         and re.fullmatch(r"[0-9a-fA-F]{32,}", v) is None)
    return Check(ok, "the NAME of an environment variable (never put the key itself in show.toml)")


def ip_address() -> Check:
    def ok(v: str) -> bool:
        try:
            return not v or bool(ipaddress.ip_address(v))
        except ValueError:
            return False
    return Check(ok, "not an IP address")


def a_uuid() -> Check:
    def ok(v: str) -> bool:
        try:
            return not v or bool(uuid.UUID(v))
        except ValueError:
            return False
    return Check(ok, "not a UUID")


def colour() -> Check:
    return Check(lambda v: re.fullmatch(r"#[0-9a-fA-F]{6}", v) is not None, "must be a colour like '#1d4ed8'")


def at_most_chars(n: int) -> Check:
    return Check(lambda v: len(v) <= n, f"at most {n} characters", show_value=False)


def port() -> Check:
    return Check(lambda v: 0 <= v <= 65535, "not a port number")


def each_value(check: Check) -> Check:
    """Every value of a table passes `check`."""
    return Check(lambda d: all(isinstance(v, str) and v.strip() and check.test(v) for v in d.values()),
                 f"every value {check.says}")


def placeholders(*names: str) -> Check:
    def ok(v: str) -> bool:
        try:
            v.format(**{n: "" for n in names})
        except (KeyError, IndexError, ValueError):
            return False
        return True
    return Check(ok, "bad placeholder (use " + " ".join("{" + n + "}" for n in names) + ")")
