"""One timeline and one length everywhere a listener reads them: the feed (show notes, Podlove
chapters, itunes:duration), the site and the email list an item at its chapter's start (the first
at 0:00, where chapter 1 and the intro begin) and the episode at its length rounded to the second."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree, html

from studio.core.config import load_show
from studio.core.manifest import read_manifest
from studio.email.context import email_context
from studio.email.render import render_email
from studio.feed.extensions import npt
from tests.feed_helpers import add_episode, rebuild

PSC = "{http://podlove.org/simple-chapters}"
I = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
DURATION_MS = 668_574.0  # 11:08.574: rounded 11:09, cut down 11:08
ITEMS = [  # speech starts after a 3.1 s intro; the third item has no speech (no chapter of its own)
    {"title": "MM1", "start_ms": 3114.0, "end_ms": 70_000.0},
    {"title": "Cerebras", "start_ms": 73_114.4, "end_ms": 140_000.0},
    {"title": "图片", "start_ms": 140_600.0, "end_ms": 140_600.0},
    {"title": "Inflection", "start_ms": 146_377.0, "end_ms": 668_000.0},
]
STARTS = ["0:00", "1:13", "1:13", "2:26"]  # the silent item is listed in the chapter playing at its place
SEEK = ["0.0", "73.1", "73.1", "146.4"]
CHAPTERS = ["00:00:00.000", "00:01:13.114", "00:02:26.377"]


def _built(show_dir: Path) -> tuple[Path, dict]:
    out = show_dir / "public"
    items = [dict(it, text=f"{it['title']} 的内容。", speech_text="x", links=[]) for it in ITEMS]
    m = add_episode(out, 1, items=items, extra={"audio": {"file": "episode.mp3", "bytes": 0,
                                                          "duration_ms": DURATION_MS, "sha256": ""}})
    path = out / "episodes" / m["slug"] / "episode.mp3"
    m["audio"]["bytes"] = path.stat().st_size
    (path.parent / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), "utf-8")
    rebuild(show_dir)
    return out, m


def test_feed_show_notes_and_chapters_share_one_timeline(show_dir: Path):
    out, m = _built(show_dir)
    item = next(etree.fromstring((out / "feed.xml").read_bytes()).iter("item"))
    assert [c.get("start") for c in item.iter(PSC + "chapter")] == CHAPTERS
    assert [c.get("title") for c in item.iter(PSC + "chapter")] == ["MM1", "Cerebras", "Inflection"]
    notes = item.findtext("description").splitlines()[2:]
    assert [line.split(" ", 1)[0] for line in notes] == STARTS
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert re.findall(r"<li>(\d+:\d\d) ", content) == STARTS
    assert npt(0) == CHAPTERS[0]


def test_the_page_lists_items_at_their_chapters_start(show_dir: Path):
    out, m = _built(show_dir)
    page = html.fromstring((out / "episodes" / m["slug"] / "index.html").read_text("utf-8"))
    starts = [(a.get("data-start"), a.text_content().replace("▶", "").strip()) for a in page.iter("a")
              if a.get("data-start") is not None]
    assert starts[: len(ITEMS)] == list(zip(SEEK, STARTS))


def test_the_email_lists_items_at_their_chapters_start(show_dir: Path):
    out, m = _built(show_dir)
    show = load_show(show_dir / "show.toml")
    manifest = read_manifest(out / "episodes" / m["slug"] / "manifest.json")[0]
    parts = render_email(show, email_context(show, manifest))
    doc = html.fromstring(parts.html)
    links = [(re.search(r"#t=([\d.]+)$", a.get("href")).group(1), re.search(r"\d+:\d\d", a.text_content()).group(0))
             for a in doc.iter("a") if re.search(r"#t=[\d.]+$", a.get("href") or "")]
    assert links == list(zip(SEEK, STARTS))
    # the text part: "▶ 收听 0:00" and the link on the next line
    assert re.findall(r"(\d+:\d\d):? https://\S+#t=", parts.text.replace("\n", " ")) == STARTS


def test_one_length_in_the_feed_the_pages_and_the_email(show_dir: Path):
    out, m = _built(show_dir)
    item = next(etree.fromstring((out / "feed.xml").read_bytes()).iter("item"))
    assert item.findtext(I + "duration") == "669"
    for page in (out / "index.html", out / "archive.html", out / "episodes" / m["slug"] / "index.html"):
        text = html.fromstring(page.read_text("utf-8")).text_content()
        assert "11:09" in text and "11:08" not in text, page
    show = load_show(show_dir / "show.toml")
    parts = render_email(show, email_context(show, read_manifest(out / "episodes" / m["slug"] / "manifest.json")[0]))
    assert "11:09" in parts.html and "11:08" not in parts.html
    assert "(时长 11:09)" in parts.text and "11:08" not in parts.text  # labelled as a duration
