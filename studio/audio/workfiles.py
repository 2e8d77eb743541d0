"""The audio stage's working copies under the clip cache: decoded PCM and encoded pieces per episode.

`<cache_dir>/decoded/<slug>/` (*.pcm, *.json) and `<cache_dir>/encoded/<slug>/` (*.mp3, *.json,
state.json) make a rebuild after an edit fast; each build keeps only its own episode's. These
helpers let `studio cache info` show them and `studio cache prune` drop an episode's when no
build has touched them for a while. Only files of those kinds are ever removed.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from studio.core.lazy import lazy_pattern

KINDS = ("decoded", "encoded")
OURS = lazy_pattern(r"[0-9a-f]{40}\.(pcm|json|mp3)|state\.json")  # what the audio stage writes there


@dataclass
class WorkInfo:
    episodes: int = 0  # slugs with working copies
    bytes: int = 0


def _folders(cache_root: Path) -> dict[str, list[Path]]:
    by_slug: dict[str, list[Path]] = {}
    for kind in KINDS:
        base = cache_root / kind
        if base.is_dir():
            for folder in base.iterdir():
                if folder.is_dir() and not folder.is_symlink():
                    by_slug.setdefault(folder.name, []).append(folder)
    return by_slug


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and OURS.fullmatch(p.name)]


def work_info(cache_root: Path) -> WorkInfo:
    info = WorkInfo()
    for folders in _folders(cache_root).values():
        files = [p for f in folders for p in _files(f)]
        info.episodes += bool(files)
        info.bytes += sum(p.stat().st_size for p in files)
    return info


def prune_work(cache_root: Path, older_than_days: float, everything: bool = False) -> tuple[int, int]:
    """Remove the working copies of episodes no build touched for `older_than_days` (or all);
    returns (episodes, bytes) removed."""
    cutoff = time.time() - older_than_days * 86400
    removed = freed = 0
    for folders in _folders(cache_root).values():
        files = [p for f in folders for p in _files(f)]
        newest = max((p.stat().st_mtime for p in files), default=0.0)
        if not files or (not everything and newest >= cutoff):
            continue
        for path in files:
            freed += path.stat().st_size
            path.unlink(missing_ok=True)
        for folder in folders:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: nothing else in it is ours to remove
        removed += 1
    return removed, freed
