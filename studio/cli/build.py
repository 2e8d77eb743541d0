"""`studio build`, `studio items`, `studio check`: scripts to episodes, how a script is cut, what is ready."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from studio.build.episode import build_episode
from studio.check import check_all
from studio.cli.app import cli, handle_errors, load_show_for
from studio.cli.items import items_command
from studio.core.progress import Reporter, shown_path
from studio.ingest import format_names
from studio.ingest.scripts import outside_warning
from studio.loop.batch import build_many, scripts_to_build
from studio.speech.engines import ENGINE_CHOICES


class _BarsOnly(Reporter):
    """Progress bars on a terminal, but none of a single build's info lines."""

    def info(self, msg: str) -> None:
        pass


@cli.command()
@click.argument("episodes", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: output_dir from show.toml, usually public/).")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=None,
              help="Voice engine: edge, azure, openai (neural, online), espeak (offline), auto (speech.engines in "
                   "order, first that answers). Default from show.toml.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Concurrent speech requests (default: speech.jobs in show.toml, 4).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object describing the build on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed since the last build.")
@click.option("--format", "fmt", type=click.Choice(format_names()), help="Read the script as this format (default: detect it).")
@click.pass_obj
@handle_errors
def build(obj, episodes: tuple[Path, ...], out_dir: Path | None, engine: str | None, jobs: int | None, as_json: bool,
          quiet: bool, force: bool, fmt: str | None) -> None:
    """Build EPISODES (script files): clips, the episode MP3, email, manifest,
    then the feed and index from every episode in the output dir.

    With no script, every script in episodes/ is built in date order (unchanged
    ones in no time), one line each; a failing script is reported and the
    others still build (exit status 1 at the end)."""
    show = load_show_for(obj["show_file"], episodes[0] if episodes else None)
    if len(episodes) != 1:
        return _build_several(show, list(episodes), as_json=as_json, quiet=quiet, out_dir=out_dir, engine=engine,
                              jobs=jobs, force=force, fmt=fmt)
    result = build_episode(episodes[0], show, out_dir=out_dir, engine=engine, reporter=Reporter(quiet=quiet or as_json),
                           jobs=jobs, force=force, fmt=fmt)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    elif not quiet:
        click.echo(f"{result.audio}\n{result.email_html}\n{result.feed}")


def _build_several(show, scripts: list[Path], *, as_json: bool, quiet: bool, **options) -> None:
    """`studio build` with no script (all of episodes/, in date order) or several; exit 1 if any failed."""
    skipped: list[Path] = []
    todo = scripts_to_build(show, scripts, skipped)
    for path in skipped:
        click.echo(f"warning: {outside_warning(show, path)}", err=True)
    reporter = Reporter(quiet=True) if quiet or as_json else _BarsOnly()

    def done(outcome) -> None:
        if not as_json and not quiet:
            click.echo(outcome.line(shown_path(outcome.script)))
        elif not as_json and outcome.status == "failed":
            click.echo(outcome.line(shown_path(outcome.script)), err=True)

    outcomes = build_many(todo, show, on_done=done, reporter=reporter, **options)
    failed = [o for o in outcomes if o.status == "failed"]
    if as_json:
        click.echo(json.dumps({"episodes": [o.to_json(shown_path(o.script)) for o in outcomes],
                               "failed": [shown_path(o.script) for o in failed],
                               "skipped": [p.relative_to(show.root).as_posix() for p in skipped]}, ensure_ascii=False))
    elif not quiet:
        counts = {s: sum(o.status == s for o in outcomes) for s in ("built", "up to date", "failed")}
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if failed:
        click.echo(f"error: {len(failed)} of {len(outcomes)} episodes failed: "
                   + ", ".join(shown_path(o.script) for o in failed), err=True)
        sys.exit(1)


@cli.command()
@click.argument("episode", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(format_names()), help="Read the script as this format (default: detect it).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"title", "summary", "format", "items": [...]} instead of a table.')
@click.option("--explain", is_flag=True, help="Every sentence, whether it starts an item, and the evidence; with a "
              "recording, each item's place in it and a confidence.")
@click.pass_obj
def items(obj, episode: Path, fmt: str | None, as_json: bool, explain: bool) -> None:
    """Show how EPISODE is cut into items: n, section, title, chars, links."""
    sys.exit(items_command(episode, fmt, as_json, explain, obj["show_file"]))


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory to check (default: output_dir from show.toml).")
@click.option("--json", "as_json", is_flag=True, help='Print {"ready", "passed", "findings": [...]} instead.')
@click.pass_obj
@handle_errors
def check(obj, out_dir: Path | None, as_json: bool) -> None:
    """Check the show, its episode scripts, the built episodes and feed.xml
    against Apple Podcasts, PSP-1 and Podcasting 2.0 rules (required tags,
    length limits, cover art, https URLs, unique GUIDs and enclosures), and
    say what is not ready yet: scripts not built, or changed since their
    build, nothing built, placeholder URLs and addresses (example.org…).
    Says "ready to publish" and exits 0 only when there is nothing of either."""
    show = load_show_for(obj["show_file"])
    out = out_dir or show.out_dir
    report = check_all(show, out)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(f"Checking {show.title} ({show.file}, output {out})")
        click.echo(report.render())
    if not report.ready:
        sys.exit(1)
