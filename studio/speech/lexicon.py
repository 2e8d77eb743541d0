"""Pronunciation lexicon: written form -> spoken form, applied to speech text only.

lexicon.toml holds `"A16Z" = "A十六Z"` pairs (optionally under a [words] table).
Latin terms match whole words only (A16Z does not match inside A16Zeta); CJK
terms match anywhere. Longer terms win over shorter ones; matching is case-sensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from studio.core.config import read_toml
from studio.core.errors import ConfigError
from studio.core.lazy import lazy_pattern

_WORDCHAR = lazy_pattern(r"[A-Za-z0-9]")


@dataclass
class Respelled:
    """Text after the lexicon, and where each respelling came from, so a transcript
    built on the spoken text can show the written words."""

    spoken: str
    display: str
    edits: list[tuple[int, int, int, int]] = field(default_factory=list)  # spoken span, display span

    def to_display(self, pos: int) -> int:
        """A position in the spoken text -> the display text (inside a respelling: its end)."""
        shift = 0
        for ss, se, ds, de in self.edits:
            if pos <= ss:
                break
            if pos < se:
                return de
            shift = de - se
        return pos + shift

    def shown(self, start: int, end: int) -> str:
        return self.display[self.to_display(start) : self.to_display(end)]


@dataclass
class Lexicon:
    entries: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        parts = []
        for term in sorted(self.entries, key=len, reverse=True):
            pat = re.escape(term)
            if _WORDCHAR.match(term[0]):
                pat = r"(?<![A-Za-z0-9])" + pat
            if _WORDCHAR.match(term[-1]):
                pat += r"(?![A-Za-z0-9])"
            parts.append(pat)
        self._pattern = re.compile("|".join(parts)) if parts else None

    def apply(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.entries[m.group(0)], text)

    def respell(self, text: str) -> Respelled:
        if self._pattern is None:
            return Respelled(text, text)
        parts, edits, pos, out = [], [], 0, 0
        for m in self._pattern.finditer(text):
            parts.append(text[pos : m.start()])
            out += m.start() - pos
            spoken = self.entries[m.group(0)]
            edits.append((out, out + len(spoken), m.start(), m.end()))
            parts.append(spoken)
            out += len(spoken)
            pos = m.end()
        parts.append(text[pos:])
        return Respelled("".join(parts), text, edits)

    def __len__(self) -> int:
        return len(self.entries)


def load_lexicon(path: Path, required: bool = False) -> Lexicon:
    """Read lexicon.toml; a missing file is an empty lexicon unless `required`."""
    path = Path(path)
    if not path.is_file():
        if required:
            raise ConfigError("lexicon file not found", path)
        return Lexicon(path=path)
    data = read_toml(path)
    if set(data) == {"words"} and isinstance(data["words"], dict):
        data = data["words"]
    entries: dict[str, str] = {}
    for term, spoken in data.items():
        if isinstance(spoken, dict):
            raise ConfigError(f"table [{term}]: put entries at the top level or under [words]", path)
        if not isinstance(spoken, str):
            raise ConfigError(f"entry {term!r}: the spoken form must be a string, got {spoken!r}", path)
        if not term.strip():
            raise ConfigError("an entry has an empty written form", path)
        entries[term] = spoken
    return Lexicon(entries, path)
