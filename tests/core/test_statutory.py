"""The statutory clock (deskterm.core.statutory): business-day arithmetic, then pause and
resume against a real SQLite file with a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.engine import Database
from db.errors import ConflictError
from deskterm.core.errors import InputError
from deskterm.core.requests import RequestRecord, create_request, get_request, update_request
from deskterm.core.statutory import (
    Clock,
    add_business_days,
    business_days_between,
    due_deadline,
    pause_clock,
    resume_clock,
    statutory_clock,
)

TZ = ZoneInfo("America/New_York")
THANKSGIVING = date(2026, 11, 26)  # a Thursday
NEW_YEAR = date(2027, 1, 1)  # a Friday
HOLIDAYS = (THANKSGIVING, NEW_YEAR)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall time in the desk's zone, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# --- business days ---------------------------------------------------------------------------


def test_add_business_days_skips_the_weekend() -> None:
    assert add_business_days(date(2026, 3, 6), 1, ()) == date(2026, 3, 9)  # Fri -> Mon
    assert add_business_days(date(2026, 3, 7), 1, ()) == date(2026, 3, 9)  # Sat -> Mon
    assert add_business_days(date(2026, 3, 2), 4, ()) == date(2026, 3, 6)  # Mon -> Fri


def test_add_business_days_skips_a_holiday_and_the_weekend() -> None:
    # Wed before Thanksgiving: Fri 27 is the first business day, Mon 30 the second.
    assert add_business_days(date(2026, 11, 25), 1, HOLIDAYS) == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 25), 2, HOLIDAYS) == date(2026, 11, 30)
    assert add_business_days(date(2026, 11, 25), 2, ()) == date(2026, 11, 27)


def test_add_business_days_across_a_year_end() -> None:
    # Wed 30 Dec: Thu 31 (1), Fri 1 Jan is a holiday, Mon 4 (2), Tue 5 (3).
    assert add_business_days(date(2026, 12, 30), 3, HOLIDAYS) == date(2027, 1, 5)
    assert business_days_between(date(2026, 12, 30), date(2027, 1, 5), HOLIDAYS) == 3


def test_zero_days_is_the_start_itself() -> None:
    assert add_business_days(date(2026, 3, 7), 0, HOLIDAYS) == date(2026, 3, 7)
    assert business_days_between(date(2026, 3, 7), date(2026, 3, 7), HOLIDAYS) == 0


def test_negative_counts_go_back() -> None:
    assert add_business_days(date(2026, 3, 9), -1, ()) == date(2026, 3, 6)  # Mon -> Fri
    assert add_business_days(date(2026, 11, 30), -2, HOLIDAYS) == date(2026, 11, 25)


def test_business_days_between_counts_end_not_start() -> None:
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9), ()) == 1  # Fri, Mon
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 8), ()) == 0  # weekend only
    assert business_days_between(date(2026, 11, 25), date(2026, 11, 30), HOLIDAYS) == 2


def test_business_days_between_is_negative_backwards() -> None:
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 6), ()) == -1
    assert business_days_between(date(2026, 11, 30), date(2026, 11, 25), HOLIDAYS) == -2
    # A weekend holiday changes nothing.
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9), {date(2026, 3, 7)}) == 1


def _brute_between(start: date, end: date, holidays: set[date]) -> int:
    sign = 1 if end >= start else -1
    lo, hi = min(start, end), max(start, end)
    days = (lo + timedelta(days=n) for n in range(1, (hi - lo).days + 1))
    return sign * sum(1 for d in days if d.weekday() < 5 and d not in holidays)


def test_agrees_with_counting_day_by_day() -> None:
    holidays = {date(2026, 1, 1), date(2026, 1, 19), THANKSGIVING, date(2026, 12, 25), NEW_YEAR}
    base = date(2025, 12, 20)
    for offset in range(0, 400, 3):
        start = base + timedelta(days=offset)
        for span in (-40, -7, -1, 0, 1, 4, 5, 6, 11, 37, 200):
            end = start + timedelta(days=span)
            assert business_days_between(start, end, holidays) == _brute_between(
                start, end, holidays
            )
        for n in (1, 5, 6, 10, 23, 120):
            due = add_business_days(start, n, holidays)
            assert due.weekday() < 5 and due not in holidays
            assert _brute_between(start, due, holidays) == n


# --- the clock, pure -------------------------------------------------------------------------


def _records_request(db: Database, received: datetime, days: int | None = 10) -> RequestRecord:
    record = create_request(
        db,
        kind="records",
        subject="Police overtime records 2025",
        requester="A. Reporter",
        received_at=received,
        now=received,
    )
    if days is not None:
        record = update_request(db, record.id, record.version, statutory_days=days)
    return record


def test_ten_business_days_from_a_friday(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 15, 0))
    clock = statutory_clock(record, today=date(2026, 3, 6), holidays=(), tz=TZ)
    assert clock == Clock(due_on=date(2026, 3, 20), remaining=10, paused=False, paused_days=0)


def test_receipt_day_is_taken_in_the_desk_zone(db: Database) -> None:
    # 23:30 Friday in New York is already Saturday in UTC.
    received = local(2026, 3, 6, 23, 30)
    assert received.date() == date(2026, 3, 7)
    record = _records_request(db, received)
    clock = statutory_clock(record, today=date(2026, 3, 9), holidays=(), tz=TZ)
    assert clock.due_on == date(2026, 3, 20)
    assert clock.remaining == 9


def test_remaining_goes_negative_when_late(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0))
    assert statutory_clock(record, today=date(2026, 3, 20), holidays=(), tz=TZ).remaining == 0
    late = statutory_clock(record, today=date(2026, 3, 24), holidays=(), tz=TZ)
    assert late.due_on == date(2026, 3, 20)
    assert late.remaining == -2


def test_no_clock_without_statutory_days_or_for_other_kinds(db: Database) -> None:
    unset = _records_request(db, local(2026, 3, 6, 10, 0), days=None)
    media = create_request(db, kind="media", subject="Budget", outlet="Herald")
    for record in (unset, media):
        clock = statutory_clock(record, today=date(2026, 3, 9), holidays=(), tz=TZ)
        assert clock.due_on is None and clock.remaining is None and not clock.paused


# --- pause and resume ------------------------------------------------------------------------


def test_a_pause_over_three_business_days_moves_the_due_date(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0))
    paused = pause_clock(db, record.id, record.version, now=local(2026, 3, 9, 10, 0))
    assert paused.clock_paused_at == local(2026, 3, 9, 10, 0)
    assert paused.version == record.version + 1

    # While paused the due date slides with the days spent waiting.
    midway = statutory_clock(paused, today=date(2026, 3, 11), holidays=(), tz=TZ)
    assert midway.paused and midway.paused_days == 2
    assert midway.due_on == date(2026, 3, 24)

    resumed = resume_clock(
        db, record.id, paused.version, now=local(2026, 3, 12, 16, 0), holidays=(), tz=TZ
    )
    assert resumed.clock_paused_at is None
    assert resumed.clock_paused_business_days == 3  # Tue, Wed, Thu
    clock = statutory_clock(resumed, today=date(2026, 3, 12), holidays=(), tz=TZ)
    assert clock.due_on == date(2026, 3, 25)  # 20 March + 3 business days
    assert not clock.paused and clock.paused_days == 3
    assert resumed.deadline_at == local(2026, 3, 25, 17, 0)
    assert resumed.deadline_at == due_deadline(date(2026, 3, 25), TZ)
    assert get_request(db, record.id) == resumed


def test_pauses_add_up_and_skip_holidays(db: Database) -> None:
    record = _records_request(db, local(2026, 11, 20, 10, 0))  # Friday
    # Paused Tue 24 to Mon 30 Nov: Wed 25, Fri 27, Mon 30 (Thanksgiving does not count).
    paused = pause_clock(db, record.id, record.version, now=local(2026, 11, 24, 9, 0))
    resumed = resume_clock(
        db, record.id, paused.version, now=local(2026, 11, 30, 9, 0), holidays=HOLIDAYS, tz=TZ
    )
    assert resumed.clock_paused_business_days == 3
    # 13 business days after Fri 20 Nov, skipping Thanksgiving: Thu 10 Dec.
    assert resumed.deadline_at == local(2026, 12, 10, 17, 0)
    # A second, same-day pause adds nothing.
    again = pause_clock(db, record.id, resumed.version, now=local(2026, 12, 1, 9, 0))
    again = resume_clock(
        db, record.id, again.version, now=local(2026, 12, 1, 15, 0), holidays=HOLIDAYS, tz=TZ
    )
    assert again.clock_paused_business_days == 3
    assert again.deadline_at == local(2026, 12, 10, 17, 0)


def test_double_pause_is_refused(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0))
    paused = pause_clock(db, record.id, record.version, now=local(2026, 3, 9, 10, 0))
    with pytest.raises(InputError, match="the clock is already paused"):
        pause_clock(db, record.id, paused.version, now=local(2026, 3, 10, 10, 0))
    assert get_request(db, record.id).clock_paused_at == local(2026, 3, 9, 10, 0)


def test_resume_without_a_pause_is_refused(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0))
    with pytest.raises(InputError, match="not paused"):
        resume_clock(db, record.id, record.version, now=local(2026, 3, 9, 10, 0), tz=TZ)
    assert get_request(db, record.id).version == record.version


def test_other_kinds_have_no_clock(db: Database) -> None:
    media = create_request(db, kind="media", subject="Budget", outlet="Herald")
    with pytest.raises(InputError, match="only public-records requests have a statutory clock"):
        pause_clock(db, media.id, media.version)
    with pytest.raises(InputError, match="only public-records requests"):
        resume_clock(db, media.id, media.version, tz=TZ)


def test_records_request_without_days_cannot_pause(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0), days=None)
    with pytest.raises(InputError, match="no statutory days"):
        pause_clock(db, record.id, record.version)


def test_stale_version_is_a_conflict(db: Database) -> None:
    created = create_request(
        db,
        kind="records",
        subject="Contracts",
        requester="B. Citizen",
        received_at=local(2026, 3, 6, 10, 0),
    )
    current = update_request(db, created.id, created.version, statutory_days=10)
    with pytest.raises(ConflictError) as caught:
        pause_clock(db, created.id, created.version, now=local(2026, 3, 9, 10, 0))
    assert caught.value.current_version == current.version
    assert get_request(db, created.id).clock_paused_at is None

    paused = pause_clock(db, current.id, current.version, now=local(2026, 3, 9, 10, 0))
    with pytest.raises(ConflictError):
        resume_clock(db, current.id, current.version, now=local(2026, 3, 12, 10, 0), tz=TZ)
    assert get_request(db, current.id) == paused


def test_naive_now_is_refused(db: Database) -> None:
    record = _records_request(db, local(2026, 3, 6, 10, 0))
    with pytest.raises(InputError, match="time zone"):
        pause_clock(db, record.id, record.version, now=datetime(2026, 3, 9, 10, 0))
