"""Requests as the desk shows them: the record, how one is built from a row, the open
statuses and the Requests pane's filters.

Standard library only: the Requests pane paints its first window before SQLAlchemy is
imported (``deskterm.core.open_requests`` reads it with ``sqlite3``), and both that reader
and the SQLAlchemy domain layer (``deskterm.core.requests``, which re-exports all of this)
build their records here, with the one ``to_record``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from db.enums import (
    Accuracy,
    Attribution,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
)

__all__ = [
    "OPEN_STATUSES",
    "UNASSIGNED",
    "RequestFilter",
    "RequestRecord",
    "status_label",
    "to_record",
]

OPEN_STATUSES: tuple[RequestStatus, ...] = (
    RequestStatus.NEW,
    RequestStatus.ASSIGNED,
    RequestStatus.DRAFTING,
    RequestStatus.IN_REVIEW,
    RequestStatus.REOPENED,
)

#: An open request due within this is "due soon": marked ! in the pane and the detail, and
#: announced by the deadline alerts.
DUE_SOON = timedelta(minutes=30)
#: ``assignee`` value of ``list_open_requests``/``RequestFilter`` meaning "nobody assigned".
UNASSIGNED = "-"


def status_label(status: RequestStatus | str) -> str:
    """``in_review`` -> ``in review``."""
    return str(getattr(status, "value", status)).replace("_", " ")


@dataclass(frozen=True)
class RequestRecord:
    """A request as the UI shows it: every user-facing column plus display labels."""

    id: int
    number: str
    kind: RequestKind
    status: RequestStatus
    received_at: datetime
    channel: RequestChannel
    requester: str  # the contact's name if linked, else the typed requester_name
    outlet: str  # the outlet's name if linked, else the typed outlet_name
    contact_id: int | None
    outlet_id: int | None
    subject: str
    questions: str
    background: str
    deadline_at: datetime | None
    priority: Priority
    assignee: str | None  # staff initials
    spokesperson: str | None
    response_method: ResponseMethod | None
    response_text: str
    responded_at: datetime | None
    closed_at: datetime | None
    language: str
    version: int
    # intake and requester details
    taken_by: str | None
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    outlet_name: str
    also_talking_to: str
    topic_id: int | None
    departments: str
    # approval
    needs_review: bool
    review_kind: str
    approver: str | None
    approved_at: datetime | None
    # response and outcome
    attribution: Attribution | None
    embargo_until: datetime | None
    published_url: str | None
    accuracy: Accuracy | None
    follow_up_on: date | None
    # statutory clock (public-records requests)
    statutory_days: int | None
    clock_paused_at: datetime | None
    clock_paused_business_days: int
    created_at: datetime
    updated_at: datetime

    def is_open(self) -> bool:
        """Still waiting for the desk (new, assigned, drafting, in review, reopened)."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        """Open and past its deadline at ``now``."""
        return self.is_open() and self.deadline_at is not None and self.deadline_at < now


def to_record(
    row: Any,
    initials: Mapping[int, str],
    *,
    contact_name: str | None = None,
    outlet_name: str | None = None,
) -> RequestRecord:
    """A record from a row, staff id -> initials and the linked contact's and outlet's names.

    ``row`` has the ``requests`` columns as attributes, typed as the ORM gives them (an
    ORM ``Request``, or plain values: ``open_requests.typed_row`` types the stored text).
    """

    def who(staff_id: int | None) -> str | None:
        return initials.get(staff_id) if staff_id is not None else None

    return RequestRecord(
        id=row.id,
        number=row.number,
        kind=row.kind,
        status=row.status,
        received_at=row.received_at,
        channel=row.channel,
        requester=(contact_name if row.contact_id and contact_name else row.requester_name) or "",
        outlet=(outlet_name if row.outlet_id and outlet_name else row.outlet_name) or "",
        contact_id=row.contact_id,
        outlet_id=row.outlet_id,
        subject=row.subject,
        questions=row.questions or "",
        background=row.background or "",
        deadline_at=row.deadline_at,
        priority=row.priority,
        assignee=who(row.assignee_id),
        spokesperson=who(row.spokesperson_id),
        response_method=row.response_method,
        response_text=row.response_text or "",
        responded_at=row.responded_at,
        closed_at=row.closed_at,
        language=row.language,
        version=row.version,
        taken_by=who(row.taken_by_id),
        requester_name=row.requester_name or "",
        requester_email=row.requester_email,
        requester_phone=row.requester_phone,
        outlet_name=row.outlet_name or "",
        also_talking_to=row.also_talking_to or "",
        topic_id=row.topic_id,
        departments=row.departments or "",
        needs_review=bool(row.needs_review),
        review_kind=row.review_kind or "",
        approver=who(row.approver_id),
        approved_at=row.approved_at,
        attribution=row.attribution,
        embargo_until=row.embargo_until,
        published_url=row.published_url,
        accuracy=row.accuracy,
        follow_up_on=row.follow_up_on,
        statutory_days=row.statutory_days,
        clock_paused_at=row.clock_paused_at,
        clock_paused_business_days=row.clock_paused_business_days or 0,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True)
class RequestFilter:
    """The Requests pane's filters (None: any). ``status`` None means every open status."""

    status: RequestStatus | None = None
    kind: RequestKind | None = None
    assignee: str | None = None  # initials, or UNASSIGNED
    outlet_type: OutletType | None = None

    def describe(self) -> str:
        """``status: in review · kind: media`` (empty without filters)."""
        parts = []
        if self.status is not None:
            parts.append(f"status: {status_label(self.status)}")
        if self.kind is not None:
            parts.append(f"kind: {self.kind.value}")
        if self.assignee is not None:
            parts.append(f"assignee: {'nobody' if self.assignee == UNASSIGNED else self.assignee}")
        if self.outlet_type is not None:
            parts.append(f"outlet: {self.outlet_type.value.replace('_', ' ')}")
        return " · ".join(parts)

    def active(self) -> bool:
        return any(
            value is not None for value in (self.status, self.kind, self.assignee, self.outlet_type)
        )
