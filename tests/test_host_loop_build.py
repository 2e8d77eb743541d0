"""`studio build` with no script builds all of episodes/ in date order; with several, each; failures don't stop the rest."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_studio
from tests.host_loop_support import loop_show, script

SCRIPTS = {
    "c-late.md": script("三", "2026-03-15", 3, [("一", "第三期。")], slug="three"),
    "a-early.md": script("一", "2026-03-01", 1, [("一", "第一期。"), ("二", "还有一条。")], slug="one"),
    "b-broken.md": "+++\ntitle = '二\ndate = 2026-03-08\n+++\n\n## 一\n\n第二期。\n",  # unterminated string
}


def test_build_all_reports_each_and_fails_at_the_end(tmp_path: Path):
    root = loop_show(tmp_path, SCRIPTS)
    proc = run_studio(["build", "--engine", "espeak"], cwd=root)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["✓ episodes/a-early.md", "✗ episodes/b-broken.md",
                                                          "✓ episodes/c-late.md"]  # date order
    assert "built one" in lines[0] and "2 synthesized" in lines[0]
    assert "b-broken.md: line " in lines[1] and "front matter TOML error" in lines[1]
    assert lines[3] == "2 built, 0 up to date, 1 failed"
    assert proc.stderr.strip().endswith("error: 1 of 3 episodes failed: episodes/b-broken.md")
    assert "Traceback" not in proc.stderr
    out = root / "public"
    assert (out / "episodes" / "one" / "one.mp3").is_file() and (out / "episodes" / "three" / "three.mp3").is_file()
    feed = (out / "feed.xml").read_text("utf-8")
    assert "/episodes/one/" in feed and "/episodes/three/" in feed

    again = run_studio(["build", "--engine", "espeak", "--json"], cwd=root)
    assert again.returncode == 1
    report = json.loads(again.stdout)
    assert [e["status"] for e in report["episodes"]] == ["up to date", "failed", "up to date"]
    assert report["failed"] == ["episodes/b-broken.md"] and report["episodes"][0]["synthesized"] == 0

    (root / "episodes" / "b-broken.md").write_text(SCRIPTS["b-broken.md"].replace("'二", "'二'"), "utf-8")
    named = run_studio(["build", "episodes/b-broken.md", "episodes/a-early.md", "--engine", "espeak"], cwd=root)
    assert named.returncode == 0, named.stderr
    assert [line[:1] for line in named.stdout.splitlines()] == ["✓", "·", "1"]  # built, up to date, summary


def test_build_all_with_no_scripts_says_so(tmp_path: Path):
    root = loop_show(tmp_path)
    proc = run_studio(["build"], cwd=root)
    assert proc.returncode == 1 and "no episode scripts in episodes/" in proc.stderr
    assert "Traceback" not in proc.stderr
