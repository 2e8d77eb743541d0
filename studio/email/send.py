"""studio send: deliver a built episode's email to every active subscriber of the store over SMTP.

Exactly once per (episode, recipient): each recipient is marked `sending` in the
send log before its message goes and `accepted` as soon as the server answers
250 to it, one commit each. A run killed between two messages resumes where it
stopped. The one ambiguous case is a kill (or a dropped connection) after the
server accepted a message but before the mark was committed, a window of
milliseconds: the next run sends that one message again, with the same
Message-ID, which mail stores treat as a duplicate. A lock on the send log
keeps two runs from sending the same list at once. A run of identical refusals
(smtp.stop_after_refusals) is the server saying no to everything: the run stops
and leaves the rest unsent for the next run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import html as htmlmod
import json
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from studio.core import tokens
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.email.context import email_context
from studio.email.message import build_message, message_id, sender, to_address
from studio.email.render import EmailParts, render_email, unsubscribe_mailbox
from studio.email.sendlog import SendLog
from studio.ingest import read_episode
from studio.subscribers.listfile import Subscriber, normalize_address, read_subscribers
from studio.subscribers.store import Store, open_store

SENTINEL = "https://unsubscribe.invalid/studio-personal-link"


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


class Edition:
    """The episode's email, rendered once, personalised per recipient."""

    def __init__(self, show: Show, manifest: Manifest, secret: str):
        self.show, self.manifest, self.secret = show, manifest, secret
        self.parts: EmailParts = render_email(show, email_context(show, manifest), unsubscribe_url=SENTINEL)
        self.mailbox = unsubscribe_mailbox(show)

    @property
    def subject(self) -> str:
        return self.parts.subject

    def message(self, sub: Subscriber, msg_id: str) -> bytes:
        token = tokens.sign(sub.email, self.secret)
        https = tokens.unsubscribe_link(self.show.unsubscribe_url, token)
        msg = build_message(
            self.show,
            subject=self.parts.subject,
            text=self.parts.text.replace(SENTINEL, https),
            html=self.parts.html.replace(SENTINEL, htmlmod.escape(https)),
            to=to_address(sub.email, sub.name),
            msg_id=msg_id,
            date=dt.datetime.now(dt.timezone.utc),
            unsubscribe_https=https,
            unsubscribe_mailto=tokens.unsubscribe_mailto(self.mailbox, token),
        )
        return msg.as_bytes()


# ---- SMTP -----------------------------------------------------------------------------------

@dataclass
class Outcome:
    status: str  # accepted | refused | deferred
    code: int | None = None
    reason: str = ""


class ConnectionLost(Exception):
    pass


class Mailer:
    def __init__(self, show: Show, password: str):
        self.cfg, self.password, self.show_file = show.smtp, password, show.file
        self.smtp: smtplib.SMTP | None = None

    @property
    def port(self) -> int:
        return self.cfg.port or {"starttls": 587, "ssl": 465, "none": 25}[self.cfg.security]

    def connect(self) -> None:
        cfg, where = self.cfg, f"{self.cfg.host}:{self.port}"
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, self.port, timeout=cfg.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(cfg.host, self.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise SendError(f"SMTP server {where} does not offer STARTTLS (smtp.security)", self.show_file)
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, self.password)
        except smtplib.SMTPAuthenticationError as e:
            raise SendError(f"SMTP login as {cfg.user!r} refused by {where}: {e.smtp_code} {_text(e.smtp_error)}", self.show_file) from None
        except ssl.SSLError as e:
            raise SendError(f"TLS with SMTP server {where} failed: {e.reason or e}", self.show_file) from None
        except (OSError, smtplib.SMTPException) as e:
            raise SendError(f"cannot connect to SMTP server {where}: {e}", self.show_file) from None
        self.smtp = smtp

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(Exception):
                self.smtp.quit()
            self.smtp = None

    def deliver(self, envelope_from: str, to: str, data: bytes) -> Outcome:
        """Send one message; reconnect once if the connection drops."""
        for attempt in (1, 2):
            try:
                if self.smtp is None:
                    try:
                        self.connect()
                    except SendError as e:
                        raise ConnectionLost(e.message) from None
                self.smtp.sendmail(envelope_from, [to], data)
                return Outcome("accepted")
            except smtplib.SMTPRecipientsRefused as e:
                code, reason = next(iter(e.recipients.values()))
                return _refusal(code, reason)
            except smtplib.SMTPDataError as e:
                return _refusal(e.smtp_code, e.smtp_error)
            except smtplib.SMTPSenderRefused as e:
                if 400 <= e.smtp_code < 500:  # e.g. 421/451 throttling: try this one again next run
                    return _refusal(e.smtp_code, e.smtp_error)
                raise SendError(f"the SMTP server refuses the sender {envelope_from}: {e.smtp_code} {_text(e.smtp_error)}", self.show_file) from None
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as e:
                self.smtp = None
                if attempt == 2:
                    raise ConnectionLost(f"{e}") from None
        raise AssertionError("unreachable")


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).replace("\n", " ").strip()


def _refusal(code: int, reply: bytes | str) -> Outcome:
    return Outcome("deferred" if 400 <= code < 500 else "refused", code, f"{code} {_text(reply)}")


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
    sent: list[str] = field(default_factory=list)
    already: int = 0
    resent_unsure: list[str] = field(default_factory=list)
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
        out = [f"Episode {self.episode!r}: sent {len(self.sent)}, already sent earlier {self.already}, "
               f"refused {len(self.refused)}, deferred {len(self.deferred)} (of {self.recipients} recipients"
               + (f", {self.duplicates} duplicate rows ignored" if self.duplicates else "") + ")."]
        if self.suppressed:
            out.append(f"  {self.suppressed} addresses of the list are unsubscribed, bounced or complained: not mailed")
        if self.left_list:
            out.append(f"  {self.left_list} unsubscribed while the run was going: not mailed")
        if self.resent_unsure:
            out.append(f"  resent {len(self.resent_unsure)} whose delivery an interrupted run left unconfirmed "
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
            "sent": len(self.sent), "already": self.already, "resent_unconfirmed": len(self.resent_unsure),
            "refused": [{"to": a, "reason": r} for a, r in self.refused],
            "refused_before": [{"to": a, "reason": r} for a, r in self.refused_before],
            "deferred": [{"to": a, "reason": r} for a, r in self.deferred],
            "would_send": len(self.pending) if self.dry_run else None,
            "dry_run": self.dry_run, "test_to": self.test_to, "aborted": self.aborted, "problems": self.problems,
            "server_refusal": self.server_refusal, "suppressed": self.suppressed, "left_list": self.left_list,
        }


def preflight(show: Show) -> list[str]:
    """What stops a real send, as one-line problems (empty when ready)."""
    problems = []
    if not show.smtp.host:
        problems.append("SMTP is not configured: set host (and port, security, user) in the [smtp] section")
    elif show.smtp.user and not os.environ.get(show.smtp.password_env):
        problems.append(f"the SMTP password is not set: put it in the environment variable {show.smtp.password_env} (smtp.password_env)")
    if not show.unsubscribe_url:
        problems.append("no one-click unsubscribe endpoint: set unsubscribe_url (https) in the [email] section")
    if not os.environ.get(show.email.secret_env):
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
    out_dir: Path | None = None,
    on_progress: Callable[[str, str], None] | None = None,
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
    report = SendReport(slug, "", 0, dups, dry_run=dry_run)

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
    edition = Edition(show, manifest, os.environ[show.email.secret_env])
    report.subject = edition.subject
    mailer = Mailer(show, os.environ.get(show.smtp.password_env, ""))
    envelope_from = sender(show).addr_spec
    pacer = _Pacer(rate or show.smtp.rate)
    progress = on_progress or (lambda who, what: None)

    if test_to is not None:
        from email.utils import make_msgid

        data = edition.message(Subscriber(address), make_msgid("test", sender(show).domain))
        try:
            outcome = mailer.deliver(envelope_from, address, data)
        except ConnectionLost as e:
            raise SendError(f"lost the connection to the SMTP server: {e}", show.file) from None
        finally:
            mailer.close()
        if outcome.status != "accepted":
            raise SendError(f"the SMTP server refused {address}: {outcome.reason}")
        report.test_to = address
        return report

    with exclusive(log_path.with_name(log_path.name + ".lock")), contextlib.closing(open_store(show)) as store:
        if subs:
            imported = store.import_rows(((s.email, s.name) for s in subs), f"send-list:{Path(list_path).name}")
            report.suppressed = imported.suppressed + imported.erased
        report.recipients = store.stats()["active"]
        if not report.recipients:
            raise SendError("no active subscribers: import a list with `studio subscribers import CSV` "
                            "(or give --list CSV), or let readers subscribe through `studio listen`",
                            store.path)
        log = SendLog(log_path)
        run = _RefusalRun(show.smtp.stop_after_refusals)
        try:
            statuses = log.statuses(slug)
            for email, name in store.active():
                sub = Subscriber(email, name)
                st = statuses.get(sub.key)
                if st == "accepted":
                    report.already += 1
                    continue
                if st == "refused" and not retry_refused:
                    report.refused_before.append((sub.email, (log.row(slug, sub.key) or {}).get("reason") or ""))
                    continue
                msg_id = message_id(show, manifest.guid, sub.key)
                data = edition.message(sub, msg_id)
                pacer.wait()
                if store.status(sub.email) != "active":  # unsubscribed while this run was going
                    report.left_list += 1
                    continue
                if mailer.smtp is None:
                    mailer.connect()  # a bad login or server stops the run before anything is claimed
                log.claim(slug, sub.key, msg_id)
                try:
                    outcome = mailer.deliver(envelope_from, sub.email, data)
                except ConnectionLost as e:
                    log.deferred(slug, sub.key, None, f"connection lost: {e}")
                    report.deferred.append((sub.email, f"connection lost: {e}"))
                    report.aborted = f"lost the connection to the SMTP server ({e})"
                    break
                except SendError as e:
                    log.deferred(slug, sub.key, None, e.message)
                    raise
                if outcome.status == "accepted":
                    log.accepted(slug, sub.key)
                    report.sent.append(sub.email)
                    if st == "sending":
                        report.resent_unsure.append(sub.email)
                elif outcome.status == "refused":
                    log.refused(slug, sub.key, outcome.code, outcome.reason)
                    report.refused.append((sub.email, outcome.reason))
                else:
                    log.deferred(slug, sub.key, outcome.code, outcome.reason)
                    report.deferred.append((sub.email, outcome.reason))
                progress(sub.email, outcome.status)
                if run.add(sub.email, outcome):
                    _stop_for_server(report, log, slug, run)
                    break
        finally:
            mailer.close()
            log.close()
    return report


class _RefusalRun:
    """Consecutive refusals with the very same reply: the server, not the recipients, is saying no."""

    def __init__(self, limit: int):
        self.limit, self.reason, self.who = limit, "", []

    def add(self, email: str, outcome: Outcome) -> bool:
        if outcome.status == "accepted":
            self.reason, self.who = "", []
            return False
        if outcome.reason != self.reason:
            self.reason, self.who = outcome.reason, []
        self.who.append((email, outcome.code))
        return len(self.who) >= self.limit


def _stop_for_server(report: SendReport, log: SendLog, slug: str, run: _RefusalRun) -> None:
    """The run's refusals were the server's problem: log them as deferred (the next run retries them) and stop."""
    who = {email for email, _ in run.who}
    for email, code in run.who:
        log.deferred(slug, email.lower(), code, f"server refused every message: {run.reason}")
    report.refused = [(a, r) for a, r in report.refused if a not in who]
    report.deferred = [(a, r) for a, r in report.deferred if a not in who] + [(a, run.reason) for a, _ in run.who]
    report.server_refusal = run.reason
    report.aborted = (f"the SMTP server refused {len(run.who)} messages in a row with the same reply: {run.reason}; "
                      "the rest were left unsent")


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


class _Pacer:
    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next:
            time.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval
