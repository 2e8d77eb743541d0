"""Cut the cleaned-up recording into one clip per located item, shaped like synthesized clips.

Clip k runs from just before item k's speech (LEAD_KEEP) to just before the next located
item's, so everything between two items (an ad-lib, a retake, a cough) stays with the item
before it, and whatever comes before the first item (the host's own jingle) with the first.
Then only quiet is taken off a clip's ends, keeping LEAD_KEEP before its first sound and
TAIL_KEEP after its last: the audio stage puts the show's own gap between items. No sound is
ever dropped. An item that was not located gets an empty clip (no audio, no transcript);
whatever the host said for it stays in the clip before. Word and sentence boundaries are
shifted to each clip's start, so transcripts are timed exactly as for a synthesized clip.
"""

from __future__ import annotations

import io
import wave
from dataclasses import replace
from pathlib import Path

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

from studio.recording.features import FRAME_S
from studio.recording.locate import PlacedItem
from studio.recording.reference import ItemSpan
from studio.speech.base import Boundary, Clip

RECORDING_ENGINE = "recording"
LEAD_KEEP = 0.25  # seconds of quiet kept before a clip's first sound
TAIL_KEEP = 0.4  # ...and after its last


def wav_bytes(pcm: bytes, rate: int, channels: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def windows(placed: list[PlacedItem], sound: np.ndarray, total_s: float) -> list[tuple[float, float] | None]:
    """(start, end) seconds of every item's clip in the recording; None for an item not located."""
    located = [k for k, p in enumerate(placed) if p.located]
    cuts = [0.0]
    for prev, k in zip(located, located[1:]):
        start = placed[k].start_s
        cuts.append(max(start - LEAD_KEEP, min(start, placed[prev].end_s)))
    cuts.append(total_s)
    out: list[tuple[float, float] | None] = [None] * len(placed)
    for n, k in enumerate(located):
        a, b = cuts[n], cuts[n + 1]
        frames = np.flatnonzero(sound[int(a / FRAME_S) : int(np.ceil(b / FRAME_S))])
        if len(frames):
            first = int(a / FRAME_S) + frames[0]
            last = int(a / FRAME_S) + frames[-1] + 1
            a, b = max(a, first * FRAME_S - LEAD_KEEP), min(b, last * FRAME_S + TAIL_KEEP)
        out[k] = (a, b)
    return out


def item_clips(placed: list[PlacedItem], spans: list[ItemSpan], sound: np.ndarray, pcm_path: Path, rate: int,
               channels: int, frames: int) -> list[Clip]:
    """One clip per item, read from the cleaned-up PCM (s16le, `frames` frames at `rate`)."""
    total_s = frames / rate
    clips = []
    with open(pcm_path, "rb") as pcm:
        for p, span, window in zip(placed, spans, windows(placed, sound, total_s)):
            if window is None:
                clips.append(Clip(audio=b"", fmt="wav", engine=RECORDING_ENGINE))
                continue
            a, b = (min(frames, round(t * rate)) for t in window)
            pcm.seek(a * 2 * channels)
            audio = wav_bytes(pcm.read((b - a) * 2 * channels), rate, channels)
            offset = a / rate
            bounds = [Boundary(w.kind, max(0.0, (w.start_s - offset) * 1000), max(0.0, (w.end_s - w.start_s) * 1000),
                               w.text) for w in p.words]
            clips.append(replace(span.clip, audio=audio, fmt="wav", boundaries=bounds, engine=RECORDING_ENGINE))
    return clips
