"""Who has a desk open on this database: one heartbeat row per running desk.

Standard library only (``sqlite3`` through the desk's ``DeskFile``): the live loop
heartbeats from the desk's start, before SQLAlchemy is imported. Presence rows are no
one's change: they are not audited (``db.audit.NOT_AUDITED``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from db.connection import desk_file
from db.stored import stored_time, time_text

if TYPE_CHECKING:
    from db.engine import Database

STALE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Desk:
    user: str
    host: str
    pid: int
    since: datetime
    last_seen: datetime
    editing_entity: str | None = None
    editing_id: int | None = None


def heartbeat(
    db: Database,
    *,
    editing: tuple[str, int] | None = None,
    now: datetime | None = None,
) -> None:
    """Refresh this desk's presence row (and what it is editing); drop long-dead rows."""
    now = now or datetime.now(UTC)
    pid = os.getpid()
    entity, entity_id = editing if editing else (None, None)
    user, host = db.actor.user, db.actor.host
    with desk_file(db).transaction() as connection:
        updated = connection.execute(
            "UPDATE presence SET user = ?, last_seen = ?, editing_entity = ?, editing_id = ?"
            " WHERE host = ? AND pid = ?",
            (user, time_text(now), entity, entity_id, host, pid),
        ).rowcount
        if not updated:
            connection.execute(
                "INSERT INTO presence (user, host, pid, since, last_seen, editing_entity,"
                " editing_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (user, host, pid, time_text(now), time_text(now), entity, entity_id),
            )
        connection.execute(
            "DELETE FROM presence WHERE last_seen < ?", (time_text(now - STALE_AFTER * 10),)
        )


def leave(db: Database) -> None:
    """Remove this desk's presence row (on quit)."""
    with desk_file(db).transaction() as connection:
        connection.execute(
            "DELETE FROM presence WHERE host = ? AND pid = ?", (db.actor.host, os.getpid())
        )


def active_desks(db: Database, *, now: datetime | None = None) -> list[Desk]:
    """The desks whose heartbeat is recent, by user and host."""
    now = now or datetime.now(UTC)
    with desk_file(db).read() as connection:
        rows = connection.execute(
            "SELECT user, host, pid, since, last_seen, editing_entity, editing_id"
            " FROM presence WHERE last_seen >= ? ORDER BY user, host",
            (time_text(now - STALE_AFTER),),
        ).fetchall()
    return [
        Desk(user, host, pid, stored_time(since), stored_time(seen), entity, entity_id)  # type: ignore[arg-type]
        for user, host, pid, since, seen, entity, entity_id in rows
    ]
