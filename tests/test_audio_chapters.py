"""One set of chapters everywhere (chapters.json, ID3 CHAP, the feed's Podlove chapters), https
links only, ID3v2.3 tags that hold only v2.3 frames, chapters stored in time order as ffmpeg and
eyeD3 read them (a built episode, offline voice)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from mutagen.id3 import ID3

from studio.audio.tags import read_chapters
from tests.conftest import make_show, run_studio
from tests.listener_support import eyed3_chapters, ffmpeg_chapters

PSC = "{http://podlove.org/simple-chapters}"

SCRIPT = """\
+++
title = "章节测试"
date = 2026-02-13
number = 4
+++

## 第一条：带数据链接

第一条新闻的内容，很短。[坏链接](data:text/html,<script>alert(1)</script>) [来源](https://example.com/one)

## 第二条：只有数据链接

第二条新闻的内容。[图](data:image/png;base64,AAAA)

## 第三条：普通链接

第三条新闻的内容。[来源](http://example.com/three)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("chapters"))
    (root / "episodes" / "2026-02-13-ch.md").write_text(SCRIPT, "utf-8")
    proc = run_studio(["build", "episodes/2026-02-13-ch.md", "--engine", "espeak", "--json", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    out = Path(json.loads(proc.stdout)["out"])
    return root, out, json.loads((out / "manifest.json").read_text("utf-8"))


def _npt_ms(text: str) -> float:
    h, m, s = text.split(":")
    return (int(h) * 3600 + int(m) * 60 + float(s)) * 1000


def test_chapter_starts_agree_in_json_id3_and_feed(built):
    root, out, manifest = built
    assert manifest["items"][0]["start_ms"] > 1000  # the intro jingle plays before the first words
    doc = json.loads((out / "chapters.json").read_text("utf-8"))
    json_starts = [round(c["startTime"] * 1000) for c in doc["chapters"]]
    id3_starts = [c.start_ms for c in read_chapters(out / manifest["audio"]["file"])]
    feed = etree.fromstring((root / "public" / "feed.xml").read_bytes())
    feed_starts = [round(_npt_ms(c.get("start"))) for c in feed.iter(PSC + "chapter")]
    assert json_starts == id3_starts == feed_starts
    assert json_starts[0] == 0  # the first chapter holds the intro
    for start, item in zip(json_starts[1:], manifest["items"][1:]):
        assert abs(start - item["start_ms"]) <= 1


def test_chapter_links_are_https_only(built):
    _, out, manifest = built
    doc = json.loads((out / "chapters.json").read_text("utf-8"))
    assert [c.get("url") for c in doc["chapters"]] == [
        "https://example.com/one", None, "https://example.com/three"]
    assert [c.url for c in read_chapters(out / manifest["audio"]["file"])] == [
        "https://example.com/one", "", "https://example.com/three"]
    assert b"data:" not in (out / manifest["audio"]["file"]).read_bytes()[:200_000]


def test_id3v23_tag_has_the_date_as_tyer_not_tdrc(built):
    _, out, manifest = built
    raw = ID3(out / manifest["audio"]["file"], translate=False)  # the frames as stored
    assert raw.version[:2] == (2, 3)
    assert "TDRC" not in raw and str(raw["TYER"]) == "2026"
    assert str(raw["TDAT"]) == "1302"  # DDMM
    for clip in manifest["items"]:
        assert "TDRC" not in ID3(out / clip["clip"], translate=False)


def test_ffmpeg_lists_the_chapters_in_time_order(built):
    """Players built on ffmpeg list CHAP frames in the order of the file: it must be the time order."""
    _, out, manifest = built
    doc = json.loads((out / "chapters.json").read_text("utf-8"))["chapters"]
    listed = ffmpeg_chapters(out / manifest["audio"]["file"])
    assert [c.title for c in listed] == [c["title"] for c in doc]
    assert [round(c.start * 1000) for c in listed] == [round(c["startTime"] * 1000) for c in doc]
    assert [c.end for c in listed[:-1]] == [c.start for c in listed[1:]]  # each reaches the next


def test_eyed3_reads_chapters_in_order_reaching_the_next_and_the_end(built):
    _, out, manifest = built
    chapters, tlen = eyed3_chapters(out / manifest["audio"]["file"])
    assert [c.title for c in chapters] == [it["title"] for it in manifest["items"]]
    assert chapters[0].start == 0
    assert [c.end for c in chapters[:-1]] == [c.start for c in chapters[1:]]
    lengths = [c.end - c.start for c in chapters]
    assert min(lengths) > 2 and abs(sum(lengths) - manifest["audio"]["duration_ms"] / 1000) < 0.001
    assert tlen == round(manifest["audio"]["duration_ms"])  # TLEN: the episode's length in ms
