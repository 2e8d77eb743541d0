"""Benchmark: story segmentation Pk on the segmentation set (tests/fixtures/segmentation).

    python benchmarks/bench_segmentation.py           # in-sample and leave-one-source-out (needs numpy)
    python benchmarks/bench_segmentation.py --quick   # the shipped model only (in-sample), no refits

In-sample: the shipped model (studio/ingest/segment_model.json, fitted on every
file plus seed 000). Leave-one-source-out: for each of the 14 sources, the model is
refitted without that source's files (L2 strength and threshold chosen again, by
leave-one-source-out among the other sources only) and scores them; this is what
to expect on a roundup from a source never seen. Baseline: "no boundaries", the better trivial
segmenter; the target (Pk ≤ 0.15) applies to the in-sample rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "fixtures" / "segmentation"
SEED = REPO / "tests" / "fixtures" / "seeds" / "000_deda1e7c2e026595.txt"
SEED_STORIES = REPO / "tests" / "fixtures" / "ingest" / "seed000_stories.json"
TARGET = 0.15


def run(quick: bool = False) -> list[dict]:
    from devtools import segment_fit as sf
    from studio.ingest.segment import default_models
    from studio.ingest.transcript import transcript_items

    docs = sf.load_docs(DATA)
    sc = sf.scorer(DATA)
    none = {d.name: sc.pk(sc.boundaries(d.starts, len(d.sentences)), sc.boundaries([0], len(d.sentences)),
                          sc.window_k(d.starts, len(d.sentences))) for d in docs}
    base = sf.means(none, docs)
    results = [("in-sample", sf.means(sf.in_sample(docs, sc, default_models()), docs))]
    if not quick:
        extra = [sf.load_stories(SEED, SEED_STORIES)]
        results.append(("leave-one-source-out", sf.means(sf.leave_one_source_out(docs, sc, extra), docs)))
    seed = sf.score_doc(sf.load_stories(SEED, SEED_STORIES), default_models(), sc)[0]
    seed_items = len(transcript_items(SEED.read_text(encoding="utf-8")))
    rows = []
    for label, scores in results:
        for lang in ("all", "zh", "en"):
            met = scores[lang] <= TARGET if label == "in-sample" else True
            rows.append({"case": f"segmentation Pk, {lang}, {label}", "studio": scores[lang], "baseline": base[lang],
                         "ratio": scores[lang] / base[lang], "target": f"≤ {TARGET}" if label == "in-sample" else "report",
                         "ok": met, "note": f"{sum(d.lang == lang or lang == 'all' for d in docs)} files; "
                                            "baseline = no boundaries"})
    rows.append({"case": "segmentation Pk, seed 000", "studio": seed, "baseline": 0.10, "ratio": seed / 0.10,
                 "target": "≤ 0.10, 21–25 items", "ok": seed <= 0.10 and 21 <= seed_items <= 25,
                 "note": f"hand labels (trained on); {seed_items} items"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shipped model only, no leave-one-source-out refits")
    args = parser.parse_args()
    rows = run(args.quick)
    for r in rows:
        print(f"{r['case']}: {r['studio']:.3f} (baseline {r['baseline']:.3f}, target {r['target']})"
              f"{'' if r['ok'] else '  MISSED'}   [{r['note']}]")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
