"""Segment a spoken transcript's sentences into stories.

Every gap between two sentences gets the evidence of `studio.ingest.boundary`
(cohesion, novelty, cues, shape); a logistic model weighs it into the log-odds
that a new story starts there, and `studio.ingest.storylength` picks the starts
of the whole episode (a threshold, or a prior on story length per language).
The weights and priors live in `segment_model.json`, fitted on real news
roundups by `python -m devtools.segment_fit` (no per-file rules). A
host's blank line or `---` always starts a story.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path

from studio.core.memory import gc_paused
from studio.ingest.boundary import FEATURES, Facts, facts, gap_columns, gap_features
from studio.ingest.storylength import LengthPrior, choose_starts

MODEL_FILE = Path(__file__).with_name("segment_model.json")
BARE_CHARS = 12


@dataclass
class Model:
    """Logistic weights over standardised features: log-odds = w · (x - mean) / scale."""

    weights: dict[str, float]
    mean: dict[str, float]
    scale: dict[str, float]
    features: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        self._coef = [self.weights.get(k, 0.0) / (self.scale.get(k, 1.0) or 1.0) for k in self.features]
        self._intercept = -sum(c * self.mean.get(k, 0.0) for c, k in zip(self._coef, self.features))

    def log_odds(self, columns: dict[str, list[float]]) -> list[float]:
        """The log-odds at every gap, weighing whole feature columns (no per-gap rows)."""
        out = [self._intercept] * len(columns["bias"])
        add, mul = operator.add, operator.mul
        for name, c in zip(self.features, self._coef):
            if c:
                out = list(map(add, out, map(mul, columns[name], repeat(c))))
        return out

    def row_log_odds(self, row: list[float]) -> float:
        return self._intercept + sum(map(operator.mul, self._coef, row))

    def contributions(self, row: list[float]) -> dict[str, float]:
        """Each feature's share of the log-odds (positive: towards a new story)."""
        out = {}
        for name, x in zip(self.features, row):
            w = self.weights.get(name, 0.0)
            if w and name != "bias":
                out[name] = w * (x - self.mean.get(name, 0.0)) / (self.scale.get(name, 1.0) or 1.0)
        return out

    def to_json(self) -> dict:
        return {"weights": self.weights, "mean": self.mean, "scale": self.scale, "features": list(self.features)}

    @classmethod
    def from_json(cls, d: dict) -> "Model":
        return cls(d["weights"], d["mean"], d["scale"], tuple(d["features"]))


@dataclass(slots=True)
class Segmenter:
    """The boundary model and the story-length prior of one language."""

    model: Model
    prior: LengthPrior


@lru_cache(maxsize=1)
def default_models() -> dict[str, Segmenter]:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return {lang: Segmenter(Model.from_json(m["model"]), LengthPrior.from_json(m["prior"]))
            for lang, m in data["models"].items()}


@dataclass(slots=True)
class Gap:
    """The decision before sentence `index` and its evidence."""

    index: int
    log_odds: float
    starts: bool
    forced: bool = False
    columns: dict | None = None  # the document's feature columns (the evidence is read from them)
    model: Model | None = None

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, self.log_odds))))

    @property
    def row(self) -> list[float]:
        return [self.columns[k][self.index - 1] for k in self.model.features] if self.columns and self.model else []

    @property
    def features(self) -> dict[str, float]:
        return dict(zip(self.model.features if self.model else FEATURES, self.row))

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
    seg = (models or default_models())[lang]
    with gc_paused():  # many small lists, no cycles (articles segment outside read_episode's pause)
        fs: list[Facts] = [facts(t) for t in texts]
        columns = gap_columns(fs, lang == "en", seg.model.features)
        scores = seg.model.log_odds(columns)
        starts = choose_starts(scores, forced, seg.prior)
        if lang == "zh":
            _bare_headings(starts, fs, forced)
        return _groups(scores, starts, forced, columns, seg.model)


def _bare_headings(starts: list[bool], fs: list[Facts], forced: set[int]) -> None:
    """In Chinese a bare heading opens the next story: no start right after one."""
    for j in range(1, len(starts)):
        if starts[j - 1] and starts[j] and j + 1 not in forced and _bare(fs[j]):
            starts[j] = False


def _groups(scores: list[float], starts: list[bool], forced: set[int], columns: dict, model: Model
            ) -> tuple[list[list[int]], list[Gap]]:
    gaps: list[Gap] = []
    groups: list[list[int]] = [[0]]
    for j, (s, start) in enumerate(zip(scores, starts), 1):
        hard = j in forced
        start = hard or start
        gaps.append(Gap(j, s, start, hard, columns, model))
        if start:
            groups.append([j])
        else:
            groups[-1].append(j)
    return groups, gaps


def _bare(f: Facts) -> bool:
    """A heading-like sentence: a few characters, no clause."""
    return f.chars <= BARE_CHARS and f.commas == 0


def rows_of(texts: list[str]) -> list[list[float]]:
    """Feature rows (FEATURES order) of every gap of `texts` (fitting)."""
    return gap_features([facts(t) for t in texts], doc_language(texts) == "en")
