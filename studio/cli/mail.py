"""`studio send`: a built episode's email to every active subscriber."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.progress import Reporter
from studio.loop.ship import EX_TEMPFAIL
from studio.send.run import parse_rate, send_episode


@cli.command()
@click.argument("episode")
@click.option("--list", "list_path", type=click.Path(dir_okay=False, path_type=Path), metavar="SUBSCRIBERS.CSV",
              help="Import this CSV (header row, 'email' column, optionally 'name') into the subscriber store "
                   "first, as `studio subscribers import` does; then send to every active subscriber.")
@click.option("--build", "build_first", is_flag=True,
              help="Build the episode first when its script, show.toml or a template changed since its build "
                   "(without it, such a send stops and says so).")
@click.option("--resend-corrected", is_flag=True,
              help="Mail the current edition to the active subscribers whose copy had other text (sent before a "
                   "correction); recorded in the send log as a new edition. Nobody else is mailed.")
@click.option("--retry-refused", is_flag=True,
              help="Try again the recipients the server refused permanently in earlier runs of this episode.")
@click.option("--dry-run", is_flag=True, help="Show who would get it and what would stop a real run; send nothing.")
@click.option("--test-to", metavar="ADDRESS", help="Send one copy to ADDRESS only (the send log is not touched).")
@click.option("--rate", metavar="N/s",
              help="At most N messages per second (or N/m, N/h); the pace adapts below it. Default: smtp.rate.")
@click.option("--connections", type=click.IntRange(1, 100), metavar="N",
              help="Connections (SES: requests) at once. Default: smtp.connections.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory the episode was built into (default: output_dir from show.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the summary on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
@handle_errors
def send(obj, episode: str, list_path: Path | None, build_first: bool, resend_corrected: bool, retry_refused: bool,
         dry_run: bool, test_to: str | None, rate: str | None, connections: int | None, out_dir: Path | None,
         as_json: bool, quiet: bool) -> None:
    """Email the built EPISODE (its script or its slug) to every active subscriber, through a pool of SMTP
    connections or Amazon SES ([smtp] transport = "ses").

    \b
    Only the build of the current text is sent: when the script, show.toml
    or a template changed since the build, nothing is sent and the reason is
    printed (--build builds first; `studio send` never builds otherwise).
    Each recipient gets it once: the send log (email.send_log in show.toml)
    records every accepted message, so a run stopped halfway is finished by
    running the same command again. The pace grows while the server keeps up
    and backs off when it says slow down, never above smtp.rate (--rate);
    temporary refusals are retried within the run (smtp.retries). The SMTP
    password comes from the environment variable named by smtp.password_env
    (STUDIO_SMTP_PASSWORD), the unsubscribe-link secret from email.secret_env
    (STUDIO_UNSUBSCRIBE_SECRET). A run of identical refusals
    (smtp.stop_after_refusals) means the server refuses everything: the run
    stops and leaves the rest unsent.
    Readers who got an earlier edition (sent before a correction) get the
    current one only with --resend-corrected.
    Exit status: 0 done, 1 error or stopped early, 75 some recipients deferred
    by the server (run again later).
    """
    show = load_show_for(obj["show_file"], Path(episode))
    per_second = parse_rate(rate) if rate is not None else None
    reporter = Reporter(quiet=quiet or as_json)
    with contextlib.ExitStack() as stack:
        bars = []  # the bar opens with the first progress report: a build (--build) shows its own before it

        def progress(p) -> None:
            if not bars:
                bars.append(stack.enter_context(reporter.task("sending", total=None, time_left=True)))
            bars[0].update(p.done, p.total, f"sending {p.rate:.0f}/s (pace {p.pace:.0f}/s)")

        report = send_episode(show, episode, list_path=list_path, dry_run=dry_run, test_to=test_to,
                              rate=per_second, connections=connections, out_dir=out_dir, on_progress=progress,
                              retry_refused=retry_refused, build=build_first, resend_corrected=resend_corrected,
                              reporter=reporter)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo("\n".join(report.lines()))
    if report.aborted and not dry_run:
        click.echo(f"error: {report.error_line()}", err=True)
        sys.exit(1)
    if report.deferred and not dry_run:
        sys.exit(EX_TEMPFAIL)  # some recipients were deferred; run the same command again later
