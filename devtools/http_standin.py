"""What the local stand-ins of the REST speech APIs (Azure, OpenAI) share: a
threaded aiohttp server on 127.0.0.1, every request recorded, faults injected
per text, and real speech (espeak-ng, encoded as MP3 like the services send).

Faults (`HttpFault`): "429" (with Retry-After), "500", "401", "cut" (the body
stops halfway and the connection closes), "empty" (200 with no body), "short"
(200 with the first half of the audio: only the duration shows it), "slow"
(answers after `slow_seconds`).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

HTTP_FAULTS = ("429", "500", "401", "cut", "empty", "slow", "short")


@dataclass
class HttpFault:
    kind: str
    first: int | None = 1  # only a text's first N attempts fail; None = every attempt
    match: str | None = None  # only texts containing this
    retry_after: str = "1"  # the Retry-After header of a 429
    hits: int = 0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        import json

        return json.loads(self.body)


class LoopbackServer:
    """An aiohttp app served from its own thread and event loop on 127.0.0.1:`port`
    (0 = any free port, set once started). Subclasses add their routes in `routes`."""

    port: int
    _loop = _thread = _runner = None

    def routes(self, app) -> None:
        raise NotImplementedError

    def start(self):
        ready, errors = threading.Event(), []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._start())
            except BaseException as e:  # report to the starting thread
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _start(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=1 << 20)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]


@dataclass
class HttpStandIn(LoopbackServer):
    latency: float = 0.0  # seconds before each speech answer
    faults: list[HttpFault] = field(default_factory=list)
    port: int = 0
    slow_seconds: float = 30.0

    def __post_init__(self) -> None:
        self.received: list[Received] = []
        self.texts: list[str] = []  # every text asked to speak, in order
        self.outcomes: list[str] = []  # "ok" or the fault kind, per speech request
        self.in_flight = self.max_in_flight = 0
        self._attempts: dict[str, int] = {}
        self._renders: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_counts(self) -> None:
        with self._lock:
            self.received, self.texts, self.outcomes = [], [], []
            self.max_in_flight = 0
            self._attempts.clear()

    # -- requests --------------------------------------------------------
    async def record(self, request) -> Received:
        body = await request.read()
        r = Received(request.method, request.path, dict(request.headers), body)
        with self._lock:
            self.received.append(r)
        return r

    def prerender(self, texts: list[str], voice: str, hz: int = 24000, kbps: int = 48, fmt: str = "mp3") -> None:
        """Render ahead of time (benchmarks time the client, not this server's espeak)."""
        for t in texts:
            self._render(voice, t, hz, kbps, fmt)

    def _render(self, voice: str, text: str, hz: int, kbps: int, fmt: str) -> bytes:
        key = (voice, text, hz, kbps, fmt)
        with self._lock:
            if key in self._renders:
                return self._renders[key]
        from devtools.edge_server import espeak_mp3

        mp3, clip = espeak_mp3(voice, text, hz, kbps)
        audio = clip.audio if fmt == "wav" else mp3
        with self._lock:
            self._renders[key] = audio
        return audio

    def _fault(self, text: str) -> HttpFault | None:
        with self._lock:
            attempt = self._attempts[text] = self._attempts.get(text, 0) + 1
            for f in self.faults:
                if (f.first is None or attempt <= f.first) and (f.match is None or f.match in text):
                    f.hits += 1
                    return f
        return None

    async def speak(self, request, voice: str, text: str, hz: int = 24000, kbps: int = 48, fmt: str = "mp3"):
        """The answer to one speech request: audio of `text` read in `voice` (an Edge voice name)."""
        from aiohttp import web

        fault = self._fault(text)
        with self._lock:
            self.texts.append(text)
            self.outcomes.append(fault.kind if fault else "ok")
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            kind = fault.kind if fault else None
            if kind == "429":
                return web.Response(status=429, headers={"Retry-After": fault.retry_after}, text="Too Many Requests")
            if kind in ("500", "401"):
                return web.Response(status=int(kind), text=f"stand-in fault {kind}")
            if kind == "slow":
                await asyncio.sleep(self.slow_seconds)
            audio = await asyncio.get_running_loop().run_in_executor(None, self._render, voice, text, hz, kbps, fmt)
            ctype = "audio/wav" if fmt == "wav" else "audio/mpeg"
            if kind == "empty":
                return web.Response(body=b"", content_type=ctype)
            if kind == "short":
                audio = audio[: len(audio) // 2]
            if kind == "cut":
                resp = web.StreamResponse(headers={"Content-Type": ctype, "Content-Length": str(len(audio))})
                await resp.prepare(request)
                await resp.write(audio[: len(audio) // 2])
                request.transport.close()
                return resp
            return web.Response(body=audio, content_type=ctype)
        finally:
            with self._lock:
                self.in_flight -= 1
