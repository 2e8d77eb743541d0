"""index.html, archive.html and the episode pages, built from manifests."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.feed_helpers import add_episode, add_side_files, rebuild


class Links(HTMLParser):
    """Collects tags with their attributes, and the page's text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag, **match):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in match.items())]


def _parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text("utf-8"))
    return p


def test_index_has_header_subscribe_links_and_episode_cards(show_dir: Path):
    out = show_dir / "public"
    for n in range(1, 4):
        add_episode(out, n)
    rebuild(show_dir)
    page = _parse(out / "index.html")
    text = "".join(page.text)
    assert "AI算力Web3周报" in text and "每周一期" in text
    assert page.all("img", src="cover.jpg")
    hrefs = [a["href"] for a in page.all("a")]
    feed = "https://studio.example.org/weekly/feed.xml"
    assert feed in hrefs and "podcast://studio.example.org/weekly/feed.xml" in hrefs
    assert page.all("link", rel="alternate", type="application/rss+xml", href=feed)
    # episode cards, newest first: no stack of native players, one play action each (its page, playing)
    assert not page.all("audio")
    plays = [a["href"] for a in page.all("a") if a.get("href", "").endswith("#play")]
    assert plays == [f"episodes/ep-00{n}/#play" for n in (3, 2, 1)]
    for n in (1, 2, 3):
        assert f"episodes/ep-00{n}/" in hrefs
        assert (out / f"episodes/ep-00{n}/episode.mp3").is_file()
    # every page links the archive, the favicon and offers the podcast apps and RSS in its footer
    assert "archive.html" in hrefs
    assert page.all("link", rel="icon", href="favicon.png") and (out / "favicon.png").is_file()
    assert (out / "icon-180.png").is_file()
    assert page.all("meta", name="color-scheme", content="light dark")
    assert not page.all("form")  # no [site] signup_url: no signup form


def test_index_lists_recent_episodes_and_archive_lists_all(show_dir: Path):
    out = show_dir / "public"
    for n in range(1, 8):
        add_episode(out, n)
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write("[site]\nindex_episodes = 3\n[site.subscribe]\n\"Apple Podcasts 页面\" = \"https://podcasts.apple.com/podcast/id1\"\n")
    rebuild(show_dir)
    index = _parse(out / "index.html")
    assert len([a for a in index.all("a") if a.get("href", "").endswith("#play")]) == 3
    assert index.all("a", href="archive.html")
    # the show's own Apple Podcasts page replaces our podcast:// link: each app once
    assert index.all("a", href="https://podcasts.apple.com/podcast/id1")
    names = [t.strip() for t in index.text if "Apple Podcasts" in t]
    assert names == ["Apple Podcasts"] and not index.all("a", href="podcast://studio.example.org/weekly/feed.xml")
    archive = _parse(out / "archive.html")
    linked = [a["href"] for a in archive.all("a") if a["href"].startswith("episodes/") and "#" not in a["href"]]
    assert linked == [f"episodes/ep-00{n}/" for n in range(7, 0, -1)]
    # every episode as the index shows it: a card with its cover, its date and duration, one play action
    html = (out / "archive.html").read_text("utf-8")
    assert html.count('class="ep-card"') == 7 and "<audio" not in html
    assert [a["href"] for a in archive.all("a") if a["href"].endswith("#play")] == [
        f"episodes/ep-00{n}/#play" for n in range(7, 0, -1)]
    assert html.count("时长 ") == 7


def test_episode_page_player_chapters_and_notes(show_dir: Path):
    out = show_dir / "public"
    items = [
        {"title": "开场", "text": "欢迎收听。", "speech_text": "欢迎收听。", "section": "", "start_ms": 0.0, "end_ms": 9000.0},
        {"title": "MM1 <模型>", "text": "苹果发布 **MM1**，见 [论文](https://arxiv.org/abs/2403.09611)。\n\n"
                                       "![图](https://img.example.org/a.jpeg)",
         "speech_text": "x", "section": "热点新闻", "start_ms": 9600.0, "end_ms": 70000.0,
         "links": [{"url": "https://arxiv.org/abs/2403.09611", "label": "论文"},
                   {"url": "javascript:alert(1)", "label": "evil"}]},
        {"title": "工具", "text": "<script>alert(1)</script> 普通文字", "speech_text": "x", "section": "工具篇",
         "start_ms": 70600.0, "end_ms": 125000.0, "image": "https://img.example.org/tool.png"},
    ]
    add_episode(out, 1, title="第一期 & <特别版>", items=items)
    rebuild(show_dir)
    path = out / "episodes" / "ep-001" / "index.html"
    html = path.read_text("utf-8")
    page = _parse(path)
    (player,) = page.all("audio", id="player")
    assert player["src"] == "episode.mp3" and "controls" in player
    # chapter list: one link per item that seeks; without JavaScript a media-fragment link to the audio
    seeks = page.all("a", **{"class": "time"})
    starts = [(a["href"], a["data-start"]) for a in seeks]
    assert ("episode.mp3#t=0.0", "0.0") in starts and ("episode.mp3#t=9.6", "9.6") in starts
    assert ("episode.mp3#t=70.6", "70.6") in starts
    assert page.all("a", href="#item-2") and page.all("section", id="item-2")
    assert "currentTime" in html  # the seeking script
    # the email content as a page: sections, formatted text, links, images; all escaped
    assert '<h2 class="sec">热点新闻</h2>' in html and '<h2 class="sec">工具篇</h2>' in html
    # content first: the title, summary and player, then the stories; the chapters folded in between
    assert html.index('id="player"') < html.index('<details class="chapters">') < html.index('id="item-1"')
    assert "<details class=\"chapters\" open" not in html
    assert "<b>MM1</b>" in html and page.all("a", href="https://arxiv.org/abs/2403.09611")
    # a source already linked in the text is not listed again
    assert len(page.all("a", href="https://arxiv.org/abs/2403.09611")) == 1
    assert page.all("img", src="https://img.example.org/a.jpeg") and page.all("img", src="https://img.example.org/tool.png")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "第一期 &amp; &lt;特别版&gt;" in html and "MM1 &lt;模型&gt;" in html
    assert not [a for a in page.all("a") if "transcript" in a.get("class", "")]
    assert not page.all("track")
    for img in page.all("img"):
        assert img.get("width") and img.get("height"), img


def test_episode_page_links_transcripts_when_present(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    page = out / "episodes" / "ep-001" / "index.html"
    assert "transcript" not in re.sub(r"<style>.*?</style>", "", page.read_text("utf-8"), flags=re.S)
    add_side_files(out, "ep-001")  # the speech and audio stages add files and manifest keys
    rebuild(show_dir)  # the stale page is rendered again
    parsed = _parse(page)
    hrefs = [a["href"] for a in parsed.all("a") if "transcript" in a.get("class", "")]
    assert hrefs == ["transcript.vtt", "transcript.srt"]
    assert parsed.all("a", href="chapters.json")
    # a readable transcript page, and the captions on the player
    assert parsed.all("a", href="transcript.html")
    assert parsed.all("track", kind="captions", src="transcript.vtt")
    for href in hrefs + ["chapters.json", "episode.mp3", "transcript.html"]:
        assert (page.parent / href).is_file()


def test_pages_work_without_javascript(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    html = (out / "episodes" / "ep-001" / "index.html").read_text("utf-8")
    no_js = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    page = Links()
    page.feed(no_js)
    assert page.all("audio", src="episode.mp3")
    assert all(a["href"].startswith("episode.mp3#t=") for a in page.all("a", **{"class": "time"}))
    assert page.all("a", href=".." + "/" + ".." + "/")  # home, from the episode page


def test_episode_pages_follow_show_settings(show_dir: Path):
    from tests.feed_helpers import set_toml

    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    set_toml(show_dir, title="新的节目名")
    rebuild(show_dir)
    assert "新的节目名" in (out / "episodes" / "ep-001" / "index.html").read_text("utf-8")


def test_signup_form_posts_email_with_a_honeypot(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write('[site]\nsignup_url = "https://studio.example.org/subscribe"\n')
    rebuild(show_dir)
    for path in (out / "index.html", out / "archive.html", out / "episodes" / "ep-001" / "index.html"):
        page = _parse(path)
        (form,) = page.all("form")
        assert form["action"] == "https://studio.example.org/subscribe" and form["method"] == "post"
        names = [a.get("name") for a in page.all("input") if a.get("type") != "range"]  # the player's scrubber
        assert names == ["email", "website"]
        assert page.all("input", name="website", tabindex="-1")


def test_transcript_page_lists_cues_with_seeking_timestamps(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    add_side_files(out, "ep-001")
    rebuild(show_dir)
    page = out / "episodes" / "ep-001" / "transcript.html"
    html = page.read_text("utf-8")
    parsed = _parse(page)
    stamps = [a for a in parsed.all("a") if a.get("data-start")]
    assert stamps and all(a["href"] == f"episode.mp3#t={a['data-start']}" for a in stamps)
    assert parsed.all("audio", id="player") and parsed.all("track", kind="captions")
    assert "hashchange" in html and "<script" in html


def _cue(start: float, end: float, text: str) -> dict:
    return {"start_ms": start * 1000, "end_ms": end * 1000, "text": text}


def test_transcript_cues_join_back_into_whole_sentences():
    """Subtitle lines are cut where a line is full, even inside a number or a word; the page's sentences
    are whole again, each starting when its first character is said."""
    from studio.site.transcript import paragraphs, sentences

    cues = [_cue(0, 2, "本文编译自其 2"), _cue(2, 4, "023 年报告,并附带简单分析。它支持的Character."),
            _cue(4, 6, "ai上线不到一周。"), _cue(6, 7, "The cat"), _cue(7, 8, "sat on the mat."),
            _cue(8, 9, "Supercalifragilistic"), _cue(9, 10, "expialidocious is long.")]
    written = ("本文编译自其 2023 年报告,并附带简单分析。它支持的Character.ai上线不到一周。"
               "The cat sat on the mat. Supercalifragilisticexpialidocious is long.")
    said = sentences(cues, written)
    assert [s["text"] for s in said] == [
        "本文编译自其 2023 年报告,并附带简单分析。", "它支持的Character.ai上线不到一周。", "The cat sat on the mat.",
        "Supercalifragilisticexpialidocious is long."]
    second = cues[1]["text"]  # it starts inside the second cue: its time is in proportion
    assert [round(s["start_ms"]) for s in said][:3] == [0, round(2000 + 2000 * second.index("它") / len(second)), 6000]
    assert [s["after"] for s in said] == ["", "", " ", ""]
    # without the written text: a space only between two Latin letters, never inside a number
    blind = [s["text"] for s in sentences(cues)]
    assert blind[0].startswith("本文编译自其 2023 年报告") and "The cat sat" in blind[2]
    # paragraphs of whole sentences, one start time each
    paras = paragraphs(said, columns=70)
    assert [len(p["sentences"]) for p in paras] == [2, 2] and paras[1]["clock"] == "0:06"


def test_subscribe_links_name_each_app_once():
    from studio.core.config import load_show
    from studio.site.pages import subscribe_links

    root = Path(__file__).resolve().parents[1]
    show = load_show(root / "show.toml")
    names = [link["name"] for link in subscribe_links(show)]
    assert names == ["Apple Podcasts", "Pocket Casts", "Overcast", "AntennaPod"]
    own = dict(show.site.subscribe, **{"Apple Podcasts 页面": "https://podcasts.apple.com/cn/podcast/id1",
                                       "小宇宙": "https://www.xiaoyuzhoufm.com/podcast/1",
                                       "Listen on Overcast": "https://overcast.fm/itunes1"})
    show.site.subscribe = own
    links = {link["name"]: link["url"] for link in subscribe_links(show)}
    assert list(links) == ["Apple Podcasts", "Pocket Casts", "Overcast", "AntennaPod", "小宇宙"]
    assert links["Apple Podcasts"] == "https://podcasts.apple.com/cn/podcast/id1"
    assert links["Overcast"] == "https://overcast.fm/itunes1"
