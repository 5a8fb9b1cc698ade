"""Links between records: the request, clip or event a card serves, and back.

A link is stored once per pair (either direction) and listed from both ends with a label
people recognise (a request's number and subject, a clip's headline, an event's title).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.engine import Database
from db.enums import EntityType
from db.errors import noun
from db.models import Clip, Event, Link, Request, Task
from deskterm.core.errors import InputError
from deskterm.core.fields import parse_choice

_MODELS = {
    EntityType.CLIP: Clip,
    EntityType.REQUEST: Request,
    EntityType.TASK: Task,
    EntityType.EVENT: Event,
}


@dataclass(frozen=True)
class LinkedItem:
    type: EntityType
    id: int
    label: str


def _label(session: Session, kind: EntityType, entity_id: int) -> str | None:
    model = _MODELS[kind]
    row = session.get(model, entity_id)
    if row is None:
        return None
    if kind is EntityType.REQUEST:
        return f"{row.number} {row.subject}"
    return row.title


def _noun(kind: EntityType) -> str:
    """What people call one (a task is a "card"), as every other message says it."""
    return noun(_MODELS[kind].__tablename__)


def add_link(
    db: Database, from_type: EntityType | str, from_id: int, to_type: EntityType | str, to_id: int
) -> LinkedItem:
    """Link two existing records (idempotent); returns the far end."""
    source = parse_choice(EntityType, from_type, field="from_type")
    target = parse_choice(EntityType, to_type, field="to_type")
    if (source, from_id) == (target, to_id):
        raise InputError("a record cannot be linked to itself", field="to_id")
    with db.transaction() as session:
        if _label(session, source, from_id) is None:
            raise InputError(f"no {_noun(source)} {from_id}", field="from_id")
        label = _label(session, target, to_id)
        if label is None:
            raise InputError(f"no {_noun(target)} {to_id}", field=target.value)
        if not _existing(session, source, from_id, target, to_id):
            session.add(
                Link(
                    from_type=source,
                    from_id=from_id,
                    to_type=target,
                    to_id=to_id,
                    created_by=db.actor.user,
                )
            )
            session.flush()
        return LinkedItem(target, to_id, label)


def _existing(
    session: Session, a_type: EntityType, a_id: int, b_type: EntityType, b_id: int
) -> bool:
    pair = or_(
        and_(
            Link.from_type == a_type,
            Link.from_id == a_id,
            Link.to_type == b_type,
            Link.to_id == b_id,
        ),
        and_(
            Link.from_type == b_type,
            Link.from_id == b_id,
            Link.to_type == a_type,
            Link.to_id == a_id,
        ),
    )
    return session.scalar(select(Link.id).where(pair)) is not None


def either_end(
    kind: EntityType, test: Callable[[InstrumentedAttribute[int]], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """Links with a record of ``kind`` at either end whose id passes ``test`` (links have no
    foreign key: they join four kinds of record)."""
    return or_(
        and_(Link.from_type == kind, test(Link.from_id)),
        and_(Link.to_type == kind, test(Link.to_id)),
    )


def linked(db: Database, kind: EntityType | str, entity_id: int) -> list[LinkedItem]:
    """Everything linked to this record, from either end, oldest link first."""
    kind = parse_choice(EntityType, kind, field="type")
    with db.read() as session:
        rows = session.scalars(
            select(Link)
            .where(either_end(kind, lambda end: end == entity_id))
            .order_by(Link.id)
            .limit(200)
        ).all()
        items = []
        for row in rows:
            far_type, far_id = (
                (row.to_type, row.to_id)
                if (row.from_type, row.from_id) == (kind, entity_id)
                else (row.from_type, row.from_id)
            )
            label = _label(session, far_type, far_id)
            items.append(LinkedItem(far_type, far_id, label or "(deleted)"))
        return items


def link_card(
    db: Database,
    task_id: int,
    *,
    request: str | int | None = None,
    clip: int | None = None,
    event: int | None = None,
) -> LinkedItem:
    """Link a card to one request (by id or tracking number), clip or event."""
    if request is not None:
        from deskterm.core.requests import find_request

        found = find_request(db, request)
        return add_link(db, EntityType.TASK, task_id, EntityType.REQUEST, found.id)
    if clip is not None:
        return add_link(db, EntityType.TASK, task_id, EntityType.CLIP, clip)
    if event is not None:
        return add_link(db, EntityType.TASK, task_id, EntityType.EVENT, event)
    raise InputError("link to a request, a clip or an event", field="link")


def parse_link_target(text: str) -> dict[str, str | int]:
    """What a person types to link a card: a request number (M-2026-0007), or
    ``request:7``, ``clip:12``, ``event:3``."""
    value = text.strip()
    kind, sep, ref = value.partition(":")
    if not sep:
        return {"request": value}
    kind = kind.strip().lower()
    ref = ref.strip()
    if kind == "request":
        return {"request": ref}
    if kind in ("clip", "event") and ref.isdigit():
        return {kind: int(ref)}
    raise InputError(
        f"can't read {value!r}: use a request number (M-2026-0007), clip:ID or event:ID",
        field="link",
    )
