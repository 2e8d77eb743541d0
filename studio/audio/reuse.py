"""Skip the audio stage when nothing it depends on changed (a no-op rebuild stays fast).

The key hashes every input of the episode MP3, its clips and chapters: clip audio, item
titles/sections/links/images, episode and show tag fields, audio settings, jingle and cover
files, and the format version. The previous result is reused only if the manifest carries the
same key and every file it lists is still there, unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from studio import __version__
from studio.audio.settings import AudioSettings
from studio.core.config import Show
from studio.core.manifest import MANIFEST, load_manifest
from studio.core.fsutil import sha256_file
from studio.core.model import Episode
from studio.speech.base import Clip

FORMAT = "studio-audio-2"  # bump when the audio stage's output changes for the same inputs


def render_key(episode: Episode, clips: list[Clip], show: Show, settings: AudioSettings, cover: Path) -> str:
    h = hashlib.sha256()

    def add(value: Any) -> None:
        h.update(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode())
        h.update(b"\0")

    add([FORMAT, __version__, dataclasses.asdict(settings.config)])
    for path in (settings.intro, settings.outro, settings.stinger, cover):
        add(sha256_file(path) if path is not None and path.is_file() else None)
    add([show.title, show.author, show.language, show.copyright])
    add([episode.title, episode.date.isoformat(), episode.number, episode.summary])
    for item, clip in zip(episode.items, clips):
        add([item.title, item.section, [link.url for link in item.links], item.image])
        h.update(hashlib.sha256(clip.audio).digest())
    return h.hexdigest()


def previous_result(ep_dir: Path, key: str) -> dict[str, Any] | None:
    """The previous manifest's audio fields when its key matches and its files are intact."""
    prev = load_manifest(ep_dir / MANIFEST)
    if not prev or prev.get("audio_key") != key or "loudness" not in prev:
        return None
    audio = prev.get("audio") or {}
    mp3 = ep_dir / audio.get("file", "episode.mp3")
    if not mp3.is_file() or mp3.stat().st_size != audio.get("bytes") or sha256_file(mp3) != audio.get("sha256"):
        return None
    if not (ep_dir / prev.get("chapters", "chapters.json")).is_file():
        return None
    items = []
    for it in prev.get("items", []):
        clip = ep_dir / it.get("clip", "")
        if not clip.is_file() or clip.stat().st_size != it.get("clip_bytes"):
            return None
        items.append({k: it[k] for k in ("clip", "clip_bytes", "start_ms", "end_ms")})
    return {"audio": audio, "items": items, "loudness": prev["loudness"]}
