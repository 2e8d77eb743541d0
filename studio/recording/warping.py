"""Align a reference with a recording, coarse to fine, with costs measured on the pair itself.

Level 1 warps averages of 32 frames (1.28 s) over the whole recording; each finer level (4,
then 1 frame) warps only a band around the path found above it (studio.recording.dtw), so a
60-minute recording costs a few million cells instead of billions. How far apart two frames
must be to count as "not the same sound" depends on the voices and the room: every level is
warped twice, the second time with its caps set from the distances of the frames the first
path matched (`matched`) against those of random voiced pairs (`unrelated`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.recording.dtw import Band, Costs, band_around, full_band, warp
from studio.recording.features import LOUD

LEVELS = ((32, 0), (4, 24), (1, 16))  # (frames averaged, band radius in that level's frames)
K_REC, K_FILL, K_REF, K_DOWN = 0.6, 0.4, 0.5, 0.2  # caps between `matched` and `unrelated`, see costs()
SAMPLES = 4000  # random pairs measured for `unrelated`


@dataclass
class Path:
    rows: np.ndarray  # reference frame of each step
    cols: np.ndarray  # recording frame of each step
    matched: float  # median distance of the voiced frames it matched
    unrelated: float  # median distance of random voiced pairs

    def last_cols(self, count: int) -> np.ndarray:
        """For every reference frame, the last recording frame it was matched with."""
        out = np.zeros(count, np.int64)
        out[self.rows] = self.cols  # later steps overwrite earlier ones
        return out

    def first_cols(self, count: int) -> np.ndarray:
        out = np.zeros(count, np.int64)
        out[self.rows[::-1]] = self.cols[::-1]
        return out


def pooled(x: np.ndarray, factor: int) -> np.ndarray:
    """Means of `factor` consecutive rows (the last block padded with its own mean)."""
    if factor == 1:
        return x
    n = -(-len(x) // factor)
    pad = n * factor - len(x)
    if pad:
        x = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)])
    return x.reshape(n, factor, *x.shape[1:]).mean(axis=1)


def costs(matched: float, unrelated: float, filler: np.ndarray) -> Costs:
    """Caps as fractions of the gap between a matched and an unrelated pair of frames.

    A right move is capped a little over half way (a slower host costs what matching does; a
    sound that matches nothing costs no more than that); a filler row lower, under which
    matching real speech is still cheaper; skipping reference frames costs more than any
    unrelated pair, and each down move a little extra so a run of them is never free.
    """
    span = max(unrelated - matched, 1e-3)
    rec = np.where(filler, matched + K_FILL * span, matched + K_REC * span)
    return Costs(skip_ref=unrelated + K_REF * span, skip_rec=rec, down_extra=K_DOWN * span)


def _voiced(x: np.ndarray) -> np.ndarray:
    return np.flatnonzero(x[:, LOUD] > 0)


def unrelated_distance(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """Median and 5th percentile of distances between random voiced frames of `a` and `b`."""
    va, vb = _voiced(a), _voiced(b)
    if not len(va) or not len(vb):
        return 1.0, 0.1
    d = np.linalg.norm(a[rng.choice(va, SAMPLES)] - b[rng.choice(vb, SAMPLES)], axis=1)
    return float(np.median(d)), float(np.percentile(d, 5))


def matched_distance(a: np.ndarray, b: np.ndarray, rows: np.ndarray, cols: np.ndarray, default: float) -> float:
    ok = (a[rows, LOUD] > 0) & (b[cols, LOUD] > 0)
    if ok.sum() < 10:
        return default
    return float(np.median(np.linalg.norm(a[rows[ok]] - b[cols[ok]], axis=1)))


def align(ref: np.ndarray, filler: np.ndarray, rec: np.ndarray, seed: int = 0) -> Path:
    """The warping path of `ref` (with its filler rows) against `rec`, at full resolution."""
    rng = np.random.default_rng(seed)
    path: tuple[np.ndarray, np.ndarray] | None = None
    above = 1
    matched = unrelated = 0.0
    for factor, radius in LEVELS:
        a, b = pooled(ref, factor), pooled(rec, factor)
        fill = pooled(filler.astype(np.float32), factor) > 0
        unrelated, low = unrelated_distance(a, b, rng)
        if path is None:
            band: Band = full_band(len(a), len(b))
        else:
            band = band_around(path[0], path[1], above // factor, radius, len(a), len(b))
        matched = low
        for _ in range(2):
            path = warp(a, b, band, costs(matched, unrelated, fill))
            matched = matched_distance(a, b, path[0], path[1], low)
        above = factor
    assert path is not None
    return Path(path[0], path[1], matched, unrelated)
