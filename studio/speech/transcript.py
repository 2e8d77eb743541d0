"""Episode transcripts: each clip's word boundaries, shifted by the clip's start in
the final mix, grouped into cues of one line (<= 65 characters) -> VTT and SRT.

Without word boundaries, cues follow the sentence boundaries; without those,
sentences are timed in proportion to their characters within the clip. Cue text
is the written text: lexicon respellings change the speech only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from studio.core.fsutil import atomic_write_text
from studio.core.lazy import lazy_pattern
from studio.speech.align import place_words, speakable_count, timing_of
from studio.speech.assemble import clip_duration_ms
from studio.speech.base import Clip
from studio.speech.text import speech_sentences

CUE_LINE_MAX = 65
MAX_PAUSE_MS = 1500  # a longer silence between words starts a new cue
TRANSCRIPTS = [
    {"file": "transcript.vtt", "type": "text/vtt"},
    {"file": "transcript.srt", "type": "application/x-subrip"},
]
_SENTENCE_END = lazy_pattern(r"[。！？!?；;…]|\.(\s|$)")


@dataclass
class Cue:
    start_ms: float
    end_ms: float
    text: str


TIMINGS = {
    "word": "word boundaries",
    "sentence": "sentence boundaries (the voice sent no word boundaries)",
    "none": "characters in proportion to each clip's length (the voice sent no boundaries)",
}


def _shown(clip: Clip, start: int, end: int) -> str:
    text = clip.shown.shown(start, end) if clip.shown is not None else clip.text[start:end]
    return " ".join(text.split())


def timing_note(clips: list[Clip]) -> str:
    """One line saying how the transcript was timed."""
    used = list(dict.fromkeys(timing_of(c.text, c.boundaries) for c in clips if c.text))
    return "Transcript timed by " + "; ".join(TIMINGS[k] for k in used or ["word"])


def clip_cues(clip: Clip, start_ms: float) -> list[Cue]:
    kind = timing_of(clip.text, clip.boundaries) if clip.text else "word"
    if kind == "sentence":
        return _sentence_cues(clip, start_ms)
    if kind == "none":
        return _proportional_cues(clip, start_ms)
    return _word_cues(clip, start_ms)


def _sentence_cues(clip: Clip, start_ms: float) -> list[Cue]:
    placed = place_words(clip.text, clip.boundaries, "sentence")
    cues: list[Cue] = []
    for n, s in enumerate(placed):
        start_char = 0 if n == 0 else s.start
        end_char = placed[n + 1].start if n + 1 < len(placed) else len(clip.text)
        b = s.boundary
        cues.extend(_split_long(_shown(clip, start_char, end_char), start_ms + b.offset_ms,
                                start_ms + b.offset_ms + max(b.duration_ms, 1.0)))
    return cues


def _proportional_cues(clip: Clip, start_ms: float) -> list[Cue]:
    text, duration = clip.text, clip_duration_ms(clip)
    spans, pos = [], 0
    for sentence in speech_sentences(text):
        spans.append((pos, pos + len(sentence), speakable_count(sentence)))
        pos += len(sentence)
    total = sum(n for _, _, n in spans) or 1
    cues: list[Cue] = []
    t = start_ms
    for a, b, n in spans:
        span_ms = duration * n / total
        if n:
            cues.extend(_split_long(_shown(clip, a, b), t, t + span_ms))
        t += span_ms
    return cues


def _word_cues(clip: Clip, start_ms: float) -> list[Cue]:
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
                    or len(" ".join(text[group[0].start : w.end].split())) > CUE_LINE_MAX):
                groups.append([w])
                continue
            group.append(w)
        else:
            groups.append([w])
    cues: list[Cue] = []
    for n, group in enumerate(groups):
        end_char = groups[n + 1][0].start if n + 1 < len(groups) else len(text)
        first, last = group[0].boundary, group[-1].boundary
        cue_text = _shown(clip, group[0].start, end_char)
        cues.extend(_split_long(cue_text, start_ms + first.offset_ms,
                                start_ms + last.offset_ms + max(last.duration_ms, 1.0)))
    return cues


def _split_long(text: str, start: float, end: float) -> list[Cue]:
    if len(text) <= CUE_LINE_MAX:
        return [Cue(start, end, text)]
    parts = [text[i : i + CUE_LINE_MAX].strip() for i in range(0, len(text), CUE_LINE_MAX)]
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
