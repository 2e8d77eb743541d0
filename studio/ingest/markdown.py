"""Markdown script: front matter, then one item per `##` heading."""

from __future__ import annotations

import re

from studio.ingest import register
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.speech_text import to_speech_text
from studio.model import Episode, Item, Link

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\((\S+?)\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\((\S+?)\)")


class MarkdownReader:
    name = "markdown"

    def detect(self, doc: SourceDoc) -> float:
        return 0.6 if re.search(r"^##\s+\S", doc.body, re.M) else 0.0

    def read(self, doc: SourceDoc) -> Episode:
        items: list[Item] = []
        sections: list[str] = []
        section = ""
        title_fallback = ""
        current: tuple[str, list[str]] | None = None

        def flush() -> None:
            if current is not None:
                item = make_item(current[0], "\n".join(current[1]).strip(), section)
                if item.text or item.title:
                    items.append(item)

        for line in doc.body.split("\n"):
            m = _HEADING.match(line)
            if m and len(m.group(1)) == 1:
                flush()
                current = None
                if not title_fallback and not items:
                    title_fallback = m.group(2)
                else:
                    section = m.group(2)
                    sections.append(section)
            elif m:
                flush()
                current = (m.group(2), [])
            elif current is not None:
                current[1].append(line)
        flush()
        return Episode(items=items, sections=sections, **episode_fields(doc, title_fallback))


def make_item(title: str, text: str, section: str = "") -> Item:
    links = [Link(url=u, label=label) for label, u in _LINK.findall(text)]
    image = next(iter(_IMAGE.findall(text)), None)
    speech = to_speech_text(text)
    return Item(
        title=title.strip(),
        text=text,
        speech_text=f"{to_speech_text(title)}。{speech}" if speech else to_speech_text(title),
        section=section,
        links=links,
        image=image,
    )


register(MarkdownReader())
