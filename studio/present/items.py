"""Items as the email and the pages show them: checked links, safe HTML and text, grouped in sections."""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from markupsafe import Markup

from studio.core.lazy import lazy_pattern
from studio.core.links import https_link
from studio.ingest.textwidth import width
from studio.present import cjk, content

LEAD_REACH = 160  # display columns: a title found within this many at the start of the text is a lead-in
_NOT_WORD = lazy_pattern(r"[\W_]+")
_CLOSERS = "”’」』）》)]\"'"
_ONE_BULLET = lazy_pattern(r"\A\s*[*+-][ \t]+(?=\S)")


def display_items(items: list[dict[str, Any]], image_size: tuple[int, int | None] = (544, None),
                  chinese: bool = False) -> list[dict[str, Any]]:
    """Items with what the templates need, every URL checked and every text made safe.

    A title the text repeats at its start (one derived from the text) is not shown as a heading:
    `heading` is False and the text's opening words through the title are in bold (a lead-in).
    A brief written as one list item ("* …") loses its own bullet: the list it is shown in has one.
    """
    polish = cjk.punctuate if chinese else (lambda text: text)
    out = []
    for it in items:
        title = polish(content.one_line(it["title"])) or f"#{it['n']}"
        image = https_link(it.get("image"))
        moved: list[str] = []
        text = unwrap_bullet(it.get("text", ""))
        html = content.item_html(text, title, skip_image=it.get("image") if image else None,
                                 moved=moved, size=image_size, polish=polish)
        led = lead_in(html, title)
        plain = polish(content.item_text(text))
        shown = led or html
        show_heading = it.get("show_heading", True)
        listed = "- " + plain if plain and show_heading is False else plain
        out.append(dict(
            it,
            title=title,
            show_heading=show_heading,
            heading=bool(show_heading) and led is None and not repeats(html, title),
            email_html=Markup(shown),
            list_html=Markup(re.sub(r"</p>\s*<p>", "<br>", shown).removeprefix("<p>").removesuffix("</p>")),
            image_url=image,
            image_alt=content.image_alt("", title),
            sources=item_sources(it.get("links", []), moved, content.linked_urls(html)),
            plain=content.wrap(listed, 72),
            flat=plain,
            # clip_url and page_url are the show's own (from base_url), not the script's: kept as they are
        ))
    return out


def unwrap_bullet(text: str) -> str:
    """A text that is one list item, without its bullet ("* 英伟达…" -> "英伟达…")."""
    if not _ONE_BULLET.match(text or "") or re.search(r"\n\s*[*+-][ \t]", text):
        return text or ""
    return _ONE_BULLET.sub("", text, count=1)


def _key(text: str) -> str:
    """Letters and digits only, lower-cased: what a title and a sentence are compared on."""
    return _NOT_WORD.sub("", text).lower()


def lead_in(html: str, title: str) -> str | None:
    """`html` with its opening words through `title` in bold, when its first paragraph starts by saying
    the title (within LEAD_REACH columns, before any markup); None otherwise."""
    m = re.match(r"<p>([^<]+)", html)
    key = _key(title)
    if not m or len(key) < 2:
        return None
    raw = unescape(m.group(1))
    spots = [i for i, ch in enumerate(raw) if len(_key(ch)) == 1]
    compact = "".join(raw[i].lower() for i in spots)
    at = compact.find(key)
    if at < 0:
        return None
    end = spots[at + len(key) - 1] + 1
    while end < len(raw) and raw[end] in _CLOSERS:  # a quote or bracket the title closes stays with it
        end += 1
    if sum(width(c) for c in raw[:end]) > LEAD_REACH:
        return None
    return f'<p><b class="lead-in">{escape(raw[:end], quote=False)}</b>{escape(raw[end:], quote=False)}{html[m.end():]}'


def repeats(html: str, title: str) -> bool:
    """Whether the text's opening says the title again (then a heading would only repeat it)."""
    return says_title(unescape(re.sub(r"<[^>]+>", "", html)), title)


def says_title(text: str, title: str) -> bool:
    """Whether plain `text` says `title` in its opening (LEAD_REACH characters)."""
    key = _key(title)
    return len(key) >= 2 and key in _key(text[:LEAD_REACH])


def item_sources(links: list[dict[str, Any]], moved: list[str], inline: set[str]) -> list[dict[str, str]]:
    """An item's source links, each once, named (a site name for "链接"), not those already in its text."""
    sources, seen = [], set(inline)
    for url, label in [(u, "") for u in moved] + [(lk.get("url"), lk.get("label", "")) for lk in links]:
        url = https_link(url)
        if url and url not in seen:
            seen.add(url)
            sources.append({"url": url, "label": content.source_label(url, label)})
    return sources


def sections(items: list[dict[str, Any]], banners: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Items grouped for display: [{name, banner, groups: [{"list": bool, "items": [...]}]}].
    Items without a heading (show_heading False) next to each other form one list."""
    out: list[dict[str, Any]] = []
    banners = banners or {}
    for it in items:
        name = it.get("section") or ""
        if not out or out[-1]["name"] != name:
            out.append({"name": name, "banner": https_link(banners.get(name)), "groups": []})
        groups = out[-1]["groups"]
        listed = not it.get("show_heading", True)
        if listed and groups and groups[-1]["list"]:
            groups[-1]["items"].append(it)
        else:
            groups.append({"list": listed, "items": [it]})
    return out
