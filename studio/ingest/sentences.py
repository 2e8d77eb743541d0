"""Split prose into sentences (Chinese and Latin punctuation), keeping offsets.

A sentence ends at 。！？!?…, at a Latin '.' followed by whitespace (not after
an abbreviation or a lone initial), or at a line break. Periods inside
numbers (1.5) and names (Character.ai) never end a sentence. Text with no
sentence end for MAX_SENTENCE characters is cut there (at a clause mark or a
space near the end when there is one), so one unpunctuated item stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.core.lazy import lazy_pattern

_CLOSERS = re.escape("”’\"'』」）)]》〉")
# Candidate ends; the Latin period is checked in Python (abbreviations).
_END = lazy_pattern(rf"[。！？!?]+[{_CLOSERS}]*|…+[{_CLOSERS}]*|\.{{3,}}[{_CLOSERS}]*|\.[{_CLOSERS}]*(?=\s|$)|\n")
_ABBREV = {"e.g", "i.e", "mr", "mrs", "ms", "dr", "prof", "vs", "etc", "inc", "co", "ltd", "st", "no", "jr", "sr"}
_WORD_BEFORE = lazy_pattern(r"([A-Za-z][A-Za-z.]*)$")
MAX_SENTENCE = 400  # characters
_SOFT_BREAK = lazy_pattern(r"[，,、；;：:\s]")


@dataclass(slots=True)
class Sentence:
    text: str
    start: int  # offset in the text it was split from
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    m = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if not m:
        return False
    word = m.group(1).lower()
    if word in _ABBREV or (len(word) == 1 and m.group(1).isupper()):
        return True  # "Mr." "J."
    parts = word.split(".")
    return len(parts) > 1 and all(0 < len(p) <= 2 for p in parts)  # "p.m." "U.S."


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of `text`; offsets are relative to `offset`. Whitespace-only pieces are skipped."""
    out: list[Sentence] = []
    start = 0
    for m in _END.finditer(text):
        end, mark = m.end(), m.group()
        if mark[0] == "." and not mark.startswith("...") and _is_abbreviation(text, m.start()):
            continue
        if end - start <= MAX_SENTENCE:
            _add_one(out, text, start, end, offset)
        else:
            _add(out, text, start, end, offset)
        start = end
    _add(out, text, start, len(text), offset)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    while end - start > MAX_SENTENCE:
        cut = start + MAX_SENTENCE
        soft = [m.end() for m in _SOFT_BREAK.finditer(text, cut - MAX_SENTENCE // 4, cut)]
        cut = soft[-1] if soft else cut
        _add_one(out, text, start, cut, offset)
        start = cut
    _add_one(out, text, start, end, offset)


def _add_one(out: list[Sentence], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = start + lead
    out.append(Sentence(stripped, offset + s, offset + s + len(stripped)))
