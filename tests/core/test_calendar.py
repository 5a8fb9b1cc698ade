"""Calendar events: validation, and occurrences in a range (series expanded in their zone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.enums import AuditAction, EventKind, EventStatus
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, Event
from deskterm.core.calendar import (
    MAX_EVENT_LENGTH,
    create_event,
    get_event,
    occurrences,
    update_event,
)
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff

NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def weekly_briefing(db, **extra):
    """Mondays 09:00-10:00 New York time from 2026-10-19 (DST ends Sunday 2026-11-01)."""
    values = {
        "title": "Weekly briefing",
        "kind": "press_conference",
        "starts_at": ny(2026, 10, 19, 9, 0),
        "ends_at": ny(2026, 10, 19, 10, 0),
        "timezone": "America/New_York",
        "rrule": "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "leaders": ["Mayor"],
        **extra,
    }
    return create_event(db, **values)


def test_create_event_stores_fields(db):
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    event = create_event(
        db,
        title="  Budget   press conference ",
        kind="Press Conference",
        starts_at=ny(2026, 6, 1, 10, 0),
        ends_at=ny(2026, 6, 1, 11, 0),
        timezone="America/New_York",
        location="City Hall, Room 9",
        leaders=["Mayor", " Deputy Mayor ", "Mayor"],
        owner="ab",
        status="tentative",
        public=False,
        notes="Bring the charts",
    )
    assert event.title == "Budget press conference"
    assert event.kind is EventKind.PRESS_CONFERENCE
    assert event.status is EventStatus.TENTATIVE
    assert event.starts_at == utc(2026, 6, 1, 14, 0) and event.starts_at.tzinfo is UTC
    assert event.ends_at == utc(2026, 6, 1, 15, 0)
    assert event.leaders == ("Mayor", "Deputy Mayor")
    assert (event.owner, event.public, event.rrule, event.exdates) == ("AB", False, None, ())
    assert event.uid.endswith("@deskterm") and len(event.uid) > len("@deskterm") + 30
    assert event.version == 1
    assert get_event(db, event.id) == event
    with db.read() as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "events")).all()
    assert actions == [AuditAction.INSERT]


def test_rrule_is_stored_without_its_prefix(db):
    series = weekly_briefing(db, uid="briefing@city.example")
    assert series.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert series.uid == "briefing@city.example"
    bare = weekly_briefing(db, rrule="freq=daily;count=3")
    assert bare.rrule == "FREQ=DAILY;COUNT=3"
    with pytest.raises(InputError) as caught:
        weekly_briefing(db, uid="briefing@city.example")
    assert caught.value.field == "uid"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"kind": "party"}, "kind"),
        ({"status": "maybe"}, "status"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"ends_at": ny(2026, 10, 19, 8, 0)}, "ends_at"),
        ({"ends_at": ny(2026, 10, 19, 9, 0) + MAX_EVENT_LENGTH + timedelta(days=1)}, "ends_at"),
        ({"starts_at": datetime(2026, 10, 19, 9, 0)}, "starts_at"),
        ({"ends_at": datetime(2026, 10, 19, 10, 0)}, "ends_at"),
        ({"rrule": "every monday please"}, "rrule"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "BYDAY=MO"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;INTERVAL=0"}, "rrule"),
        ({"rrule": "FREQ=MINUTELY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=2026"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3;UNTIL=20261231"}, "rrule"),
        ({"rrule": "DTSTART:20261019T090000\nRRULE:FREQ=WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule"),  # never happens
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261001"}, "rrule"),  # ends before the start
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261019T125959Z"}, "rrule"),  # a second before it
        ({"exdates": [datetime(2026, 10, 26, 9, 0)]}, "exdates"),
        ({"leaders": ["Mayor, Deputy"]}, "leaders"),
        ({"owner": "ZZ"}, "owner"),
    ],
)
def test_create_event_rejects_bad_input_naming_the_field(db, changes, field):
    with pytest.raises(InputError) as caught:
        weekly_briefing(db, **changes)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)
    with db.read() as session:
        assert session.scalar(select(Event.id)) is None


def test_a_rule_ending_before_its_first_date_is_refused_but_one_ending_at_it_is_kept(db):
    with pytest.raises(InputError) as caught:
        weekly_briefing(db, rrule="FREQ=WEEKLY;UNTIL=20261001")
    assert str(caught.value).endswith(
        "it ends (UNTIL=20261001) before its first date: the event would never appear"
    )
    once = weekly_briefing(db, rrule="FREQ=WEEKLY;UNTIL=20261019T130000Z")  # 09:00 in New York
    assert [o.start for o in occurrences(db, utc(2026, 10, 1), utc(2026, 12, 1))] == [
        once.starts_at
    ]


def test_all_day_events_start_at_local_midnight_and_default_to_one_day(db):
    day = create_event(
        db,
        title="Election day",
        kind="deadline",
        starts_at=ny(2026, 11, 1, 0, 0),  # the DST change: a 25-hour day in New York
        timezone="America/New_York",
        all_day=True,
    )
    assert day.starts_at == utc(2026, 11, 1, 4, 0)
    assert day.ends_at == utc(2026, 11, 2, 5, 0)
    with pytest.raises(InputError) as caught:
        create_event(
            db,
            title="Election day",
            kind="deadline",
            starts_at=utc(2026, 11, 1, 0, 0),  # midnight in UTC, not in New York
            timezone="America/New_York",
            all_day=True,
        )
    assert caught.value.field == "starts_at"


def test_get_missing_event(db):
    with pytest.raises(NotFoundError):
        get_event(db, 12345)


def test_occurrences_merge_one_off_and_recurring_events_sorted(db):
    series = weekly_briefing(db)
    interview = create_event(
        db,
        title="Radio interview",
        kind="radio",
        starts_at=utc(2026, 10, 26, 12, 0),
        ends_at=utc(2026, 10, 26, 12, 30),
        leaders=["Deputy Mayor"],
    )
    council = create_event(
        db,
        title="Council meeting",
        kind="council_meeting",
        starts_at=utc(2026, 10, 20, 22, 0),
        status="cancelled",
    )
    create_event(db, title="Later", kind="tv", starts_at=utc(2026, 12, 1, 12, 0))
    create_event(db, title="Earlier", kind="tv", starts_at=utc(2026, 10, 1, 12, 0))

    found = occurrences(db, utc(2026, 10, 19, 0, 0), utc(2026, 11, 3, 0, 0))
    assert [(occ.event_id, occ.start) for occ in found] == [
        (series.id, utc(2026, 10, 19, 13, 0)),
        (council.id, utc(2026, 10, 20, 22, 0)),
        (interview.id, utc(2026, 10, 26, 12, 0)),
        (series.id, utc(2026, 10, 26, 13, 0)),
        (series.id, utc(2026, 11, 2, 14, 0)),
    ]
    first = found[0]
    assert first.recurring and first.end == utc(2026, 10, 19, 14, 0)
    assert (first.title, first.kind, first.leaders) == (
        "Weekly briefing",
        EventKind.PRESS_CONFERENCE,
        ("Mayor",),
    )
    assert first.timezone == "America/New_York"
    # cancelled occurrences are still shown, with their status
    assert found[1].status is EventStatus.CANCELLED and not found[1].recurring
    assert found[1].end is None
    assert all(occ.start.tzinfo is UTC for occ in found)


def test_weekly_slot_keeps_its_local_time_across_the_dst_change(db):
    series = weekly_briefing(db)
    found = occurrences(db, utc(2026, 10, 19, 0, 0), utc(2026, 11, 17, 0, 0))
    assert [occ.start.astimezone(NY).strftime("%a %H:%M") for occ in found] == ["Mon 09:00"] * 5
    assert [occ.start.hour for occ in found] == [13, 13, 14, 14, 14]
    assert [occ.start.date().isoformat() for occ in found] == [
        "2026-10-19",
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    assert all(occ.end - occ.start == timedelta(hours=1) for occ in found)
    assert {occ.event_id for occ in found} == {series.id}


def test_exdates_are_skipped(db):
    weekly_briefing(db, exdates=[utc(2026, 10, 26, 13, 0), ny(2026, 11, 9, 9, 0)])
    found = occurrences(db, utc(2026, 10, 19, 0, 0), utc(2026, 11, 17, 0, 0))
    assert [occ.start.date().isoformat() for occ in found] == [
        "2026-10-19",
        "2026-11-02",
        "2026-11-16",
    ]


def test_until_in_utc_is_honoured_in_wall_time(db):
    # RFC 5545: UNTIL is in UTC when DTSTART has a zone. 2026-11-02 09:00 EST is 14:00Z.
    weekly_briefing(db, rrule="FREQ=WEEKLY;UNTIL=20261102T140000Z")
    weekly_briefing(db, title="Short", rrule="FREQ=WEEKLY;UNTIL=20261102T135959Z")
    found = occurrences(db, utc(2026, 10, 1, 0, 0), utc(2027, 1, 1, 0, 0))
    by_title: dict[str, list[str]] = {}
    for occ in found:
        by_title.setdefault(occ.title, []).append(occ.start.date().isoformat())
    assert by_title["Weekly briefing"] == ["2026-10-19", "2026-10-26", "2026-11-02"]
    assert by_title["Short"] == ["2026-10-19", "2026-10-26"]


def test_date_only_until_includes_that_day(db):
    weekly_briefing(db, rrule="FREQ=WEEKLY;UNTIL=20261102")
    found = occurrences(db, utc(2026, 10, 1, 0, 0), utc(2027, 1, 1, 0, 0))
    assert [occ.start.date().isoformat() for occ in found] == [
        "2026-10-19",
        "2026-10-26",
        "2026-11-02",
    ]


def test_all_day_series_lasts_whole_local_days(db):
    create_event(
        db,
        title="Budget week",
        kind="deadline",
        starts_at=ny(2026, 10, 31, 0, 0),
        timezone="America/New_York",
        all_day=True,
        rrule="FREQ=DAILY;COUNT=3",
    )
    found = occurrences(db, utc(2026, 10, 30, 0, 0), utc(2026, 11, 5, 0, 0))
    assert [(occ.start.astimezone(NY).hour, occ.end.astimezone(NY).hour) for occ in found] == [
        (0, 0)
    ] * 3
    assert [occ.end - occ.start for occ in found] == [
        timedelta(hours=24),
        timedelta(hours=25),
        timedelta(hours=24),
    ]
    assert all(occ.all_day for occ in found)


def test_leader_and_kind_filters(db):
    weekly_briefing(db)  # leaders: Mayor
    create_event(
        db,
        title="TV hit",
        kind="tv",
        starts_at=utc(2026, 10, 21, 23, 0),
        leaders=["Deputy Mayor"],
    )
    create_event(
        db,
        title="Town hall",
        kind="community_event",
        starts_at=utc(2026, 10, 22, 23, 0),
        leaders=["Chief of Staff", "MAYOR"],
    )
    create_event(db, title="Staff lunch", kind="internal_meeting", starts_at=utc(2026, 10, 23, 16))
    start, end = utc(2026, 10, 19, 0, 0), utc(2026, 10, 26, 0, 0)

    mayor = occurrences(db, start, end, leader="mayor")
    assert [occ.title for occ in mayor] == ["Weekly briefing", "Town hall"]  # not "Deputy Mayor"
    deputy = occurrences(db, start, end, leader=" Deputy  Mayor ")
    assert [occ.title for occ in deputy] == ["TV hit"]
    assert occurrences(db, start, end, leader="nobody") == []

    assert [occ.title for occ in occurrences(db, start, end, kind=EventKind.TV)] == ["TV hit"]
    assert [occ.title for occ in occurrences(db, start, end, kind="press conference")] == [
        "Weekly briefing"
    ]
    assert occurrences(db, start, end, kind="community_event", leader="Deputy Mayor") == []
    with pytest.raises(InputError) as caught:
        occurrences(db, start, end, kind="gala")
    assert caught.value.field == "kind"


def test_leader_filter_pages_past_substring_false_matches(db):
    # 6 events whose leaders contain "mayor" as a substring only, then 2 real matches.
    for day in range(1, 7):
        create_event(
            db,
            title=f"d{day}",
            kind="tv",
            starts_at=utc(2026, 3, day, 12),
            leaders=["Deputy Mayor"],
        )
    create_event(db, title="m1", kind="tv", starts_at=utc(2026, 3, 8, 12), leaders=["Mayor"])
    create_event(db, title="m2", kind="tv", starts_at=utc(2026, 3, 9, 12), leaders=["Mayor"])
    found = occurrences(db, utc(2026, 3, 1), utc(2026, 4, 1), leader="Mayor", limit=2)
    assert [occ.title for occ in found] == ["m1", "m2"]


def test_an_event_spanning_the_range_start_is_included(db):
    spanning = create_event(
        db,
        title="Trade mission",
        kind="public_appearance",
        starts_at=utc(2026, 9, 20, 8, 0),
        ends_at=utc(2026, 10, 3, 18, 0),
    )
    create_event(
        db,
        title="Ended exactly at the start",
        kind="interview",
        starts_at=utc(2026, 9, 30, 23, 0),
        ends_at=utc(2026, 10, 1, 0, 0),
    )
    create_event(db, title="Instant before", kind="deadline", starts_at=utc(2026, 9, 30, 23, 59))
    at_start = create_event(db, title="At start", kind="deadline", starts_at=utc(2026, 10, 1))
    create_event(db, title="At end", kind="deadline", starts_at=utc(2026, 10, 2))
    found = occurrences(db, utc(2026, 10, 1), utc(2026, 10, 2))
    assert [occ.event_id for occ in found] == [spanning.id, at_start.id]
    assert found[0].start == utc(2026, 9, 20, 8, 0)

    # A series occurrence that began before the range start and runs into it counts too.
    create_event(
        db,
        title="Night shift",
        kind="internal_meeting",
        starts_at=utc(2026, 9, 28, 22, 0),
        ends_at=utc(2026, 9, 29, 2, 0),
        rrule="FREQ=DAILY",
    )
    found = occurrences(db, utc(2026, 10, 1), utc(2026, 10, 1, 12))
    assert [(occ.title, occ.start) for occ in found] == [
        ("Trade mission", utc(2026, 9, 20, 8, 0)),
        ("Night shift", utc(2026, 9, 30, 22, 0)),
        ("At start", utc(2026, 10, 1)),
    ]


def test_limit_is_honoured_across_sources(db):
    create_event(
        db, title="Daily", kind="internal_meeting", starts_at=utc(2026, 1, 1, 9), rrule="FREQ=DAILY"
    )
    for day in range(1, 10):
        create_event(db, title=f"one-off {day}", kind="tv", starts_at=utc(2026, 1, day, 10))
    found = occurrences(db, utc(2026, 1, 1), utc(2026, 2, 1), limit=5)
    assert [(occ.title, occ.start.day) for occ in found] == [
        ("Daily", 1),
        ("one-off 1", 1),
        ("Daily", 2),
        ("one-off 2", 2),
        ("Daily", 3),
    ]
    assert len(occurrences(db, utc(2026, 1, 1), utc(2026, 2, 1))) == 31 + 9
    with pytest.raises(InputError) as caught:
        occurrences(db, utc(2026, 1, 1), utc(2026, 2, 1), limit=0)
    assert caught.value.field == "limit"
    with pytest.raises(InputError) as caught:
        occurrences(db, datetime(2026, 1, 1), utc(2026, 2, 1))
    assert caught.value.field == "start"


def test_override_rows_replace_their_date_even_with_a_stray_rule(db):
    series = weekly_briefing(db)
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
                rrule="FREQ=WEEKLY",  # nonsense on an override, but must not break anything
            )
        )
    found = occurrences(db, utc(2026, 10, 19), utc(2026, 11, 3))
    assert [occ.title for occ in found] == ["Weekly briefing", "Briefing moved", "Weekly briefing"]


def test_update_event_checks_the_whole_schedule_and_versions(db):
    series = weekly_briefing(db)
    moved = update_event(
        db,
        series.id,
        series.version,
        starts_at=ny(2026, 10, 20, 8, 30),
        ends_at=ny(2026, 10, 20, 9, 0),
        rrule="FREQ=WEEKLY;BYDAY=TU",
        title="Tuesday briefing",
        leaders="Mayor, Press Secretary",
    )
    assert moved.version == series.version + 1
    assert moved.leaders == ("Mayor", "Press Secretary")
    found = occurrences(db, utc(2026, 10, 19), utc(2026, 11, 4))
    assert [occ.start.astimezone(NY).strftime("%m-%d %H:%M") for occ in found] == [
        "10-20 08:30",
        "10-27 08:30",
        "11-03 08:30",
    ]

    # The kept start is checked against a new end, a new zone against the kept rule...
    with pytest.raises(InputError) as caught:
        update_event(db, series.id, moved.version, ends_at=ny(2026, 10, 20, 8, 0))
    assert caught.value.field == "ends_at"
    with pytest.raises(InputError) as caught:
        update_event(db, series.id, moved.version, rrule="FREQ=WEEKLY;BYDAY=XX")
    assert caught.value.field == "rrule"
    with pytest.raises(InputError) as caught:
        update_event(db, series.id, moved.version, uid="new@uid")
    assert caught.value.field == "uid"

    cleared = update_event(db, series.id, moved.version, rrule=None, status="postponed")
    assert (cleared.rrule, cleared.status) == (None, EventStatus.POSTPONED)
    found = occurrences(db, utc(2026, 10, 19), utc(2026, 11, 4))
    assert [(occ.recurring, occ.status) for occ in found] == [(False, EventStatus.POSTPONED)]

    with pytest.raises(ConflictError):
        update_event(db, series.id, moved.version, title="Stale edit")
    assert get_event(db, series.id) == cleared
