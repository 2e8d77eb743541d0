"""Dynamic time warping of a reference (rows) against a recording (columns), in a band,
with capped costs for what one side has and the other has not.

Moves into cell (n, m), where d is the distance of reference frame n to recording frame m:
- diagonal (both advance): d;
- down (the reference advances on the same recording frame: the host is faster than the
  reference voice, or skipped words): min(d + down_extra, skip_ref[n]); a heading the host
  may leave out has a lower cap than the text;
- right (the recording advances on the same reference frame: the host is slower, pauses,
  retakes, ad-libs): min(d, skip_rec[n]). Filler rows (the pauses the reference puts before,
  between and after items) have a lower cap: there a stretch of sound that matches nothing
  (a jingle, an ad-lib, a false start) costs less than bending the neighbouring speech over it.
  A quiet recording frame passed over on a quiet reference frame costs nothing, whatever their
  neighbours: a pause in the recording matches a pause in the reference however long it is;
- a jump over a whole item (from the filler row before it to the filler row after it, on the
  same recording frame) for a fixed cost: the host left the item out.
The path runs from (0, 0) to the last cell; with a filler row first and last, what comes
before the first word and after the last one is passed over.

Each row is solved at once with numpy: the right moves of a row are a running minimum over
cumulative costs (D[m] = C[m] + min over k <= m of (A[k] - C[k]), C the cumulative right-move
costs), so a band of W columns costs O(W) vectorised work per reference frame. Only the
moves (one byte a cell) are kept for the way back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

DIAGONAL, DOWN, RIGHT, START, JUMP = 0, 1, 2, 3, 4


@dataclass
class Band:
    """Columns [lo[n], hi[n]) of every row n; lo and hi never decrease."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def cells(self) -> int:
        return int(np.sum(self.hi - self.lo))


@dataclass
class Jump:
    source: int  # the filler row before the item
    target: int  # the filler row after it
    cost: float


@dataclass
class Costs:
    skip_ref: np.ndarray  # cap of a down move, per row
    skip_rec: np.ndarray  # cap of a right move, per row
    down_extra: float = 0.0  # added to a down move (a run of them is not free)
    ref_sound: np.ndarray | None = None  # per row, the share of it that is sound (0: quiet)
    rec_sound: np.ndarray | None = None  # per column, the same
    jumps: list[Jump] = field(default_factory=list)


def full_band(rows: int, cols: int) -> Band:
    return Band(np.zeros(rows, np.int64), np.full(rows, cols, np.int64))


def distances(row: np.ndarray, block: np.ndarray) -> np.ndarray:
    diff = block - row
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))


def _shifted(values: np.ndarray, vlo: int, lo: int, hi: int, shift: int = 0) -> np.ndarray:
    """values (held for columns [vlo, vlo + len)) at columns [lo - shift, hi - shift); inf outside."""
    out = np.full(hi - lo, np.inf)
    s, e = max(lo, vlo + shift), min(hi, vlo + len(values) + shift)
    if e > s:
        out[s - lo : e - lo] = values[s - shift - vlo : e - shift - vlo]
    return out


def warp(ref: np.ndarray, rec: np.ndarray, band: Band, costs: Costs) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest path as (rows, cols) arrays from (0, 0) to (rows - 1, cols - 1), in order.
    A jump over an item shows as its rows taken down one recording frame."""
    rows = len(ref)
    ref_sound = costs.ref_sound if costs.ref_sound is not None else np.ones(rows)
    rec_sound = costs.rec_sound if costs.rec_sound is not None else np.ones(len(rec))
    sources = {j.source for j in costs.jumps}
    targets = {j.target: j for j in costs.jumps}
    saved: dict[int, tuple[int, np.ndarray]] = {}
    offsets = np.zeros(rows + 1, np.int64)
    np.cumsum(band.hi - band.lo, out=offsets[1:])
    moves = np.empty(int(offsets[-1]), np.int8)
    prev = np.zeros(0)
    plo = 0
    for n in range(rows):
        lo, hi = int(band.lo[n]), int(band.hi[n])
        d = distances(ref[n], rec[lo:hi]).astype(np.float64)
        if n == 0:
            arrive = np.full(hi - lo, np.inf)
            arrive[0] = d[0] if lo == 0 else np.inf
            choice = np.full(hi - lo, START, np.int8)
        else:
            diag = _shifted(prev, plo, lo, hi, 1) + d
            down = _shifted(prev, plo, lo, hi) + np.minimum(d + costs.down_extra, costs.skip_ref[n])
            arrive = np.minimum(diag, down)
            choice = np.where(down < diag, DOWN, DIAGONAL).astype(np.int8)
            if n in targets:
                jump = targets[n]
                over = _shifted(saved[jump.source][1], saved[jump.source][0], lo, hi) + jump.cost
                choice[over < arrive] = JUMP
                arrive = np.minimum(arrive, over)
        pause = (1 - ref_sound[n]) * (1 - rec_sound[lo:hi])  # 1 where both are quiet
        right = np.cumsum(np.minimum(d, costs.skip_rec[n]) * (1 - pause))
        shifted = arrive - right
        best = np.minimum.accumulate(shifted)
        choice[shifted > best] = RIGHT
        moves[offsets[n] : offsets[n + 1]] = choice
        prev, plo = right + best, lo
        if n in sources:
            saved[n] = (lo, prev)
    if plo + len(prev) != len(rec) or not np.isfinite(prev[-1]):
        raise ValueError("the band does not reach the last cell")
    back = {j.target: j.source for j in costs.jumps}
    return _back(moves, offsets, band.lo, rows - 1, len(rec) - 1, back)


def _back(moves: np.ndarray, offsets: np.ndarray, lo: np.ndarray, n: int, m: int,
          jumps: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
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
        elif move == JUMP:
            for skipped in range(n - 1, jumps[n], -1):
                path_n.append(skipped)
                path_m.append(m)
            n = jumps[n]
        else:
            m -= 1
    return np.array(path_n[::-1]), np.array(path_m[::-1])
