"""Dynamic time warping of a reference (rows) against a recording (columns), in a band,
with capped costs for what one side has and the other has not.

Moves into cell (n, m), where d is the distance of reference frame n to recording frame m:
- diagonal (both advance): d;
- down (the reference advances on the same recording frame: the host is faster than the
  reference voice, or skipped words): min(d + down_extra, skip_ref);
- right (the recording advances on the same reference frame: the host is slower, pauses,
  retakes, ad-libs): min(d, skip_rec[n]). Filler rows (the pauses the reference puts before,
  between and after items) have a lower cap: there a stretch of sound that matches nothing
  (a jingle, an ad-lib, a false start) costs less than bending the neighbouring speech over it.
The path runs from (0, 0) to the last cell; with a filler row first and last, what comes
before the first word and after the last one is passed over.

Each row is solved at once with numpy: the right moves of a row are a running minimum over
cumulative costs (D[m] = C[m] + min over k <= m of (A[k] - C[k]), C the cumulative right-move
costs), so a band of W columns costs O(W) vectorised work per reference frame. Only the
moves (one byte a cell) are kept for the way back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIAGONAL, DOWN, RIGHT, START = 0, 1, 2, 3


@dataclass
class Band:
    """Columns [lo[n], hi[n]) of every row n; lo and hi never decrease."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def cells(self) -> int:
        return int(np.sum(self.hi - self.lo))


@dataclass
class Costs:
    skip_ref: float  # cap of a down move
    skip_rec: np.ndarray  # cap of a right move, per row
    down_extra: float = 0.0  # added to a down move (a run of them is not free)


def full_band(rows: int, cols: int) -> Band:
    return Band(np.zeros(rows, np.int64), np.full(rows, cols, np.int64))


def distances(row: np.ndarray, block: np.ndarray) -> np.ndarray:
    diff = block - row
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def warp(ref: np.ndarray, rec: np.ndarray, band: Band, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest path as (rows, cols) arrays from (0, 0) to (rows - 1, cols - 1), in order."""
    rows = len(ref)
    offsets = np.zeros(rows + 1, np.int64)
    np.cumsum(band.hi - band.lo, out=offsets[1:])
    moves = np.empty(int(offsets[-1]), np.int8)
    prev = np.zeros(0)
    plo = phi = 0
    for n in range(rows):
        lo, hi = int(band.lo[n]), int(band.hi[n])
        d = distances(ref[n], rec[lo:hi]).astype(np.float64)
        if n == 0:
            arrive = np.full(hi - lo, np.inf)
            arrive[0] = d[0] if lo == 0 else np.inf
            choice = np.full(hi - lo, START, np.int8)
        else:
            diag = np.full(hi - lo, np.inf)
            down = np.full(hi - lo, np.inf)
            s, e = max(lo, plo + 1), min(hi, phi + 1)  # m - 1 within the previous row's band
            if e > s:
                diag[s - lo : e - lo] = prev[s - 1 - plo : e - 1 - plo]
            s, e = max(lo, plo), min(hi, phi)
            if e > s:
                down[s - lo : e - lo] = prev[s - plo : e - plo]
            diag += d
            down += np.minimum(d + costs.down_extra, costs.skip_ref)
            arrive = np.minimum(diag, down)
            choice = np.where(down < diag, DOWN, DIAGONAL).astype(np.int8)
        right = np.cumsum(np.minimum(d, costs.skip_rec[n]))
        shifted = arrive - right
        best = np.minimum.accumulate(shifted)
        choice[shifted > best] = RIGHT
        moves[offsets[n] : offsets[n + 1]] = choice
        prev, plo, phi = right + best, lo, hi
    if phi != len(rec) or not np.isfinite(prev[-1]):
        raise ValueError("the band does not reach the last cell")
    return _back(moves, offsets, band.lo, rows - 1, phi - 1)


def _back(moves: np.ndarray, offsets: np.ndarray, lo: np.ndarray, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    path_n, path_m = [], []
    while True:
        path_n.append(n)
        path_m.append(m)
        move = moves[offsets[n] + m - lo[n]]
        if move == START:
            break
        if move == DIAGONAL:
            n, m = n - 1, m - 1
        elif move == DOWN:
            n -= 1
        else:
            m -= 1
    return np.array(path_n[::-1]), np.array(path_m[::-1])


def band_around(path_n: np.ndarray, path_m: np.ndarray, factor: int, radius: int, rows: int, cols: int) -> Band:
    """The band at a `factor` times finer resolution covering the path, widened by `radius` columns."""
    lo = np.full(rows, cols, np.int64)
    hi = np.zeros(rows, np.int64)
    for k in range(factor):
        r = np.minimum(path_n * factor + k, rows - 1)
        np.minimum.at(lo, r, path_m * factor)
        np.maximum.at(hi, r, path_m * factor + factor)
    lo = np.clip(lo - radius, 0, cols)
    hi = np.clip(hi + radius, 0, cols)
    lo[0], hi[-1] = 0, cols  # the path's ends
    lo = np.minimum.accumulate(lo[::-1])[::-1]
    hi = np.maximum.accumulate(hi)
    return Band(lo, hi)
