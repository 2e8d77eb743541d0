"""The send log: one SQLite row per (episode, recipient), committed as each message goes.

States: `sending` (claimed, in flight), `accepted` (the server took it: never
sent again), `refused` (permanent 5xx: not retried), `deferred` (temporary
failure: retried later in the same run, or by the next run). A row left in
`sending` means the run was killed while that message was in flight; the next
run sends it again with the same Message-ID (see studio.send.run).

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
from pathlib import Path

LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    episode    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('sending', 'accepted', 'refused', 'deferred')),
    message_id TEXT,
    code       INTEGER,
    reason     TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (episode, recipient)
)
"""
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
        self.db.execute(LOG_SCHEMA)
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, name="sendlog-sync", daemon=True)
        self._syncer.start()

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

    def statuses(self, episode: str) -> dict[str, str]:
        rows = self.db.execute("SELECT recipient, status FROM deliveries WHERE episode = ?", (episode,))
        return dict(rows.fetchall())

    def statuses_of(self, episode: str, recipients: list[str]) -> dict[str, tuple[str, str]]:
        """(status, reason) of these recipients (at most 500) that the log knows."""
        marks = ",".join("?" * len(recipients))
        rows = self.db.execute(f"SELECT recipient, status, COALESCE(reason, '') FROM deliveries "
                               f"WHERE episode = ? AND recipient IN ({marks})", (episode, *recipients))
        return {r: (st, reason) for r, st, reason in rows}

    def row(self, episode: str, recipient: str) -> dict | None:
        cur = self.db.execute(
            "SELECT status, message_id, code, reason, attempts FROM deliveries WHERE episode = ? AND recipient = ?",
            (episode, recipient),
        )
        r = cur.fetchone()
        return dict(zip(("status", "message_id", "code", "reason", "attempts"), r)) if r else None

    def _set(self, episode: str, recipient: str, status: str, message_id: str | None = None,
             code: int | None = None, reason: str | None = None, attempt: int = 0) -> None:
        self.db.execute(
            """INSERT INTO deliveries (episode, recipient, status, message_id, code, reason, attempts, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (episode, recipient) DO UPDATE SET
                 status = excluded.status, message_id = COALESCE(excluded.message_id, message_id),
                 code = excluded.code, reason = excluded.reason,
                 attempts = attempts + excluded.attempts, updated_at = excluded.updated_at""",
            (episode, recipient, status, message_id, code, reason, attempt, _now()),
        )
        self._dirty.set()

    def claim(self, episode: str, recipient: str, message_id: str) -> None:
        self._set(episode, recipient, "sending", message_id, attempt=1)

    def accepted(self, episode: str, recipient: str) -> None:
        self._set(episode, recipient, "accepted")

    def refused(self, episode: str, recipient: str, code: int | None, reason: str) -> None:
        self._set(episode, recipient, "refused", code=code, reason=reason)

    def deferred(self, episode: str, recipient: str, code: int | None, reason: str) -> None:
        self._set(episode, recipient, "deferred", code=code, reason=reason)
