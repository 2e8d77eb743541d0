"""Show notes for the feed: chapter times, titles and links, within Apple's 4,000-character limit."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

LIMIT = 4000  # Apple Podcasts: description / content:encoded


def clock(ms: float) -> str:
    s = int(ms // 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def safe_url(url: str) -> str | None:
    """Only http(s) and mailto links reach a feed or page (no javascript: and the like)."""
    url = (url or "").strip()
    return url if url[:8].lower().startswith(("http://", "https://", "mailto:")) else None


def _label(link: dict[str, Any], url: str) -> str:
    return (link.get("label") or urlsplit(url).hostname or url).strip()


TAIL_RESERVE = 400  # room kept for the page link when the body is cached without it


def notes_html(m: dict[str, Any], page_url: str) -> str:
    """HTML show notes: summary, one line per item with its start time and links, the page link."""
    tail = f'<p><a href="{escape(page_url)}">本期全文与链接</a></p>'
    cached = m.get("_notes_body")
    if isinstance(cached, str) and len(tail) <= TAIL_RESERVE:
        return cached + tail
    return notes_body(m, LIMIT - len(tail)) + tail


def notes_body(m: dict[str, Any], budget: int = LIMIT - TAIL_RESERVE) -> str:
    """The show notes without the page link, at most `budget` characters, cut by whole items."""
    summary = (m.get("summary") or "")[: LIMIT // 2]
    head = f"<p>{escape(summary)}</p>" if summary else ""
    lines, links = [], []
    for it in m.get("items") or []:
        lines.append(f"<li>{clock(it.get('start_ms', 0))} {escape(it.get('title', ''))}")
        found = ((lk, safe_url(lk.get("url", ""))) for lk in it.get("links") or [])
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


def notes_text(m: dict[str, Any]) -> str:
    """Plain-text description: the summary (or title), then the chapter lines."""
    parts = [m.get("summary") or m["title"], ""]
    parts += [f"{clock(it.get('start_ms', 0))} {it.get('title', '')}" for it in m.get("items") or []]
    text = "\n".join(parts).strip()
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"
