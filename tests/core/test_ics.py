"""iCalendar import and export: real-world exports (Google, Outlook, Thunderbird), broken
parts, idempotent re-import, SEQUENCE, the export -> import round trip, and two desks
importing one file at once. Real SQLite files, no mocks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from db.engine import Actor, Database
from db.enums import EventKind, EventStatus
from db.models import AuditLog, Event
from db.schema import check, upgrade
from deskterm.core.calendar import (
    EventRecord,
    create_event,
    get_event,
    occurrences,
    update_event,
)
from deskterm.core.calendar_edits import cancel_occurrence, edit_occurrence
from deskterm.core.errors import InputError
from deskterm.core.ics import export_ics, import_ics
from deskterm.core.staff import add_staff

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
WORKER = Path(__file__).parent / "procs" / "ics_importer.py"
ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def events(db) -> list[EventRecord]:
    with db.read() as session:
        ids = session.scalars(select(Event.id).order_by(Event.id)).all()
    return [get_event(db, i) for i in ids]


def by_title(db) -> dict[str, EventRecord]:
    return {e.title: e for e in events(db) if e.parent_id is None}


def count(db, model=Event) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def fresh(tmp_path: Path, name: str) -> Database:
    database = Database(str(tmp_path / name), actor=Actor("AB", "test"))
    upgrade(database)
    return database


# --- real-world files ---------------------------------------------------------------------


def test_google_calendar_export(db):
    result = import_ics(db, load("google-mayor-public.ics"), source_name="google.ics")
    assert (result.created, result.updated, result.unchanged) == (6, 0, 0)
    assert result.skipped == () and result.notes == ()
    found = by_title(db)
    uids = {e.uid: e for e in events(db) if e.parent_id is None}
    show = uids["5ok0r1gqk3d9q8v7h6c5b4a3z2@google.com"]
    assert (show.timezone, show.rrule, show.sequence) == (
        "America/New_York",
        "FREQ=WEEKLY;UNTIL=20261130T130000Z;BYDAY=TU",  # ended by the split below
        2,
    )
    assert show.location == "WXYZ Studio B, 100 Main St, Springfield"  # \, unescaped
    assert show.notes == (
        "Weekly call-in show with the Mayor on WXYZ 101.1 FM.\nProducer: Dana (555-0142). "
        "Bring the week's talking points; keep answers short."
    )  # folded lines joined, \n a line break, \; a semicolon
    assert show.kind is EventKind.INTERNAL_MEETING  # Google says nothing about kinds
    # 08:00 New York on both sides of the March change (Sunday 8 March 2026).
    march = occurrences(db, utc(2026, 3, 1), utc(2026, 3, 15), kind="internal_meeting")
    assert [(o.start.day, o.start.hour) for o in march] == [(3, 13), (10, 12)]
    # November: the cancelled date shows cancelled, the EXDATE is gone, the changed date
    # shows at its new time, and from 1 Dec the split-off winter series (09:00) runs.
    november = [
        o for o in occurrences(db, utc(2026, 11, 1), utc(2026, 12, 9)) if o.title.startswith("WXYZ")
    ]
    assert [
        (f"{o.start.astimezone(NY):%m-%d %H:%M}", o.status.value, o.title.endswith("start)"))
        for o in november
    ] == [
        ("11-03 08:00", "cancelled", False),
        ("11-17 09:00", "confirmed", True),
        ("11-24 08:00", "confirmed", False),
        ("12-01 09:00", "tentative", False),
        ("12-08 09:00", "tentative", False),
    ]
    assert [o.start for o in november if o.overridden] == [
        utc(2026, 11, 3, 13),
        utc(2026, 11, 17, 14),
    ]
    ribbon = found["Ribbon cutting: Eastside library reopens"]
    assert (ribbon.timezone, ribbon.starts_at, ribbon.ends_at) == (
        "UTC",
        utc(2026, 11, 24, 15),
        utc(2026, 11, 24, 16),
    )
    assert ribbon.notes.endswith("Café open afterwards 🎉")
    holiday = found["Thanksgiving - City Hall closed"]
    assert holiday.all_day and holiday.timezone == "America/New_York"  # X-WR-TIMEZONE
    assert (holiday.starts_at, holiday.ends_at) == (ny(2026, 11, 26), ny(2026, 11, 28))
    # Google's "this and following" split: the later half has its own, related uid.
    winter = uids["5ok0r1gqk3d9q8v7h6c5b4a3z2_R20261201T130000@google.com"]
    assert (winter.status, winter.starts_at) == (EventStatus.TENTATIVE, ny(2026, 12, 1, 9))
    assert winter.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270105T140000Z"


def test_outlook_export_with_windows_zone_names(db):
    result = import_ics(
        db,
        load("outlook-press-office.ics"),
        source_name="outlook.ics",
        floating_zone="America/New_York",
    )
    assert (result.created, result.skipped) == (4, ())
    found = by_title(db)
    interview = found["Channel 7 evening news - live interview"]
    assert interview.timezone == "America/New_York"  # TZID "Eastern Standard Time"
    assert interview.starts_at == ny(2026, 11, 25, 18, 0)
    assert (interview.kind, interview.leaders, interview.public) == (EventKind.TV, ("Mayor",), True)
    assert interview.uid.startswith("040000008200E00074C5B7101A82E008") and " " not in interview.uid
    assert interview.notes.startswith("Live interview on the evening news about the budget vote.")
    assert "Producer: Sam Ortiz, 555-0199" in interview.notes
    council = found["Regional mayors' council"]
    # "Customized Time Zone" has no name we know: its rules match America/Chicago.
    assert council.timezone == "America/Chicago"
    assert council.kind is EventKind.COUNCIL_MEETING
    assert council.leaders == ("Mayor", "Deputy Mayor")
    spring = occurrences(db, utc(2027, 3, 1), utc(2027, 4, 10), kind="council_meeting")
    assert [
        o.start.astimezone(ZoneInfo("America/Chicago")).strftime("%m-%d %H:%M") for o in spring
    ] == [
        "03-03 10:00",
        "04-07 10:00",
    ]
    assert found["Prep: budget talking points"].public is False  # CLASS:PRIVATE
    assert found["Prep: budget talking points"].kind is EventKind.INTERNAL_MEETING
    tour = found["Small Business Saturday tour (Deputy Mayor)"]
    assert tour.all_day and (tour.starts_at, tour.ends_at) == (ny(2026, 11, 27), ny(2026, 11, 28))
    assert (tour.kind, tour.leaders) == (EventKind.PUBLIC_APPEARANCE, ("Deputy Mayor",))


def test_thunderbird_export_with_floating_times(db):
    result = import_ics(
        db,
        load("thunderbird-council.ics"),
        source_name="thunderbird.ics",
        floating_zone="America/Los_Angeles",
    )
    assert (result.created, result.skipped, result.notes) == (4, (), ())
    found = by_title(db)
    call = found["Sister city video call (Berlin)"]
    assert (call.timezone, call.starts_at, call.kind) == (
        "Europe/Berlin",
        utc(2026, 11, 26, 16),
        EventKind.INTERVIEW,
    )
    council = found["City council session"]
    assert council.timezone == "America/New_York"  # /mozilla.org/20070129_1/America/New_York
    dates = occurrences(db, utc(2026, 3, 1), utc(2027, 6, 1), kind="council_meeting")
    local = [o.start.astimezone(NY).strftime("%m-%d %H:%M") for o in dates if not o.all_day]
    # COUNT=10 second Thursdays from March 2026, less the EXDATE'd 10 Dec, plus the RDATE.
    assert local == [
        "03-12 18:00", "04-09 18:00", "05-14 18:00", "06-11 18:00", "07-09 18:00",
        "08-13 18:00", "09-10 18:00", "10-08 18:00", "11-12 18:00", "12-17 18:00",
    ]  # fmt: skip
    newsletter = found["Newsletter goes out"]
    # No zone in the file and no X-WR-TIMEZONE: the floating time is read in floating_zone.
    assert newsletter.timezone == "America/Los_Angeles"
    assert newsletter.starts_at == datetime(
        2026, 11, 30, 10, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert newsletter.ends_at - newsletter.starts_at == timedelta(minutes=15)  # DURATION
    assert newsletter.kind is EventKind.SCHEDULED_POST
    hearings = found["Budget hearings"]
    assert hearings.all_day and (hearings.ends_at - hearings.starts_at).days == 3


def test_broken_parts_are_skipped_with_reasons(db):
    result = import_ics(db, load("broken-parts.ics"), source_name="broken.ics")
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    reasons = {label.split(" (")[0]: reason for label, reason in result.skipped}
    assert reasons == {
        "'Missing start'": "it has no DTSTART (start time)",
        "'Bad rule'": "RRULE 'FREQ=SOMETIMES;BYDAY=XX' is not usable: FREQ=SOMETIMES is not "
        "supported (use YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY)",
        "'Unknown zone'": "unknown time zone 'Mars/Olympus_Mons' in DTSTART (no usable VTIMEZONE)",
        "'Bad date'": "DTSTART '2026-12-03 10:00' is not a date or date-time",
        "'Write remarks'": "to-dos are not calendar events",
        "'Never closed'": "it is not closed (a new BEGIN:VEVENT at line 54)",
        "'Orphan change'": "a changed date of a series that is not in this file or on the desk",
    }
    assert all("\n" not in reason for _, reason in result.skipped)
    assert ("line 4", "not an iCalendar line; ignored") in result.notes
    assert any("line 25 is not iCalendar" in note for _, note in result.notes)
    titles = {e.title: e for e in events(db)}
    assert set(titles) == {
        "Survives a bad line",
        "Hostile [31mred[0m title",  # the escape characters are gone
        "After the unclosed one",
    }
    hostile = titles["Hostile [31mred[0m title"]
    assert hostile.location == "Room 1 City Hall"  # one line
    assert hostile.notes == "Line one\nLine two]0;pwned end"
    assert not any(
        re.search(r"[\x00-\x08\x0b-\x1f\x7f]", e.title + e.location + e.notes)
        for e in titles.values()
    )


@pytest.mark.parametrize(
    "data",
    [
        (DATA / "contacts-export.ics").read_bytes(),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"",
        b"   \r\n\r\n",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dana Reyes\r\nEND:VCARD\r\n",
    ],
)
def test_data_that_is_not_icalendar_is_one_input_error(db, data):
    with pytest.raises(InputError) as caught:
        import_ics(db, data, source_name="thing.ics")
    message = str(caught.value)
    assert message.startswith("thing.ics is not an iCalendar file") and "\n" not in message
    assert count(db) == 0


def test_a_calendar_without_events_imports_nothing(db):
    data = b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n"
    result = import_ics(db, data, source_name="empty.ics")
    assert (result.created, result.skipped, result.notes) == (0, (), ())


# --- re-import ----------------------------------------------------------------------------


def test_importing_twice_creates_nothing_the_second_time(db):
    first = import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    audit_rows = count(db, AuditLog)
    second = import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    assert (first.created, second.created, second.updated, second.unchanged) == (6, 0, 0, 6)
    assert count(db) == 6 and count(db, AuditLog) == audit_rows  # nothing written at all
    for name in ("outlook-press-office.ics", "thunderbird-council.ics", "broken-parts.ics"):
        once = import_ics(db, load(name), source_name=name)
        again = import_ics(db, load(name), source_name=name)
        assert again.created == 0 and again.updated == 0 and again.unchanged == once.created


def test_sequence_decides_which_copy_wins(db):
    original = load("google-mayor-public.ics").decode()
    import_ics(db, original.encode(), source_name="g.ics")
    show_uid = "5ok0r1gqk3d9q8v7h6c5b4a3z2@google.com"
    before = "SEQUENCE:2\r\nSTATUS:CONFIRMED\r\nSUMMARY:WXYZ Morning Radio with the Mayor\r\n"
    after = "SEQUENCE:4\r\nSTATUS:CONFIRMED\r\nSUMMARY:WXYZ Morning Radio (new host)\r\n"
    newer = original.replace(before, after)
    assert newer != original
    result = import_ics(db, newer.encode(), source_name="g.ics")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    series = next(e for e in events(db) if e.uid == show_uid and e.parent_id is None)
    assert (series.title, series.sequence, series.version) == (
        "WXYZ Morning Radio (new host)",
        4,
        2,
    )
    result = import_ics(db, original.encode(), source_name="g.ics")  # SEQUENCE 2 < 4
    assert (result.updated, result.unchanged) == (0, 5)
    assert [reason for _, reason in result.skipped] == [
        "older than the copy on the desk (SEQUENCE 2 < 4); not applied"
    ]
    same_sequence = newer.replace("(new host)", "(guest host)")
    result = import_ics(db, same_sequence.encode(), source_name="g.ics")
    assert result.updated == 1  # equal SEQUENCE: Google keeps it for title changes
    assert get_event(db, series.id).title == "WXYZ Morning Radio (guest host)"


def test_an_older_export_imported_again_does_not_undo_a_desk_edit(db):
    """Export, edit the location on the desk, import the export: the edit stays (every
    revision bumps SEQUENCE; before, only a new schedule did, and the file's equal
    SEQUENCE overwrote the location silently). The same file with nothing the desk
    changed is simply unchanged."""
    import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    old_export = export_ics(db)
    ribbon = by_title(db)["Ribbon cutting: Eastside library reopens"]
    moved = update_event(db, ribbon.id, ribbon.version, location="MOVED: [b]Studio B[/b]")
    assert moved.sequence == ribbon.sequence + 1
    result = import_ics(db, old_export, source_name="old.ics")
    assert (result.updated, result.unchanged) == (0, 5)
    assert [reason for _, reason in result.skipped] == [
        f"older than the copy on the desk (SEQUENCE {ribbon.sequence} < {moved.sequence}); "
        "not applied"
    ]
    assert get_event(db, ribbon.id).location == "MOVED: [b]Studio B[/b]"
    again = import_ics(db, export_ics(db), source_name="new.ics")  # its own copy: the same
    assert (again.updated, again.unchanged, again.skipped) == (0, 6, ())

    # the desk's event form saves through edit_occurrence: the same holds there
    current = get_event(db, moved.id)
    edited = edit_occurrence(
        db, moved.id, current.starts_at, "this", current.version, notes="Parking: B"
    )
    assert edited.sequence == moved.sequence + 1
    result = import_ics(db, old_export, source_name="old.ics")
    assert result.updated == 0 and get_event(db, moved.id).notes == "Parking: B"


def test_fields_the_file_does_not_state_stay_as_the_desk_set_them(db):
    import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    ribbon = by_title(db)["Ribbon cutting: Eastside library reopens"]
    changed = update_event(
        db, ribbon.id, ribbon.version, kind="public_appearance", leaders=["Mayor"], public=False
    )
    result = import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    assert result.unchanged == 6
    assert get_event(db, ribbon.id) == changed


def test_duplicate_uids_in_one_file_keep_the_newer_copy(db):
    event = (
        "BEGIN:VEVENT\r\nUID:dup@example.org\r\nDTSTART:20261201T150000Z\r\n"
        "SEQUENCE:{seq}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
    )
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        + event.format(seq=3, title="Newer")
        + event.format(seq=1, title="Older")
        + "END:VCALENDAR\r\n"
    )
    result = import_ics(db, data.encode(), source_name="dup.ics")
    assert result.created == 1 and [e.title for e in events(db)] == ["Newer"]
    assert [reason for _, reason in result.skipped] == [
        "the same UID is in the file again; the newer copy was used"
    ]


def test_untrusted_text_is_cut_and_owner_initials_are_checked(db):
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    long_title = "Budget " * 400
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        "BEGIN:VEVENT\r\nUID:one@example.org\r\nDTSTART:20261201T150000Z\r\n"
        f"SUMMARY:{long_title}\r\nLOCATION:Hall\\nRoom\t9\r\nX-DESKTERM-OWNER:ab\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:two@example.org\r\nDTSTART:20261202T150000Z\r\n"
        "SUMMARY:   \r\nX-DESKTERM-OWNER:ZZ\r\nX-DESKTERM-KIND:party\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    result = import_ics(db, data.encode(), source_name="x.ics")
    one, two = events(db)
    assert len(one.title) == 500 and one.title.endswith("…") and "\n" not in one.title
    assert (one.location, one.owner) == ("Hall Room 9", "AB")
    assert (two.title, two.owner, two.kind) == ("(no title)", None, EventKind.INTERNAL_MEETING)
    notes = [note for _, note in result.notes]
    assert "unknown X-DESKTERM-KIND 'party' ignored" in notes
    assert "unknown owner 'ZZ': left empty" in notes


# --- export -------------------------------------------------------------------------------


def rich_desk(db) -> None:
    """Every kind of event the desk stores, with every field we export set somewhere."""
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    show = create_event(
        db,
        title="Morning show, weekly; live",
        kind="radio",
        starts_at=ny(2026, 2, 3, 8, 0),
        ends_at=ny(2026, 2, 3, 8, 30),
        timezone="America/New_York",
        rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270105",
        exdates=[ny(2026, 3, 10, 8, 0)],
        rdates=[ny(2026, 3, 12, 9, 0)],
        leaders=["Mayor", "Deputy Mayor"],
        owner="AB",
        location="Studio B; 100 Main St, Springfield",
        notes="Line one\nLine two, with commas; and semicolons\\ and a backslash",
        uid="show@city.example",
    )
    edit_occurrence(
        db, show.id, ny(2026, 11, 17, 8), "this", show.version,
        starts_at=ny(2026, 11, 17, 9), title="Morning show (late)", status="tentative",
    )  # fmt: skip
    cancel_occurrence(db, show.id, ny(2026, 11, 3, 8), "this", get_event(db, show.id).version)
    create_event(
        db, title="Election day", kind="deadline", starts_at=ny(2026, 11, 3),
        timezone="America/New_York", all_day=True, public=False, status="postponed",
    )  # fmt: skip
    create_event(
        db, title="Trade mission", kind="public_appearance", starts_at=berlin(2026, 12, 7),
        ends_at=berlin(2026, 12, 10), timezone="Europe/Berlin", all_day=True, leaders=["Mayor"],
    )  # fmt: skip
    create_event(db, title="Embargo lifts", kind="embargo_lift", starts_at=utc(2026, 11, 24, 5))
    create_event(
        db, title="Budget week", kind="council_meeting", starts_at=ny(2026, 10, 30),
        timezone="America/New_York", all_day=True, rrule="FREQ=DAILY;COUNT=5",
        exdates=[ny(2026, 11, 1)], leaders=["City Manager"],
    )  # fmt: skip
    week = next(e for e in events(db) if e.title == "Budget week")
    edit_occurrence(  # one day of the all-day series becomes a morning session
        db, week.id, ny(2026, 10, 31), "this", week.version,
        all_day=False, starts_at=ny(2026, 10, 31, 9), ends_at=ny(2026, 10, 31, 12),
    )  # fmt: skip


EXPORTED = (
    "uid", "title", "kind", "status", "starts_at", "ends_at", "timezone", "all_day",
    "location", "leaders", "owner", "public", "notes", "rrule", "exdates", "rdates",
    "recurrence_id", "sequence",
)  # fmt: skip


def exported_fields(db) -> dict[tuple[str, datetime | None], dict[str, object]]:
    out = {}
    for record in events(db):
        fields = {name: getattr(record, name) for name in EXPORTED}
        fields["is_override"] = record.parent_id is not None
        out[(record.uid, record.recurrence_id)] = fields
    return out


def test_export_then_import_gives_the_same_events(db, tmp_path):
    rich_desk(db)
    data = export_ics(db, now=NOW)
    other = fresh(tmp_path, "other.sqlite3")
    add_staff(other, initials="AB", name="Ana Berg", role="pio")
    result = import_ics(other, data, source_name="export.ics")
    assert (result.created, result.skipped, result.notes) == (8, (), ())
    assert exported_fields(other) == exported_fields(db)
    # ... and into the desk it came from: nothing changes.
    again = import_ics(db, data, source_name="export.ics")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    # The same occurrences, overrides and cancellations included.
    for database in (db, other):
        found = occurrences(database, utc(2026, 1, 1), utc(2027, 2, 1), limit=1000)
        # 49 Tuesdays less an EXDATE plus an RDATE; 1 + 1 + 1 one-offs; 5 days less 1.
        assert len(found) == 49 + 1 + 1 + 1 + 4
    a = [
        (o.title, o.start, o.end, o.status)
        for o in occurrences(db, utc(2026, 1, 1), utc(2027, 2, 1), limit=1000)
    ]
    b = [
        (o.title, o.start, o.end, o.status)
        for o in occurrences(other, utc(2026, 1, 1), utc(2027, 2, 1), limit=1000)
    ]
    assert a == b
    other.dispose()


def test_export_is_valid_rfc5545(db):
    rich_desk(db)
    data = export_ics(db, now=NOW)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets
    assert b"\n" not in data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    assert calendar.get_missing_tzids() == set()  # a VTIMEZONE for every TZID used
    assert {tz.tz_name for tz in calendar.timezones} == {"America/New_York"}
    text = data.decode()
    assert "DTSTART;TZID=America/New_York:20260203T080000" in text
    assert "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270106T045959Z" in text  # UNTIL in UTC
    assert "DTSTART;VALUE=DATE:20261103" in text and "DTEND;VALUE=DATE:20261104" in text
    assert "DTSTART:20261124T050000Z" in text
    assert "RECURRENCE-ID;TZID=America/New_York:20261117T080000" in text
    assert "RECURRENCE-ID;VALUE=DATE:20261031" in text  # as the all-day series' DTSTART
    assert "X-DESKTERM-STATUS:postponed" in text and "STATUS:TENTATIVE" in text
    assert "CLASS:PRIVATE" in text and "X-DESKTERM-OWNER:AB" in text
    for event in calendar.events:
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART")


def test_export_filters_by_leader_kind_and_range(db):
    rich_desk(db)

    def summaries(**kwargs) -> list[str]:
        calendar = Calendar.from_ical(export_ics(db, now=NOW, **kwargs))
        return sorted(str(e["SUMMARY"]) for e in calendar.events)

    assert summaries(leader="mayor") == [
        "Morning show (late)",
        "Morning show, weekly; live",
        "Morning show, weekly; live",  # its cancelled date
        "Trade mission",
    ]
    assert summaries(kind="deadline") == ["Election day"]
    # A range takes the events with a date in it, each series whole.
    assert summaries(start=utc(2026, 12, 1), end=utc(2026, 12, 31)) == [
        "Morning show (late)",
        "Morning show, weekly; live",
        "Morning show, weekly; live",
        "Trade mission",
    ]
    assert summaries(start=utc(2026, 11, 24), end=utc(2026, 11, 25), kind="embargo_lift") == [
        "Embargo lifts"
    ]
    assert summaries(start=utc(2030, 1, 1), end=utc(2030, 2, 1)) == []
    with pytest.raises(InputError):
        export_ics(db, start=utc(2026, 1, 1))


def test_exported_dst_series_round_trips_at_nine_local(db, tmp_path):
    create_event(
        db, title="Cabinet", kind="internal_meeting", starts_at=ny(2026, 2, 23, 9),
        ends_at=ny(2026, 2, 23, 10), timezone="America/New_York", rrule="FREQ=WEEKLY;BYDAY=MO",
    )  # fmt: skip
    other = fresh(tmp_path, "dst.sqlite3")
    import_ics(other, export_ics(db, now=NOW), source_name="dst.ics")
    for start, end in ((utc(2026, 3, 1), utc(2026, 3, 17)), (utc(2026, 10, 25), utc(2026, 11, 10))):
        found = occurrences(other, start, end)
        assert {o.start.astimezone(NY).strftime("%H:%M") for o in found} == {"09:00"}
        assert len({o.start.hour for o in found}) == 2  # the UTC hour moved
    other.dispose()


# --- two desks at once --------------------------------------------------------------------


def run_two(db_path: Path, mode: str, count: int, tmp_path: Path, *extra: str) -> list[dict]:
    barrier = tmp_path / f"go-{mode}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(db_path),
                tag,
                mode,
                str(count),
                str(barrier),
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    barrier.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def big_calendar(path: Path, events: int) -> Path:
    """A Google-style file of many one-off events plus a series with changed dates."""
    parts = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-TIMEZONE:America/New_York\r\n"
    ]
    for i in range(events):
        day = date(2026, 1, 1) + timedelta(days=i % 300)
        parts.append(
            f"BEGIN:VEVENT\r\nUID:event-{i}@example.org\r\nDTSTART;TZID=America/New_York:"
            f"{day:%Y%m%d}T{9 + i % 8:02d}0000\r\nDURATION:PT1H\r\nSUMMARY:Event {i}\r\n"
            "END:VEVENT\r\n"
        )
    parts.append(
        "BEGIN:VEVENT\r\nUID:series@example.org\r\nDTSTART;TZID=America/New_York:20260105T090000\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Series\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:series@example.org\r\nRECURRENCE-ID;TZID=America/New_York:20260112T090000\r\n"
        "DTSTART;TZID=America/New_York:20260112T100000\r\nSUMMARY:Series (moved)\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    path.write_text("".join(parts), encoding="utf-8", newline="")
    return path


def test_two_desks_importing_one_file_at_once_never_duplicate(db, db_path, tmp_path):
    source = big_calendar(tmp_path / "shared.ics", 300)
    results = run_two(db_path, "import", 3, tmp_path, str(source))
    assert [r["done"] for r in results] == [3, 3]
    assert sum(r["created"] for r in results) == 302  # each event created exactly once
    assert sum(r["updated"] for r in results) == 0
    assert sum(r["unchanged"] for r in results) == 5 * 302
    assert count(db) == 302
    with db.read() as session:
        inserts = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "events", AuditLog.action == "insert")
        )
        uids = session.execute(select(Event.uid, Event.recurrence_id)).all()
    assert inserts == 302 and len(set(uids)) == 302
    assert check(db).ok


def test_two_desks_changing_dates_of_one_series_lose_nothing(db, db_path, tmp_path):
    create_event(
        db, title="Daily", kind="internal_meeting", starts_at=utc(2026, 1, 5, 14),
        rrule="FREQ=WEEKLY",
    )  # fmt: skip
    per_desk = 15
    results = run_two(db_path, "edits", per_desk, tmp_path)
    assert [r["done"] for r in results] == [per_desk, per_desk]
    overrides = [e for e in events(db) if e.parent_id == 1]
    assert sorted(o.notes for o in overrides) == sorted(
        [f"A{i}" for i in range(per_desk)] + [f"B{i}" for i in range(per_desk)]
    )
    assert get_event(db, 1).version == 1 + 2 * per_desk  # every date edit bumped the series
    print("conflicts seen:", [r["conflicts"] for r in results])
    assert check(db).ok


def test_status_of_cancelled_google_dates_is_kept(db):
    import_ics(db, load("google-mayor-public.ics"), source_name="g.ics")
    cancelled = [e for e in events(db) if e.status is EventStatus.CANCELLED]
    assert [(e.parent_id is not None, e.recurrence_id) for e in cancelled] == [
        (True, utc(2026, 11, 3, 13))
    ]
