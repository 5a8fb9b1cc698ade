"""The audit trail: every flushed change writes an audit row in the same transaction.

Hooked on the ORM session, so no write path can forget it. Sessions that are not write
transactions refuse to flush changes at all. Bulk Core writes (feed ingest) call
``record()`` themselves.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from db.enums import AuditAction
from db.errors import ReadOnlySessionError
from db.models import AuditLog, Presence

ACTOR_KEY = "deskterm_actor"
NOT_AUDITED = (AuditLog, Presence)
_PENDING_KEY = "deskterm_audit_pending"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _column_keys(obj: object) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _insert_changes(obj: object) -> dict[str, Any]:
    state = inspect(obj)
    return {
        key: _jsonable(state.attrs[key].value)
        for key in _column_keys(obj)
        if key not in ("created_at", "updated_at") and state.attrs[key].value is not None
    }


def _update_changes(obj: object) -> dict[str, Any]:
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for key in _column_keys(obj):
        if key in ("updated_at", "version"):
            continue
        history = state.attrs[key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    audited = [obj for obj in changed if not isinstance(obj, NOT_AUDITED)]
    if not changed:
        return
    if ACTOR_KEY not in session.info:
        raise ReadOnlySessionError("changes must be made inside Database.transaction()")
    # Updates: capture the changed fields now, while history is intact.
    pending = session.info.setdefault(_PENDING_KEY, [])
    for obj in audited:
        if obj in session.dirty and session.is_modified(obj, include_collections=False):
            changes = _update_changes(obj)
            if changes:
                pending.append((AuditAction.UPDATE, obj, changes))
        elif obj in session.deleted:
            pending.append((AuditAction.DELETE, obj, {"version": getattr(obj, "version", None)}))
        elif obj in session.new:
            pending.append((AuditAction.INSERT, obj, None))


def _after_flush(session: Session, _context: object) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    actor = session.info[ACTOR_KEY]
    rows = []
    for action, obj, changes in pending:
        if action is AuditAction.INSERT:
            changes = _insert_changes(obj)
        key = inspect(obj).mapper.primary_key_from_instance(obj)
        entity_id = key[0] if len(key) == 1 and isinstance(key[0], int) else None
        rows.append(
            {
                "at": utcnow(),
                "user": actor.user,
                "host": actor.host,
                "entity": obj.__table__.name,
                "entity_id": entity_id,
                "action": action,
                "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            }
        )
    session.connection().execute(insert(AuditLog), rows)


def record(
    session: Session,
    entity: str,
    entity_id: int | None,
    action: AuditAction,
    changes: dict[str, Any],
) -> None:
    """Write one audit row for a change made with Core statements (bulk paths)."""
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        raise ReadOnlySessionError("changes must be made inside Database.transaction()")
    session.execute(
        insert(AuditLog).values(
            at=utcnow(),
            user=actor.user,
            host=actor.host,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=json.dumps(
                {k: _jsonable(v) for k, v in changes.items()}, ensure_ascii=False, sort_keys=True
            ),
        )
    )


def install(*factories: sessionmaker[Session]) -> None:
    for factory in factories:
        if not event.contains(factory, "before_flush", _before_flush):
            event.listen(factory, "before_flush", _before_flush)
            event.listen(factory, "after_flush", _after_flush)
