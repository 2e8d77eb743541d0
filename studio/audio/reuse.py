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
from studio.core.fsutil import sha256_file
from studio.core.layout import EpisodeFiles
from studio.core.manifest import read_manifest
from studio.core.model import Episode
from studio.speech.base import Clip

# bump when the audio stage's output changes for the same inputs (3: the MP3 named after the slug, chapters in
# time order, TLEN)
REUSE_FORMAT = "studio-audio-3"


def render_key(episode: Episode, clips: list[Clip], show: Show, settings: AudioSettings, cover: Path) -> str:
    h = hashlib.sha256()

    def add(value: Any) -> None:
        h.update(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode())
        h.update(b"\0")

    add([REUSE_FORMAT, __version__, dataclasses.asdict(settings.config)])
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
    files = EpisodeFiles(Path(ep_dir))
    prev = read_manifest(files.manifest)[0]
    if prev is None or prev.audio_key != key or not prev.loudness:
        return None
    mp3 = files.file(prev.audio.file)
    if not mp3.is_file() or mp3.stat().st_size != prev.audio.bytes or sha256_file(mp3) != prev.audio.sha256:
        return None
    if not prev.existing_chapters(files.dir):
        return None
    items = []
    for it in prev.items:
        clip = files.file(it.clip)
        if not it.clip or not clip.is_file() or clip.stat().st_size != it.clip_bytes:
            return None
        items.append({"clip": it.clip, "clip_bytes": it.clip_bytes, "start_ms": it.start_ms, "end_ms": it.end_ms})
    return {"audio": prev.audio, "items": items, "loudness": prev.loudness}
