"""The first minutes of a host's week (issue 27.5), on the repo's show:

- the first `studio serve --watch` after `make demo` (the weekly episode built into public/): the
  time until the weekly episode's page is served, against the time until every episode is current
  (what a host waited before the last builds were served at once). Target ≤ 0.25×.
- a setting nothing is built from ([smtp] added), then `studio build` of every script, against the
  same after an [audio] change (the audio is rebuilt, from cached clips). Target ≤ 0.25×.

Run: python -m benchmarks watchstart [--quick]
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import WEEKLY, bench_env, row, scratch_show, studio_cmd, timed_run

TARGET = 0.25
WEEKLY_SLUG = "ai-compute-weekly-2023-06-1"


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def _first_watch(root: Path) -> tuple[float, float]:
    """(start -> the weekly page served, start -> every episode current) of the first watch session."""
    start = time.perf_counter()
    proc = subprocess.Popen(studio_cmd("serve", "--watch", "--port", "0", "--quiet"), cwd=root, env=bench_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        page = None
        while True:
            now = time.perf_counter() - start
            if page is None and _get(port, f"/episodes/{WEEKLY_SLUG}/")[0] == 200:
                page = now
            episodes = json.loads(_get(port, "/__studio/status.json")[1])["episodes"]
            scripts = list((root / "episodes").iterdir())
            if len(episodes) == len(scripts) and all(e["status"] in ("built", "up to date") for e in episodes.values()):
                return page if page is not None else now, now
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _settings_rows(root: Path) -> dict:
    build = studio_cmd("build", "--quiet")
    timed_run(build, cwd=root)  # every episode built once (the clips cached)
    toml = root / "show.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n', "utf-8")
    smtp = timed_run(build, cwd=root)[0]
    toml.write_text(toml.read_text("utf-8").replace("gap = 0.6 ", "gap = 0.7 "), "utf-8")
    audio = timed_run(build, cwd=root)[0]
    return row("smtp settings added, then `studio build` (every script)", smtp, audio, f"≤ {TARGET:g}×",
               smtp <= TARGET * audio, "s; baseline = the same after an audio setting changed (gap; audio rebuilt from cached clips)")


def run(quick: bool = False) -> list[dict]:
    root = scratch_show()
    try:
        if quick:  # one short episode besides the weekly one
            for p in (root / "episodes").iterdir():
                if p.name != Path(WEEKLY).name:
                    p.unlink()
        timed_run(studio_cmd("build", WEEKLY, "--quiet"), cwd=root)  # `make demo`
        page, current = _first_watch(root)
        rows = [row("first `serve --watch` after `make demo`: the weekly page served", page, current,
                    f"≤ {TARGET:g}×", page <= TARGET * current,
                    "s from the process start; baseline = every episode current (rebuilt in the background)")]
        shutil.rmtree(root / ".studio-preview", ignore_errors=True)
        return rows + [_settings_rows(root)]
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run(quick="--quick" in sys.argv))
