"""Leader overlaps (pure) and the appearances report (real SQLite files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import EventKind, EventStatus
from deskterm.core.appearances import (
    appearance_report,
    appearance_reports,
    leader_overlaps,
)
from deskterm.core.calendar import Occurrence, create_event, get_event, occurrences
from deskterm.core.calendar_edits import cancel_occurrence, edit_occurrence
from deskterm.core.config import DEFAULT_LEADERS
from deskterm.core.errors import InputError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 23 Nov 2026, 10:00 in New York


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def occ(
    event_id: int,
    start: datetime,
    end: datetime | None,
    leaders: tuple[str, ...] = ("Mayor",),
    *,
    kind: EventKind = EventKind.TV,
    status: EventStatus = EventStatus.CONFIRMED,
    all_day: bool = False,
) -> Occurrence:
    return Occurrence(
        event_id=event_id,
        title=f"e{event_id}",
        kind=kind,
        status=status,
        start=start,
        end=end,
        all_day=all_day,
        location="",
        leaders=leaders,
        timezone="UTC",
        recurring=False,
        public=True,
    )


# --- leader_overlaps ----------------------------------------------------------------------


def test_overlapping_times_sharing_a_leader_clash():
    a = occ(1, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14))
    b = occ(2, utc(2026, 11, 24, 13, 30), utc(2026, 11, 24, 15), ("mayor ",))  # case, spaces
    c = occ(3, utc(2026, 11, 24, 14), utc(2026, 11, 24, 15), ("Deputy Mayor",))
    d = occ(4, utc(2026, 11, 24, 15), utc(2026, 11, 24, 16))  # starts as b ends: no clash
    assert leader_overlaps([a, b, c, d]) == {a.key, b.key}
    assert leader_overlaps([]) == frozenset()
    assert leader_overlaps([a]) == frozenset()


def test_a_title_and_the_titled_name_are_one_leader():
    a = occ(1, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14), ("Mayor",))
    b = occ(2, utc(2026, 11, 24, 13, 30), utc(2026, 11, 24, 15), ("Mayor Elena Castellanos",))
    c = occ(3, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14), ("Deputy Mayor Marcus Bell",))
    assert leader_overlaps([a, b, c]) == {a.key, b.key}


def test_a_leader_filter_by_title_finds_the_titled_names(db):
    from deskterm.core.ics import export_ics

    for title, leaders in (
        ("Ribbon cutting", ["Mayor Elena Castellanos"]),
        ("Radio guest spot", ["Deputy Mayor Marcus Bell"]),
        ("Budget briefing", ["mayor"]),
    ):
        create_event(
            db,
            title=title,
            kind="public_appearance",
            starts_at=ny(2026, 12, 1, 9),
            ends_at=ny(2026, 12, 1, 10),
            timezone="America/New_York",
            leaders=leaders,
        )
    found = occurrences(db, utc(2026, 11, 30), utc(2026, 12, 7), leader="Mayor")
    assert sorted(o.title for o in found) == ["Budget briefing", "Ribbon cutting"]
    exported = export_ics(db, leader="Mayor").decode()
    assert "Ribbon cutting" in exported and "Budget briefing" in exported
    assert "Radio guest spot" not in exported
    report = appearance_report(db, "Mayor", utc(2026, 11, 30), utc(2026, 12, 7), now=NOW)
    assert sorted(o.title for o in report.appearances) == ["Budget briefing", "Ribbon cutting"]
    assert {o.title for o in report.clashes} == {"Budget briefing", "Ribbon cutting"}


def test_an_occurrence_inside_a_long_one_and_chains_of_clashes():
    long = occ(1, utc(2026, 11, 24, 9), utc(2026, 11, 24, 17))
    first = occ(2, utc(2026, 11, 24, 10), utc(2026, 11, 24, 11))
    later = occ(3, utc(2026, 11, 24, 15), utc(2026, 11, 24, 16))
    apart = occ(4, utc(2026, 11, 24, 18), utc(2026, 11, 24, 19))
    assert leader_overlaps([later, apart, first, long]) == {long.key, first.key, later.key}


def test_instants_clash_with_what_runs_then_and_with_each_other():
    meeting = occ(1, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14))
    inside = occ(2, utc(2026, 11, 24, 13, 30), None)
    at_end = occ(3, utc(2026, 11, 24, 14), None)  # the meeting is over at 14:00
    twin_a = occ(4, utc(2026, 11, 24, 18), None)
    twin_b = occ(5, utc(2026, 11, 24, 18), None)
    assert leader_overlaps([meeting, inside, at_end, twin_a, twin_b]) == {
        meeting.key,
        inside.key,
        twin_a.key,
        twin_b.key,
    }


def test_cancelled_markers_and_all_day_entries_do_not_clash_with_timed_ones():
    talk = occ(1, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14))
    cancelled = occ(2, utc(2026, 11, 24, 13), utc(2026, 11, 24, 14), status=EventStatus.CANCELLED)
    embargo = occ(3, utc(2026, 11, 24, 13, 30), None, kind=EventKind.EMBARGO_LIFT)
    day = occ(4, utc(2026, 11, 24, 5), utc(2026, 11, 25, 5), all_day=True)
    assert leader_overlaps([talk, cancelled, embargo, day]) == frozenset()
    trip = occ(5, utc(2026, 11, 23, 5), utc(2026, 11, 26, 5), all_day=True)
    assert leader_overlaps([talk, day, trip]) == {day.key, trip.key}  # all-day vs all-day


def test_two_dates_of_one_series_are_different_occurrences():
    first = occ(7, utc(2026, 11, 24, 13), utc(2026, 11, 25, 14))  # runs 25 hours
    second = occ(7, utc(2026, 11, 25, 13), utc(2026, 11, 26, 14))
    assert leader_overlaps([first, second, first]) == {first.key, second.key}


def test_overlaps_of_a_desk_calendar_with_series_and_overrides(db):
    series = create_event(
        db, title="Morning show", kind="radio", starts_at=ny(2026, 11, 3, 8),
        ends_at=ny(2026, 11, 3, 8, 30), timezone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=TU", leaders=["Mayor"],
    )  # fmt: skip
    presser = create_event(
        db, title="Presser", kind="press_conference", starts_at=ny(2026, 11, 17, 8, 15),
        ends_at=ny(2026, 11, 17, 9), leaders=["Mayor", "Deputy Mayor"],
    )  # fmt: skip
    # 24 Nov: the show moves to 09:00 and clashes with a TV hit at 09:15.
    edit_occurrence(
        db, series.id, ny(2026, 11, 24, 8), "this", series.version, starts_at=ny(2026, 11, 24, 9)
    )
    tv = create_event(
        db, title="TV hit", kind="tv", starts_at=ny(2026, 11, 24, 9, 15),
        ends_at=ny(2026, 11, 24, 9, 45), leaders=["Mayor"],
    )  # fmt: skip
    create_event(  # at the show's old time: no clash any more
        db, title="Deputy TV", kind="tv", starts_at=ny(2026, 11, 24, 8), leaders=["Mayor"],
        ends_at=ny(2026, 11, 24, 8, 30), status="cancelled",
    )  # fmt: skip
    found = occurrences(db, utc(2026, 11, 1), utc(2026, 12, 1))
    clashes = leader_overlaps(found)
    named = sorted(
        (o.title, o.start.astimezone(NY).strftime("%d %H:%M")) for o in found if o.key in clashes
    )
    assert named == [
        ("Morning show", "17 08:00"),
        ("Morning show", "24 09:00"),
        ("Presser", "17 08:15"),
        ("TV hit", "24 09:15"),
    ]
    assert (presser.id, ny(2026, 11, 17, 8, 15)) in clashes
    assert (tv.id, ny(2026, 11, 24, 9, 15)) in clashes


# --- the report ---------------------------------------------------------------------------


def radio_show(db, **extra):
    """Tuesdays 08:00-08:30 New York from 6 Oct 2026: the Mayor on WXYZ."""
    values = {
        "title": "WXYZ Morning Radio",
        "kind": "radio",
        "starts_at": ny(2026, 10, 6, 8),
        "ends_at": ny(2026, 10, 6, 8, 30),
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "leaders": ["Mayor"],
        **extra,
    }
    return create_event(db, **values)


def test_report_counts_public_appearances_by_kind(db):
    radio_show(db)  # Oct 6 .. : 8 Tuesdays in [1 Oct, 1 Dec)
    create_event(
        db,
        title="Presser",
        kind="press_conference",
        starts_at=ny(2026, 11, 5, 11),
        leaders=["Mayor"],
    )
    create_event(
        db,
        title="Town hall",
        kind="community_event",
        starts_at=ny(2026, 11, 12, 19),
        leaders=["MAYOR"],
    )
    create_event(
        db,
        title="Private prep",
        kind="interview",
        starts_at=ny(2026, 11, 13, 9),
        leaders=["Mayor"],
        public=False,
    )
    create_event(
        db,
        title="Staff",
        kind="internal_meeting",
        starts_at=ny(2026, 11, 13, 10),
        leaders=["Mayor"],
    )
    create_event(
        db,
        title="Dropped",
        kind="tv",
        starts_at=ny(2026, 11, 14, 10),
        leaders=["Mayor"],
        status="cancelled",
    )
    create_event(
        db,
        title="Later",
        kind="tv",
        starts_at=ny(2026, 11, 15, 10),
        leaders=["Mayor"],
        status="postponed",
    )
    create_event(
        db,
        title="Maybe",
        kind="tv",
        starts_at=ny(2026, 11, 16, 10),
        leaders=["Mayor"],
        status="tentative",
    )
    create_event(
        db, title="Deputy's", kind="tv", starts_at=ny(2026, 11, 16, 11), leaders=["Deputy Mayor"]
    )
    create_event(db, title="Outside", kind="tv", starts_at=ny(2026, 12, 2, 11), leaders=["Mayor"])
    report = appearance_report(db, "Mayor", utc(2026, 10, 1), utc(2026, 12, 1), now=NOW)
    assert report.total == 8 + 3
    assert report.by_kind == {
        EventKind.RADIO: 8,
        EventKind.COMMUNITY_EVENT: 1,
        EventKind.PRESS_CONFERENCE: 1,
        EventKind.TV: 1,
    }
    assert list(report.by_kind) == [
        EventKind.RADIO,
        EventKind.COMMUNITY_EVENT,
        EventKind.PRESS_CONFERENCE,
        EventKind.TV,
    ]
    assert "Maybe" in {o.title for o in report.appearances}
    assert not report.truncated and report.clashes == ()
    assert report.now == NOW and report.leader == "Mayor"


def test_media_slot_last_next_and_missed_dates(db):
    show = radio_show(db)
    version = show.version
    cancel_occurrence(db, show.id, ny(2026, 11, 3, 8), "this", version)  # cancelled override
    version = get_event(db, show.id).version
    cancel_occurrence(db, show.id, ny(2026, 11, 10, 8), "this", version, remove=True)  # EXDATE
    version = get_event(db, show.id).version
    edit_occurrence(  # the deputy stands in on 17 Nov
        db, show.id, ny(2026, 11, 17, 8), "this", version, leaders=["Deputy Mayor"]
    )
    version = get_event(db, show.id).version
    edit_occurrence(  # moved, not missed
        db, show.id, ny(2026, 10, 27, 8), "this", version, starts_at=ny(2026, 10, 28, 8)
    )
    version = get_event(db, show.id).version
    cancel_occurrence(db, show.id, ny(2026, 12, 1, 8), "this", version)  # future: not missed
    report = appearance_report(db, "mayor", utc(2026, 10, 1), utc(2026, 12, 15), now=NOW)
    (slot,) = report.slots
    assert (slot.title, slot.kind, slot.series_ids) == (
        "WXYZ Morning Radio",
        EventKind.RADIO,
        (show.id,),
    )
    assert [(m.scheduled, m.reason) for m in slot.missed] == [
        (ny(2026, 11, 3, 8), "cancelled"),
        (ny(2026, 11, 10, 8), "skipped"),
        (ny(2026, 11, 17, 8), "leader absent"),
    ]
    assert slot.warning == "WXYZ Morning Radio: 3 missed dates"
    assert report.warnings == ("WXYZ Morning Radio: 3 missed dates",)
    assert slot.last is not None and slot.last.start == ny(2026, 10, 28, 8)  # the moved date
    assert slot.next is not None and slot.next.start == ny(2026, 11, 24, 8)
    assert (slot.held, slot.upcoming) == (4, 2)  # 6, 13, 20, 28 Oct; 24 Nov, 8 Dec
    # A range that ends before the misses reports none; last/next still look around now.
    early = appearance_report(db, "Mayor", utc(2026, 10, 1), utc(2026, 11, 1), now=NOW)
    assert early.slots[0].missed == () and early.slots[0].next.start == ny(2026, 11, 24, 8)


def test_a_split_slot_is_one_slot_and_a_cancelled_series_has_ended(db):
    show = radio_show(db)
    later = edit_occurrence(
        db, show.id, ny(2026, 11, 17, 8), "following", show.version, starts_at=ny(2026, 11, 17, 9)
    )
    report = appearance_report(db, "Mayor", utc(2026, 11, 1), utc(2026, 12, 1), now=NOW)
    (slot,) = report.slots
    assert slot.series_ids == (show.id, later.id)
    assert slot.last.start == ny(2026, 11, 17, 9) and slot.next.start == ny(2026, 11, 24, 9)
    assert slot.missed == ()
    cancel_occurrence(db, later.id, ny(2026, 11, 17, 9), "all", later.version)
    cancel_occurrence(db, show.id, ny(2026, 11, 3, 8), "all", get_event(db, show.id).version)
    (ended,) = appearance_report(db, "Mayor", utc(2026, 11, 1), utc(2026, 12, 1), now=NOW).slots
    assert ended.next is None and ended.last is None and ended.missed == ()
    assert ended.status is EventStatus.CANCELLED


def test_only_media_kinds_of_this_leader_are_slots(db):
    radio_show(db)
    radio_show(db, title="Deputy's show", leaders=["Deputy Mayor"])
    radio_show(db, title="Staff meeting", kind="internal_meeting")
    radio_show(db, title="TV segment", kind="tv", leaders=["Chief of Staff", "Mayor"])
    report = appearance_report(db, "Mayor", utc(2026, 11, 1), utc(2026, 12, 1), now=NOW)
    assert [s.title for s in report.slots] == ["TV segment", "WXYZ Morning Radio"]


def test_reports_for_the_configured_leaders_and_bad_input(db):
    radio_show(db)
    reports = appearance_reports(db, DEFAULT_LEADERS, utc(2026, 11, 1), utc(2026, 12, 1), now=NOW)
    assert [(r.leader, r.total) for r in reports] == [
        ("Mayor", 4),  # Tuesdays 3, 10, 17, 24 Nov
        ("Deputy Mayor", 0),
        ("City Manager", 0),
    ]
    with pytest.raises(InputError) as caught:
        appearance_report(db, " ", utc(2026, 11, 1), utc(2026, 12, 1))
    assert caught.value.field == "leader"
    with pytest.raises(InputError) as caught:
        appearance_report(db, "Mayor", utc(2026, 12, 1), utc(2026, 11, 1))
    assert caught.value.field == "end"
    with pytest.raises(InputError) as caught:
        appearance_report(db, "Mayor", datetime(2026, 11, 1), utc(2026, 12, 1))
    assert caught.value.field == "start"


def test_clashes_in_the_report(db):
    radio_show(db)
    create_event(
        db, title="TV hit", kind="tv", starts_at=ny(2026, 11, 24, 8, 15),
        ends_at=ny(2026, 11, 24, 8, 45), leaders=["Mayor"],
    )  # fmt: skip
    report = appearance_report(
        db, "Mayor", utc(2026, 11, 23), utc(2026, 11, 23) + timedelta(days=7), now=NOW
    )
    assert [(o.title, o.start) for o in report.clashes] == [
        ("WXYZ Morning Radio", ny(2026, 11, 24, 8)),
        ("TV hit", ny(2026, 11, 24, 8, 15)),
    ]
