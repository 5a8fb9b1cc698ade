"""The change feed: ``PRAGMA data_version`` on one long-lived connection, then audit rows.

``data_version`` changes only when another connection commits, so an idle desk polls for
the price of one pragma; only then does it read the audit rows past the last id it saw.

Standard library only (``sqlite3``): the live loop starts polling with the desk, before
SQLAlchemy is imported (docs/architecture.md, "The first paint without SQLAlchemy").
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from db.connection import configure, desk_file
from db.stored import stored_time


@dataclass(frozen=True)
class Change:
    id: int
    at: datetime
    user: str
    host: str
    entity: str
    entity_id: int | None
    action: str
    changes: str


class ChangeWatcher:
    """Polls one database file for changes made by any connection, in this process or
    another. ``db`` is a ``db.engine.Database`` or a ``db.connection.DeskFile``."""

    def __init__(self, db: object, *, batch: int = 1000) -> None:
        self._file = desk_file(db)
        self._batch = batch
        self._conn: sqlite3.Connection | None = None
        self._data_version: int | None = None

    def connection(self) -> sqlite3.Connection:
        """The watcher's own connection: ``data_version`` counts the commits of every
        other connection, so it must not be one the desk writes through."""
        if self._conn is None:
            conn = sqlite3.connect(self._file.path, check_same_thread=False)
            try:
                configure(conn, self._file.retry.busy_timeout_ms)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def last_id(self) -> int:
        """The newest audit id now: start watching from here."""
        row = self.connection().execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
        return int(row[0])

    def data_version(self) -> int:
        """SQLite's data_version for this connection."""
        return int(self.connection().execute("PRAGMA data_version").fetchone()[0])

    def poll(self, since_id: int) -> list[Change]:
        """Audit rows past ``since_id``; cheap when nothing was committed since the last poll."""
        version = self.data_version()
        if version == self._data_version:
            return []
        rows = (
            self.connection()
            .execute(
                "SELECT id, at, user, host, entity, entity_id, action, changes FROM audit_log"
                " WHERE id > ? ORDER BY id LIMIT ?",
                (int(since_id), self._batch),
            )
            .fetchall()
        )
        if len(rows) < self._batch:
            # Only mark this version as seen once every row behind it has been read.
            self._data_version = version
        return [
            Change(row_id, stored_time(at), user, host, entity, entity_id, action, changes)  # type: ignore[arg-type]
            for row_id, at, user, host, entity, entity_id, action, changes in rows
        ]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
