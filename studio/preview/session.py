"""`studio serve --watch` as a library call: a preview build folder, its server and its watcher."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from studio.core.config import Show, load_show
from studio.core.errors import StudioError
from studio.core.progress import Reporter, shown_path
from studio.ingest.scripts import episode_scripts
from studio.loop.batch import OncePerRun, build_one
from studio.preview.emailpage import draft_view
from studio.preview.live import PREFIX, live_server
from studio.preview.seed import seed_preview
from studio.preview.state import LiveState
from studio.preview.watch import Watcher

PREVIEW_DIR = ".studio-preview"  # watch builds go here, so the offline voice never lands in output_dir
WATCH_ENGINE = "espeak"


@dataclass
class WatchSession:
    out: Path
    engine: str
    server: object  # the HTTP server (serve_forever, server_close, server_address)
    watcher: Watcher
    seeded: list[str]  # slugs whose last build was copied in from output_dir (the first session of a show)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def builds_url(self) -> str:
        return self.url.rstrip("/") + PREFIX

    def serve_forever(self) -> None:
        """Watch and rebuild in a thread while serving, until interrupted."""
        self.watcher.begin()
        thread = threading.Thread(target=self.watcher.run, name="studio-watch", daemon=True)
        thread.start()
        try:
            self.server.serve_forever()
        finally:
            self.watcher.stop.set()
            self.server.server_close()


def watch_session(show: Show, bind: str, port: int, out_dir: Path | None, engine: str | None, quiet: bool,
                  log: Callable[[str], None]) -> WatchSession:
    """Every script built into .studio-preview/ (or `out_dir`) and rebuilt when its inputs change."""
    out = (out_dir or show.root / PREVIEW_DIR).resolve()
    out.mkdir(parents=True, exist_ok=True)
    seeded = seed_preview(show, out, episode_scripts(show), log)  # served at once, rebuilt in the background
    engine = engine or WATCH_ENGINE
    state = LiveState()
    state.public_urls = [show.site_url, show.media_url]  # the watcher keeps them current as show.toml changes
    try:
        server = live_server(out, bind, port, state, quiet=quiet)
    except OSError as e:
        raise StudioError(f"cannot listen on {bind}:{port}: {e.strerror or e}") from None

    reporter = OncePerRun(Reporter(quiet=True))  # warnings only, an engine `auto` skipped named once

    def build(current_show: Show, script: Path) -> dict:
        o = build_one(script, current_show, out_dir=out, engine=engine, reporter=reporter)
        data = o.to_json(shown_path(script))
        return {k: data.get(k) for k in ("status", "error", "episode", "synthesized", "cached", "seconds")} | {
            "slug": data.get("episode"), "line": o.line(shown_path(script))}

    watcher = Watcher(show.file, load_show, build, state, log=log, shown=shown_path, draft=draft_view, out=out)
    return WatchSession(out, engine, server, watcher, seeded)
