"""What the email templates are given: from a built episode's manifest, or a draft straight from its script.

A draft (for previews and size checks before a build) has no audio: start times are the
given ones or estimated from the speech text (~4.5 characters a second).
Times are the one timeline's (studio.core.timeline): an item's `start_ms` is where its chapter
starts (the first at 0), the episode's `duration_ms` its length in whole seconds, as the feed says.
"""

from __future__ import annotations

from typing import Any

from studio.core import urls
from studio.core.config import Show
from studio.core.layout import audio_name
from studio.core.manifest import AudioFile, Manifest, ManifestItem
from studio.core.model import Episode
from studio.core.pubdate import published_at
from studio.core.timeline import length_seconds, listed_starts


def email_context(show: Show, manifest: Manifest) -> dict[str, Any]:
    """The email's context: the episode and its items as dicts, with the URLs each links to."""
    data = manifest.to_json()
    slug = manifest.slug
    page = urls.episode_page(show, slug)
    episode = dict(data, page_url=page, audio_url=urls.audio(show, slug, manifest.audio.file, manifest.audio.sha256),
                   duration_ms=length_seconds(manifest.audio.duration_ms) * 1000)
    starts = listed_starts((it.start_ms, it.end_ms) for it in manifest.items)
    items = [dict(it, start_ms=start, page_url=f"{page}#t={start / 1000:.1f}", clip_url=urls.media_file(show, slug, it["clip"]))
             for it, start in zip(data["items"], starts)]
    return {"show": show, "episode": episode, "items": items, "feed_url": urls.feed(show)}


def estimated_timings(episode: Episode, chars_per_second: float = 4.5, gap_ms: float = 600) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for item in episode.items:
        length = max(1000.0, len(item.speech_text) / chars_per_second * 1000)
        out.append((t, t + length))
        t += length + gap_ms
    return out


def draft_manifest(show: Show, episode: Episode, timings: list[tuple[float, float]] | None = None) -> Manifest:
    """The manifest `episode` would get, without audio (what a build's manifest holds, estimated)."""
    timings = timings or estimated_timings(episode)
    items = [ManifestItem(**item.to_dict(), n=n, start_ms=round(start, 1), end_ms=round(end, 1), clip=f"clips/{n:03d}.mp3")
             for n, (item, (start, end)) in enumerate(zip(episode.items, timings), start=1)]
    pub = published_at(episode.date, show.timezone, show.publish_time, episode.meta.get("pub_date"))
    data = episode.to_dict()
    data.pop("items")
    return Manifest(**data, guid=f"preview-{episode.slug}", pub_date=pub.isoformat(), items=items,
                    audio=AudioFile(audio_name(episode.slug), 0, timings[-1][1] if timings else 0.0),
                    section_images=episode.meta.get("section_images") or {})


def draft_context(show: Show, episode: Episode, timings: list[tuple[float, float]] | None = None) -> dict[str, Any]:
    """The email's context for a script not built yet."""
    return email_context(show, draft_manifest(show, episode, timings))
