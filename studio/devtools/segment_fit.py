"""Fit the story segmenter's logistic weights on labelled roundups (needs numpy).

    python -m studio.devtools.segment_fit tests/fixtures/segmentation          # fit, write segment_model.json
    python -m studio.devtools.segment_fit tests/fixtures/segmentation --loso   # leave-one-source-out scores

A folder holds NN-name.txt transcripts and NN-name.json references (sentences,
true item starts, source; see its README.md and score.py). Our own sentence
splitter is run on each .txt and every gap is labelled by whether a reference
item starts there; one model per language (zh, en) is fitted with L2-regularised
logistic regression on standardised features.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from studio.ingest.boundary import FEATURES, facts, gap_features
from studio.ingest.segment import MODEL_FILE, STAGE2, Model, Segmenter, doc_language, stage2_rows
from studio.ingest.transcript import _sentences, transcript_items
from studio.ingest.typography import display_text

_WS = re.compile(r"\s+")
L2 = 0.1
THRESHOLDS = {"zh": 0.55, "en": 0.45}  # picked from 0.35..0.6 by in-sample Pk (--thresholds shows the grid)
ALSO_WEIGHT = 3.0  # a hand-labelled host transcript counts as three roundups


@dataclass
class Doc:
    name: str
    lang: str
    source: str  # the source family (owner/repo): the unit left out by LOSO
    text: str
    sentences: list[str]  # reference sentences
    starts: list[int]
    weight: float = 1.0  # per gap in the fit


def load_docs(folder: Path) -> list[Doc]:
    docs = []
    for jp in sorted(Path(folder).glob("[0-9][0-9]-*.json")):
        ref = json.loads(jp.read_text(encoding="utf-8"))
        family = "/".join(ref["source"].split("/")[:2])
        text = jp.with_suffix(".txt").read_text(encoding="utf-8")
        docs.append(Doc(jp.stem, ref["lang"], family, text, ref["sentences"], ref["starts"]))
    return docs


def load_stories(script: Path, stories: Path) -> Doc:
    """A hand-labelled script (tests/fixtures/ingest/seed000_stories.json style) as one more Doc."""
    data = json.loads(Path(stories).read_text(encoding="utf-8"))
    sentences, starts = [], []
    for story in data["stories"]:
        starts.append(len(sentences))
        sentences += story["sentences"]
    text = Path(script).read_text(encoding="utf-8")
    return Doc(Path(script).stem, doc_language(sentences), "labelled/" + Path(script).stem, text, sentences, starts,
               ALSO_WEIGHT)


def scorer(folder: Path):
    """The folder's score.py module (pk, windowdiff, hyp_starts, window_k, boundaries)."""
    spec = importlib.util.spec_from_file_location("segmentation_score", Path(folder) / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labelled_gaps(doc: Doc) -> tuple[list[list[float]], list[int]]:
    """Feature rows and 0/1 labels for every gap of our own split of the transcript."""
    sentences, _forced = _sentences(doc.text)
    ref_offsets, pos = set(), 0
    for i, s in enumerate(doc.sentences):
        if i in doc.starts:
            ref_offsets.add(pos)
        pos += len(_WS.sub("", s))
    ours, pos = [], 0
    for s in sentences:
        ours.append(pos)
        pos += len(_WS.sub("", s.text))
    texts = [s.text for s in sentences]
    rows = gap_features([facts(t) for t in texts], doc_language(texts) == "en")
    return rows, [int(ours[j] in ref_offsets) for j in range(1, len(sentences))]


def fit(rows: list[list[float]], labels: list[int], l2: float = L2, names: tuple[str, ...] = FEATURES,
        weights: list[float] | None = None) -> Model:
    """Logistic regression (Newton steps) on standardised features -> Model."""
    import numpy as np

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
        features=tuple(names),
    )


def fit_models(docs: list[Doc], cache: dict | None = None, thresholds: dict | None = None) -> dict[str, Segmenter]:
    """One two-stage segmenter per language."""
    cache = {} if cache is None else cache
    out = {}
    for lang in ("zh", "en"):
        mine = [d for d in docs if d.lang == lang]
        for d in mine:
            if d.name not in cache:
                cache[d.name] = labelled_gaps(d)
        rows = [r for d in mine for r in cache[d.name][0]]
        labels = [y for d in mine for y in cache[d.name][1]]
        weights = [d.weight for d in mine for _ in cache[d.name][1]]
        stage1 = fit(rows, labels, weights=weights)
        rows2 = [r2 for d in mine
                 for r2 in stage2_rows(cache[d.name][0], [stage1.probability(r) for r in cache[d.name][0]])]
        stage2 = fit(rows2, labels, names=STAGE2, weights=weights)
        stage2.threshold = (thresholds or THRESHOLDS)[lang]
        out[lang] = Segmenter(stage1, stage2)
    return out


def score_doc(doc: Doc, models: dict[str, Segmenter], sc) -> tuple[float, float]:
    """(Pk, WindowDiff) of the transcript reader with `models` on `doc`, as score.py computes them."""
    items = [it.text for it in transcript_items(doc.text, models)]
    n = len(doc.sentences)
    k = sc.window_k(doc.starts, n)
    hyp, _ = sc.hyp_starts([display_text(s) for s in doc.sentences], items)  # items carry display typography
    ref_b, hyp_b = sc.boundaries(doc.starts, n), sc.boundaries(hyp, n)
    return sc.pk(ref_b, hyp_b, k), sc.windowdiff(ref_b, hyp_b, k)


def in_sample(docs: list[Doc], sc, models: dict[str, Segmenter] | None = None) -> dict[str, float]:
    models = models or fit_models(docs)
    return {d.name: score_doc(d, models, sc)[0] for d in docs}


def leave_one_source_out(docs: list[Doc], sc, extra: list[Doc] = ()) -> dict[str, float]:
    """Pk of each doc with models fitted without any file of its source (plus `extra` always)."""
    cache: dict = {}
    out = {}
    for family in sorted({d.source for d in docs}):
        models = fit_models([d for d in docs if d.source != family] + list(extra), cache)
        for d in docs:
            if d.source == family:
                out[d.name] = score_doc(d, models, sc)[0]
    return out


def means(scores: dict[str, float], docs: list[Doc]) -> dict[str, float]:
    lang = {d.name: d.lang for d in docs}
    out = {}
    for key, sel in (("all", None), ("zh", "zh"), ("en", "en")):
        xs = [v for k, v in scores.items() if sel is None or lang[k] == sel]
        out[key] = sum(xs) / len(xs) if xs else float("nan")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--loso", action="store_true", help="also print leave-one-source-out scores")
    ap.add_argument("--also", nargs=2, action="append", default=[], metavar=("SCRIPT", "STORIES"),
                    help="train on a hand-labelled script too (not scored)")
    ap.add_argument("--dry-run", action="store_true", help="do not write segment_model.json")
    ap.add_argument("--thresholds", action="store_true", help="print in-sample Pk for thresholds 0.35..0.6")
    args = ap.parse_args(argv)
    docs = load_docs(args.folder)
    extra = [load_stories(a, b) for a, b in args.also]
    sc = scorer(args.folder)
    if args.thresholds:
        for t in (0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
            scores = in_sample(docs, sc, fit_models(docs + extra, thresholds={"zh": t, "en": t}))
            print(f"threshold {t}: ", {k: round(v, 3) for k, v in means(scores, docs).items()})
    models = fit_models(docs + extra)
    scores = in_sample(docs, sc, models)
    for d in extra:
        print(f"{d.name:40} Pk {score_doc(d, models, sc)[0]:.3f} (trained on)")
    for name, v in scores.items():
        print(f"{name:40} Pk {v:.3f}")
    print("in-sample", {k: round(v, 3) for k, v in means(scores, docs).items()})
    if args.loso:
        loso = leave_one_source_out(docs, sc, extra)
        print("LOSO     ", {k: round(v, 3) for k, v in means(loso, docs).items()})
    if not args.dry_run:
        data = {"features": list(FEATURES), "models": {k: {"stage1": m.stage1.to_json(), "stage2": m.stage2.to_json()}
                                                          for k, m in models.items()}}
        MODEL_FILE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
