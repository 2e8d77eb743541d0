"""Footnotes of translated reports: the numbered URL list at the end, and the
markers glued to the text ("…增长了 171%2。", "competitive edge4567").

Markers are decoded against the list: footnotes are cited in order, so a
digit run at the end of a word is a marker only if its tail spells the next
expected numbers (n, n+1, …) or a number whose list entry has back-references
("↩︎ ↩︎") left. Numbers such as "2023 年", "H100" or "Gaudi 2 芯片" stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from studio.core.lazy import lazy_pattern
from studio.core.model import Link

_ENTRY = lazy_pattern(r"^\s{0,6}(\d{1,3})[.)]\s+(.*)$")
_BACKREF_CHARS = "↩\ufe0e\ufe0f"
_URL = lazy_pattern(r"https?://\S.*$")
_BACKREF = "↩"
# A digit run not inside a number, a decimal or a word-with-digits.
_RUN = lazy_pattern(r"(?<![\d.,])\d{1,12}(?![\d%A-Za-z]|[.,]\d)")
_GLUE_BEFORE = lazy_pattern(r"[^\s\d\-.$/:#+×x]")
_AFTER_SPACED = lazy_pattern(r"^(?:$|[\u4e00-\u9fff，。、；：！？,;:!?)）」』”])")


@dataclass
class Footnote:
    number: int
    url: str
    label: str
    refs: int  # how many times the text cites it (back-references, at least 1)


@dataclass
class FootnoteList:
    notes: dict[int, Footnote] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)  # 0-based lines the list occupies


def parse_footnote_list(lines: list[str]) -> FootnoteList:
    """The trailing numbered list whose entries hold a URL (blank lines allowed)."""
    found = FootnoteList()
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not line.strip():
            continue
        m = _ENTRY.match(line)
        url = _URL.search(m.group(2)) if m else None
        if not m or not url:
            break
        n = int(m.group(1))
        entry = _strip_backrefs(m.group(2))
        refs = m.group(2)[len(entry) :].count(_BACKREF)
        label = entry[: url.start()].strip(" ,，:：")
        link = re.sub(r"\s+", "", entry[url.start() :])
        found.notes[n] = Footnote(n, link, label or _host(link), max(1, refs))
        found.lines.add(i)
    return found


def _strip_backrefs(entry: str) -> str:
    end = len(entry)
    while end and (entry[end - 1] in _BACKREF_CHARS or entry[end - 1].isspace()):
        end -= 1
    return entry[:end]


def _host(url: str) -> str:
    try:
        return urlparse(url).netloc.removeprefix("www.") or url
    except ValueError:
        return url


class MarkerDecoder:
    """Strips footnote markers from lines in reading order, remembering which it saw."""

    def __init__(self, notes: dict[int, Footnote]):
        self.notes = notes
        self.next = min(notes) if notes else 1
        self.left = {n: f.refs for n, f in notes.items()}

    def strip(self, line: str) -> tuple[str, list[int]]:
        if not self.notes:
            return line, []
        out, found, pos = [], [], 0
        for m in _RUN.finditer(line):
            numbers, keep = self._decode(line, m)
            if numbers:
                out.append(line[pos : m.start()] + keep)
                pos = m.end()
                found.extend(numbers)
        out.append(line[pos:])
        return "".join(out), found

    def _decode(self, line: str, m: re.Match[str]) -> tuple[list[int], str]:
        run = m.group()
        before = line[m.start() - 1] if m.start() else ""
        after = line[m.end() :]
        if before == " " or not before:
            if not _AFTER_SPACED.match(after):
                return [], run  # "2023 年": a number in running text
        elif not _GLUE_BEFORE.match(before):
            return [], run
        for cut in range(len(run)):
            tail = run[cut:]
            if tail[0] == "0":
                continue
            numbers = self._spell(tail)
            if numbers:
                if cut and before in ("", " ") and len(run[:cut]) > 3:
                    return [], run
                for n in numbers:
                    self.left[n] -= 1
                    self.next = max(self.next, n + 1)
                return numbers, run[:cut]
        return [], run

    def _spell(self, tail: str) -> list[int]:
        """`tail` as next, next+1, …; or as one footnote cited again."""
        numbers, rest, n = [], tail, self.next
        while rest and self.left.get(n, 0) > 0 and rest.startswith(str(n)):
            numbers.append(n)
            rest = rest[len(str(n)) :]
            n += 1
        if numbers and not rest:
            return numbers
        again = int(tail) if len(tail) <= 3 else 0
        if again < self.next and self.left.get(again, 0) > 0:
            return [again]
        return []


def links_for(numbers: list[int], notes: dict[int, Footnote]) -> list[Link]:
    return [Link(url=notes[n].url, label=notes[n].label) for n in numbers if n in notes]
