"""Speech benchmarks against the local Edge stand-in (never the real service).

Cases (seconds unless the note says otherwise):
  jobs4-vs-jobs1   30 items, 500 ms latency per request: wall time of the speech stage
                   with --jobs 1 (baseline) / --jobs 4 (studio); target ratio >= 3.5
  rebuild          the same episode again: speech stage time; target <= 0.5 s and 0 requests
  faults-20pct     20% of texts fail once at random (dropped, closed, no audio, cut short):
                   the stage succeeds, every clip reaches the end of its text, retries reported
  espeak-pool      offline voice: sequential espeak-ng vs a 2-process pool (informational)

Run: python benchmarks/bench_speech.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


ITEMS = 30
LATENCY = 0.5


def _texts(n: int) -> list[str]:
    return [f"第{k}条新闻：英伟达发布了新的数据中心芯片，性能提升了{k}倍，价格保持不变。" for k in range(1, n + 1)]


def _show(root: Path, speech: str = ""):
    from devtools.showkit import show_at

    return show_at(root, speech=speech or "retry_backoff = 0.2")


def _episode(texts: list[str], root: Path):
    from devtools.showkit import episode

    return episode(texts, root)


def _speak(root: Path, texts: list[str], jobs: int, engine: str = "edge", speech: str = ""):
    from studio.speech.synthesize import synthesize_episode

    show = _show(root, speech)
    t0 = time.perf_counter()
    result = synthesize_episode(_episode(texts, root), show, engine, root / "cache", jobs=jobs, seed=7)
    return time.perf_counter() - t0, result


def _row(case, studio, baseline, ratio, target, ok, note):
    return {"case": case, "studio": round(studio, 3), "baseline": round(baseline, 3), "ratio": round(ratio, 2),
            "target": target, "ok": bool(ok), "note": note}


def _complete(result) -> bool:
    from studio.speech.align import coverage_problem
    from studio.speech.assemble import clip_duration_ms

    return all(coverage_problem(c.text, c.boundaries, clip_duration_ms(c)) is None for c in result.clips)


class StandInProcess:
    """The stand-in in its own process, as the real service would be: its CPU time
    does not compete with the client's event loop for one interpreter lock."""

    def __init__(self, texts: list[str], *args: str):
        import subprocess

        self.texts_file = tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False)
        self.texts_file.write("\n".join(texts))
        self.texts_file.close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devtools.edge_server", "--prerender", self.texts_file.name, *args],
            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("STUDIO_EDGE_WSS_URL="):
            self.close()
            raise RuntimeError(f"stand-in did not start: {line!r}")
        self.url = line.split("=", 1)[1]
        self.http = self.url.replace("ws://", "http://").split("/consumer")[0]

    def stats(self, reset: bool = False) -> dict:
        import json
        import urllib.request

        req = urllib.request.Request(self.http + ("/reset" if reset else "/stats"), method="POST" if reset else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        os.unlink(self.texts_file.name)


def bench_edge(quick: bool) -> list[dict]:
    rows = []
    texts = _texts(ITEMS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = StandInProcess(texts, "--latency", str(LATENCY))
        try:
            os.environ["STUDIO_EDGE_WSS_URL"] = server.url
            _speak(tmp / "warm-up", texts[:1], jobs=1)  # imports and first connection: timed in neither
            t1, _ = _speak(tmp / "j1", texts, jobs=1)
            t4, r4 = _speak(tmp / "j4", texts, jobs=4)
            rows.append(_row("jobs4-vs-jobs1", t4, t1, t1 / t4, ">= 3.5x", t1 / t4 >= 3.5 and _complete(r4),
                             f"{ITEMS} items, {LATENCY * 1000:.0f} ms latency per request; speech stage wall time"))
            server.stats(reset=True)
            t_re, r_re = _speak(tmp / "j4", texts, jobs=4, engine="auto")
            n_req = server.stats()["requests"]
            rows.append(_row("rebuild", t_re, t4, t4 / t_re, "<= 0.5 s, 0 requests",
                             t_re <= 0.5 and n_req == 0 and r_re.cached == ITEMS,
                             f"second build, engine auto: {n_req} requests, {r_re.cached} cached"))
        finally:
            server.close()

        n = 12 if quick else ITEMS
        # a random 20% of texts fail once mid-stream (dropped, closed, no audio, cut short),
        # and 5% of handshakes are refused with 503
        server = StandInProcess(texts[:n], "--latency", str(LATENCY), "--fault", "mixed:1:0.2",
                                "--fault", "503::0.05", "--seed", "3")
        try:
            os.environ["STUDIO_EDGE_WSS_URL"] = server.url
            tf, rf = _speak(tmp / "faults", texts[:n], jobs=4)
            stats = server.stats()
        finally:
            server.close()
        outcomes = stats["outcomes"]
        failures = sum(o != "ok" for o in outcomes) + (stats["requests"] - len(outcomes))  # + refused handshakes
        ok = rf.failed == 0 and _complete(rf) and rf.retried == failures and rf.retried > 0
        kinds = ", ".join(sorted(set(outcomes) - {"ok"}) + (["503"] if stats["requests"] > len(outcomes) else []))
        rows.append(_row("faults-20pct", tf, t4 * n / ITEMS, tf / (t4 * n / ITEMS), "succeeds, clips complete, retries>0",
                         ok, f"{n} items, {failures} failed requests ({kinds}), {rf.retried} retried, "
                             f"{rf.failed} failed; baseline = fault-free time scaled"))
    return rows


def bench_espeak_pool(quick: bool) -> list[dict]:
    from concurrent.futures import ProcessPoolExecutor

    from studio.speech.base import VoiceSettings
    from studio.speech.espeak import EspeakEngine

    texts = ["".join(_texts(8)[k:k + 4]) for k in range(4 if quick else 8)]  # ~150-character items
    voice = VoiceSettings("zh-CN-XiaoxiaoNeural")
    eng = EspeakEngine()
    eng.synthesize_sync("预热。", voice)
    t0 = time.perf_counter()
    for t in texts:
        eng.synthesize_sync(t, voice)
    seq = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_espeak_one, ["预热。", "预热。"]))
        t0 = time.perf_counter()
        list(pool.map(_espeak_one, texts))
        par = time.perf_counter() - t0
    return [_row("espeak-pool", par, seq, seq / par, "informational", True,
                 f"{len(texts)} items; sequential (baseline) vs 2-process pool (studio), {os.cpu_count()} CPUs shared")]


def _espeak_one(text: str) -> int:
    from studio.speech.base import VoiceSettings
    from studio.speech.espeak import EspeakEngine

    return len(EspeakEngine().synthesize_sync(text, VoiceSettings("zh-CN-XiaoxiaoNeural")).audio)


def run(quick: bool = False) -> list[dict]:
    saved = os.environ.get("STUDIO_EDGE_WSS_URL")
    try:
        return bench_edge(quick) + bench_espeak_pool(quick)
    finally:
        if saved is None:
            os.environ.pop("STUDIO_EDGE_WSS_URL", None)
        else:
            os.environ["STUDIO_EDGE_WSS_URL"] = saved


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row['case']:<16} studio={row['studio']:<8} baseline={row['baseline']:<8} ratio={row['ratio']:<6} "
              f"target={row['target']:<36} {'OK' if row['ok'] else 'FAIL'}  {row['note']}")
