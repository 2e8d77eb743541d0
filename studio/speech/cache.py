"""Content-addressed clip cache: same engine/voice/settings/text -> same clip."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from studio.fsutil import atomic_write_bytes, atomic_write_text
from studio.speech.base import Boundary, Clip, VoiceSettings


def cache_key(engine: str, engine_version: str, voice: VoiceSettings, text: str) -> str:
    payload = json.dumps(
        [engine, engine_version, voice.voice, voice.rate, voice.pitch, voice.volume, text],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ClipCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _paths(self, key: str) -> tuple[Path, Path]:
        d = self.root / key[:2]
        return d / f"{key}.json", d / key

    def get(self, key: str) -> Clip | None:
        meta_path, audio_base = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            audio = audio_base.with_suffix("." + meta["fmt"]).read_bytes()
        except (OSError, ValueError, KeyError):
            return None
        bounds = [Boundary(**b) for b in meta["boundaries"]]
        return Clip(audio=audio, fmt=meta["fmt"], boundaries=bounds, engine=meta["engine"])

    def put(self, key: str, clip: Clip) -> None:
        meta_path, audio_base = self._paths(key)
        atomic_write_bytes(audio_base.with_suffix("." + clip.fmt), clip.audio)
        meta = {"fmt": clip.fmt, "engine": clip.engine, "boundaries": clip.boundaries_dict()}
        atomic_write_text(meta_path, json.dumps(meta, ensure_ascii=False))
