"""Choose story starts for a whole episode at once, with a prior on story length.

Deciding each gap alone makes stories of any length; an episode of one source
tends to have stories of similar length. The length decoder maximises

    Σ over starts (score − shift)  −  weight · Σ over stories (ln length − ln typical)²

by dynamic programming over the gaps (the log-odds `score` of the boundary
model). `weight` 0 is a plain threshold at `shift`. A host's forced starts are
always kept. Only gaps whose gain is above −MARGIN are candidates, and a story
may skip at most PRIOR_WINDOW candidates: linear time on a 10 MB transcript.

How many stories an episode has varies more between sources than any per-gap
evidence tells (a headline a sentence, or five-sentence summaries). The count
decoder takes the K strongest gaps, K maximising

    Σ over the K (score − shift)  −  weight · (ln stories − ln expected)²

where `expected` = exp(a + b · ln sentences), fitted on labelled roundups: an
episode of a few dozen sentences has ten to twenty stories, and the count grows
slowly with its length. Outside the lengths it was fitted on (n_min .. n_max
sentences) the expected count grows in proportion to the length instead: a
transcript ten times the longest episode seen is expected to have ten times its
stories, not a few more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

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
        return {"kind": "length", "shift": self.shift, "weight": self.weight, "typical": self.typical}

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


@dataclass(frozen=True)
class CountPrior:
    shift: float = 0.0
    weight: float = 0.0
    a: float = 2.0  # expected stories = exp(a + b · ln sentences) for n_min <= sentences <= n_max
    b: float = 0.2
    n_min: int = 10
    n_max: int = 80

    def expected(self, sentences: int) -> float:
        n = min(max(sentences, self.n_min), self.n_max)
        return math.exp(self.a + self.b * math.log(n)) * max(1, sentences) / n

    def to_json(self) -> dict:
        return {"kind": "count", "shift": self.shift, "weight": self.weight, "a": self.a, "b": self.b,
                "n_min": self.n_min, "n_max": self.n_max}

    @classmethod
    def from_json(cls, d: dict) -> "CountPrior":
        return cls(float(d["shift"]), float(d["weight"]), float(d["a"]), float(d["b"]), int(d["n_min"]),
                   int(d["n_max"]))


Prior = Union[LengthPrior, CountPrior]


def prior_from_json(d: dict) -> Prior:
    return CountPrior.from_json(d) if d.get("kind") == "count" else LengthPrior.from_json(d)


def decode(scores: list[float], forced: set[int], prior: Prior) -> list[bool]:
    """starts[j - 1]: whether sentence j starts a story, by the decoder of `prior`."""
    if isinstance(prior, CountPrior):
        return choose_count(scores, forced, prior)
    return choose_starts(scores, forced, prior)


def choose_count(scores: list[float], forced: set[int], prior: CountPrior) -> list[bool]:
    """The starts of the strongest gaps, as many as the count prior and their evidence agree on.
    Forced starts always count as starts (and as stories)."""
    n = len(scores) + 1
    hard = {j for j in forced if 0 < j < n}
    order = sorted((j for j in range(1, n) if j not in hard), key=lambda j: -scores[j - 1])
    stories = 1 + len(hard)
    target = math.log(prior.expected(n))
    best, best_k, total = -prior.weight * (math.log(stories) - target) ** 2, 0, 0.0
    for k, j in enumerate(order, 1):
        gain = scores[j - 1] - prior.shift
        total += gain
        if gain < 0 and total < best:  # the gains left are all negative: no larger K can win
            break
        v = total - prior.weight * (math.log(stories + k) - target) ** 2
        if v > best or v == best and gain >= 0:  # a gap at the shift itself starts a story, as in choose_starts
            best, best_k = v, k
    starts = [False] * (n - 1)
    for j in [*order[:best_k], *hard]:
        starts[j - 1] = True
    return starts
