"""The statutory clock of public-records requests.

A records request with ``statutory_days`` is due that many BUSINESS days (Monday-Friday,
minus the city's holidays from the config) after the day it was received, counted in the
desk's time zone: the day of receipt itself does not count. The desk can pause the clock
while it waits on the requester; business days spent paused do not count, so resuming moves
the due date (and the request's ``deadline_at``, at 17:00 desk time) later by that many days.

The date arithmetic is pure (``add_business_days``, ``business_days_between``,
``statutory_clock``); ``pause_clock`` and ``resume_clock`` are versioned writes. The module
imports no SQLAlchemy (the Requests pane's first paint shows each clock before SQLAlchemy is
imported); the writes import the ORM when they run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from db.enums import RequestKind
from deskterm.core.errors import InputError
from deskterm.core.fields import aware
from deskterm.core.request_records import RequestRecord

if TYPE_CHECKING:
    from db.engine import Database
    from db.models import Request

__all__ = [
    "END_OF_BUSINESS",
    "Clock",
    "add_business_days",
    "business_days_between",
    "due_deadline",
    "is_business_day",
    "pause_clock",
    "resume_clock",
    "statutory_clock",
]

#: A statutory due date ends at this wall time in the desk's zone (``deadline_at``).
END_OF_BUSINESS = time(17, 0)


# --- business days (pure) --------------------------------------------------------------------


def is_business_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday and not one of ``holidays``."""
    return day.weekday() < 5 and day not in holidays


def _weekdays_upto(day: date) -> int:
    """Monday-Friday days from a fixed Monday up to and including ``day`` (any sign)."""
    # date.toordinal() 1 is Monday 0001-01-01, so ordinal - 1 counts days from a Monday.
    weeks, rest = divmod(day.toordinal() - 1, 7)
    return weeks * 5 + min(rest + 1, 5)


def business_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Business days in ``(start, end]``; negative (minus those in ``(end, start]``) if
    ``end`` is before ``start``; 0 when they are the same day."""
    if end < start:
        return -business_days_between(end, start, holidays)
    weekdays = _weekdays_upto(end) - _weekdays_upto(start)
    closed = sum(1 for h in set(holidays) if start < h <= end and h.weekday() < 5)
    return weekdays - closed


def add_business_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself is not counted).

    0 gives ``start`` unchanged (even on a weekend); a negative count goes back, giving
    the business day that many business days before ``start``.
    """
    closed = frozenset(holidays)
    current = start
    if days < 0:
        remaining = -days
        while remaining:
            current -= timedelta(days=1)
            if is_business_day(current, closed):
                remaining -= 1
        return current
    remaining = days
    while remaining:
        # Jump whole weeks while more than a week's worth is left (the jump never lands
        # on the answer, so the answer is always reached by a single step below).
        weeks = (remaining - 1) // 5
        if weeks:
            target = current + timedelta(weeks=weeks)
            remaining -= business_days_between(current, target, closed)
            current = target
            continue
        current += timedelta(days=1)
        if is_business_day(current, closed):
            remaining -= 1
    return current


# --- the clock (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """A request's statutory clock on a given day.

    ``due_on``/``remaining`` are None when the request has no clock (not a public-records
    request, or no statutory days set). ``remaining`` is business days from today to the due
    date: 0 on the due date, negative when late. ``paused_days`` counts business days spent
    paused, including the current pause so far.
    """

    due_on: date | None
    remaining: int | None
    paused: bool
    paused_days: int


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _pause_days(paused_at: datetime, until: date, holidays: Collection[date], tz: tzinfo) -> int:
    """Business days of a pause from ``paused_at`` through ``until`` (never negative)."""
    return max(0, business_days_between(_local_day(paused_at, tz), until, holidays))


def _due_on(
    received_at: datetime,
    statutory_days: int,
    paused_days: int,
    holidays: Collection[date],
    tz: tzinfo,
) -> date:
    return add_business_days(_local_day(received_at, tz), statutory_days + paused_days, holidays)


def due_deadline(due_on: date, tz: tzinfo) -> datetime:
    """The end of business (17:00 desk time) on ``due_on``, as aware UTC."""
    return datetime.combine(due_on, END_OF_BUSINESS, tzinfo=tz).astimezone(UTC)


def statutory_clock(
    request: RequestRecord, *, today: date, holidays: Collection[date], tz: tzinfo
) -> Clock:
    """Where ``request``'s statutory clock stands on ``today`` (a date in the desk's zone).

    The due date is ``statutory_days`` plus the paused business days (and, while paused,
    the business days of the current pause up to ``today``) after the day of receipt.
    """
    paused = request.clock_paused_at is not None
    paused_days = request.clock_paused_business_days or 0
    if request.clock_paused_at is not None:
        paused_days += _pause_days(request.clock_paused_at, today, holidays, tz)
    if request.kind is not RequestKind.RECORDS or request.statutory_days is None:
        return Clock(due_on=None, remaining=None, paused=paused, paused_days=paused_days)
    due_on = _due_on(request.received_at, request.statutory_days, paused_days, holidays, tz)
    remaining = business_days_between(today, due_on, holidays)
    return Clock(due_on=due_on, remaining=remaining, paused=paused, paused_days=paused_days)


# --- pause and resume (versioned writes) -----------------------------------------------------


def _require_clock(row: Request) -> None:
    if row.kind is not RequestKind.RECORDS:
        raise InputError(
            "only public-records requests have a statutory clock", field="statutory_days"
        )
    if row.statutory_days is None:
        raise InputError(
            "this request has no statutory days set, so there is no clock",
            field="statutory_days",
        )


def pause_clock(
    db: Database, request_id: int, base_version: int, *, now: datetime | None = None
) -> RequestRecord:
    """Pause the statutory clock at ``now`` (waiting on the requester).

    ``InputError`` if the request is not a public-records request with statutory days, or
    the clock is already paused; ``ConflictError`` if the request moved on from
    ``base_version``.
    """
    from db.base import utcnow
    from db.models import Request
    from db.versioning import load_for_update
    from deskterm.core.requests import get_request

    now = utcnow() if now is None else aware(now, field="now")
    with db.transaction() as session:
        row = load_for_update(session, Request, request_id, base_version)
        _require_clock(row)
        if row.clock_paused_at is not None:
            raise InputError("the clock is already paused", field="clock_paused_at")
        row.clock_paused_at = now
        row.updated_at = now
        session.flush()
    return get_request(db, request_id)


def resume_clock(
    db: Database,
    request_id: int,
    base_version: int,
    *,
    now: datetime | None = None,
    holidays: Collection[date] = (),
    tz: tzinfo,
) -> RequestRecord:
    """Resume a paused clock at ``now``.

    The business days from the day it was paused to the day it resumes (desk time; the
    pause day itself not counted) are added to ``clock_paused_business_days`` and
    ``deadline_at`` moves to 17:00 desk time on the new due date. ``InputError`` if the
    request has no clock or the clock is not paused; ``ConflictError`` if stale.
    """
    from db.base import utcnow
    from db.models import Request
    from db.versioning import load_for_update
    from deskterm.core.requests import get_request

    now = utcnow() if now is None else aware(now, field="now")
    with db.transaction() as session:
        row = load_for_update(session, Request, request_id, base_version)
        _require_clock(row)
        if row.clock_paused_at is None:
            raise InputError("the clock is not paused", field="clock_paused_at")
        assert row.statutory_days is not None  # _require_clock
        added = _pause_days(row.clock_paused_at, _local_day(now, tz), holidays, tz)
        paused_days = (row.clock_paused_business_days or 0) + added
        due_on = _due_on(row.received_at, row.statutory_days, paused_days, holidays, tz)
        row.clock_paused_business_days = paused_days
        row.clock_paused_at = None
        row.deadline_at = due_deadline(due_on, tz)
        row.updated_at = now
        session.flush()
    return get_request(db, request_id)
