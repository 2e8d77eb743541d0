"""Align a reference with a recording, coarse to fine, with costs measured on the pair itself.

Level 1 warps averages of about 32 frames (1.28 s) over the whole recording; each finer level
(4, then 1 frame) warps only a band around the path found above it (studio.recording.dtw), so
a 60-minute recording costs a few million cells instead of billions. The reference is averaged
within its items and within its filler pauses, never across the two, so a filler row stays a
filler row at every level; the recording is averaged in plain blocks.

How far apart two frames must be to count as "not the same sound" depends on the voices and
the room: every level is warped twice, the second time with its caps set from the distances
of the frames the first path matched (`matched`) against those of random voiced pairs
(`unrelated`).
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

from studio.recording.dtw import Band, Costs, Jump, full_band, warp
from studio.recording.features import LOUD

LEVELS = ((32, 0), (4, 64), (1, 16))  # (frames averaged, band radius in that level's frames)
K_REC, K_FILL, K_REF, K_DOWN = 0.6, 0.4, 0.5, 0.2  # caps between `matched` and `unrelated`, see costs()
K_HEAD = 0.5  # a heading's frames are left out at this share of `matched` each
K_JUMP = 0.5  # an item is left out at this share of what leaving out each of its frames costs
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


@dataclass
class Rows:
    """Which full-resolution rows each row of a level averages: [start, stop)."""

    start: np.ndarray
    stop: np.ndarray


def sound(x: np.ndarray) -> np.ndarray:
    return (x[:, LOUD] > 0).astype(np.float32)


def pool_reference(ref: np.ndarray, filler: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray, Rows]:
    """Averages of about `factor` rows, never mixing filler and item rows; their filler flags and spans."""
    count = len(ref)
    if factor == 1:
        index = np.arange(count)
        return ref, filler, Rows(index, index + 1)
    changes = np.flatnonzero(np.diff(filler.astype(np.int8))) + 1
    edges = np.concatenate([[0], changes, [count]])
    starts = []
    for a, b in zip(edges[:-1], edges[1:]):
        parts = -(-(b - a) // factor)
        starts.append(np.unique(a + np.round(np.linspace(0, b - a, parts + 1)[:-1]).astype(np.int64)))
    start = np.concatenate(starts)
    stop = np.append(start[1:], count)
    pooled = np.add.reduceat(ref, start, axis=0) / (stop - start)[:, None]
    return pooled.astype(np.float32), filler[start], Rows(start, stop)


def pool_recording(rec: np.ndarray, factor: int) -> np.ndarray:
    """Means of `factor` consecutive frames (the last block of what is left)."""
    if factor == 1:
        return rec
    start = np.arange(0, len(rec), factor)
    sizes = np.diff(np.append(start, len(rec)))
    return (np.add.reduceat(rec, start, axis=0) / sizes[:, None]).astype(np.float32)


def band_from(path: tuple[np.ndarray, np.ndarray], above: Rows, above_factor: int, rows: Rows, factor: int,
              radius: int, cols: int) -> Band:
    """The band of this level around the path of the level above, widened by `radius` columns."""
    r, c = path
    count = len(above.start)
    cmin = np.full(count, np.iinfo(np.int64).max)
    cmax = np.zeros(count, np.int64)
    np.minimum.at(cmin, r, c)
    np.maximum.at(cmax, r, c)
    lengths = above.stop - above.start
    fine_lo = np.repeat(cmin * above_factor, lengths)  # per full-resolution row, in full-resolution columns
    fine_hi = np.repeat((cmax + 1) * above_factor, lengths)
    lo = fine_lo[rows.start] // factor - radius
    hi = -(-fine_hi[rows.stop - 1] // factor) + radius
    lo, hi = np.clip(lo, 0, cols), np.clip(hi, 0, cols)
    lo[0], hi[-1] = 0, cols  # the path's ends
    return Band(np.minimum.accumulate(lo[::-1])[::-1], np.maximum.accumulate(hi))


def costs(matched: float, unrelated: float, filler: np.ndarray, optional: np.ndarray, ref_sound: np.ndarray,
          rec_sound: np.ndarray, items: list[tuple[int, int]]) -> Costs:
    """Caps as fractions of the gap between a matched and an unrelated pair of frames.

    A right move is capped a little over half way (a slower host costs what matching does; a
    sound that matches nothing costs no more than that); a filler row lower, under which
    matching real speech is still cheaper. Skipping reference frames costs more than any
    unrelated pair (a heading no more than a right move: hosts often leave headings out), and
    each down move a little extra so a run of them is never free; jumping over an item, half
    of skipping it frame by frame.
    """
    span = max(unrelated - matched, 1e-3)
    rec = np.where(filler, matched + K_FILL * span, matched + K_REC * span)
    ref = np.where(optional, K_HEAD * matched, unrelated + K_REF * span)
    jumps = [Jump(first - 1, end, K_JUMP * float(ref[first:end].sum())) for first, end in items if first > 0]
    return Costs(skip_ref=ref, skip_rec=rec, down_extra=K_DOWN * span, ref_sound=ref_sound, rec_sound=rec_sound,
                 jumps=jumps)


def unrelated_distance(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """Median and 5th percentile of distances between random voiced frames of `a` and `b`."""
    va, vb = np.flatnonzero(a[:, LOUD] > 0), np.flatnonzero(b[:, LOUD] > 0)
    if not len(va) or not len(vb):
        return 1.0, 0.1
    d = np.linalg.norm(a[rng.choice(va, SAMPLES)] - b[rng.choice(vb, SAMPLES)], axis=1)
    return float(np.median(d)), float(np.percentile(d, 5))


def matched_distance(a: np.ndarray, b: np.ndarray, rows: np.ndarray, cols: np.ndarray, default: float) -> float:
    ok = (a[rows, LOUD] > 0) & (b[cols, LOUD] > 0)
    if ok.sum() < 10:
        return default
    return float(np.median(np.linalg.norm(a[rows[ok]] - b[cols[ok]], axis=1)))


def align(ref: np.ndarray, filler: np.ndarray, rec: np.ndarray, items: list[tuple[int, int]],
          optional: np.ndarray | None = None, seed: int = 0) -> Path:
    """The warping path of `ref` (its filler rows, its items' [first, end) rows, the rows a
    host may leave out) against `rec`, at full resolution."""
    rng = np.random.default_rng(seed)
    optional = optional if optional is not None else np.zeros(len(ref), bool)
    path: tuple[np.ndarray, np.ndarray] | None = None
    above: tuple[Rows, int] | None = None
    matched = unrelated = 0.0
    for factor, radius in LEVELS:
        a, fill, rows = pool_reference(ref, filler, factor)
        b = pool_recording(rec, factor)
        opt = optional[rows.start]
        a_sound = np.add.reduceat(sound(ref), rows.start) / (rows.stop - rows.start)
        b_sound = pool_recording(sound(rec)[:, None], factor)[:, 0]
        row_of = lambda fine: int(np.searchsorted(rows.start, fine, side="right") - 1)  # noqa: E731
        spans = [(row_of(first), row_of(end)) for first, end in items]
        unrelated, low = unrelated_distance(a, b, rng)
        if path is None or above is None:
            band: Band = full_band(len(a), len(b))
        else:
            band = band_from(path, above[0], above[1], rows, factor, radius, len(b))
        matched = low
        for _ in range(2):
            path = warp(a, b, band, costs(matched, unrelated, fill, opt, a_sound, b_sound, spans))
            matched = matched_distance(a, b, path[0], path[1], low)
        above = (rows, factor)
    assert path is not None
    return Path(path[0], path[1], matched, unrelated)
