"""Who has a desk open on this database: one heartbeat row per running desk."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from db.base import utcnow
from db.models import Presence

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
    now = now or utcnow()
    pid = os.getpid()
    entity, entity_id = editing if editing else (None, None)
    with db.transaction() as session:
        row = session.scalars(
            select(Presence).where(Presence.host == db.actor.host, Presence.pid == pid)
        ).first()
        if row is None:
            row = Presence(user=db.actor.user, host=db.actor.host, pid=pid, since=now)
            session.add(row)
        row.user = db.actor.user
        row.last_seen = now
        row.editing_entity = entity
        row.editing_id = entity_id
        session.execute(delete(Presence).where(Presence.last_seen < now - STALE_AFTER * 10))


def leave(db: Database) -> None:
    """Remove this desk's presence row (on quit)."""
    with db.transaction() as session:
        session.execute(
            delete(Presence).where(Presence.host == db.actor.host, Presence.pid == os.getpid())
        )


def active_desks(db: Database, *, now: datetime | None = None) -> list[Desk]:
    now = now or utcnow()
    with db.read() as session:
        rows = session.scalars(
            select(Presence)
            .where(Presence.last_seen >= now - STALE_AFTER)
            .order_by(Presence.user, Presence.host)
        ).all()
        return [
            Desk(r.user, r.host, r.pid, r.since, r.last_seen, r.editing_entity, r.editing_id)
            for r in rows
        ]
