"""A local stand-in for OpenAI's speech API, as OpenAI and the servers that copy it
(Kokoro-FastAPI, openedai-speech, LocalAI) answer it, written from the public API
reference: POST /v1/audio/speech with a JSON body {model, voice, input,
response_format, speed} and `Authorization: Bearer KEY`; the answer is the audio.

    with OpenAIStandIn(key="k") as server:   # base_url = server.base_url + "/v1"
        ...

Run it by hand: python -m devtools.openai_server --port 8767 --key KEY --latency 0.3
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtools.http_standin import HTTP_FAULTS, HttpFault, HttpStandIn

SPEAK_PATH = "/v1/audio/speech"
MAX_INPUT = 4096  # characters, as OpenAI documents
# the server's voices -> the language they read (OpenAI's own and Kokoro's naming)
VOICES = {
    "alloy": "en-US-AriaNeural", "nova": "en-US-AriaNeural", "onyx": "en-US-GuyNeural",
    "af_heart": "en-US-AriaNeural", "zf_xiaoxiao": "zh-CN-XiaoxiaoNeural", "zf_xiaoyi": "zh-CN-XiaoyiNeural",
    "zm_yunxi": "zh-CN-YunxiNeural", "zm_yunjian": "zh-CN-YunjianNeural",
}


@dataclass
class OpenAIStandIn(HttpStandIn):
    key: str = "test-openai-key"  # "" = no key needed (a local server)
    voices: dict[str, str] = field(default_factory=lambda: dict(VOICES))

    def routes(self, app) -> None:
        app.router.add_post(SPEAK_PATH, self._speak)

    async def _speak(self, request):
        from aiohttp import web

        def error(status: int, message: str):
            return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=status)

        r = await self.record(request)
        if self.key and request.headers.get("Authorization") != f"Bearer {self.key}":
            return error(401, "Incorrect API key provided.")
        try:
            body = r.json()
        except ValueError:
            return error(400, "the body is not JSON")
        text, voice, fmt = body.get("input"), body.get("voice"), body.get("response_format", "mp3")
        if not body.get("model") or not isinstance(text, str) or not text:
            return error(400, "model and input are required")
        if len(text) > MAX_INPUT:
            return error(400, f"input is longer than {MAX_INPUT} characters")
        if voice not in self.voices:
            return error(400, f"voice {voice!r} not found")
        if fmt not in ("mp3", "wav"):
            return error(400, f"response_format {fmt!r} not supported")
        return await self.speak(request, self.voices[voice], text, fmt=fmt)


def serve_forever(cls, description: str, announce: str) -> None:
    """`python -m devtools.<x>_server`: serve until interrupted; print `announce`
    with {url} filled in (the setting to point Studio at it)."""
    import argparse
    import time

    ap = argparse.ArgumentParser(description=description.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default=None, help="the key the server accepts")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    ap.add_argument("--fault", action="append", default=[], metavar="KIND[:FIRST]",
                    help=f"inject a fault ({', '.join(HTTP_FAULTS)}); FIRST = a text's first N attempts (default all)")
    args = ap.parse_args()
    faults = [HttpFault(k, first=int(n) if n else None) for k, _, n in (f.partition(":") for f in args.fault)]
    kw = {"key": args.key} if args.key is not None else {}
    with cls(latency=args.latency, faults=faults, port=args.port, **kw) as server:
        print(announce.format(url=server.base_url), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def main() -> None:
    serve_forever(OpenAIStandIn, __doc__, "[speech.openai] base_url = \"{url}/v1\"")


if __name__ == "__main__":
    main()
