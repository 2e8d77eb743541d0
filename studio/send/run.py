"""studio send: deliver a built episode's email to every active subscriber of the store, through a pool
of SMTP connections (or Amazon SES) at a rate that adapts to the server (studio.mail).

Exactly once per (episode, recipient): each recipient is marked `sending` in the
send log before its message goes and `accepted` as soon as the server answers
250 to it, one commit each, whichever connection carried it. A run killed at any
moment resumes where it stopped. The one ambiguous case is a kill (or a dropped
connection) after the server accepted a message but before the mark was
committed, a window of a fraction of a millisecond per message in flight: the
next run sends those again with the same Message-ID, which mail stores treat as
one message, and says how many. A lock on the send log keeps two runs from
sending the same list at once. Temporary refusals are retried in the same run
with back-off (smtp.retries); a run of identical refusals (smtp.stop_after_refusals)
is the server saying no to everything: the run stops and leaves the rest unsent.

Recipients stream from the store in batches, and each message is made just
before it goes (Edition: the newsletter rendered once, personalised per recipient),
so memory does not grow with the list.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import re
import signal
import time
from dataclasses import dataclass, field
from email.utils import make_msgid
from pathlib import Path
from typing import Callable, Iterator

from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.core.secrets import smtp_password, unsubscribe_secret
from studio.email.context import email_context
from studio.email.message import message_id, sender
from studio.email.render import render_email
from studio.ingest import read_episode
from studio.mail import open_transport, transport_name
from studio.mail.outcome import Outcome
from studio.mail.pacing import AdaptiveRate
from studio.mail.pool import Job, Pool
from studio.mail.single import send_one
from studio.send.edition import Edition
from studio.send.log import SendLog
from studio.subscribers.listfile import Subscriber, normalize_address, read_subscribers
from studio.subscribers.store import Store, open_store

BATCH = 500  # recipients looked up in the send log at once


class SendError(StudioError):
    """Sending cannot start or cannot go on."""


# ---- what to send ---------------------------------------------------------------------------

def locate_built(show: Show, episode: str, out_dir: Path | None = None) -> tuple[Path, Manifest]:
    """The episode's folder and manifest of EPISODE (a script path or a slug); it must be built."""
    out = Path(out_dir) if out_dir else show.out_dir
    path = Path(episode)
    if path.is_file():
        slug = read_episode(path).slug
    elif re.fullmatch(r"[\w\u4e00-\u9fff-]+", episode):
        slug = episode
    else:
        raise SendError("no such episode script, and not an episode slug", episode)
    files = OutputLayout(out).episode(slug)
    if not files.manifest.is_file():
        raise SendError(f"episode {slug!r} is not built yet: run `studio build` on it first", files.dir)
    manifest, problem = read_manifest(files.manifest)
    if manifest is None:
        raise SendError(f"cannot use the manifest: {problem}", files.manifest)
    return files.dir, manifest


# ---- the run --------------------------------------------------------------------------------

def parse_rate(text: str) -> float:
    """'10', '10/s', '300/m', '3600/h' -> messages per second."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h|hour))?\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise SendError(f"--rate: expected N/s, N/m or N/h with N > 0, got {text!r}")
    per = {"m": 60, "min": 60, "h": 3600, "hour": 3600}.get(m.group(2) or "s", 1)
    return float(m.group(1)) / per


@dataclass
class SendReport:
    episode: str
    subject: str
    recipients: int = 0
    duplicates: int = 0
    sent: int = 0
    already: int = 0
    resent_unsure: int = 0  # sent again: an interrupted run left their delivery unconfirmed
    refused: list[tuple[str, str]] = field(default_factory=list)
    refused_before: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # dry run: who would get it
    dry_run: bool = False
    test_to: str | None = None
    aborted: str | None = None
    server_refusal: str | None = None  # the reply that made the run stop
    suppressed: int = 0  # rows of --list CSV that are unsubscribed, bounced, complained or erased
    left_list: int = 0  # unsubscribed while the run was going
    problems: list[str] = field(default_factory=list)  # dry run: what would stop a real run
    transport: str = "smtp"
    duration: float = 0.0  # seconds of sending
    settled_rate: float = 0.0  # messages/s the adaptive pace ended at
    ceiling: float = 0.0  # smtp.rate or --rate
    retried: int = 0  # temporary refusals retried within the run
    backoffs: int = 0  # times the pace was cut because the server said slow down
    connections: int = 0  # most connections open at once

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    def lines(self) -> list[str]:
        if self.test_to:
            return [f"Sent a test copy of {self.episode!r} to {self.test_to} (send log untouched)."]
        if self.dry_run:
            shown = ", ".join(self.pending[:5]) + (", …" if len(self.pending) > 5 else "")
            out = [f"Dry run: would send {self.subject!r} to {len(self.pending)} of {self.recipients} recipients"
                   + (f": {shown}" if shown else ""),
                   f"  {self.already} already sent, {len(self.refused_before)} refused earlier; nothing was sent."]
            if self.suppressed:
                out.append(f"  {self.suppressed} addresses of the list are unsubscribed, bounced or complained: not mailed")
            return out + [f"  a real run would stop: {p}" for p in self.problems]
        out = [f"Episode {self.episode!r}: sent {self.sent}, already sent earlier {self.already}, "
               f"refused {len(self.refused)}, deferred {len(self.deferred)} (of {self.recipients} recipients"
               + (f", {self.duplicates} duplicate rows ignored" if self.duplicates else "") + ")."]
        if self.sent or self.retried:
            out.append(f"  {self.duration:.1f} s, {self.rate:.1f} messages/s over {self.connections} "
                       f"{'concurrent requests' if self.transport == 'ses' else 'connections'}; the pace settled at "
                       f"{self.settled_rate:g}/s (ceiling {self.ceiling:g}/s, {self.backoffs} back-offs, "
                       f"{self.retried} temporary refusals retried)")
        if self.suppressed:
            out.append(f"  {self.suppressed} addresses of the list are unsubscribed, bounced or complained: not mailed")
        if self.left_list:
            out.append(f"  {self.left_list} unsubscribed while the run was going: not mailed")
        if self.resent_unsure:
            out.append(f"  resent {self.resent_unsure} whose delivery an interrupted run left unconfirmed "
                       "(same Message-ID, so mail stores see one message)")
        out += [f"  refused: {a}: {r}" for a, r in self.refused]
        out += [f"  refused in an earlier run (not retried; --retry-refused tries again): {a}: {r}"
                for a, r in self.refused_before]
        out += [f"  deferred (retried by the next run): {a}: {r}" for a, r in self.deferred]
        if self.aborted:
            out.append(f"  stopped early: {self.aborted}; run the same command again to finish")
        return out

    def error_line(self) -> str | None:
        """One line for stderr when the run stopped early."""
        if self.server_refusal:
            return f"stopped: {self.aborted}; run the same command again once the server accepts mail"
        return f"stopped: {self.aborted}" if self.aborted else None

    def to_json(self) -> dict:
        return {
            "episode": self.episode, "subject": self.subject, "recipients": self.recipients,
            "sent": self.sent, "already": self.already, "resent_unconfirmed": self.resent_unsure,
            "refused": [{"to": a, "reason": r} for a, r in self.refused],
            "refused_before": [{"to": a, "reason": r} for a, r in self.refused_before],
            "deferred": [{"to": a, "reason": r} for a, r in self.deferred],
            "would_send": len(self.pending) if self.dry_run else None,
            "dry_run": self.dry_run, "test_to": self.test_to, "aborted": self.aborted, "problems": self.problems,
            "server_refusal": self.server_refusal, "suppressed": self.suppressed, "left_list": self.left_list,
            "transport": self.transport, "duration_s": round(self.duration, 3), "rate": round(self.rate, 1),
            "settled_rate": self.settled_rate, "rate_ceiling": self.ceiling, "retried": self.retried,
            "backoffs": self.backoffs, "connections": self.connections,
        }


@dataclass
class SendProgress:
    """What a progress display shows after each recipient."""

    done: int  # recipients dealt with (sent, refused, deferred, skipped as already sent)
    total: int
    sent: int
    rate: float  # messages/s over the last few seconds
    pace: float  # the adaptive pace now (messages/s)


def preflight(show: Show) -> list[str]:
    """What stops a real send, as one-line problems (empty when ready)."""
    problems = []
    if transport_name(show) == "smtp":
        if not show.smtp.host:
            problems.append("SMTP is not configured: set host (and port, security, user) in the [smtp] section "
                            "(or transport = \"ses\" and a [ses] section for Amazon SES)")
        elif show.smtp.user and not smtp_password(show):
            problems.append(f"the SMTP password is not set: put it in the environment variable {show.smtp.password_env} (smtp.password_env)")
    if not show.unsubscribe_url:
        problems.append("no one-click unsubscribe endpoint: set unsubscribe_url (https) in the [email] section")
    if not unsubscribe_secret(show):
        problems.append(f"no secret to sign unsubscribe links: set the environment variable {show.email.secret_env} (email.secret_env)")
    return problems


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendError("another `studio send` is running with this send log", path) from None
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def send_episode(
    show: Show,
    episode: str,
    *,
    list_path: Path | None = None,
    dry_run: bool = False,
    test_to: str | None = None,
    rate: float | None = None,
    connections: int | None = None,
    out_dir: Path | None = None,
    on_progress: Callable[[SendProgress], None] | None = None,
    retry_refused: bool = False,
) -> SendReport:
    """Send to every `active` subscriber in the store (`--list CSV` is imported into it first)."""
    _, manifest = locate_built(show, episode, out_dir)
    slug = manifest.slug
    if test_to is not None:
        address = normalize_address(test_to)
        if address is None:
            raise SendError(f"--test-to: not an email address: {test_to!r}")
    subs, dups = read_subscribers(list_path) if list_path is not None and test_to is None else ([], 0)
    problems = preflight(show)
    log_path = show.path(show.email.send_log)
    report = SendReport(slug, "", 0, dups, dry_run=dry_run, transport=transport_name(show))

    if dry_run:
        report.subject = render_email(show, email_context(show, manifest)).subject
        statuses = _read_statuses(log_path, slug)
        for s in _dry_recipients(show, subs, report):
            report.recipients += 1
            st = statuses.get(s.key)
            if st == "accepted":
                report.already += 1
            elif st == "refused" and not retry_refused:
                report.refused_before.append((s.email, "refused earlier"))
            else:
                report.pending.append(s.email)
        report.problems = problems
        return report

    if problems:
        raise SendError(problems[0], show.file)
    edition = Edition(show, email_context(show, manifest), unsubscribe_secret(show))
    report.subject = edition.subject
    password = smtp_password(show)
    envelope_from = sender(show).addr_spec

    if test_to is not None:
        data = edition.message(address, "", make_msgid("test", sender(show).domain))
        outcome = send_one(show, password, envelope_from, address, data)
        if not outcome.accepted:
            raise SendError(f"the server refused {address}: {outcome.reason}")
        report.test_to = address
        return report

    with exclusive(log_path.with_name(log_path.name + ".lock")), contextlib.closing(open_store(show)) as store:
        if subs:
            imported = store.import_rows(((s.email, s.name) for s in subs), f"send-list:{Path(list_path).name}")
            report.suppressed = imported.suppressed + imported.erased
        del subs
        report.recipients = store.stats()["active"]
        if not report.recipients:
            raise SendError("no active subscribers: import a list with `studio subscribers import CSV` "
                            "(or give --list CSV), or let readers subscribe through `studio listen`",
                            store.path)
        width = connections or show.smtp.connections
        transport = open_transport(show, password, width)
        log = SendLog(log_path)
        report.ceiling = rate or show.smtp.rate
        pacer = AdaptiveRate(report.ceiling)
        delivery = _Delivery(show, manifest.guid, edition, store, log, report, retry_refused,
                             pacer, on_progress)
        pool = Pool(transport, envelope_from, delivery, pacer, connections=width, retries=show.smtp.retries,
                    stop_after=show.smtp.stop_after_refusals)
        start = time.monotonic()
        try:
            result = asyncio.run(_until_done(pool))
        finally:
            report.duration = time.monotonic() - start
            log.close()
    report.aborted, report.server_refusal = result.stopped, result.server_refusal
    report.settled_rate, report.backoffs = result.rate, result.backoffs
    report.retried, report.connections = result.retried, result.connections
    return report


async def _until_done(pool: Pool):
    """Run the pool; Ctrl-C or SIGTERM stops it gracefully (in-flight messages finished and recorded, so none is
    left unconfirmed); a second one ends the process at once."""
    loop = asyncio.get_running_loop()

    def interrupted(sig: signal.Signals) -> None:
        pool.interrupt(f"interrupted by {sig.name}: the messages on their way were finished and recorded")
        loop.remove_signal_handler(sig)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, interrupted, sig)
            installed.append(sig)
    try:
        return await pool.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


@dataclass
class _Recipient:
    name: str
    before: str | None  # the log's status before this run
    msg_id: str = ""


class _Delivery:
    """The pool's work: the store's active subscribers not yet sent to, streamed in batches; each message made
    as it goes; every outcome in the send log the moment it is known."""

    def __init__(self, show: Show, guid: str, edition: Edition, store: Store, log: SendLog, report: SendReport,
                 retry_refused: bool, pacer: AdaptiveRate, on_progress: Callable[[SendProgress], None] | None):
        self.show, self.guid, self.edition, self.store, self.log = show, guid, edition, store, log
        self.report, self.retry_refused, self.pacer = report, retry_refused, pacer
        self.slug = report.episode
        self.on_progress = on_progress
        self.done = 0
        self._shown = 0.0
        self._samples: collections.deque = collections.deque(maxlen=12)  # (time, sent) twice a second
        self._stream = self._unsent()

    def fresh(self) -> Job | None:
        return next(self._stream, None)

    def _unsent(self) -> Iterator[Job]:
        batch: list[tuple[str, str]] = []
        for row in self.store.active():
            batch.append(row)
            if len(batch) == BATCH:
                yield from self._jobs(batch)
                batch = []
        yield from self._jobs(batch)

    def _jobs(self, batch: list[tuple[str, str]]) -> Iterator[Job]:
        known = self.log.statuses_of(self.slug, [email for email, _ in batch]) if batch else {}
        for email, name in batch:
            before, reason = known.get(email, (None, ""))
            if before == "accepted":
                self.report.already += 1
                self._tick()
            elif before == "refused" and not self.retry_refused:
                self.report.refused_before.append((email, reason))
                self._tick()
            else:
                yield Job(email, _Recipient(name, before))

    def prepare(self, job: Job) -> bytes | None:
        if self.store.status(job.to) != "active":  # unsubscribed while this run was going
            self.report.left_list += 1
            self._tick()
            return None
        job.item.msg_id = message_id(self.show, self.guid, job.to)
        return self.edition.message(job.to, job.item.name, job.item.msg_id)

    def claim(self, job: Job) -> None:
        self.log.claim(self.slug, job.to, job.item.msg_id)

    def settle(self, job: Job, outcome: Outcome, final: bool) -> None:
        report = self.report
        if outcome.accepted:
            self.log.accepted(self.slug, job.to)
            report.sent += 1
            report.resent_unsure += job.item.before == "sending"
        elif outcome.status == "refused":
            self.log.refused(self.slug, job.to, outcome.code, outcome.reason)
            report.refused.append((job.to, outcome.reason))
        else:
            self.log.deferred(self.slug, job.to, outcome.code, outcome.reason)
            if final:
                report.deferred.append((job.to, outcome.reason))
        if final:
            self._tick()

    def server_refused(self, jobs: list[Job], reason: str) -> None:
        """These refusals were the server refusing everything: deferred for the next run, not refused."""
        who = {job.to for job in jobs}
        for job in jobs:
            self.log.deferred(self.slug, job.to, job.last.code if job.last else None,
                              f"server refused every message: {reason}")
        report = self.report
        counted = {a for a, _ in report.refused} | {a for a, _ in report.deferred}
        report.refused = [(a, r) for a, r in report.refused if a not in who]
        report.deferred = [(a, r) for a, r in report.deferred if a not in who] + [(j.to, reason) for j in jobs]
        for job in jobs:
            if job.to not in counted:
                self._tick()

    def _tick(self) -> None:
        self.done += 1
        if self.on_progress is None:
            return
        now = time.monotonic()
        if now - self._shown < 0.1 and self.done < self.report.recipients:  # ten updates a second are plenty
            return
        self._shown = now
        if not self._samples or now - self._samples[-1][0] >= 0.5:
            self._samples.append((now, self.report.sent))
        t0, sent0 = self._samples[0]
        rate = (self.report.sent - sent0) / (now - t0) if now - t0 > 0.2 else 0.0
        self.on_progress(SendProgress(self.done, self.report.recipients, self.report.sent, rate, self.pacer.rate))


def _dry_recipients(show: Show, subs: list[Subscriber], report: SendReport) -> Iterator[Subscriber]:
    """Who a real run would mail: the store's active subscribers plus the list's new addresses; writes nothing."""
    path = show.path(show.subscribers.db)
    if not path.is_file():
        yield from subs
        return
    with contextlib.closing(Store(path)) as store:
        known: set[str] = set()
        for email, name in store.active():
            known.add(email)
            yield Subscriber(email, name)
        for s in subs:
            if s.key in known:
                continue
            st = store.status(s.key)
            if st is None and not store.is_erased(s.key):
                yield s
            elif st in ("unsubscribed", "bounced", "complained") or st is None:
                report.suppressed += 1


def _read_statuses(log_path: Path, slug: str) -> dict[str, str]:
    if not log_path.is_file():
        return {}
    log = SendLog(log_path)
    try:
        return log.statuses(slug)
    finally:
        log.close()
