"""Show notes for the feed: chapter times, titles and links, within Apple's 4,000-character limit."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from studio.core.links import web_link
from studio.core.manifest import Manifest
from studio.core.model import Link
from studio.core.timeline import listed_starts
from studio.present.labels import clock

LIMIT = 4000  # Apple Podcasts: description / content:encoded


def _label(link: Link, url: str) -> str:
    return (link.label or urlsplit(url).hostname or url).strip()


TAIL_RESERVE = 400  # room kept for the page link when the body is cached without it


def notes_html(m: Manifest, page_url: str, body: str | None = None) -> str:
    """HTML show notes: summary, one line per item with its start time and links, the page link.
    `body`: notes_body(m), when already rendered (the feed's index keeps it)."""
    tail = f'<p><a href="{escape(page_url)}">本期全文与链接</a></p>'
    if body is not None and len(tail) <= TAIL_RESERVE:
        return body + tail
    return notes_body(m, LIMIT - len(tail)) + tail


def notes_body(m: Manifest, budget: int = LIMIT - TAIL_RESERVE) -> str:
    """The show notes without the page link, at most `budget` characters, cut by whole items."""
    summary = (m.summary or "")[: LIMIT // 2]
    head = f"<p>{escape(summary)}</p>" if summary else ""
    lines, links = [], []
    for it, start in zip(m.items, _starts(m)):
        lines.append(f"<li>{clock(start)} {escape(it.title)}")
        found = ((lk, web_link(lk.url)) for lk in it.links)
        links.append("".join(f' · <a href="{escape(url)}">{escape(_label(lk, url))}</a>' for lk, url in found if url))

    def render(with_links: bool, count: int) -> str:
        body = "".join(line + (extra if with_links else "") + "</li>" for line, extra in zip(lines[:count], links))
        more = "<li>…</li>" if count < len(lines) else ""
        return head + (f"<ul>{body}{more}</ul>" if lines else "")

    html = render(True, len(lines))
    count = len(lines)
    if len(html) > budget:
        html = render(False, count)
    while len(html) > budget and count > 0:
        count -= 1
        html = render(False, count)
    return html if len(html) <= budget else ""


def _starts(m: Manifest) -> list[int]:
    """Each item's start as the chapters have it (studio.core.timeline)."""
    return listed_starts((it.start_ms, it.end_ms) for it in m.items)


def notes_text(m: Manifest) -> str:
    """Plain-text description: the summary (or title), then the chapter lines."""
    parts = [m.summary or m.title, ""]
    parts += [f"{clock(start)} {it.title}" for it, start in zip(m.items, _starts(m))]
    text = "\n".join(parts).strip()
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"
