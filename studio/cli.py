"""The `studio` command line. Thin: parse options, call a stage, report.

Heavy modules are imported inside commands so `studio --help` and no-op runs stay fast.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from studio import __version__
from studio.errors import StudioError

FORMATS = ["transcript", "hugo", "newsletter", "article", "report", "markdown", "text"]


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


def load_show_for(show_file: str | None, near: Path | None = None):
    from studio.config import find_show_file, load_show

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


@cli.command()
@click.argument("episodes", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: output_dir from show.toml, usually public/).")
@click.option("--engine", type=click.Choice(["auto", "edge", "azure", "openai", "espeak"]), default=None,
              help="Voice engine: edge, azure, openai (neural, online), espeak (offline), auto (speech.engines in "
                   "order, first that answers). Default from show.toml.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Concurrent speech requests (default: speech.jobs in show.toml, 4).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object describing the build on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but warnings and errors.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed since the last build.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Read the script as this format (default: detect it).")
@click.pass_obj
@handle_errors
def build(obj, episodes: tuple[Path, ...], out_dir: Path | None, engine: str | None, jobs: int | None, as_json: bool,
          quiet: bool, force: bool, fmt: str | None) -> None:
    """Build EPISODES (script files): clips, episode.mp3, email, manifest,
    then the feed and index from every episode in the output dir.

    With no script, every script in episodes/ is built in date order (unchanged
    ones in no time), one line each; a failing script is reported and the
    others still build (exit status 1 at the end)."""
    from studio.build import build_episode
    from studio.progress import Reporter

    show = load_show_for(obj["show_file"], episodes[0] if episodes else None)
    if len(episodes) != 1:
        from studio.loop.cli import build_several

        return build_several(show, list(episodes), as_json=as_json, quiet=quiet, out_dir=out_dir, engine=engine,
                             jobs=jobs, force=force, fmt=fmt)
    episode = episodes[0]
    result = build_episode(episode, show, out_dir=out_dir, engine=engine, reporter=Reporter(quiet=quiet or as_json),
                           jobs=jobs, force=force, fmt=fmt)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    elif not quiet:
        click.echo(f"{result.audio}\n{result.email_html}\n{result.feed}")


@cli.command()
@click.argument("episode", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Read the script as this format (default: detect it).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"title", "summary", "format", "items": [...]} instead of a table.')
@click.option("--explain", is_flag=True, help="Every sentence, whether it starts an item, and the evidence; with a recording, "
              "each item's place in it and a confidence.")
def items(episode: Path, fmt: str | None, as_json: bool, explain: bool) -> None:
    """Show how EPISODE is cut into items: n, section, title, chars, links."""
    from studio.items_cmd import items_command

    sys.exit(items_command(episode, fmt, as_json, explain))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def init(directory: Path) -> None:
    """Scaffold a new show in DIRECTORY (show.toml, an example episode,
    templates and assets) that builds as is."""
    from studio.scaffold import init_show

    created = init_show(directory)
    click.echo(f"Created a show in {directory} ({len(created)} files). Next: cd {directory} && studio build {created[1].relative_to(directory)}")


@cli.command()
@click.argument("episode")
@click.option("--list", "list_path", type=click.Path(dir_okay=False, path_type=Path), metavar="SUBSCRIBERS.CSV",
              help="Import this CSV (header row, 'email' column, optionally 'name') into the subscriber store "
                   "first, as `studio subscribers import` does; then send to every active subscriber.")
@click.option("--retry-refused", is_flag=True,
              help="Try again the recipients the server refused permanently in earlier runs of this episode.")
@click.option("--dry-run", is_flag=True, help="Show who would get it and what would stop a real run; send nothing.")
@click.option("--test-to", metavar="ADDRESS", help="Send one copy to ADDRESS only (the send log is not touched).")
@click.option("--rate", metavar="N/s", help="At most N messages per second (or N/m, N/h). Default: smtp.rate from show.toml.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory the episode was built into (default: output_dir from show.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the summary on stdout.")
@click.pass_obj
@handle_errors
def send(obj, episode: str, list_path: Path | None, retry_refused: bool, dry_run: bool, test_to: str | None,
         rate: str | None, out_dir: Path | None, as_json: bool) -> None:
    """Email the built EPISODE (its script or its slug) to every active subscriber over SMTP.

    \b
    Each recipient gets it once: the send log (email.send_log in show.toml)
    records every accepted message, so a run stopped halfway is finished by
    running the same command again. The SMTP password comes from the
    environment variable named by smtp.password_env (STUDIO_SMTP_PASSWORD),
    the unsubscribe-link secret from email.secret_env (STUDIO_UNSUBSCRIBE_SECRET).
    A run of identical refusals (smtp.stop_after_refusals) means the server
    refuses everything: the run stops and leaves the rest unsent.
    Exit status: 0 done, 1 error or stopped early, 75 some recipients deferred
    by the server (run again later).
    """
    from studio.email.send import parse_rate, send_episode

    show = load_show_for(obj["show_file"], Path(episode))
    per_second = parse_rate(rate) if rate is not None else None
    counter = {"n": 0}

    def progress(who: str, what: str) -> None:
        counter["n"] += 1
        if not as_json:
            click.echo(f"{counter['n']:>6} {what:<9} {who}", err=True)

    report = send_episode(show, episode, list_path=list_path, dry_run=dry_run, test_to=test_to,
                          rate=per_second, out_dir=out_dir, on_progress=progress, retry_refused=retry_refused)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo("\n".join(report.lines()))
    if report.aborted and not dry_run:
        click.echo(f"error: {report.error_line()}", err=True)
        sys.exit(1)
    if report.deferred and not dry_run:
        sys.exit(75)  # EX_TEMPFAIL: some recipients were deferred; run the same command again later


# -- speech: voices and the clip cache --------------------------------------


@cli.command()
@click.option("--lang", metavar="LANG", help="Only voices for this language or locale (zh, zh-CN, en-GB).")
@click.option("--offline", is_flag=True, help="Use the bundled list; do not ask the service.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON.")
@click.option("--engine", type=click.Choice(["edge", "azure", "openai"]), default="edge",
              help="azure: the resource's voice list ([speech.azure]); openai: the voice map in [speech.openai].")
@click.pass_obj
@handle_errors
def voices(obj, lang: str | None, offline: bool, as_json: bool, engine: str) -> None:
    """List the Edge voices: the live list when the service answers, else the bundled one
    (--engine azure: the Azure resource's list; --engine openai: the configured voice map)."""
    from studio.speech.voices import fetch_live_voices, filter_by_lang, known_voices, save_live_voices, service_voices

    cache_dir = _cache_dir_or_none(obj)
    source, found = "bundled", list(known_voices(cache_dir).values())  # plus the last live list, if any
    if engine != "edge":
        source, found = engine, service_voices(engine, load_show_for(obj["show_file"]), cache_dir)
    elif not offline:
        try:
            found, source = fetch_live_voices(), "live"
        except Exception as e:  # unreachable or refused: the bundled list still answers
            from studio.speech.edge import classify

            click.echo(f"note: voice list not reachable ({classify(e, 5).message}); showing the bundled list",
                       err=True)
        else:
            save_live_voices(found, cache_dir)
    found = sorted(filter_by_lang(found, lang), key=lambda v: (v["Locale"], v["ShortName"]))
    if as_json:
        click.echo(json.dumps({"source": source, "voices": found}, ensure_ascii=False))
        return
    for v in found:
        click.echo(f"{v['ShortName']:<36} {v['Gender']:<7} {v['FriendlyName']}")
    click.echo(f"{len(found)} voices ({source} list)", err=True)


def _cache_dir_or_none(obj) -> Path | None:
    try:
        show = load_show_for(obj["show_file"])
    except StudioError:
        return None
    return show.path(show.speech.cache_dir)


@cli.group()
def cache() -> None:
    """The speech clip cache (speech.cache_dir in show.toml, default .studio-cache/)."""


@cache.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
@handle_errors
def cache_info(obj, as_json: bool) -> None:
    """Where the cache is, how many clips it holds and how much space they take."""
    import datetime as dt

    from studio.speech.cache import ClipCache

    from studio.audio.workfiles import work_info

    show = load_show_for(obj["show_file"])
    info = ClipCache(show.path(show.speech.cache_dir)).info()
    work = work_info(show.path(show.speech.cache_dir))
    if as_json:
        click.echo(json.dumps({"dir": str(info.root), "entries": info.entries, "bytes": info.bytes,
                               "engines": info.by_engine, "voices": info.by_voice,
                               "audio_work": {"episodes": work.episodes, "bytes": work.bytes}}, ensure_ascii=False))
        return

    def when(t: float | None) -> str:
        return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "-"

    click.echo(f"{info.root}\n{info.entries} clips, {info.bytes / 1e6:.1f} MB")
    if info.entries:
        click.echo(f"last used: {when(info.oldest_use)} .. {when(info.newest_use)}")
        for engine, n in sorted(info.by_engine.items()):
            click.echo(f"  {engine}: {n}")
        for voice, n in sorted(info.by_voice.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {voice}: {n}")
    click.echo(f"audio working copies (decoded PCM, encoded pieces): {work.episodes} episodes, {work.bytes / 1e6:.1f} MB")


@cache.command("prune")
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=30.0, show_default=True,
              metavar="DAYS", help="Remove clips not used by any build for this many days.")
@click.option("--all", "everything", is_flag=True, help="Remove every cached clip.")
@click.pass_obj
@handle_errors
def cache_prune(obj, days: float, everything: bool) -> None:
    """Remove clips no build has used lately (or all of them), and episodes' audio working copies."""
    from studio.speech.cache import ClipCache

    show = load_show_for(obj["show_file"])
    cache = ClipCache(show.path(show.speech.cache_dir))
    if not cache.marked:
        click.echo(f"{cache.root}: not a Studio clip cache (no STUDIO-CACHE file): nothing removed")
        return
    removed, freed = cache.prune(days, everything)
    click.echo(f"removed {removed} clips ({freed / 1e6:.1f} MB)")
    from studio.audio.workfiles import prune_work

    episodes, freed = prune_work(cache.root, days, everything)
    click.echo(f"removed the audio working copies of {episodes} episodes ({freed / 1e6:.1f} MB)")


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory to check (default: output_dir from show.toml).")
@click.pass_obj
@handle_errors
def check(obj, out_dir: Path | None) -> None:
    """Check the show, its episode scripts, the built episodes and feed.xml
    against Apple Podcasts, PSP-1 and Podcasting 2.0 rules (required tags,
    length limits, cover art, https URLs, unique GUIDs and enclosures).
    Exits non-zero when there are errors."""
    from studio.feed.check import check_all

    show = load_show_for(obj["show_file"])
    out = out_dir or show.out_dir
    report = check_all(show, out)
    click.echo(f"Checking {show.title} ({show.root / 'show.toml'}, output {out})")
    click.echo(report.render())
    if report.errors:
        sys.exit(1)


@cli.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to serve (default: output_dir from show.toml).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests.")
@click.option("--watch", is_flag=True,
              help="Build into .studio-preview/ (or --out), rebuild on every save and reload the open pages.")
@click.option("--engine", type=click.Choice(["auto", "edge", "espeak"]), default=None,
              help="Voice engine while watching (default: espeak, the offline voice).")
@click.pass_obj
@handle_errors
def serve(obj, port: int, bind: str, out_dir: Path | None, quiet: bool, watch: bool, engine: str | None) -> None:
    """Preview the output dir over HTTP, with byte-range requests (206) as
    podcast apps and browsers use to seek, and correct MIME types.

    With --watch: every script in episodes/ is built into .studio-preview/ and
    rebuilt when it, show.toml, a template, the lexicon or an asset is saved;
    open pages reload by themselves, a failed build shows its error on the
    page, and /__studio/email/SLUG/ previews the email (dark mode, 375 px)."""
    from studio.errors import StudioError
    from studio.feed.serve import make_server

    if watch:
        from studio.preview.cli import serve_watch

        return serve_watch(obj["show_file"], bind, port, out_dir, engine, quiet)
    out = out_dir or load_show_for(obj["show_file"]).out_dir
    if not out.is_dir():
        raise StudioError("nothing to serve: the directory does not exist (run `studio build` first)", out)
    try:
        server = make_server(out, bind, port, quiet=quiet)
    except OSError as e:
        raise StudioError(f"cannot listen on {bind}:{port}: {e.strerror or e}") from None
    host, real_port = server.server_address[:2]
    click.echo(f"Serving {out} at http://{host}:{real_port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


from studio.publish.cli import publish  # noqa: E402

cli.add_command(publish)


from studio.loop.cli import new, ship  # noqa: E402  the weekly loop

cli.add_command(new)
cli.add_command(ship)

from studio.subscribers.cli import listen, subscribers  # noqa: E402  (the list: store, web app, bounces)

cli.add_command(subscribers)
cli.add_command(listen)


def main() -> None:
    cli(prog_name="studio")


if __name__ == "__main__":
    main()
