"""Benchmark: the test suite's wall and CPU time, as `make test` runs it, and its slowest 20 tests.

    python -m benchmarks tests

Target: <= 6 minutes wall on a quiet 2-core machine (the baseline column is that budget; the CPU time of the
whole process tree is in the note, the honest figure on a shared machine). Needs the test extra (pytest,
pytest-xdist): without it the row is left out. Quick mode leaves it out too (CI runs the suite just before).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from benchmarks.common import REPO, row, without

BUDGET_S = 360.0
SLOWEST = 20
_DURATION = re.compile(r"^\s*(\d+\.\d+)s (call|setup|teardown)\s+(.+)$")


def run(quick: bool = False) -> list[dict]:
    if quick or without("pytest", "xdist"):
        return []
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider",
                           f"--durations={SLOWEST}"], cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    slow = [f"{m[3].removeprefix('tests/')} ({m[2]}) {m[1]} s" for m in map(_DURATION.match, proc.stdout.splitlines()) if m]
    print("\n".join(["slowest tests:", *slow]), file=sys.stderr)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "no output"
    return [row("test suite (pytest -n 2, as make test) vs 6-minute budget", wall, BUDGET_S, "≤ 1.0 (≤ 6 min)",
                proc.returncode == 0 and wall <= BUDGET_S,
                f"s wall; CPU {cpu:.0f} s; {summary}; slowest {SLOWEST}: " + "; ".join(slow[:SLOWEST]))]
