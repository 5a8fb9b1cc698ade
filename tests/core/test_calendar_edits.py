"""Changing one date of a series (this / this and following / all), cancelling dates, and
how occurrences() shows overrides, EXDATEs and RDATEs. Real SQLite files, no mocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.enums import AuditAction, EventKind, EventStatus
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, Event
from deskterm.core.calendar import (
    all_occurrences,
    create_event,
    get_event,
    occurrences,
    root_uid,
    update_event,
)
from deskterm.core.calendar_edits import cancel_occurrence, edit_occurrence
from deskterm.core.errors import InputError

NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def mondays(db, **extra):
    """Mondays 09:00-10:00 New York from 2026-10-19 (DST ends Sunday 2026-11-01)."""
    values = {
        "title": "Weekly briefing",
        "kind": "press_conference",
        "starts_at": ny(2026, 10, 19, 9, 0),
        "ends_at": ny(2026, 10, 19, 10, 0),
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "leaders": ["Mayor"],
        "location": "City Hall",
        **extra,
    }
    return create_event(db, **values)


def local(found) -> list[str]:
    return [f"{occ.start.astimezone(NY):%m-%d %a %H:%M} {occ.title}" for occ in found]


def window(db, **kwargs):
    return occurrences(db, utc(2026, 10, 1), utc(2026, 12, 31), **kwargs)


def rows(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Event))


# --- DST ----------------------------------------------------------------------------------


def test_weekly_nine_oclock_stays_nine_local_across_march_and_november(db):
    series = create_event(
        db,
        title="Cabinet",
        kind="internal_meeting",
        starts_at=ny(2026, 2, 23, 9, 0),
        ends_at=ny(2026, 2, 23, 10, 0),
        timezone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=MO",
    )
    march = occurrences(db, utc(2026, 3, 1), utc(2026, 3, 17))
    # Spring forward on Sunday 8 March: 14:00Z before, 13:00Z after, 09:00 local always.
    assert [(o.start.day, o.start.hour) for o in march] == [(2, 14), (9, 13), (16, 13)]
    november = occurrences(db, utc(2026, 10, 25), utc(2026, 11, 10))
    # Fall back on Sunday 1 November: 13:00Z before, 14:00Z after.
    assert [(o.start.day, o.start.hour) for o in november] == [(26, 13), (2, 14), (9, 14)]
    assert {o.start.astimezone(NY).strftime("%H:%M") for o in march + november} == {"09:00"}
    assert all(o.end - o.start == timedelta(hours=1) for o in march + november)
    assert {o.series_id for o in march} == {series.id}
    assert [o.original_start for o in march] == [o.start for o in march]


# --- "this" -------------------------------------------------------------------------------


def test_this_override_replaces_one_date_and_bumps_the_series_version(db):
    series = mondays(db)
    changed = edit_occurrence(
        db,
        series.id,
        utc(2026, 11, 2, 14),  # Mon 2 Nov 09:00 EST
        "this",
        series.version,
        title="Briefing (moved)",
        starts_at=ny(2026, 11, 3, 11, 0),
    )
    assert (changed.uid, changed.parent_id, changed.recurrence_id) == (
        series.uid,
        series.id,
        utc(2026, 11, 2, 14),
    )
    assert changed.rrule is None and changed.location == "City Hall"
    assert changed.ends_at - changed.starts_at == timedelta(hours=1)  # the length is kept
    assert local(occurrences(db, utc(2026, 10, 26), utc(2026, 11, 10))) == [
        "10-26 Mon 09:00 Weekly briefing",
        "11-03 Tue 11:00 Briefing (moved)",
        "11-09 Mon 09:00 Weekly briefing",
    ]
    moved = occurrences(db, utc(2026, 11, 3), utc(2026, 11, 4))[0]
    assert (moved.event_id, moved.series_id, moved.original_start) == (
        changed.id,
        series.id,
        utc(2026, 11, 2, 14),
    )
    assert moved.overridden and moved.recurring
    after = get_event(db, series.id)
    assert (after.version, after.sequence) == (series.version + 1, series.sequence + 1)
    with db.read() as session:
        audit = session.execute(
            select(AuditLog.entity_id, AuditLog.action, AuditLog.changes)
            .where(AuditLog.entity == "events")
            .order_by(AuditLog.id)
        ).all()
    assert [(row[0], row[1]) for row in audit] == [
        (series.id, AuditAction.INSERT),
        (changed.id, AuditAction.INSERT),
        (series.id, AuditAction.UPDATE),
    ]
    assert json.loads(audit[2][2]) == {"sequence": [0, 1]}


def test_a_second_this_edit_changes_the_same_override(db):
    series = mondays(db)
    first = edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, notes="a")
    series = get_event(db, series.id)
    second = edit_occurrence(
        db, series.id, utc(2026, 10, 26, 13), "this", series.version, notes="b"
    )
    assert second.id == first.id and second.notes == "b" and second.version == first.version + 1
    # An override's own id (and its displayed start) name the same date.
    series = get_event(db, series.id)
    third = edit_occurrence(db, first.id, first.starts_at, "this", series.version, notes="c")
    assert third.id == first.id and third.notes == "c"
    assert rows(db) == 2


def test_this_refuses_a_rule_change_stale_versions_and_dates_the_series_lacks(db):
    series = mondays(db)
    with pytest.raises(InputError) as caught:
        edit_occurrence(
            db, series.id, utc(2026, 10, 26, 13), "this", series.version, rrule="FREQ=DAILY"
        )
    assert caught.value.field == "rrule"
    with pytest.raises(InputError) as caught:  # a Tuesday: not a date of this series
        edit_occurrence(db, series.id, utc(2026, 10, 27, 13), "this", series.version, title="x")
    assert caught.value.field == "occurrence_start"
    with pytest.raises(InputError) as caught:
        edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "some", series.version, title="x")
    assert caught.value.field == "scope"
    with pytest.raises(InputError) as caught:
        edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version)
    assert caught.value.field == "changes"
    with pytest.raises(InputError) as caught:
        edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, uid="x")
    assert caught.value.field == "uid"
    with pytest.raises(InputError) as caught:
        edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, title=" ")
    assert caught.value.field == "title"
    edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, title="New")
    with pytest.raises(ConflictError):  # the first edit bumped the series' version
        edit_occurrence(db, series.id, utc(2026, 11, 2, 14), "this", series.version, title="Lost?")
    with pytest.raises(NotFoundError):
        edit_occurrence(db, 999, utc(2026, 11, 2, 14), "this", 1, title="x")
    assert rows(db) == 2
    assert [occ.title for occ in window(db)][:3] == ["Weekly briefing", "New", "Weekly briefing"]


def test_an_override_with_a_stray_rule_is_shown_once_and_never_expanded(db):
    series = mondays(db)
    with db.transaction() as session:
        session.add(
            Event(
                uid=series.uid,
                title="Briefing moved",
                kind=EventKind.PRESS_CONFERENCE,
                starts_at=utc(2026, 10, 27, 15, 0),
                timezone="America/New_York",
                parent_id=series.id,
                recurrence_id=utc(2026, 10, 26, 13, 0),
                rrule="FREQ=WEEKLY",  # nonsense on an override (another tool wrote it)
            )
        )
    found = occurrences(db, utc(2026, 10, 19), utc(2026, 11, 3))
    assert [o.title for o in found] == ["Weekly briefing", "Briefing moved", "Weekly briefing"]


def test_filters_read_an_overrides_own_kind_and_leaders(db):
    series = mondays(db)
    edit_occurrence(
        db, series.id, utc(2026, 10, 26, 13), "this", series.version,
        kind="tv", leaders=["Deputy Mayor"],
    )  # fmt: skip
    assert [o.start.day for o in window(db, kind="press_conference")][:2] == [19, 2]
    assert [o.start.day for o in window(db, kind="tv")] == [26]
    assert [o.start.day for o in window(db, leader="deputy mayor")] == [26]
    assert 26 not in [o.start.day for o in window(db, leader="Mayor") if o.start.month == 10]


# --- "following" --------------------------------------------------------------------------


def test_this_and_following_splits_the_series(db):
    series = mondays(db, exdates=[utc(2026, 11, 23, 14)])
    series = get_event(db, series.id)
    early = edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, notes="x")
    late = edit_occurrence(
        db, series.id, utc(2026, 11, 30, 14), "this", get_event(db, series.id).version, notes="y"
    )
    series = get_event(db, series.id)
    later = edit_occurrence(
        db,
        series.id,
        utc(2026, 11, 9, 14),  # Mon 9 Nov
        "following",
        series.version,
        starts_at=ny(2026, 11, 10, 8, 30),  # to Tuesdays 08:30
        title="Tuesday briefing",
    )
    old = get_event(db, series.id)
    assert old.rrule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261109T135959Z"
    assert old.exdates == ()  # the later EXDATE went with the later dates
    assert later.uid == series.uid.replace("@deskterm", "_R20261109T140000Z@deskterm")
    assert root_uid(later.uid) == series.uid
    assert later.rrule == "FREQ=WEEKLY;BYDAY=TU"  # the weekday followed the move
    assert later.starts_at == ny(2026, 11, 10, 8, 30)
    assert later.exdates == (utc(2026, 11, 24, 13, 30),)  # moved with its date
    assert (later.parent_id, later.recurrence_id) == (None, None)
    assert local(window(db)) == [
        "10-19 Mon 09:00 Weekly briefing",
        "10-26 Mon 09:00 Weekly briefing",
        "11-02 Mon 09:00 Weekly briefing",
        "11-10 Tue 08:30 Tuesday briefing",
        "11-17 Tue 08:30 Tuesday briefing",
        "12-01 Tue 08:30 Tuesday briefing",
        "12-08 Tue 08:30 Tuesday briefing",
        "12-15 Tue 08:30 Tuesday briefing",
        "12-22 Tue 08:30 Tuesday briefing",
        "12-29 Tue 08:30 Tuesday briefing",
    ]
    # The early override stays with the old series, the late one moved to the new one.
    assert get_event(db, early.id).parent_id == series.id
    moved = get_event(db, late.id)
    assert (moved.parent_id, moved.uid) == (later.id, later.uid)
    assert moved.recurrence_id == utc(2026, 12, 1, 13, 30)
    assert (moved.starts_at, moved.title, moved.notes) == (
        utc(2026, 12, 1, 13, 30),
        "Tuesday briefing",
        "y",
    )


def test_following_keeps_count_across_the_two_halves(db):
    series = mondays(db, rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    later = edit_occurrence(
        db, series.id, utc(2026, 11, 2, 14), "following", series.version, location="Room 2"
    )
    old = get_event(db, series.id)
    assert "COUNT" not in old.rrule and old.rrule.endswith("UNTIL=20261102T135959Z")
    assert later.rrule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    found = window(db)
    assert [(o.start.day, o.location) for o in found] == [
        (19, "City Hall"),
        (26, "City Hall"),
        (2, "Room 2"),
        (9, "Room 2"),
        (16, "Room 2"),
        (23, "Room 2"),
    ]


def test_following_at_the_first_date_changes_the_whole_series(db):
    series = mondays(db)
    changed = edit_occurrence(
        db, series.id, series.starts_at, "following", series.version, title="Renamed"
    )
    assert changed.id == series.id and rows(db) == 1
    assert {o.title for o in window(db)} == {"Renamed"}


# --- "all" --------------------------------------------------------------------------------


def test_all_moves_the_series_and_keeps_overrides_in_step(db):
    series = mondays(db, rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20261116T140000Z")
    version = series.version
    kept = edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", version, notes="kept")
    version = get_event(db, series.id).version
    moved = edit_occurrence(
        db, series.id, utc(2026, 11, 2, 14), "this", version,
        starts_at=ny(2026, 11, 4, 15, 0), title="Moved", location="Annex",
    )  # fmt: skip
    version = get_event(db, series.id).version
    result = edit_occurrence(
        db,
        series.id,
        utc(2026, 11, 9, 14),  # any date of the series names it for "all"
        "all",
        version,
        starts_at=ny(2026, 11, 9, 10, 0),  # an hour later
        location="Press room",
    )
    assert result.starts_at == ny(2026, 10, 19, 10, 0)
    assert result.rrule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261116T150000Z"  # UNTIL moved too
    assert local(window(db)) == [
        "10-19 Mon 10:00 Weekly briefing",
        "10-26 Mon 10:00 Weekly briefing",
        "11-04 Wed 15:00 Moved",
        "11-09 Mon 10:00 Weekly briefing",
        "11-16 Mon 10:00 Weekly briefing",
    ]
    kept_after = get_event(db, kept.id)
    assert kept_after.recurrence_id == kept_after.starts_at == ny(2026, 10, 26, 10, 0)
    assert (kept_after.location, kept_after.notes) == ("Press room", "kept")  # followed
    moved_after = get_event(db, moved.id)
    assert moved_after.recurrence_id == ny(2026, 11, 2, 10, 0)
    assert moved_after.starts_at == ny(2026, 11, 4, 15, 0)  # its own time stays
    assert moved_after.location == "Annex"  # its own value stays


def test_all_with_a_new_rule_drops_overrides_that_lost_their_date(db):
    series = mondays(db)
    kept_time = edit_occurrence(
        db, series.id, utc(2026, 10, 26, 13), "this", series.version, notes="a"
    )
    version = get_event(db, series.id).version
    own_time = edit_occurrence(
        db, series.id, utc(2026, 11, 2, 14), "this", version, starts_at=ny(2026, 11, 5, 9, 0)
    )
    version = get_event(db, series.id).version
    edit_occurrence(
        db,
        series.id,
        utc(2026, 10, 19, 13),
        "all",
        version,
        rrule="FREQ=WEEKLY;BYDAY=MO;INTERVAL=2",
    )
    with pytest.raises(NotFoundError):
        get_event(db, kept_time.id)  # 26 Oct is gone and it had kept the series' time
    assert get_event(db, own_time.id).starts_at == ny(2026, 11, 5, 9, 0)  # moved: kept
    # Every other Monday from 19 Oct; 2 Nov is still a date, so its override replaces it.
    days = [(o.start.month, o.start.day) for o in window(db)]
    assert days[:4] == [(10, 19), (11, 5), (11, 16), (11, 30)]


def test_all_refuses_a_move_the_rule_cannot_follow(db):
    series = mondays(db, rrule="FREQ=MONTHLY;BYMONTHDAY=19")
    with pytest.raises(InputError) as caught:
        edit_occurrence(
            db, series.id, series.starts_at, "all", series.version, starts_at=ny(2026, 10, 20, 9)
        )
    assert caught.value.field == "starts_at"
    assert get_event(db, series.id) == series


def test_one_off_events_take_the_same_calls(db):
    event = create_event(
        db, title="Presser", kind="press_conference", starts_at=utc(2026, 11, 24, 15),
        ends_at=utc(2026, 11, 24, 16),
    )  # fmt: skip
    moved = edit_occurrence(
        db, event.id, event.starts_at, "this", event.version, starts_at=utc(2026, 11, 24, 17)
    )
    assert (moved.id, moved.starts_at, moved.ends_at) == (
        event.id,
        utc(2026, 11, 24, 17),
        utc(2026, 11, 24, 18),
    )
    assert moved.sequence == 1
    with pytest.raises(InputError) as caught:
        cancel_occurrence(db, event.id, event.starts_at, "all", moved.version)  # old start
    assert caught.value.field == "occurrence_start"
    cancel_occurrence(db, event.id, moved.starts_at, "all", moved.version)
    assert get_event(db, event.id).status is EventStatus.CANCELLED


# --- cancelling ---------------------------------------------------------------------------


def test_cancel_one_date_shows_it_cancelled_or_removes_it(db):
    series = mondays(db)
    cancel_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version)
    series = get_event(db, series.id)
    cancel_occurrence(db, series.id, utc(2026, 11, 2, 14), "this", series.version, remove=True)
    found = occurrences(db, utc(2026, 10, 19), utc(2026, 11, 10))
    assert [(o.start.day, o.status.value) for o in found] == [
        (19, "confirmed"),
        (26, "cancelled"),
        (9, "confirmed"),
    ]
    assert get_event(db, series.id).exdates == (utc(2026, 11, 2, 14),)
    # Removing a date that has an override deletes the override too.
    series = get_event(db, series.id)
    cancel_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, remove=True)
    assert rows(db) == 1
    assert [o.start.day for o in occurrences(db, utc(2026, 10, 19), utc(2026, 11, 10))] == [19, 9]
    with pytest.raises(InputError):  # an EXDATE'd date is no longer a date of the series
        cancel_occurrence(
            db, series.id, utc(2026, 11, 2, 14), "this", get_event(db, series.id).version
        )


def test_cancel_following_ends_the_series_and_all_cancels_everything(db):
    series = mondays(db)
    edit_occurrence(db, series.id, utc(2026, 11, 16, 14), "this", series.version, notes="late")
    series = get_event(db, series.id)
    cancel_occurrence(db, series.id, utc(2026, 11, 9, 14), "following", series.version)
    assert [o.start.day for o in window(db)] == [19, 26, 2]
    assert rows(db) == 1  # the override after the end went
    series = get_event(db, series.id)
    edit_occurrence(db, series.id, utc(2026, 10, 26, 13), "this", series.version, notes="x")
    series = get_event(db, series.id)
    cancel_occurrence(db, series.id, utc(2026, 10, 26, 13), "all", series.version)
    assert {o.status for o in window(db)} == {EventStatus.CANCELLED}
    assert len(window(db)) == 3


def test_cancel_following_at_the_first_date_cancels_the_series(db):
    series = mondays(db)
    cancel_occurrence(db, series.id, series.starts_at, "following", series.version)
    assert get_event(db, series.id).status is EventStatus.CANCELLED
    assert get_event(db, series.id).rrule == "FREQ=WEEKLY;BYDAY=MO"


# --- RDATE, all-day, paging ---------------------------------------------------------------


def test_rdates_add_dates_and_exdates_remove_them(db):
    series = mondays(
        db,
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2",
        rdates=[ny(2026, 10, 22, 14, 0), ny(2026, 11, 5, 9, 0)],
        exdates=[ny(2026, 11, 5, 9, 0)],
    )
    assert local(window(db)) == [
        "10-19 Mon 09:00 Weekly briefing",
        "10-22 Thu 14:00 Weekly briefing",
        "10-26 Mon 09:00 Weekly briefing",
    ]
    assert all(o.end - o.start == timedelta(hours=1) for o in window(db))
    changed = edit_occurrence(
        db, series.id, ny(2026, 10, 22, 14, 0), "this", series.version, title="Extra"
    )
    assert changed.recurrence_id == ny(2026, 10, 22, 14, 0)
    with pytest.raises(InputError) as caught:
        create_event(db, title="x", kind="tv", starts_at=utc(2026, 1, 1), rdates=[utc(2026, 1, 2)])
    assert caught.value.field == "rdates"


def test_all_day_series_edit_this_and_following(db):
    series = create_event(
        db, title="Budget week", kind="deadline", starts_at=ny(2026, 10, 30, 0, 0),
        timezone="America/New_York", all_day=True, rrule="FREQ=DAILY;COUNT=5",
    )  # fmt: skip
    later = edit_occurrence(
        db, series.id, ny(2026, 11, 2, 0, 0), "following", series.version, title="Hearings"
    )
    assert get_event(db, series.id).rrule == "FREQ=DAILY;UNTIL=20261101"  # a date: all-day
    assert later.rrule == "FREQ=DAILY;COUNT=2"
    found = occurrences(db, utc(2026, 10, 29), utc(2026, 11, 10))
    assert [(o.start.astimezone(NY).day, o.title) for o in found] == [
        (30, "Budget week"),
        (31, "Budget week"),
        (1, "Budget week"),
        (2, "Hearings"),
        (3, "Hearings"),
    ]
    assert found[2].end - found[2].start == timedelta(hours=25)  # 1 Nov: the long day


def test_all_occurrences_lists_past_the_window_limit_without_repeats(db):
    create_event(
        db, title="Hourly check", kind="internal_meeting", starts_at=utc(2026, 1, 1),
        ends_at=utc(2026, 1, 1, 2), rrule="FREQ=HOURLY",
    )  # fmt: skip
    found, truncated = all_occurrences(db, utc(2026, 1, 1), utc(2026, 3, 1))
    assert not truncated
    # 1,416 hourly starts in 59 days (more than one occurrences() window of 1,000), each
    # listed once although two-hour occurrences always overlap the next one.
    assert [o.start for o in found] == [utc(2026, 1, 1) + timedelta(hours=h) for h in range(1416)]
    capped, truncated = all_occurrences(db, utc(2026, 1, 1), utc(2026, 3, 1), cap=100)
    assert truncated and len(capped) == 100


def test_update_event_bumps_sequence_for_every_revision(db):
    series = mondays(db)
    renamed = update_event(db, series.id, series.version, title="Renamed")
    assert renamed.sequence == 1
    moved = update_event(db, series.id, renamed.version, starts_at=ny(2026, 10, 19, 9, 30))
    assert moved.sequence == 2
    assert moved.rrule == "FREQ=WEEKLY;BYDAY=MO"
    same = update_event(db, series.id, moved.version, title="Renamed")  # nothing new
    assert same.sequence == 2


# --- the fast path for plain daily/weekly rules agrees with dateutil ----------------------

_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@settings(max_examples=300, deadline=None)
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY"]),
    days=st.lists(st.sampled_from(_CODES), unique=True, max_size=4),
    start_day=st.integers(min_value=0, max_value=800),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    window_day=st.integers(min_value=-30, max_value=900),
    window_len=st.integers(min_value=1, max_value=60),
    until_day=st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    until_kind=st.sampled_from(["date", "utc", "local"]),
)
def test_plain_rules_expand_as_dateutil_does(
    freq, days, start_day, minute, window_day, window_len, until_day, until_kind
):
    from deskterm.core.calendar import build_rule, simple_dates

    wall_start = datetime(2025, 1, 1) + timedelta(days=start_day, minutes=minute)
    text = f"FREQ={freq}" + (f";BYDAY={','.join(days)}" if days else "")
    if until_day is not None:
        until = wall_start + timedelta(days=until_day)
        if until_kind == "date":
            text += f";UNTIL={until:%Y%m%d}"
        elif until_kind == "utc":
            text += f";UNTIL={until.replace(tzinfo=NY).astimezone(UTC):%Y%m%dT%H%M%SZ}"
        else:
            text += f";UNTIL={until:%Y%m%dT%H%M%S}"
    low = datetime(2025, 1, 1) + timedelta(days=window_day)
    high = low + timedelta(days=window_len)
    fast = simple_dates(text, wall_start, low, high, NY)
    assert fast is not None
    rule = build_rule(text, wall_start, NY)
    slow = [wall for wall in rule.xafter(max(low, wall_start), inc=True, count=500) if wall <= high]
    assert fast == slow


def test_other_rules_are_left_to_dateutil():
    from deskterm.core.calendar import simple_dates

    start, low, high = datetime(2026, 1, 1, 9), datetime(2026, 1, 1), datetime(2026, 3, 1)
    for text in (
        "FREQ=WEEKLY;INTERVAL=2",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=MONTHLY;BYDAY=1WE",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=DAILY;BYHOUR=9,15",
        "FREQ=HOURLY",
    ):
        assert simple_dates(text, start, low, high, NY) is None


def test_occurrence_of_equals_the_constructor(db):
    import dataclasses

    from deskterm.core.calendar import Occurrence

    series = mondays(db)
    (found,) = occurrences(db, utc(2026, 10, 19), utc(2026, 10, 20))
    built = Occurrence(
        event_id=series.id,
        title="Weekly briefing",
        kind=EventKind.PRESS_CONFERENCE,
        status=EventStatus.CONFIRMED,
        start=utc(2026, 10, 19, 13),
        end=utc(2026, 10, 19, 14),
        all_day=False,
        location="City Hall",
        leaders=("Mayor",),
        timezone="America/New_York",
        recurring=True,
        public=True,
        series_id=series.id,
        original_start=utc(2026, 10, 19, 13),
    )
    assert found == built and hash(found) == hash(built)
    assert set(vars(found)) == {f.name for f in dataclasses.fields(Occurrence)}
    assert dataclasses.replace(found, title="x").title == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.title = "changed"  # type: ignore[misc]


# --- one occurrence as saved now (an open detail view's reload) ---------------------------


def test_current_occurrence_follows_its_date_through_cancels_and_moves(db):
    from deskterm.core.calendar import current_occurrence

    series = mondays(db)
    listed = next(o for o in window(db) if o.start == ny(2026, 11, 9, 9, 0))
    assert current_occurrence(db, listed) == listed  # nothing changed: the same

    cancel_occurrence(db, series.id, listed.start, "this", series.version)
    now = current_occurrence(db, listed)
    assert (now.status, now.start, now.overridden) == (EventStatus.CANCELLED, listed.start, True)

    # moved by an edit of that date: found at its new time, as its override holds it
    edit_occurrence(db, series.id, listed.start, "this", get_event(db, series.id).version,
                    starts_at=ny(2026, 11, 9, 14, 0), ends_at=ny(2026, 11, 9, 15, 0))  # fmt: skip
    assert current_occurrence(db, listed).start == ny(2026, 11, 9, 14, 0)
    assert current_occurrence(db, now).start == ny(2026, 11, 9, 14, 0)  # from the override

    # a date the series no longer has (it ends before it): the occurrence as it was given
    later = next(o for o in window(db) if o.start == ny(2026, 11, 23, 9, 0))
    cancel_occurrence(db, series.id, ny(2026, 11, 16, 9, 0), "following",
                      get_event(db, series.id).version)  # fmt: skip
    assert current_occurrence(db, later) == later

    # a one-off event moved: its present date; deleted: not found
    one_off = create_event(db, title="Ribbon cutting", kind="public_appearance",
                           starts_at=ny(2026, 11, 12, 10, 0), ends_at=ny(2026, 11, 12, 11, 0),
                           timezone="America/New_York")  # fmt: skip
    shown = next(o for o in window(db) if o.event_id == one_off.id)
    update_event(db, one_off.id, one_off.version, starts_at=ny(2026, 11, 13, 10, 0),
                 ends_at=ny(2026, 11, 13, 11, 0))  # fmt: skip
    assert current_occurrence(db, shown).start == ny(2026, 11, 13, 10, 0)
    with db.transaction() as session:
        session.delete(session.get(Event, one_off.id))
    with pytest.raises(NotFoundError):
        current_occurrence(db, shown)
