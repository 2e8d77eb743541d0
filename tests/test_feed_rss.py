"""feed.xml from manifests, as feedparser and podcastparser (gPodder's parser) read it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from studio.feed.extensions import podcast_guid
from tests.feed_helpers import add_episode, add_side_files, rebuild, set_toml

P = "{https://podcastindex.org/namespace/1.0}"
I = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
FEED_URL = "https://studio.example.org/weekly/feed.xml"


def _parse(out: Path):
    data = (out / "feed.xml").read_bytes()
    return data, feedparser.parse(data), podcastparser.parse(FEED_URL, io.BytesIO(data)), etree.fromstring(data)


def test_every_episode_newest_first_with_exact_enclosures(show_dir: Path):
    out = show_dir / "public"
    manifests = [add_episode(out, n, audio=b"\xff\xfb" * (100 + n)) for n in (1, 3, 2)]
    rebuild(show_dir)
    _, fp, pp, _ = _parse(out)
    assert not fp.bozo, fp.bozo_exception
    assert [e.title for e in fp.entries] == ["Episode 3", "Episode 2", "Episode 1"]
    assert [e["title"] for e in pp["episodes"]] == ["Episode 3", "Episode 2", "Episode 1"]
    by_guid = {e["guid"]: e for e in pp["episodes"]}
    for m in manifests:
        ep = by_guid[m["guid"]]
        (enc,) = ep["enclosures"]
        assert enc["url"] == f"https://studio.example.org/weekly/episodes/{m['slug']}/episode.mp3"
        assert enc["file_size"] == (out / "episodes" / m["slug"] / "episode.mp3").stat().st_size == 200 + 2 * m["number"]
        assert enc["mime_type"] == "audio/mpeg"
        assert ep["total_time"] == 2
        assert ep["number"] == m["number"]
        assert ep["link"] == f"https://studio.example.org/weekly/episodes/{m['slug']}/"
        assert [c["title"] for c in ep["chapters"]] == [it["title"] for it in m["items"]]
    root = etree.fromstring((out / "feed.xml").read_bytes())
    assert [i.findtext("pubDate") for i in root.iter("item")][0] == "Mon, 27 Jan 2025 06:00:00 +0800"
    # feedparser agrees, and the GUIDs are not permalinks
    for e in fp.entries:
        assert e.id in by_guid and e.guidislink is False
        assert e.published_parsed is not None


def test_channel_meets_apple_and_podcasting20(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    _, fp, pp, root = _parse(out)
    ch = root.find("channel")
    assert ch.findtext("title") == "AI算力Web3周报"
    assert ch.findtext("link") == "https://studio.example.org/weekly/"
    assert ch.findtext("language") == "zh-CN" and ch.findtext("copyright")
    self_link = [l for l in ch.findall("{http://www.w3.org/2005/Atom}link") if l.get("rel") == "self"]
    assert self_link[0].get("href") == FEED_URL
    assert ch.findtext(I + "explicit") == "false"
    assert ch.findtext(I + "type") == "episodic"
    assert ch.find(I + "category").get("text") == "Technology"
    assert ch.find(I + "image").get("href") == "https://studio.example.org/weekly/cover.jpg"
    assert (out / "cover.jpg").is_file()
    assert ch.findtext(f"{I}owner/{I}email") == "podcast@studio.example.org"
    assert ch.findtext(P + "guid") == podcast_guid(FEED_URL)
    assert ch.find(P + "locked").text == "no" and ch.find(P + "locked").get("owner") == "podcast@studio.example.org"
    assert pp["explicit"] is False and pp["type"] == "episodic" and pp["cover_url"].endswith("cover.jpg")
    assert pp["itunes_categories"] == [["Technology"]]
    assert fp.feed.podcast_guid == podcast_guid(FEED_URL)


def test_podcast_guid_follows_the_namespace_spec():
    # the example in the Podcasting 2.0 namespace docs
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_show_settings_reach_the_feed(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    add_episode(out, 2, extra={"season": 2})
    add_episode(out, 3)
    set_toml(show_dir, explicit=True, subcategory="")
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write('[feed]\ntype = "serial"\nlocked = true\nseason = 1\nlimit = 2\n'
                'guid = "c0ffee00-0000-4000-8000-000000000001"\n')
    rebuild(show_dir)
    _, _, pp, root = _parse(out)
    ch = root.find("channel")
    assert ch.findtext(I + "explicit") == "true" and pp["explicit"] is True
    assert ch.findtext(I + "type") == "serial"
    assert ch.find(P + "locked").text == "yes"
    assert ch.findtext(P + "guid") == "c0ffee00-0000-4000-8000-000000000001"
    assert [i.findtext("title") for i in ch.findall("item")] == ["Episode 3", "Episode 2"]  # limit = 2
    # gPodder lists a serial show oldest first; seasons: the episode's own, else the show default
    assert [(e["title"], e.get("season")) for e in pp["episodes"]] == [("Episode 2", 2), ("Episode 3", 1)]


def test_transcripts_and_chapters_only_when_listed_and_present(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    add_episode(out, 2)
    add_side_files(out, "ep-002")
    m1 = add_episode(out, 3, extra={"transcripts": [{"file": "transcript.vtt", "type": "text/vtt"}],
                                    "chapters": "chapters.json"})  # listed, but the files are missing
    rebuild(show_dir)
    _, fp, _, root = _parse(out)
    items = {i.findtext("title"): i for i in root.find("channel").findall("item")}
    with_files = items["Episode 2"]
    base = "https://studio.example.org/weekly/episodes/ep-002/"
    assert [(t.get("url"), t.get("type"), t.get("rel")) for t in with_files.findall(P + "transcript")] == [
        (base + "transcript.vtt", "text/vtt", "captions"), (base + "transcript.srt", "application/x-subrip", "captions")]
    chapters = with_files.find(P + "chapters")
    assert chapters.get("url") == base + "chapters.json" and chapters.get("type") == "application/json+chapters"
    for title in ("Episode 1", "Episode 3"):
        assert items[title].find(P + "transcript") is None and items[title].find(P + "chapters") is None
    assert m1["slug"] == "ep-003"
    # feedparser, a real client, reads the Podcasting 2.0 tags under the current namespace URI
    entry = next(e for e in fp.entries if e.title == "Episode 2")
    assert entry.podcast_chapters["url"] == base + "chapters.json"


def test_feed_is_rebuilt_from_manifests_and_guids_are_stable(show_dir: Path):
    out = show_dir / "public"
    for n in (1, 2):
        add_episode(out, n)
    rebuild(show_dir)
    before = {e["title"]: e["guid"] for e in _parse(out)[2]["episodes"]}
    first = (out / "feed.xml").read_bytes()
    rebuild(show_dir)
    assert (out / "feed.xml").read_bytes() == first  # deterministic: a no-op rebuild changes nothing
    (out / "feed.xml").write_text("<rss><channel><title>broken</title></channel></rss>", "utf-8")
    shutil.rmtree(out / "episodes" / "ep-001")
    set_toml(show_dir, title="Renamed show")
    rebuild(show_dir)
    _, fp, pp, _ = _parse(out)
    assert pp["title"] == "Renamed show"
    assert {e["title"]: e["guid"] for e in pp["episodes"]} == {"Episode 2": before["Episode 2"]}


def test_script_text_is_escaped_and_show_notes_fit_apple_limits(show_dir: Path):
    out = show_dir / "public"
    nasty = 'A <b>bold</b> & "quoted" ]]> title'
    items = [{"title": f"<i>{k}</i> " + "长" * 150, "text": "x", "speech_text": "x", "start_ms": k * 1000.0,
              "end_ms": k * 1000.0 + 900,
              "links": [{"url": "javascript:alert(1)", "label": "bad"}, {"url": f"https://e.org/{k}", "label": "ok"}]}
             for k in range(40)]
    add_episode(out, 1, title=nasty, items=items)
    rebuild(show_dir)
    _, fp, pp, root = _parse(out)
    assert not fp.bozo
    (entry,) = pp["episodes"]
    assert entry["title"] == nasty
    item = root.find("channel/item")
    notes = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert len(notes) <= 4000 and len(item.findtext("description")) <= 4000
    assert "javascript:" not in notes and "&lt;i&gt;0&lt;/i&gt;" in notes
    assert notes.endswith("</p>")  # truncated by whole items, still well-formed
    etree.fromstring(f"<div>{notes}</div>")
    assert "0:00" in notes and "https://studio.example.org/weekly/episodes/ep-001/" in notes


def test_changed_manifests_reach_the_feed_despite_the_index_cache(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    add_episode(out, 2)
    rebuild(show_dir)
    assert (out / ".studio-manifests.json").is_file()
    add_episode(out, 2, title="Episode 2, corrected", audio=b"\xff\xfb" * 50)  # a rebuild rewrites the manifest
    rebuild(show_dir)
    titles = [e["title"] for e in _parse(out)[2]["episodes"]]
    assert titles == ["Episode 2, corrected", "Episode 1"]
    assert _parse(out)[2]["episodes"][0]["enclosures"][0]["file_size"] == 100
    (out / ".studio-manifests.json").write_text("{not json", "utf-8")
    (out / "feed.xml").unlink()
    rebuild(show_dir)
    assert [e["title"] for e in _parse(out)[2]["episodes"]] == titles
