"""A local stand-in for the Edge read-aloud service, for tests and benchmarks.

It speaks the wire format edge-tts 7.x uses: the client sends text frames
`Path:speech.config` then `Path:ssml`; the server answers `Path:turn.start`,
binary `Path:audio` frames (2-byte big-endian header length, headers, MP3),
`Path:audio.metadata` JSON word boundaries and `Path:turn.end`. The audio is
real MP3 (espeak-ng rendered, 24 kHz 48 kbps mono CBR) and `/voices/list`
serves the voice list. Faults are injected per request (see `Fault`).
`boundaries` picks the metadata sent, as the service has varied: "word"
(WordBoundary), "sentence" (SentenceBoundary only) or "none" (no metadata).

    with EdgeStandIn(latency=0.8, rtf=0.125) as server:  # as the service: 0.8 s to turn.start, 8x real time
        os.environ["STUDIO_EDGE_WSS_URL"] = server.url
        ...
        server.requests  # handshakes seen (including refused ones)

Run it by hand: python -m devtools.edge_server --port 8765 --latency 0.8 --rtf 0.125 --fault drop:1
(GET /stats gives the request counts, POST /reset clears them.)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from devtools.http_standin import LoopbackServer

WS_PATH = "/consumer/speech/synthesize/readaloud/edge/v1"
VOICES_PATH = "/consumer/speech/synthesize/readaloud/voices/list"
HANDSHAKE_KINDS = ("403", "429", "500", "503")
STREAM_KINDS = ("drop", "close", "no_audio", "truncate", "stall")
_SSML_NS = "{http://www.w3.org/2001/10/synthesis}"
_SLICE = 2880  # bytes of MP3 per audio frame: 480 ms at 48 kbps


@dataclass
class Fault:
    """Make matching requests fail.

    kind: "403"/"429"/"500"/"503" refuse the websocket handshake with that HTTP status;
      "drop" cuts the TCP connection mid-stream; "close" closes the websocket
      mid-stream; "no_audio" sends turn.start and turn.end with no audio;
      "truncate" silently sends only the first half of the audio and words, then
      turn.end; "stall" sends turn.start then nothing; "mixed" picks one of
      drop/close/no_audio/truncate per text.
    first: only a text's first N attempts fail (handshake kinds: the first N
      connections); None = every attempt.
    match: only texts containing this (stream kinds only).
    rate: only this fraction of texts (or connections), chosen by a seeded hash.
    """

    kind: str
    first: int | None = 1
    match: str | None = None
    rate: float | None = None
    seed: int = 0
    hits: int = 0

    def picks(self, token: str) -> bool:
        if self.rate is None:
            return True
        h = hashlib.sha256(f"{self.seed}:{token}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64 < self.rate

    def stream_kind(self, text: str) -> str:
        if self.kind != "mixed":
            return self.kind
        h = hashlib.sha256(f"kind:{self.seed}:{text}".encode()).digest()
        return ("drop", "close", "no_audio", "truncate")[h[0] % 4]


BOUNDARY_MODES = ("word", "sentence", "none")


@dataclass
class Rendered:
    mp3: bytes
    words: list[tuple[float, float, str]]  # offset ms, duration ms, text
    sentences: list[tuple[float, float, str]] = field(default_factory=list)

    def marks(self, mode: str) -> list[tuple[float, float, str]]:
        return {"word": self.words, "sentence": self.sentences}.get(mode, [])


def sentence_marks(text: str, words: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Sentence boundaries from word timings: each sentence from its first word to its last word's end."""
    from studio.speech.text import speech_sentences

    out, pos, w = [], 0, 0
    for sentence in speech_sentences(text):
        end = pos + len(sentence)
        mine = []
        while w < len(words):
            i = text.find(words[w][2], pos)
            if i < 0 or i >= end:
                break
            mine.append(words[w])
            pos = i + len(words[w][2])
            w += 1
        pos = end
        if mine and sentence.strip():
            out.append((mine[0][0], mine[-1][0] + mine[-1][1] - mine[0][0], sentence.strip()))
    return out


@dataclass
class EdgeStandIn(LoopbackServer):
    latency: float = 0.0  # seconds added to every request before turn.start
    rtf: float = 0.0  # stream pacing: seconds of sending per second of audio (0.125 = 8x real time; 0: all at once)
    faults: list[Fault] = field(default_factory=list)
    extra_voices: list[dict] = field(default_factory=list)  # beyond the bundled list, for /voices/list
    port: int = 0
    boundaries: str = "word"  # metadata sent: "word", "sentence" (SentenceBoundary only) or "none"
    max_connections: int = 0  # more at once are refused with 429, as a throttling service does (0: no limit)
    pad_ms: float = 0.0  # silence after the last word, as the service pads (the real one: about 800 ms)

    def __post_init__(self) -> None:
        self.requests = 0  # websocket handshakes seen, refused ones included
        self.voice_list_requests = 0
        self.in_flight = self.max_in_flight = 0  # requests between SSML and turn.end
        self.connections = self.throttled = 0  # websockets open now; handshakes refused for too many
        self.texts: list[str] = []  # every SSML text received, in order
        self.voices_used: list[str] = []
        self.outcomes: list[str] = []  # "ok" or the fault kind, per SSML received
        self.ssml_bytes: list[int] = []
        self._attempts: dict[str, int] = {}
        self._renders: dict[tuple[str, str], Rendered] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{WS_PATH}"

    @property
    def voices_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{VOICES_PATH}"

    def reset_counts(self) -> None:
        with self._lock:
            self.requests = self.voice_list_requests = self.max_in_flight = 0
            self.texts, self.voices_used, self.outcomes, self.ssml_bytes = [], [], [], []
            self._attempts.clear()

    def prerender(self, texts: list[str], voice: str = "zh-CN-XiaoxiaoNeural") -> None:
        """Render audio ahead of time (benchmarks time the client, not this server's espeak)."""
        for t in texts:
            self._render(voice, t)

    def routes(self, app) -> None:
        app.router.add_get(VOICES_PATH, self._voices)
        app.router.add_get("/stats", self._stats)
        app.router.add_post("/reset", self._reset)
        app.router.add_get("/{tail:.*}", self._websocket)

    # -- HTTP ------------------------------------------------------------
    def stats(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "voice_list_requests": self.voice_list_requests,
                    "max_in_flight": self.max_in_flight, "outcomes": list(self.outcomes),
                    "texts": len(self.texts), "throttled": self.throttled}

    async def _stats(self, request):
        from aiohttp import web

        return web.json_response(self.stats())

    async def _reset(self, request):
        from aiohttp import web

        self.reset_counts()
        return web.json_response(self.stats())

    async def _voices(self, request):
        from aiohttp import web

        from studio.speech.voices import bundled_voices

        with self._lock:
            self.voice_list_requests += 1
        if "trustedclienttoken" not in request.query or "Sec-MS-GEC" not in request.query:
            return web.Response(status=403, text="missing token")
        voices = [
            dict(v, SuggestedCodec="audio-24khz-48kbitrate-mono-mp3", Status="GA",
                 VoiceTag={"ContentCategories": ["News"], "VoicePersonalities": ["Friendly"]})
            for v in [*bundled_voices(), *self.extra_voices]
        ]
        return web.json_response(voices)

    def _handshake_fault(self) -> str | None:
        with self._lock:
            self.requests += 1
            n = self.requests
            for f in self.faults:
                if f.kind in HANDSHAKE_KINDS and (f.first is None or n <= f.first) and f.picks(f"conn{n}"):
                    f.hits += 1
                    return f.kind
        return None

    def _stream_fault(self, text: str) -> str | None:
        with self._lock:
            attempt = self._attempts[text] = self._attempts.get(text, 0) + 1
            for f in self.faults:
                if f.kind in HANDSHAKE_KINDS:
                    continue
                if f.first is not None and attempt > f.first:
                    continue
                if (f.match is None or f.match in text) and f.picks(text):
                    f.hits += 1
                    return f.stream_kind(text)
        return None

    async def _websocket(self, request):
        from aiohttp import web

        fault = self._handshake_fault()
        if fault:
            return web.Response(status=int(fault), text=f"stand-in fault {fault}")
        q = request.query
        if not all(k in q for k in ("TrustedClientToken", "ConnectionId", "Sec-MS-GEC", "Sec-MS-GEC-Version")):
            return web.Response(status=403, text="missing TrustedClientToken/ConnectionId/Sec-MS-GEC")
        with self._lock:
            if self.max_connections and self.connections >= self.max_connections:
                self.throttled += 1
                return web.Response(status=429, text="too many connections")
            self.connections += 1
        try:
            ws = web.WebSocketResponse(max_msg_size=0, compress=False)
            await ws.prepare(request)
            try:
                await self._serve_turn(request, ws)
            except (ConnectionError, asyncio.CancelledError):
                pass
            if not ws.closed:
                await ws.close()
            return ws
        finally:
            with self._lock:
                self.connections -= 1

    async def _serve_turn(self, request, ws) -> None:
        from aiohttp import WSMsgType

        config = ssml = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            head, _, body = msg.data.partition("\r\n\r\n")
            path = _header(head, "Path")
            if path == "speech.config":
                config = json.loads(body)
            elif path == "ssml" and config is not None:
                ssml = (_header(head, "X-RequestId") or uuid.uuid4().hex, body)
                break
            else:
                await ws.close(code=1002, message=b"expected speech.config then ssml")
                return
        if ssml is None:
            return
        request_id, body = ssml
        voice, text = _parse_ssml(body)
        voice = _short_name(voice)
        fault = self._stream_fault(text)
        with self._lock:
            self.texts.append(text)
            self.voices_used.append(voice)
            self.outcomes.append(fault or "ok")
            self.ssml_bytes.append(len(escape(text).encode("utf-8")))
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._answer(request, ws, request_id, voice, text, fault)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _answer(self, request, ws, request_id: str, voice: str, text: str, fault: str | None) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        await ws.send_str(_text_frame(request_id, "turn.start", {"context": {"serviceTag": uuid.uuid4().hex}}))
        if fault == "stall":
            await ws.receive()  # say nothing until the client gives up
            return
        rendered = None
        known = _known_voice(voice) or any(v.get("ShortName") == voice for v in self.extra_voices)
        if fault != "no_audio" and known and _speakable(text):
            loop = asyncio.get_running_loop()
            try:
                rendered = await loop.run_in_executor(None, self._render, voice, text)
            except Exception:  # nothing to say for this text: answer like the service, without audio
                rendered = None
        if rendered is not None:
            await self._send_audio(request, ws, request_id, rendered, fault)
            if fault in ("drop", "close"):
                return
        await ws.send_str(_text_frame(request_id, "turn.end", {"context": {"serviceTag": "stand-in"}}))
        try:
            await asyncio.wait_for(ws.receive(), 5)  # the client closes after turn.end
        except asyncio.TimeoutError:
            pass

    async def _send_audio(self, request, ws, request_id: str, r: Rendered, fault: str | None) -> None:
        audio, words = r.mp3, list(r.marks(self.boundaries))
        if fault in ("truncate", "drop", "close"):
            cut = len(audio) // (2 if fault == "truncate" else 3)
            audio = audio[: cut - cut % 144]
            words = words[: max(1, len(words) // 2)] if fault == "truncate" else words
        stream_id = uuid.uuid4().hex.upper()
        sent_ms = 0.0
        began = asyncio.get_running_loop().time()
        for start in range(0, len(audio), _SLICE):
            piece = audio[start : start + _SLICE]
            sent_ms += len(piece) * 8 / 48  # 48 kbps: bytes -> ms
            if self.rtf:  # a slice leaves once the service would have made it
                await asyncio.sleep(max(0.0, began + sent_ms / 1000 * self.rtf - asyncio.get_running_loop().time()))
            while words and words[0][0] <= sent_ms:
                await ws.send_str(_metadata_frame(request_id, words.pop(0), self._kind))
            await ws.send_bytes(_audio_frame(request_id, stream_id, piece))
        if fault == "drop":
            request.transport.abort()
            return
        if fault == "close":
            await ws.close(code=1011, message=b"stand-in closed mid-stream")
            return
        for w in words if fault != "truncate" else []:
            await ws.send_str(_metadata_frame(request_id, w, self._kind))
        await ws.send_bytes(_audio_frame(request_id, stream_id, b""))  # end of stream: no Content-Type

    @property
    def _kind(self) -> str:
        return "SentenceBoundary" if self.boundaries == "sentence" else "WordBoundary"

    def _render(self, voice: str, text: str) -> Rendered:
        key = (voice, text)
        with self._lock:
            if key in self._renders:
                return self._renders[key]
        mp3, clip = espeak_mp3(voice, text, pad_ms=self.pad_ms)
        words = [(b.offset_ms, b.duration_ms, b.text) for b in clip.boundaries if b.kind == "word" and b.text.strip()]
        r = Rendered(mp3, words, sentence_marks(text, words))
        with self._lock:
            self._renders[key] = r
        return r


def espeak_mp3(voice: str, text: str, hz: int = 24000, kbps: int = 48, pad_ms: float = 0.0):
    """Real speech for a stand-in: espeak-ng reads `text` in the language of `voice` (an
    Edge voice name), encoded as the services send it: mono CBR MP3, no tags, `pad_ms` of
    digital silence after the speech. Returns (mp3 bytes, the espeak clip with its word boundaries)."""
    import io

    from studio.audio.segments import AudioSegment
    from studio.speech.base import VoiceSettings
    from studio.speech.espeak import EspeakEngine

    clip = EspeakEngine().synthesize_sync(text, VoiceSettings(voice=voice))
    buf = io.BytesIO()
    speech = AudioSegment().from_wav(io.BytesIO(clip.audio))
    if pad_ms:
        speech = speech + AudioSegment().silent(duration=pad_ms, frame_rate=speech.frame_rate)
    speech.export(
        buf, format="mp3", bitrate=f"{kbps}k",
        parameters=["-ar", str(hz), "-ac", "1", "-write_xing", "0", "-id3v2_version", "0"],
    )
    return buf.getvalue(), clip


def _header(head: str, name: str) -> str | None:
    for line in head.split("\r\n"):
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def _parse_ssml(body: str) -> tuple[str, str]:
    root = ET.fromstring(body)
    voice = root.find(f"{_SSML_NS}voice")
    if voice is None:
        return "", ""
    return voice.get("name", ""), "".join(voice.itertext())


def _short_name(name: str) -> str:
    """'Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)' -> zh-CN-XiaoxiaoNeural."""
    import re

    m = re.match(r"Microsoft Server Speech Text to Speech Voice \(([^,]+), ([^)]+)\)", name)
    return f"{m.group(1)}-{m.group(2)}" if m else name


def _known_voice(short: str) -> bool:
    from studio.speech.voices import bundled_voices

    return any(v["ShortName"] == short for v in bundled_voices())


def _speakable(text: str) -> bool:
    from studio.speech.text import is_speakable

    return is_speakable(text)


def _text_frame(request_id: str, path: str, body: dict) -> str:
    return (
        f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n"
        + json.dumps(body, ensure_ascii=False)
    )


def _metadata_frame(request_id: str, word: tuple[float, float, str], kind: str = "WordBoundary") -> str:
    offset, duration, text = word
    data = {"Offset": round(offset * 10_000), "Duration": round(duration * 10_000),
            "text": {"Text": escape(text), "Length": len(text), "BoundaryType": kind}}
    return _text_frame(request_id, "audio.metadata", {"Metadata": [{"Type": kind, "Data": data}]})


def _audio_frame(request_id: str, stream_id: str, data: bytes) -> bytes:
    ctype = "Content-Type:audio/mpeg\r\n" if data else ""
    head = f"X-RequestId:{request_id}\r\n{ctype}X-StreamId:{stream_id}\r\nPath:audio\r\n".encode()
    return len(head).to_bytes(2, "big") + head + data


def main() -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    ap.add_argument("--rtf", type=float, default=0.0,
                    help="stream pacing: seconds of sending per second of audio (0.125 = 8x real time; 0: at once)")
    ap.add_argument("--fault", action="append", default=[], metavar="KIND[:FIRST[:RATE]]",
                    help="inject a fault, e.g. 403:2 (first 2 handshakes), drop:1, mixed:1:0.2 "
                         "(a random 20%% of texts fail once), 503::0.05 (5%% of handshakes)")
    ap.add_argument("--rate", type=float, default=None, help="default RATE: only this fraction of texts fail")
    ap.add_argument("--seed", type=int, default=0, help="seed choosing which texts fail")
    ap.add_argument("--boundaries", choices=BOUNDARY_MODES, default="word",
                    help="metadata sent: word boundaries, sentence boundaries only, or none")
    ap.add_argument("--pad-ms", type=float, default=0.0, help="silence after the last word of every answer")
    ap.add_argument("--max-connections", type=int, default=0, help="refuse more at once with 429 (throttling)")
    ap.add_argument("--prerender", metavar="FILE", help="render these texts (one per line) before serving")
    ap.add_argument("--voice", default="zh-CN-XiaoxiaoNeural", help="voice for --prerender")
    args = ap.parse_args()
    faults = []
    for spec in args.fault:
        kind, first, rate = (spec.split(":") + ["", ""])[:3]
        faults.append(Fault(kind, first=int(first) if first else None,
                            rate=float(rate) if rate else args.rate, seed=args.seed))
    with EdgeStandIn(latency=args.latency, rtf=args.rtf, faults=faults, port=args.port, boundaries=args.boundaries,
                     max_connections=args.max_connections, pad_ms=args.pad_ms) as server:
        if args.prerender:
            with open(args.prerender, encoding="utf-8") as f:
                server.prerender([line.strip() for line in f if line.strip()], args.voice)
        print(f"STUDIO_EDGE_WSS_URL={server.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
