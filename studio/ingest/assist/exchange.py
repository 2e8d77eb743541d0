"""One POST to the assist model, bounded as a whole: connecting, sending, the headers and every
byte of the body must arrive within `timeout` seconds (a server sending a byte every few seconds
cannot keep a build waiting), the answer is read up to `limit` bytes, and redirects are followed
only on the same origin, so the API key never reaches another host (studio.netsafe).

http.client rather than urllib: urllib follows redirects to any host with the Authorization
header and its timeout bounds each socket read, not the exchange.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from studio.core.netsafe import REDIRECTS, RedirectRefused, next_hop, redact


class ExchangeError(Exception):
    """No usable answer; the message is one line, free of the key."""


def post(url: str, body: bytes | None, headers: dict[str, str], timeout: float, limit: int, secret: str = "",
         method: str = "POST") -> bytes:
    """The body of a 2xx answer (at most `limit` bytes) to a POST of `body` (or a GET: `method`, no body),
    all within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    try:
        for hop in range(10):
            status, reason, location, data = _once(url, body, headers, deadline, limit, timeout, method)
            if status not in REDIRECTS:
                break
            url = next_hop(url, status, location, method, hop)
    except RedirectRefused as e:
        raise ExchangeError(redact(f"{url}: {e}", secret)) from None
    if not 200 <= status < 300:
        raise ExchangeError(redact(f"{url} answered HTTP {status} {reason}", secret))
    return data


class _Watchdog:
    """Shuts the connection's socket down at the deadline, so a read blocked on a slow server returns."""

    def __init__(self, conn: http.client.HTTPConnection, seconds: float):
        self.conn, self.fired = conn, False
        self.timer = threading.Timer(max(0.0, seconds), self._fire)
        self.timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        sock = self.conn.sock
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS
            except OSError:
                pass


def _once(url: str, body: bytes | None, headers: dict[str, str], deadline: float, limit: int,
          timeout: float, method: str = "POST") -> tuple[int, str, str | None, bytes]:
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ExchangeError(f"{url}: not an http(s) URL")
    left = deadline - time.monotonic()
    if left <= 0:
        raise ExchangeError(f"{url}: no complete answer within {timeout:g} s (timed out)")
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=left, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=left)
    dog = _Watchdog(conn, left)
    dog.timer.start()
    try:
        conn.request(method, (u.path or "/") + (f"?{u.query}" if u.query else ""), body, headers)
        resp = conn.getresponse()
        data = bytearray()
        while len(data) <= limit:
            chunk = resp.read1(64 * 1024) if resp.status < 300 else b""
            if not chunk:
                break
            data += chunk
        if dog.fired:
            raise OSError("timed out")
        if len(data) > limit:
            raise ExchangeError(f"{url}: the answer is larger than {limit // 1_000_000} MB")
        return resp.status, resp.reason or "", resp.getheader("Location"), bytes(data)
    except (OSError, http.client.HTTPException) as e:
        if dog.fired or isinstance(e, (TimeoutError, socket.timeout)):
            raise ExchangeError(f"{url}: no complete answer within {timeout:g} s (timed out)") from None
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise ExchangeError(f"{url}: {reason}") from None
    finally:
        dog.timer.cancel()
        conn.close()
