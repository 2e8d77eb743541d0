"""The send log: one SQLite row per (episode, recipient), committed as each message goes.

States: `sending` (claimed, in flight), `accepted` (the server took it: never
sent again in that edition), `refused` (permanent 5xx: not retried), `deferred` (temporary
failure: retried later in the same run, or by the next run). A row left in
`sending` means the run was killed while that message was in flight; the next
run sends it again with the same Message-ID (see studio.send.run).

Editions: each row also records which text the recipient got (`content`, a hash of the
rendered subject, plain text and HTML) and which `edition` of the episode it was: 1 for the
first delivery, 2, 3… for corrected copies that `studio send --resend-corrected` mails to
those whose last accepted copy had other content. A log written before editions were
recorded is migrated when it is opened: its rows become edition 1 with unknown content.

Each mark is its own commit, written to the WAL at once (it survives a kill -9 of
the process the moment the call returns); the WAL is fsync'd by a background
thread at most SYNC_EVERY seconds later (a power cut loses at most that much),
instead of one 2.5 ms fsync per mark, which a few hundred messages a second
cannot afford.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    episode    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    edition    INTEGER NOT NULL DEFAULT 1,
    status     TEXT NOT NULL CHECK (status IN ('sending', 'accepted', 'refused', 'deferred')),
    message_id TEXT,
    code       INTEGER,
    reason     TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    content    TEXT,
    PRIMARY KEY (episode, recipient, edition)
)
"""
_V1_COLUMNS = "episode, recipient, status, message_id, code, reason, attempts, updated_at"
SYNC_EVERY = 0.25  # seconds


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class SendLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # commits reach the WAL at once; _sync_loop makes them durable
        self._create()
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="sendlog-sync", daemon=True)
        self._syncer.start()

    def _create(self) -> None:
        """The table; a log from before editions (one row per episode and recipient) is migrated in one transaction."""
        columns = [r[1] for r in self.db.execute("PRAGMA table_info(deliveries)")]
        if not columns or "edition" in columns:
            self.db.execute(LOG_SCHEMA)
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("ALTER TABLE deliveries RENAME TO deliveries_v1")
            self.db.execute(LOG_SCHEMA)
            self.db.execute(f"INSERT INTO deliveries ({_V1_COLUMNS}) SELECT {_V1_COLUMNS} FROM deliveries_v1")
            self.db.execute("DROP TABLE deliveries_v1")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _sync_loop(self) -> None:
        wal = str(self.path) + "-wal"
        while not self._closed.is_set():
            self._dirty.wait()
            self._closed.wait(SYNC_EVERY)
            self._dirty.clear()
            self._fsync(wal)

    @staticmethod
    def _fsync(path: str) -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        self._closed.set()
        self._dirty.set()
        self._syncer.join()
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # syncs the WAL and the database
        self.db.close()

    def statuses(self, episode: str, edition: int = 1) -> dict[str, str]:
        rows = self.db.execute("SELECT recipient, status FROM deliveries WHERE episode = ? AND edition = ?",
                               (episode, edition))
        return dict(rows.fetchall())

    def statuses_of(self, episode: str, recipients: list[str]) -> dict[str, "History"]:
        """What the log knows of these recipients (at most 500) for this episode, every edition."""
        marks = ",".join("?" * len(recipients))
        return self._histories(f"AND recipient IN ({marks})", (episode, *recipients))

    def _histories(self, where: str, args: tuple) -> dict[str, "History"]:
        return _histories(self.db.execute(
            "SELECT recipient, edition, status, COALESCE(reason, ''), content FROM deliveries "
            f"WHERE episode = ? {where} ORDER BY edition", args))

    def row(self, episode: str, recipient: str, edition: int = 1) -> dict | None:
        cur = self.db.execute(
            "SELECT status, message_id, code, reason, attempts, content FROM deliveries "
            "WHERE episode = ? AND recipient = ? AND edition = ?", (episode, recipient, edition))
        r = cur.fetchone()
        return dict(zip(("status", "message_id", "code", "reason", "attempts", "content"), r)) if r else None

    def _set(self, episode: str, recipient: str, status: str, message_id: str | None = None,
             code: int | None = None, reason: str | None = None, attempt: int = 0, edition: int = 1,
             content: str | None = None) -> None:
        self.db.execute(
            """INSERT INTO deliveries (episode, recipient, edition, status, message_id, code, reason, attempts,
                                       updated_at, content)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (episode, recipient, edition) DO UPDATE SET
                 status = excluded.status, message_id = COALESCE(excluded.message_id, message_id),
                 code = excluded.code, reason = excluded.reason,
                 attempts = attempts + excluded.attempts, updated_at = excluded.updated_at,
                 content = COALESCE(excluded.content, content)""",
            (episode, recipient, edition, status, message_id, code, reason, attempt, _now(), content),
        )
        self._dirty.set()

    def claim(self, episode: str, recipient: str, message_id: str, edition: int = 1, content: str | None = None) -> None:
        """The message is on its way: `edition` of the episode, whose text hashes to `content`."""
        self._set(episode, recipient, "sending", message_id, attempt=1, edition=edition, content=content)

    def accepted(self, episode: str, recipient: str, edition: int = 1) -> None:
        self._set(episode, recipient, "accepted", edition=edition)

    def refused(self, episode: str, recipient: str, code: int | None, reason: str, edition: int = 1) -> None:
        self._set(episode, recipient, "refused", code=code, reason=reason, edition=edition)

    def deferred(self, episode: str, recipient: str, code: int | None, reason: str, edition: int = 1) -> None:
        self._set(episode, recipient, "deferred", code=code, reason=reason, edition=edition)


def read_history(path: Path, episode: str) -> dict[str, "History"]:
    """Every recipient's history of this episode, read without writing anything (a dry run's view; a log
    from before editions is read as it is)."""
    if not Path(path).is_file():
        return {}
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(deliveries)")]
        if not columns:
            return {}
        edition, content = ("edition", "content") if "edition" in columns else ("1", "NULL")
        return _histories(db.execute(f"SELECT recipient, {edition}, status, COALESCE(reason, ''), {content} "
                                     f"FROM deliveries WHERE episode = ? ORDER BY {edition}", (episode,)))
    finally:
        db.close()


def _histories(rows) -> dict[str, "History"]:
    known: dict[str, History] = {}
    for recipient, edition, status, reason, content in rows:
        known.setdefault(recipient, History()).add(edition, status, reason, content)
    return known


@dataclass
class History:
    """One recipient's deliveries of one episode (rows added in edition order)."""

    status: str | None = None  # of edition 1, the first delivery: sending | accepted | refused | deferred
    reason: str = ""
    got: str | None = None  # the content of the last accepted edition (None: unknown, or none accepted)
    got_edition: int = 0  # the last accepted edition (0: none)
    open_edition: int = 0  # a later edition claimed but not accepted: the next resend finishes it
    open_status: str | None = None
    open_reason: str = ""

    def add(self, edition: int, status: str, reason: str, content: str | None) -> None:
        if edition == 1:
            self.status, self.reason = status, reason
        if status == "accepted":
            self.got, self.got_edition = content, edition
            self.open_edition, self.open_status, self.open_reason = 0, None, ""
        elif edition > 1:
            self.open_edition, self.open_status, self.open_reason = edition, status, reason
