"""The small interface every publish target implements (a folder, an S3 bucket)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Protocol

from studio.core.errors import StudioError

STATE = ".studio-publish.json"  # {"files": {path: sha256}} of what is published, written last


class PublishError(StudioError):
    """The publish target could not be brought up to date."""


@dataclass
class UnreadableState:
    """What `load_state` returns for a state file that is there but cannot be used: publishing goes on as if
    there were none (every file is sent again), with one warning saying why."""

    problem: str


def parse_state(data: bytes | str) -> object:
    """The recorded {"path": sha256} of a state file's text, or UnreadableState."""
    try:
        state = json.loads(data)
    except RecursionError:
        return UnreadableState("JSON nested too deeply")
    except ValueError:
        return UnreadableState("not valid JSON")
    if not isinstance(state, dict) or not isinstance(state.get("files", {}), dict):
        return UnreadableState('not a publish state ({"files": {...}})')
    return state.get("files", {})


@dataclass
class PublishResult:
    target: str = ""
    copied: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # state entries naming paths outside the target
    skipped: list[str] = field(default_factory=list)  # links in the output dir pointing outside it
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("target", "copied", "unchanged", "removed", "ignored", "skipped",
                                             "warnings")}


class Target(Protocol):
    """Paths are relative POSIX paths already checked by files.safe_rel; nothing outside the target is touched."""

    name: str  # for messages: the directory or s3:// URL

    def locked(self) -> ContextManager[None]: ...
    def load_state(self) -> object: ...  # the recorded {"path": sha256}, unchecked
    def sizes(self, rels: list[str]) -> dict[str, int]: ...  # size of each of `rels` present at the target
    def write(self, out: Path, changed: list[str], hashes: dict[str, str], sent: Callable[[], None]) -> None: ...
    # ^ in publish order, feed.xml last; sent() after each file
    def remove(self, rels: list[str]) -> list[str]: ...
    def save_state(self, files: dict[str, str]) -> None: ...


def no_lock() -> ContextManager[None]:
    return contextlib.nullcontext()
