"""What a publish sends: the output dir's files (no dot-files, no links out), their hashes, their order."""

from __future__ import annotations

import json
import os
from pathlib import Path

from studio.core.fsutil import TMP_PREFIX, atomic_write_text, sha256_file
from studio.core.media_types import FEED, MEDIA

HASH_CACHE = ".studio-hashes.json"


def phase(rel: str) -> int:
    """Publish order: media, episode files, top-level pages, the feed."""
    if rel == FEED:
        return 3
    if Path(rel).suffix.lower() in MEDIA:
        return 0
    return 1 if "/" in rel else 2


def in_order(rels) -> list[str]:
    return sorted(rels, key=lambda rel: (phase(rel), rel))


def safe_rel(rel: object) -> bool:
    """A relative POSIX path that stays inside its root: no '..', '.', empty or dot-named parts, not absolute."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel or "\x00" in rel:
        return False
    return all(part and not part.startswith(".") for part in rel.split("/"))


def source_files(out: Path) -> tuple[list[str], list[str]]:
    """(files to publish, links skipped): relative POSIX paths. Dot-files (Studio's state, locks,
    caches), temp files and anything that is not a regular file inside `out` stay behind."""
    out = Path(out).resolve()
    found, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", TMP_PREFIX)):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(out).as_posix()
            real = Path(os.path.realpath(path))
            if not real.is_relative_to(out) or not real.is_file():
                skipped.append(rel)
            else:
                found.append(rel)
    return sorted(found), sorted(skipped)


def source_hashes(out: Path, files: list[str], warnings: list[str] | None = None) -> dict[str, str]:
    """sha256 of each file, reusing a cache keyed by size and mtime so big MP3s are hashed once.
    A cache that cannot be read is treated as absent (a warning says so when it was there)."""
    cache_path = out / HASH_CACHE
    cache, problem = {}, None
    try:
        cache = json.loads(cache_path.read_bytes())
    except OSError:
        pass
    except RecursionError:
        problem = "JSON nested too deeply"
    except ValueError:
        problem = "not valid JSON"
    if not isinstance(cache, dict):
        cache, problem = {}, "not a hash cache"
    if problem and warnings is not None:
        warnings.append(f"{cache_path}: {problem}; treated as absent (every file is hashed again)")
    hashes, fresh = {}, {}
    for rel in files:
        st = (out / rel).stat()
        key = [st.st_size, st.st_mtime_ns]
        hit = cache.get(rel)
        digest = hit[2] if isinstance(hit, list) and len(hit) == 3 and hit[:2] == key else sha256_file(out / rel)
        hashes[rel] = digest
        fresh[rel] = key + [digest]
    if fresh != cache:
        atomic_write_text(cache_path, json.dumps(fresh))
    return hashes


def clean_state(files: object) -> tuple[dict[str, str], list[str]]:
    """A target's recorded {path: sha256}, split into safe entries and ignored ones (../x, /abs, dot-files)."""
    if not isinstance(files, dict):
        return {}, []
    good = {k: v for k, v in files.items() if safe_rel(k) and isinstance(v, str)}
    return good, sorted(str(k) for k in files if k not in good)
