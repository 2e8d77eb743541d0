"""The `studio` command group, and what every command shares: finding the show, one-line errors."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from studio import __version__
from studio.core.config import Show, find_show_file, load_show
from studio.core.errors import StudioError


def handle_errors(fn):
    """One line on stderr and exit 1 for user errors; never a traceback for them."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StudioError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as e:
            if os.environ.get("STUDIO_DEBUG"):
                raise
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            click.echo(f"error: {where}{e.strerror or e}", err=True)
            sys.exit(1)

    return wrapper


def load_show_for(show_file: str | None, near: Path | None = None) -> Show:
    """The show: --show FILE when given, else show.toml next to `near` (a script), else here or in a parent.
    A setting read under its new name (a renamed key) is said once, on stderr."""
    show = _find_show(show_file, near)
    for note in show.notes:
        click.echo(f"warning: {note}", err=True)
    return show


def _find_show(show_file: str | None, near: Path | None) -> Show:
    if show_file:
        return load_show(Path(show_file))
    if near is not None:
        try:
            return load_show(find_show_file(near.resolve().parent))
        except StudioError:
            pass
    return load_show(find_show_file(Path.cwd()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="studio")
@click.option("--show", "show_file", metavar="SHOW.TOML", envvar="STUDIO_SHOW",
              help="The show's settings (default: show.toml next to the episode or in the current directory or a parent).")
@click.pass_context
def cli(ctx: click.Context, show_file: str | None) -> None:
    """Studio turns a weekly episode script into an HTML email, a podcast
    episode (one synthesized clip per item, stitched and tagged) and an RSS feed.

    \b
    Quick start:
      studio init myshow          scaffold a new show
      studio new "TITLE"          start the next episode script
      studio serve --watch        preview, rebuilt and reloaded on every save
      studio build [EPISODE...]   build one, several or every changed episode
      studio ship EPISODE --to DIR --list SUBSCRIBERS.CSV   check, build, publish, send
    """
    ctx.obj = {"show_file": show_file}
