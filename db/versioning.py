"""Updates that carry the version their editor loaded.

``version_id_col`` alone is not enough: a session that reloads before saving would
overwrite a colleague's change without noticing. The editor keeps ``base_version``; the
save compares it inside the write transaction (which holds the write lock, so nobody can
slip in between the check and the write) and refuses on a mismatch.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from db.errors import ConflictError, NotFoundError
from db.search_text import DERIVED

T = TypeVar("T")


def snapshot(obj: object) -> dict[str, Any]:
    """The row's column values as a plain dict (for conflict views); not the derived ones."""
    return {
        attr.key: getattr(obj, attr.key)
        for attr in inspect(obj).mapper.column_attrs
        if not attr.columns[0].info.get(DERIVED)
    }


def load_for_update(session: Session, model: type[T], entity_id: int, base_version: int) -> T:
    """Load a row inside a write transaction and check it is the version the editor saw."""
    obj = session.get(model, entity_id, populate_existing=True, with_for_update=True)
    if obj is None:
        raise NotFoundError(model.__tablename__, entity_id)  # type: ignore[attr-defined]
    current = obj.version  # type: ignore[attr-defined]
    if current != base_version:
        raise ConflictError(
            model.__tablename__,  # type: ignore[attr-defined]
            entity_id,
            base_version,
            current,
            snapshot(obj),
            label=obj.describe() if hasattr(obj, "describe") else None,
        )
    return obj


def update_versioned(
    session: Session, model: type[T], entity_id: int, base_version: int, **changes: Any
) -> T:
    """Apply ``changes`` if the row is still at ``base_version``; else raise ConflictError."""
    obj = load_for_update(session, model, entity_id, base_version)
    for key, value in changes.items():
        if not hasattr(model, key):
            raise AttributeError(f"{model.__name__} has no field {key!r}")
        setattr(obj, key, value)
    session.flush()
    return obj


def delete_versioned(session: Session, model: type[T], entity_id: int, base_version: int) -> None:
    obj = load_for_update(session, model, entity_id, base_version)
    session.delete(obj)
    session.flush()
