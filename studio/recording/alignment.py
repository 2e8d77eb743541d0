"""An episode's alignment as data: what a build reports, caches and needs to cut the recording.

Kept per episode in `<cache_dir>/recording/<slug>.json` with a key over the recording's bytes,
the reference (text and boundaries of every item) and the aligner's version: a rebuild that
changed neither (a new jingle, a title edit) neither decodes nor aligns the recording again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.core.fsutil import atomic_write_text, sha256_file
from studio.recording.locate import PlacedItem, Word
from studio.recording.reference import Reference

VERSION = "studio-align-1"  # bump when the same inputs would align differently
HALF = 0.5  # less of the script found than this: the wrong recording


@dataclass
class Alignment:
    items: list[PlacedItem]
    duration_s: float
    script_found: float  # share of the script's speech in located items
    null_score: float
    noise_floor_db: float
    sound: list[list[int]]  # [start, end) frame runs of sound in the recording
    frames: int  # analysis frames of the recording
    filters: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Alignment":
        items = [PlacedItem(p["confidence"], p["start_s"], p["end_s"], [Word(**w) for w in p["words"]])
                 for p in data["items"]]
        return cls(**{**data, "items": items})


def reference_digest(reference: Reference) -> str:
    h = hashlib.sha256(VERSION.encode())
    for span in reference.items:
        h.update(json.dumps([span.clip.text, span.clip.boundaries_dict(), span.end - span.first]).encode())
    return h.hexdigest()


def alignment_key(recording: Path, reference: Reference) -> str:
    return hashlib.sha256(f"{sha256_file(recording)}|{reference_digest(reference)}".encode()).hexdigest()


def cached(folder: Path, slug: str, key: str) -> Alignment | None:
    try:
        data = json.loads((folder / f"{slug}.json").read_text("utf-8"))
        return Alignment.from_json(data["alignment"]) if data.get("key") == key else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(folder: Path, slug: str, key: str, alignment: Alignment) -> None:
    try:
        atomic_write_text(folder / f"{slug}.json", json.dumps({"key": key, "alignment": alignment.to_json()}))
    except OSError:
        pass  # a cache that cannot be written only costs time


def report(alignment: Alignment, titles: list[str], shown_path: str) -> dict[str, Any]:
    """What a build says about the alignment (manifest `recording`, `studio build --json`)."""
    items = []
    for n, (p, title) in enumerate(zip(alignment.items, titles), start=1):
        items.append({"n": n, "title": title, "located": p.located, "confidence": p.confidence,
                      "start_s": None if p.start_s is None else round(p.start_s, 2),
                      "end_s": None if p.end_s is None else round(p.end_s, 2)})
    return {
        "file": shown_path,
        "duration_s": round(alignment.duration_s, 2),
        "script_found": round(alignment.script_found, 3),
        "located": sum(p.located for p in alignment.items),
        "not_located": [f"{it['n']} ({it['title']})" for it in items if not it["located"]],
        "noise_floor_db": round(alignment.noise_floor_db, 1),
        "filters": alignment.filters,
        "items": items,
    }
