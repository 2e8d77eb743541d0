"""What every client that sends a credential shares: where it may go, and keeping it out of messages.

A credential (an API key in a header) goes only to the origin it was set up for:
a redirect is followed only when it stays on the same scheme, host and port; one to
anywhere else is refused with a message naming where it pointed. Every text built
from a server's answer (a reason phrase, a body) has the credential replaced by
`[key]` before it reaches a warning, an error or a log.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

REDIRECTS = (301, 302, 303, 307, 308)
KEEPS_BODY = (307, 308)  # the only redirects that repeat a POST as a POST
MAX_HOPS = 3


class RedirectRefused(Exception):
    """A redirect that would take the request (and its credential) somewhere it must not go."""


def origin(url: str) -> tuple[str, str, int]:
    u = urlsplit(url)
    scheme = u.scheme.lower()
    try:
        port = u.port
    except ValueError:
        port = None
    return scheme, (u.hostname or "").lower(), port or {"https": 443, "http": 80}.get(scheme, 0)


def shown_origin(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def next_hop(url: str, status: int, location: str | None, method: str, hops: int) -> str:
    """Where a redirect may be followed to; RedirectRefused when it must not be."""
    target = urljoin(url, location or "")
    if not location:
        raise RedirectRefused(f"HTTP {status} redirect without a Location")
    if origin(target) != origin(url):
        raise RedirectRefused(f"HTTP {status} redirect to another host ({shown_origin(target)}) not followed: "
                              "the credential is only ever sent to the configured host")
    if method != "GET" and status not in KEEPS_BODY:
        raise RedirectRefused(f"HTTP {status} redirect of a {method} request not followed")
    if hops >= MAX_HOPS:
        raise RedirectRefused(f"more than {MAX_HOPS} redirects")
    return target


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret (as written, and percent-encoded) replaced by [key]; one line."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[key]").replace(quote(secret, safe=""), "[key]")
    return " ".join(text.split())
