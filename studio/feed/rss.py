"""feed.xml from all manifests: feedgen plus our extensions (studio.feed.extensions)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core import urls
from studio.audio.chapters import chapters_of
from studio.core.config import Show
from studio.core.manifest import chapters_file, episode_dir, transcripts
from studio.feed.shownotes import notes_html, notes_text

CAPTION_TYPES = {"text/vtt", "application/x-subrip", "application/srt"}


def cover_name(show: Show) -> str:
    """The cover's name in the output dir (cover.jpg or cover.png)."""
    suffix = show.path(show.cover).suffix.lower()
    return "cover" + (".jpg" if suffix in (".jpg", ".jpeg") else suffix)


def feed_guid(show: Show) -> str:
    from studio.feed.extensions import podcast_guid

    return show.feed.guid or podcast_guid(urls.feed(show))


def pub_datetime(m: dict[str, Any]) -> dt.datetime:
    when = dt.datetime.fromisoformat(str(m["pub_date"]))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def feed_episodes(show: Show, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return manifests[: show.feed.limit] if show.feed.limit else manifests


def build_feed_xml(show: Show, manifests: list[dict[str, Any]], out: Path) -> bytes:
    """The whole feed, newest first, rebuilt from `manifests` (newest first)."""
    from studio.core.memory import gc_paused

    with gc_paused():
        return _build_feed_xml(show, manifests, out)


def _build_feed_xml(show: Show, manifests: list[dict[str, Any]], out: Path) -> bytes:
    from feedgen.feed import FeedGenerator

    from studio.feed.extensions import register_all

    fg = FeedGenerator()
    register_all(fg)
    cover_url = urls.media(show, cover_name(show))
    fg.title(show.title)
    fg.description(show.description)
    fg.link(href=urls.feed(show), rel="self", type="application/rss+xml")
    fg.link(href=show.site_url, rel="alternate")  # feedgen's RSS <link> is the last one set
    if show.feed.hub:
        fg.atomhub.hub(show.feed.hub)
    fg.language(show.language)
    if show.copyright:
        fg.copyright(show.copyright)
    fg.generator(f"Studio {__version__}")
    fg.docs("https://www.rssboard.org/rss-specification")
    fg.image(url=cover_url, title=show.title, link=show.site_url)
    it = fg.itunes
    it.itunes_author(show.author)
    it.itunes_owner(name=show.author, email=show.owner_email)
    it.itunes_image(cover_url)
    it.itunes_category({"cat": show.category, **({"sub": show.subcategory} if show.subcategory else {})})
    it.itunes_explicit(bool(show.explicit))
    it.itunes_type(show.feed.type)
    it.itunes_summary(show.description)
    if show.feed.complete:
        it.itunes_complete("yes")
    fg.podcastindex.guid(feed_guid(show))
    fg.podcastindex.locked(show.feed.locked, show.owner_email)

    listed = feed_episodes(show, manifests)
    for m in listed:
        _add_entry(fg, show, m, Path(out), cover_url)
    fg.lastBuildDate(pub_datetime(listed[0]) if listed else dt.datetime.now(dt.timezone.utc))
    return fg.rss_str(pretty=True)


def _episode_image(m: dict[str, Any], cover_url: str) -> str:
    image = m.get("image") or ""
    ok = isinstance(image, str) and image.startswith("https://") and image.lower().endswith((".jpg", ".png"))
    return image if ok else cover_url


def _add_entry(fg, show: Show, m: dict[str, Any], out: Path, cover_url: str) -> None:
    slug, audio = m["slug"], m["audio"]
    page = urls.episode_page(show, slug)
    fe = fg.add_entry(order="append")
    fe.guid(m["guid"], permalink=False)
    fe.title(m["title"])
    fe.link(href=page)
    fe.description(m.get("_notes_text") or notes_text(m))
    fe.content(notes_html(m, page), type="CDATA")
    fe.pubDate(pub_datetime(m))
    size = (episode_dir(out, m) / audio["file"]).stat().st_size
    fe.enclosure(urls.enclosure(show, slug, audio["file"], audio.get("sha256")), str(size), "audio/mpeg")

    it = fe.itunes
    it.itunes_duration(max(1, round(audio["duration_ms"] / 1000)))
    it.itunes_episode_type("full")
    it.itunes_image(_episode_image(m, cover_url))
    if m.get("number"):
        it.itunes_episode(m["number"])
    season = m.get("season") or show.feed.season
    if season:
        it.itunes_season(season)

    for t in transcripts(out, m):
        rel = "captions" if t["type"] in CAPTION_TYPES else None
        fe.podcastindex.transcript(urls.media_file(show, slug, t["file"]), t["type"], show.language, rel)
    chapters = chapters_file(out, m)
    if chapters:
        fe.podcastindex.chapters(urls.media_file(show, slug, chapters))
    timed = [it for it in m.get("items") or [] if "start_ms" in it]
    for chapter in chapters_of(timed, audio["duration_ms"]):  # the starts of chapters.json and ID3 CHAP
        fe.psc.chapter(chapter["start_ms"], chapter["title"])
