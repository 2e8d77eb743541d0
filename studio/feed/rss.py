"""feed.xml from all manifests: feedgen plus our extensions (studio.feed.extensions)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from studio import __version__
from studio.audio.chapters import Timed, chapters_of
from studio.core import urls
from studio.core.config import Show
from studio.core.layout import OutputLayout, cover_name
from studio.core.manifest import Manifest
from studio.core.memory import gc_paused
from studio.core.timeline import length_seconds
from studio.feed.extensions import podcast_guid, register_all
from studio.feed.index import Listed
from studio.feed.shownotes import notes_html, notes_text

CAPTION_TYPES = {"text/vtt", "application/x-subrip", "application/srt"}


def feed_guid(show: Show) -> str:
    return show.feed.guid or podcast_guid(urls.feed(show))


def feed_episodes(show: Show, episodes: list[Listed]) -> list[Listed]:
    return episodes[: show.feed.limit] if show.feed.limit else episodes


def build_feed_xml(show: Show, episodes: list[Listed], out: Path) -> bytes:
    """The whole feed, newest first, rebuilt from the index's `episodes` (newest first)."""
    with gc_paused():
        return _build_feed_xml(show, episodes, OutputLayout(out))


def _build_feed_xml(show: Show, episodes: list[Listed], out: OutputLayout) -> bytes:
    from feedgen.feed import FeedGenerator  # lazy: feedgen pulls in lxml (~40 ms) that a no-op build never needs

    fg = FeedGenerator()
    register_all(fg)
    cover_url = urls.media(show, cover_name(show.cover))
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

    listed = feed_episodes(show, episodes)
    for entry in listed:
        _add_entry(fg, show, entry, out, cover_url)
    fg.lastBuildDate(listed[0].manifest.published if listed else dt.datetime.now(dt.timezone.utc))
    return fg.rss_str(pretty=True)


def _episode_image(m: Manifest, cover_url: str) -> str:
    image = m.image or ""
    ok = isinstance(image, str) and image.startswith("https://") and image.lower().endswith((".jpg", ".png"))
    return image if ok else cover_url


def _add_entry(fg, show: Show, entry: Listed, out: OutputLayout, cover_url: str) -> None:
    m = entry.manifest
    slug, audio, files = m.slug, m.audio, out.episode(m.slug)
    page = urls.episode_page(show, slug)
    fe = fg.add_entry(order="append")
    fe.guid(m.guid, permalink=False)
    fe.title(m.title)
    fe.link(href=page)
    fe.description(entry.notes_text or notes_text(m))
    fe.content(notes_html(m, page, entry.notes_body), type="CDATA")
    fe.pubDate(m.published)
    size = files.file(audio.file).stat().st_size
    fe.enclosure(urls.enclosure(show, slug, audio.file, audio.sha256), str(size), "audio/mpeg")

    it = fe.itunes
    it.itunes_duration(length_seconds(audio.duration_ms))
    it.itunes_episode_type("full")
    it.itunes_image(_episode_image(m, cover_url))
    if m.number:
        it.itunes_episode(m.number)
    season = m.season or show.feed.season
    if season:
        it.itunes_season(season)

    for t in m.existing_transcripts(files.dir):
        rel = "captions" if t.type in CAPTION_TYPES else None
        fe.podcastindex.transcript(urls.media_file(show, slug, t.file), t.type, show.language, rel)
    chapters = m.existing_chapters(files.dir)
    if chapters:
        fe.podcastindex.chapters(urls.media_file(show, slug, chapters))
    timed = [Timed(it.title, it.start_ms, it.end_ms, it.links) for it in m.items]
    for chapter in chapters_of(timed, audio.duration_ms):  # the starts of chapters.json and ID3 CHAP
        fe.psc.chapter(chapter["start_ms"], chapter["title"])
