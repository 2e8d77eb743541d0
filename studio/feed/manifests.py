"""Episode manifests on disk: the single source the feed and site are built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_REQUIRED = ("slug", "title", "guid", "pub_date", "audio")


def manifest_path(out_dir: Path, slug: str) -> Path:
    return Path(out_dir) / "episodes" / slug / MANIFEST


def load_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_complete(m: dict[str, Any]) -> bool:
    return all(k in m for k in _REQUIRED) and isinstance(m["audio"], dict) and "file" in m["audio"]


def load_all(out_dir: Path) -> list[dict[str, Any]]:
    """Every complete episode in the output dir (manifest + audio on disk), newest first."""
    found = []
    for path in (Path(out_dir) / "episodes").glob(f"*/{MANIFEST}"):
        m = load_manifest(path)
        if m and is_complete(m) and (path.parent / m["audio"]["file"]).is_file():
            found.append(m)
    found.sort(key=lambda m: (m["pub_date"], m.get("number") or 0, m["slug"]), reverse=True)
    return found


def episode_dir(out_dir: Path, m: dict[str, Any]) -> Path:
    return Path(out_dir) / "episodes" / m["slug"]


def transcripts(out_dir: Path, m: dict[str, Any]) -> list[dict[str, str]]:
    """The manifest's transcripts whose files exist: [{"file", "type"}]."""
    listed = m.get("transcripts") or []
    ep = episode_dir(out_dir, m)
    return [t for t in listed
            if isinstance(t, dict) and t.get("file") and t.get("type") and (ep / t["file"]).is_file()]


def chapters_file(out_dir: Path, m: dict[str, Any]) -> str | None:
    """The manifest's chapters JSON file name, when it exists."""
    name = m.get("chapters")
    if isinstance(name, str) and name and (episode_dir(out_dir, m) / name).is_file():
        return name
    return None
