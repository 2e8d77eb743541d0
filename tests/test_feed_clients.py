"""A really built episode, published, as podcast clients read it: feedparser and podcastparser."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import unquote

import feedparser
import podcastparser
import pytest

from studio.audio.ffmpeg import decoded_duration_ms
from studio.core.timeline import listed_starts
from tests.conftest import run_studio
from tests.feed_helpers import add_side_files

SCRIPT = "episodes/2024-03-27-ai-newsletter.md"
SITE = "https://studio.example.org/weekly/"
P = "{https://podcastindex.org/namespace/1.0}"


@pytest.fixture(scope="module")
def published(tmp_path_factory, warm_show):
    root = warm_show(tmp_path_factory.mktemp("clients"))  # the examples' cache: no re-encode
    proc = run_studio(["build", SCRIPT, "--engine", "espeak", "--json", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    slug = json.loads(proc.stdout)["episode"]
    add_side_files(root / "public", slug)  # as the speech and audio stages write them
    target = root.parent / "www"
    proc = run_studio(["publish", "--to", str(target)], cwd=root)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return root, target, slug


def _local(target: Path, url: str) -> Path:
    assert url.startswith(SITE), url
    return target / unquote(url[len(SITE):].split("?")[0])  # ?v=<hash>: a new URL for new audio


def test_podcastparser_reads_every_episode_correctly(published):
    root, target, slug = published
    manifest = json.loads((target / "episodes" / slug / "manifest.json").read_text("utf-8"))
    with open(target / "feed.xml", "rb") as f:
        feed = podcastparser.parse(SITE + "feed.xml", f)
    assert feed["title"] == "AI算力Web3周报" and feed["explicit"] is False
    assert _local(target, feed["cover_url"]).is_file()
    (ep,) = feed["episodes"]
    (enc,) = ep["enclosures"]
    audio = _local(target, enc["url"])
    assert enc["mime_type"] == "audio/mpeg" and enc["file_size"] == audio.stat().st_size
    assert abs(ep["total_time"] - decoded_duration_ms(audio) / 1000) <= 1
    assert ep["guid"] == manifest["guid"] and ep["number"] == 2
    assert _local(target, ep["link"]).joinpath("index.html").is_file()
    assert [c["title"] for c in ep["chapters"]] == [it["title"] for it in manifest["items"]]
    starts = [0] + [int(it["start_ms"] // 1000) for it in manifest["items"][1:]]  # chapter 1 holds the intro
    assert [c["start"] for c in ep["chapters"]] == starts


def test_feedparser_reads_enclosure_and_podcasting20_links(published):
    root, target, slug = published
    data = (target / "feed.xml").read_bytes()
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    (enc,) = entry.enclosures
    assert int(enc["length"]) == _local(target, enc["href"]).stat().st_size and enc["type"] == "audio/mpeg"
    assert _local(target, entry.podcast_chapters["url"]).is_file()
    # transcripts: exact namespace check with the XML library, and each link resolves to a published file
    from lxml import etree

    item = etree.fromstring(data).find("channel/item")
    links = {t.get("type"): t.get("url") for t in item.findall(P + "transcript")}
    assert set(links) == {"text/vtt", "application/x-subrip"}
    for url in links.values():
        assert _local(target, url).read_text("utf-8")


def test_check_passes_on_the_built_show(published):
    root, _, _ = published
    proc = run_studio(["check"], cwd=root)
    assert "ERROR" not in proc.stdout and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("0 errors")  # todo: the example's placeholder URLs


def test_episode_page_of_a_real_build(published):
    root, target, slug = published
    page = (target / "episodes" / slug / "index.html").read_text("utf-8")
    manifest = json.loads((target / "episodes" / slug / "manifest.json").read_text("utf-8"))
    audio = f'{slug}.mp3?v={manifest["audio"]["sha256"][:12]}'  # a new URL when the audio changes
    assert manifest["audio"]["file"] == f"{slug}.mp3"
    assert f'src="{audio}"' in page and 'href="transcript.vtt"' in page
    starts = listed_starts((it["start_ms"], it["end_ms"]) for it in manifest["items"])  # the chapters' starts
    assert starts[0] == 0
    for start in starts:
        assert f'href="{audio}#t={start / 1000:.1f}"' in page


def test_rebuild_keeps_the_guid(published):
    root, target, slug = published
    before = json.loads((root / "public" / "episodes" / slug / "manifest.json").read_text("utf-8"))["guid"]
    proc = run_studio(["build", SCRIPT, "--engine", "espeak", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    with open(root / "public" / "feed.xml", "rb") as f:
        (ep,) = podcastparser.parse(SITE + "feed.xml", f)["episodes"]
    assert ep["guid"] == before
