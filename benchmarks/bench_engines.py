"""Every network voice engine through its local stand-in (never a real service).

Cases, one per engine (edge, azure, openai): the speech stage of an episode of
ITEMS items, each request answered after 300 ms, with --jobs 1 (baseline) and
--jobs 4 (studio), each from an empty cache. Target: jobs 4 at least 3x faster.
The stand-ins run in this process with their audio rendered beforehand, so the
time is the client's: requests, retries, checks, cache writes.

Run: python -m benchmarks engines [--quick]   or   python benchmarks/bench_engines.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LATENCY = 0.3
ITEMS = 16
VOICE = "zh-CN-XiaoxiaoNeural"
TARGET = 3.0


def _texts(n: int) -> list[str]:
    return [f"第{k}条：英伟达发布了新的数据中心芯片，性能提升了{k}倍。" for k in range(1, n + 1)]


def _row(case, studio, baseline, target, ok, note):
    ratio = baseline / studio if studio else float("inf")
    return {"case": case, "studio": round(studio, 3), "baseline": round(baseline, 3), "ratio": round(ratio, 2),
            "target": target, "ok": bool(ok), "note": note}


def _speak(root: Path, texts: list[str], engine: str, speech: str, jobs: int):
    from studio.speech.synthesize import synthesize_episode
    from devtools.showkit import episode, show_at

    show = show_at(root, speech=speech)
    t0 = time.perf_counter()
    result = synthesize_episode(episode(texts, root), show, engine, root / "cache", jobs=jobs, seed=7)
    elapsed = time.perf_counter() - t0
    assert result.engine == engine and result.synthesized == len(texts), result
    return elapsed


def _servers(texts: list[str]):
    from devtools.azure_server import AzureStandIn
    from devtools.edge_server import EdgeStandIn
    from devtools.openai_server import OpenAIStandIn

    edge = EdgeStandIn(latency=LATENCY).start()
    edge.prerender(texts, VOICE)
    azure = AzureStandIn(latency=LATENCY, key="bench-key").start()
    azure.prerender(texts, VOICE, 24000, 96)
    openai = OpenAIStandIn(latency=LATENCY, key="").start()
    openai.prerender(texts, VOICE)
    os.environ["STUDIO_EDGE_WSS_URL"] = edge.url
    os.environ["STUDIO_BENCH_AZURE_KEY"] = "bench-key"
    settings = {
        "edge": "",
        "azure": f'[speech.azure]\nendpoint = "{azure.base_url}"\nkey_env = "STUDIO_BENCH_AZURE_KEY"\n',
        "openai": f'[speech.openai]\nbase_url = "{openai.base_url}/v1"\nmodel = "kokoro"\n'
                  f'[speech.openai.voices]\n"{VOICE}" = "zf_xiaoxiao"\n',
    }
    return [edge, azure, openai], settings


def run(quick: bool = False) -> list[dict]:
    n = 4 if quick else ITEMS
    texts = _texts(n)
    saved = {k: os.environ.get(k) for k in ("STUDIO_EDGE_WSS_URL", "STUDIO_BENCH_AZURE_KEY")}
    servers, settings = _servers(texts)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for engine, speech in settings.items():
                _speak(tmp / f"{engine}-warm", texts[:1], engine, speech, 1)  # imports, first connection
                t1 = _speak(tmp / f"{engine}-j1", texts, engine, speech, 1)
                t4 = _speak(tmp / f"{engine}-j4", texts, engine, speech, 4)
                rows.append(_row(f"{engine}-jobs4-vs-jobs1", t4, t1, f">= {TARGET:g}x", t1 / t4 >= TARGET,
                                 f"{n} items, {LATENCY * 1000:.0f} ms per request via the {engine} stand-in; "
                                 f"speech stage wall time, jobs 1 (baseline) vs 4"))
    finally:
        for s in servers:
            s.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['case']:<24} studio={row['studio']:<8} baseline={row['baseline']:<8} ratio={row['ratio']:<6} "
              f"target={row['target']:<8} {'OK' if row['ok'] else 'FAIL'}  {row['note']}")
