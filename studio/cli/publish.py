"""The `studio publish` command (registered in studio/cli.py)."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click


@click.command()
@click.option("--to", "target", required=True, metavar="DIR|s3://BUCKET/PREFIX",
              help="A directory (e.g. a mounted web root) or S3-compatible storage (credentials and endpoint "
                   "from the AWS environment: AWS_PROFILE, AWS_ENDPOINT_URL, ~/.aws/config).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory to publish (default: output_dir from show.toml).")
@click.option("--dry-run", is_flag=True, help="Only list what would be uploaded and removed.")
@click.option("--force", is_flag=True, help="Publish even when `studio check` finds errors.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Parallel uploads to S3 (default: publish.jobs in show.toml, 8).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with what was done on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.pass_obj
def publish(obj, target: str, out_dir: Path | None, dry_run: bool, force: bool, jobs: int | None,
            as_json: bool, quiet: bool) -> None:
    """Publish the output dir to --to: the feed and site rebuilt from all
    manifests, then changed files only (by content hash), media first,
    pages next and feed.xml last, so readers never see a feed pointing at a
    missing file. Files of removed episodes go only after the new feed is in
    place; a failed publish leaves the published feed intact. Afterwards the
    WebSub hub and Podcast Index are pinged when [feed] names them."""
    from studio.cli import handle_errors

    handle_errors(_publish)(obj, target, out_dir, dry_run, force, jobs, as_json, quiet)


def _publish(obj, target: str, out_dir, dry_run, force, jobs, as_json, quiet) -> None:
    from studio.build.episode import check_assets, publish_show
    from studio.cli import load_show_for
    from studio.core.errors import StudioError
    from studio.check import check_all
    from studio.publish.push import push
    from studio.publish.run import open_target, publish as run_publish, require_built

    show = load_show_for(obj["show_file"])
    out = out_dir or show.out_dir
    if not any(out.glob("episodes/*/manifest.json")):
        require_built(out)
    dest = open_target(target, jobs=jobs or show.publish.jobs, settings=show.publish)
    if not dry_run:
        publish_show(show, out, check_assets(show))
    report = check_all(show, out, scripts=False)  # a draft script does not block publishing what is built
    if report.errors and not force:
        click.echo(report.render(), err=True)
        raise StudioError(f"not published: `studio check` found {len(report.errors)} error(s) (--force to publish anyway)", out)
    from studio.core.progress import Reporter

    with _progress(Reporter(quiet=quiet or as_json)) as on_file:
        result = run_publish(out, dest, dry_run=dry_run, on_file=on_file)
    if not dry_run and "feed.xml" in result.copied:
        result.warnings += push(show)
    for rel in result.ignored:
        click.echo(f"warning: ignored {rel!r} in the target's publish state: it is not a path inside the target", err=True)
    for rel in result.skipped:
        click.echo(f"warning: not published: {rel} is a link leading outside the output dir", err=True)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(json.dumps(dict(result.to_json(), dry_run=dry_run), ensure_ascii=False))
        return
    if quiet:
        return
    verb = "would copy" if dry_run else "copied"
    for rel in result.copied:
        click.echo(f"  {verb} {rel}")
    for rel in result.removed:
        click.echo(f"  {'would remove' if dry_run else 'removed'} {rel}")
    click.echo(f"{'Dry run' if dry_run else 'Published'} {out} -> {result.target}: {len(result.copied)} {verb}, "
               f"{result.unchanged} unchanged, {len(result.removed)} removed")
    sys.stdout.flush()


@contextmanager
def _progress(reporter):
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
