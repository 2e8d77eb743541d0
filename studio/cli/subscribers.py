"""`studio subscribers ...` and `studio listen`: the list's command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from studio.cli.app import cli, handle_errors, load_show_for
from studio.core.fsutil import atomic_write_text
from studio.core.secrets import unsubscribe_secret
from studio.subscribers.bounces import process_mailbox
from studio.subscribers.export import export_csv
from studio.subscribers.listfile import SubscriberError, read_subscribers
from studio.subscribers.manage import add_by_host, address_or_error, restore_held
from studio.subscribers.store import open_store
from studio.subscribers.web import run

STATUS_CHOICE = click.Choice(["pending", "active", "unsubscribed", "bounced", "complained", "held"])


def _show(obj):
    return load_show_for(obj["show_file"])


def _store(obj):
    return open_store(_show(obj))


@cli.group()
def subscribers() -> None:
    """The subscriber store (subscribers.db in show.toml, default .studio-subscribers.sqlite at the show root).

    \b
    Statuses: pending (subscribed, not confirmed), active (gets `studio send`),
    unsubscribed, bounced, complained (suppressed: never mailed, never re-imported),
    held (an unverified complaint: not mailed until you `restore` it; see `complaints`).
    """


@subscribers.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
@handle_errors
def import_cmd(obj, csv_path: Path, as_json: bool) -> None:
    """Add the addresses of CSV (header row, 'email' column, optionally 'name') as active.

    Addresses already in the store are left as they are: an unsubscribed,
    bounced or complained address stays suppressed, and an address erased on
    request is not added again. The CSV is checked first; a bad row stops
    the import with nothing added.
    """
    show = _show(obj)
    subs, dups = read_subscribers(csv_path)
    if len(subs) > show.subscribers.max_import_rows:
        raise SubscriberError(f"{len(subs)} rows: more than subscribers.max_import_rows "
                              f"({show.subscribers.max_import_rows})", csv_path)
    with open_store(show) as store:
        r = store.import_rows(((s.email, s.name) for s in subs), f"import:{csv_path.name}")
    counts = {"added": r.added, "existing": r.existing, "suppressed": r.suppressed, "erased": r.erased,
              "duplicates": dups}
    if as_json:
        click.echo(json.dumps(counts))
    else:
        click.echo(f"imported {csv_path}: {r.added} added, {r.existing} already subscribed, "
                   f"{r.suppressed} suppressed (left unsubscribed/bounced/complained), "
                   f"{r.erased} erased earlier (skipped), {dups} duplicate rows")


@subscribers.command()
@click.argument("address")
@click.option("--name", default="", help="The subscriber's name.")
@click.pass_obj
@handle_errors
def add(obj, address: str, name: str) -> None:
    """Add ADDRESS as active (you vouch for their consent; it is recorded as 'add').
    A suppressed or erased address is refused: they can subscribe again through the form."""
    email = address_or_error(address)
    with _store(obj) as store:
        before = add_by_host(store, email, name)
    click.echo(f"{email} is already {before}" if before else f"added {email} (active)")


@subscribers.command()
@click.argument("address")
@click.option("--erase", is_flag=True,
              help="GDPR erasure: delete the subscriber and their history; only a hash of the address is kept "
                   "so that no import adds it again.")
@click.pass_obj
@handle_errors
def remove(obj, address: str, erase: bool) -> None:
    """Unsubscribe ADDRESS (kept as unsubscribed, so it is never mailed or imported again), or --erase it."""
    email = address_or_error(address)
    with _store(obj) as store:
        if erase:
            found = store.erase(email)
            click.echo(f"erased {email}" if found else f"{email} was not in the store; its hash is kept as erased")
            return
        before = store.set_status(email, "unsubscribed", "removed by the host", source="remove")
    click.echo(f"{email}: {before or 'unknown'} -> unsubscribed" if before != "unsubscribed"
               else f"{email} was already unsubscribed")


@subscribers.command("list")
@click.option("--status", type=STATUS_CHOICE, help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def list_cmd(obj, status: str | None, as_json: bool) -> None:
    """List subscribers: address, status, name, since."""
    with _store(obj) as store:
        for row in store.rows(status):
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{row['email']:<40} {row['status']:<13} {row['created_at'][:10]}  {row['name']}")


@subscribers.command()
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CSV to this file (atomically); default: standard output.")
@click.option("--email", "address", help="Only this subscriber, with their history (a GDPR access request).")
@click.option("--status", type=STATUS_CHOICE, help="Only subscribers with this status.")
@click.pass_obj
@handle_errors
def export(obj, out_path: Path | None, address: str | None, status: str | None) -> None:
    """Export subscribers as CSV with their consent record (when, how, from which IP or import)."""
    email = address_or_error(address) if address else None
    with _store(obj) as store:
        text = export_csv(store, status, email)
    if out_path:
        atomic_write_text(out_path, text)
    else:
        click.echo(text, nl=False)


@subscribers.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def complaints(obj, as_json: bool) -> None:
    """Complaints to review: addresses held (not mailed) after a complaint that did not carry our own
    List-Unsubscribe token, so that anyone could have sent it; with when and what it said.
    `studio subscribers restore ADDRESS` gives one back the status it had."""
    with _store(obj) as store:
        for row in store.rows("held"):
            entry = {"email": row["email"], "since": row["updated_at"], "report": row["status_reason"] or ""}
            if as_json:
                click.echo(json.dumps(entry, ensure_ascii=False))
            else:
                click.echo(f"{entry['email']:<40} {entry['since'][:16]}  {entry['report']}")


@subscribers.command()
@click.argument("address")
@click.pass_obj
@handle_errors
def restore(obj, address: str) -> None:
    """Undo an unverified complaint: ADDRESS goes from held back to the status it had (logged)."""
    email = address_or_error(address)
    with _store(obj) as store:
        back = restore_held(store, email)
    click.echo(f"{email}: held -> {back}")


@subscribers.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
@handle_errors
def stats(obj, as_json: bool) -> None:
    """How many subscribers have each status."""
    with _store(obj) as store:
        counts = store.stats()
    if as_json:
        click.echo(json.dumps(counts))
    else:
        for k, v in counts.items():
            click.echo(f"{k:<13} {v}")


@subscribers.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_obj
@handle_errors
def bounces(obj, path: Path, as_json: bool) -> None:
    """Read bounces (RFC 3464 DSNs), complaints (RFC 5965 ARF) and mailto unsubscribes from
    PATH, an mbox file or a Maildir: hard bounce -> bounced, complaint with our token ->
    complained, any other complaint -> held (review with `complaints`, undo with `restore`), soft
    bounces counted (suppressed at subscribers.soft_bounce_limit), "unsubscribe" -> unsubscribed.
    A message already processed is skipped, so the same mailbox can be read again."""
    show = _show(obj)
    with open_store(show) as store:
        result = process_mailbox(path, store, unsubscribe_secret(show),
                                 show.subscribers.soft_bounce_limit)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        click.echo("\n".join(result.lines(path)))


@cli.command()
@click.option("--host", help="Address to listen on (default: listen.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: listen.port, 8080; 0 picks a free one).")
@click.option("--access-log", is_flag=True, help="Log requests (paths without their tokens).")
@click.pass_obj
@handle_errors
def listen(obj, host: str | None, port: int | None, access_log: bool) -> None:
    """Serve the list's web app: POST /subscribe (double opt-in), GET+POST /confirm (a button),
    GET+POST /unsubscribe (RFC 8058 one-click). Run it behind a reverse proxy
    at listen.public_url; see README for a systemd unit and a proxy snippet."""
    show = _show(obj)
    sys.exit(run(show, host or show.listen.host, show.listen.port if port is None else port, access_log))
