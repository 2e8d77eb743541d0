"""Translated report: English headline lines, each followed by its Chinese text.

- a headline (mostly Latin words, possibly followed by its translation) opens an item;
- short Chinese lines without punctuation ("算力成为新的石油") are sections;
- bullets stay in their item; text before any headline forms the intro;
- footnote markers are removed and become the item's links (see footnotes.py);
- declared boilerplate: caption lines repeated (consecutive identical lines),
  the table of contents, stray markup lines ("**"), the footnote list itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.core.lazy import lazy_pattern
from studio.core.model import Episode, Item
from studio.ingest.footnotes import MarkerDecoder, links_for, parse_footnote_list
from studio.ingest.itemize import make_item
from studio.ingest.source import SourceDoc, episode_fields

_IDEOGRAPH = lazy_pattern(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
_LATIN_WORD = lazy_pattern(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]")
_BULLET = lazy_pattern(r"^\s*(?:[•·▪◦*+-])\s+(.*)$")
_NUMBERED = lazy_pattern(r"^\s*\d{1,3}[.)]\s+\S")
_SECTION_PUNCT = lazy_pattern(r"[。，,.!?！？；;：:、“”\"()（）《》%$]")
_MARKUP_ONLY = lazy_pattern(r"^[\s*_#>`~=-]+$")
_TOC_CUE = lazy_pattern(r"目录|contents", re.I)


def split_headline(line: str) -> tuple[str, str] | None:
    """(headline, trailing translation) when the line opens with an English headline."""
    text = line.strip().strip("*#").strip()
    if not text or _BULLET.match(line) or _NUMBERED.match(line):
        return None
    m = _IDEOGRAPH.search(text)
    prefix = text[: m.start()] if m else text
    if m and not prefix.endswith((" ", "\t")):
        return None  # a Chinese sentence that starts with a name
    words = _LATIN_WORD.findall(prefix)
    if len(words) < 3 or sum(map(len, words)) < 12:
        return None
    return prefix.strip(), text[len(prefix) :].strip()


def is_section(line: str) -> bool:
    text = line.strip()
    return (
        bool(_IDEOGRAPH.search(text))
        and len(text) <= 20
        and not _SECTION_PUNCT.search(text)
        and not _BULLET.match(line)
        and split_headline(line) is None
    )


@dataclass
class _Draft:
    title: str
    section: str
    kind: str = "story"
    spoken_title: bool = True
    parts: list[str] = field(default_factory=list)
    notes: list[int] = field(default_factory=list)


class ReportReader:
    name = "report"

    def detect(self, doc: SourceDoc) -> float:
        tail = doc.body[-30000:].split("\n")
        if len(parse_footnote_list(tail).notes) >= 3 and "↩" in doc.body[-30000:]:
            return 0.9
        if re.search(r"^\s{0,3}(?:#{1,6}\s|>|[*-]\s.*\]\()", doc.body[:50000], re.M):
            return 0.0  # markdown: a newsletter or a post
        head = doc.body[:50000].split("\n")
        headlines = sum(1 for line in head if split_headline(line))
        chinese = sum(1 for line in head if len(_IDEOGRAPH.findall(line)) > 20)
        return 0.7 if headlines >= 3 and chinese >= 3 else 0.0

    def read(self, doc: SourceDoc) -> Episode:
        lines = doc.body.split("\n")
        notes = parse_footnote_list(lines)
        keep = _content_lines(lines, notes.lines)
        decoder = MarkerDecoder(notes.notes)
        items: list[Item] = []
        sections: list[str] = []
        draft: _Draft | None = None
        section = ""

        def close() -> None:
            nonlocal draft
            if draft is not None and (draft.parts or draft.kind == "story"):
                text = "\n\n".join(draft.parts)
                links = _unique(links_for(draft.notes, notes.notes))
                items.append(
                    make_item(
                        draft.title, text, section=draft.section, links=links, kind=draft.kind, speak_title=draft.spoken_title
                    )
                )
            draft = None

        for i in keep:
            line, found = decoder.strip(lines[i])
            if headline := split_headline(line):
                close()
                draft = _Draft(headline[0], section, notes=found)
                if headline[1]:
                    draft.parts.append(headline[1])
                continue
            if is_section(line):
                close()
                section = line.strip()
                sections.append(section)
                continue
            if draft is None:
                intro = not section and not items
                draft = _Draft("导语" if intro else section, section, "intro" if intro else "story", spoken_title=False)
            bullet = _BULLET.match(line)
            draft.parts.append(f"- {bullet.group(1).strip()}" if bullet else line.strip())
            draft.notes.extend(found)
        close()
        return Episode(items=items, sections=sections, **episode_fields(doc))


def _content_lines(lines: list[str], footnote_lines: set[int]) -> list[int]:
    """Indexes of lines that carry prose (declared boilerplate removed)."""
    drop = set(footnote_lines)
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or _MARKUP_ONLY.match(text):
            drop.add(i)
        elif (i + 1 < len(lines) and lines[i + 1].strip() == text) or (i and lines[i - 1].strip() == text):
            drop.add(i)  # an image caption, repeated
    drop |= _table_of_contents(lines, drop)
    return [i for i in range(len(lines)) if i not in drop]


def _table_of_contents(lines: list[str], dropped: set[int]) -> set[int]:
    """The numbered list right after a line that announces a table of contents."""
    toc: set[int] = set()
    previous = ""
    i = 0
    while i < len(lines):
        if i in dropped:
            i += 1
            continue
        if _NUMBERED.match(lines[i]) and _TOC_CUE.search(previous):
            while i < len(lines) and (i in dropped or _NUMBERED.match(lines[i])):
                if _NUMBERED.match(lines[i]):
                    toc.add(i)
                i += 1
            previous = ""
            continue
        previous = lines[i]
        i += 1
    return toc


def _unique(links: list) -> list:
    seen: set[str] = set()
    return [link for link in links if not (link.url in seen or seen.add(link.url))]


READER = ReportReader()
