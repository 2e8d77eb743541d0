"""`studio serve --watch`: serve a preview build, rebuild on save, reload the open pages."""

from __future__ import annotations

import threading
from pathlib import Path

import click

PREVIEW_DIR = ".studio-preview"  # watch builds go here, so the offline voice never lands in output_dir
WATCH_ENGINE = "espeak"


def serve_watch(show_file: str | None, bind: str, port: int, out_dir: Path | None, engine: str | None,
                quiet: bool) -> None:
    from studio.cli import load_show_for
    from studio.core.config import load_show
    from studio.core.errors import StudioError
    from studio.loop.batch import build_one
    from studio.cli.loop import _shown
    from studio.preview.emailpage import draft_view
    from studio.preview.live import PREFIX, live_server
    from studio.preview.state import LiveState
    from studio.preview.watch import Watcher

    show = load_show_for(show_file)
    out = (out_dir or show.root / PREVIEW_DIR).resolve()
    out.mkdir(parents=True, exist_ok=True)
    engine = engine or WATCH_ENGINE
    state = LiveState()
    try:
        server = live_server(out, bind, port, state, quiet=quiet)
    except OSError as e:
        raise StudioError(f"cannot listen on {bind}:{port}: {e.strerror or e}") from None

    def build(current_show, script: Path) -> dict:
        o = build_one(script, current_show, out_dir=out, engine=engine)
        data = o.to_json(_shown(script))
        return {k: data.get(k) for k in ("status", "error", "episode", "synthesized", "cached", "seconds")} | {
            "slug": data.get("episode"), "line": o.line(_shown(script))}

    host, real_port = server.server_address[:2]
    click.echo(f"Serving {out} at http://{host}:{real_port}/ (watching {show.root}, voice engine {engine}; "
               f"builds at http://{host}:{real_port}{PREFIX}; Ctrl-C to stop)")
    watcher = Watcher(show.file, load_show, build, state, log=click.echo, shown=_shown, draft=draft_view)
    thread = threading.Thread(target=watcher.run, name="studio-watch", daemon=True)
    thread.start()
    try:
        server.serve_forever()
    finally:
        watcher.stop.set()
        server.server_close()
