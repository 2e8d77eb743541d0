"""What the watcher knows, shared with the HTTP threads: the build generation, results and errors."""

from __future__ import annotations

import threading
import time
from typing import Any

MAX_STREAMS = 64  # open pages listening for reloads at once (each holds a thread)


class LiveState:
    """Every finished build (ok or failed) bumps `generation`; open pages reload when it moves."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = 0
        self.building: str | None = None
        self.show_error: str | None = None
        self.episodes: dict[str, dict[str, Any]] = {}  # script (as shown) -> last outcome
        self.streams = 0
        self.drafts: dict[str, Any] = {}  # slug -> email rendered from the script while its audio builds
        self.public_urls: list[str] = []  # the show's base_url and media URL: served from the preview instead

    def errors(self) -> list[str]:
        with self._cond:
            found = [f"{script}: {e['error']}" for script, e in sorted(self.episodes.items()) if e.get("error")]
            return ([self.show_error] if self.show_error else []) + found

    def record(self, script: str, outcome: dict[str, Any]) -> None:
        with self._cond:
            self.episodes[script] = dict(outcome, at=time.time())

    def forget(self, script: str) -> None:
        with self._cond:
            self.episodes.pop(script, None)

    def set_draft(self, slug: str, view: Any | None) -> None:
        with self._cond:
            if view is None:
                self.drafts.pop(slug, None)
            else:
                self.drafts[slug] = view

    def draft(self, slug: str) -> Any | None:
        with self._cond:
            return self.drafts.get(slug)

    def set_show_error(self, message: str | None) -> None:
        with self._cond:
            self.show_error = message

    def set_building(self, script: str | None) -> None:
        with self._cond:
            self.building = script

    def open_stream(self) -> bool:
        with self._cond:
            if self.streams >= MAX_STREAMS:
                return False
            self.streams += 1
            return True

    def close_stream(self) -> None:
        with self._cond:
            self.streams -= 1

    def bump(self) -> int:
        with self._cond:
            self.generation += 1
            self._cond.notify_all()
            return self.generation

    def wait_newer(self, since: int, timeout: float) -> int:
        """The generation once it is past `since`, or the current one after `timeout` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: self.generation > since, timeout)
            return self.generation

    def to_json(self) -> dict[str, Any]:
        with self._cond:
            return {"generation": self.generation, "building": self.building, "show_error": self.show_error,
                    "episodes": {k: dict(v) for k, v in self.episodes.items()}}
