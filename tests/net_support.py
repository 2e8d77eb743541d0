"""Hostile HTTP servers on loopback for the reliability tests (issue 24): one that redirects
every request to a second server on another port (another origin), one that records the
headers it receives and answers what a test sets, one that dribbles a byte every 2 s, and
one that streams a huge body. Each records what it saw.

    python -m tests.net_support     # starts them and prints their URLs (for probing by hand)
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from devtools.http_standin import LoopbackServer


class _EveryPath(LoopbackServer):
    """Every method and path goes to `_any`."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app) -> None:
        app.router.add_route("*", "/{tail:.*}", self._any)

    async def _any(self, request):
        raise NotImplementedError


@dataclass
class Recorder(_EveryPath):
    """Answers every request with `status`, `content_type` and `body`; keeps every request's headers."""

    status: int = 200
    content_type: str = "text/plain"
    body: bytes = b"this is not audio"
    reason: str | None = None
    port: int = 0

    def __post_init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []

    async def _any(self, request):
        from aiohttp import web

        await request.read()
        self.headers.append(dict(request.headers))
        self.paths.append(request.path)
        return web.Response(status=self.status, reason=self.reason, body=self.body,
                            headers={"Content-Type": self.content_type})

    def saw(self, value: str) -> bool:
        """Whether any request carried `value` in any header."""
        return any(value in v for h in self.headers for v in h.values())


@dataclass
class Redirector(_EveryPath):
    """Every request gets `status` with Location: `target` + the request's path and query."""

    target: str = ""
    status: int = 302
    port: int = 0

    def __post_init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    async def _any(self, request):
        from aiohttp import web

        await request.read()
        self.headers.append(dict(request.headers))
        return web.Response(status=self.status, headers={"Location": self.target + request.path_qs})


@dataclass
class Dribbler(_EveryPath):
    """200 with a promised body, then one byte every `every` seconds, for ever (or until the client leaves)."""

    every: float = 2.0
    content_type: str = "application/json"
    port: int = 0

    def __post_init__(self) -> None:
        self.sent = 0
        self.requests = 0

    async def _any(self, request):
        from aiohttp import web

        await request.read()
        self.requests += 1
        resp = web.StreamResponse(headers={"Content-Type": self.content_type, "Content-Length": "1000000"})
        await resp.prepare(request)
        try:
            while True:
                await resp.write(b" ")
                self.sent += 1
                await asyncio.sleep(self.every)
        except (ConnectionError, asyncio.CancelledError):
            return resp


@dataclass
class Flood(_EveryPath):
    """200 audio/mpeg: an MP3 frame header, then `total` bytes as fast as the client reads them;
    `declare` sends the real Content-Length (else the body is chunked)."""

    total: int = 100 * 1024 * 1024
    declare: bool = False
    port: int = 0

    def __post_init__(self) -> None:
        self.sent = 0
        self.done = threading.Event()

    async def _any(self, request):
        from aiohttp import web

        await request.read()
        headers = {"Content-Type": "audio/mpeg"}
        if self.declare:
            headers["Content-Length"] = str(self.total)
        resp = web.StreamResponse(headers=headers)
        await resp.prepare(request)
        chunk = b"\xff\xfb\x90\x00" + b"\x00" * (64 * 1024 - 4)
        try:
            while self.sent < self.total:
                await resp.write(chunk)
                self.sent += len(chunk)
            await resp.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.done.set()
        return resp


if __name__ == "__main__":
    other = Recorder().start()
    bounce = Redirector(target=other.url).start()
    slow = Dribbler().start()
    flood = Flood().start()
    print(f"redirects to another origin: {bounce.url}  ->  recorder: {other.url}")
    print(f"one byte every 2 s: {slow.url}\n100 MB of 'audio': {flood.url}\nCtrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
