"""Poll the show's inputs and rebuild what changed.

Polling (stat every file a build reads, a few times a second) sees editors'
atomic saves, files that come and go and network drives alike, and a show is a
few hundred files at most, so it costs next to nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from studio.core.config import Show
from studio.ingest.scripts import episode_scripts, in_date_order, outside_warning
from studio.loop.batch import error_text
from studio.preview.seed import last_build
from studio.preview.state import LiveState

POLL_SECONDS = 0.3
SETTLE_SECONDS = 0.15  # an editor's save is often several writes: wait until the files stop changing
MAX_WATCHED = 20_000  # files per scan; past that the rest is not watched (the log says so once)

Stamp = tuple[int, int]


def show_inputs(show: Show) -> list[Path]:
    """Everything but the scripts that a build reads: show.toml, lexicon, templates, assets, named files."""
    files = [show.file, show.path(show.speech.lexicon or "lexicon.toml")]
    for folder in (show.path("templates"), show.path("assets")):
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.is_file())
    named = [show.cover] + [getattr(show.audio, k, "") for k in ("intro", "outro", "stinger")]
    return files + [show.path(n) for n in named if n]


def stamps(paths: list[Path], warn: Callable[[str], None] | None = None) -> dict[Path, Stamp]:
    if len(paths) > MAX_WATCHED and warn:
        warn(f"warning: {len(paths)} files to watch; only the first {MAX_WATCHED} are")
    found = {}
    for p in paths[:MAX_WATCHED]:
        try:
            st = p.stat()
        except OSError:
            continue  # not there (yet): its appearing is a change
        found[p] = (st.st_mtime_ns, st.st_size)
    return found


class Watcher:
    """Rebuilds in its own thread; `build(script)` returns an outcome dict with 'status' and maybe 'error'."""

    def __init__(self, show_file: Path, load_show: Callable[[Path], Show], build: Callable[[Show, Path], dict],
                 state: LiveState, log: Callable[[str], None], shown: Callable[[Path], str],
                 draft: Callable[[Show, Path], tuple[str, object]] | None = None, out: Path | None = None):
        self.show_file, self.load_show, self.build, self.draft = show_file, load_show, build, draft
        self.state, self.log, self.shown, self.out = state, log, shown, out
        self.stop = threading.Event()
        self.show: Show | None = None
        self.pending: list[tuple[Path, bool]] = []  # (script, render its draft first), next first
        self.begun: tuple | None = None  # the first scan, made by begin()
        self._warned = False
        self._skipped: set[Path] = set()  # scripts leading outside the show, already named in the log

    # -- scanning --------------------------------------------------------------------------------

    def _scan(self) -> tuple[dict[Path, Stamp], dict[Path, Stamp]]:
        """(scripts, other inputs) with their stamps."""
        show, warn = self.show, self._warn_once
        skipped: list[Path] = []
        scripts = stamps(episode_scripts(show, skipped), warn) if show else {}
        for path in set(skipped) - self._skipped:
            self.log(f"warning: {outside_warning(show, path)}")
        self._skipped = set(skipped)
        inputs = stamps(show_inputs(show), warn) if show else stamps([self.show_file])
        return scripts, inputs

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self.log(message)

    def _settled_scan(self) -> tuple[dict[Path, Stamp], dict[Path, Stamp]]:
        current = self._scan()
        while not self.stop.wait(SETTLE_SECONDS):
            again = self._scan()
            if again == current:
                break
            current = again
        return current

    # -- building --------------------------------------------------------------------------------

    def _reload_show(self) -> bool:
        try:
            self.show = self.load_show(self.show_file)
        except Exception as e:  # a broken show.toml is shown on the pages, the server goes on
            self.show = None  # only show.toml is watched until it loads again
            self.state.set_show_error(error_text(e))
            self.log(f"✗ {error_text(e)}")
            self.state.bump()
            return False
        self.state.set_show_error(None)
        self.state.public_urls = [self.show.site_url, self.show.media_url]
        return True

    def _enqueue(self, scripts: list[Path], drafts: bool = False, front: bool = False) -> None:
        """Queue `scripts` newest first (the one being written, most likely); at the front: before the rest."""
        if self.show is None:
            return
        todo = [(p, drafts) for p in reversed(in_date_order(scripts))]
        again = {p for p, _ in todo}
        rest = [(p, d) for p, d in self.pending if p not in again]
        self.pending = todo + rest if front else rest + todo

    def begin(self) -> None:
        """Before the first request: the show read and each script with a last build marked queued, so the
        status and the builds page never show an empty show while the watcher starts."""
        self._reload_show()
        self.begun = self._scan()
        if self.show is None or self.out is None:
            return
        for script in self.begun[0]:
            if slug := last_build(self.out, script):
                self.state.record(self.shown(script), {"status": "queued", "slug": slug})
        self.state.bump()

    def _start(self, scripts: list[Path]) -> None:
        """Before any build: the last builds are what is served (studio.preview.seed), each marked queued;
        a script never built gets its email draft at once. Then every script is queued, newest first."""
        if self.show is None or self.out is None:
            return self._enqueue(scripts)
        never = []
        for script in scripts:
            slug = last_build(self.out, script)
            if slug:
                self.state.record(self.shown(script), {"status": "queued", "slug": slug})
            else:
                never.append(script)
        self.state.bump()
        for script in reversed(in_date_order(never)) if self.draft else []:
            if slug := self._draft(script):
                self.state.record(self.shown(script), {"status": "queued", "slug": slug, "draft": True})
        self._enqueue(scripts)

    def _draft(self, script: Path) -> str | None:
        """Render the script's email at once (no audio) for the preview; its slug, or None if it does not read."""
        try:
            slug, view = self.draft(self.show, script)
        except Exception:  # the build that follows reports it
            return None
        self.state.set_draft(slug, view)
        self.state.bump()
        return slug

    def _build(self, script: Path, draft: bool = False) -> None:
        shown = self.shown(script)
        slug = self._draft(script) if draft and self.draft else None
        self.state.set_building(shown)
        try:
            outcome = self.build(self.show, script)
        finally:
            self.state.set_building(None)
        self.state.record(shown, outcome)
        if outcome.get("status") != "failed":
            for built in {slug, outcome.get("slug")} - {None}:
                self.state.set_draft(built, None)  # the built email replaces the draft
        self.log(outcome.get("line") or f"{shown}: {outcome.get('status')}")
        self.state.bump()

    def run(self) -> None:
        """Serve the last builds at once and rebuild what is not current in the background, newest first
        (unchanged scripts in no time); then rebuild on every change until stopped. A script saved
        meanwhile is built before the rest."""
        if self.begun is None:
            self.begin()
        scripts, inputs = self.begun
        self._start(list(scripts))
        while not self.stop.is_set():
            if self._scan() != (scripts, inputs):
                new_scripts, new_inputs = self._settled_scan()
                changed = [p for p, s in new_scripts.items() if scripts.get(p) != s]
                for gone in set(scripts) - set(new_scripts):
                    self.state.forget(self.shown(gone))
                    self.log(f"· {self.shown(gone)}: removed")
                    self.state.bump()
                if new_inputs != inputs:  # show.toml, a template, the lexicon or an asset: every episode
                    self._reload_show()
                    scripts, inputs = self._scan()  # the show may name other files now
                    self._enqueue(list(scripts), front=True)
                else:
                    scripts, inputs = new_scripts, new_inputs
                    self._enqueue(changed, drafts=True, front=True)
            if self.pending and self.show is not None:
                script, draft = self.pending.pop(0)
                if script in scripts:
                    self._build(script, draft)
                continue
            self.stop.wait(POLL_SECONDS)
