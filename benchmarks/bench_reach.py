"""A voice service that cannot be reached (issue 27.3): how long `studio build --engine edge` takes to
say so, against the same build refused by its settings before any request (`--engine azure` with no
region, in a process that has imported edge-tts first: the same process start, client import, script
reading and checks, then an error at once).

Cases: a loopback port where nothing listens (connection refused), and a `.invalid` name (the lookup
answered by devtools.loopback_only without asking any server; nothing leaves loopback). Target: the
error within 0.5 s of the baseline (the first requests, refused), in one line on stderr besides the
episode's title. Before issue 27.3 the client retried every item: 10-16 s and 26-52 lines.

Run: python -m benchmarks reach [--quick]
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, WEEKLY, bench_env, row, scratch

SLACK_S = 0.5
REFUSED_BY_SETTINGS = ["--engine", "azure"]  # no [speech.azure] region: a one-line error before any request


def _timed(args: list[str], cwd: Path, env: dict[str, str], client: bool = False) -> tuple[float, subprocess.CompletedProcess]:
    """`studio ARGS` held to loopback; `client`: edge-tts imported first (as an Edge build does)."""
    start_cmd = ["-c", f"import edge_tts; from devtools.loopback_only import main; main(['-m', 'studio', *{args!r}])"] \
        if client else ["-m", "devtools.loopback_only", "-m", "studio", *args]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *start_cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - start, proc


def _case(root: Path, label: str, wss: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "net.jsonl"
        env = dict(bench_env(), STUDIO_EDGE_WSS_URL=wss, STUDIO_NET_LOG=str(log), PYTHONPATH=str(REPO))
        settings_error = ["build", WEEKLY, *REFUSED_BY_SETTINGS, "--force"]
        _timed(settings_error, root, env, client=True)  # warm the page cache and the segmenter's files
        fail, base, lines, ok_line = [], [], 0, True
        for _ in range(repeats):
            t, proc = _timed(["build", WEEKLY, "--engine", "edge", "--force"], root, env)
            fail.append(t)
            lines = len(proc.stderr.strip().splitlines())
            ok_line = ok_line and proc.returncode == 1 and "unreachable" in proc.stderr and "retry" not in proc.stderr
            t, proc = _timed(settings_error, root, env, client=True)
            assert proc.returncode == 1 and "speech.azure.region" in proc.stderr, proc.stderr
            base.append(t)
        left = [line for line in log.read_text("utf-8").splitlines() if '"socket.connect"' in line] if log.exists() else []
    studio, baseline = min(fail), min(base)
    ok = ok_line and lines <= 2 and not left and studio <= baseline + SLACK_S
    return row(f"--engine edge, {label}: the error", studio, baseline, f"≤ baseline + {SLACK_S:g} s", ok,
               f"s, best of {repeats}; {lines} lines on stderr; baseline = the same build refused by its "
               "settings before any request (--engine azure, no region; edge-tts imported)")


def run(quick: bool = False) -> list[dict]:
    repeats = 1 if quick else 5  # wall times on a shared machine: the best of several
    with scratch() as root, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
        port = closed.getsockname()[1]
        return [_case(root, "connection refused", f"ws://127.0.0.1:{port}/edge/v1", repeats),
                _case(root, "name lookup fails", "wss://speech.studio-bench.invalid/edge/v1", repeats)]


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run(quick="--quick" in sys.argv))
