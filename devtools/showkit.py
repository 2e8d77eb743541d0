"""What the tests and the benchmarks share: a copy of the repo's show, the seed scripts, a show and an episode
made in code, a free loopback port. Runtime dependencies only (the benchmarks run without the test extra)."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from pathlib import Path

from studio.core.config import load_show
from studio.core.model import Episode, Item

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "tests" / "fixtures" / "seeds"


def find_seeds() -> Path:
    """The seed scripts the tests read; they ship in the repository."""
    return SEEDS


def make_show(dest: Path) -> Path:
    """A copy of the repo's show (show.toml, episodes, assets) in `dest`: built-in templates, as after `studio init`."""
    shutil.copy(REPO / "show.toml", dest / "show.toml")
    for name in ("episodes", "assets"):
        shutil.copytree(REPO / name, dest / name)
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    """A small show.toml whose [speech] table holds `speech` (lines `key = value`)."""
    root.mkdir(parents=True, exist_ok=True)
    given = {line.split("=")[0].strip() for line in speech.splitlines() if "=" in line}
    speech = "\n".join([*(f"{k} = {v}" for k, v in FAST.items() if k not in given), speech])  # before any [table]
    (root / "show.toml").write_text(SHOW_TOML.format(voice=voice, speech=speech), "utf-8")
    return root / "show.toml"


def show_at(root: Path, **kw):
    return load_show(write_show(root, **kw))


def episode(texts: list[str], root: Path, meta: dict | None = None, sections: list[str] | None = None,
            titles: list[str] | None = None) -> Episode:
    """An episode made in code: one item per text."""
    items = [
        Item(title=(titles[i] if titles else f"Story {i + 1}"), text=t, speech_text=t,
             section=(sections[i] if sections else ""))
        for i, t in enumerate(texts)
    ]
    return Episode(slug="ep", title="Ep", date=dt.date(2024, 1, 1), items=items, meta=meta or {},
                   source=root / "episode.md")
