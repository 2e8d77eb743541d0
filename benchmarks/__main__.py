"""Run every benchmarks/bench_*.py module and print one table.

    python -m benchmarks            full sizes; exit 1 if a target is missed
    python -m benchmarks --quick    small sizes: proves the benchmarks still run (CI smoke)
    python -m benchmarks build feed only the named modules
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import traceback
from pathlib import Path

MARK = "STUDIO-BENCH-ROWS "


def one(name: str, quick: bool) -> int:
    try:
        rows = importlib.import_module(f"benchmarks.{name}").run(quick=quick)
    except Exception:
        traceback.print_exc()
        return 1
    print(MARK + json.dumps(rows, ensure_ascii=False), flush=True)
    return 0


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    if "--one" in argv:
        return one(argv[argv.index("--one") + 1], quick)
    names = [a for a in argv if not a.startswith("-")]
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if m.removeprefix("bench_") in names or m in names]
    rows, failed = [], []
    for name in modules:  # each in a fresh process: one module's memory never shows in another's peak RSS
        print(f"running {name}{' (quick)' if quick else ''} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "benchmarks", "--one", name] + (["--quick"] if quick else [])
        proc = subprocess.run(cmd, cwd=here.parent, stdout=subprocess.PIPE, text=True)
        found = [line[len(MARK):] for line in proc.stdout.splitlines() if line.startswith(MARK)]
        if proc.returncode != 0 or not found:
            failed.append(name)
            continue
        rows += json.loads(found[-1])
    print_table(rows)
    if failed:
        print(f"benchmarks that crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    missed = [r["case"] for r in rows if not r["ok"]]
    if missed and not quick:
        print(f"targets missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Studio benchmarks")
    for col in ("case", "Studio", "baseline", "ratio", "target", "met", "note"):
        table.add_column(col, justify="right" if col in ("Studio", "baseline", "ratio") else "left")
    for r in rows:
        table.add_row(
            r["case"], f"{r['studio']:.3f}", f"{r['baseline']:.3f}", f"{r['ratio']:.2f}",
            r["target"], "yes" if r["ok"] else "NO", r.get("note", ""),
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
