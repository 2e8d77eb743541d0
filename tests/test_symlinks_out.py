"""Links that lead out of the show or the output folder (issue 24, findings 7 and 8): a script in
episodes/ that is a symlink to a file elsewhere is skipped with a warning by build, build-all, watch
and check, and never published; `serve --watch` refuses HTML and email files reached through a link
out of the output folder, as plain `serve` does. Real files and symlinks in tmp dirs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import bare_env, run_studio
from tests.host_loop_support import get, loop_show, script, status_of, wait_for, watch_server

SECRET = "OUTSIDE-SECRET-TEXT-7f3a"
ITEMS = [("第一条", "这是第一条新闻。它有两句话。"), ("第二条", "这是第二条新闻。")]


@pytest.fixture
def show(tmp_path: Path) -> Path:
    """A show with one real script, and episodes/leak.md: a symlink to a script outside the show."""
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text(script("泄露", "2026-03-02", 2, [("机密", f"{SECRET}。")], slug="leak"),
                                        "utf-8")
    os.symlink(outside / "private.md", root / "episodes" / "leak.md")
    return root


def no_secret_under(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p


def test_build_all_skips_a_script_linked_from_outside_with_a_warning(show: Path):
    proc = run_studio(["build", "--engine", "espeak"], cwd=show)
    assert proc.returncode == 0, proc.stderr
    (warning,) = [x for x in proc.stderr.splitlines() if "leak.md" in x]
    assert warning.startswith("warning:") and "outside the show" in warning and "skipped" in warning
    assert (show / "public" / "episodes" / "one" / "manifest.json").is_file()
    assert not (show / "public" / "episodes" / "leak").exists()
    no_secret_under(show / "public")
    proc = run_studio(["build", "--engine", "espeak", "--json", "--quiet"], cwd=show)
    assert json.loads(proc.stdout)["skipped"] == ["episodes/leak.md"]


def test_build_of_the_linked_script_by_name_is_refused(show: Path):
    proc = run_studio(["build", "episodes/leak.md", "--engine", "espeak"], cwd=show)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "leak.md" in line and "outside the show" in line
    assert not (show / "public" / "episodes" / "leak").exists()


def test_a_link_inside_the_show_is_still_a_script(show: Path, tmp_path: Path):
    (show / "drafts").mkdir()
    (show / "drafts" / "b.md").write_text(script("二", "2026-03-03", 3, ITEMS, slug="two"), "utf-8")
    os.symlink(show / "drafts" / "b.md", show / "episodes" / "b.md")
    proc = run_studio(["build", "episodes/b.md", "--engine", "espeak", "--quiet"], cwd=show)
    assert proc.returncode == 0, proc.stderr
    assert (show / "public" / "episodes" / "two" / "manifest.json").is_file()


def test_check_warns_and_reads_nothing_through_the_link(show: Path):
    proc = run_studio(["check"], cwd=show)
    assert SECRET not in proc.stdout + proc.stderr
    assert "leak.md" in proc.stdout and "outside the show" in proc.stdout
    assert "duplicate" not in proc.stdout


def test_watch_skips_the_linked_script(show: Path, tmp_path: Path):
    with watch_server(show, tmp_path / "stderr.txt") as (port, proc, lines):
        def built():
            """the real script built"""
            return status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built"

        wait_for(built)
        episodes = status_of(port)["episodes"]
        assert "episodes/leak.md" not in episodes
        status, page = get(port, "/episodes/leak/")
        assert status == 404 and SECRET not in page
        assert SECRET not in get(port, "/__studio/")[1]
        assert any("leak.md" in x and "outside the show" in x for x in lines), lines
    no_secret_under(show / ".studio-preview")


def test_watch_serves_no_html_or_email_through_a_link_out_of_the_output_folder(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    outside = tmp_path / "outside"
    (outside / "ep").mkdir(parents=True)
    (outside / "page.html").write_text(f"<html><body>{SECRET}</body></html>", "utf-8")
    for name in ("email.html", "email.txt"):
        (outside / "ep" / name).write_text(f"<p>{SECRET}</p>", "utf-8")
    with watch_server(root, tmp_path / "stderr.txt") as (port, proc, lines):
        wait_for(lambda: status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built")
        preview = root / ".studio-preview"
        os.symlink(outside / "page.html", preview / "leak.html")
        os.symlink(outside, preview / "linked")
        os.symlink(outside / "ep", preview / "episodes" / "leaked")
        for path in ("/leak.html", "/linked/page.html", "/linked/", "/__studio/email/leaked/",
                     "/__studio/email/leaked/frame"):
            status, body = get(port, path)
            assert SECRET not in body, path
            assert status == 404, (path, status)
        # the same files inside the output folder are served
        (preview / "inside.html").write_text("<html><body>inside</body></html>", "utf-8")
        assert get(port, "/inside.html")[0] == 200
