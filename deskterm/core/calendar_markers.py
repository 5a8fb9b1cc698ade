"""Markers on the calendar: what is due in a range without being an event.

Two kinds: the deadline of an open request (media, constituent, records) and the publish
date of a card on the board. Each is one LIMITed range read along an index
(``ix_requests_open_urgency``, led by ``(status, deadline_at)``, and ``ix_tasks_publish_at``);
the two are merged by time and cut at ``limit``.

The records import nothing of SQLAlchemy (the calendar's views and the panes name them on
the desk's first paint); ``markers`` imports the domain layer when it is called (the zoomed
views, in a worker thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from db.enums import TaskStatus
from deskterm.core.errors import InputError
from deskterm.core.fields import aware, list_limit

if TYPE_CHECKING:
    from db.engine import Database


class MarkerKind(StrEnum):
    DEADLINE = "deadline"  # a request's deadline
    PUBLISH = "publish"  # a card's publish date


@dataclass(frozen=True)
class Marker:
    kind: MarkerKind
    id: int  # the request's or the task's id
    label: str  # "Budget figures (M-2026-0007)" (a narrow cell keeps the subject) or a title
    at: datetime  # aware, UTC


def markers(db: Database, start: datetime, end: datetime, *, limit: int = 200) -> list[Marker]:
    """Deadlines of open requests and publish dates of cards in ``[start, end)``, by time.

    Archived cards are left out; a published card keeps its marker (when it went out).
    At most ``limit`` markers: the earliest ones.
    """
    from sqlalchemy import select

    from db.models import Request, Task
    from deskterm.core.requests import OPEN_STATUSES

    start = aware(start, field="start")
    end = aware(end, field="end")
    if end <= start:
        raise InputError("the range ends before it starts", field="end")
    limit = list_limit(limit)
    with db.read() as session:
        deadlines = session.execute(
            select(Request.id, Request.number, Request.subject, Request.deadline_at)
            .where(
                Request.status.in_(OPEN_STATUSES),
                Request.deadline_at >= start,
                Request.deadline_at < end,
            )
            .order_by(Request.deadline_at, Request.id)
            .limit(limit)
        ).all()
        published = session.execute(
            select(Task.id, Task.title, Task.publish_at)
            .where(
                Task.publish_at >= start,
                Task.publish_at < end,
                Task.status != TaskStatus.ARCHIVED,
            )
            .order_by(Task.publish_at, Task.id)
            .limit(limit)
        ).all()
    found = [
        Marker(MarkerKind.DEADLINE, row.id, f"{row.subject} ({row.number})", row.deadline_at)
        for row in deadlines
    ]
    found += [Marker(MarkerKind.PUBLISH, row.id, row.title, row.publish_at) for row in published]
    found.sort(key=lambda marker: (marker.at, marker.kind != MarkerKind.DEADLINE, marker.id))
    return found[:limit]
