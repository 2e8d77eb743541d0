"""Episode transcripts: each clip's word boundaries, shifted by the clip's start in
the final mix, grouped into cues of one line (<= 65 characters) -> VTT and SRT."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from studio.fsutil import atomic_write_text
from studio.speech.align import place_words
from studio.speech.base import Clip

MAX_LINE = 65
MAX_PAUSE_MS = 1500  # a longer silence between words starts a new cue
TRANSCRIPTS = [
    {"file": "transcript.vtt", "type": "text/vtt"},
    {"file": "transcript.srt", "type": "application/x-subrip"},
]
_SENTENCE_END = re.compile(r"[。！？!?；;…]|\.(\s|$)")


@dataclass
class Cue:
    start_ms: float
    end_ms: float
    text: str


def clip_cues(clip: Clip, start_ms: float) -> list[Cue]:
    """Group a clip's words into cues; each cue's text runs to where the next cue starts,
    so punctuation and words without a boundary of their own are not lost."""
    text = clip.text
    placed = place_words(text, clip.boundaries) if text else []
    groups: list[list] = []
    for w in placed:
        if groups:
            group = groups[-1]
            prev = group[-1]
            pause = w.boundary.offset_ms - (prev.boundary.offset_ms + prev.boundary.duration_ms)
            if (_SENTENCE_END.search(text[prev.end : w.start]) or pause > MAX_PAUSE_MS
                    or len(" ".join(text[group[0].start : w.end].split())) > MAX_LINE):
                groups.append([w])
                continue
            group.append(w)
        else:
            groups.append([w])
    cues: list[Cue] = []
    for n, group in enumerate(groups):
        end_char = groups[n + 1][0].start if n + 1 < len(groups) else len(text)
        first, last = group[0].boundary, group[-1].boundary
        cue_text = " ".join(text[group[0].start : end_char].split())
        cues.extend(_split_long(cue_text, start_ms + first.offset_ms,
                                start_ms + last.offset_ms + max(last.duration_ms, 1.0)))
    return cues


def _split_long(text: str, start: float, end: float) -> list[Cue]:
    if len(text) <= MAX_LINE:
        return [Cue(start, end, text)]
    parts = [text[i : i + MAX_LINE].strip() for i in range(0, len(text), MAX_LINE)]
    step = (end - start) / len(parts)
    return [Cue(start + n * step, start + (n + 1) * step, p) for n, p in enumerate(parts) if p]


def episode_cues(clips: list[Clip], starts_ms: list[float]) -> list[Cue]:
    cues = [c for clip, start in zip(clips, starts_ms) for c in clip_cues(clip, start)]
    cues.sort(key=lambda c: c.start_ms)
    for cur, nxt in zip(cues, cues[1:]):  # no overlaps: a cue ends where the next begins
        cur.end_ms = min(cur.end_ms, nxt.start_ms)
    return [c for c in cues if c.end_ms > c.start_ms and c.text]


def _stamp(ms: float, sep: str) -> str:
    ms = max(0, round(ms))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_vtt(cues: list[Cue]) -> str:
    def esc(t: str) -> str:
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [f"{_stamp(c.start_ms, '.')} --> {_stamp(c.end_ms, '.')}\n{esc(c.text)}" for c in cues]
    return "WEBVTT\n\n" + "".join(b + "\n\n" for b in blocks)


def to_srt(cues: list[Cue]) -> str:
    return "".join(
        f"{n}\n{_stamp(c.start_ms, ',')} --> {_stamp(c.end_ms, ',')}\n{c.text}\n\n" for n, c in enumerate(cues, 1)
    )


def write_transcripts(ep_dir: Path, clips: list[Clip], starts_ms: list[float]) -> list[Cue]:
    cues = episode_cues(clips, starts_ms)
    atomic_write_text(Path(ep_dir) / "transcript.vtt", to_vtt(cues))
    atomic_write_text(Path(ep_dir) / "transcript.srt", to_srt(cues))
    return cues
