"""The audit trail: every flushed change writes an audit row in the same transaction.

Hooked on the ORM session, so no write path can forget it. Sessions that are not write
transactions refuse to flush changes at all. Bulk Core writes (feed ingest) call
``record()`` themselves.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from db.audit_rows import AuditEntry, changes_text, jsonable
from db.base import utcnow
from db.enums import AuditAction
from db.errors import ReadOnlySessionError
from db.models import AuditLog, Presence
from db.search_text import DERIVED

ACTOR_KEY = "deskterm_actor"
NOT_AUDITED = (AuditLog, Presence)
_PENDING_KEY = "deskterm_audit_pending"


def _column_keys(obj: object) -> list[str]:
    """The columns a change is told by: not those derived from others (search text)."""
    return [
        attr.key
        for attr in inspect(obj).mapper.column_attrs
        if not attr.columns[0].info.get(DERIVED)
    ]


def _insert_changes(obj: object) -> dict[str, Any]:
    state = inspect(obj)
    return {
        key: jsonable(state.attrs[key].value)
        for key in _column_keys(obj)
        if key not in ("created_at", "updated_at") and state.attrs[key].value is not None
    }


def _update_changes(session: Session, obj: object) -> dict[str, Any]:
    state = inspect(obj)
    changed: dict[str, tuple[Any, Any, bool]] = {}
    for key in _column_keys(obj):
        if key in ("updated_at", "version"):
            continue
        history = state.attrs[key].history
        if history.has_changes():
            known = bool(history.deleted)
            old = history.deleted[0] if known else None
            new = history.added[0] if history.added else None
            changed[key] = (old, new, known)
    unknown = [key for key, (_, _, known) in changed.items() if not known]
    if unknown:
        # The attribute was expired before it was set: read the stored value (we hold the
        # write lock, so it is the value this change replaces).
        stored = _stored_values(session, obj, unknown)
        changed.update({key: (stored[key], changed[key][1], True) for key in unknown})
    return {
        key: [jsonable(old), jsonable(new)] for key, (old, new, _) in changed.items() if old != new
    }


def _stored_values(session: Session, obj: object, keys: list[str]) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    columns = [mapper.column_attrs[key].columns[0] for key in keys]
    where = [
        col == value
        for col, value in zip(
            mapper.primary_key, mapper.primary_key_from_instance(obj), strict=True
        )
    ]
    row = session.connection().execute(select(*columns).where(*where)).one_or_none()
    return dict(zip(keys, row or [None] * len(keys), strict=True))


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    # session.new/dirty/deleted build a fresh collection on every access: read each once
    # (testing membership inside the loop made a large flush quadratic).
    new, dirty, deleted = list(session.new), list(session.dirty), list(session.deleted)
    new_ids, dirty_ids, deleted_ids = ({id(o) for o in objs} for objs in (new, dirty, deleted))
    changed = [*new, *dirty, *deleted]
    audited = [obj for obj in changed if not isinstance(obj, NOT_AUDITED)]
    if not changed:
        return
    if ACTOR_KEY not in session.info:
        raise ReadOnlySessionError("changes must be made inside Database.transaction()")
    # Updates: capture the changed fields now, while history is intact. A flush that
    # failed left its entries behind: start afresh so no phantom row is audited.
    pending: list[tuple[AuditAction, object, dict[str, Any] | None]] = []
    session.info[_PENDING_KEY] = pending
    for obj in audited:
        if id(obj) in dirty_ids and session.is_modified(obj, include_collections=False):
            changes = _update_changes(session, obj)
            if changes:
                pending.append((AuditAction.UPDATE, obj, changes))
        elif id(obj) in deleted_ids:
            pending.append((AuditAction.DELETE, obj, {"version": getattr(obj, "version", None)}))
        elif id(obj) in new_ids:
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
    record_many(session, [(entity, entity_id, action, changes)])


def record_many(session: Session, entries: list[AuditEntry]) -> None:
    """Write audit rows for changes made with Core statements, in one statement."""
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        raise ReadOnlySessionError("changes must be made inside Database.transaction()")
    if not entries:
        return
    at = utcnow()
    rows = [
        {
            "at": at,
            "user": actor.user,
            "host": actor.host,
            "entity": entity,
            "entity_id": entity_id,
            "action": action,
            "changes": changes_text(changes),
        }
        for entity, entity_id, action, changes in entries
    ]
    session.connection().execute(insert(AuditLog), rows)


def install(*factories: sessionmaker[Session]) -> None:
    """Hook the audit trail onto new session factories (each Database makes its own).

    No ``event.contains`` guard: it compares by id(), and a new factory can reuse the
    address of a collected one and so be skipped.
    """
    for factory in factories:
        event.listen(factory, "before_flush", _before_flush)
        event.listen(factory, "after_flush", _after_flush)
