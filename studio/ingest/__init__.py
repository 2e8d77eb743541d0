"""Ingest: a script file -> Episode, read by the reader of its format (studio.ingest.formats)."""

from __future__ import annotations

from pathlib import Path

from studio.core.errors import ScriptError
from studio.core.memory import gc_paused
from studio.core.model import Episode
from studio.ingest.clean import clean_episode
from studio.ingest.formats import FORMATS, SCRIPT_SUFFIXES, format_names
from studio.ingest.source import load_source


def read_episode(path: Path, fmt: str | None = None) -> Episode:
    """Read and validate an episode script; raises ScriptError on bad input."""
    doc = load_source(Path(path))
    if fmt:
        if fmt not in FORMATS:
            raise ScriptError(f"unknown format {fmt!r} (choose from {', '.join(format_names())})", path)
        reader = FORMATS[fmt]
    else:
        reader = max(FORMATS.values(), key=lambda r: r.detect(doc))
    with gc_paused():  # millions of small objects on big scripts: keep it linear
        episode = reader.read(doc)
        episode.format = reader.name
        episode.source = Path(path)
        clean_episode(episode, path)  # control characters out, pub_date checked
        episode.items = [it for it in episode.items if it.speech_text.strip() or it.text.strip()]
    if not episode.items:
        raise ScriptError("no items found: the script has no speakable text", path)
    return episode


__all__ = ["FORMATS", "SCRIPT_SUFFIXES", "format_names", "read_episode"]
