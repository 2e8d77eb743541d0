"""Content-addressed clip cache: same engine/version/voice/settings/text -> same clip.

Layout: <root>/<key[:2]>/<key>.json (format, engine, voice, boundaries) beside
<key>.mp3|.wav. A hit refreshes the entry's mtime, which `prune` uses as "last used".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.fsutil import atomic_write_bytes, atomic_write_text
from studio.speech.base import Boundary, Clip, VoiceSettings


def cache_key(engine: str, engine_version: str, voice: VoiceSettings, text: str) -> str:
    payload = json.dumps(
        [engine, engine_version, voice.voice, voice.rate, voice.pitch, voice.volume, text],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class CacheInfo:
    root: Path
    entries: int = 0
    bytes: int = 0
    oldest_use: float | None = None
    newest_use: float | None = None
    by_engine: dict[str, int] = field(default_factory=dict)
    by_voice: dict[str, int] = field(default_factory=dict)


class ClipCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _paths(self, key: str) -> tuple[Path, Path]:
        d = self.root / key[:2]
        return d / f"{key}.json", d / key

    def has(self, key: str) -> bool:
        return self._paths(key)[0].is_file()

    def get(self, key: str) -> Clip | None:
        meta_path, audio_base = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            audio = audio_base.with_suffix("." + meta["fmt"]).read_bytes()
            bounds = [Boundary(**b) for b in meta["boundaries"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(meta_path)
        return Clip(audio=audio, fmt=meta["fmt"], boundaries=bounds, engine=meta["engine"])

    def put(self, key: str, clip: Clip, voice: str = "") -> None:
        meta_path, audio_base = self._paths(key)
        atomic_write_bytes(audio_base.with_suffix("." + clip.fmt), clip.audio)
        meta = {"fmt": clip.fmt, "engine": clip.engine, "voice": voice, "boundaries": clip.boundaries_dict()}
        atomic_write_text(meta_path, json.dumps(meta, ensure_ascii=False))  # written last: marks the entry complete

    def _entries(self):
        if not self.root.is_dir():
            return
        for meta_path in self.root.glob("??/*.json"):
            try:
                st = meta_path.stat()
                meta = json.loads(meta_path.read_text("utf-8"))
                audio = meta_path.with_suffix("." + meta["fmt"])
                size = st.st_size + audio.stat().st_size
            except (OSError, ValueError, KeyError, TypeError):
                yield meta_path, None, 0, 0.0
                continue
            yield meta_path, meta, size, st.st_mtime

    def info(self) -> CacheInfo:
        info = CacheInfo(root=self.root)
        for _, meta, size, used in self._entries():
            if meta is None:
                continue
            info.entries += 1
            info.bytes += size
            info.oldest_use = used if info.oldest_use is None else min(info.oldest_use, used)
            info.newest_use = used if info.newest_use is None else max(info.newest_use, used)
            info.by_engine[meta["engine"]] = info.by_engine.get(meta["engine"], 0) + 1
            voice = meta.get("voice") or "?"
            info.by_voice[voice] = info.by_voice.get(voice, 0) + 1
        return info

    def prune(self, older_than_days: float | None = None, everything: bool = False) -> tuple[int, int]:
        """Remove entries unused for `older_than_days` (or all); returns (entries, bytes) removed."""
        if everything:
            info = self.info()
            if self.root.is_dir():
                for d in self.root.glob("??"):
                    shutil.rmtree(d, ignore_errors=True)
            return info.entries, info.bytes
        cutoff = time.time() - (older_than_days or 0) * 86400
        removed = freed = 0
        for meta_path, meta, size, used in self._entries():
            if meta is not None and used >= cutoff:
                continue
            for p in meta_path.parent.glob(meta_path.stem + ".*"):
                with contextlib.suppress(OSError):
                    p.unlink()
            removed += meta is not None
            freed += size
        return removed, freed
