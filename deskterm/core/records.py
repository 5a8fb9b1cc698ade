"""Small query helpers shared by the domain modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.errors import NotFoundError

T = TypeVar("T")


def require(session: Session, model: type, entity_id: int) -> None:
    """``NotFoundError`` unless the row exists (one indexed lookup, nothing loaded)."""
    if session.scalar(select(model.id).where(model.id == entity_id)) is None:  # type: ignore[attr-defined]
        raise NotFoundError(model.__tablename__, entity_id)  # type: ignore[attr-defined]


def children(
    session: Session,
    model: type[T],
    parent_column: Any,
    parent_model: type,
    parent_id: int,
    order_by: Sequence[Any],
) -> list[T]:
    """The rows under one parent (a request's notes, a card's comments or checklist), in
    order; ``NotFoundError`` when there are none because the parent itself is gone."""
    rows = list(
        session.scalars(select(model).where(parent_column == parent_id).order_by(*order_by))
    )
    if not rows:
        require(session, parent_model, parent_id)
    return rows
