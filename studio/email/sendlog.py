"""The send log: one SQLite row per (episode, recipient), committed as each message goes.

States: `sending` (claimed, in flight), `accepted` (the server took it: never
sent again), `refused` (permanent 5xx: not retried), `deferred` (temporary
failure: retried by the next run). A row left in `sending` means the run was
killed while that one message was in flight; the next run sends it again with
the same Message-ID (see studio.email.send).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

SCHEMA = """
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


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class SendLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # an 'accepted' mark survives a power cut
        self.db.execute(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def statuses(self, episode: str) -> dict[str, str]:
        rows = self.db.execute("SELECT recipient, status FROM deliveries WHERE episode = ?", (episode,))
        return dict(rows.fetchall())

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

    def claim(self, episode: str, recipient: str, message_id: str) -> None:
        self._set(episode, recipient, "sending", message_id, attempt=1)

    def accepted(self, episode: str, recipient: str) -> None:
        self._set(episode, recipient, "accepted")

    def refused(self, episode: str, recipient: str, code: int | None, reason: str) -> None:
        self._set(episode, recipient, "refused", code=code, reason=reason)

    def deferred(self, episode: str, recipient: str, code: int | None, reason: str) -> None:
        self._set(episode, recipient, "deferred", code=code, reason=reason)
