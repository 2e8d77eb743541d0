"""Issue 27.2: every number says what it is. A build says how long it took and how long the episode is (the
episode's length once read as the build time); pages put the length with its word next to the date, where a
bare "2023-06-02 · 8:51" reads as a time of day. A real build (offline voice), the real pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio.core.manifest import read_manifest
from studio.present.labels import length
from tests.conftest import run_studio
from tests.host_loop_support import loop_show, script


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = loop_show(tmp_path_factory.mktemp("numbers") / "show",
                     {"a.md": script("一", "2026-03-01", 1, [("一", "第一期的内容。"), ("二", "还有一条。")], slug="one"),
                      "b.md": script("二", "2026-03-08", 2, [("一", "第二期。")], slug="two")})
    one = run_studio(["build", "episodes/a.md", "--engine", "espeak"], cwd=root)
    assert one.returncode == 0, one.stderr
    both = run_studio(["build", "--engine", "espeak"], cwd=root)
    assert both.returncode == 0, both.stderr
    return root, one.stdout + one.stderr, both.stdout + both.stderr


def test_a_build_says_its_time_and_the_episodes_length_apart(built):
    root, one, both = built
    duration_ms = read_manifest(root / "public" / "episodes" / "one" / "manifest.json")[0].audio.duration_ms
    said = f"{round(duration_ms / 1000)} s"  # a short episode: "12 s"
    m = re.search(r"Built \S+ in (\d+\.\d) s: the episode is (\d+ s) long", " ".join(one.split()))
    assert m and m.group(2) == said, one
    line = next(line for line in both.splitlines() if "episodes/b.md" in line)
    assert re.search(r"; \d+ s long, built in \d+\.\d s$", line), line
    assert "of audio (" not in both


def test_pages_put_the_length_with_its_word_next_to_the_date(built):
    root, _, _ = built
    out = root / "public"
    m = read_manifest(out / "episodes" / "one" / "manifest.json")[0]
    shown = f"时长 {length(m.audio.duration_ms)}"  # the date's own form is the readers' pages' (issue 22)
    for page in (out / "index.html", out / "archive.html", out / "episodes" / "one" / "index.html"):
        html = page.read_text("utf-8")
        assert shown in html, page
        assert f"· {length(m.audio.duration_ms)}<" not in html
