"""A small markdown block splitter: headings, images, quotes, bullets, rules, paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from studio.core.lazy import lazy_pattern
from studio.core.model import Link

_HEADING = lazy_pattern(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*))?$")
_RULE = lazy_pattern(r"^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$")
_IMAGE_LINE = lazy_pattern(r"^\s*+!\[([^\[\]\n]*+)\]\(\s*+([^()\s]*+)(?:\s++\"[^\"\n]*+\")?\s*+\)\s*$")
_QUOTE = lazy_pattern(r"^\s{0,3}>\s?(.*)$")
_BULLET = lazy_pattern(r"^\s{0,3}(?:[-*+•]|\d{1,3}[.)])[ \t]+(\S.*)$")
_LINK = lazy_pattern(r"(?<!!)\[([^\[\]\n]*+)\]\(\s*+([^()\s]++)[^()\n]{0,300}+\)")


@dataclass
class Block:
    kind: str  # heading | image | quote | bullet | rule | paragraph
    text: str  # source text of the block (for paragraphs and bullets: as written)
    line: int  # 1-based line in the file
    level: int = 0  # heading level
    url: str = ""  # image url
    content: str = ""  # heading / quote / bullet text without the marker


def blocks(body: str, first_line: int = 1) -> Iterator[Block]:
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line, n = lines[i], first_line + i
        if not line.strip():
            i += 1
            continue
        if m := _HEADING.match(line):
            yield Block("heading", line, n, level=len(m.group(1)), content=_heading_text(m.group(2)))
        elif _RULE.match(line):
            yield Block("rule", line, n)
        elif m := _IMAGE_LINE.match(line):
            yield Block("image", line, n, url=m.group(2), content=m.group(1))
        elif _QUOTE.match(line):
            j = i
            while j < len(lines) and _QUOTE.match(lines[j]):
                j += 1
            text = "\n".join(lines[i:j])
            content = "\n".join(_QUOTE.match(q).group(1) for q in lines[i:j])  # type: ignore[union-attr]
            yield Block("quote", text, n, content=content.strip())
            i = j
            continue
        elif m := _BULLET.match(line):
            j = i + 1
            while j < len(lines) and lines[j].strip() and lines[j][:1] in " \t" and not _starts_block(lines[j]):
                j += 1
            text = "\n".join(lines[i:j])
            yield Block("bullet", text, n, content=" ".join([m.group(1)] + [s.strip() for s in lines[i + 1 : j]]))
            i = j
            continue
        else:
            j = i + 1
            while j < len(lines) and lines[j].strip() and not _starts_block(lines[j]):
                j += 1
            yield Block("paragraph", "\n".join(lines[i:j]), n)
            i = j
            continue
        i += 1


def _heading_text(raw: str | None) -> str:
    """"Title ##" -> "Title" (closing hashes are decoration)."""
    text = (raw or "").strip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and (not bare or bare[-1] in " \t") else text


def _starts_block(line: str) -> bool:
    return bool(_HEADING.match(line) or _RULE.match(line) or _QUOTE.match(line) or _BULLET.match(line) or _IMAGE_LINE.match(line))


def links_in(text: str, default_label: str = "") -> list[Link]:
    """Markdown links of `text`; a link labelled with its own URL gets the word before it
    ("报道详情：[https://…](https://…)" -> label 报道详情)."""
    out: list[Link] = []
    for m in _LINK.finditer(text):
        label, url = m.group(1).strip(), m.group(2)
        if label == url or label.startswith(("http://", "https://")):
            before = re.search(r"([^\s（(:：,，。]{1,8})\s*[:：]\s*$", text[max(0, m.start() - 12) : m.start()])
            label = before.group(1) if before else default_label
        if url and all(link.url != url for link in out):
            out.append(Link(url=url, label=label))
    return out
