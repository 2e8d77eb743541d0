"""Click commands of the weekly loop: `studio new`, `studio ship`, and `studio build` over many scripts."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from studio.progress import Reporter


class _BarsOnly(Reporter):
    """Progress bars on a terminal, but none of a single build's info lines."""

    def info(self, msg: str) -> None:
        pass


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build_several(show, scripts: list[Path], *, as_json: bool, quiet: bool, **options) -> None:
    """`studio build` with no script (all of episodes/, in date order) or several; exit 1 if any failed."""
    from studio.loop.batch import build_many, scripts_to_build

    todo = scripts_to_build(show, scripts)
    reporter = Reporter(quiet=True) if quiet or as_json else _BarsOnly()

    def done(outcome) -> None:
        if not as_json and not quiet:
            click.echo(outcome.line(_shown(outcome.script)))
        elif not as_json and outcome.status == "failed":
            click.echo(outcome.line(_shown(outcome.script)), err=True)

    outcomes = build_many(todo, show, on_done=done, reporter=reporter, **options)
    failed = [o for o in outcomes if o.status == "failed"]
    if as_json:
        click.echo(json.dumps({"episodes": [o.to_json(_shown(o.script)) for o in outcomes],
                               "failed": [_shown(o.script) for o in failed]}, ensure_ascii=False))
    elif not quiet:
        counts = {s: sum(o.status == s for o in outcomes) for s in ("built", "up to date", "failed")}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if failed:
        click.echo(f"error: {len(failed)} of {len(outcomes)} episodes failed: "
                   + ", ".join(_shown(o.script) for o in failed), err=True)
        sys.exit(1)


@click.command()
@click.argument("title")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The episode's date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "transcript"]), default="markdown", show_default=True,
              help="markdown: one ## heading per item; transcript: spoken prose, one paragraph per story.")
@click.option("--recording", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Your own reading of the episode (WAV, FLAC, MP3, M4A, OGG): the front matter names it and "
                   "`studio build` uses it instead of a synthetic voice.")
@click.pass_obj
def new(obj, title: str, date: dt.datetime | None, fmt: str, recording: Path | None) -> None:
    """Start the next episode script in episodes/: front matter filled in
    (title, date, the next episode number, a slug from the date and title) from
    templates/new-episode.markdown.j2 (or .transcript.j2), which a show can
    override in its own templates/. Prints the new file's path."""
    from studio.cli import handle_errors, load_show_for
    from studio.loop.newscript import new_script

    @handle_errors
    def run() -> None:
        show = load_show_for(obj["show_file"])
        path = new_script(show, title, date.date() if date else None, fmt, recording)
        click.echo(_shown(path))

    run()


@click.command()
@click.argument("episode", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "target", metavar="TARGET", help="Where to publish (as `studio publish --to`).")
@click.option("--list", "list_path", metavar="SUBSCRIBERS", help="Who gets the email (as `studio send --list`).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: output_dir from show.toml).")
@click.option("--engine", type=click.Choice(["auto", "edge", "espeak"]), default=None,
              help="Voice engine for the build (default from show.toml).")
@click.option("--rate", metavar="N/s", help="Sending rate (as `studio send --rate`).")
@click.option("--dry-run", is_flag=True, help="Say what each step would do; build, publish and send nothing.")
@click.pass_obj
def ship(obj, episode: Path, target: str | None, list_path: str | None, out_dir: Path | None,
         engine: str | None, rate: str | None, dry_run: bool) -> None:
    """Release EPISODE (a script) in one go: `studio check`, `studio build`,
    `studio publish --to TARGET`, `studio send --list SUBSCRIBERS`, in that
    order, stopping at the first step that fails (its exit status is ship's).

    \b
    studio ship episodes/2026-03-02-x.md --to /srv/www/pod --list subscribers.csv --dry-run
    """
    from studio.cli import handle_errors
    from studio.loop.ship import ShipOptions, ship as run_ship

    options = ShipOptions(episode, target, list_path, out_dir, engine, rate, obj["show_file"])
    sys.exit(handle_errors(run_ship)(options, dry_run=dry_run))
