"""Content-addressed clip cache: same engine/version/voice/settings/text -> same clip.

Layout: <root>/STUDIO-CACHE (the marker that says Studio owns the folder), then
<root>/<key[:2]>/<key>.json (format, engine, voice, boundaries, the audio's size
and SHA-256) beside <key>.mp3|.wav, where key is 64 hex digits. A hit refreshes
the entry's mtime, which `prune` uses as "last used". A clip whose size or hash
no longer matches is dropped (with a warning) and synthesized again. `prune`
removes only entries named exactly so, in a folder with the marker.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from studio.core.fsutil import atomic_write_bytes, atomic_write_text
from studio.core.lazy import lazy_pattern
from studio.speech.base import Boundary, Clip, VoiceSettings

MARKER = "STUDIO-CACHE"
MARKER_TEXT = "Studio speech clip cache: entries are <2 hex>/<64 hex>.json + .mp3|.wav; `studio cache prune` cleans it.\n"
CLIP_FORMATS = ("mp3", "wav")
_KEY = lazy_pattern(r"[0-9a-f]{64}")


def clip_key(engine: str, engine_version: str, voice: VoiceSettings, text: str) -> str:
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
    marked: bool = True  # False: the folder has no marker, so nothing in it is treated as Studio's


class ClipCache:
    def __init__(self, root: Path, warn: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.warn = warn

    def _paths(self, key: str) -> tuple[Path, Path]:
        d = self.root / key[:2]
        return d / f"{key}.json", d / key

    @property
    def marked(self) -> bool:
        return (self.root / MARKER).is_file()

    def has(self, key: str) -> bool:
        """A complete entry whose audio still has the size it was written with (get() checks the hash)."""
        meta_path, audio_base = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            return audio_base.with_suffix("." + meta["fmt"]).stat().st_size == meta["bytes"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False

    def get(self, key: str) -> Clip | None:
        """The cached clip, or None when absent, written by an older Studio or damaged (then removed)."""
        meta_path, audio_base = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            audio_path = audio_base.with_suffix("." + meta["fmt"])
            audio = audio_path.read_bytes()
            bounds = [Boundary(**b) for b in meta["boundaries"]]
            size, digest = meta["bytes"], meta["sha256"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if len(audio) != size or hashlib.sha256(audio).hexdigest() != digest:
            if self.warn:
                how = (f"{len(audio):,} bytes, {size:,} when written" if len(audio) != size
                       else "its content changed since it was written")
                self.warn(f"{audio_path}: cached clip damaged ({how}); synthesizing it again")
            self._remove(meta_path)
            return None
        with contextlib.suppress(OSError):
            os.utime(meta_path)
        return Clip(audio=audio, fmt=meta["fmt"], boundaries=bounds, engine=meta["engine"])

    def put(self, key: str, clip: Clip, voice: str = "") -> None:
        if not _KEY.fullmatch(key) or clip.fmt not in CLIP_FORMATS:
            raise ValueError(f"not a cache entry: {key}.{clip.fmt}")
        if not self.marked:
            atomic_write_text(self.root / MARKER, MARKER_TEXT)
        meta_path, audio_base = self._paths(key)
        atomic_write_bytes(audio_base.with_suffix("." + clip.fmt), clip.audio)
        meta = {"fmt": clip.fmt, "engine": clip.engine, "voice": voice, "boundaries": clip.boundaries_dict(),
                "bytes": len(clip.audio), "sha256": hashlib.sha256(clip.audio).hexdigest()}
        atomic_write_text(meta_path, json.dumps(meta, ensure_ascii=False))  # written last: marks the entry complete

    def _entries(self) -> Iterator[tuple[Path, dict | None, int, float]]:
        """(meta path, meta or None when unreadable, bytes, last use) of files named exactly as entries."""
        if not self.marked:
            return
        for meta_path in self.root.glob("??/*.json"):
            key = meta_path.stem
            if not _KEY.fullmatch(key) or meta_path.parent.name != key[:2] or not meta_path.is_file():
                continue  # not a name this cache writes
            try:
                st = meta_path.stat()
                meta = json.loads(meta_path.read_text("utf-8"))
                audio = meta_path.with_suffix("." + meta["fmt"]) if meta.get("fmt") in CLIP_FORMATS else None
                size = st.st_size + (audio.stat().st_size if audio else 0)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                yield meta_path, None, 0, 0.0
                continue
            yield meta_path, meta, size, st.st_mtime

    def _remove(self, meta_path: Path) -> None:
        """Remove one entry: its audio files, then its .json (never anything else)."""
        for fmt in CLIP_FORMATS:
            with contextlib.suppress(OSError):
                meta_path.with_suffix("." + fmt).unlink()
        with contextlib.suppress(OSError):
            meta_path.unlink()
        with contextlib.suppress(OSError):
            meta_path.parent.rmdir()  # only when empty

    def info(self) -> CacheInfo:
        info = CacheInfo(root=self.root, marked=self.marked)
        for _, meta, size, used in self._entries():
            if meta is None:
                continue
            info.entries += 1
            info.bytes += size
            info.oldest_use = used if info.oldest_use is None else min(info.oldest_use, used)
            info.newest_use = used if info.newest_use is None else max(info.newest_use, used)
            engine = str(meta.get("engine") or "?")
            info.by_engine[engine] = info.by_engine.get(engine, 0) + 1
            voice = str(meta.get("voice") or "?")
            info.by_voice[voice] = info.by_voice.get(voice, 0) + 1
        return info

    def prune(self, older_than_days: float | None = None, everything: bool = False) -> tuple[int, int]:
        """Remove entries unused for `older_than_days` (or all); returns (entries, bytes) removed."""
        cutoff = time.time() - (older_than_days or 0) * 86400
        removed = freed = 0
        for meta_path, meta, size, used in list(self._entries()):
            if not everything and meta is not None and used >= cutoff:
                continue
            self._remove(meta_path)
            removed += meta is not None
            freed += size
        return removed, freed
