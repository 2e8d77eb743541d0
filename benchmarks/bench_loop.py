"""The host's loop: save -> preview with `studio serve --watch`, against a fresh `studio build` after each save;
`studio build` over every unchanged script against one `studio build` process per script."""

from __future__ import annotations

import http.client
import json
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import bench_env, row, scratch_show, studio_cmd, timed_run

HEAD = "+++\ntitle = '{n}'\ndate = 2026-01-{day:02d}\nnumber = {n}\nslug = 'loop-{n}'\n+++\n\n"


def _script(n: int, items: int, edit: int | None = None, version: int = 0) -> str:
    body = "".join(f"## 第{i}条\n\n这是第{i}条新闻，内容简短，{'改过第' + str(version) + '次。' if i == edit else '没有改过。'}\n\n"
                   for i in range(1, items + 1))
    return HEAD.format(n=n, day=n) + body


def _events(port: int, since: int) -> queue.Queue:
    found: queue.Queue = queue.Queue()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", f"/__studio/events?since={since}")
    resp = conn.getresponse()

    def read() -> None:
        try:
            for raw in iter(resp.readline, b""):
                if raw.startswith(b"event: reload"):
                    found.put(time.perf_counter())
        except OSError:
            pass

    threading.Thread(target=read, daemon=True).start()
    return found


def _status(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/__studio/status.json")
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def _watch_edits(root: Path, script: Path, items: int, repeats: int) -> tuple[list[float], list[float]]:
    """(save -> first reload signal, save -> rebuilt and signalled) for `repeats` one-item edits."""
    proc = subprocess.Popen(studio_cmd("serve", "--watch", "--port", "0", "--quiet"), cwd=root, env=bench_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        key = f"episodes/{script.name}"
        while _status(port)["episodes"].get(key, {}).get("status") != "built":
            time.sleep(0.1)
        first, done = [], []
        for n in range(repeats):
            events = _events(port, _status(port)["generation"])
            time.sleep(0.5)  # the channel is open, as a page's would be
            start, wall = time.perf_counter(), time.time()
            script.write_text(_script(1, items, edit=1 + n % items, version=n + 1), "utf-8")
            first.append(events.get(timeout=600) - start)
            while True:
                at = events.get(timeout=600)
                ep = _status(port)["episodes"][key]
                if ep["at"] >= wall and ep["status"] == "built":
                    assert ep["synthesized"] == 1, ep
                    done.append(at - start)
                    break
        return first, done
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(quick: bool = False) -> list[dict]:
    root = scratch_show()
    items, repeats, scripts = (4, 2, 3) if quick else (12, 3, 8)
    try:
        shutil.rmtree(root / "episodes")
        (root / "episodes").mkdir()
        return _save_rows(root, items, repeats) + _batch_rows(root, scripts)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _save_rows(root: Path, items: int, repeats: int) -> list[dict]:
    script = root / "episodes" / "loop-1.md"
    script.write_text(_script(1, items), "utf-8")
    first, watched = _watch_edits(root, script, items, repeats)

    build = studio_cmd("build", str(script), "--engine", "espeak", "--quiet")
    timed_run(build, cwd=root)  # the manual loop's own first build (clips cached from here on)
    manual = []
    for n in range(repeats):
        script.write_text(_script(1, items, edit=1 + n % items, version=100 + n), "utf-8")
        manual.append(timed_run(build, cwd=root)[0])
    return [
        row(f"save -> page rebuilt and reloaded ({items} items, 1 edited)", min(watched), min(manual), "≤ 1×",
            min(watched) <= min(manual), f"s, best of {repeats}; baseline = `studio build EPISODE` after the save"),
        row("save -> email preview reloaded (draft)", min(first), min(manual), "≤ 1 s", min(first) <= 1.0,
            "s; the email rendered from the script before the audio builds"),
    ]


def _batch_rows(root: Path, scripts: int) -> list[dict]:
    for n in range(2, scripts + 1):
        (root / "episodes" / f"loop-{n}.md").write_text(_script(n, 2), "utf-8")
    timed_run(studio_cmd("build", "--engine", "espeak", "--quiet"), cwd=root)  # everything built once
    together = timed_run(studio_cmd("build", "--engine", "espeak", "--quiet"), cwd=root)[0]
    apart = sum(timed_run(studio_cmd("build", str(p), "--engine", "espeak", "--quiet"), cwd=root)[0]
                for p in sorted((root / "episodes").iterdir()))
    return [row(f"`studio build`, {scripts} unchanged scripts", together, apart, "≤ 0.5×", together <= 0.5 * apart,
                "s; baseline = one `studio build SCRIPT` process per script")]


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run(quick="--quick" in sys.argv))
