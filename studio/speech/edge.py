"""Edge neural voices through the edge-tts library.

The endpoint is overridable with STUDIO_EDGE_WSS_URL (ws:// is fine) and the
voice list with STUDIO_EDGE_VOICES_URL (derived from the former when unset):
the library's module constants are pointed there, keeping the query
parameters (TrustedClientToken, ConnectionId, Sec-MS-GEC...) it appends.
"""

from __future__ import annotations

import asyncio
import os
from importlib import metadata
from urllib.parse import urlparse

from studio.core.errors import SpeechError
from studio.speech.base import Boundary, Clip, TransientSpeechError, VoiceSettings
from studio.speech.reach import connector_cause, unreachable

DEFAULT_WSS = "wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1"
DEFAULT_VOICES = "https://speech.platform.bing.com/consumer/speech/synthesize/readaloud/voices/list"
TICKS_PER_MS = 10_000
# Whole sentences up to about 20 s of speech per request: the service streams each at its own pace, so
# many short requests at once finish sooner than one per item, and arrive in order for the audio stage.
# The joins are made inaudible by studio.speech.assemble (the service's trailing silence trimmed).
REQUEST_TARGET_BYTES = 300


def edge_url() -> str:
    return os.environ.get("STUDIO_EDGE_WSS_URL") or DEFAULT_WSS


def voices_url() -> str:
    explicit = os.environ.get("STUDIO_EDGE_VOICES_URL")
    if explicit:
        return explicit
    wss = os.environ.get("STUDIO_EDGE_WSS_URL")
    if not wss:
        return DEFAULT_VOICES
    u = urlparse(wss)
    scheme = {"ws": "http", "wss": "https"}.get(u.scheme, u.scheme)
    path = u.path[: -len("edge/v1")] + "voices/list" if u.path.endswith("edge/v1") else "/voices/list"
    return f"{scheme}://{u.netloc}{path}"


def edge_version() -> str:
    try:
        return metadata.version("edge-tts")
    except metadata.PackageNotFoundError:
        return "unknown"


def _with_token(url: str) -> str:
    from edge_tts.constants import TRUSTED_CLIENT_TOKEN  # lazy: edge-tts loads only when Edge is used

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}TrustedClientToken={TRUSTED_CLIENT_TOKEN}"


def point_edge_tts_at_endpoint() -> None:
    """Point edge-tts's connection and voice-list URLs at the configured endpoints."""
    import edge_tts.communicate  # lazy: edge-tts (and aiohttp) load only when the Edge service is used
    import edge_tts.voices  # lazy: edge-tts (and aiohttp) load only when the Edge service is used

    edge_tts.communicate.WSS_URL = _with_token(edge_url())
    edge_tts.voices.VOICE_LIST = _with_token(voices_url()).replace("TrustedClientToken=", "trustedclienttoken=")


def edge_hint() -> str:
    """What to do when the Edge service cannot be reached."""
    where = " (STUDIO_EDGE_WSS_URL points Studio elsewhere: unset it for the real service)" \
        if os.environ.get("STUDIO_EDGE_WSS_URL") else ""
    return f"check the network connection{where}, or build with the offline voice: --engine espeak"


def edge_error(e: BaseException, timeout: float) -> SpeechError:
    """Turn what edge-tts/aiohttp raised into a transient or permanent SpeechError."""
    import aiohttp  # lazy: aiohttp loads only when a service is used
    from edge_tts import exceptions as ex  # lazy: edge-tts (and aiohttp) load only when the Edge service is used

    if isinstance(e, aiohttp.ClientResponseError):
        status = e.status
        cause = f"HTTP {status} {e.message or ''}".strip()
        retry = status in (403, 408, 429) or status >= 500
        return (TransientSpeechError if retry else SpeechError)(cause)
    if isinstance(e, ex.NoAudioReceived):
        return TransientSpeechError("the service sent no audio (NoAudioReceived)")
    if isinstance(e, ex.SkewAdjustmentError):
        return TransientSpeechError("HTTP 403 (clock skew could not be adjusted)")
    if isinstance(e, (ex.WebSocketError, ex.UnexpectedResponse, ex.UnknownResponse)):
        return TransientSpeechError(f"bad response from the service ({type(e).__name__}: {e})")
    cause = connector_cause(e)
    if cause:  # refused, no such name, no route: known now, no retry changes it
        return unreachable("Edge TTS", cause, edge_hint())
    if isinstance(e, aiohttp.ClientConnectorError):
        return TransientSpeechError(f"cannot connect to {e.host}:{e.port} ({e.os_error.strerror or e.os_error})")
    if isinstance(e, (aiohttp.ClientError, ConnectionError)):
        return TransientSpeechError(f"connection dropped ({type(e).__name__}: {e})".replace(": )", ")"))
    if isinstance(e, (asyncio.TimeoutError, TimeoutError)):
        return TransientSpeechError(f"no answer within {timeout:g} s")
    return SpeechError(f"{type(e).__name__}: {e}")


class EdgeEngine:
    name = "edge"
    fmt = "mp3"
    checks_coverage = True  # a network service can cut a clip short without saying so
    max_jobs = None  # a service: the gate adapts to it

    def __init__(self, timeout: float = 60.0) -> None:
        point_edge_tts_at_endpoint()
        self.version = edge_version()
        self.timeout = timeout

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip:
        import edge_tts  # lazy: edge-tts (and aiohttp) load only when the Edge service is used

        try:
            com = edge_tts.Communicate(
                text, voice.voice, rate=voice.rate, pitch=voice.pitch, volume=voice.volume,
                boundary="WordBoundary", connect_timeout=max(1, round(self.timeout)),
                receive_timeout=max(1, round(self.timeout)),
            )
        except (ValueError, TypeError) as e:
            raise SpeechError(f"invalid voice settings: {e}") from None
        audio = bytearray()
        bounds: list[Boundary] = []
        try:
            async with asyncio.timeout(self.timeout):
                async for chunk in com.stream():
                    if chunk["type"] == "audio":
                        audio += chunk["data"]
                    elif chunk["type"] in ("WordBoundary", "SentenceBoundary"):
                        bounds.append(
                            Boundary(
                                kind="word" if chunk["type"] == "WordBoundary" else "sentence",
                                offset_ms=chunk["offset"] / TICKS_PER_MS,
                                duration_ms=chunk["duration"] / TICKS_PER_MS,
                                text=chunk["text"],
                            )
                        )
        except SpeechError:
            raise
        except Exception as e:  # edge-tts raises aiohttp errors and its own
            raise edge_error(e, self.timeout) from None
        return Clip(audio=bytes(audio), fmt="mp3", boundaries=bounds, engine=self.name)
