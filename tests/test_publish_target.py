"""`studio publish --to DIR`: changed files only, media first, feed last, failures leave the old state."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

from tests.conftest import run_studio
from tests.feed_helpers import add_episode, rebuild

SITE = "https://studio.example.org/weekly/"


def _publish(show_dir: Path, target: Path, *extra: str):
    return run_studio(["publish", "--to", str(target), *extra], cwd=show_dir)


def _assert_consistent(target: Path) -> list[str]:
    """Every enclosure of the published feed exists with the advertised size; returns the item titles."""
    root = ET.parse(target / "feed.xml").getroot()
    titles = []
    for item in root.iter("item"):
        enc = item.find("enclosure")
        local = target / unquote(enc.get("url")[len(SITE):])
        assert local.is_file(), local
        assert local.stat().st_size == int(enc.get("length"))
        page = target / unquote(item.findtext("link")[len(SITE):]) / "index.html"
        assert page.is_file(), page
        titles.append(item.findtext("title"))
    return titles


def _copied(stdout: str) -> list[str]:
    return [line.split()[-1] for line in stdout.splitlines() if line.strip().startswith(("copied", "would copy"))]


def test_publish_copies_changed_files_only_and_prunes(show_dir: Path, tmp_path: Path):
    out, target = show_dir / "public", tmp_path / "www"
    for n in (1, 2):
        add_episode(out, n)
    rebuild(show_dir)
    proc = _publish(show_dir, target)
    assert proc.returncode == 0, proc.stderr
    assert "episodes/ep-001/episode.mp3" in _copied(proc.stdout) and "feed.xml" in _copied(proc.stdout)
    assert _assert_consistent(target) == ["Episode 2", "Episode 1"]
    assert not (target / ".studio.lock").exists() and (target / ".studio-publish.json").is_file()
    assert (target / "cover.jpg").read_bytes() == (out / "cover.jpg").read_bytes()

    proc = _publish(show_dir, target)
    assert proc.returncode == 0 and _copied(proc.stdout) == [] and "0 copied" in proc.stdout

    add_episode(out, 3)
    shutil.rmtree(out / "episodes" / "ep-001")
    proc = _publish(show_dir, target)
    assert proc.returncode == 0, proc.stderr
    copied = _copied(proc.stdout)
    assert "episodes/ep-003/episode.mp3" in copied and "episodes/ep-002/episode.mp3" not in copied
    assert copied.index("episodes/ep-003/episode.mp3") < copied.index("episodes/ep-003/index.html") \
        < copied.index("index.html") < copied.index("feed.xml") == len(copied) - 1
    assert "removed episodes/ep-001/episode.mp3" in proc.stdout
    assert not (target / "episodes" / "ep-001").exists()
    assert _assert_consistent(target) == ["Episode 3", "Episode 2"]


def test_dry_run_lists_media_first_and_feed_last(show_dir: Path, tmp_path: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    proc = _publish(show_dir, tmp_path / "www", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    order = _copied(proc.stdout)
    media = [i for i, rel in enumerate(order) if rel.endswith((".mp3", ".jpg"))]
    assert media == list(range(len(media))) and order[-1] == "feed.xml"
    assert not (tmp_path / "www" / "feed.xml").exists()


def test_failed_publish_leaves_the_previous_state_intact(show_dir: Path, tmp_path: Path):
    out, target = show_dir / "public", tmp_path / "www"
    for n in (1, 2):
        add_episode(out, n)
    rebuild(show_dir)
    assert _publish(show_dir, target).returncode == 0
    feed_before = (target / "feed.xml").read_bytes()
    state_before = (target / ".studio-publish.json").read_bytes()

    # a new episode, and a changed one; the new episode's audio cannot be written to the target
    add_episode(out, 3)
    add_episode(out, 2, title="Episode 2 (fixed)", audio=b"\xff\xfb" * 1000)
    (target / "episodes" / "ep-003" / "episode.mp3").mkdir(parents=True)
    proc = _publish(show_dir, target)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "episodes/ep-003/episode.mp3" in line and "feed.xml was not updated" in line and "put back" in line
    assert (target / "feed.xml").read_bytes() == feed_before
    assert (target / ".studio-publish.json").read_bytes() == state_before
    assert _assert_consistent(target) == ["Episode 2", "Episode 1"]
    assert not any(p.name.startswith(".studio-publish-staging") for p in target.iterdir())

    (target / "episodes" / "ep-003" / "episode.mp3").rmdir()
    proc = _publish(show_dir, target)
    assert proc.returncode == 0, proc.stderr
    assert _assert_consistent(target) == ["Episode 3", "Episode 2 (fixed)", "Episode 1"]
    state = json.loads((target / ".studio-publish.json").read_text("utf-8"))["files"]
    assert "episodes/ep-003/episode.mp3" in state


def test_failure_while_staging_changes_nothing(show_dir: Path, tmp_path: Path):
    out, target = show_dir / "public", tmp_path / "www"
    add_episode(out, 1)
    rebuild(show_dir)
    assert _publish(show_dir, target).returncode == 0
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    add_episode(out, 2)
    (out / "episodes" / "ep-002" / "clips" / "001-x.mp3").mkdir()  # unreadable as a file: a dir
    (out / "episodes" / "ep-002" / "clips" / "001-x.mp3" / "inner.mp3").write_bytes(b"x")
    (out / "episodes" / "ep-002" / "notes.txt").write_text("x")
    # the staging area itself cannot be created: a file is in its way
    (target / ".studio-publish-staging").write_text("in the way")
    proc = _publish(show_dir, target)
    assert proc.returncode == 1 and "nothing was changed" in proc.stderr
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    after.pop(Path(".studio-publish-staging"))
    assert after == before


def test_publish_refuses_a_show_that_fails_check(show_dir: Path, tmp_path: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    (out / "episodes" / "ep-001" / "episode.mp3").write_bytes(b"truncated")
    proc = _publish(show_dir, tmp_path / "www")
    assert proc.returncode == 1 and "not published" in proc.stderr
    assert not (tmp_path / "www" / "feed.xml").exists()


def test_nothing_to_publish(show_dir: Path, tmp_path: Path):
    proc = run_studio(["publish", "--to", str(tmp_path / "www"), "--out", str(tmp_path / "empty")], cwd=show_dir)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "nothing to publish" in line or "feed.xml" in line


def test_a_bad_draft_script_does_not_block_publishing(show_dir: Path, tmp_path: Path):
    add_episode(show_dir / "public", 1)
    rebuild(show_dir)
    (show_dir / "episodes" / "draft.md").write_text("+++\ntitle = 'd'\nnumber = 0\n+++\n\n## a\n\nb\n", "utf-8")
    assert run_studio(["check"], cwd=show_dir).returncode == 1
    proc = _publish(show_dir, tmp_path / "www")
    assert proc.returncode == 0, proc.stderr
    assert _assert_consistent(tmp_path / "www") == ["Episode 1"]


def test_state_entries_outside_the_target_are_ignored_and_reported(show_dir: Path, tmp_path: Path):
    out, target = show_dir / "public", tmp_path / "www"
    add_episode(out, 1)
    rebuild(show_dir)
    assert _publish(show_dir, target).returncode == 0
    victims = [tmp_path / "victim.txt", tmp_path / "abs-victim.txt", show_dir / "show.toml"]
    tmp_path.joinpath("victim.txt").write_text("keep", "utf-8")
    tmp_path.joinpath("abs-victim.txt").write_text("keep", "utf-8")
    (target / ".htaccess").write_text("keep", "utf-8")
    state_path = target / ".studio-publish.json"
    state = json.loads(state_path.read_text("utf-8"))
    up = ".."  # parent-folder entries, as a hostile state file would list them
    state["files"].update({f"{up}/victim.txt": "x", str(tmp_path / "abs-victim.txt"): "x",
                           "episodes/../../" + str(show_dir.relative_to(tmp_path)) + "/show.toml": "x",
                           ".htaccess": "x"})
    state_path.write_text(json.dumps(state), "utf-8")
    proc = _publish(show_dir, target)
    assert proc.returncode == 0, proc.stderr
    assert all(v.is_file() for v in victims) and (target / ".htaccess").is_file()
    assert proc.stderr.count("ignored") == 4 and f"{up}/victim.txt" in proc.stderr
    assert "  removed" not in proc.stdout and " 0 removed" in proc.stdout


def test_links_leading_out_of_the_output_dir_are_not_published(show_dir: Path, tmp_path: Path):
    out, target = show_dir / "public", tmp_path / "www"
    add_episode(out, 1)
    rebuild(show_dir)
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0", "utf-8")
    (out / "passwd").symlink_to(secret)
    (out / "episodes" / "ep-001" / "notes.txt").symlink_to(secret)
    (out / "same.mp3").symlink_to(out / "episodes" / "ep-001" / "episode.mp3")  # stays inside: published
    (out / ".studio-index.json").write_text('{"source": "/home/host/x"}', "utf-8")
    proc = _publish(show_dir, target)
    assert proc.returncode == 0, proc.stderr
    assert not (target / "passwd").exists() and not (target / "episodes" / "ep-001" / "notes.txt").exists()
    assert "passwd is a link leading outside" in proc.stderr
    assert (target / "same.mp3").read_bytes() == (out / "same.mp3").read_bytes()
    assert not [p for p in target.rglob(".studio-*") if p.name not in (".studio-publish.json", ".studio-publish.lock")]
    assert _assert_consistent(target) == ["Episode 1"]


def test_a_symlinked_folder_in_the_target_is_not_written_through(show_dir: Path, tmp_path: Path):
    out, target, elsewhere = show_dir / "public", tmp_path / "www", tmp_path / "elsewhere"
    add_episode(out, 1)
    rebuild(show_dir)
    elsewhere.mkdir()
    target.mkdir()
    (target / "episodes").symlink_to(elsewhere, target_is_directory=True)
    proc = _publish(show_dir, target)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "outside the target" in line and "feed.xml was not updated" in line
    assert list(elsewhere.iterdir()) == [] and not (target / "feed.xml").exists()
