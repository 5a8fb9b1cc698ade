"""The change feed: ``PRAGMA data_version`` on one long-lived connection, then audit rows.

``data_version`` changes only when another connection commits, so an idle desk polls for
the price of one pragma; only then does it read the audit rows past the last id it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from db.models import AuditLog

if TYPE_CHECKING:
    from db.engine import Database


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
    """Polls one database for changes made by any connection, in this process or another."""

    def __init__(self, db: Database, *, batch: int = 1000) -> None:
        self._db = db
        self._batch = batch
        self._conn: Connection | None = None
        self._data_version: int | None = None

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._db.engine.connect()
        return self._conn

    def last_id(self) -> int:
        """The newest audit id now: start watching from here."""
        conn = self._connection()
        try:
            return int(conn.execute(select(func.coalesce(func.max(AuditLog.id), 0))).scalar_one())
        finally:
            conn.rollback()

    def data_version(self) -> int | None:
        """SQLite's data_version for this connection (None on other databases)."""
        if not self._db.is_sqlite:
            return None
        conn = self._connection()
        try:
            return int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())
        finally:
            conn.rollback()

    def poll(self, since_id: int) -> list[Change]:
        """Audit rows past ``since_id``; cheap when nothing was committed since the last poll."""
        version = self.data_version()
        if version is not None and version == self._data_version:
            return []
        conn = self._connection()
        try:
            rows = conn.execute(
                select(AuditLog)
                .where(AuditLog.id > since_id)
                .order_by(AuditLog.id)
                .limit(self._batch)
            ).all()
        finally:
            conn.rollback()
        if len(rows) < self._batch:
            # Only mark this version as seen once every row behind it has been read.
            self._data_version = version
        return [
            Change(r.id, r.at, r.user, r.host, r.entity, r.entity_id, str(r.action), r.changes)
            for r in rows
        ]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
