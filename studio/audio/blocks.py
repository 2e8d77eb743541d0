"""Loudness of a whole episode from the measurements of its separately encoded pieces.

ffmpeg's ebur128 filter logs, every 100 ms, the momentary loudness (the last 400 ms) and the
short-term loudness (the last 3 s). Those are exactly the gating blocks of ITU-R BS.1770-4
(400 ms, 75 % overlap) and the short-term values of EBU Tech 3342, so the integrated loudness
and the loudness range of a stream are computed from the blocks of its pieces, gated together,
and its true peak is the highest of theirs. Only the blocks that straddle a cut (in the silence
between items) differ from a measurement of the joined file: well under 0.1 LU.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from studio.audio.ffmpeg import Loudness, parse_ebur128
from studio.core.lazy import lazy_pattern

ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0  # LU under the absolute-gated loudness (integrated)
LRA_GATE = -20.0  # LU (loudness range)
_LINE = lazy_pattern(r"\bt:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-?inf|nan)\s+S:\s*(-?[\d.]+|-?inf|nan)")


@dataclass
class Blocks:
    momentary: list[float] = field(default_factory=list)  # LUFS every 100 ms (400 ms windows)
    short_term: list[float] = field(default_factory=list)  # LUFS every 100 ms (3 s windows)
    true_peak: float = -math.inf  # dBTP

    def to_json(self) -> dict:
        return {"m": self.momentary, "s": self.short_term, "tp": self.true_peak}

    @classmethod
    def from_json(cls, data: dict) -> "Blocks":
        return cls([float(v) for v in data["m"]], [float(v) for v in data["s"]], float(data["tp"]))

    @property
    def loudness(self) -> Loudness:
        return combine([self])


def parse_blocks(stderr: str) -> Blocks:
    """The per-100 ms lines of `ebur128=framelog=verbose` and its summary's true peak."""
    momentary, short = [], []
    for m in _LINE.finditer(stderr):
        t = float(m.group(1))
        if t >= 0.399:  # a full 400 ms window
            momentary.append(_value(m.group(2)))
        if t >= 2.999:
            short.append(_value(m.group(3)))
    return Blocks(momentary, short, parse_ebur128(stderr).true_peak)


def _value(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else -math.inf


def _energy(lufs: float) -> float:
    return 10 ** ((lufs + 0.691) / 10)


def _lufs(energy: float) -> float:
    return -0.691 + 10 * math.log10(energy) if energy > 0 else -math.inf


def integrated(momentary: list[float]) -> float:
    above = [_energy(v) for v in momentary if v > ABSOLUTE_GATE]
    if not above:
        return -70.0  # what ebur128 reports for silence
    gate = _lufs(sum(above) / len(above)) + RELATIVE_GATE
    kept = [e for e, v in zip(above, (v for v in momentary if v > ABSOLUTE_GATE)) if v > gate]
    return round(_lufs(sum(kept) / len(kept)), 1) if kept else -70.0


def loudness_range(short_term: list[float]) -> float:
    above = [v for v in short_term if v > ABSOLUTE_GATE]
    if not above:
        return 0.0
    gate = _lufs(sum(_energy(v) for v in above) / len(above)) + LRA_GATE
    kept = sorted(v for v in above if v > gate)
    if not kept:
        return 0.0
    low, high = kept[round((len(kept) - 1) * 0.10)], kept[round((len(kept) - 1) * 0.95)]
    return round(high - low, 1)


def combine(pieces: list[Blocks]) -> Loudness:
    momentary = [v for p in pieces for v in p.momentary]
    short = [v for p in pieces for v in p.short_term]
    peak = max((p.true_peak for p in pieces), default=-math.inf)
    return Loudness(integrated(momentary), round(peak, 1), loudness_range(short))
