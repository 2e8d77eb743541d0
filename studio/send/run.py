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

Only a current build is sent: when the script, show.toml, a template or a file they name
changed since the build (the build fingerprint says so), the send stops before anything
goes, unless asked to build first (`build=True`, `studio send --build`). Each delivery
records the text it carried; a recipient whose copy had other text (an edition sent before
a correction) is mailed the current one only on request (`resend_corrected=True`,
`studio send --resend-corrected`), as a new edition of the episode in the send log.

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

from studio.build.current import build_state, script_of
from studio.build.episode import build_episode
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.core.progress import Reporter, shown_path
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
from studio.send.edition import SENTINEL, Edition, content_id
from studio.send.log import History, SendLog, read_history
from studio.subscribers.listfile import Subscriber, normalize_address, read_subscribers
from studio.subscribers.store import Store, open_store

BATCH = 500  # recipients looked up in the send log at once


class SendError(StudioError):
    """Sending cannot start or cannot go on."""


# ---- what to send ---------------------------------------------------------------------------

CORRECTED = {"zh": "【更正】{subject}"}  # a corrected edition's subject, by language; else:
CORRECTED_DEFAULT = "Corrected: {subject}"


@dataclass
class Built:
    """A built episode to send: its folder, manifest, the script it was built from (None: unknown)."""

    dir: Path
    manifest: Manifest
    script: Path | None
    out: Path


def episode_script(show: Show, episode: str, out: Path) -> Path | None:
    """EPISODE's script: the file it names, or the script a built slug was last built from."""
    path = Path(episode)
    if path.is_file():
        return path
    if not re.fullmatch(r"[\w\u4e00-\u9fff-]+", episode):
        raise SendError("no such episode script, and not an episode slug", episode)
    manifest = read_manifest(OutputLayout(out).episode(episode).manifest)[0]
    return script_of(show, out, episode, manifest) if manifest else None


def locate_built(show: Show, episode: str, out_dir: Path | None = None) -> Built:
    """The build of EPISODE (a script path or a slug) in the output folder; it must be built."""
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
        raise SendError(f"episode {slug!r} is not built yet: run `studio build` on it first "
                        f"(or `studio send {episode} --build`)", files.dir)
    manifest, problem = read_manifest(files.manifest)
    if manifest is None:
        raise SendError(f"cannot use the manifest: {problem}", files.manifest)
    script = path if path.is_file() else script_of(show, out, slug, manifest)
    return Built(files.dir, manifest, script, out)


def stale_problem(show: Show, built: Built, episode: str) -> str | None:
    """Why this build is not the one to send (one line), or None when it is the build of the current text."""
    if built.script is None:
        return (f"cannot tell whether the build of {built.manifest.slug!r} is current: the script it was built from "
                f"is gone; nothing sent (send the script itself: `studio send SCRIPT --build`)")
    state = build_state(built.script, built.out, show)
    if state.current:
        return None
    shown = shown_path(built.script)
    if state.slug and state.slug != built.manifest.slug:  # the script now builds another episode
        return (f"{shown} now builds episode {state.slug!r}, not {built.manifest.slug!r}: nothing sent; "
                f"run `studio build {shown}` and send that")
    return (f"{shown}: {state.reason(shown_path(built.out))}; nothing sent (readers would get the last build's "
            f"text): run `studio build {shown}` first, or `studio send {episode} --build`")


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
    corrected: bool = False  # a corrected edition, only to those whose copy had other text
    content: str = ""  # the id of the text sent (studio.send.edition.content_id)
    earlier: int = 0  # already sent earlier, but a copy with other text (--resend-corrected mails them)
    never: int = 0  # corrected edition: active subscribers who never got the episode (a plain send mails them)
    unrecorded: int = 0  # sent before the log recorded editions: which text they got is unknown
    built: bool = False  # --build built the episode first

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    def lines(self) -> list[str]:
        what = f"a test copy of {self.episode!r}" + (" (corrected edition)" if self.corrected else "")
        if self.test_to:
            return [f"Sent {what} to {self.test_to} (send log untouched)."]
        if self.dry_run:
            shown = ", ".join(self.pending[:5]) + (", …" if len(self.pending) > 5 else "")
            whom = "the corrected edition " if self.corrected else ""
            out = [f"Dry run: would send {whom}{self.subject!r} to {len(self.pending)} of {self.recipients} recipients"
                   + (f": {shown}" if shown else ""),
                   f"  {self.already} already {'have this text' if self.corrected else 'sent'}, "
                   f"{len(self.refused_before)} refused earlier; nothing was sent."]
            if self.suppressed:
                out.append(f"  {self.suppressed} addresses of the list are unsubscribed, bounced or complained: not mailed")
            return out + self._edition_lines() + [f"  a real run would stop: {p}" for p in self.problems]
        if self.corrected:
            out = [f"Episode {self.episode!r}, corrected edition: sent {self.sent} to readers whose copy had other text, "
                   f"{self.already} already have this text, refused {len(self.refused)}, deferred "
                   f"{len(self.deferred)} (of {self.recipients} recipients)."]
        else:
            out = [f"Episode {self.episode!r}: sent {self.sent}, already sent earlier {self.already}, "
                   f"refused {len(self.refused)}, deferred {len(self.deferred)} (of {self.recipients} recipients"
                   + (f", {self.duplicates} duplicate rows ignored" if self.duplicates else "") + ")."]
        if self.built:
            out.insert(0, f"Built {self.episode!r} first (--build).")
        if self.sent or self.retried:
            out.append(f"  sent in {self.duration:.1f} s, {self.rate:.1f} messages/s over {self.connections} "
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
        out += self._edition_lines()
        out += [f"  refused: {a}: {r}" for a, r in self.refused]
        out += [f"  refused in an earlier run (not retried; --retry-refused tries again): {a}: {r}"
                for a, r in self.refused_before]
        out += [f"  deferred (retried by the next run): {a}: {r}" for a, r in self.deferred]
        if self.aborted:
            out.append(f"  stopped early: {self.aborted}; run the same command again to finish")
        return out

    def _edition_lines(self) -> list[str]:
        out = []
        if self.earlier:
            out.append(f"  {self.earlier} of those already sent got an earlier edition with other text: "
                       f"`studio send {self.episode} --resend-corrected` mails them this one (a new edition in the "
                       "send log)")
        if self.never:
            out.append(f"  {self.never} never got this episode: not mailed by --resend-corrected "
                       f"(`studio send {self.episode}` sends it to them)")
        if self.unrecorded:
            out.append(f"  {self.unrecorded} got it before the send log recorded editions: not resent (which text "
                       "they got is unknown)")
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
            "edition": "corrected" if self.corrected else "first", "content": self.content,
            "earlier_edition": self.earlier, "never_sent": self.never, "unrecorded": self.unrecorded,
            "built": self.built,
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
    build: bool = False,
    resend_corrected: bool = False,
    reporter: Reporter | None = None,
) -> SendReport:
    """Send to every `active` subscriber in the store (`--list CSV` is imported into it first); with
    `resend_corrected`, the current edition to the active subscribers whose copy had other text.
    Refuses a build that is not the build of the current script (`build=True` builds it first)."""
    if resend_corrected and list_path is not None:
        raise SendError("--resend-corrected mails the current edition to those who got another one; "
                        "it takes no --list (import with `studio subscribers import CSV`)")
    if test_to is not None:
        address = normalize_address(test_to)
        if address is None:
            raise SendError(f"--test-to: not an email address: {test_to!r}")
    built_first = False
    if build and not dry_run:
        out = Path(out_dir) if out_dir else show.out_dir
        script = episode_script(show, episode, out)
        if script is None:
            raise SendError("--build: the script this episode was built from is gone; give the script's path", episode)
        result = build_episode(script, show, out_dir=out_dir, reporter=reporter or Reporter(quiet=True))
        built_first = result.built
    built = locate_built(show, episode, out_dir)
    manifest, slug = built.manifest, built.manifest.slug
    stale = stale_problem(show, built, episode)
    if stale and not dry_run:
        raise SendError(stale)
    subs, dups = read_subscribers(list_path) if list_path is not None and test_to is None else ([], 0)
    problems = ([stale] if stale else []) + preflight(show)
    log_path = show.path(show.email.send_log)
    report = SendReport(slug, "", 0, dups, dry_run=dry_run, transport=transport_name(show),
                        corrected=resend_corrected, built=built_first)
    subject = corrected_subject(show) if resend_corrected else None

    if dry_run:
        parts = render_email(show, email_context(show, manifest), unsubscribe_url=SENTINEL)
        report.content = content_id(parts)
        report.subject = subject.format(subject=parts.subject) if subject else parts.subject
        history = read_history(log_path, slug)
        for s in _dry_recipients(show, subs, report):
            report.recipients += 1
            if _decide(history.get(s.key), report, resend_corrected, retry_refused, s.email)[0] == "send":
                report.pending.append(s.email)
        report.problems = problems
        return report

    if problems:
        raise SendError(problems[0], show.file)
    edition = Edition(show, email_context(show, manifest), unsubscribe_secret(show), subject=subject)
    report.subject, report.content = edition.subject, edition.content
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


def corrected_subject(show: Show) -> str:
    """The subject of a corrected edition, with `{subject}` for the episode's own."""
    return CORRECTED.get(show.language.split("-")[0].lower(), CORRECTED_DEFAULT)


def _decide(h: History | None, report: SendReport, corrected: bool, retry_refused: bool,
            email: str) -> tuple[str, int]:
    """What to do with one active subscriber, given what the log knows: ("send", edition) or ("skip", 0),
    counting the skipped ones in the report."""
    if not corrected:
        status = h.status if h else None
        if status == "accepted":
            report.already += 1
            report.earlier += h.got is not None and h.got != report.content
            return "skip", 0
        if status == "refused" and not retry_refused:
            report.refused_before.append((email, h.reason))
            return "skip", 0
        return "send", 1
    if h is None or not h.got_edition:
        report.never += 1
    elif h.got is None:
        report.unrecorded += 1
    elif h.got == report.content:
        report.already += 1
    elif h.open_status == "refused" and not retry_refused:
        report.refused_before.append((email, h.open_reason))
    else:
        return "send", h.open_edition or h.got_edition + 1
    return "skip", 0


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
    before: str | None  # the log's status of this edition before this run
    edition: int = 1
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
            h = known.get(email)
            what, edition = _decide(h, self.report, self.report.corrected, self.retry_refused, email)
            if what == "skip":
                self._tick()
                continue
            before = (h.status if edition == 1 else h.open_status if h.open_edition == edition else None) if h else None
            yield Job(email, _Recipient(name, before, edition))

    def prepare(self, job: Job) -> bytes | None:
        if self.store.status(job.to) != "active":  # unsubscribed while this run was going
            self.report.left_list += 1
            self._tick()
            return None
        n = job.item.edition  # a corrected edition is a new message: its own Message-ID, per text
        seed = (self.guid, job.to) if n == 1 else (self.guid, job.to, f"edition {n}", self.edition.content)
        job.item.msg_id = message_id(self.show, *seed)
        return self.edition.message(job.to, job.item.name, job.item.msg_id)

    def claim(self, job: Job) -> None:
        self.log.claim(self.slug, job.to, job.item.msg_id, job.item.edition, self.edition.content)

    def settle(self, job: Job, outcome: Outcome, final: bool) -> None:
        report = self.report
        n = job.item.edition
        if outcome.accepted:
            self.log.accepted(self.slug, job.to, n)
            report.sent += 1
            report.resent_unsure += job.item.before == "sending"
        elif outcome.status == "refused":
            self.log.refused(self.slug, job.to, outcome.code, outcome.reason, n)
            report.refused.append((job.to, outcome.reason))
        else:
            self.log.deferred(self.slug, job.to, outcome.code, outcome.reason, n)
            if final:
                report.deferred.append((job.to, outcome.reason))
        if final:
            self._tick()

    def server_refused(self, jobs: list[Job], reason: str) -> None:
        """These refusals were the server refusing everything: deferred for the next run, not refused."""
        who = {job.to for job in jobs}
        for job in jobs:
            self.log.deferred(self.slug, job.to, job.last.code if job.last else None,
                              f"server refused every message: {reason}", job.item.edition)
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
