"""The compact index of every manifest the feed and index pages need, cached by manifest mtime."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core.fsutil import atomic_write_text
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, ManifestError, ManifestItem, read_manifest
from studio.core.memory import gc_paused
from studio.feed.shownotes import notes_body, notes_text

INDEX_FORMAT = 6  # bump when the cached entry changes (6: show notes list chapter starts)


@dataclass
class Listed:
    """One episode as the feed and the lists need it: its manifest without the items' text, and its show notes."""

    manifest: Manifest
    notes_body: str
    notes_text: str


@dataclass
class Index:
    episodes: list[Listed] = field(default_factory=list)  # newest first
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (manifest, problem), left out

    @property
    def manifests(self) -> list[Manifest]:
        return [e.manifest for e in self.episodes]


def listing(m: Manifest) -> Listed:
    """The manifest without the items' text, with its show notes rendered once."""
    items = [ManifestItem(title=it.title, start_ms=it.start_ms, end_ms=it.end_ms, links=it.links) for it in m.items]
    return Listed(replace(m, items=items), notes_body(m), notes_text(m))


def _cached(entry: Any, slug: str) -> Listed | None:
    """A cached entry as _load_index writes it, or None (the cache is ours, but on disk)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("notes"), list) or len(entry["notes"]) != 2:
        return None
    try:
        return Listed(Manifest.from_json(entry.get("manifest"), slug), *map(str, entry["notes"]))
    except ManifestError:
        return None


def load_index(out_dir: Path) -> Index:
    """Every usable episode, newest first, items keeping only title, start and links; unusable ones in `skipped`.

    Parsed manifests are cached in OUT/.studio-manifests.json keyed by each
    manifest's size, mtime and inode, so a rebuild re-reads only changed manifests.
    """
    with gc_paused():
        return _load_index(OutputLayout(out_dir))


def _load_index(out: OutputLayout) -> Index:
    stamp = f"{__version__}/{INDEX_FORMAT}"
    try:
        stored = json.loads(out.manifest_index.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        stored = {}
    ok = isinstance(stored, dict) and stored.get("format") == stamp and isinstance(stored.get("episodes"), dict)
    cache = stored["episodes"] if ok else {}
    fresh: dict[str, list] = {}
    index = Index()
    for path in out.manifests():
        try:
            st = path.stat()
        except OSError:
            continue
        slug = path.parent.name
        key = [st.st_mtime_ns, st.st_size, st.st_ino]  # atomic writes give every version a new inode
        hit = cache.get(slug)
        listed, why = None, None
        if isinstance(hit, list) and len(hit) == 5 and hit[:3] == key:
            listed, why = (_cached(hit[3], slug), None) if hit[3] is not None else (None, hit[4])
        if listed is None and not isinstance(why, str):
            m, why = read_manifest(path)
            if m is not None:
                try:
                    listed = listing(m)
                except Exception as e:  # noqa: BLE001 - one bad episode must not stop the show
                    why = f"cannot render its show notes: {e}"
        entry = {"manifest": listed.manifest.to_json(), "notes": [listed.notes_body, listed.notes_text]} if listed else None
        fresh[slug] = key + [entry, why]
        if why:
            index.skipped.append((path, why))
        elif listed and not out.episode(slug).file(listed.manifest.audio.file).is_file():
            index.skipped.append((path, f"audio file missing: {listed.manifest.audio.file}"))
        elif listed:
            index.episodes.append(listed)
    if fresh != cache:
        try:
            atomic_write_text(out.manifest_index, json.dumps({"format": stamp, "episodes": fresh}, ensure_ascii=False))
        except OSError:
            pass  # only a cache
    index.episodes.sort(key=lambda e: (e.manifest.published, e.manifest.number or 0, e.manifest.slug), reverse=True)
    index.skipped.sort()
    return index
