"""Subscriber store benchmarks: importing a big list and selecting the active subscribers for a send.

  import: `studio subscribers import` of N rows (the real CLI: CSV check, normalising, one
          transaction), wall time and peak RSS, against a bare `python -c` that reads the
          same CSV with the csv module and executemany()s it into a one-table SQLite file.
  select: Store.active() (what `studio send` walks, in batches) over N subscribers of whom
          10% are unsubscribed, time and peak Python memory (tracemalloc), against a bare
          `SELECT email, name ... WHERE status = 'active'` fetchall().
Run: python -m benchmarks.bench_subscribers [--quick]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import row, scratch_show, studio_cmd, timed_run  # noqa: E402

BARE_IMPORT = """
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE s (email TEXT PRIMARY KEY, name TEXT, status TEXT)")
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    r = csv.reader(f); next(r)
    db.executemany("INSERT OR IGNORE INTO s VALUES (?, ?, 'active')", ((e.lower(), n) for e, n in r))
db.commit()
"""


def bench_import(root: Path, n: int) -> tuple[list[dict], Path]:
    lines = "".join(f"Reader.{i}@Example{i % 97}.com,读者 {i}\n" for i in range(n))
    (root / "big.csv").write_text("email,name\n" + lines, "utf-8")
    wall, rss_kib, done = timed_run(studio_cmd("subscribers", "import", "big.csv", "--json"), cwd=root)
    assert json.loads(done.stdout)["added"] == n, done.stdout
    base_wall, base_rss, _ = timed_run([sys.executable, "-c", BARE_IMPORT, "big.csv", "bare.sqlite"], cwd=root)
    mb = rss_kib / 1024
    rows = [
        row(f"import {n:,} subscribers (CLI)", round(wall, 3), round(base_wall, 3), "< 5 s for 100,000",
            wall < 5 * n / 100_000 + 1,
            "seconds; baseline = csv module + executemany into a bare table (no checks, no consent record)"),
        row(f"import {n:,} subscribers: peak RSS MB", round(mb, 1), round(base_rss / 1024, 1), "< 150 MB",
            mb < 150, "MiB, whole process (Python + click + the CSV held once)"),
    ]
    return rows, root / ".studio-subscribers.sqlite"


def bench_select(db_path: Path, n: int) -> list[dict]:
    from studio.subscribers.store import Store

    db = sqlite3.connect(db_path)
    db.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE id % 10 = 0")
    db.commit()
    db.close()
    store = Store(db_path)

    def ours() -> int:
        return sum(1 for _ in store.active())

    def bare() -> int:
        c = sqlite3.connect(db_path)
        try:
            return len(c.execute("SELECT email, name FROM subscribers WHERE status = 'active'").fetchall())
        finally:
            c.close()

    def measure(fn) -> tuple[float, float, int]:
        best, peak, count = float("inf"), 0.0, 0
        for _ in range(3):
            tracemalloc.start()
            t = time.perf_counter()
            count = fn()
            best = min(best, time.perf_counter() - t)
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 1e6)
            tracemalloc.stop()
        return best, peak, count

    t_ours, m_ours, c_ours = measure(ours)
    t_bare, m_bare, c_bare = measure(bare)
    store.close()
    assert c_ours == c_bare == n - n // 10, (c_ours, c_bare)
    return [
        row(f"select {c_ours:,} active of {n:,} for a send", round(t_ours, 3), round(t_bare, 3), "< 1 s for 100,000",
            t_ours < max(1.0, n / 100_000), "seconds (tracemalloc on); baseline = one SELECT ... fetchall()"),
        row(f"select active of {n:,}: peak MB", round(m_ours, 2), round(m_bare, 2), "< 10 MB (batches)",
            m_ours < 10, "MB of Python memory; baseline holds every row at once"),
    ]


def run(quick: bool = False) -> list[dict]:
    n = 5_000 if quick else 100_000
    root = scratch_show()
    rows, db_path = bench_import(root, n)
    return rows + bench_select(db_path, n)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r, ensure_ascii=False))
