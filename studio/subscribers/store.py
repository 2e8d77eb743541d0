"""The subscriber store: one SQLite file at the show root (WAL, one transaction per change).

Lifecycle (as in listmonk: an address that said no stays suppressed):

    (form) -> pending --confirm--> active --unsubscribe--> unsubscribed
                                      |--hard bounce / soft bounces--> bounced
                                      |--spam complaint carrying our token--> complained
                                      '--any other complaint--> held (the host reviews: restore, or leave it)

`import` and `add` create `active` subscribers (the host vouches for their
consent, recorded as such) but never change an existing address: an
unsubscribed, bounced, complained or held address stays suppressed, and an erased
one (`remove --erase`, kept only as a SHA-256 of the address) is not imported
again. Only the subscriber can come back, through the form's double opt-in
(unsubscribed, held and erased addresses; bounced and complained ones stay out).

A subscribe request changes nothing about a known address: it is kept in
`requests` (its name and IP, and whether its confirmation mail went out) until
the confirmation link of that very request is used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from studio.core.errors import StudioError

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained", "held")
SUPPRESSED = ("unsubscribed", "bounced", "complained", "held")
STORE_SCHEMA_VERSION = 1  # 1: status 'held', column held_from, table requests
SENDING_SECONDS = 120.0  # a confirmation mail being sent holds the resend window this long at most

SUBSCRIBERS_TABLE = """
CREATE TABLE IF NOT EXISTS subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,          -- normalised: IDNA domain, lower case
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained',
                                                    'held')),
    source          TEXT NOT NULL,                 -- form | import:<file> | add | send-list:<file> | unsubscribe
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    consent_at      TEXT,                          -- when consent was given (confirmation or import)
    consent_method  TEXT,                          -- double-opt-in | import | add
    consent_ip      TEXT,                          -- IP of the subscribe request and of the confirmation
    consent_detail  TEXT,                          -- e.g. the imported file
    confirm_sent_at TEXT,
    soft_bounces    INTEGER NOT NULL DEFAULT 0,
    status_reason   TEXT,
    held_from       TEXT                           -- the status before an unverified complaint held it
)"""
STORE_SCHEMA = SUBSCRIBERS_TABLE + """;
CREATE INDEX IF NOT EXISTS subscribers_status ON subscribers (status, id);
CREATE TABLE IF NOT EXISTS events (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,                   -- subscribe | confirm | unsubscribe | bounce-hard | ...
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_subscriber ON events (subscriber_id);
CREATE TABLE IF NOT EXISTS erased (sha256 TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (message_key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    email         TEXT NOT NULL,
    expires       INTEGER NOT NULL,                -- unix seconds: the expiry its confirmation token carries
    name          TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    requested_at  TEXT NOT NULL,
    mail          TEXT NOT NULL DEFAULT 'sending', -- sending | sent | failed
    mail_at       REAL NOT NULL,                   -- unix seconds of the last change of `mail`
    PRIMARY KEY (email, expires)
);
"""

STORE_COLUMNS = ("email", "name", "status", "source", "created_at", "updated_at", "consent_at", "consent_method",
           "consent_ip", "consent_detail", "soft_bounces", "status_reason")


class StoreError(StudioError):
    """The subscriber store cannot be opened or refuses a change."""


@dataclass
class ImportResult:
    added: int = 0
    existing: int = 0
    suppressed: int = 0  # unsubscribed, bounced, complained: left as they are
    erased: int = 0  # erased earlier on request: not imported again
    duplicates: int = 0


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def erased_key(email: str) -> str:
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self.transaction():
                for statement in _statements():
                    self.db.execute(statement)
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open the subscriber store: {e}", self.path) from None

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """A store made by an older Studio gets the 'held' status and held_from (the table is rebuilt:
        SQLite cannot change a CHECK constraint in place). Foreign keys are off meanwhile, so the
        events survive the rebuild."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= STORE_SCHEMA_VERSION:
            return
        self.db.execute("PRAGMA foreign_keys=OFF")
        try:
            with self.transaction() as db:
                if db.execute("PRAGMA user_version").fetchone()[0] >= STORE_SCHEMA_VERSION:
                    return  # another process did it meanwhile
                sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'subscribers'").fetchone()[0]
                if "'held'" not in sql:
                    old = [r[1] for r in db.execute("PRAGMA table_info(subscribers)")]
                    db.execute(SUBSCRIBERS_TABLE.replace("subscribers (", "subscribers_new (", 1))
                    cols = ", ".join(old)
                    db.execute(f"INSERT INTO subscribers_new ({cols}) SELECT {cols} FROM subscribers")
                    db.execute("DROP TABLE subscribers")
                    db.execute("ALTER TABLE subscribers_new RENAME TO subscribers")
                    db.execute("CREATE INDEX IF NOT EXISTS subscribers_status ON subscribers (status, id)")
                db.execute(f"PRAGMA user_version = {STORE_SCHEMA_VERSION}")
        finally:
            self.db.execute("PRAGMA foreign_keys=ON")

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: one writer at a time, the others wait (busy timeout), all or nothing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- reading --------------------------------------------------------------------------

    def get(self, email: str) -> dict | None:
        row = self.db.execute(f"SELECT {', '.join(STORE_COLUMNS)} FROM subscribers WHERE email = ?", (email.lower(),)).fetchone()
        return dict(zip(STORE_COLUMNS, row)) if row else None

    def status(self, email: str) -> str | None:
        row = self.db.execute("SELECT status FROM subscribers WHERE email = ?", (email.lower(),)).fetchone()
        return row[0] if row else None

    def rows(self, status: str | None = None, email: str | None = None) -> Iterator[dict]:
        """Subscribers in the order they joined, in batches (bounded memory)."""
        last = 0
        while True:
            where, args = "id > ?", [last]
            if status:
                where, args = where + " AND status = ?", args + [status]
            if email:
                where, args = where + " AND email = ?", args + [email.lower()]
            batch = self.db.execute(
                f"SELECT id, {', '.join(STORE_COLUMNS)} FROM subscribers WHERE {where} ORDER BY id LIMIT 2000", args).fetchall()
            if not batch:
                return
            for row in batch:
                yield dict(zip(STORE_COLUMNS, row[1:]))
            last = batch[-1][0]

    def active(self, batch: int = 5000) -> Iterator[tuple[str, str]]:
        """(email, name) of every active subscriber, in id order, `batch` rows per query."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT id, email, name FROM subscribers WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?",
                (last, batch)).fetchall()
            if not rows:
                return
            for _, email, name in rows:
                yield email, name
            last = rows[-1][0]

    def events(self, email: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT e.at, e.kind, e.detail FROM events e JOIN subscribers s ON s.id = e.subscriber_id "
            "WHERE s.email = ? ORDER BY e.id", (email.lower(),)).fetchall()
        return [{"at": a, "kind": k, "detail": d} for a, k, d in rows]

    def stats(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(self.db.execute("SELECT status, COUNT(*) FROM subscribers GROUP BY status").fetchall())
        counts["erased"] = self.db.execute("SELECT COUNT(*) FROM erased").fetchone()[0]
        return counts

    def is_erased(self, email: str) -> bool:
        return self.db.execute("SELECT 1 FROM erased WHERE sha256 = ?", (erased_key(email),)).fetchone() is not None

    # ---- changing -------------------------------------------------------------------------

    def _event(self, db: sqlite3.Connection, email: str, kind: str, detail: str, at: str) -> None:
        db.execute("INSERT INTO events (subscriber_id, at, kind, detail) "
                   "SELECT id, ?, ?, ? FROM subscribers WHERE email = ?", (at, kind, detail, email))

    def import_rows(self, rows: Iterable[tuple[str, str]], source: str, method: str = "import") -> ImportResult:
        """Add (email, name) rows as active; existing and erased addresses are left alone. One transaction."""
        result, at = ImportResult(), now_iso()
        erased = {r[0] for r in self.db.execute("SELECT sha256 FROM erased")}

        def kept() -> Iterator[tuple[str, str]]:
            for email, name in rows:
                email = email.lower()
                if erased and erased_key(email) in erased:
                    result.erased += 1
                    continue
                yield email, name

        suppressed = ", ".join(f"'{s}'" for s in SUPPRESSED)
        with self.transaction() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS incoming (email TEXT PRIMARY KEY, name TEXT NOT NULL)")
            db.execute("DELETE FROM incoming")
            db.executemany("INSERT OR IGNORE INTO incoming (email, name) VALUES (?, ?)", kept())
            for status, count in db.execute(
                    f"SELECT s.status IN ({suppressed}), COUNT(*) FROM incoming i JOIN subscribers s USING (email) "
                    "GROUP BY 1").fetchall():
                if status:
                    result.suppressed = count
                else:
                    result.existing = count
            last = db.execute("SELECT COALESCE(MAX(id), 0) FROM subscribers").fetchone()[0]
            result.added = db.execute(
                "INSERT INTO subscribers (email, name, status, source, created_at, updated_at, consent_at,"
                " consent_method, consent_detail) SELECT email, name, 'active', ?, ?, ?, ?, ?, ? FROM incoming"
                " WHERE email NOT IN (SELECT email FROM subscribers) ORDER BY rowid",
                (source, at, at, at, method, source)).rowcount
            db.execute("INSERT INTO events (subscriber_id, at, kind, detail) SELECT id, ?, ?, ? FROM subscribers"
                       " WHERE id > ?", (at, method, source, last))
            db.execute("DELETE FROM incoming")
        return result

    def request(self, email: str, name: str, ip: str, resend_after: float, expire_after: float) -> int | None:
        """A subscribe request from the form: the expiry (unix seconds) its confirmation token must carry
        when a confirmation mail should go out now, else None. Nothing about a known address changes
        before its confirmation: the request is kept apart (`requests`). At most one confirmation mail per
        address per `resend_after` seconds, counting only mails sent (or being sent), not failed ones.
        Requests never confirmed within `expire_after` seconds are forgotten (no address kept without consent)."""
        email, at, now = email.lower(), now_iso(), time.time()
        with self.transaction() as db:
            self._forget_unconfirmed(db, expire_after)
            row = db.execute("SELECT status FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is not None and row[0] not in ("pending", "unsubscribed", "held"):
                return None  # active: nothing to do; bounced/complained: never mailed again
            recent = db.execute(
                "SELECT 1 FROM requests WHERE email = ? AND ((mail = 'sent' AND mail_at > ?) OR"
                " (mail = 'sending' AND mail_at > ?))", (email, now - resend_after, now - SENDING_SECONDS)).fetchone()
            if recent:
                return None
            expires = int(now + expire_after)
            while db.execute("SELECT 1 FROM requests WHERE email = ? AND expires = ?", (email, expires)).fetchone():
                expires += 1  # two requests in one second: each its own token
            db.execute("INSERT INTO requests (email, expires, name, ip, requested_at, mail, mail_at)"
                       " VALUES (?, ?, ?, ?, ?, 'sending', ?)", (email, expires, name, ip, at, now))
            if row is None:  # a new address is listed as pending until confirmed or forgotten
                db.execute(
                    "INSERT INTO subscribers (email, name, status, source, created_at, updated_at, consent_ip,"
                    " confirm_sent_at) VALUES (?, ?, 'pending', 'form', ?, ?, ?, ?)", (email, name, at, at, ip, at))
                self._event(db, email, "subscribe", f"form from {ip}", at)
            return expires

    def confirmation_mailed(self, email: str, expires: int, sent: bool) -> None:
        """Record whether the confirmation mail of a request went out (a failed one holds no resend window)."""
        with self.transaction() as db:
            db.execute("UPDATE requests SET mail = ?, mail_at = ? WHERE email = ? AND expires = ?",
                       ("sent" if sent else "failed", time.time(), email.lower(), expires))
            if sent:
                db.execute("UPDATE subscribers SET confirm_sent_at = ? WHERE email = ? AND status = 'pending'",
                           (now_iso(), email.lower()))

    def _forget_unconfirmed(self, db: sqlite3.Connection, expire_after: float) -> None:
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=expire_after)).isoformat(timespec="seconds")
        db.execute("DELETE FROM requests WHERE requested_at < ? OR expires < ?", (cutoff, int(time.time())))
        db.execute("DELETE FROM subscribers WHERE status = 'pending' AND consent_at IS NULL AND status_reason IS NULL"
                   " AND confirm_sent_at < ? AND email NOT IN (SELECT email FROM requests)", (cutoff,))

    def confirm(self, email: str, ip: str, expires: int | None = None) -> str | None:
        """The request whose token carries `expires` is confirmed: -> active with the consent record (its
        name only for an address that has none). Returns the status after, None if unknown."""
        email, at = email.lower(), now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT status, consent_ip, name FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is not None and row[0] in ("active", "bounced", "complained"):
                return row[0]
            req = db.execute("SELECT name, ip FROM requests WHERE email = ? AND expires = ?",
                             (email, expires)).fetchone() if expires is not None else None
            if req is None:
                legacy = row is not None and row[0] == "pending" and not db.execute(
                    "SELECT 1 FROM requests WHERE email = ?", (email,)).fetchone()
                if not legacy:  # a link of no request we know: nothing to confirm
                    return row[0] if row else None
                req = (row[2], row[1] or "?")  # a request made before requests were kept apart
            name, request_ip = req
            ips = f"subscribed from {request_ip or '?'}, confirmed from {ip}"
            if row is None:
                db.execute("INSERT INTO subscribers (email, name, status, source, created_at, updated_at)"
                           " VALUES (?, ?, 'pending', 'form', ?, ?)", (email, name, at, at))
            db.execute("UPDATE subscribers SET status = 'active', updated_at = ?, consent_at = ?,"
                       " consent_method = 'double-opt-in', consent_ip = ?, consent_detail = 'confirmation link',"
                       " soft_bounces = 0, status_reason = NULL, held_from = NULL,"
                       " name = CASE WHEN name = '' THEN ? ELSE name END WHERE email = ?", (at, at, ips, name, email))
            self._event(db, email, "confirm", ips, at)
            db.execute("DELETE FROM requests WHERE email = ?", (email,))
            db.execute("DELETE FROM erased WHERE sha256 = ?", (erased_key(email),))  # they came back themselves
            return "active"

    def set_status(self, email: str, status: str, reason: str, source: str = "unsubscribe") -> str:
        """Move an address to a suppressed status; an unknown address is recorded as suppressed too
        (it may come from a list sent before the store existed). Returns the status before ('' if new)."""
        email, at = email.lower(), now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT status FROM subscribers WHERE email = ?", (email,)).fetchone()
            before = row[0] if row else ""
            if before == status or (status == "unsubscribed" and before in ("bounced", "complained")):
                return before
            if row is None:
                db.execute("INSERT INTO subscribers (email, status, source, created_at, updated_at, status_reason)"
                           " VALUES (?, ?, ?, ?, ?, ?)", (email, status, source, at, at, reason))
            else:
                db.execute("UPDATE subscribers SET status = ?, updated_at = ?, status_reason = ? WHERE email = ?",
                           (status, at, reason, email))
            self._event(db, email, status, reason, at)
            return before

    def soft_bounce(self, email: str, reason: str, limit: int) -> tuple[int, bool]:
        """Count a soft bounce of a known address; at `limit` it becomes bounced. (count, suppressed now)."""
        email, at = email.lower(), now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT status, soft_bounces FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is None:
                return 0, False
            count = row[1] + 1
            suppress = count >= limit and row[0] in ("active", "pending")
            db.execute("UPDATE subscribers SET soft_bounces = ?, updated_at = ?"
                       + (", status = 'bounced', status_reason = ?" if suppress else "") + " WHERE email = ?",
                       (count, at, *([f"{count} soft bounces, last: {reason}"] if suppress else []), email))
            self._event(db, email, "bounce-soft", reason, at)
            if suppress:
                self._event(db, email, "bounced", f"{count} soft bounces", at)
            return count, suppress

    def hold(self, email: str, reason: str) -> str | None:
        """An unverified complaint: a known address is not mailed until the host reviews it (`restore`).
        Returns the status before; None for an address the store does not have (nothing is added)."""
        email, at = email.lower(), now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT status FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is None:
                return None
            if row[0] in ("active", "pending"):
                db.execute("UPDATE subscribers SET status = 'held', held_from = ?, updated_at = ?, status_reason = ?"
                           " WHERE email = ?", (row[0], at, reason, email))
            self._event(db, email, "held", reason, at)  # logged even when already suppressed
            return row[0]

    def restore(self, email: str) -> str | None:
        """held -> the status it had before the complaint; returns it (None when the address is not held)."""
        email, at = email.lower(), now_iso()
        with self.transaction() as db:
            row = db.execute("SELECT status, held_from FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is None or row[0] != "held":
                return None
            back = row[1] if row[1] in ("active", "pending") else "active"
            db.execute("UPDATE subscribers SET status = ?, held_from = NULL, status_reason = NULL, updated_at = ?"
                       " WHERE email = ?", (back, at, email))
            self._event(db, email, "restored", f"held -> {back} by the host", at)
            return back

    def erase(self, email: str) -> bool:
        """GDPR erasure: the row and its events go; only a SHA-256 of the address stays, so imports skip it."""
        email = email.lower()
        with self.transaction() as db:
            cur = db.execute("DELETE FROM subscribers WHERE email = ?", (email,))
            db.execute("INSERT OR IGNORE INTO erased (sha256, at) VALUES (?, ?)", (erased_key(email), now_iso()))
            return cur.rowcount > 0

    def report_seen(self, key: str) -> bool:
        """Whether a bounce/complaint message was processed before."""
        return self.db.execute("SELECT 1 FROM reports WHERE message_key = ?", (key,)).fetchone() is not None

    def mark_report(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO reports (message_key, at) VALUES (?, ?)", (key, now_iso()))


def _statements() -> list[str]:
    return [s.strip() for s in STORE_SCHEMA.split(";") if s.strip()]


def _age(iso: str) -> float:
    try:
        return (dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(iso)).total_seconds()
    except ValueError:
        return float("inf")


def open_store(show) -> Store:
    return Store(show.path(show.subscribers.db))
