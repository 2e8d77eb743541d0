"""Shared helpers: a scratch show, timed subprocesses, peak RSS."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
WEEKLY = "episodes/2023-06-02-ai-compute-weekly.txt"


def row(case: str, studio: float, baseline: float, target: str, ok: bool, note: str = "") -> dict:
    ratio = studio / baseline if baseline else float("inf")
    return {"case": case, "studio": studio, "baseline": baseline, "ratio": ratio, "target": target, "ok": ok, "note": note}


def scratch_show() -> Path:
    """A copy of the repo's show in a temp dir (its own output dir and cache)."""
    root = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    shutil.copy(REPO / "show.toml", root / "show.toml")
    for name in ("episodes", "assets", "templates"):
        shutil.copytree(REPO / name, root / name)
    if (REPO / "lexicon.toml").is_file():
        shutil.copy(REPO / "lexicon.toml", root / "lexicon.toml")
    return root


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """scratch_show(), removed afterwards."""
    root = scratch_show()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env["STUDIO_EDGE_WSS_URL"] = env.get("STUDIO_EDGE_WSS_URL", "ws://127.0.0.1:9/unreachable")
    return env


def timed_run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall time (s) and peak RSS (KiB, the process or its largest reaped child) of one command; the returned
    process's `cpu` is its CPU time (user + system, s) with the children it waited for."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env or bench_env(), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        done = subprocess.CompletedProcess(
            cmd, proc.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        )
        done.cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {done.stderr.strip()[-500:]}")
    return wall, usage.ru_maxrss, done


def studio_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]


def mastering_note(loud: dict, work: dict | None = None) -> str:
    """How the episode was mastered: pieces (reused), encodes, pieces that missed their prediction, passes."""
    work = work or {}
    return (f"{loud['integrated_lufs']} LUFS, {loud['true_peak_dbtp']} dBTP; {loud.get('pieces', 1)} pieces "
            f"({work.get('pieces_reused', 0)} reused), {work.get('encodes', '?')} encodes, "
            f"{work.get('pieces_corrected', 0)} pieces re-encoded, limiter={loud['limiter']}, passes={loud['passes']}")


def without(*modules: str) -> bool:
    """True (and one line on stderr) when a stand-in's test-only library is not installed: the benchmark that
    needs it is left out rather than crashing (`pip install -e '.[test]'` brings them)."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        print(f"left out: needs {', '.join(missing)} for its stand-in (pip install -e '.[test]')", file=sys.stderr)
    return bool(missing)
