"""`studio publish --to DIR`: copy the output dir to a publish target, changed files only.

Every changed file is first copied into a staging dir inside the target; only
when all copies succeeded are they moved into place: media first, then pages
and side files, feed.xml last. So a reader never sees a feed that points at a
missing file; if a move fails, the files already replaced are put back, so a
failed publish leaves the previous state in place. Files
of deleted episodes are pruned only after the new feed is in place; the state
file (hashes of what was published) is written last.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from studio.errors import StudioError
from studio.fsutil import TMP_PREFIX, atomic_write_text, locked, sha256_file

STATE = ".studio-publish.json"
HASH_CACHE = ".studio-hashes.json"
STAGING = ".studio-publish-staging"
FEED = "feed.xml"
MEDIA = {".mp3", ".m4a", ".ogg", ".opus", ".wav", ".jpg", ".jpeg", ".png", ".webp", ".gif"}


class PublishError(StudioError):
    """The publish target could not be brought up to date."""


@dataclass
class PublishResult:
    copied: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


def phase(rel: str) -> int:
    """Publish order: media, episode files, top-level pages, the feed."""
    if rel == FEED:
        return 3
    if Path(rel).suffix.lower() in MEDIA:
        return 0
    return 1 if "/" in rel else 2


def source_files(out: Path) -> list[str]:
    """Files to publish, relative POSIX paths; dotfiles (lock, caches) and temp files stay behind."""
    found = []
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith((".", TMP_PREFIX)):
                found.append((Path(dirpath) / name).relative_to(out).as_posix())
    return sorted(found)


def source_hashes(out: Path, files: list[str]) -> dict[str, str]:
    """sha256 of each file, reusing a cache keyed by size and mtime so big MP3s are hashed once."""
    cache_path = out / HASH_CACHE
    try:
        cache = json.loads(cache_path.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    hashes, fresh = {}, {}
    for rel in files:
        st = (out / rel).stat()
        key = [st.st_size, st.st_mtime_ns]
        hit = cache.get(rel)
        digest = hit[2] if isinstance(hit, list) and hit[:2] == key else sha256_file(out / rel)
        hashes[rel] = digest
        fresh[rel] = key + [digest]
    if fresh != cache:
        atomic_write_text(cache_path, json.dumps(fresh))
    return hashes


def load_state(target: Path) -> dict[str, str]:
    try:
        files = json.loads((target / STATE).read_text("utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return files if isinstance(files, dict) else {}


def _up_to_date(target: Path, rel: str, digest: str, state: dict[str, str], size: int) -> bool:
    try:
        return state.get(rel) == digest and (target / rel).stat().st_size == size
    except OSError:
        return False


def require_built(out: Path) -> None:
    if not any(Path(out).glob("episodes/*/manifest.json")) or not (Path(out) / FEED).is_file():
        raise PublishError("nothing to publish: no built episodes and feed.xml here (run `studio build` first)", out)


def publish(out: Path, target: Path, dry_run: bool = False) -> PublishResult:
    out, target = Path(out).resolve(), Path(target).resolve()
    require_built(out)
    if target == out or out in target.parents:
        raise PublishError("the publish target must be outside the output dir", target)
    target.mkdir(parents=True, exist_ok=True)
    with locked(out), locked(target, ".studio-publish.lock"):
        files = source_files(out)
        hashes = source_hashes(out, files)
        state = load_state(target)
        result = PublishResult()
        changed = []
        for rel in files:
            if _up_to_date(target, rel, hashes[rel], state, (out / rel).stat().st_size):
                result.unchanged += 1
            else:
                changed.append(rel)
        changed.sort(key=lambda rel: (phase(rel), rel))
        gone = sorted(set(state) - set(files))
        if dry_run:
            result.copied, result.removed = changed, gone
            return result
        staging = target / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _stage(out, staging, changed)
            _commit(staging, target, changed)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.copied = changed
        result.removed = _prune(target, gone)
        published = {rel: hashes[rel] for rel in files}
        atomic_write_text(target / STATE, json.dumps({"files": published}, indent=0, sort_keys=True))
    return result


def _stage(out: Path, staging: Path, changed: list[str]) -> None:
    for rel in changed:
        dest = staging / rel
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(out / rel, dest)
            with open(dest, "rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            raise PublishError(f"copying {rel} failed ({e.strerror or e}); nothing was changed", staging.parent) from None


def _commit(staging: Path, target: Path, changed: list[str]) -> None:
    """Move staged files into place (media, pages, feed.xml last); on failure put every replaced file back."""
    backup = staging / ".replaced"
    done: list[tuple[str, bool]] = []  # (rel, had an old version)
    try:
        for rel in changed:
            dest = target / rel
            try:
                if dest.is_dir():
                    raise IsADirectoryError(21, "a directory is in the way")
                dest.parent.mkdir(parents=True, exist_ok=True)
                had_old = dest.exists()
                if had_old:
                    (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(dest, backup / rel)
                done.append((rel, had_old))
                os.replace(staging / rel, dest)
            except OSError as e:
                raise PublishError(
                    f"replacing {rel} failed ({e.strerror or e}); feed.xml was not updated and "
                    "the files already replaced were put back", target,
                ) from None
    except PublishError:
        _roll_back(target, backup, done)
        raise


def _roll_back(target: Path, backup: Path, done: list[tuple[str, bool]]) -> None:
    for rel, had_old in reversed(done):
        with contextlib.suppress(OSError):
            if had_old:
                os.replace(backup / rel, target / rel)
            else:
                (target / rel).unlink(missing_ok=True)


def _prune(target: Path, gone: list[str]) -> list[str]:
    removed = []
    for rel in gone:
        path = target / rel
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(rel)
        for parent in path.parents:
            if parent == target or not parent.is_relative_to(target):
                break
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
    return removed
