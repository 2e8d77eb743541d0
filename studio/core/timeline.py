"""One timeline for every listing of an episode: chapters (ID3, chapters.json, the feed),
show notes, the site and the email all take an item's start and the episode's length from here.

- An item is listed at the start of its chapter. The first item with speech starts at 0 (its
  chapter holds the intro jingle: a player's "chapter 1" is the start of the episode); every
  other item with speech at its speech's first sample, in whole milliseconds. An item without
  speech has no chapter of its own: it is listed where the chapter playing at its place began.
- The episode's length is whole seconds, rounded to the nearest (half up), at least 1: what
  `itunes:duration` says and what the site and the email show.
"""

from __future__ import annotations

from typing import Iterable


def listed_starts(spans: Iterable[tuple[float, float]]) -> list[int]:
    """Each item's start as every listing shows it (ms), from its speech's (start_ms, end_ms)."""
    starts, current, first = [], 0, True
    for start, end in spans:
        if end > start:  # the item has speech: it begins a chapter
            current = 0 if first else round(start)
            first = False
        starts.append(current)
    return starts


def length_seconds(duration_ms: float) -> int:
    """The episode's length in whole seconds: nearest, half up, at least 1."""
    return max(1, int(duration_ms / 1000 + 0.5))
