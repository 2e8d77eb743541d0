"""The web site: index.html (the newest episodes as cards), archive.html (all), one page per episode
(content first: title, summary, player, where to listen; then the stories), and its transcript page.

Pages use relative links, so the site works from `studio serve`, a file://
preview or the published host alike; the feed alone carries absolute URLs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from studio.core import urls
from studio.core.config import Show
from studio.core.fsutil import atomic_path, atomic_write_text
from studio.core.layout import ICONS, TRANSCRIPT_PAGE, EpisodeFiles, OutputLayout, cover_name, episode_rel
from studio.core.links import https_link, web_link
from studio.core.manifest import Manifest, read_manifest
from studio.core.resources import BUILTIN_TEMPLATES
from studio.core.timeline import listed_starts
from studio.present import cjk, content, palette
from studio.present.items import display_items, says_title, sections
from studio.present.labels import clock, episode_meta, is_chinese, labels_for, length
from studio.present.templating import environment
from studio.site import transcript

TRANSCRIPT_LABELS = {"text/vtt": "WebVTT", "application/x-subrip": "SRT", "application/srt": "SRT",
                     "text/plain": "文本", "text/html": "HTML", "application/json": "JSON"}
IMAGE_SIZE = (1200, 630)  # width/height attributes of script images: space is kept while they load
# Podcast apps a show's own [site.subscribe] link may stand for (by name or by host): it replaces ours.
APPS = {"Apple Podcasts": ("podcasts.apple.com", "itunes.apple.com"), "Pocket Casts": ("pca.st", "pocketcasts.com"),
        "Overcast": ("overcast.fm",), "AntennaPod": ("antennapod.org",)}


def _env(show: Show):
    env = environment(show)
    env.filters["safe_url"] = lambda u: web_link(u or "") or ""
    return env


def write_icons(cover: Path, out: Path) -> None:
    """favicon.png and icon-180.png from the cover art, when missing or older than it."""
    from PIL import Image  # lazy: only when an icon is missing or older than the cover

    layout = OutputLayout(out)
    for name, size in ICONS.items():
        dest = layout.icon(name)
        if dest.is_file() and dest.stat().st_mtime >= cover.stat().st_mtime:
            continue
        with Image.open(cover) as im:
            im.draft("RGB", (size * 2, size * 2))  # a JPEG decodes straight at a fraction of its size
            small = im.convert("RGB").resize((size, size), Image.LANCZOS)
        with atomic_path(dest) as tmp:
            small.save(tmp, "PNG", optimize=True)


def layout_context(show: Show, root: str) -> dict[str, Any]:
    """What every page's header and footer need; `root` leads back to the site's top ("" or "../../")."""
    return {"show": show, "root": root, "feed_url": urls.feed(show), "subscribe": subscribe_links(show),
            "signup_url": show.site.signup_url, "colors": palette.palette(show.email.accent),
            "fonts": cjk.fonts_for(is_chinese(show)), "labels": labels_for(show),
            "cover": _cover(show, root), "image_size": IMAGE_SIZE}


def subscribe_links(show: Show) -> list[dict[str, str]]:
    """Where to listen, each app once: ours (deep links with the feed), a show's own link replacing ours
    for the same app ("Apple Podcasts 页面" = https://podcasts.apple.com/…), then the show's others."""
    feed = urls.feed(show)
    bare = feed.split("://", 1)[1]
    links = {
        "Apple Podcasts": "podcast://" + bare,
        "Pocket Casts": "pktc://subscribe/" + bare,
        "Overcast": "overcast://x-callback-url/add?url=" + quote(feed, safe=""),
        "AntennaPod": "https://antennapod.org/deeplink/subscribe?url=" + quote(feed, safe=""),
    }
    others = {}
    for name, url in show.site.subscribe.items():
        host = content.site_name(url)
        app = next((a for a, hosts in APPS.items() if name.casefold().startswith(a.casefold())
                    or any(host == h or host.endswith("." + h) for h in hosts)), None)
        if app:
            links[app] = url
        elif name.strip().upper() != "RSS":
            others[name] = url
    return [{"name": k, "url": v} for k, v in {**links, **others}.items()]


def _media(show: Show, m: Manifest, name: str, rel: str) -> str:
    """A link to one of the episode's media files: `rel` (relative), or on media_base_url when set."""
    return urls.media_file(show, m.slug, name) if show.media_base_url else rel


def _audio(show: Show, m: Manifest, rel_dir: str) -> str:
    name = m.audio.file
    return _media(show, m, name, rel_dir + quote(name)) + urls.version(m.audio.sha256)


def _cover(show: Show, rel_home: str) -> str:
    name = cover_name(show.cover)
    return urls.media(show, name) if show.media_base_url else rel_home + name


def _polish(show: Show):
    return cjk.punctuate if is_chinese(show) else (lambda text: text)


def _listing(show: Show, m: Manifest) -> dict[str, Any]:
    rel = quote(episode_rel(m.slug))
    polish = _polish(show)
    return dict(m.to_json(), page_rel=rel, audio_rel=_audio(show, m, rel), duration=length(m.audio.duration_ms),
                title=polish(m.title), summary=polish(m.summary), cover=https_link(m.image) or _cover(show, ""),
                meta=episode_meta(labels_for(show), m.number, m.date or m.pub_date, m.audio.duration_ms))


def render_index(show: Show, manifests: list[Manifest]) -> str:
    shown = [_listing(show, m) for m in manifests[: show.site.index_episodes]]
    return _env(show).get_template("index.html.j2").render(
        **layout_context(show, ""), episodes=shown, total=len(manifests), more=len(manifests) > len(shown),
        is_home=True,
    )


def render_archive(show: Show, manifests: list[Manifest]) -> str:
    years: dict[str, list[dict[str, Any]]] = {}
    for m in manifests:
        years.setdefault((m.date or m.pub_date)[:4], []).append(_listing(show, m))
    return _env(show).get_template("archive.html.j2").render(**layout_context(show, ""), years=years, total=len(manifests))


def episode_context(show: Show, m: Manifest, files: EpisodeFiles) -> dict[str, Any]:
    audio = _audio(show, m, "")
    data = m.to_json()
    polish = _polish(show)
    items = []
    duration_s = max(m.audio.duration_ms / 1000, 1.0)
    starts = listed_starts((it.start_ms, it.end_ms) for it in m.items)  # where each item's chapter starts
    shown = display_items([dict(it, n=it.get("n") or k) for k, it in enumerate(data["items"], 1)], IMAGE_SIZE,
                          chinese=is_chinese(show))
    for it, start_ms in zip(shown, starts):
        start = start_ms / 1000
        items.append(dict(it, start_s=f"{start:.1f}", clock=clock(start_ms), seek_href=f"{audio}#t={start:.1f}"))
    found = [{"file": t.file, "type": t.type, "label": TRANSCRIPT_LABELS.get(t.type, t.type),
              "href": _media(show, m, t.file, quote(t.file))} for t in m.existing_transcripts(files.dir)]
    vtt = next((t for t in found if t["type"] == "text/vtt"), None)
    chapters = m.existing_chapters(files.dir)
    episode = dict(data, audio_rel=audio, duration=length(m.audio.duration_ms), page_url=urls.episode_page(show, m.slug),
                   title=polish(m.title), summary=polish(m.summary),
                   meta=episode_meta(labels_for(show), m.number, m.date or m.pub_date, m.audio.duration_ms))
    player = {"duration_s": f"{duration_s:.0f}", "duration": length(m.audio.duration_ms),
              "marks": [f"{min(100.0, float(it['start_s']) * 100 / duration_s):.2f}" for it in items[1:]]}
    return {**layout_context(show, "../../"), "episode": episode, "items": items, "player": player,
            "sections": sections(items, m.section_images), "transcripts": found, "captions": vtt,
            "transcript_page": TRANSCRIPT_PAGE if vtt else None,
            "chapters_json": _media(show, m, chapters, quote(chapters)) if chapters else None, "home": "../../"}


def render_episode_page(show: Show, m: Manifest, files: EpisodeFiles, env=None) -> str:
    env = env or _env(show)
    return env.get_template("episode.html.j2").render(**episode_context(show, m, files))


def render_transcript_page(show: Show, m: Manifest, files: EpisodeFiles, env=None) -> str | None:
    """The transcript as a page: the player, then each item's sentences in paragraphs, one timestamp each."""
    ctx = episode_context(show, m, files)
    if not ctx["captions"]:
        return None
    cues = transcript.read_vtt(files.file(ctx["captions"]["file"]))
    starts = [float(it.get("start_ms", 0)) for it in ctx["items"]]
    parts = [{"item": it, "cues": []} for it in ctx["items"]] or [{"item": None, "cues": []}]
    for cue in cues:
        k = max([i for i, s in enumerate(starts) if s <= cue["start_ms"] + 500] or [0])
        parts[k]["cues"].append(cue)
    polish = _polish(show)
    shown = []
    for part in parts:
        if not part["cues"]:
            continue
        it = part["item"] or {}
        source = it.get("title", "") + "\n" + content.item_text(it.get("text", ""))
        said = [dict(s, text=polish(s["text"])) for s in transcript.sentences(part["cues"], source)]
        title = it.get("title", "")
        opening = " ".join(s["text"] for s in said[:3])
        if said and title and says_title(said[0]["text"], title) and len(said[0]["text"]) <= len(title) + 4:
            said[0]["lead"] = True  # the spoken title: the paragraph's bold first sentence, no heading above
        heading = bool(part["item"]) and it.get("heading", True) and not says_title(opening, title)
        shown.append({"item": part["item"], "heading": heading, "paragraphs": transcript.paragraphs(said)})
    env = env or _env(show)
    return env.get_template("transcript.html.j2").render(**ctx, parts=shown)


def _settings_mtime(show: Show) -> float:
    """When the page template or show.toml (title, links on every page) last changed."""
    names = ("episode.html.j2", "transcript.html.j2", "_style.html.j2", "_header.html.j2", "_footer.html.j2",
             "_player.html.j2", "_stories.html.j2")
    files = [d / n for d in (show.path("templates"), BUILTIN_TEMPLATES) for n in names] + [show.file]
    stamps = [f.stat().st_mtime for f in files if f.is_file()]
    return max(stamps, default=0.0)


def _inputs_mtime(files: EpisodeFiles, m: Manifest) -> float:
    paths = [files.manifest] + [files.file(t.file) for t in m.existing_transcripts(files.dir)]
    chapters = m.existing_chapters(files.dir)
    return max(p.stat().st_mtime for p in paths + ([files.file(chapters)] if chapters else []))


def write_episode_pages(show: Show, manifests: list[Manifest], out: Path) -> int:
    """(Re)render every episode page older than its manifest, side files, template or show.toml. Returns how many."""
    env, tpl_time, written = None, _settings_mtime(show), 0
    layout = OutputLayout(out)
    for m in manifests:
        files = layout.episode(m.slug)
        try:
            fresh = files.page.stat().st_mtime >= max(_inputs_mtime(files, m), tpl_time)
        except FileNotFoundError:
            fresh = False
        if not fresh:
            env = env or _env(show)
            full = read_manifest(files.manifest)[0] or m  # with the items' text
            atomic_write_text(files.page, render_episode_page(show, full, files, env))
            transcript = render_transcript_page(show, full, files, env)
            if transcript is not None:
                atomic_write_text(files.transcript_page, transcript)
            written += 1
    return written
