"""Public URLs of everything a build publishes (one place, so links agree)."""

from __future__ import annotations

from urllib.parse import quote

from studio.config import Show


def episode_dir(slug: str) -> str:
    return f"episodes/{quote(slug)}/"


def absolute(show: Show, rel: str) -> str:
    return show.site_url + rel


def episode_page(show: Show, slug: str) -> str:
    return absolute(show, episode_dir(slug))


def episode_file(show: Show, slug: str, name: str) -> str:
    return absolute(show, episode_dir(slug) + quote(name))


def feed(show: Show) -> str:
    return absolute(show, "feed.xml")
