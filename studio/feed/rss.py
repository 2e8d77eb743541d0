"""feed.xml from all manifests (feedgen + its podcast extension)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from studio import urls
from studio.config import Show


def build_feed_xml(show: Show, manifests: list[dict[str, Any]]) -> bytes:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title(show.title)
    fg.description(show.description)
    fg.link(href=show.site_url, rel="alternate")
    fg.link(href=urls.feed(show), rel="self")
    fg.language(show.language)
    fg.author({"name": show.author, "email": show.owner_email})
    if show.copyright:
        fg.copyright(show.copyright)
    fg.image(url=urls.absolute(show, "cover" + show.path(show.cover).suffix), title=show.title, link=show.site_url)
    fg.podcast.itunes_author(show.author)
    fg.podcast.itunes_owner(name=show.author, email=show.owner_email)
    fg.podcast.itunes_image(urls.absolute(show, "cover" + show.path(show.cover).suffix))
    fg.podcast.itunes_category(show.category, show.subcategory or None)
    fg.podcast.itunes_explicit("yes" if show.explicit else "no")
    fg.podcast.itunes_summary(show.description)
    for m in reversed(manifests):  # feedgen prepends entries: add oldest first
        _add_entry(fg, show, m)
    return fg.rss_str(pretty=True)


def _add_entry(fg, show: Show, m: dict[str, Any]) -> None:
    fe = fg.add_entry()
    fe.id(m["guid"])
    fe.guid(m["guid"], permalink=False)
    fe.title(m["title"])
    fe.link(href=urls.episode_page(show, m["slug"]))
    fe.description(m.get("summary") or m["title"])
    fe.pubDate(dt.datetime.fromisoformat(m["pub_date"]))
    audio = m["audio"]
    fe.enclosure(urls.episode_file(show, m["slug"], audio["file"]), str(audio["bytes"]), "audio/mpeg")
    fe.podcast.itunes_duration(round(audio["duration_ms"] / 1000))
    if m.get("number"):
        fe.podcast.itunes_episode(m["number"])
