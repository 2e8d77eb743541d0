"""Speech clips -> per-item MP3 clips + the tagged episode MP3."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.audio.ffmpeg import decode_pcm
from studio.audio.mix import encode_mp3, stitch, to_segment
from studio.audio.tags import EpisodeTags, write_tags
from studio.config import Show
from studio.fsutil import atomic_path, sha256_file
from studio.model import Episode
from studio.speech.base import Clip


@dataclass
class AudioResult:
    duration_ms: float
    bytes: int
    sha256: str
    items: list[dict[str, Any]] = field(default_factory=list)  # clip, start_ms, end_ms per item


def render_audio(episode: Episode, clips: list[Clip], show: Show, ep_dir: Path, cover: Path) -> AudioResult:
    rate, channels = show.audio.sample_rate, show.audio.channels
    pcms = [decode_pcm(c.audio, rate, channels) for c in clips]
    mix, placements = stitch(pcms, rate, channels, show.audio.gap)

    items = []
    for n, (item, pcm, placed) in enumerate(zip(episode.items, pcms, placements), start=1):
        name = f"clips/{n:03d}-{hashlib.sha256(pcm + item.title.encode()).hexdigest()[:10]}.mp3"
        path = ep_dir / name
        if not path.is_file():
            with atomic_path(path) as tmp:
                encode_mp3(to_segment(pcm, rate, channels), tmp, show.audio.bitrate)
                write_tags(tmp, _tags(show, episode, cover, title=item.title))
        items.append({
            "clip": name,
            "clip_bytes": path.stat().st_size,
            "start_ms": round(placed.start_ms, 1),
            "end_ms": round(placed.end_ms, 1),
        })

    out = ep_dir / "episode.mp3"
    with atomic_path(out) as tmp:
        encode_mp3(mix, tmp, show.audio.bitrate)
        write_tags(tmp, _tags(show, episode, cover, title=episode.title))
        size, digest = tmp.stat().st_size, sha256_file(tmp)
    duration_ms = len(mix.raw_data) / (2 * channels) / rate * 1000
    return AudioResult(duration_ms=duration_ms, bytes=size, sha256=digest, items=items)


def _tags(show: Show, episode: Episode, cover: Path, title: str) -> EpisodeTags:
    return EpisodeTags(
        title=title,
        artist=show.author,
        album=show.title,
        date=episode.date.isoformat(),
        track=episode.number,
        description=episode.summary,
        cover=cover,
    )
