"""After `make demo` a new host can run Studio and look at what it built (issue 27.1): the README's
quickstart stays the two commands and says how to run `studio` and how to preview; `make serve`
runs `studio serve`, which answers the pages (from disk, their folder links are directory listings)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, bare_env, run_studio
from tests.host_loop_support import get, loop_show, script


def quickstart() -> str:
    readme = (REPO / "README.md").read_text("utf-8")
    return readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]


def test_the_quickstart_is_two_commands_and_says_how_to_run_and_preview():
    text = quickstart()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    for needed in (".venv/bin/studio", "source .venv/bin/activate", "make serve", "http://127.0.0.1:8000/",
                   "studio serve"):
        assert needed in text, needed
    assert "Open `public/index.html`" not in text


def make_dry(target: str, *args: str) -> list[str]:
    proc = subprocess.run(["make", "-n", "-s", "-C", str(REPO), target, *args], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if line.strip()]


def test_make_serve_runs_studio_serve_which_answers_the_pages(tmp_path: Path):
    assert make_dry("serve")[-1] == ".venv/bin/studio serve --port 8000"
    assert make_dry("watch", "PORT=0")[-1] == ".venv/bin/studio serve --watch --port 0"
    assert any("make serve" in line and "http://127.0.0.1:8000/" in line for line in make_dry("demo"))

    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, [("第一条", "内容。")], slug="one")})
    assert run_studio(["build", "episodes/a.md", "--engine", "espeak"], cwd=root).returncode == 0
    recipe = make_dry("serve", "PORT=0")[-1].split()  # what `make serve PORT=0` runs, with this interpreter
    proc = subprocess.Popen([sys.executable, "-m", "studio", *recipe[1:], "--quiet"], cwd=root, env=bare_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        status, home = get(port, "/")
        assert status == 200 and 'href="episodes/one/"' in home
        status, page = get(port, "/episodes/one/")  # a folder link: its page, not a directory listing
        assert status == 200 and "Index of" not in page and "第一条" in page
    finally:
        proc.terminate()
        proc.wait(timeout=20)
