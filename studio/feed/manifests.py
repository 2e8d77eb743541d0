"""Episode manifests on disk: the single source the feed and site are built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def manifest_path(out_dir: Path, slug: str) -> Path:
    return Path(out_dir) / "episodes" / slug / MANIFEST


def load_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def load_all(out_dir: Path) -> list[dict[str, Any]]:
    """Every complete episode in the output dir, newest first."""
    found = []
    for path in sorted((Path(out_dir) / "episodes").glob(f"*/{MANIFEST}")):
        m = load_manifest(path)
        if m and (path.parent / m["audio"]["file"]).is_file():
            found.append(m)
    found.sort(key=lambda m: (m["pub_date"], m.get("number") or 0, m["slug"]), reverse=True)
    return found
