"""Helpers for the speech tests: a show on disk, episodes in code, the Edge stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.edge_server import EdgeStandIn
from devtools.showkit import FAST, SHOW_TOML, episode, show_at, write_show  # noqa: F401  (tests import them from here)


@pytest.fixture
def stand_in(monkeypatch):
    server = EdgeStandIn().start()
    monkeypatch.setenv("STUDIO_EDGE_WSS_URL", server.url)
    monkeypatch.delenv("STUDIO_EDGE_VOICES_URL", raising=False)
    yield server
    server.stop()


def cache_entries(cache_dir: Path) -> int:
    return len(list(Path(cache_dir).glob("??/*.json")))


def parse_cues(vtt: str) -> list[tuple[float, float, str]]:
    """A strict reader for the VTT we write: header, then blocks of 'start --> end' + one line."""
    assert vtt.startswith("WEBVTT\n\n")
    cues = []
    for block in vtt[len("WEBVTT\n\n"):].strip("\n").split("\n\n"):
        if not block:
            continue
        timing, text = block.split("\n")
        start, end = (_secs(t) for t in timing.split(" --> "))
        cues.append((start, end, text))
    return cues


def _secs(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def load_json(p: Path):
    return json.loads(Path(p).read_text("utf-8"))
