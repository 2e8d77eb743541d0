"""A local stand-in for Azure AI Speech text-to-speech (REST), written from the
public API reference: POST /cognitiveservices/v1 with an SSML body,
`Ocp-Apim-Subscription-Key: KEY` or `Authorization: Bearer TOKEN`,
`Content-Type: application/ssml+xml` and `X-Microsoft-OutputFormat`; the answer
is the audio. GET /cognitiveservices/voices/list gives the voices.

    with AzureStandIn(key="k") as server:   # endpoint = server.base_url
        ...
        server.received   # every request: method, path, headers, body

Run it by hand: python -m devtools.azure_server --port 8766 --key KEY --latency 0.3
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devtools.http_standin import HttpStandIn

SPEAK_PATH = "/cognitiveservices/v1"
VOICES_PATH = "/cognitiveservices/voices/list"
_FORMAT = re.compile(r"audio-(16|24|48)khz-(\d+)kbitrate-mono-mp3")


@dataclass
class AzureStandIn(HttpStandIn):
    key: str = "test-azure-key"
    token: str = ""  # a bearer token accepted besides the key

    def routes(self, app) -> None:
        app.router.add_post(SPEAK_PATH, self._speak)
        app.router.add_get(VOICES_PATH, self._voices)

    def _authorized(self, headers) -> bool:
        if self.key and headers.get("Ocp-Apim-Subscription-Key") == self.key:
            return True
        return bool(self.token) and headers.get("Authorization") == f"Bearer {self.token}"

    async def _speak(self, request):
        import xml.etree.ElementTree as ET

        from aiohttp import web

        from devtools.edge_server import _known_voice, _parse_ssml

        r = await self.record(request)
        if not self._authorized(request.headers):
            return web.Response(status=401, text="Access denied due to invalid subscription key.")
        if request.headers.get("Content-Type", "").split(";")[0] != "application/ssml+xml":
            return web.Response(status=415, text="Content-Type must be application/ssml+xml")
        m = _FORMAT.fullmatch(request.headers.get("X-Microsoft-OutputFormat", ""))
        if not m:
            return web.Response(status=400, text="unsupported X-Microsoft-OutputFormat")
        try:
            voice, text = _parse_ssml(r.body.decode("utf-8"))
        except (ET.ParseError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid SSML")
        if not _known_voice(voice):
            return web.Response(status=400, text=f"unsupported voice {voice}")
        return await self.speak(request, voice, text, int(m.group(1)) * 1000, int(m.group(2)))

    async def _voices(self, request):
        from aiohttp import web

        from studio.speech.voices import bundled_voices

        await self.record(request)
        if not self._authorized(request.headers):
            return web.Response(status=401, text="Access denied due to invalid subscription key.")
        return web.json_response([
            {"Name": f"Microsoft Server Speech Text to Speech Voice ({v['Locale']}, {v['ShortName'].split('-', 2)[-1]})",
             "DisplayName": v["ShortName"].split("-", 2)[-1].removesuffix("Neural"),
             "LocalName": v["ShortName"].split("-", 2)[-1].removesuffix("Neural"),
             "ShortName": v["ShortName"], "Gender": v["Gender"], "Locale": v["Locale"], "LocaleName": v["Locale"],
             "SampleRateHertz": "24000", "VoiceType": "Neural", "Status": "GA"}
            for v in bundled_voices()
        ])


def main() -> None:
    from devtools.openai_server import serve_forever

    serve_forever(AzureStandIn, __doc__, "[speech.azure] endpoint = \"{url}\"")


if __name__ == "__main__":
    main()
