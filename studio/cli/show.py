"""`studio init`, `studio template`, `studio new`, `studio ship`: a show, its templates, the weekly loop."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.config import find_show_file, load_show
from studio.core.errors import ConfigError
from studio.core.progress import shown_path
from studio.core.resources import builtin_template_names
from studio.loop.doctor import PROBLEM, Check, diagnose
from studio.loop.newscript import SUFFIX, new_script
from studio.loop.scaffold import copy_template, init_show
from studio.loop.ship import ShipOptions, ship
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


@cli.command("ship")
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", metavar="TARGET", help="Where to publish (as `studio publish --to`).")
@click.option("--list", "list_path", metavar="SUBSCRIBERS", help="Who gets the email (as `studio send --list`).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: output_dir from show.toml).")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=None,
              help="Voice engine for the build (default from show.toml).")
@click.option("--rate", metavar="N/s", help="Sending rate (as `studio send --rate`).")
@click.option("--test-to", metavar="ADDRESS",
              help="Send a test copy of the new build here before publishing; stop if it does not go "
                   "(default: [email] test_to; none: no test send).")
@click.option("--dry-run", is_flag=True, help="Say what each step would do; build, publish and send nothing.")
@click.pass_obj
@handle_errors
def ship_command(obj, episode: Path, target: str | None, list_path: str | None, out_dir: Path | None,
         engine: str | None, rate: str | None, test_to: str | None, dry_run: bool) -> None:
    """Release EPISODE (a script) in one go: `studio check`, `studio build`,
    a test copy (`studio send --test-to`, when a test address is set),
    `studio publish --to TARGET`, `studio send --list SUBSCRIBERS`, in that
    order, stopping at the first step that fails (its exit status is ship's).
    The build always runs, so what goes out is the script as it is now.

    \b
    studio ship episodes/2026-03-02-x.md --to /srv/www/pod --list subscribers.csv --dry-run
    """
    show = load_show_for(obj["show_file"], episode)
    options = ShipOptions(episode, target, list_path, out_dir, engine, rate, test_to)
    status = ship(show, options, dry_run=dry_run, say=click.echo, warn=lambda m: click.echo(m, err=True))
    sys.exit(status)


@cli.command()
@click.option("--to", "target", metavar="s3://BUCKET/PREFIX", help="Also check that this S3 bucket is reachable.")
@click.option("--json", "as_json", is_flag=True, help='Print {"ok", "show", "checks": [...]} instead.')
@click.pass_obj
@handle_errors
def doctor(obj, target: str | None, as_json: bool) -> None:
    """What Studio found: ffmpeg, espeak-ng, the voice engines the show uses
    (Edge reachable?), and where show.toml sets them up the SMTP login
    (nothing is sent), Amazon SES, S3 credentials and the [assist] LLM; each
    ok or with its fix. Exit status 1 when something the show needs is missing."""
    show, problem = None, None
    try:
        path = Path(obj["show_file"]) if obj["show_file"] else find_show_file(Path.cwd())
    except ConfigError:
        path = None  # not in a show: the tools only
    if path is not None:
        try:
            show = load_show(path)
        except ConfigError as e:
            problem = Check("show.toml", PROBLEM, str(e), "fix that setting; the show's checks ran once it loads")
    result = diagnose(show, target, problem)
    click.echo(json.dumps(result.to_json(), ensure_ascii=False) if as_json else result.render())
    if result.problems:
        sys.exit(1)
