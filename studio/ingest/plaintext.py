"""Plain text script: optional front matter, one item per paragraph."""

from __future__ import annotations

import re

from studio.core.model import Episode, Item
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.speech_text import to_speech_text
from studio.ingest.typography import display_text


def first_clause(text: str, limit: int = 24) -> str:
    """A paragraph's first clause, at most `limit` characters: the title of a plain-text item."""
    first = re.split(r"[。！？!?,，;；:：]", text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


class PlainTextReader:
    name = "text"

    def detect(self, doc: SourceDoc) -> float:
        return 0.1

    def read(self, doc: SourceDoc) -> Episode:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n-{3,}\n", doc.body)]
        items = [
            Item(title=display_text(first_clause(p)), text=display_text(p), speech_text=to_speech_text(p))
            for p in paragraphs
            if p and not re.fullmatch(r"-{3,}", p)
        ]
        return Episode(items=items, **episode_fields(doc))


READER = PlainTextReader()
