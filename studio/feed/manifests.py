"""Episode manifests on disk: the single source the feed and site are built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.memory import gc_paused

MANIFEST = "manifest.json"
INDEX_CACHE = ".studio-manifests.json"
INDEX_FORMAT = 3  # bump when _compact changes
_REQUIRED = ("slug", "title", "guid", "pub_date", "audio")
_INDEX_ITEM_KEYS = ("title", "start_ms", "links")  # what the feed needs of an item; pages read the manifest


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
    return _newest_first(found)


def _newest_first(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found.sort(key=lambda m: (m["pub_date"], m.get("number") or 0, m["slug"]), reverse=True)
    return found


def _compact(m: dict[str, Any]) -> dict[str, Any]:
    """The manifest without the items' text, with its show notes rendered once."""
    from studio.feed.shownotes import notes_body, notes_text

    items = [{k: it[k] for k in _INDEX_ITEM_KEYS if k in it} for it in m.get("items") or [] if isinstance(it, dict)]
    return dict(m, items=items, _notes_body=notes_body(m), _notes_text=notes_text(m))


def load_index(out_dir: Path) -> list[dict[str, Any]]:
    """Like load_all, newest first, but items keep only title, start and links (what the feed and index need).

    Parsed manifests are cached in OUT/.studio-manifests.json keyed by each
    manifest's size, mtime and inode, so a rebuild re-reads only changed manifests.
    """
    with gc_paused():
        return _load_index(Path(out_dir))


def _load_index(out: Path) -> list[dict[str, Any]]:
    from studio import __version__

    stamp = f"{__version__}/{INDEX_FORMAT}"
    try:
        stored = json.loads((out / INDEX_CACHE).read_text("utf-8"))
    except (OSError, ValueError):
        stored = {}
    ok = isinstance(stored, dict) and stored.get("format") == stamp and isinstance(stored.get("episodes"), dict)
    cache = stored["episodes"] if ok else {}
    fresh: dict[str, list] = {}
    found = []
    for path in (out / "episodes").glob(f"*/{MANIFEST}"):
        try:
            st = path.stat()
        except OSError:
            continue
        key = [st.st_mtime_ns, st.st_size, st.st_ino]  # atomic writes give every version a new inode
        hit = cache.get(path.parent.name)
        if isinstance(hit, list) and len(hit) == 4 and hit[:3] == key:
            m = hit[3]
        else:
            m = load_manifest(path)
            m = _compact(m) if m and is_complete(m) else None
        fresh[path.parent.name] = key + [m]
        if m and (path.parent / m["audio"]["file"]).is_file():
            found.append(m)
    if fresh != cache:
        from studio.fsutil import atomic_write_text

        try:
            atomic_write_text(out / INDEX_CACHE, json.dumps({"format": stamp, "episodes": fresh}, ensure_ascii=False))
        except OSError:
            pass  # only a cache
    return _newest_first(found)


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
