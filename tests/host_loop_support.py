"""Small shows and scripts for the weekly-loop tests (studio new / build / serve --watch / ship)."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from tests.conftest import bare_env, make_show

TIMEOUT = 180  # seconds for one rebuild, generous for a loaded machine


def script(title: str, date: str, number: int, items: list[tuple[str, str]], slug: str | None = None) -> str:
    head = f"+++\ntitle = '{title}'\ndate = {date}\nnumber = {number}\n" + (f"slug = '{slug}'\n" if slug else "")
    return head + "+++\n\n" + "".join(f"## {h}\n\n{body}\n\n" for h, body in items)


def loop_show(dest: Path, scripts: dict[str, str] | None = None) -> Path:
    """The repo's show without its long example episodes, plus `scripts` (name -> text) in episodes/."""
    dest.mkdir(parents=True, exist_ok=True)
    root = make_show(dest)
    shutil.rmtree(root / "episodes")
    (root / "episodes").mkdir()
    for name, text in (scripts or {}).items():
        (root / "episodes" / name).write_text(text, "utf-8")
    return root


@contextlib.contextmanager
def watch_server(root: Path, stderr_file: Path, extra: list[str] | None = None,
                 env: dict[str, str] | None = None) -> Iterator[tuple[int, subprocess.Popen, list[str]]]:
    """`studio serve --watch --port 0` (plus `extra` options, `env` added) in `root`: (port, process, stdout lines so far)."""
    log = open(stderr_file, "w+")
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--watch", "--port", "0", "--quiet", *(extra or [])],
                            cwd=root, env=dict(bare_env(), **(env or {})), stdout=subprocess.PIPE, stderr=log, text=True)
    lines: list[str] = []
    try:
        first = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert m, (first, log.seek(0) or log.read())
        threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout], daemon=True).start()
        yield int(m.group(1)), proc, lines
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", errors="replace")
    conn.close()
    return resp.status, body


def status_of(port: int) -> dict:
    return json.loads(get(port, "/__studio/status.json")[1])


def wait_for(what, timeout: float = TIMEOUT, every: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what.__doc__ or what}")
