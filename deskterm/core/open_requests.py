"""The open requests' first window and count in plain SQL, for the desk's first paint.

Standard library only (``sqlite3`` through ``Database.file``): the Requests pane paints
before SQLAlchemy is imported. ``open_request_window`` is what
``deskterm.core.requests.list_open_requests`` returns without a filter (the same records,
in the same order, from the same statement shape and index); the filtered windows (folded
text search, outlet type, assignee by initials) stay with the domain function, and a test
fills a database and holds the two to the same answer.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from db.enums import (
    Accuracy,
    Attribution,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
)
from db.plain_rows import Values, fetch_values, staff_initials
from db.stored import stored_time
from deskterm.core.fields import list_limit
from deskterm.core.request_records import OPEN_STATUSES, RequestRecord, to_record

if TYPE_CHECKING:
    from db.engine import Database

__all__ = ["RECORD_COLUMNS", "count_open", "open_request_window", "typed_row"]

#: The ``requests`` columns a record is built from, in the table's order: every column but
#: the folded search text (a derived column, long and never shown). The domain's
#: ``_rows_query`` selects these too; a test holds the list to the model.
RECORD_COLUMNS: tuple[str, ...] = (
    "id",
    "number",
    "kind",
    "status",
    "received_at",
    "channel",
    "taken_by_id",
    "contact_id",
    "requester_name",
    "requester_email",
    "requester_phone",
    "outlet_id",
    "outlet_name",
    "subject",
    "questions",
    "background",
    "also_talking_to",
    "topic_id",
    "departments",
    "language",
    "deadline_at",
    "priority",
    "assignee_id",
    "spokesperson_id",
    "needs_review",
    "review_kind",
    "approver_id",
    "approved_at",
    "response_method",
    "attribution",
    "embargo_until",
    "response_text",
    "responded_at",
    "published_url",
    "accuracy",
    "follow_up_on",
    "closed_at",
    "statutory_days",
    "clock_paused_at",
    "clock_paused_business_days",
    "version",
    "created_at",
    "updated_at",
)

# How the columns are stored, where that is not what a record holds (a test checks these
# against the model's column types): UTC text, a choice's value, a 'YYYY-MM-DD' date.
_TIME_COLUMNS = (
    "received_at",
    "deadline_at",
    "approved_at",
    "embargo_until",
    "responded_at",
    "closed_at",
    "clock_paused_at",
    "created_at",
    "updated_at",
)
_CHOICE_COLUMNS: dict[str, type[StrEnum]] = {
    "kind": RequestKind,
    "status": RequestStatus,
    "channel": RequestChannel,
    "priority": Priority,
    "response_method": ResponseMethod,
    "attribution": Attribution,
    "accuracy": Accuracy,
}
_DATE_COLUMNS = ("follow_up_on",)

#: Most urgent first: by deadline (overdue first), the undated last by receipt; the id
#: breaks ties. The same order as ``list_open_requests``, on ``ix_requests_open_urgency``.
_URGENCY = "requests.deadline_at IS NULL, requests.deadline_at, requests.received_at, requests.id"
_OPEN_MARKS = ", ".join("?" for _ in OPEN_STATUSES)
_OPEN_VALUES = tuple(status.value for status in OPEN_STATUSES)

# The window's ids are picked on the index alone, then only those rows are read and
# joined with their linked contact's and outlet's names (as ``list_open_requests``).
_WINDOW_SQL = f"""
SELECT {", ".join(f"requests.{name}" for name in RECORD_COLUMNS)},
       contacts.name AS linked_contact_name, outlets.name AS linked_outlet_name
FROM requests
LEFT OUTER JOIN contacts ON requests.contact_id = contacts.id
LEFT OUTER JOIN outlets ON requests.outlet_id = outlets.id
JOIN (
    SELECT requests.id AS id FROM requests
    WHERE requests.status IN ({_OPEN_MARKS})
    ORDER BY {_URGENCY}
    LIMIT ?
) AS picked ON requests.id = picked.id
ORDER BY {_URGENCY}
"""

_COUNT_SQL = f"SELECT count(*) FROM requests WHERE requests.status IN ({_OPEN_MARKS})"


def typed_row(row: Values) -> Values:
    """A ``requests`` row's stored values typed as the ORM gives them (in place): times
    aware UTC, choices their enum member, dates ``date``."""
    values = row.__dict__
    for name in _TIME_COLUMNS:
        values[name] = stored_time(values[name])
    for name, choice in _CHOICE_COLUMNS.items():
        if values[name] is not None:
            values[name] = choice(values[name])
    for name in _DATE_COLUMNS:
        if values[name] is not None:
            values[name] = date.fromisoformat(values[name])
    return row


def open_request_window(db: Database, *, limit: int = 200) -> list[RequestRecord]:
    """The ``limit`` most urgent open requests: ``list_open_requests(db, limit=limit)``
    without a filter, read through ``db.file`` (no SQLAlchemy)."""
    parameters = (*_OPEN_VALUES, list_limit(limit))
    with db.file.read() as connection:
        rows = fetch_values(connection, _WINDOW_SQL, parameters)
        if not rows:
            return []
        initials = staff_initials(connection)
    return [
        to_record(
            typed_row(row),
            initials,
            contact_name=row.linked_contact_name,
            outlet_name=row.linked_outlet_name,
        )
        for row in rows
    ]


def count_open(db: Database) -> int:
    """How many requests are open."""
    with db.file.read() as connection:
        (count,) = connection.execute(_COUNT_SQL, _OPEN_VALUES).fetchone()
    return int(count)
