"""What the email templates are given: from a built episode's manifest, or a draft straight from its script.

A draft (for previews and size checks before a build) has no audio: start times are the
given ones or estimated from the speech text (~4.5 characters a second).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from studio.core import urls
from studio.core.config import Show
from studio.core.layout import AUDIO
from studio.core.manifest import AudioFile, Manifest, ManifestItem
from studio.core.model import Episode


def email_context(show: Show, manifest: Manifest) -> dict[str, Any]:
    """The email's context: the episode and its items as dicts, with the URLs each links to."""
    data = manifest.to_json()
    slug = manifest.slug
    page = urls.episode_page(show, slug)
    episode = dict(data, page_url=page, audio_url=urls.audio(show, slug, manifest.audio.file, manifest.audio.sha256),
                   duration_ms=manifest.audio.duration_ms)
    items = [dict(it, page_url=f"{page}#t={it['start_ms'] / 1000:.1f}", clip_url=urls.media_file(show, slug, it["clip"]))
             for it in data["items"]]
    return {"show": show, "episode": episode, "items": items, "feed_url": urls.feed(show)}


def estimated_timings(episode: Episode, chars_per_second: float = 4.5, gap_ms: float = 600) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for item in episode.items:
        length = max(1000.0, len(item.speech_text) / chars_per_second * 1000)
        out.append((t, t + length))
        t += length + gap_ms
    return out


def draft_manifest(episode: Episode, timings: list[tuple[float, float]] | None = None) -> Manifest:
    """The manifest `episode` would get, without audio (what a build's manifest holds, estimated)."""
    timings = timings or estimated_timings(episode)
    items = [ManifestItem(**item.to_dict(), n=n, start_ms=round(start, 1), end_ms=round(end, 1), clip=f"clips/{n:03d}.mp3")
             for n, (item, (start, end)) in enumerate(zip(episode.items, timings), start=1)]
    pub = dt.datetime.combine(episode.date, dt.time(6, 0), dt.timezone(dt.timedelta(hours=8)))
    data = episode.to_dict()
    data.pop("items")
    return Manifest(**data, guid=f"preview-{episode.slug}", pub_date=pub.isoformat(), items=items,
                    audio=AudioFile(AUDIO, 0, timings[-1][1] if timings else 0.0),
                    section_images=episode.meta.get("section_images") or {})


def draft_context(show: Show, episode: Episode, timings: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    """The email's context for a script not built yet."""
    return email_context(show, draft_manifest(episode, timings))
