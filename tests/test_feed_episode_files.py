"""An episode's MP3 is named after it, and the name it had before keeps answering; the pubDate is
the script's date at the show's publish time in its time zone; a loopback base_url is accepted
for tests and previews (a real build, offline voice)."""

from __future__ import annotations

import http.client
import json
import os
import threading
from pathlib import Path

import pytest
from lxml import etree

from studio.build.oldnames import earlier_names
from studio.core.config import load_show
from studio.core.manifest import AudioFile, Manifest
from studio.feed import rules
from studio.preview.serve import make_server
from tests.conftest import make_show, run_studio
from tests.feed_helpers import rebuild, set_toml

SCRIPT = """\
+++
title = "文件名测试"
date = 2026-03-01
number = 5
+++

## 第一条

第一条新闻的内容，很短。[来源](https://example.com/one)

## 第二条

第二条新闻的内容。
"""
SLUG = "2026-03-01-names"
BASE = "http://127.0.0.1:8000/show/"  # plain http to this machine: a preview, a test


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def _enclosure(out: Path) -> str:
    return next(etree.fromstring((out / "feed.xml").read_bytes()).iter("enclosure")).get("url")


def _build(root: Path, *extra: str) -> Path:
    proc = run_studio(["build", f"episodes/{SLUG}.md", "--engine", "espeak", "--json", "--quiet", *extra], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return Path(json.loads(proc.stdout)["out"])


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("names"))
    set_toml(root, base_url=BASE, timezone="America/New_York", publish_time="06:00")
    (root / "episodes" / f"{SLUG}.md").write_text(SCRIPT.replace("+++\n\n", f'slug = "{SLUG}"\n+++\n\n', 1), "utf-8")
    return root, _build(root)


def test_the_mp3_is_named_after_the_episode(show):
    root, folder = show
    m = _manifest(folder)
    assert m["audio"]["file"] == f"{SLUG}.mp3" and (folder / f"{SLUG}.mp3").is_file()
    assert not (folder / "episode.mp3").exists() and m["audio"]["aliases"] == []
    assert _enclosure(root / "public").startswith(f"{BASE}episodes/{SLUG}/{SLUG}.mp3?v=")


def test_a_date_only_script_is_published_at_the_shows_time_in_its_zone(show):
    root, folder = show
    assert _manifest(folder)["pub_date"] == "2026-03-01T06:00:00-05:00"  # EST: before the DST change
    item = next(etree.fromstring((root / "public" / "feed.xml").read_bytes()).iter("item"))
    assert item.findtext("pubDate") == "Sun, 01 Mar 2026 06:00:00 -0500"


def test_an_episode_named_episode_mp3_keeps_it_until_rebuilt_and_the_old_name_answers(show, tmp_path):
    root, folder = show
    out = root / "public"
    m = _manifest(folder)
    guid, built = m["guid"], (folder / m["audio"]["file"]).read_bytes()
    (folder / m["audio"]["file"]).rename(folder / "episode.mp3")  # as every build before named it
    m["audio"] = {k: v for k, v in m["audio"].items() if k != "aliases"} | {"file": "episode.mp3"}
    (folder / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), "utf-8")
    rebuild(root)
    assert _enclosure(out).startswith(f"{BASE}episodes/{SLUG}/episode.mp3?v=")  # kept until rebuilt

    _build(root, "--force")
    m = _manifest(folder)
    assert m["guid"] == guid and m["audio"]["file"] == f"{SLUG}.mp3" and m["audio"]["aliases"] == ["episode.mp3"]
    assert _enclosure(out).startswith(f"{BASE}episodes/{SLUG}/{SLUG}.mp3?v=")
    assert os.path.samefile(folder / "episode.mp3", folder / f"{SLUG}.mp3")  # one file, two names
    assert (folder / f"{SLUG}.mp3").read_bytes() == built

    _build(root, "--force")  # the next rebuild keeps the old name answering
    assert _manifest(folder)["audio"]["aliases"] == ["episode.mp3"]
    assert os.path.samefile(folder / "episode.mp3", folder / f"{SLUG}.mp3")

    server = make_server(out, port=0, quiet=True)  # what `studio serve` runs
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in ("episode.mp3", f"{SLUG}.mp3"):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
            conn.request("GET", f"/episodes/{SLUG}/{name}?v=0123456789ab")
            resp = conn.getresponse()
            assert (resp.status, resp.getheader("Content-Type"), resp.read()) == (200, "audio/mpeg", built), name
            conn.close()
    finally:
        server.shutdown()
        server.server_close()

    target = tmp_path / "www"
    proc = run_studio(["publish", "--to", str(target)], cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("episode.mp3", f"{SLUG}.mp3"):
        assert (target / "episodes" / SLUG / name).read_bytes() == built


@pytest.mark.parametrize("url,ok", [
    ("http://127.0.0.1:8000/", True), ("http://localhost/show/", True), ("http://[::1]:8080/", True),
    ("https://studio.example.org/weekly/", True), ("http://studio.example.org/weekly/", False),
    ("http://127.0.0.1.example.org/", False), ("http://10.0.0.1/", False),
])
def test_base_url_is_https_or_plain_http_to_this_machine(tmp_path: Path, url: str, ok: bool):
    root = make_show(tmp_path)
    set_toml(root, base_url=url)
    problem = rules.https_problem(load_show(root / "show.toml"))
    assert (problem is None) == ok, problem
    if not ok:
        assert "must be an https:// URL" in problem and "127.0.0.1, localhost or [::1]" in problem


def test_check_says_a_loopback_base_url_is_for_this_machine_only(show):
    """Accepted (no error: tests and previews use it), but not a release: a todo until the real URL is set."""
    root, _ = show
    proc = run_studio(["check"], cwd=root)
    assert proc.returncode == 1 and "ERROR" not in proc.stdout, proc.stdout + proc.stderr
    assert "key 'base_url' is a placeholder (http://127.0.0.1:8000/show/: 127.0.0.1 is this machine: only this " \
           "machine can reach it (a test or a preview)): set the real one" in proc.stdout


@pytest.mark.parametrize("key,value,says", [
    ("timezone", "Mars/Olympus_Mons", "time zone name"), ("timezone", "../../etc/passwd", "time zone name"),
    ("publish_time", "25:00", "time of day"), ("publish_time", "6am", "time of day"),
])
def test_a_wrong_time_zone_or_publish_time_is_one_line(tmp_path: Path, key: str, value: str, says: str):
    root = make_show(tmp_path)
    set_toml(root, **{key: value})
    proc = run_studio(["check"], cwd=root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert key in line and says in line and "show.toml" in line


def test_only_mp3_names_are_kept_as_earlier_names():
    previous = Manifest(audio=AudioFile("episode.mp3", 1, 1.0, aliases=["chapters.json", "index.html", "old.mp3"]))
    assert earlier_names(previous, "x.mp3") == ["episode.mp3", "old.mp3"]
    assert earlier_names(previous, "episode.mp3") == ["old.mp3"] and earlier_names(None, "x.mp3") == []
