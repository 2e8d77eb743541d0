"""Benchmark: `studio items` on big scripts stays linear (10 MB in a few seconds).

    python benchmarks/bench_items.py           # 10 MB and 20 MB transcripts and newsletters
    python benchmarks/bench_items.py --quick   # small sizes, for a CI smoke run

Prints e.g. "items 10MB: 1.8 s (target ≤ 3 s); 20MB/10MB = 2.03 (target ≤ 2.2)", and the peak memory
of `studio items` on the 10 MB transcript in a fresh process (target ≤ 300 MB).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.cli.items import items_command  # noqa: E402

STORIES = [
    "AI服务初创公司Runway帮助用户利用AI基于文本生成视频,公司进行融资1亿美元,估值达到15亿美元,谷歌参与投资。",
    "公司今年早些时候完成1.5亿美元A轮融资,市值10亿美元。",
    "5月30日,乘着ChatGPT的芯片热潮,英伟达市值首度突破1万亿美元。",
    "华尔街分析师对英伟达最高估值已经达到1.6万亿美元,与谷歌母公司Alphabet相当。",
    "此前,CoreWeave主要服务于加密货币挖矿市场,方向调整到AI之后实现大幅增长。",
    "5月30日,上海市发展改革委员会发布上海市加大力度支持民间投资发展若干政策措施。",
    "教育部等18个部门近日联合印发《关于加强新时代中小学科学教育工作的意见》。",
    "非盈利学习平台Khan Academy近日宣布开发出新的GPT工具Khan Migo。",
]


def transcript(size: int, rng: random.Random) -> str:
    parts = ["大家好,这里是基准测试周报。"]
    total = len(parts[0].encode())
    while total < size:
        s = rng.choice(STORIES)
        parts.append(s)
        total += len(s.encode())
        if rng.random() < 0.02:
            parts.append("\n\n")
    parts.append("这期节目就到这里,感谢收听。")
    return "".join(parts)


def newsletter(size: int, rng: random.Random) -> str:
    lines = ["> 导读：基准测试。", ""]
    total, n = 0, 0
    while total < size:
        if n % 40 == 0:
            lines += ["---", f"## 栏目{n // 40}", ""]
        story = rng.choice(STORIES)
        line = f"* {story} [链接](https://example.com/{n})" if n % 3 else f"### 新闻{n}\n\n{story}"
        lines += [line, ""]
        total += len(line.encode()) + 2
        n += 1
    lines += ["---", "> Copyright © 2024"]
    return "\n".join(lines)


def time_items(path: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `studio items` on `path`. CPU time is what the
    targets use: wall time also counts other processes on a busy machine."""
    cpu, wall = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = items_command(path, None, False)
    if code != 0:
        raise SystemExit(f"studio items failed on {path}")
    return time.process_time() - cpu, time.perf_counter() - wall


def peak_mb(path: Path) -> float:
    """Peak resident memory (MB) of a fresh process running `studio items` on `path`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code = ("import contextlib, io, sys; from studio.cli.items import items_command\n"
            "with contextlib.redirect_stdout(io.StringIO()): sys.exit(items_command(sys.argv[1], None, False))")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, cwd=Path(__file__).resolve().parents[1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if after <= before:  # ru_maxrss of children is the largest child's; an earlier child was bigger
        raise SystemExit("peak memory: measure in a process that has run no bigger child")
    return after / 1024


def run(quick: bool = False) -> list[dict]:
    """Rows for `python -m benchmarks`: time for 10 MB (target ≤ 3 s) and the 20 MB/10 MB ratio (≤ 2.2)."""
    mb = 1 if quick else 10
    limit = 1.0 if quick else 3.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text(transcript(20_000, random.Random(0)), encoding="utf-8")
        time_items(warm)  # imports and compiled patterns are not part of the measure
        for name, make, suffix in [("transcript", transcript, ".txt"), ("newsletter", newsletter, ".md")]:
            times, walls = {}, {}
            for size in (mb, 2 * mb):
                path = Path(tmp) / f"{name}-{size}{suffix}"
                path.write_text(make(size * 1_000_000, random.Random(size)), encoding="utf-8")
                runs = [time_items(path) for _ in range(2)]
                times[size], walls[size] = min(r[0] for r in runs), min(r[1] for r in runs)
            ratio = times[2 * mb] / times[mb]
            if name == "transcript":
                peak = peak_mb(Path(tmp) / f"{name}-{mb}{suffix}")
                rows.append({"case": f"studio items, {name} {mb} MB peak memory", "studio": peak, "baseline": 300.0,
                             "ratio": peak / 300.0, "target": "≤ 300 MB", "ok": peak <= 300.0 or quick,
                             "note": "MB, peak RSS of a fresh process; baseline = the budget"})
            rows.append({"case": f"studio items, {name} {mb} MB", "studio": times[mb], "baseline": limit,
                         "ratio": times[mb] / limit, "target": f"≤ {limit:g} s", "ok": times[mb] <= limit,
                         "note": f"CPU s (wall {walls[mb]:.2f} s); baseline = the budget"})
            rows.append({"case": f"studio items, {name} {2 * mb} MB vs {mb} MB", "studio": times[2 * mb],
                         "baseline": times[mb], "ratio": ratio, "target": "≤ 2.2×", "ok": ratio <= 2.2 or quick,
                         "note": "CPU s: linear in the input"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    args = parser.parse_args()
    rows = run(args.quick)
    for r in rows:
        unit = "MB" if "memory" in r["case"] else "s"
        print(f"{r['case']}: {r['studio']:.2f} {unit} (target {r['target']}, ratio {r['ratio']:.2f})"
              f"{'' if r['ok'] else '  MISSED'}   [{r['note']}]")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
