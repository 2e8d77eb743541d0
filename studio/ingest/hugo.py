"""Hugo post: TOML front matter, then one item per `##` heading.

Under a heading, the image line becomes the item's image and the
"（报道详情：[url](url)）" link its source link. Headings without a title or
without text are dropped. Text before the first `##` is an intro item.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.core.model import Episode, Item
from studio.ingest.itemize import make_item
from studio.ingest.mdblocks import Block, blocks
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.titles import headline

_H2 = lazy_pattern(r"^##[ \t]+\S", re.M)


class HugoReader:
    name = "hugo"

    def detect(self, doc: SourceDoc) -> float:
        if not _H2.search(doc.body):
            return 0.0
        if doc.text.startswith("+++"):
            return 0.9
        return 0.65 if "报道详情" in doc.body[:20000] and re.search(r"^!\[", doc.body, re.M) else 0.0

    def read(self, doc: SourceDoc) -> Episode:
        items: list[Item] = []
        sections: list[str] = []
        section = ""
        title: str | None = None  # None: before the first ## (intro text)
        parts: list[Block] = []

        def flush() -> None:
            item = _item(title, parts, section)
            if item is not None:
                items.append(item)

        for block in blocks(doc.body, doc.body_line):
            if block.kind == "heading" and block.level <= 2:
                flush()
                parts = []
                if block.level == 1:
                    section = block.content
                    if section and section not in sections:
                        sections.append(section)
                    title = None
                else:
                    title = block.content
            elif block.kind != "rule":
                parts.append(block)
        flush()
        return Episode(items=items, sections=sections, **episode_fields(doc))


def _item(title: str | None, parts: list[Block], section: str) -> Item | None:
    cover = next((b for b in parts if b.kind == "image" and b.url), None)
    text = "\n\n".join(b.text.strip() for b in parts if b is not cover)
    image = cover.url if cover else None
    if not text.strip():
        return None  # empty heading (or an image with nothing to say)
    if title is None:
        return make_item("导语", text, section=section, image=image, kind="intro", speak_title=False)
    if not title:
        return make_item(headline(text, literal=True), text, section=section, image=image, speak_title=False)
    return make_item(title, text, section=section, image=image)


READER = HugoReader()
