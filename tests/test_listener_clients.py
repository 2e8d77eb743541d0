"""Two weeks of a show in real listeners' software, served by `studio serve` on 127.0.0.1.

Week 1 builds the example episode (2024-03-27), week 2 a second one into the same show;
after each week gPodder's `gpo` and podcast-downloader fetch the feed as listeners' machines
do. Both must end with two distinct `.mp3` files named after the episodes, byte-identical to
the built ones; ffmpeg must list the chapters in time order; the feed, chapters.json, the ID3
tags, the episode page and the email must agree on every chapter start and on the length;
and the script's date must be the date listeners see from California to New Zealand.
The clients see only the loopback feed: every proxy variable points at a closed loopback port
(only 127.0.0.1 and localhost are reached directly), gPodder's connection check and
gpodder.net sync are off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
from lxml import etree, html

from studio.audio.tags import read_chapters
from studio.core.timeline import length_seconds, listed_starts
from studio.present.labels import clock
from tests.conftest import bare_env, make_show, run_studio
from tests.feed_helpers import set_toml
from tests.listener_support import eyed3_chapters, ffmpeg_chapters, loopback_only_env, require_clients

WEEK1 = "episodes/2024-03-27-ai-newsletter.md"
WEEK2 = "episodes/2024-04-03-second-week.md"
SECOND_WEEK = """\
---
title: "AI 周报：第二周"
date: 2024-04-03
number: 3
slug: ai-weekly-2024-04-03
---

> 导读：第二周的三条新闻。

# 热点新闻

### 第一条：开源模型又多了一个

第一条新闻的内容，讲一个新的开源模型和它的许可证。[来源](https://example.com/one)

### 第二条

第二条新闻很短。

### 第三条：芯片出口规则有了新的变化，影响多家公司

第三条新闻的内容，说的是芯片出口规则的变化，以及几家公司各自的回应。[来源](https://example.com/three) [另一个来源](https://example.org/three-b)
"""
PSC = "{http://podlove.org/simple-chapters}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
ZONES = ("Pacific/Honolulu", "America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Shanghai",
         "Pacific/Auckland")
DATED = "[%publish_date%] %file_name%.%file_extension%"  # podcast-downloader's dated file names


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Clients:
    """gpo and podcast-downloader, each with its own home, subscribed to one loopback feed."""

    def __init__(self, base: Path, feed_url: str):
        self.base, self.feed_url = base, feed_url
        self.gpo_home, self.gpo_downloads = base / "gpodder", base / "gpodder-downloads"
        self.pd_plain, self.pd_dated = base / "pd", base / "pd-dated"
        for d in (self.gpo_home, self.gpo_downloads, self.pd_plain, self.pd_dated):
            d.mkdir(parents=True)
        self.env = loopback_only_env(base / "home")
        (base / "home").mkdir()
        self.env.update(GPODDER_HOME=str(self.gpo_home), GPODDER_DOWNLOAD_DIR=str(self.gpo_downloads))
        self.config = base / "podcast-downloader.json"
        self.config.write_text(json.dumps({"podcasts": [
            {"name": "plain", "path": str(self.pd_plain), "rss_link": feed_url},
            {"name": "dated", "path": str(self.pd_dated), "rss_link": feed_url, "file_name_template": DATED},
        ]}), "utf-8")
        self.logs: list[str] = []
        self.gpo("set", "check_connection", "False")  # no probing of network interfaces
        self.gpo("subscribe", feed_url)

    def _run(self, cmd: list[str]) -> str:
        proc = subprocess.run(cmd, cwd=self.base, env=self.env, capture_output=True, text=True, timeout=300)
        log = f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        self.logs.append(log)
        assert proc.returncode == 0, log
        return proc.stdout + proc.stderr

    def gpo(self, *args: str) -> str:
        return self._run(["gpo", *args])

    def week(self) -> dict[str, list[Path]]:
        """Both clients check the feed and download what is new; the .mp3 files each one has now."""
        self.gpo("update")
        self.gpo("download")
        self._run([sys.executable, "-m", "podcast_downloader", "--config", str(self.config)])
        return {"gpo": sorted(self.gpo_downloads.rglob("*.mp3")), "podcast-downloader": sorted(self.pd_plain.glob("*.mp3")),
                "podcast-downloader (dated)": sorted(self.pd_dated.glob("*.mp3"))}

    def gpodder_episodes(self) -> list[dict]:
        with sqlite3.connect(self.gpo_home / "Database") as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT guid, title, url, published, total_time, download_filename, "
                                                "chapters FROM episode")]


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    require_clients()
    base = tmp_path_factory.mktemp("listeners")
    (base / "show").mkdir()
    root = make_show(base / "show")
    out = root / "public"
    out.mkdir()
    log = open(base / "serve.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--port", "0", "--quiet"], cwd=root,
                            env=bare_env(), stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())
        assert m, (base / "serve.log").read_text("utf-8")
        site = f"http://127.0.0.1:{m.group(1)}/"
        set_toml(root, base_url=site)  # plain http on loopback: accepted for tests and previews
        (root / WEEK2).write_text(SECOND_WEEK, "utf-8")
        slugs, found = [], []
        clients = None
        for script in (WEEK1, WEEK2):
            built = run_studio(["build", script, "--engine", "espeak", "--json", "--quiet"], cwd=root)
            assert built.returncode == 0, built.stderr
            slugs.append(json.loads(built.stdout)["episode"])
            clients = clients or Clients(base / "clients", site + "feed.xml")
            found.append(clients.week())
        yield {"root": root, "out": out, "site": site, "slugs": slugs, "weeks": found, "clients": clients}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _manifest(out: Path, slug: str) -> dict:
    return json.loads((out / "episodes" / slug / "manifest.json").read_text("utf-8"))


def _built_mp3(out: Path, slug: str) -> Path:
    return out / "episodes" / slug / _manifest(out, slug)["audio"]["file"]


def test_each_client_ends_with_two_distinct_correctly_named_mp3s_identical_to_the_built_ones(weeks):
    out, slugs = weeks["out"], weeks["slugs"]
    built = [_built_mp3(out, slug) for slug in slugs]
    assert [p.name for p in built] == [f"{slug}.mp3" for slug in slugs]  # unique, stable, readable
    week1, week2 = weeks["weeks"]
    logs = "\n".join(weeks["clients"].logs)
    for client in ("gpo", "podcast-downloader"):
        assert [p.name for p in week1[client]] == [built[0].name], (client, logs)
        assert sorted(p.name for p in week2[client]) == sorted(p.name for p in built), (client, logs)
        by_name = {p.name: p for p in week2[client]}
        for mp3 in built:
            assert _sha(by_name[mp3.name]) == _sha(mp3), (client, mp3.name)
    assert _sha(built[0]) != _sha(built[1])


def test_ffmpeg_lists_the_downloaded_episodes_chapters_in_time_order(weeks):
    out = weeks["out"]
    for mp3 in weeks["weeks"][1]["gpo"]:
        doc = json.loads((out / "episodes" / mp3.stem / "chapters.json").read_text("utf-8"))["chapters"]
        listed = ffmpeg_chapters(mp3)
        assert len(listed) == len(doc) >= 3
        assert [c.start for c in listed] == sorted(c.start for c in listed)
        assert [c.title for c in listed] == [c["title"] for c in doc]
        assert [c.end for c in listed[:-1]] == [c.start for c in listed[1:]]


def _feed_items(out: Path) -> dict[str, etree._Element]:
    feed = etree.fromstring((out / "feed.xml").read_bytes())
    return {item.findtext("guid"): item for item in feed.iter("item")}


def _npt_ms(text: str) -> int:
    h, m, s = text.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def _page_times(page: Path) -> list[tuple[str, str]]:
    """(data-start, shown time) of the page's chapter links, each chapter once, in page order."""
    doc = html.fromstring(page.read_text("utf-8"))
    seen: list[tuple[str, str]] = []
    for a in doc.iter("a"):
        if a.get("data-start") is not None:
            pair = (a.get("data-start"), a.text_content().replace("▶", "").strip())
            if pair not in seen:
                seen.append(pair)
    return seen


def _email_times(email_html: Path) -> list[tuple[str, str]]:
    """(#t= of the link to the episode page, the time its text shows) of every item in the email."""
    doc = html.fromstring(email_html.read_text("utf-8"))
    out = []
    for a in doc.iter("a"):
        m = re.search(r"#t=([\d.]+)$", a.get("href") or "")
        if m:
            shown = re.search(r"\d+:\d\d(?::\d\d)?", a.text_content())
            out.append((m.group(1), shown.group(0) if shown else ""))
    return out


def test_feed_chapters_json_id3_page_and_email_agree_on_every_chapter_start_and_the_length(weeks):
    out, clients = weeks["out"], weeks["clients"]
    items = _feed_items(out)
    gpodder = {ep["guid"]: ep for ep in clients.gpodder_episodes()}
    for slug in weeks["slugs"]:
        m, folder = _manifest(out, slug), out / "episodes" / slug
        expected = listed_starts((it["start_ms"], it["end_ms"]) for it in m["items"])  # all items have speech
        assert expected[0] == 0 and expected[1:] == [round(it["start_ms"]) for it in m["items"][1:]]
        doc = json.loads((folder / "chapters.json").read_text("utf-8"))["chapters"]
        assert [round(c["startTime"] * 1000) for c in doc] == expected
        mp3 = folder / m["audio"]["file"]
        assert [c.start_ms for c in read_chapters(mp3)] == expected
        chapters, tlen = eyed3_chapters(mp3)
        assert [round(c.start * 1000) for c in chapters] == expected
        item = items[m["guid"]]
        assert [_npt_ms(c.get("start")) for c in item.iter(PSC + "chapter")] == expected
        shown = [(f"{ms / 1000:.1f}", clock(ms)) for ms in expected]
        assert _page_times(folder / "index.html")[: len(shown)] == shown
        assert _email_times(folder / "email.html") == shown
        notes = item.findtext("description")
        assert [line.split(" ", 1)[0] for line in notes.splitlines()[2:]] == [clock(ms) for ms in expected]
        gp_chapters = json.loads(gpodder[m["guid"]]["chapters"] or "[]")  # the Podlove chapters, whole seconds
        assert [c["start"] for c in gp_chapters] == [ms // 1000 for ms in expected]

        seconds = length_seconds(m["audio"]["duration_ms"])
        assert int(item.findtext(ITUNES + "duration")) == seconds == gpodder[m["guid"]]["total_time"]
        assert length_seconds(tlen) == length_seconds(chapters[-1].end * 1000) == seconds
        label = clock(seconds * 1000)
        page_text = html.fromstring((folder / "index.html").read_text("utf-8")).text_content()
        assert f"· 时长 {label}" in page_text  # a duration says it is one (issue 22)
        assert f"时长 {label}" in html.fromstring((folder / "email.html").read_text("utf-8")).text_content()
        assert f"(时长 {label})" in (folder / "email.txt").read_text("utf-8")
        archive = html.fromstring((out / "archive.html").read_text("utf-8")).text_content()
        day = dt.date.fromisoformat(m["date"])
        assert f"{day.year}年{day.month}月{day.day}日 · 时长 {label}" in archive  # the date written out


def test_listeners_everywhere_see_the_date_the_host_wrote(weeks):
    out, clients, slugs = weeks["out"], weeks["clients"], weeks["slugs"]
    dates = {_manifest(out, slug)["guid"]: dt.date.fromisoformat(_manifest(out, slug)["date"]) for slug in slugs}
    for ep in clients.gpodder_episodes():
        when = dt.datetime.fromtimestamp(ep["published"], dt.timezone.utc)
        for name in ZONES:
            assert when.astimezone(zoneinfo.ZoneInfo(name)).date() == dates[ep["guid"]], (name, ep["title"])
    dated = sorted(p.name for p in weeks["weeks"][1]["podcast-downloader (dated)"])
    assert dated == sorted(f"[{dates[_manifest(out, s)['guid']]:%Y%m%d}] {s}.mp3" for s in slugs)
