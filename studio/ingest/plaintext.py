"""Plain text script: optional front matter, one item per paragraph, titled by its headline (studio.ingest.titles)."""

from __future__ import annotations

import re

from studio.core.model import Episode, Item
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.speech_text import to_speech_text
from studio.ingest.titles import headline
from studio.ingest.typography import display_text


class PlainTextReader:
    name = "text"

    def detect(self, doc: SourceDoc) -> float:
        return 0.1

    def read(self, doc: SourceDoc) -> Episode:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n-{3,}\n", doc.body)]
        items = [
            Item(title=display_text(headline(p)), text=display_text(p), speech_text=to_speech_text(p))
            for p in paragraphs
            if p and not re.fullmatch(r"-{3,}", p)
        ]
        return Episode(items=items, **episode_fields(doc))


READER = PlainTextReader()
