"""Newsletter markdown: `>` lead, `#`/`##` sections, `###` and bullet items.

A bullet is its own item, unless it sits under a `###` story and has no link
of its own (then it is a detail of that story). An item without a heading of
its own (a bullet) is shown as a list entry (`show_heading = False`); its
derived headline is still its chapter title.

The first quote before any heading is the episode summary; a quote with a
copyright notice is the footer; `---` rules are layout. A section's banner
image (right after its heading) is kept in `episode.meta["section_images"]`.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.core.model import Episode, Item
from studio.ingest.itemize import make_item
from studio.ingest.mdblocks import Block, blocks
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.titles import headline, unique_titles

_LEAD_LABEL = lazy_pattern(r"^(?:导读|导语|摘要|本期导读|TL;?DR|Summary)\s*[:：]\s*", re.I)
_FOOTER = lazy_pattern(r"copyright|©|版权所有|all rights reserved|unsubscribe|退订", re.I)
_BULLET = lazy_pattern(r"^\s{0,3}[*-][ \t]")
_LINKED = lazy_pattern(r"\]\([^()\s]+\)")  # a bullet with its own source link is a news item
_H3 = lazy_pattern(r"^###[ \t]+\S", re.M)
_SECTION = lazy_pattern(r"^#{1,2}[ \t]+\S", re.M)


class _Draft:
    def __init__(self, title: str, section: str, heading: bool):
        self.title, self.section, self.heading = title, section, heading
        self.parts: list[Block] = []
        self.image: str | None = None


def _finish(draft: _Draft) -> Item | None:
    text = "\n\n".join(b.text.strip() for b in draft.parts)
    if not text.strip() and not draft.title:
        return None
    if draft.heading:
        return make_item(draft.title, text, section=draft.section, image=draft.image)
    item = make_item(headline(text, literal=True), text, section=draft.section, image=draft.image, speak_title=False)
    item.show_heading = False  # listed under its section; the headline serves the chapter
    return item


class _Builder:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.sections: list[str] = []
        self.section_images: dict[str, str] = {}
        self.section = ""
        self.lead: list[str] = []
        self.draft: _Draft | None = None
        self.seen_heading = False

    def close(self) -> None:
        if self.draft is not None and (item := _finish(self.draft)) is not None:
            self.items.append(item)
        self.draft = None

    def add(self, block: Block) -> None:
        if block.kind == "rule":
            return
        if block.kind == "heading":
            self.close()
            self.seen_heading = True
            if block.level <= 2:
                self.section = block.content
                if block.content and block.content not in self.sections:
                    self.sections.append(block.content)
            else:
                self.draft = _Draft(block.content, self.section, heading=True)
            return
        if block.kind == "quote" and _FOOTER.search(block.content):
            return
        if block.kind == "quote" and not self.seen_heading and self.draft is None:
            self.lead.append(block.content)
            return
        if block.kind == "image":
            if self.draft is not None and self.draft.image is None:
                self.draft.image = block.url
                return
            if self.draft is None and self.section and self.section not in self.section_images:
                self.section_images[self.section] = block.url
                return
        if block.kind == "bullet" and (_LINKED.search(block.text) or not (self.draft and self.draft.heading)):
            self.close()
            self.draft = _Draft("", self.section, heading=False)
        if self.draft is None:
            self.draft = _Draft("", self.section, heading=False)
        self.draft.parts.append(block)


class NewsletterReader:
    name = "newsletter"

    def detect(self, doc: SourceDoc) -> float:
        body = doc.body[:50000]
        linked_bullet = any(_BULLET.match(line) and "](" in line for line in body.split("\n"))
        if not (_H3.search(body) or linked_bullet):
            return 0.0
        score = 0.5
        if body.lstrip().startswith(">"):
            score += 0.2
        if _SECTION.search(body):
            score += 0.15
        return score

    def read(self, doc: SourceDoc) -> Episode:
        b = _Builder()
        for block in blocks(doc.body, doc.body_line):
            b.add(block)
        b.close()
        fields = episode_fields(doc)
        if not fields["summary"] and b.lead:
            fields["summary"] = _LEAD_LABEL.sub("", " ".join(b.lead).strip())
        if b.section_images:
            fields["meta"] = {**fields["meta"], "section_images": b.section_images}
        derived = [it for it in b.items if not it.show_heading]  # the script's own headings stay as written
        titles = unique_titles([it.title for it in derived], [it.text for it in derived],
                               {it.title for it in b.items if it.show_heading})
        for it, title in zip(derived, titles):
            it.title = title
        return Episode(items=b.items, sections=b.sections, **fields)


READER = NewsletterReader()
