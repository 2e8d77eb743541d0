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
    """Only http(s) and mailto links reach a feed or page."""
    scheme = urlsplit(url.strip()).scheme.lower() if url else ""
    return url.strip() if scheme in ("http", "https", "mailto") else None


def _label(link: dict[str, Any]) -> str:
    return (link.get("label") or urlsplit(link.get("url", "")).hostname or link.get("url", "")).strip()


def notes_html(m: dict[str, Any], page_url: str) -> str:
    """HTML show notes: summary, one line per item with its start time and links, the page link."""
    head = f"<p>{escape(m['summary'])}</p>" if m.get("summary") else ""
    tail = f'<p><a href="{escape(page_url)}">本期全文与链接</a></p>'
    items = m.get("items") or []

    def render(with_links: bool, count: int) -> str:
        lines = []
        for it in items[:count]:
            line = f"{clock(it.get('start_ms', 0))} {escape(it.get('title', ''))}"
            if with_links:
                links = [lk for lk in it.get("links") or [] if safe_url(lk.get("url", ""))]
                line += "".join(f' · <a href="{escape(safe_url(lk["url"]))}">{escape(_label(lk))}</a>' for lk in links)
            lines.append(f"<li>{line}</li>")
        more = "<li>…</li>" if count < len(items) else ""
        body = f"<ul>{''.join(lines)}{more}</ul>" if items else ""
        return head + body + tail

    html = render(True, len(items))
    if len(html) > LIMIT:
        html = render(False, len(items))
    count = len(items)
    while len(html) > LIMIT and count > 0:
        count -= 1
        html = render(False, count)
    return html[:LIMIT]


def notes_text(m: dict[str, Any]) -> str:
    """Plain-text description: the summary (or title), then the chapter lines."""
    parts = [m.get("summary") or m["title"], ""]
    parts += [f"{clock(it.get('start_ms', 0))} {it.get('title', '')}" for it in m.get("items") or []]
    text = "\n".join(parts).strip()
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"
