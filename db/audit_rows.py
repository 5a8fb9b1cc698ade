"""Audit rows as stored, for writes made without the ORM (``db.audit`` hooks the ORM's).

Standard library only: ``deskterm fetch`` records its writes through ``write_audit`` on a
``sqlite3`` connection; ``db.audit.record_many`` writes the same rows through SQLAlchemy.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from db.stored import time_text

if TYPE_CHECKING:
    from db.connection import Actor

#: entity (table), id (None for a change of many rows), action, the change's fields
AuditEntry = tuple[str, "int | None", str, dict[str, Any]]


def jsonable(value: Any) -> Any:
    """A value as the audit trail's JSON holds it."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def changes_text(changes: dict[str, Any]) -> str:
    """The ``changes`` column: the fields as JSON, keys sorted."""
    return json.dumps(
        {key: jsonable(value) for key, value in changes.items()},
        ensure_ascii=False,
        sort_keys=True,
    )


def write_audit(
    connection: sqlite3.Connection, actor: Actor, entries: list[AuditEntry], at: datetime
) -> None:
    """Insert one audit row per entry, in the caller's write transaction."""
    if not entries:
        return
    connection.executemany(
        'INSERT INTO audit_log (at, "user", host, entity, entity_id, action, changes) '
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                time_text(at),
                actor.user,
                actor.host,
                entity,
                entity_id,
                str(action.value if isinstance(action, Enum) else action),
                changes_text(changes),
            )
            for entity, entity_id, action, changes in entries
        ],
    )
