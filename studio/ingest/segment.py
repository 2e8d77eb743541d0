"""Segment a spoken transcript's sentences into stories.

Every gap between two sentences gets the evidence of `studio.ingest.boundary`
(cohesion, novelty, cues, shape); a logistic model weighs it into the
probability that a new story starts there. The weights live in
`segment_model.json`, fitted on real news roundups by
`python -m studio.devtools.segment_fit` (no per-file rules). A host's blank
line or `---` always starts a story.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from studio.ingest.boundary import FEATURES, Facts, facts, gap_features
from studio.core.memory import gc_paused

MODEL_FILE = Path(__file__).with_name("segment_model.json")
BARE_CHARS = 12


@dataclass
class Model:
    """Logistic weights over standardised features: p = σ(w · (x - mean) / scale)."""

    weights: dict[str, float]
    mean: dict[str, float]
    scale: dict[str, float]
    threshold: float = 0.5
    features: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        self._coef = [self.weights.get(k, 0.0) / (self.scale.get(k, 1.0) or 1.0) for k in self.features]
        self._intercept = -sum(c * self.mean.get(k, 0.0) for c, k in zip(self._coef, self.features))

    def probability(self, row: list[float]) -> float:
        return self.probabilities([row])[0]

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        coef, intercept, mul, exp = self._coef, self._intercept, operator.mul, math.exp
        return [1.0 / (1.0 + exp(-max(-40.0, min(40.0, intercept + sum(map(mul, coef, row)))))) for row in rows]

    def contributions(self, row: list[float]) -> dict[str, float]:
        """Each feature's share of the log-odds (positive: towards a new story)."""
        out = {}
        for name, x in zip(self.features, row):
            w = self.weights.get(name, 0.0)
            if w and name != "bias":
                out[name] = w * (x - self.mean.get(name, 0.0)) / (self.scale.get(name, 1.0) or 1.0)
        return out

    def to_json(self) -> dict:
        return {"weights": self.weights, "mean": self.mean, "scale": self.scale, "threshold": self.threshold,
                "features": list(self.features)}

    @classmethod
    def from_json(cls, d: dict) -> "Model":
        return cls(d["weights"], d["mean"], d["scale"], d.get("threshold", 0.5), tuple(d["features"]))


# An optional stage 2 sees stage 1's probabilities at the neighbouring gaps (a title
# sentence right after a likely start is no start itself).
STAGE2 = FEATURES + ("p_prev", "p_self", "p_next", "p_rank")


@dataclass(slots=True)
class Segmenter:
    stage1: Model
    stage2: Model | None = None

    @property
    def final(self) -> Model:
        return self.stage2 or self.stage1

    def probabilities(self, rows: list[list[float]]) -> tuple[list[float], list[list[float]]]:
        first = self.stage1.probabilities(rows)
        if self.stage2 is None:
            return first, rows
        rows2 = stage2_rows(rows, first)
        return self.stage2.probabilities(rows2), rows2


def stage2_rows(rows: list[list[float]], first: list[float]) -> list[list[float]]:
    n = len(rows)
    out = []
    for j, r in enumerate(rows):
        prev = first[j - 1] if j > 0 else 0.0
        nxt = first[j + 1] if j + 1 < n else 0.0
        out.append([*r, prev, first[j], nxt, first[j] - max(prev, nxt)])
    return out


@lru_cache(maxsize=1)
def default_models() -> dict[str, Segmenter]:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return {lang: Segmenter(Model.from_json(m["stage1"]), Model.from_json(m["stage2"]) if m.get("stage2") else None)
            for lang, m in data["models"].items()}


@dataclass(slots=True)
class Gap:
    """The decision before sentence `index` and its evidence."""

    index: int
    probability: float
    starts: bool
    forced: bool = False
    row: list[float] = field(default_factory=list)  # the final model's features
    model: Model | None = None

    @property
    def features(self) -> dict[str, float]:
        return dict(zip(self.model.features if self.model else STAGE2, self.row))

    @property
    def evidence(self) -> dict[str, float]:
        """Log-odds contributions of the features (positive: towards a new story)."""
        return self.model.contributions(self.row) if self.model else {}

    def strongest(self, n: int = 4) -> list[tuple[str, float]]:
        return sorted(self.evidence.items(), key=lambda kv: -abs(kv[1]))[:n]


def doc_language(texts: list[str]) -> str:
    sample = "".join(texts[:50])
    cjk = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    return "zh" if cjk >= 0.2 * max(1, len(sample.replace(" ", ""))) else "en"


def segment(
    texts: list[str], forced: set[int] | None = None, models: dict[str, Segmenter] | None = None
) -> tuple[list[list[int]], list[Gap]]:
    """Group sentence indexes into stories; also return the decision at every gap."""
    forced = forced or set()
    if not texts:
        return [], []
    lang = doc_language(texts)
    model = (models or default_models())[lang]
    with gc_paused():  # many small lists, no cycles (articles segment outside read_episode's pause)
        fs: list[Facts] = [facts(t) for t in texts]
        probs, rows = model.probabilities(gap_features(fs, lang == "en"))
        return _decide(probs, rows, fs, forced, lang, model.final)


def _decide(probs: list[float], rows: list[list[float]], fs: list[Facts], forced: set[int], lang: str,
            model: Model) -> tuple[list[list[int]], list[Gap]]:
    starts = [p >= model.threshold for p in probs]
    for j in range(1, len(starts) if lang == "zh" else 0):  # in Chinese a bare heading opens the next story
        if starts[j - 1] and starts[j] and j + 1 not in forced and _bare(fs[j]):
            starts[j] = False
    gaps: list[Gap] = []
    groups: list[list[int]] = [[0]]
    for j, (p, row, start) in enumerate(zip(probs, rows, starts), 1):
        hard = j in forced
        start = hard or start
        gaps.append(Gap(j, p, start, hard, row, model))
        if start:
            groups.append([j])
        else:
            groups[-1].append(j)
    return groups, gaps


def _bare(f: Facts) -> bool:
    """A heading-like sentence: a few characters, no clause."""
    return f.chars <= BARE_CHARS and f.commas == 0
