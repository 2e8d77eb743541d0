"""What a script reader is: a format's `name`, `detect(doc) -> float` (how sure it is
that the document is in its format, 0..1) and `read(doc) -> Episode`."""

from __future__ import annotations

from typing import Protocol

from studio.core.model import Episode
from studio.ingest.source import SourceDoc


class Reader(Protocol):
    name: str

    def detect(self, doc: SourceDoc) -> float: ...

    def read(self, doc: SourceDoc) -> Episode: ...
