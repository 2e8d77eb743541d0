"""Signed tokens for list links: the address, an optional expiry, and an HMAC-SHA256 with the show's secret.

A token is `<base64url(address)>.<base64url(mac[:16])>` (no expiry) or
`<base64url(address)>.<expiry, unix seconds in base 36>.<base64url(mac[:16])>`.
The MAC covers a purpose label, so an unsubscribe token never confirms a
subscription and the other way round. Unsubscribe tokens (the ones in
List-Unsubscribe and the footer) never expire: a link in an old issue must
still work. Confirmation tokens expire (`subscribers.confirm_hours`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote

UNSUBSCRIBE = "unsubscribe"
CONFIRM = "confirm"
_PURPOSES = {UNSUBSCRIBE: b"studio-unsubscribe-v1\0", CONFIRM: b"studio-confirm-v1\0"}
MAX_TOKEN = 512  # characters; longer input is not a token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _mac(address: str, secret: str, purpose: str, expires: str) -> bytes:
    payload = _PURPOSES[purpose] + address.encode("utf-8") + (b"\0" + expires.encode("ascii") if expires else b"")
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()[:16]


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def sign(address: str, secret: str, purpose: str = UNSUBSCRIBE, expires_at: float | None = None) -> str:
    """A token for `address` (lower-cased); `expires_at` is a unix time, None = never."""
    address = address.strip().lower()
    exp = _base36(int(expires_at)) if expires_at is not None else ""
    parts = [_b64(address.encode("utf-8"))] + ([exp] if exp else []) + [_b64(_mac(address, secret, purpose, exp))]
    return ".".join(parts)


def verify(token: str, secret: str, purpose: str = UNSUBSCRIBE, now: float | None = None) -> str | None:
    """The address a token was made for, or None if it is forged, malformed, for another purpose or expired."""
    found = verify_with_expiry(token, secret, purpose, now)
    return found[0] if found else None


def verify_with_expiry(token: str, secret: str, purpose: str = UNSUBSCRIBE,
                       now: float | None = None) -> tuple[str, int | None] | None:
    """(address, expiry or None) of a valid token; the expiry tells which request a confirmation was for."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) == 2:
        exp = ""
    elif len(parts) == 3:
        exp = parts[1]
    else:
        return None
    try:
        address = _unb64(parts[0]).decode("utf-8")
        mac = _unb64(parts[-1])
        expiry = int(exp, 36) if exp else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(mac, _mac(address, secret, purpose, exp)):
        return None
    if expiry is not None and (time.time() if now is None else now) > expiry:
        return None
    return address, expiry


def unsubscribe_link(base_url: str, token: str) -> str:
    """`base_url` with `t=<token>` added to its query."""
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}t={quote(token, safe='.-_')}"


def unsubscribe_mailto(mailbox: str, token: str) -> str:
    return f"mailto:{mailbox}?subject=unsubscribe%20{quote(token, safe='.-_')}"
