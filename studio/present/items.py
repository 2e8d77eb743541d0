"""Items as the email and the pages show them: checked links, safe HTML and text, grouped in sections."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from studio.core.links import https_link
from studio.present import content

# Latin faces first (their CJK fallbacks are poor), then the CJK system faces, then the generic family
FONTS = "-apple-system,'Segoe UI',Roboto,Arial,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif"


def display_items(items: list[dict[str, Any]], image_size: tuple[int, int | None] = (544, None)) -> list[dict[str, Any]]:
    """Items with what the templates need, every URL checked and every text made safe."""
    out = []
    for it in items:
        title = content.one_line(it["title"]) or f"#{it['n']}"
        image = https_link(it.get("image"))
        moved: list[str] = []
        html = content.item_html(it.get("text", ""), title, skip_image=it.get("image") if image else None,
                                 moved=moved, size=image_size)
        plain = content.item_text(it.get("text", ""))
        out.append(dict(
            it,
            title=title,
            show_heading=it.get("show_heading", True),
            email_html=Markup(html),
            list_html=Markup(re.sub(r"</p>\s*<p>", "<br>", html).removeprefix("<p>").removesuffix("</p>")),
            image_url=image,
            image_alt=content.image_alt("", title),
            sources=item_sources(it.get("links", []), moved, content.linked_urls(html)),
            plain=content.wrap(plain, 72),
            flat=plain,
            # clip_url and page_url are the show's own (from base_url), not the script's: kept as they are
        ))
    return out


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
