"""The `studio` command group, and what every command shares: finding the show, one-line errors."""

from __future__ import annotations

import functools
import importlib
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


# Each command's module, imported when the command runs (or help lists them): `studio build` loads no
# sending, subscribers or publishing code, so a no-op rebuild starts fast.
COMMAND_MODULES = {
    "build": "build", "items": "build", "check": "build",
    "send": "mail",
    "publish": "publish", "serve": "publish",
    "init": "show", "template": "show", "new": "show", "ship": "show", "doctor": "show",
    "voices": "speech", "cache": "speech",
    "subscribers": "subscribers", "listen": "subscribers",
}


class CommandsOnDemand(click.Group):
    """A group whose commands join it when their module is imported, on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMAND_MODULES:
            importlib.import_module(f"studio.cli.{COMMAND_MODULES[name]}")  # its decorators add the command
        return self.commands.get(name)


@click.group(cls=CommandsOnDemand, context_settings={"help_option_names": ["-h", "--help"]})
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
