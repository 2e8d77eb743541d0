"""Edge neural voices through the edge-tts library."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from studio.errors import SpeechError
from studio.speech.base import Boundary, Clip, VoiceSettings

DEFAULT_WSS = "wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1"


def edge_url() -> str:
    return os.environ.get("STUDIO_EDGE_WSS_URL") or DEFAULT_WSS


def probe_edge(timeout: float = 2.0) -> str | None:
    """None when the service's host accepts a connection, else what failed."""
    url = urlparse(edge_url())
    port = url.port or (443 if url.scheme == "wss" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return None
    except OSError as e:
        return f"{url.hostname}:{port}: {e.strerror or e}"


class EdgeEngine:
    name = "edge"

    def __init__(self) -> None:
        import edge_tts

        self.version = getattr(edge_tts, "__version__", "7")

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip:
        import edge_tts

        com = edge_tts.Communicate(
            text, voice.voice, rate=voice.rate, pitch=voice.pitch, volume=voice.volume,
            boundary="WordBoundary",
        )
        audio = bytearray()
        bounds: list[Boundary] = []
        try:
            async for chunk in com.stream():
                if chunk["type"] == "audio":
                    audio += chunk["data"]
                elif chunk["type"] in ("WordBoundary", "SentenceBoundary"):
                    bounds.append(
                        Boundary(
                            kind="word" if chunk["type"] == "WordBoundary" else "sentence",
                            offset_ms=chunk["offset"] / 10_000,
                            duration_ms=chunk["duration"] / 10_000,
                            text=chunk["text"],
                        )
                    )
        except Exception as e:  # edge-tts raises aiohttp and its own errors
            raise SpeechError(f"Edge TTS failed: {type(e).__name__}: {e}") from None
        return Clip(audio=bytes(audio), fmt="mp3", boundaries=bounds, engine=self.name)
