"""Helpers for the speech tests: a show on disk, episodes in code, the Edge stand-in."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from devtools.edge_server import EdgeStandIn
from studio.core.config import load_show
from studio.core.model import Episode, Item

SHOW_TOML = """title = "Test Show"
description = "d"
author = "a"
owner_email = "a@example.org"
base_url = "https://example.org/show/"
voice = "{voice}"
[speech]
{speech}
"""
FAST = {"retry_backoff": "0.01", "timeout": "5"}  # fast retries unless a test says otherwise


def write_show(root: Path, voice: str = "zh-CN-XiaoxiaoNeural", speech: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    given = {line.split("=")[0].strip() for line in speech.splitlines() if "=" in line}
    speech = "\n".join([*(f"{k} = {v}" for k, v in FAST.items() if k not in given), speech])  # before any [table]
    (root / "show.toml").write_text(SHOW_TOML.format(voice=voice, speech=speech), "utf-8")
    return root / "show.toml"


def show_at(root: Path, **kw):
    return load_show(write_show(root, **kw))


def episode(texts: list[str], root: Path, meta: dict | None = None, sections: list[str] | None = None,
            titles: list[str] | None = None) -> Episode:
    items = [
        Item(title=(titles[i] if titles else f"Story {i + 1}"), text=t, speech_text=t,
             section=(sections[i] if sections else ""))
        for i, t in enumerate(texts)
    ]
    return Episode(slug="ep", title="Ep", date=dt.date(2024, 1, 1), items=items, meta=meta or {},
                   source=root / "episode.md")


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
