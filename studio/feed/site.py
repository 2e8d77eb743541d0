"""The web site: index.html (newest episodes with players), archive.html (all), one page per episode.

Pages use relative links, so the site works from `studio serve`, a file://
preview or the published host alike; the feed alone carries absolute URLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from studio import urls
from studio.config import Show
from studio.manifest import MANIFEST, chapters_file, episode_dir, load_manifest, transcripts
from studio.feed.rss import cover_name
from studio.feed.shownotes import clock, safe_url

PAGE = "index.html"
TRANSCRIPT_LABELS = {"text/vtt": "WebVTT", "application/x-subrip": "SRT", "application/srt": "SRT",
                     "text/plain": "文本", "text/html": "HTML", "application/json": "JSON"}


def _env(show: Show):
    from studio.templating import environment

    env = environment(show)
    env.filters["safe_url"] = lambda u: safe_url(u or "") or ""
    return env


def subscribe_links(show: Show) -> list[dict[str, str]]:
    feed = urls.feed(show)
    bare = feed.split("://", 1)[1]
    links = [
        {"name": "RSS", "url": feed},
        {"name": "Apple Podcasts", "url": "podcast://" + bare},
        {"name": "Pocket Casts", "url": "pktc://subscribe/" + bare},
        {"name": "Overcast", "url": "overcast://x-callback-url/add?url=" + quote(feed, safe="")},
        {"name": "AntennaPod", "url": "https://antennapod.org/deeplink/subscribe?url=" + quote(feed, safe="")},
    ]
    return links + [{"name": k, "url": v} for k, v in show.site.subscribe.items()]


def _media(show: Show, m: dict[str, Any], name: str, rel: str) -> str:
    """A link to one of the episode's media files: `rel` (relative), or on media_base_url when set."""
    return urls.media_file(show, m["slug"], name) if show.media_base_url else rel


def _audio(show: Show, m: dict[str, Any], rel_dir: str) -> str:
    name = m["audio"]["file"]
    return _media(show, m, name, rel_dir + quote(name)) + urls.version(m["audio"].get("sha256"))


def _cover(show: Show, rel_home: str) -> str:
    return urls.media(show, cover_name(show)) if show.media_base_url else rel_home + cover_name(show)


def _listing(show: Show, m: dict[str, Any]) -> dict[str, Any]:
    rel = urls.episode_dir(m["slug"])
    return dict(m, page_rel=rel, audio_rel=_audio(show, m, rel), duration=clock(m["audio"]["duration_ms"]))


def render_index(show: Show, manifests: list[dict[str, Any]]) -> str:
    shown = [_listing(show, m) for m in manifests[: show.site.index_episodes]]
    return _env(show).get_template("index.html.j2").render(
        show=show, episodes=shown, total=len(manifests), more=len(manifests) > len(shown),
        feed_url=urls.feed(show), cover=_cover(show, ""), subscribe=subscribe_links(show),
    )


def render_archive(show: Show, manifests: list[dict[str, Any]]) -> str:
    years: dict[str, list[dict[str, Any]]] = {}
    for m in manifests:
        years.setdefault(str(m.get("date", m["pub_date"]))[:4], []).append(_listing(show, m))
    return _env(show).get_template("archive.html.j2").render(
        show=show, years=years, total=len(manifests), feed_url=urls.feed(show), cover=_cover(show, ""),
    )


def episode_context(show: Show, m: dict[str, Any], out: Path) -> dict[str, Any]:
    audio = _audio(show, m, "")
    items, sections = [], []
    for n, it in enumerate(m.get("items") or [], start=1):
        start = float(it.get("start_ms", 0)) / 1000
        item = dict(it, n=it.get("n", n), start_s=f"{start:.1f}", clock=clock(start * 1000),
                    seek_href=f"{audio}#t={start:.1f}", links=[lk for lk in it.get("links") or []
                                                             if safe_url(lk.get("url", ""))])
        items.append(item)
        if not sections or sections[-1]["name"] != it.get("section", ""):
            sections.append({"name": it.get("section", ""), "items": []})
        sections[-1]["items"].append(item)
    found = [dict(t, label=TRANSCRIPT_LABELS.get(t["type"], t["type"]), href=_media(show, m, t["file"], quote(t["file"])))
             for t in transcripts(out, m)]
    chapters = chapters_file(out, m)
    episode = dict(m, audio_rel=audio, duration=clock(m["audio"]["duration_ms"]),
                   page_url=urls.episode_page(show, m["slug"]))
    return {"show": show, "episode": episode, "items": items, "sections": sections, "transcripts": found,
            "chapters_json": _media(show, m, chapters, quote(chapters)) if chapters else None, "feed_url": urls.feed(show),
            "home": "../../", "cover": _cover(show, "../../")}


def render_episode_page(show: Show, m: dict[str, Any], out: Path, env=None) -> str:
    env = env or _env(show)
    return env.get_template("episode.html.j2").render(**episode_context(show, m, out))


def _settings_mtime(show: Show) -> float:
    """When the page template or show.toml (title, links on every page) last changed."""
    from studio.config import SHOW_FILE
    from studio.templating import DEFAULT_TEMPLATES

    names = ("episode.html.j2", "_style.html.j2")
    files = [d / n for d in (show.path("templates"), DEFAULT_TEMPLATES) for n in names] + [show.root / SHOW_FILE]
    stamps = [f.stat().st_mtime for f in files if f.is_file()]
    return max(stamps, default=0.0)


def _inputs_mtime(out: Path, m: dict[str, Any]) -> float:
    ep = episode_dir(out, m)
    names = [MANIFEST] + [t["file"] for t in transcripts(out, m)] + ([chapters_file(out, m)] if chapters_file(out, m) else [])
    return max((ep / n).stat().st_mtime for n in names)


def write_episode_pages(show: Show, manifests: list[dict[str, Any]], out: Path) -> int:
    """(Re)render every episode page older than its manifest, side files, template or show.toml. Returns how many."""
    from studio.fsutil import atomic_write_text

    env, tpl_time, written = None, _settings_mtime(show), 0
    for m in manifests:
        page = episode_dir(out, m) / PAGE
        try:
            fresh = page.stat().st_mtime >= max(_inputs_mtime(out, m), tpl_time)
        except FileNotFoundError:
            fresh = False
        if not fresh:
            env = env or _env(show)
            full = load_manifest(episode_dir(out, m) / MANIFEST) or m  # with the items' text
            atomic_write_text(page, render_episode_page(show, full, out, env))
            written += 1
    return written
