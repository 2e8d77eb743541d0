"""Markdown script: front matter, then one item per `##` (or `###`) heading.

The first `#` heading is the episode title (when the front matter has none);
later `#` headings are sections. The first image under a heading is the item's image.
"""

from __future__ import annotations

import re

from studio.core.model import Episode, Item
from studio.ingest.itemize import make_item
from studio.ingest.mdblocks import Block, blocks
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.titles import headline


class MarkdownReader:
    name = "markdown"

    def detect(self, doc: SourceDoc) -> float:
        return 0.6 if re.search(r"^##[ \t]+\S", doc.body, re.M) else 0.0

    def read(self, doc: SourceDoc) -> Episode:
        items: list[Item] = []
        sections: list[str] = []
        section = ""
        title_fallback = ""
        current: tuple[str, list[Block]] | None = ("", [])  # "": text before the first heading

        def flush() -> None:
            if current is None:
                return
            cover = next((b for b in current[1] if b.kind == "image" and b.url), None)
            text = "\n\n".join(b.text.strip() for b in current[1] if b is not cover)
            image = cover.url if cover else None
            if current[0]:
                items.append(make_item(current[0], text, section=section, image=image))
            elif text:
                items.append(make_item(headline(text, literal=True), text, section=section, image=image, speak_title=False))

        for block in blocks(doc.body, doc.body_line):
            if block.kind == "heading" and block.level == 1:
                flush()
                current = ("", [])
                if not title_fallback and not items:
                    title_fallback = block.content
                else:
                    section = block.content
                    sections.append(section)
            elif block.kind == "heading":
                flush()
                current = (block.content, [])
            elif current is not None and block.kind != "rule":
                current[1].append(block)
        flush()
        return Episode(items=items, sections=sections, **episode_fields(doc, title_fallback))


READER = MarkdownReader()
