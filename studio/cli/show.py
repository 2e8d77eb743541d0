"""`studio init`, `studio template`, `studio new`, `studio ship`: a show, its templates, the weekly loop."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.progress import shown_path
from studio.core.resources import builtin_template_names
from studio.loop.newscript import SUFFIX, new_script
from studio.loop.scaffold import copy_template, init_show
from studio.loop.ship import ShipOptions
from studio.loop.ship import ship as run_ship
from studio.speech.engines import ENGINE_CHOICES


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def init(directory: Path) -> None:
    """Scaffold a new show in DIRECTORY (show.toml, an example episode, the
    cover and jingles, a .gitignore) that builds as is. Templates stay built in:
    `studio template copy NAME` copies one into the show to change it."""
    created = init_show(directory)
    click.echo(f"Created a show in {directory} ({len(created)} files). Next: cd {directory} && studio build {created[1].relative_to(directory)}")


@cli.group()
def template() -> None:
    """Studio's built-in templates: list them, or copy one into the show's
    templates/ to change it (the show's copy then wins over the built-in one)."""


@template.command("list")
@click.pass_obj
@handle_errors
def template_list(obj) -> None:
    """The built-in templates; those the show overrides are marked."""
    show = load_show_for(obj["show_file"])
    for name in builtin_template_names():
        mark = "  (overridden in templates/)" if show.path("templates").joinpath(name).is_file() else ""
        click.echo(f"{name}{mark}")


@template.command("copy")
@click.argument("name")
@click.option("--force", is_flag=True, help="Replace the show's own copy.")
@click.pass_obj
@handle_errors
def template_copy(obj, name: str, force: bool) -> None:
    """Copy the built-in template NAME (e.g. email.html.j2) into the show's templates/."""
    show = load_show_for(obj["show_file"])
    click.echo(copy_template(show.root, name, force))


@cli.command()
@click.argument("title")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The episode's date (default: today).")
@click.option("--format", "fmt", type=click.Choice(list(SUFFIX)), default="markdown", show_default=True,
              help="markdown: one ## heading per item; transcript: spoken prose, one paragraph per story.")
@click.option("--recording", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Your own reading of the episode (WAV, FLAC, MP3, M4A, OGG): the front matter names it and "
                   "`studio build` uses it instead of a synthetic voice.")
@click.pass_obj
@handle_errors
def new(obj, title: str, date: dt.datetime | None, fmt: str, recording: Path | None) -> None:
    """Start the next episode script in episodes/: front matter filled in
    (title, date, the next episode number, a slug from the date and title) from
    templates/new-episode.markdown.j2 (or .transcript.j2), which a show can
    override in its own templates/. Prints the new file's path."""
    show = load_show_for(obj["show_file"])
    path = new_script(show, title, date.date() if date else None, fmt, recording)
    click.echo(shown_path(path))


@cli.command()
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", metavar="TARGET", help="Where to publish (as `studio publish --to`).")
@click.option("--list", "list_path", metavar="SUBSCRIBERS", help="Who gets the email (as `studio send --list`).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: output_dir from show.toml).")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=None,
              help="Voice engine for the build (default from show.toml).")
@click.option("--rate", metavar="N/s", help="Sending rate (as `studio send --rate`).")
@click.option("--dry-run", is_flag=True, help="Say what each step would do; build, publish and send nothing.")
@click.pass_obj
@handle_errors
def ship(obj, episode: Path, target: str | None, list_path: str | None, out_dir: Path | None,
         engine: str | None, rate: str | None, dry_run: bool) -> None:
    """Release EPISODE (a script) in one go: `studio check`, `studio build`,
    `studio publish --to TARGET`, `studio send --list SUBSCRIBERS`, in that
    order, stopping at the first step that fails (its exit status is ship's).

    \b
    studio ship episodes/2026-03-02-x.md --to /srv/www/pod --list subscribers.csv --dry-run
    """
    show = load_show_for(obj["show_file"], episode)
    options = ShipOptions(episode, target, list_path, out_dir, engine, rate)
    status = run_ship(show, options, dry_run=dry_run, say=click.echo, warn=lambda m: click.echo(m, err=True))
    sys.exit(status)
