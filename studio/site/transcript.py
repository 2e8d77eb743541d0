"""The transcript page's text: the WebVTT cues (subtitle lines, cut wherever a line was full, even inside
a word or a number) joined back into whole sentences, and those into paragraphs, each sentence with the
time it starts.

Where two cues meet, the item's own text says whether a space was there ("2" + "023" is "2023",
"Character." + "ai" is "Character.ai", "the cat" + "sat" keeps its space); without it, a space goes only
between two Latin letters.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from studio.core.lazy import lazy_pattern
from studio.ingest.textwidth import width
from studio.present.labels import clock

MAX_CUES = 20_000  # a transcript with more cues is shown only as the raw files
PARAGRAPH_COLUMNS = 240  # display columns: a paragraph ends at the first sentence end past this
_CUE_TIME = lazy_pattern(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})\s*-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})")
_SENTENCE = lazy_pattern(r".+?(?:[。！？!?；…]+[”’」』）)\"']*|[.!?]+[”’)\"']*(?=\s)|$)", re.S)
_CJK_END = lazy_pattern(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef”’」』）]$")
_KEY = 24  # letters on each side of a junction looked up in the item's text


def read_vtt(path: Path) -> list[dict[str, Any]]:
    """The cues of a WebVTT file: [{"start_ms", "end_ms", "text"}] (our own transcripts; other blocks are skipped)."""
    cues = []
    for block in re.split(r"\r?\n\s*\r?\n", path.read_text("utf-8", errors="replace")):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = _CUE_TIME.search(line)
            if m:
                h, mi, s, ms, h2, mi2, s2, ms2 = (int(g or 0) for g in m.groups())
                text = unescape(" ".join(x.strip() for x in lines[i + 1:] if x.strip()))
                if text:
                    cues.append({"start_ms": ((h * 60 + mi) * 60 + s) * 1000 + ms,
                                 "end_ms": ((h2 * 60 + mi2) * 60 + s2) * 1000 + ms2, "text": text})
                break
        if len(cues) >= MAX_CUES:
            break
    return cues


def _is_key(ch: str) -> bool:
    return ch.isalnum()


def _letters(text: str) -> tuple[str, list[bool]]:
    """The letters and digits of `text` (lower-cased), and for each whether white space came before it."""
    keys, gaps, gap = [], [], False
    for ch in text:
        if ch.isspace():
            gap = True
        elif _is_key(ch) and len(ch.lower()) == 1:
            keys.append(ch.lower())
            gaps.append(gap)
            gap = False
    return "".join(keys), gaps


class Source:
    """An item's written text, to tell where the cues' cuts had a space."""

    def __init__(self, text: str):
        self.keys, self.gaps = _letters(text)
        self.pos = 0

    def space_between(self, left: str, right: str) -> bool | None:
        a, _ = _letters(left[-3 * _KEY:])
        b, _ = _letters(right[: 3 * _KEY])
        a, b = a[-_KEY:], b[:_KEY]
        if not a or not b:
            return None
        at = self.keys.find(a + b, self.pos)
        if at < 0:
            at = self.keys.find(a + b)
        if at < 0:
            return None
        self.pos = at + len(a)
        return self.gaps[at + len(a)]


def _joint(left: str, right: str, source: Source | None) -> str:
    known = source.space_between(left, right) if source else None
    if known is not None:
        return " " if known else ""
    a, b = left[-1], right[0]
    return " " if a.isascii() and a.isalpha() and b.isascii() and b.isalnum() else ""


def sentences(cues: list[dict[str, Any]], source_text: str = "") -> list[dict[str, Any]]:
    """The cues' text as whole sentences: [{"text", "start_ms", "after"}], each starting when its first
    character is said; `after` is the space that follows it in the text ("" between Chinese sentences)."""
    text, times = "", []
    source = Source(source_text) if source_text else None
    for cue in cues:
        words = " ".join(cue["text"].split())
        if not words:
            continue
        if text:
            joint = _joint(text, words, source)
            text += joint
            times += [cue["start_ms"]] * len(joint)
        span = max(0.0, cue.get("end_ms", cue["start_ms"]) - cue["start_ms"])
        text += words
        times += [cue["start_ms"] + span * i / len(words) for i in range(len(words))]
    out: list[dict[str, Any]] = []
    for m in _SENTENCE.finditer(text):
        said = m.group()
        lead = len(said) - len(said.lstrip())
        if out and lead and not _CJK_END.search(out[-1]["text"]):
            out[-1]["after"] = " "  # the space the text had between two sentences (none after Chinese ones)
        if said.strip():
            out.append({"text": said.strip(), "start_ms": times[m.start() + lead], "after": ""})
    return out


def paragraphs(said: list[dict[str, Any]], columns: int = PARAGRAPH_COLUMNS) -> list[dict[str, Any]]:
    """Sentences grouped into paragraphs of about `columns` display columns: [{"start_ms", "sentences"}]."""
    out: list[dict[str, Any]] = []
    used = columns
    for s in said:
        if used >= columns:
            out.append({"start_ms": s["start_ms"], "sentences": []})
            used = 0
        out[-1]["sentences"].append(s)
        used += sum(width(c) for c in s["text"])
    for p in out:
        p.update(start_s=f"{p['start_ms'] / 1000:.1f}", clock=clock(p["start_ms"]))
        for s in p["sentences"]:
            s["start_s"] = f"{s['start_ms'] / 1000:.1f}"
    return out
