"""Segment a spoken transcript's sentences into stories.

Every gap between two sentences gets the evidence of `studio.ingest.boundary`
(cohesion, novelty, cues, shape); a logistic model weighs it into the log-odds
that a new story starts there, and `studio.ingest.storylength` picks the starts
of the whole episode (a prior on how many stories it has, or on their length).
Features are weighed one column at a time and let go (a 10 MB transcript never
holds them all). The weights and priors live in `segment_model.json`, fitted on real news
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
from typing import Iterable

from studio.core.memory import gc_paused
from studio.ingest.boundary import FEATURES, Facts, facts, gap_features, iter_columns
from studio.ingest.storylength import Prior, decode, prior_from_json

MODEL_FILE = Path(__file__).with_name("segment_model.json")
BARE_CHARS = 12


ZERO_SD = 1e-9  # a column this flat in a document has no document-relative value (z = 0)


@dataclass
class Model:
    """Logistic weights over standardised features: log-odds = Σ w · (x - mean) / scale.

    A feature named in `zfeatures` also enters relative to its own document, as
    z = (x - document mean) / document SD (weight "z_<name>"): how strong a gap's
    cohesion is *for this episode*, which holds across sources better than its raw level.
    """

    weights: dict[str, float]
    mean: dict[str, float]
    scale: dict[str, float]
    features: tuple[str, ...] = FEATURES
    zfeatures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._coef = {k: self.weights.get(k, 0.0) / (self.scale.get(k, 1.0) or 1.0) for k in self.features}
        self._intercept = -sum(c * self.mean.get(k, 0.0) for k, c in self._coef.items())
        self._zcoef = {k: self.weights.get(f"z_{k}", 0.0) / (self.scale.get(f"z_{k}", 1.0) or 1.0)
                       for k in self.zfeatures}
        self._intercept -= sum(c * self.mean.get(f"z_{k}", 0.0) for k, c in self._zcoef.items())

    @property
    def needed(self) -> set[str]:
        return {k for k, c in self._coef.items() if c} | {k for k, c in self._zcoef.items() if c}

    def log_odds(self, columns: Iterable[tuple[str, list[float]]], m: int, keep: dict | None = None) -> list[float]:
        """The log-odds at each of `m` gaps, weighing (feature, column) pairs one at a time (a column can
        be dropped once weighed). `keep`: filled with the columns and each document statistic used."""
        out = [0.0] * m
        const = self._intercept
        add, mul = operator.add, operator.mul
        for name, col in columns:
            c, cz = self._coef.get(name, 0.0), self._zcoef.get(name, 0.0)
            if cz:
                mu, sd = doc_stats(col)
                if sd > ZERO_SD:
                    c += cz / sd
                    const -= cz * mu / sd
                if keep is not None:
                    keep[f"z_{name}"] = (mu, sd)
            if c:
                out = list(map(add, out, map(mul, col, repeat(c))))
            if keep is not None:
                keep[name] = col
        return [v + const for v in out]

    def row_log_odds(self, row: list[float], zrow: list[float] = ()) -> float:
        """The log-odds of one gap: its features (FEATURES order) and its z values (zfeatures order)."""
        return (self._intercept + sum(self._coef[k] * x for k, x in zip(self.features, row))
                + sum(self._zcoef[k] * z for k, z in zip(self.zfeatures, zrow)))

    def contributions(self, row: list[float], stats: dict[str, tuple[float, float]] | None = None) -> dict[str, float]:
        """Each feature's share of the log-odds (positive: towards a new story), its document-relative
        part included when `stats` gives the document's (mean, SD) of the feature."""
        out = {}
        for name, x in zip(self.features, row):
            if name == "bias":
                continue
            v = self._coef[name] * (x - self.mean.get(name, 0.0))
            if self._zcoef.get(name) and stats and f"z_{name}" in stats:
                mu, sd = stats[f"z_{name}"]
                z = (x - mu) / sd if sd > ZERO_SD else 0.0
                v += self._zcoef[name] * (z - self.mean.get(f"z_{name}", 0.0))
            if v:
                out[name] = v
        return out

    def to_json(self) -> dict:
        return {"weights": self.weights, "mean": self.mean, "scale": self.scale, "features": list(self.features),
                "zfeatures": list(self.zfeatures)}

    @classmethod
    def from_json(cls, d: dict) -> "Model":
        return cls(d["weights"], d["mean"], d["scale"], tuple(d["features"]), tuple(d.get("zfeatures", ())))


def doc_stats(col: list[float]) -> tuple[float, float]:
    """(mean, SD) of a column, the SD over the whole column (two passes: exact for a flat one)."""
    m = len(col)
    if not m:
        return 0.0, 0.0
    mu = math.fsum(col) / m
    dev = [x - mu for x in col]
    return mu, math.sqrt(math.fsum(map(operator.mul, dev, dev)) / m)


def doc_z(col: list[float]) -> list[float]:
    """A column relative to its document: (x - mean) / SD, 0 everywhere when it is flat."""
    mu, sd = doc_stats(col)
    return [(x - mu) / sd for x in col] if sd > ZERO_SD else [0.0] * len(col)


@dataclass(slots=True)
class Segmenter:
    """The boundary model and the story-count or story-length prior of one language."""

    model: Model
    prior: Prior


@lru_cache(maxsize=1)
def default_models() -> dict[str, Segmenter]:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return {lang: Segmenter(Model.from_json(m["model"]), prior_from_json(m["prior"]))
            for lang, m in data["models"].items()}


@dataclass(slots=True)
class Gap:
    """The decision before sentence `index` and its evidence."""

    index: int
    log_odds: float
    starts: bool
    forced: bool = False
    columns: dict | None = None  # the document's feature columns and statistics (kept for explaining)
    model: Model | None = None

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, self.log_odds))))

    @property
    def row(self) -> list[float]:
        if not self.columns or not self.model:
            return []
        return [self.columns[k][self.index - 1] if k in self.columns else 0.0 for k in self.model.features]

    @property
    def features(self) -> dict[str, float]:
        return dict(zip(self.model.features if self.model else FEATURES, self.row))

    @property
    def evidence(self) -> dict[str, float]:
        """Log-odds contributions of the features (positive: towards a new story)."""
        return self.model.contributions(self.row, self.columns) if self.model else {}

    def strongest(self, n: int = 4) -> list[tuple[str, float]]:
        return sorted(self.evidence.items(), key=lambda kv: -abs(kv[1]))[:n]


def doc_language(texts: list[str]) -> str:
    sample = "".join(texts[:50])
    cjk = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    return "zh" if cjk >= 0.2 * max(1, len(sample.replace(" ", ""))) else "en"


def segment(
    texts: list[str], forced: set[int] | None = None, models: dict[str, Segmenter] | None = None,
    evidence: bool = False,
) -> tuple[list[list[int]], list[Gap]]:
    """Group sentence indexes into stories; also return the decision at every gap (with the
    features behind it when `evidence`: they are otherwise weighed and let go one column at a time)."""
    forced = forced or set()
    if not texts:
        return [], []
    lang = doc_language(texts)
    seg = (models or default_models())[lang]
    with gc_paused():  # many small lists, no cycles (articles segment outside read_episode's pause)
        fs: list[Facts] = [facts(t) for t in texts]
        columns: dict | None = {} if evidence else None
        scores = seg.model.log_odds(iter_columns(fs, lang == "en", seg.model.needed), len(fs) - 1, columns)
        starts = decode(scores, forced, seg.prior)
        if lang == "zh":
            _bare_headings(starts, fs, forced)
        return _groups(scores, starts, forced, columns, seg.model)


def _bare_headings(starts: list[bool], fs: list[Facts], forced: set[int]) -> None:
    """In Chinese a bare heading opens the next story: no start right after one."""
    for j in range(1, len(starts)):
        if starts[j - 1] and starts[j] and j + 1 not in forced and _bare(fs[j]):
            starts[j] = False


def _groups(scores: list[float], starts: list[bool], forced: set[int], columns: dict | None, model: Model
            ) -> tuple[list[list[int]], list[Gap]]:
    gaps: list[Gap] = []
    groups: list[list[int]] = [[0]]
    for j, (s, start) in enumerate(zip(scores, starts), 1):
        hard = j in forced
        start = hard or start
        gaps.append(Gap(j, s, start, hard, columns, model if columns is not None else None))
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
