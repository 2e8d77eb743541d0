"""Inputs with an upper bound: peak memory (RSS) of reading and building large scripts.

    python -m benchmarks limits [--quick]

Rows: a script over [limits] script_kb and a 200 KB item without punctuation are
refused before any work, in about the memory of starting Studio at all; reading a
script at the size limit and building an episode at the item limit stay within
a fixed memory budget. The baseline is `studio --version` (the interpreter and
Studio's imports), or the build of a one-item episode, measured in the same run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import bench_env, row, scratch, studio_cmd

FRONT = "+++\ntitle = '上限'\ndate = 2026-03-02\nslug = 'limits'\n+++\n\n"
STORY = "这是一条普通长度的新闻，讲述了一家公司的新产品和它的市场反应。"


def peak(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall s, peak RSS MiB, exit status) of one command; a refusal (exit 1) is an answer here."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=bench_env(), stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
    if code not in (0, 1) or "Traceback" in message:
        raise RuntimeError(f"{' '.join(cmd)}: exit {code}: {message[-500:]}")
    return wall, usage.ru_maxrss / 1024, code


def _script(path: Path, items: int, per_item: str) -> Path:
    path.write_text(FRONT + "".join(f"## 第{n}条\n\n{per_item}\n\n" for n in range(1, items + 1)), "utf-8")
    return path


def run(quick: bool = False) -> list[dict]:
    with scratch() as root:
        return _rows(root, quick)


def _rows(root: Path, quick: bool) -> list[dict]:
    from studio.core.config import load_show

    limits = load_show(root / "show.toml").limits
    eps = root / "episodes"
    _, base_rss, _ = peak(studio_cmd("--version"), root)
    rows = []

    big_mb = 5 if quick else 50
    big = eps / "big.md"
    with open(big, "w", encoding="utf-8") as f:
        f.write(FRONT)
        chunk = "".join(f"## 第{n}条\n\n{STORY * 4}\n\n" for n in range(100))
        while f.tell() < big_mb * 1_000_000:
            f.write(chunk)
    wall, rss, code = peak(studio_cmd("build", str(big), "--engine", "espeak"), root)
    rows.append(row(f"refuse a {big_mb} MB script (peak RSS MiB)", rss, base_rss, "≤ start + 30 MiB, exit 1",
                    code == 1 and rss <= base_rss + 30, f"{wall:.2f} s; baseline: studio --version"))

    text = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(70_000))  # 210 KB, no punctuation
    long = eps / "long.md"
    long.write_text(FRONT + f"## 长条\n\n{text}\n", "utf-8")
    wall, rss, code = peak(studio_cmd("build", str(long), "--engine", "espeak"), root)
    rows.append(row("refuse a 200 KB unpunctuated item (peak RSS MiB)", rss, base_rss, "≤ start + 100 MiB, ≤ 10 s",
                    code == 1 and rss <= base_rss + 100 and wall <= 10, f"{wall:.2f} s; baseline: studio --version"))

    at_limit = eps / "at-limit.md"  # as big as [limits] allows
    per_item = STORY * 6
    n_items = limits.script_kb * 1024 // len((f"## 第100条\n\n{per_item}\n\n").encode())
    _script(at_limit, n_items, per_item)
    wall, rss, code = peak(studio_cmd("items", str(at_limit)), root)
    rows.append(row(f"read a {at_limit.stat().st_size // 1024} KiB script (peak RSS MiB)", rss, base_rss,
                    "≤ start + 150 MiB", code == 0 and rss <= base_rss + 150, f"{wall:.2f} s; studio items"))

    n = 12 if quick else limits.items
    one = _script(eps / "one.md", 1, STORY)
    _, one_rss, code1 = peak(studio_cmd("build", str(one), "--engine", "espeak", "--quiet"), root)
    many = _script(eps / "many.md", n, STORY)
    shutil.rmtree(root / "public", ignore_errors=True)
    wall, rss, code = peak(studio_cmd("build", str(many), "--engine", "espeak", "--quiet"), root)
    per_item_mib = (rss - one_rss) / max(1, n - 1)
    rows.append(row(f"build {n} items, espeak (peak RSS MiB)", rss, one_rss, "≤ 1 GiB (items limit reached)",
                    code == code1 == 0 and rss <= 1024,
                    f"{wall:.1f} s; {per_item_mib:.2f} MiB per extra item; baseline: a one-item build"))
    return rows


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run("--quick" in sys.argv))
