"""`studio publish` and `studio serve`: the output folder to its target, or to a browser on this machine."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.errors import StudioError
from studio.core.progress import Reporter
from studio.preview.serve import make_server
from studio.preview.session import watch_session
from studio.publish.run import TARGETS
from studio.publish.show import PublishBlocked, publish_show, result_lines
from studio.speech.engines import ENGINE_CHOICES

TARGET_HELP = "; ".join(help_ for _, help_ in TARGETS.values())


@cli.command("publish")
@click.option("--to", "target", required=True, metavar="DIR|s3://BUCKET/PREFIX",
              help=f"Where to publish: {TARGET_HELP} (S3 credentials and endpoint from the AWS environment: "
                   "AWS_PROFILE, AWS_ENDPOINT_URL, ~/.aws/config).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory to publish (default: output_dir from show.toml).")
@click.option("--dry-run", is_flag=True, help="Only list what would be uploaded and removed.")
@click.option("--force", is_flag=True, help="Publish even when `studio check` finds errors.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Parallel uploads to S3 (default: publish.jobs in show.toml, 8).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with what was done on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.pass_obj
@handle_errors
def publish_command(obj, target: str, out_dir: Path | None, dry_run: bool, force: bool, jobs: int | None,
            as_json: bool, quiet: bool) -> None:
    """Publish the output dir to --to: the feed and site rebuilt from all
    manifests, then changed files only (by content hash), media first,
    pages next and feed.xml last, so readers never see a feed pointing at a
    missing file. Files of removed episodes go only after the new feed is in
    place; a failed publish leaves the published feed intact. Afterwards the
    WebSub hub and Podcast Index are pinged when [feed] names them."""
    show = load_show_for(obj["show_file"])
    out = out_dir or show.out_dir
    try:
        with _progress(Reporter(quiet=quiet or as_json)) as on_file:
            result = publish_show(show, out, target, dry_run=dry_run, force=force, jobs=jobs, on_file=on_file)
    except PublishBlocked as e:
        click.echo(e.report.render(), err=True)
        raise
    lines, warnings = result_lines(result, out, dry_run)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(json.dumps(dict(result.to_json(), dry_run=dry_run), ensure_ascii=False))
    elif not quiet:
        click.echo("\n".join(lines))
    sys.stdout.flush()


@contextmanager
def _progress(reporter: Reporter):
    """A rich progress bar over the files sent (silent with --quiet/--json or off a terminal)."""
    with ExitStack() as stack:
        task = None

        def on_file(total):
            nonlocal task
            if total is not None:
                task = stack.enter_context(reporter.task("publishing", total))
            elif task is not None:
                task.advance()
        yield on_file


@cli.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to serve (default: output_dir from show.toml).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests.")
@click.option("--watch", is_flag=True,
              help="Build into .studio-preview/ (or --out), rebuild on every save and reload the open pages.")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default=None,
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
    show = load_show_for(obj["show_file"])
    if watch:
        session = watch_session(show, bind, port, out_dir, engine, quiet, log=click.echo)
        click.echo(f"Serving {session.out} at {session.url} (watching {show.root}, voice engine {session.engine}; "
                   f"builds at {session.builds_url}; Ctrl-C to stop)")
        if session.seeded:
            click.echo(f"· until rebuilt, the last builds from {show.output_dir}/: {', '.join(session.seeded)}")
        session.serve_forever()
        return
    out = out_dir or show.out_dir
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
