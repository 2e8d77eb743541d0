"""Chapters: one per item with speech, the same starts in chapters.json, ID3 CHAP and the feed.

Starts follow the one timeline (studio.core.timeline): the first chapter starts at 0 and so
holds the intro jingle, every other where its item's speech starts; each ends where the next
starts, the last at the episode's end. A chapter's link is the item's first link that is an
https URL (`http` is upgraded; `data:`, `javascript:` and relative links never become one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from studio.core.links import https_link
from studio.core.model import Link
from studio.core.timeline import listed_starts


@dataclass
class Timed:
    """An item where it is in the episode (from the mix, or read back from a manifest)."""

    title: str
    start_ms: float
    end_ms: float
    links: list[Link]


def chapter_url(links: list[Link]) -> str:
    """The first https link of an item, or ""."""
    for link in links or []:
        url = https_link(link.url)
        if url:
            return url
    return ""


def chapters_of(items: list[Timed], total_ms: float) -> list[dict[str, Any]]:
    """Chapters from the items with speech, in episode order (and so in time order)."""
    starts = listed_starts((it.start_ms, it.end_ms) for it in items)
    voiced = [(start, it) for start, it in zip(starts, items) if it.end_ms > it.start_ms]
    chapters = []
    for n, (start, item) in enumerate(voiced):
        end = voiced[n + 1][0] if n + 1 < len(voiced) else max(start, round(total_ms))
        chapters.append({"start_ms": start, "end_ms": end, "title": item.title, "url": chapter_url(item.links)})
    return chapters


def chapters_json(author: str, podcast: str, title: str, chapters: list[dict[str, Any]],
                  images: dict[str, str]) -> str:
    """Podcasting 2.0 JSON chapters (https://github.com/Podcastindex-org/podcast-namespace)."""
    out = []
    for ch in chapters:
        entry: dict[str, Any] = {"startTime": ch["start_ms"] / 1000, "endTime": ch["end_ms"] / 1000, "title": ch["title"]}
        if ch["url"]:
            entry["url"] = ch["url"]
        if ch["title"] in images:
            entry["img"] = images[ch["title"]]
        out.append(entry)
    doc = {"version": "1.2.0", "author": author, "title": title, "podcastName": podcast, "chapters": out}
    return json.dumps(doc, ensure_ascii=False, indent=1)
