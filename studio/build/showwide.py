"""The show-wide outputs, rebuilt from every manifest after each build: episode pages, index,
archive, feed.xml, the cover and its icons. The old feed is never edited, always rewritten."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from studio.build.fingerprint import remember_slug
from studio.core.config import Show
from studio.core.fsutil import atomic_path, atomic_write_bytes, atomic_write_text, locked, remove_stale_temps
from studio.core.layout import OutputLayout
from studio.core.manifest import read_manifest
from studio.core.memory import gc_paused
from studio.feed.index import Listed, load_index
from studio.feed.rss import build_feed_xml
from studio.site.pages import render_archive, render_episode_page, render_index, write_episode_pages, write_icons


def write_site_and_feed(show: Show, out: Path, cover: Path, remember: tuple[Path, str] | None = None,
                        warn: Callable[[str], None] | None = None) -> Path:
    """Rebuild the site and feed.xml from every manifest in `out`; returns feed.xml's path.

    Episode pages are re-rendered when older than their manifest or side files;
    feed.xml is written last. A manifest that is unusable or cannot be rendered
    is left out with a warning naming it: one bad episode never stops the others.
    """
    layout = OutputLayout(out)
    with locked(out), gc_paused():
        remove_stale_temps(out, recursive=False)
        if remember:
            remember_slug(out, *remember)
        index = load_index(out)  # compact manifests, cached by manifest mtime
        episodes, skipped = index.episodes, list(index.skipped)
        try:
            pages = _render_site(show, episodes, out)
        except Exception:  # noqa: BLE001 - find the episode that breaks it, leave it out
            failed = render_failures(show, episodes, out)
            if not failed:
                raise
            skipped += [(layout.episode(e.manifest.slug).manifest, why) for e, why in failed]
            episodes = [e for e in episodes if all(e is not f for f, _ in failed)]
            pages = _render_site(show, episodes, out)
        for path, why in skipped:
            if warn:
                warn(f"{path}: left out of the feed and site: {why}")
        cover_out = layout.cover(show.cover)
        if not cover_out.is_file() or cover_out.read_bytes() != cover.read_bytes():
            with atomic_path(cover_out) as tmp:
                shutil.copyfile(cover, tmp)
        write_icons(cover, out)
        home, archive, feed_xml = pages
        atomic_write_text(layout.home_page, home)
        atomic_write_text(layout.archive_page, archive)
        atomic_write_bytes(layout.feed, feed_xml)
    return layout.feed


def _render_site(show: Show, episodes: list[Listed], out: Path) -> tuple[str, str, bytes]:
    """Write stale episode pages; return index.html, archive.html and feed.xml, rendered."""
    manifests = [e.manifest for e in episodes]
    write_episode_pages(show, manifests, out)
    return render_index(show, manifests), render_archive(show, manifests), build_feed_xml(show, episodes, out)


def render_failures(show: Show, episodes: list[Listed], out: Path) -> list[tuple[Listed, str]]:
    """The episodes the feed, index or archive cannot be rendered with, each with the reason.

    One render of them all when that works; otherwise each episode alone (and its page).
    """
    layout = OutputLayout(out)

    def render(some: list[Listed], pages: bool) -> None:
        manifests = [e.manifest for e in some]
        build_feed_xml(show, some, out), render_index(show, manifests), render_archive(show, manifests)
        for e in some if pages else []:
            files = layout.episode(e.manifest.slug)
            render_episode_page(show, read_manifest(files.manifest)[0] or e.manifest, files)

    try:
        render(episodes, pages=False)
        return []
    except Exception:  # noqa: BLE001 - find which episode, below
        pass
    failed = []
    for e in episodes:
        try:
            render([e], pages=True)
        except Exception as err:  # noqa: BLE001 - reported by name, never blocks the others
            failed.append((e, f"{type(err).__name__}: {err}"[:200]))
    return failed
