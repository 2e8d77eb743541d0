"""Readers: a script file -> Episode. Formats plug in via `register`.

A reader is a module-level object with `name`, `detect(doc) -> float` (how sure
it is that the document is in its format, 0..1) and `read(doc) -> Episode`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from studio.core.errors import ScriptError
from studio.ingest.clean import clean_episode
from studio.ingest.source import SourceDoc, load_source
from studio.core.memory import gc_paused
from studio.core.model import Episode


class Reader(Protocol):
    name: str

    def detect(self, doc: SourceDoc) -> float: ...

    def read(self, doc: SourceDoc) -> Episode: ...


READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    READERS[reader.name] = reader
    return reader


def _load_builtin() -> None:
    from studio.ingest import article, hugo, markdown, newsletter, plaintext, report, transcript  # noqa: F401


def formats() -> list[str]:
    _load_builtin()
    return sorted(READERS)


def read_episode(path: Path, fmt: str | None = None) -> Episode:
    """Read and validate an episode script; raises ScriptError on bad input."""
    _load_builtin()
    doc = load_source(Path(path))
    if fmt:
        if fmt not in READERS:
            raise ScriptError(f"unknown format {fmt!r} (choose from {', '.join(formats())})", path)
        reader = READERS[fmt]
    else:
        reader = max(READERS.values(), key=lambda r: r.detect(doc))
    with gc_paused():  # millions of small objects on big scripts: keep it linear
        episode = reader.read(doc)
        episode.format = reader.name
        episode.source = Path(path)
        clean_episode(episode, path)  # control characters out, pub_date checked
        episode.items = [it for it in episode.items if it.speech_text.strip() or it.text.strip()]
    if not episode.items:
        raise ScriptError("no items found: the script has no speakable text", path)
    return episode
