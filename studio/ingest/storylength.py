"""Choose story starts for a whole episode at once, with a prior on story length.

Deciding each gap alone makes stories of any length; an episode of one source
tends to have stories of similar length. The decoder maximises

    Σ over starts (score − shift)  −  weight · Σ over stories (ln length − ln typical)²

by dynamic programming over the gaps (the log-odds `score` of the boundary
model). `weight` 0 is a plain threshold at `shift`. A host's forced starts are
always kept. Only gaps whose gain is above −MARGIN are candidates, and a story
may skip at most PRIOR_WINDOW candidates: linear time on a 10 MB transcript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MARGIN = 3.0
PRIOR_WINDOW = 12


@dataclass(frozen=True)
class LengthPrior:
    shift: float = 0.0
    weight: float = 0.0
    typical: float = 2.0  # 0: the episode's own mean story length when each gap is decided alone

    def penalty(self, length: int, typical: float) -> float:
        return self.weight * (math.log(length) - math.log(typical)) ** 2

    def to_json(self) -> dict:
        return {"shift": self.shift, "weight": self.weight, "typical": self.typical}

    @classmethod
    def from_json(cls, d: dict) -> "LengthPrior":
        return cls(float(d["shift"]), float(d["weight"]), float(d["typical"]))


def choose_starts(scores: list[float], forced: set[int], prior: LengthPrior) -> list[bool]:
    """starts[j - 1]: whether sentence j (1 .. len(scores)) starts a story; scores[j - 1] is its gap's log-odds.
    Forced starts always count as starts; with no length prior they are left to the caller."""
    n = len(scores) + 1
    shift = prior.shift
    if not prior.weight:  # each gap alone (the caller adds the forced starts)
        return [s >= shift for s in scores]
    typical = prior.typical or n / (1 + sum(1 for s in scores if s >= shift))
    table = [0.0] + [prior.penalty(k, typical) for k in range(1, 257)]
    penalty = lambda k: table[k] if k < 257 else prior.penalty(k, typical)  # noqa: E731
    # positions: 0, the candidate gaps (a story starts there), n (the end)
    pos = [0] + [j for j, s in enumerate(scores, 1) if j in forced or s - shift > -MARGIN] + [n]
    gain = [0.0] + [scores[j - 1] - shift for j in pos[1:-1]] + [0.0]
    hard = [True] + [j in forced for j in pos[1:-1]] + [True]
    best = [0.0] * len(pos)
    back = [0] * len(pos)
    floor = 0  # the last forced position: no story crosses it
    for i in range(1, len(pos)):
        e = pos[i]
        top, arg = -math.inf, floor
        for k in range(i - 1, max(floor, i - PRIOR_WINDOW) - 1, -1):
            v = best[k] + gain[k] - penalty(e - pos[k])
            if v > top:
                top, arg = v, k
        if i - PRIOR_WINDOW > floor:  # a long story may also run from the last forced start
            v = best[floor] + gain[floor] - penalty(e - pos[floor])
            if v > top:
                top, arg = v, floor
        best[i], back[i] = top, arg
        if hard[i]:
            floor = i
    starts = [False] * (n - 1)
    i = len(pos) - 1
    while i > 0:
        i = back[i]
        if i > 0:
            starts[pos[i] - 1] = True
    return starts
