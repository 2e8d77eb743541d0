"""Word boundaries <-> positions in the spoken text: coverage checks and cue text."""

from __future__ import annotations

from dataclasses import dataclass

from studio.speech.base import Boundary
from studio.speech.text import _SPEAKABLE

_SEARCH_WINDOW = 200  # how far ahead a boundary's text may be found


@dataclass
class Placed:
    boundary: Boundary
    start: int  # character span of the word in the text
    end: int


def place_words(text: str, boundaries: list[Boundary]) -> list[Placed]:
    """Find each word boundary's text in `text`, in order; words not found are skipped."""
    placed: list[Placed] = []
    pos = 0
    for b in boundaries:
        if b.kind != "word" or not b.text.strip():
            continue
        word = b.text.strip()
        i = text.find(word, pos, pos + _SEARCH_WINDOW + len(word))
        if i < 0:
            continue
        placed.append(Placed(b, i, i + len(word)))
        pos = i + len(word)
    return placed


def speakable_count(text: str) -> int:
    return len(_SPEAKABLE.findall(text))


MIN_MS_PER_CHAR = 50  # faster than any voice speaks one character


def coverage_problem(text: str, boundaries: list[Boundary], audio_ms: float) -> str | None:
    """None when the audio covers the whole text: the word boundaries reach its end,
    or (when the service spelled the last words differently, e.g. numbers) the audio
    runs on after the last matched word long enough to say what is left."""
    placed = place_words(text, boundaries)
    total = speakable_count(text)
    if not placed:
        return "no word boundaries match the text" if total else None
    last = placed[-1].boundary
    if audio_ms + 250 < last.offset_ms:
        return f"audio is {audio_ms:.0f} ms long but words run to {last.offset_ms:.0f} ms"
    missing = speakable_count(text[placed[-1].end :])
    if missing <= max(3, total // 50):
        return None
    after_ms = audio_ms - (last.offset_ms + last.duration_ms)
    if after_ms >= missing * MIN_MS_PER_CHAR:
        return None
    return f"audio stops early: the last {missing} of {total} characters were not spoken"
