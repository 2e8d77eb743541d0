"""Issues 27.4 and 24.19: `studio check` says "ready to publish" (exit 0) only when every script is built from
its current text, the output exists and nothing uses a placeholder URL; otherwise it names each thing to do.
The real CLI on a real build (offline voice)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_studio
from tests.host_loop_support import loop_show, script

REAL = {"https://studio.example.org/weekly/": "https://pod.ready-test.net/weekly/",
        "podcast@studio.example.org": "podcast@ready-test.net"}
A = script("一", "2026-03-01", 1, [("一", "第一期。")], slug="one")


def check(root: Path, *args: str):
    proc = run_studio(["check", *args], cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def todos(stdout: str) -> list[str]:
    return [line.strip().removeprefix("todo").strip() for line in stdout.splitlines() if line.startswith("  todo ")]


@pytest.fixture(scope="module")
def show(tmp_path_factory) -> Path:
    root = loop_show(tmp_path_factory.mktemp("ready") / "show", {"a.md": A})
    text = (root / "show.toml").read_text("utf-8")
    for placeholder, real in REAL.items():
        text = text.replace(placeholder, real)
    (root / "show.toml").write_text(text, "utf-8")
    return root


def test_nothing_built_is_not_ready_then_a_build_is(show: Path):
    before = check(show)
    assert before.returncode == 1, before.stdout
    assert todos(before.stdout) == ["episodes/a.md: not built in public/ yet: run `studio build episodes/a.md`",
                                    "public: nothing built here yet: run `studio build`"]
    assert before.stdout.splitlines()[-1] == "0 errors, 0 warnings, 2 todo: not ready to publish: do the todo items first"

    build = run_studio(["build", "--engine", "espeak", "--quiet"], cwd=show)
    assert build.returncode == 0, build.stderr
    after = check(show)
    assert after.returncode == 0, after.stdout
    assert "  ok     1 episode script in episodes/, each built from its current text" in after.stdout
    assert after.stdout.splitlines()[-1] == "0 errors, 0 warnings: ready to publish"
    assert json.loads(check(show, "--json").stdout)["ready"] is True


def test_an_edit_after_the_build_and_a_placeholder_each_make_a_todo(show: Path):
    (show / "episodes" / "a.md").write_text(A.replace("第一期。", "第一期，改过。"), "utf-8")
    toml = (show / "show.toml").read_text("utf-8")
    (show / "show.toml").write_text(toml.replace("https://pod.ready-test.net/weekly/", "https://pod.example.com/"),
                                    "utf-8")
    try:
        proc = check(show)
        assert proc.returncode == 1, proc.stdout
        found = todos(proc.stdout)
        assert any("key 'base_url' is a placeholder (https://pod.example.com/: pod.example.com is a name reserved "
                   "for examples): set the real one" in f for f in found), found
        assert any(f.startswith("episodes/a.md: changed since its build in public/episodes/one/") for f in found), found
        data = json.loads(check(show, "--json").stdout)
        assert data["ready"] is False
        assert {f["kind"] for f in data["findings"] if f["level"] == "todo"} == {"placeholder", "build"}
    finally:
        (show / "episodes" / "a.md").write_text(A, "utf-8")
        (show / "show.toml").write_text(toml, "utf-8")
    assert check(show).returncode == 0  # back as built: ready again
