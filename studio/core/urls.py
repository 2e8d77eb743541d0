"""Public URLs of everything a build publishes (one place, so links agree).

Pages live under base_url; audio, clips, images, chapters and transcripts under
media_base_url when set (a CDN host). Episode audio carries `?v=<hash>` so a
changed MP3 gets a new URL and media can be cached for a year; the enclosure
alone gets the analytics prefix.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from studio.core.config import Show


def episode_dir(slug: str) -> str:
    return f"episodes/{quote(slug)}/"


def absolute(show: Show, rel: str) -> str:
    return show.site_url + rel


def media(show: Show, rel: str) -> str:
    return show.media_url + rel


def episode_page(show: Show, slug: str) -> str:
    return absolute(show, episode_dir(slug))


def episode_file(show: Show, slug: str, name: str) -> str:
    return absolute(show, episode_dir(slug) + quote(name))


def media_file(show: Show, slug: str, name: str) -> str:
    return media(show, episode_dir(slug) + quote(name))


def version(sha256: str | None) -> str:
    """`?v=<12 hex>` of the file's hash: a new URL for new bytes ("" when the hash is unknown)."""
    return f"?v={sha256[:12]}" if isinstance(sha256, str) and len(sha256) >= 12 else ""


def audio(show: Show, slug: str, name: str, sha256: str | None) -> str:
    return media_file(show, slug, name) + version(sha256)


def enclosure(show: Show, slug: str, name: str, sha256: str | None) -> str:
    url = audio(show, slug, name, sha256)
    prefix = show.feed.analytics_prefix
    return prefix + url.removeprefix("https://") if prefix else url


def feed(show: Show) -> str:
    return absolute(show, "feed.xml")


def local_rel(show: Show, url: str) -> str | None:
    """The output-dir path a published URL points at (analytics prefix, ?v= and #t= removed), or None."""
    prefix = show.feed.analytics_prefix
    if prefix and url.startswith(prefix):
        url = url[len(prefix):]
        url = url if url.startswith(("https://", "http://")) else "https://" + url
    url = url.split("#", 1)[0].split("?", 1)[0]
    for root in (show.site_url, show.media_url):
        if url.startswith(root):
            return unquote(url[len(root):])
    return None
