"""Lay out an episode: intro jingle -> items (gaps, stingers) -> outro jingle, as raw PCM pieces.

Every clip is decoded once (resampled to the episode's rate and layout, measured on the way)
into a staging file (studio.audio.decoder); each piece of the mix (studio.audio.pieces) is then
written front to back from it straight into its encoder. Memory holds a clip at a time.
Gain, fades and overlays work on s16 samples with audioop (C speed, exact lengths).
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from studio.audio.ffmpeg import Loudness, decode_measured, sample_peak_db

with warnings.catch_warnings():  # stdlib up to 3.12 (deprecated there), audioop-lts from 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

SILENT = -70.0  # LUFS: ebur128's absolute gate; quieter means "no speech"


@dataclass
class Part:
    """A decoded sound in the staging file."""

    offset: int
    size: int
    loudness: Loudness
    peak_db: float  # sample peak, dBFS
    key: str = ""  # what it was decoded from (studio.audio.decoder), "" for nothing

    @property
    def silent(self) -> bool:
        return self.size == 0 or not self.loudness.integrated > SILENT


class Stage:
    """Decoded PCM of every clip and jingle, appended to one temp file."""

    def __init__(self, path: Path, rate: int, channels: int):
        self.path, self.rate, self.channels = path, rate, channels
        self.frame = 2 * channels
        self._file = open(path, "w+b")
        self._lock = threading.Lock()

    def add(self, source: bytes | Path) -> Part:
        if isinstance(source, (bytes, bytearray)) and not source:  # an item with nothing to say
            return Part(0, 0, Loudness(SILENT, -math.inf), -math.inf)
        return self.append(*decode_measured(source, self.rate, self.channels))

    def append(self, pcm: bytes, loudness: Loudness, key: str = "") -> Part:
        pcm = pcm[: len(pcm) - len(pcm) % self.frame]
        with self._lock:
            self._file.seek(0, os.SEEK_END)
            offset = self._file.tell()
            self._file.write(pcm)
        return Part(offset, len(pcm), loudness, sample_peak_db(pcm), key)

    def read(self, part: Part) -> bytes:
        with self._lock:
            self._file.seek(part.offset)
            return self._file.read(part.size)

    def close(self) -> None:
        self._file.close()


def db_to_factor(db: float) -> float:
    return 10 ** (db / 20)


def apply_gain(pcm: bytes, db: float) -> bytes:
    return pcm if abs(db) < 0.01 else audioop.mul(pcm, 2, db_to_factor(db))


def fade(pcm: bytes, frame: int, rate: int, seconds: float, out: bool, floor_db: float | None = None) -> bytes:
    """An S-curve fade over the first (fade in) or last (fade out) `seconds`, in steps of at most 5 ms."""
    n = min(len(pcm) // frame, int(round(seconds * rate)))
    if n <= 0:
        return pcm
    step = max(1, min(rate // 200, n // 64))
    region = pcm[-n * frame:] if out else pcm[: n * frame]
    chunks = []
    for i in range(0, n, step):
        x = (i + step / 2) / n
        gain = 0.5 - 0.5 * math.cos(math.pi * min(x, 1.0))  # 0 -> 1
        if out:
            gain = 1 - gain
        if floor_db is not None:
            gain *= db_to_factor(floor_db)
        chunks.append(audioop.mul(region[i * frame : min(n, i + step) * frame], 2, gain))
    faded = b"".join(chunks)
    return pcm[: len(pcm) - n * frame] + faded if out else faded + pcm[n * frame :]


@dataclass
class Placement:
    """Where a clip's speech sits in the mix, in frames (samples per channel)."""

    start: int
    end: int


@dataclass
class Jingles:
    intro: Part | None = None
    outro: Part | None = None
    stinger: Part | None = None


@dataclass
class Layout:
    gap_s: float
    music_under_s: float
    fade_in_s: float
    fade_out_s: float


@dataclass
class PieceMix:
    """What one piece of the episode holds (studio.audio.pieces cuts the episode into pieces)."""

    first: int  # index of its first item
    parts: list[Part]  # its items' speech
    gains: list[float]  # dB applied to each
    music_db: float  # dB applied to the jingles in it
    intro: bool = True  # starts the episode (intro jingle)
    outro: bool = True  # ends the episode (outro jingle)
    after_cut: bool = False  # starts in the middle of the gap before its first item
    before_cut: bool = False  # ends in the middle of the gap after its last item
    spoken_before: bool = False  # an earlier piece has speech
    align: int = 0  # with a cut after it: end it `align` samples short of a multiple of `align`


def write_piece(
    out: BinaryIO, stage: Stage, piece: PieceMix, jingles: Jingles, layout: Layout,
    new_section: Callable[[int], bool],
) -> tuple[list[Placement], int]:
    """Write a piece's PCM to `out`; return each item's placement in it and its length in frames.

    Pieces written one after the other make the whole episode: intro (fading under the first
    speech) -> items with a gap between spoken ones (and a stinger where a section starts) ->
    outro. A cut falls in the middle of a gap.
    """
    frame, rate = stage.frame, stage.rate
    gap_frames = int(round(layout.gap_s * rate))
    gap = bytes(gap_frames * frame)
    written = 0

    def emit(pcm: bytes) -> None:
        nonlocal written
        out.write(pcm)
        written += len(pcm)

    def music(part: Part) -> bytes:
        return apply_gain(stage.read(part), piece.music_db)

    pending_tail = b""  # intro music that keeps playing under the first speech
    if piece.intro and jingles.intro:
        intro = fade(music(jingles.intro), frame, rate, layout.fade_in_s, out=False)
        first = next((c for c in piece.parts if c.size), None)
        under = min(int(layout.music_under_s * rate) * frame, len(intro), first.size if first else 0)
        emit(intro[: len(intro) - under])
        pending_tail = fade(intro[len(intro) - under :], frame, rate, under / frame / rate, out=True, floor_db=-6.0)

    placements: list[Placement] = []
    spoken = piece.spoken_before
    for k, (part, gain) in enumerate(zip(piece.parts, piece.gains)):
        start = written // frame
        if part.size == 0:
            placements.append(Placement(start, start))
            continue
        if spoken:
            emit(bytes((gap_frames - gap_frames // 2) * frame) if k == 0 and piece.after_cut else gap)
            if jingles.stinger and new_section(piece.first + k):
                emit(music(jingles.stinger))
                emit(gap)
        pcm = apply_gain(stage.read(part), gain)
        start = written // frame
        if pending_tail:
            head = audioop.add(pcm[: len(pending_tail)], pending_tail, 2)
            pcm = head + pcm[len(pending_tail) :]
            pending_tail = b""
        emit(pcm)
        spoken = True
        placements.append(Placement(start, written // frame))
    if piece.before_cut:
        tail = gap_frames // 2
        if piece.align:  # whole MP3 frames: the codec adds `align` samples, the cut moves < half a frame
            nominal = written // frame + tail
            tail = max(0, round(nominal / piece.align) * piece.align - piece.align - written // frame)
        emit(bytes(tail * frame))
    elif piece.outro and jingles.outro:
        if spoken:
            emit(gap)
        emit(fade(music(jingles.outro), frame, rate, layout.fade_out_s, out=True))
    return placements, written // frame
