"""Whether a voice service can be reached at all, in words a host can act on.

A refused connection, a failed name lookup or no route to the network is known at the first
request and no retry changes it: the engines raise `ServiceUnreachable` for it (the build stops at
once, with one line), and `auto` probes a service's host before it starts (`probe`).
"""

from __future__ import annotations

import errno
import re
import socket
from urllib.parse import urlparse

from studio.core.lazy import lazy_pattern
from studio.speech.base import ServiceUnreachable

UNREACHABLE_ERRNOS = {errno.ECONNREFUSED: "connection refused by {where}",
                      errno.ENETUNREACH: "no route to the network for {where}",
                      errno.EHOSTUNREACH: "no route to {where}"}
PROBE_SECONDS = 2.0
_ERRNO = lazy_pattern(r"\[Errno (\d+)\]")


def describe(os_error: BaseException | None, host: str, port: int | None) -> str | None:
    """What keeps `host:port` from being reached, or None when `os_error` is not such a failure."""
    where = f"{host}:{port}" if port else host
    if isinstance(os_error, socket.gaierror):
        return f"name lookup failed for {host} ({os_error.strerror or os_error})"
    if not isinstance(os_error, OSError):
        return None
    codes = {os_error.errno} if os_error.errno else {int(n) for n in _ERRNO.findall(str(os_error))}
    if codes and codes <= set(UNREACHABLE_ERRNOS):  # every address tried failed so (IPv4 and IPv6 alike)
        return UNREACHABLE_ERRNOS[min(codes)].format(where=where)
    return None


def connector_cause(e: BaseException) -> str | None:
    """The unreachable cause inside aiohttp's connector error, else None (lazy import: aiohttp is heavy)."""
    import aiohttp  # lazy: aiohttp loads only when a network engine speaks

    if isinstance(e, aiohttp.ClientConnectorError):
        return describe(e.os_error, e.host, e.port)
    return None


def unreachable(label: str, cause: str, hint: str) -> ServiceUnreachable:
    return ServiceUnreachable(f"{label} is unreachable ({cause}): {hint}")


def probe(url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """None when the URL's host accepts a TCP connection, else what failed (in `describe`'s words)."""
    u = urlparse(url)
    port = u.port or (443 if u.scheme in ("https", "wss") else 80)
    try:
        with socket.create_connection((u.hostname, port), timeout=timeout):
            return None
    except TimeoutError:
        return f"no answer from {u.hostname}:{port} within {timeout:g} s"
    except OSError as e:
        return describe(e, u.hostname or "", port) or f"{u.hostname}:{port}: {e.strerror or e}"
