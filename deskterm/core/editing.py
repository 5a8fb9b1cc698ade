"""Who is editing what: the "being edited by" marks, kept in the desks' presence rows.

Opening an editor records ``(entity, id)`` in this desk's presence row at once (and the desk's
heartbeat keeps it there); closing it clears it. Other desks read the rows of desks seen in the
last minute and mark those records. The mark is advisory: saving still checks the version
the editor loaded, so two people editing at once end in a conflict view, never a lost edit.
Presence times are wall-clock times (not the desk's injectable clock): they are compared
with other machines' heartbeats.

The marks are read with ``sqlite3`` through ``Database.file``, as ``db.presence`` reads and
writes the rows: the Requests pane shows them in its first paint, before SQLAlchemy is
imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from db.presence import Desk, active_desks, heartbeat

if TYPE_CHECKING:
    from db.engine import Database

__all__ = ["editors", "editors_from_desks", "start_editing", "stop_editing"]


def start_editing(db: Database, entity: str, entity_id: int) -> None:
    """Record in this desk's presence row that it is editing ``entity`` ``entity_id``."""
    heartbeat(db, editing=(entity, entity_id))


def stop_editing(db: Database) -> None:
    """Record that this desk edits nothing."""
    heartbeat(db, editing=None)


def _is_me(db: Database, host: str, pid: int) -> bool:
    return host == db.actor.host and pid == os.getpid()


def editors(
    db: Database, entity: str, *, now: datetime | None = None
) -> dict[int, tuple[str, ...]]:
    """id -> the users of OTHER desks editing that ``entity`` row now (sorted, distinct)."""
    return editors_from_desks(db, active_desks(db, now=now), entity)


def editors_from_desks(
    db: Database, desks: Iterable[Desk], entity: str
) -> dict[int, tuple[str, ...]]:
    """The same from a presence list the live loop already read (no query)."""
    found: dict[int, set[str]] = {}
    for desk in desks:
        editing = desk.editing_entity == entity and desk.editing_id is not None
        if editing and not _is_me(db, desk.host, desk.pid):
            found.setdefault(desk.editing_id, set()).add(desk.user)  # type: ignore[arg-type]
    return {entity_id: tuple(sorted(users)) for entity_id, users in found.items()}
