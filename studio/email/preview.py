"""An email context straight from an Episode, without synthesizing audio.

Used to preview or size-check the email of a script before building it; start
times are the given ones or estimated from the speech text (~4.5 chars a second).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from studio.core.config import Show
from studio.core.model import Episode


def estimated_timings(episode: Episode, chars_per_second: float = 4.5, gap_ms: float = 600) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for item in episode.items:
        length = max(1000.0, len(item.speech_text) / chars_per_second * 1000)
        out.append((t, t + length))
        t += length + gap_ms
    return out


def manifest_for(episode: Episode, timings: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    """A manifest-shaped dict (as studio.build.make_manifest writes) for `episode`."""
    timings = timings or estimated_timings(episode)
    data = episode.to_dict()
    items = data.pop("items")
    for n, (item, (start, end)) in enumerate(zip(items, timings), start=1):
        item.update(n=n, start_ms=round(start, 1), end_ms=round(end, 1), clip=f"clips/{n:03d}.mp3")
    pub = dt.datetime.combine(episode.date, dt.time(6, 0), dt.timezone(dt.timedelta(hours=8)))
    return {
        **data,
        "guid": f"preview-{episode.slug}",
        "pub_date": pub.isoformat(),
        "audio": {"file": "episode.mp3", "duration_ms": timings[-1][1] if timings else 0.0},
        "email": {"html": "email.html", "text": "email.txt", "eml": "email.eml"},
        "items": items,
        "section_images": episode.meta.get("section_images") or {},
    }


def episode_context(show: Show, episode: Episode, timings: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    from studio.build.episode import page_context

    return page_context(show, manifest_for(episode, timings))
