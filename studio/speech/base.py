"""The engine interface: speech text + voice settings -> audio + timed boundaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from studio.core.errors import SpeechError


class TransientSpeechError(SpeechError):
    """A failure worth retrying: 403/429/5xx, timeouts, dropped connections, no or cut-short audio."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after  # seconds the service asked us to wait, if it said


class EngineConfigError(SpeechError):
    """The service refused our credentials or settings (401/403): no retry, reported once."""


class ServiceUnreachable(EngineConfigError):
    """The service cannot be reached at all (connection refused, name lookup failed, no route): known at
    the first request, so nothing is retried and the build stops at once, reported once."""


@dataclass(frozen=True)
class VoiceSettings:
    voice: str  # Edge voice name, e.g. zh-CN-XiaoxiaoNeural
    rate: str = "+0%"
    pitch: str = "+0Hz"
    volume: str = "+0%"

    @property
    def language(self) -> str:
        return "-".join(self.voice.split("-")[:2])


@dataclass
class Boundary:
    kind: str  # "word" | "sentence"
    offset_ms: float
    duration_ms: float
    text: str


@dataclass
class Clip:
    audio: bytes
    fmt: str  # "mp3" | "wav"
    boundaries: list[Boundary] = field(default_factory=list)
    engine: str = ""
    text: str = ""  # what was spoken (for aligning boundaries); not cached
    shown: Any = None  # lexicon.Respelled: spoken positions -> the words the transcript shows

    def boundaries_dict(self) -> list[dict[str, Any]]:
        return [asdict(b) for b in self.boundaries]


class Engine(Protocol):
    name: str
    version: str
    fmt: str  # "mp3" | "wav"
    checks_coverage: bool  # verify each clip reaches the end of its text
    max_jobs: int | None  # at most this many requests at once (a local engine: its cores), None: no cap

    async def synthesize(self, text: str, voice: VoiceSettings) -> Clip: ...
