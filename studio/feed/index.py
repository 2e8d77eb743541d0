"""The compact index of every manifest the feed and index pages need, cached by manifest mtime."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.manifest import MANIFEST, read_manifest
from studio.core.memory import gc_paused

INDEX_CACHE = ".studio-manifests.json"
INDEX_FORMAT = 4  # bump when _compact or the cached entry changes
_INDEX_ITEM_KEYS = ("title", "start_ms", "links")  # what the feed needs of an item; pages read the manifest


@dataclass
class Index:
    episodes: list[dict[str, Any]] = field(default_factory=list)  # newest first
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (manifest, problem), left out


def _compact(m: dict[str, Any]) -> dict[str, Any]:
    """The manifest without the items' text, with its show notes rendered once."""
    from studio.feed.shownotes import notes_body, notes_text

    items = [{k: it[k] for k in _INDEX_ITEM_KEYS if k in it} for it in m.get("items") or []]
    return dict(m, items=items, _notes_body=notes_body(m), _notes_text=notes_text(m))


def _plausible(m: Any, why: Any, path: Path) -> bool:
    """A cached entry as _load_index writes it (a cheap check: the cache is ours, but on disk)."""
    if m is None:
        return isinstance(why, str)
    return (why is None and isinstance(m, dict) and m.get("slug") == path.parent.name
            and isinstance(m.get("audio"), dict) and isinstance(m["audio"].get("file"), str))


def load_index(out_dir: Path) -> Index:
    """Every usable episode, newest first, items keeping only title, start and links; unusable ones in `skipped`.

    Parsed manifests are cached in OUT/.studio-manifests.json keyed by each
    manifest's size, mtime and inode, so a rebuild re-reads only changed manifests.
    """
    with gc_paused():
        return _load_index(Path(out_dir))


def _load_index(out: Path) -> Index:
    from studio import __version__

    stamp = f"{__version__}/{INDEX_FORMAT}"
    try:
        stored = json.loads((out / INDEX_CACHE).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        stored = {}
    ok = isinstance(stored, dict) and stored.get("format") == stamp and isinstance(stored.get("episodes"), dict)
    cache = stored["episodes"] if ok else {}
    fresh: dict[str, list] = {}
    index = Index()
    for path in (out / "episodes").glob(f"*/{MANIFEST}"):
        try:
            st = path.stat()
        except OSError:
            continue
        key = [st.st_mtime_ns, st.st_size, st.st_ino]  # atomic writes give every version a new inode
        hit = cache.get(path.parent.name)
        if isinstance(hit, list) and len(hit) == 5 and hit[:3] == key and _plausible(hit[3], hit[4], path):
            m, why = hit[3], hit[4]
        else:
            m, why = read_manifest(path)
            if m is not None:
                try:
                    m = _compact(m)
                except Exception as e:  # noqa: BLE001 - one bad episode must not stop the show
                    m, why = None, f"cannot render its show notes: {e}"
        fresh[path.parent.name] = key + [m, why]
        if why:
            index.skipped.append((path, why))
        elif m and not (path.parent / m["audio"]["file"]).is_file():
            index.skipped.append((path, f"audio file missing: {m['audio']['file']}"))
        elif m:
            index.episodes.append(m)
    if fresh != cache:
        from studio.core.fsutil import atomic_write_text

        try:
            atomic_write_text(out / INDEX_CACHE, json.dumps({"format": stamp, "episodes": fresh}, ensure_ascii=False))
        except OSError:
            pass  # only a cache
    index.episodes.sort(key=lambda m: (m["pub_date"], m.get("number") or 0, m["slug"]), reverse=True)
    index.skipped.sort()
    return index
