"""`studio publish --to DIR`: a folder target (a mounted web root).

Every changed file is first copied into a staging dir inside the target; only
when all copies succeeded are they moved into place, in publish order (media,
episode files, pages, feed.xml last). If a move fails, the files already
replaced are put back, so a failed publish leaves the previous state. Nothing
is created, replaced or deleted outside the target, even through a symlinked
folder inside it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from studio.core.fsutil import atomic_write_text, locked
from studio.publish.target import STATE, PublishError, parse_state

STAGING = ".studio-publish-staging"


class FolderTarget:
    @classmethod
    def open(cls, path: str, jobs: int = 1, settings=None) -> "FolderTarget":
        return cls(Path(path))

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.name = str(self.root)

    def check_source(self, out: Path) -> None:
        if self.root == out or out in self.root.parents:
            raise PublishError("the publish target must be outside the output dir", self.root)

    def locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        return locked(self.root, ".studio-publish.lock")

    def load_state(self) -> object:
        try:
            data = (self.root / STATE).read_bytes()
        except OSError:
            return {}
        return parse_state(data)

    def _inside(self, rel: str) -> Path:
        """root/rel, after checking that its folder really is inside the target (no symlinked way out;
        folders that do not exist yet resolve as written)."""
        path = self.root / rel
        if not Path(os.path.realpath(path.parent)).is_relative_to(self.root):
            raise PublishError(f"{rel}: its folder leads outside the target (a symlink?); not touched", self.root)
        return path

    def sizes(self, rels: list[str]) -> dict[str, int]:
        found = {}
        for rel in rels:
            with contextlib.suppress(OSError):
                path = self.root / rel
                if not path.is_symlink():
                    found[rel] = path.stat().st_size
        return found

    def write(self, out: Path, changed: list[str], hashes: dict[str, str], sent=lambda: None) -> None:
        staging = self.root / STAGING
        if staging.is_symlink():
            staging.unlink()  # never stage through a link out of the target
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _stage(out, staging, changed, sent)
            self._commit(staging, changed)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, staging: Path, changed: list[str]) -> None:
        """Move staged files into place; on failure put every replaced file back."""
        backup = staging / ".replaced"
        done: list[tuple[str, bool]] = []  # (rel, had an old version)
        try:
            for rel in changed:
                try:
                    dest = self._inside(rel)
                    if dest.is_dir() and not dest.is_symlink():
                        raise IsADirectoryError(21, "a directory is in the way")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    had_old = os.path.lexists(dest)
                    if had_old:
                        (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                        os.replace(dest, backup / rel)
                    done.append((rel, had_old))
                    os.replace(staging / rel, dest)
                except OSError as e:
                    raise PublishError(f"replacing {rel} failed ({e.strerror or e})", self.root) from None
        except PublishError as e:
            _roll_back(self.root, backup, done)
            raise PublishError(f"{e.message}; feed.xml was not updated and the files already replaced were put back",
                               self.root) from None

    def remove(self, rels: list[str]) -> list[str]:
        removed = []
        for rel in rels:
            try:
                path = self._inside(rel)
            except PublishError:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(rel)
            for parent in path.parents:
                if parent == self.root or not parent.is_relative_to(self.root):
                    break
                try:
                    parent.rmdir()  # only when empty
                except OSError:
                    break
        return removed

    def save_state(self, files: dict[str, str]) -> None:
        atomic_write_text(self.root / STATE, json.dumps({"files": files}, indent=0, sort_keys=True))


def _stage(out: Path, staging: Path, changed: list[str], sent) -> None:
    for rel in changed:
        dest = staging / rel
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / rel, dest)
            shutil.copystat(out / rel, dest)
            with open(dest, "rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            raise PublishError(f"copying {rel} failed ({e.strerror or e}); nothing was changed", staging.parent) from None
        sent()


def _roll_back(root: Path, backup: Path, done: list[tuple[str, bool]]) -> None:
    for rel, had_old in reversed(done):
        with contextlib.suppress(OSError):
            if had_old:
                os.replace(backup / rel, root / rel)
            else:
                (root / rel).unlink(missing_ok=True)
