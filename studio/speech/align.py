"""Boundaries <-> positions in the spoken text: coverage checks and cue text.

A service may send word boundaries, only sentence boundaries, or none at all
(the official REST APIs never do). Coverage is then shown by sentences, or by
an audio duration plausible for the text: a minimum speaking time per
speakable character, so a clip cut short is still caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.core.lazy import lazy_pattern
from studio.speech.base import Boundary
from studio.speech.text import _SPEAKABLE

_SEARCH_WINDOW = 200  # how far ahead a boundary's text may be found
_CJK = lazy_pattern(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MIN_MS_PER_CHAR = 50  # faster than any voice speaks one character
MIN_MS_CJK = 140  # no voice reads a CJK syllable faster at rate +0% (about 7 per second)
MIN_MS_OTHER = 40  # a Latin letter or digit (about 300 words per minute)


@dataclass
class PlacedWord:
    boundary: Boundary
    start: int  # character span of the word (or sentence) in the text
    end: int


def place_words(text: str, boundaries: list[Boundary], kind: str = "word") -> list[PlacedWord]:
    """Find each boundary's text of `kind` in `text`, in order; those not found are skipped."""
    placed: list[PlacedWord] = []
    pos = 0
    for b in boundaries:
        if b.kind != kind or not b.text.strip():
            continue
        word = b.text.strip()
        i = text.find(word, pos, pos + _SEARCH_WINDOW + len(word))
        if i < 0:
            continue
        placed.append(PlacedWord(b, i, i + len(word)))
        pos = i + len(word)
    return placed


def speakable_count(text: str) -> int:
    return len(_SPEAKABLE.findall(text))


def rate_factor(rate: str) -> float:
    """'+50%' -> 1.5: how much faster than normal the voice was asked to speak."""
    try:
        return max(0.25, 1 + int(rate.strip().rstrip("%")) / 100)
    except ValueError:
        return 1.0


def plausible_ms(text: str, rate: str = "+0%") -> float:
    """The shortest audio a voice could read `text` in at `rate`."""
    cjk = len(_CJK.findall(text))
    other = max(0, speakable_count(text) - cjk)
    return (cjk * MIN_MS_CJK + other * MIN_MS_OTHER) / rate_factor(rate)


def timing_of(text: str, boundaries: list[Boundary]) -> str:
    """Which boundaries can time this text: "word", "sentence" or "none"."""
    for kind in ("word", "sentence"):
        if place_words(text, boundaries, kind):
            return kind
    return "none"


def coverage_problem(text: str, boundaries: list[Boundary], audio_ms: float, rate: str = "+0%") -> str | None:
    """None when the audio covers the whole text; else what is missing.

    By word boundaries: they reach the end of the text, or (when the service spelled
    the last words differently, e.g. numbers) the audio runs on after the last
    matched word long enough to say what is left. By sentence boundaries the same,
    and the audio must reach the last sentence's end. With neither, the audio must
    last as long as the text takes to say at the fastest plausible pace.
    """
    total = speakable_count(text)
    if not total:
        return None
    kind = timing_of(text, boundaries)
    if kind == "none":
        need = plausible_ms(text, rate)
        if audio_ms < need:
            return f"audio is {audio_ms:.0f} ms long, too short for {total} characters (at least {need:.0f} ms)"
        return None
    placed = place_words(text, boundaries, kind)
    last = placed[-1].boundary
    reach = last.offset_ms + (last.duration_ms if kind == "sentence" else 0)
    if audio_ms + 250 < reach:
        return f"audio is {audio_ms:.0f} ms long but {kind}s run to {reach:.0f} ms"
    missing = speakable_count(text[placed[-1].end :])
    if missing <= max(3, total // 50):
        return None
    after_ms = audio_ms - (last.offset_ms + last.duration_ms)
    if after_ms >= missing * MIN_MS_PER_CHAR:
        return None
    return f"audio stops early: the last {missing} of {total} characters were not spoken"
