"""Fit the story segmenter on labelled roundups (needs numpy).

    python -m devtools.segment_fit tests/fixtures/segmentation --loso     # fit, in-sample and LOSO scores
    python -m devtools.segment_fit tests/fixtures/segmentation --write    # also replace segment_model.json

A folder holds NN-name.txt transcripts and NN-name.json references (sentences,
true item starts, source; see its README.md and score.py). Our own sentence
splitter is run on each .txt and every gap is labelled by whether a reference
item starts there. One boundary model for both languages (more sources to learn
from than either has alone) is fitted with L2-regularised logistic regression
on standardised features, every source weighing the same; then each language
gets its story-length prior (studio.ingest.storylength). The L2 strength and
the priors are chosen by leave-one-source-out Pk, never on the file being
scored: `--loso` is nested (the held-out source takes no part in choosing them).
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from studio.ingest.boundary import FEATURES
from studio.ingest.segment import MODEL_FILE, Model, Segmenter, doc_language, doc_z, rows_of
from studio.ingest.storylength import CountPrior, LengthPrior, Prior, decode
from studio.ingest.transcript import _sentences, transcript_items
from studio.ingest.typography import display_text

_WS = re.compile(r"\s+")
L2_GRID = (3.0, 10.0, 30.0)
SHIFTS = (-1.0, -0.5, 0.0, 0.5, 1.0)
LENGTH_GRID = tuple(LengthPrior(shift, weight, typical) for shift in SHIFTS
                    for weight, typical in ((w, t) for w in (0.5, 1.0) for t in (0.0, 2.0)))
COUNT_WEIGHTS = (0.0, 10.0, 30.0, 100.0)  # 0: a threshold at `shift`
LANGS = ("zh", "en")
POOLED = True  # one boundary model for both languages (False: one per language)
DECODERS = ("count", "length")  # the kinds of prior the choice may pick from
# document constants and 0/1 flags have no document-relative (z) form
NOT_Z = {"bias", "en_doc", "doc_len"}


@dataclass
class Doc:
    name: str
    lang: str
    source: str  # the source family (owner/repo): the unit left out by LOSO
    text: str
    sentences: list[str]  # reference sentences
    starts: list[int]
    group: str = "base"  # "base" (the set's first 24 files: the shared set), "added" (real, added later), "synthetic"


def load_docs(folder: Path, synthetic: bool = False) -> list[Doc]:
    """The labelled transcripts of `folder` (and of its synthetic/ subfolder when `synthetic`)."""
    docs = []
    paths = sorted(Path(folder).glob("[0-9][0-9]-*.json"))
    if synthetic:
        paths += sorted((Path(folder) / "synthetic").glob("[0-9][0-9]-*.json"))
    for jp in paths:
        ref = json.loads(jp.read_text(encoding="utf-8"))
        family = "/".join(ref["source"].split("/")[:2])
        text = jp.with_suffix(".txt").read_text(encoding="utf-8")
        group = "synthetic" if ref.get("synthetic") else "added" if ref.get("added") else "base"
        docs.append(Doc(jp.stem, ref["lang"], family, text, ref["sentences"], ref["starts"], group))
    return docs


def load_stories(script: Path, stories: Path) -> Doc:
    """A hand-labelled script (tests/fixtures/ingest/seed000_stories.json style) as one more Doc."""
    data = json.loads(Path(stories).read_text(encoding="utf-8"))
    sentences, starts = [], []
    for story in data["stories"]:
        starts.append(len(sentences))
        sentences += story["sentences"]
    text = Path(script).read_text(encoding="utf-8")
    return Doc(Path(script).stem, doc_language(sentences), "labelled/" + Path(script).stem, text, sentences, starts)


def scorer(folder: Path):
    """The folder's score.py module (pk, windowdiff, hyp_starts, window_k, boundaries)."""
    spec = importlib.util.spec_from_file_location("segmentation_score", Path(folder) / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Gaps:
    """A document's gap features, labels, host breaks, and where each gap falls in the reference sentences."""

    rows: list[list[float]]  # FEATURES order
    labels: list[int]
    ref_index: list[int]  # the reference sentence holding our sentence j (gap j - 1)
    forced: set[int]

    def zrows(self, zfeatures: tuple[str, ...]) -> list[list[float]]:
        """Each gap's document-relative values of `zfeatures` (as the shipped model computes them)."""
        cols = [doc_z([r[FEATURES.index(k)] for r in self.rows]) for k in zfeatures]
        return [list(z) for z in zip(*cols)] if cols else [[] for _ in self.rows]


def labelled_gaps(doc: Doc) -> Gaps:
    """Feature rows and 0/1 labels for every gap of our own split of the transcript."""
    sentences, forced = _sentences(doc.text)
    ref_offsets, pos = [], 0
    for s in doc.sentences:
        ref_offsets.append(pos)
        pos += len(_WS.sub("", s))
    starts = {ref_offsets[i] for i in doc.starts}
    ours, pos = [], 0
    for s in sentences:
        ours.append(pos)
        pos += len(_WS.sub("", s.text))
    rows = rows_of([s.text for s in sentences])
    gaps = range(1, len(sentences))
    return Gaps(rows, [int(ours[j] in starts) for j in gaps],
                [bisect.bisect_right(ref_offsets, ours[j]) - 1 for j in gaps], forced)


def z_features(docs: list[Doc], gaps) -> tuple[str, ...]:
    """The features that vary by degree (more than two values over `docs`): they also enter relative
    to their document."""
    out = []
    for i, k in enumerate(FEATURES):
        if k not in NOT_Z and len({r[i] for d in docs for r in gaps(d).rows}) > 2:
            out.append(k)
    return tuple(out)


def fit(rows: list[list[float]], labels: list[int], l2: float, names: tuple[str, ...] = FEATURES,
        weights: list[float] | None = None, zfeatures: tuple[str, ...] = ()) -> Model:
    """Logistic regression (Newton steps) on standardised features -> Model. `names`: the columns of
    `rows`, FEATURES followed by "z_<name>" for each of `zfeatures`."""
    import numpy as np  # lazy: fitting only (numpy is a test dependency, not Studio's)

    x = np.array(rows, dtype=float)
    y = np.array(labels, dtype=float)
    sw = np.ones(len(labels)) if weights is None else np.array(weights, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0  # the bias column
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.zeros(z.shape[1])
    reg = np.eye(z.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -40, 40)))
        grad = z.T @ (sw * (p - y)) + reg @ w
        hess = (z.T * (sw * p * (1 - p))) @ z + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return Model(
        weights={k: round(float(v), 5) for k, v in zip(names, w)},
        mean={k: round(float(v), 5) for k, v in zip(names, mean)},
        scale={k: round(float(v), 5) for k, v in zip(names, scale)},
        features=FEATURES,
        zfeatures=zfeatures,
    )


def count_fit(docs: list[Doc], gaps) -> tuple[float, float, int, int]:
    """(a, b) of ln items ≈ a + b · ln sentences, least squares over `docs` (our sentence split), and the
    fewest and most sentences of those documents (the range the fit holds for)."""
    ns = [len(gaps(d).labels) + 1 for d in docs]
    xs = [math.log(n) for n in ns]
    ys = [math.log(len(d.starts)) for d in docs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return round(my - b * mx, 5), round(b, 5), min(ns), max(ns)


def prior_grid(fitted: tuple[float, float, int, int], kinds: tuple[str, ...] = DECODERS) -> list[Prior]:
    grid: list[Prior] = []
    if "count" in kinds:
        grid += [CountPrior(shift, weight, *fitted) for shift in SHIFTS for weight in COUNT_WEIGHTS]
    if "length" in kinds:
        grid += list(LENGTH_GRID)
    return grid


@dataclass
class Choice:
    """What fitting chose: the L2 strength, each language's prior, and their LOSO Pk."""

    l2: float
    priors: dict[str, Prior]
    loso: dict[str, float]


class Fitter:
    """Fits the boundary model on documents and chooses the priors, caching each document's gaps."""

    def __init__(self, sc, zfeatures: tuple[str, ...] | None = None, kinds: tuple[str, ...] = DECODERS,
                 cache: dict[str, Gaps] | None = None) -> None:
        self.sc = sc
        self.cache: dict[str, Gaps] = {} if cache is None else cache  # may be shared: gaps do not depend on the fit
        self.zcache: dict[str, list[list[float]]] = {}
        self.arrays: dict = {}  # doc name -> its rows as a numpy array
        self.fits: dict[tuple, Model] = {}
        self.zfeatures = zfeatures  # None: chosen from the documents of the first fit
        self.kinds = kinds

    def gaps(self, doc: Doc) -> Gaps:
        if doc.name not in self.cache:
            self.cache[doc.name] = labelled_gaps(doc)
        return self.cache[doc.name]

    def rows(self, doc: Doc) -> list[list[float]]:
        """FEATURES then the z values of `zfeatures`, for every gap of `doc`."""
        if doc.name not in self.zcache:
            g = self.gaps(doc)
            self.zcache[doc.name] = [r + z for r, z in zip(g.rows, g.zrows(self.zfeatures))]
        return self.zcache[doc.name]

    def fit(self, docs: list[Doc], l2: float) -> Model:
        """One model on `docs` (both languages); every source weighs the same in total."""
        if self.zfeatures is None:
            self.zfeatures = z_features(docs, self.gaps)
        key = (tuple(sorted(d.name for d in docs)), l2)
        if key not in self.fits:
            per_source: dict[str, int] = {}
            for d in docs:
                per_source[d.source] = per_source.get(d.source, 0) + len(self.gaps(d).labels)
            total = sum(per_source.values())
            rows = [r for d in docs for r in self.rows(d)]
            labels = [y for d in docs for y in self.gaps(d).labels]
            weights = [total / len(per_source) / per_source[d.source] for d in docs for _ in self.gaps(d).labels]
            names = FEATURES + tuple(f"z_{k}" for k in self.zfeatures)
            self.fits[key] = fit(rows, labels, l2, names, weights, self.zfeatures)
        return self.fits[key]

    def fit_for(self, docs: list[Doc], l2: float, lang: str) -> Model:
        return self.fit(docs if POOLED else [d for d in docs if d.lang == lang], l2)

    def log_odds(self, model: Model, doc: Doc) -> list[float]:
        """`model.row_log_odds` of every gap of `doc`, as one matrix product."""
        import numpy as np  # lazy: fitting only (numpy is a test dependency, not Studio's)

        if doc.name not in self.arrays:
            self.arrays[doc.name] = np.array(self.rows(doc), dtype=float).reshape(len(self.gaps(doc).labels), -1)
        coef = np.array([model.weights.get(k, 0.0) / (model.scale.get(k, 1.0) or 1.0) for k in FEATURES]
                        + [model.weights.get(f"z_{k}", 0.0) / (model.scale.get(f"z_{k}", 1.0) or 1.0)
                           for k in model.zfeatures])
        return list(self.arrays[doc.name] @ coef + model.row_log_odds([0.0] * len(FEATURES), [0.0] * len(model.zfeatures)))

    def pk(self, doc: Doc, scores: list[float], prior: Prior) -> float:
        """Pk of the decoded starts on `doc`, as score.py computes it (fast path, no item texts)."""
        g, sc, n = self.gaps(doc), self.sc, len(doc.sentences)
        starts = decode(scores, g.forced, prior)
        hyp = sorted({0} | {g.ref_index[j] for j, s in enumerate(starts) if s or j + 1 in g.forced})
        return sc.pk(sc.boundaries(doc.starts, n), sc.boundaries(hyp, n), sc.window_k(doc.starts, n))

    def choose(self, docs: list[Doc]) -> Choice:
        """The L2 strength and per-language priors with the best leave-one-source-out Pk on `docs`
        (a hand-labelled script is a source of its own); the count prior's (a, b) are fitted on the
        sources left in, like the model."""
        best: Choice | None = None
        for l2 in L2_GRID:
            scores: dict[str, list[float]] = {}
            grids: dict[str, list[Prior]] = {}
            for family in sorted({d.source for d in docs}):
                train = [d for d in docs if d.source != family]
                fitted = count_fit(train, self.gaps)
                for d in docs:
                    if d.source == family:
                        scores[d.name] = self.log_odds(self.fit_for(train, l2, d.lang), d)
                        grids[d.name] = prior_grid(fitted, self.kinds)
            priors, loso = {}, {}
            fitted = count_fit(docs, self.gaps)
            for lang in LANGS:
                mine = [d for d in docs if d.lang == lang]
                if not mine:
                    priors[lang], loso[lang] = CountPrior(0.0, 0.0, *fitted), float("nan")
                    continue
                table = [(_per_source_mean({d.name: self.pk(d, scores[d.name], grids[d.name][i]) for d in mine}, mine), i)
                         for i in range(len(prior_grid(fitted, self.kinds)))]
                pk, i = min(table)
                priors[lang], loso[lang] = prior_grid(fitted, self.kinds)[i], pk  # (a, b) refitted on all of `docs`
            total = sum(loso[lang] * sum(d.lang == lang for d in docs) for lang in LANGS if loso[lang] == loso[lang])
            loso["all"] = total / max(1, len(docs))
            if best is None or loso["all"] < best.loso["all"]:
                best = Choice(l2, priors, loso)
        return best

    def models(self, docs: list[Doc], choice: Choice | None = None) -> dict[str, Segmenter]:
        """The segmenter of each language, fitted on `docs` with `choice` (chosen by LOSO on `docs` if None)."""
        choice = choice or self.choose(docs)
        return {lang: Segmenter(self.fit_for(docs, choice.l2, lang), choice.priors[lang]) for lang in LANGS}


def _per_source_mean(pks: dict[str, float], docs: list[Doc]) -> float:
    """The mean over sources of each source's mean Pk (every source weighs the same, as in fitting)."""
    by_source: dict[str, list[float]] = {}
    for d in docs:
        by_source.setdefault(d.source, []).append(pks[d.name])
    return sum(sum(v) / len(v) for v in by_source.values()) / len(by_source)


def score_doc(doc: Doc, models: dict[str, Segmenter], sc) -> tuple[float, float, int]:
    """(Pk, WindowDiff, items) of the transcript reader with `models` on `doc`, as score.py computes them."""
    items = [it.text for it in transcript_items(doc.text, models)]
    n = len(doc.sentences)
    k = sc.window_k(doc.starts, n)
    hyp, _ = sc.hyp_starts([display_text(s) for s in doc.sentences], items)  # items carry display typography
    ref_b, hyp_b = sc.boundaries(doc.starts, n), sc.boundaries(hyp, n)
    return sc.pk(ref_b, hyp_b, k), sc.windowdiff(ref_b, hyp_b, k), len(items)


def in_sample(docs: list[Doc], sc, models: dict[str, Segmenter]) -> dict[str, tuple[float, int]]:
    """{doc: (Pk, items)} of `models` on the documents they were fitted on."""
    out = {}
    for d in docs:
        pk, _, items = score_doc(d, models, sc)
        out[d.name] = (pk, items)
    return out


def leave_one_source_out(docs: list[Doc], sc, extra: list[Doc] = (), kinds: tuple[str, ...] = DECODERS
                         ) -> dict[str, tuple[float, int]]:
    """{doc: (Pk, items)} with models fitted without any file of its source (plus `extra` always).
    Nested: the L2 strength and the priors are chosen by LOSO among the remaining sources only."""
    cache: dict[str, Gaps] = {}
    out = {}
    for family in sorted({d.source for d in docs}):  # a fitter per fold: nothing is chosen on the held-out files
        models = Fitter(sc, kinds=kinds, cache=cache).models([d for d in docs if d.source != family] + list(extra))
        for d in docs:
            if d.source == family:
                pk, _, items = score_doc(d, models, sc)
                out[d.name] = (pk, items)
    return out


def means(scores: dict[str, tuple[float, int] | float], docs: list[Doc]) -> dict[str, float]:
    """Mean Pk over `docs` (all, zh, en)."""
    lang = {d.name: d.lang for d in docs}
    out = {}
    for key, sel in (("all", None), ("zh", "zh"), ("en", "en")):
        xs = [v[0] if isinstance(v, tuple) else v for k, v in scores.items() if k in lang and (sel is None or lang[k] == sel)]
        out[key] = sum(xs) / len(xs) if xs else float("nan")
    return out


def count_ok(scores: dict[str, tuple[float, int]], docs: list[Doc], within: float = 0.25) -> float:
    """The share of documents whose item count is within ±`within` of the reference's."""
    ref = {d.name: len(d.starts) for d in docs}
    ok = [abs(items - ref[k]) <= within * ref[k] for k, (_, items) in scores.items() if k in ref]
    return sum(ok) / max(1, len(ok))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--loso", action="store_true", help="also print (nested) leave-one-source-out scores")
    ap.add_argument("--also", nargs=2, action="append", default=[], metavar=("SCRIPT", "STORIES"),
                    help="train on a hand-labelled script too (not scored)")
    ap.add_argument("--write", action="store_true", help="replace the shipped segment_model.json")
    ap.add_argument("--per-language", action="store_true", help="one boundary model per language (not pooled)")
    ap.add_argument("--decoders", default=",".join(DECODERS), help="kinds of prior to choose from: count,length")
    ap.add_argument("--no-z", action="store_true", help="no document-relative features (ablation)")
    ap.add_argument("--synthetic", action="store_true", help="also fit on (and score) the synthetic/ roundups")
    args = ap.parse_args(argv)
    global POOLED
    POOLED = not args.per_language
    kinds = tuple(k for k in args.decoders.split(",") if k)
    docs = load_docs(args.folder, args.synthetic)
    extra = [load_stories(a, b) for a, b in args.also]
    sc = scorer(args.folder)
    if args.no_z:
        global z_features
        z_features = lambda docs, gaps: ()  # noqa: E731
    fitter = Fitter(sc, kinds=kinds)
    choice = fitter.choose(docs + extra)
    print(f"L2 {choice.l2}; priors {({k: p.to_json() for k, p in choice.priors.items()})}")
    print("leave-one-source-out Pk while choosing", {k: round(v, 3) for k, v in choice.loso.items()})
    models = fitter.models(docs + extra, choice)
    scores = in_sample(docs, sc, models)
    for d in extra:
        print(f"{d.name:40} Pk {score_doc(d, models, sc)[0]:.3f} (trained on)")
    for d in docs:
        pk, items = scores[d.name]
        print(f"{d.name:40} Pk {pk:.3f}  items {items:3d} (reference {len(d.starts)})")
    print("in-sample", {k: round(v, 3) for k, v in means(scores, [d for d in docs if d.group == "base"]).items()})
    if args.loso:
        loso = leave_one_source_out(docs, sc, extra, kinds)
        held = Fitter(sc, kinds=kinds, cache=fitter.cache).models(docs)
        for d in extra:
            pk, _, items = score_doc(d, held, sc)
            print(f"  held out {d.name:40} Pk {pk:.3f}  items {items:3d} (reference {len(d.starts)})")
        for d in docs:
            pk, items = loso[d.name]
            print(f"  held out {d.name:40} Pk {pk:.3f}  items {items:3d} (reference {len(d.starts)})")
        for group in ("base", "added", "synthetic"):
            mine = [d for d in docs if d.group == group]
            if mine:
                part = {d.name: loso[d.name] for d in mine}
                print(f"LOSO {group:9}", {k: round(v, 3) for k, v in means(part, mine).items()},
                      f"item count within ±25 %: {count_ok(part, mine):.0%}")
    if args.write:
        data = {"features": list(FEATURES), "l2": choice.l2, "pooled": POOLED,
                "models": {k: {"model": m.model.to_json(), "prior": m.prior.to_json()} for k, m in models.items()}}
        MODEL_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
