"""The event form's reading of what was typed (no terminal needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import EventKind, EventStatus
from deskterm.core.errors import InputError
from deskterm.screens.event_form import (
    draft_texts,
    new_draft,
    parse_draft,
    repeat_rule,
    zone_name,
)

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
THURSDAY = date(2026, 11, 26)


def typed(**changes: str) -> dict[str, str]:
    values = draft_texts(new_draft(day=THURSDAY, zone="America/New_York", leaders=("Mayor",)))
    values["end"] = "+1h"
    values.update(changes)
    return values


def test_a_new_draft_reads_back_as_itself():
    draft = parse_draft(typed(title="Food bank visit"), now=NOW, day=THURSDAY)
    assert draft.starts_at == datetime(2026, 11, 26, 9, 0, tzinfo=NY)
    assert draft.ends_at == draft.starts_at + timedelta(hours=1)
    assert (draft.kind, draft.status, draft.public) == (
        EventKind.PUBLIC_APPEARANCE,
        EventStatus.CONFIRMED,
        True,
    )
    assert draft.leaders == ("Mayor",) and draft.rrule is None


def test_a_time_alone_is_on_the_forms_day_and_an_end_follows_the_start():
    draft = parse_draft(typed(start="14:30", end="+90m"), now=NOW, day=THURSDAY)
    assert draft.starts_at == datetime(2026, 11, 26, 14, 30, tzinfo=NY)
    assert draft.ends_at == datetime(2026, 11, 26, 16, 0, tzinfo=NY)
    assert parse_draft(typed(start="3pm"), now=NOW, day=THURSDAY).starts_at == datetime(
        2026, 11, 26, 15, 0, tzinfo=NY
    )
    moved = parse_draft(typed(start="fri 10:00", end="11:15"), now=NOW, day=THURSDAY)
    assert (moved.starts_at, moved.ends_at) == (
        datetime(2026, 11, 27, 10, 0, tzinfo=NY),
        datetime(2026, 11, 27, 11, 15, tzinfo=NY),
    )
    # a weekday end: the start's day, not the same weekday a week on (a 7-day event)
    early = parse_draft(typed(start="10:00", end="thu 09:00"), now=NOW, day=THURSDAY)
    assert early.ends_at == datetime(2026, 11, 26, 9, 0, tzinfo=NY)  # before: refused on save


def test_a_time_the_clocks_skip_is_refused_rather_than_making_the_event_zero_length():
    """02:30-03:30 on the spring-forward day: 02:30 would move to 03:30, the end would stay
    at 03:30, and the hour-long event would become zero length."""
    for start, end, field in (
        ("2027-03-14 02:30", "2027-03-14 03:30", "start"),
        ("2027-03-14 01:30", "2027-03-14 02:15", "end"),
    ):
        with pytest.raises(InputError) as caught:
            parse_draft(typed(start=start, end=end), now=NOW, day=THURSDAY)
        assert caught.value.field == field
        assert "does not exist on Sun 14 Mar 2027 in America/New_York" in str(caught.value)
    kept = parse_draft(typed(start="2027-03-14 01:30", end="+1h"), now=NOW, day=THURSDAY)
    assert kept.ends_at - kept.starts_at == timedelta(hours=1)


def test_times_are_read_in_the_events_own_zone():
    draft = parse_draft(typed(start="2026-11-26 09:00", zone="Europe/Paris"), now=NOW, day=THURSDAY)
    assert draft.starts_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert draft.timezone == "Europe/Paris"


def test_all_day_takes_dates_and_the_end_is_the_last_day():
    draft = parse_draft(
        typed(all_day="yes", start="2026-11-26", end="2026-11-27"), now=NOW, day=THURSDAY
    )
    assert draft.starts_at == datetime(2026, 11, 26, 0, 0, tzinfo=NY)
    assert draft.ends_at == datetime(2026, 11, 28, 0, 0, tzinfo=NY)
    texts = draft_texts(draft)
    assert (texts["start"], texts["end"], texts["all_day"]) == ("2026-11-26", "2026-11-27", "yes")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"start": "the day after never"}, "start"),
        ({"end": "whenever"}, "end"),
        ({"zone": "Mars/Olympus"}, "timezone"),
        ({"all_day": "yes", "start": "2026-11-26 10:00"}, "start"),
    ],
)
def test_bad_input_names_its_field(values, field):
    with pytest.raises(InputError) as error:
        parse_draft(typed(**values), now=NOW, day=THURSDAY)
    assert error.value.field == field


def test_repeat_words_and_rules():
    assert repeat_rule("") is None and repeat_rule(" None ") is None
    assert repeat_rule("weekly") == "FREQ=WEEKLY"
    assert repeat_rule("Weekdays") == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    assert repeat_rule("FREQ=MONTHLY;BYMONTHDAY=1") == "FREQ=MONTHLY;BYMONTHDAY=1"


def test_an_edit_saves_only_what_changed():
    before = parse_draft(typed(title="Walk", start="10:00", end="11:00"), now=NOW, day=THURSDAY)
    texts = draft_texts(before)
    assert (texts["start"], texts["end"]) == ("2026-11-26 10:00", "11:00")
    same = parse_draft(texts, now=NOW, day=THURSDAY)
    assert same.changes_from(before) == {}
    texts["location"] = "Harbor Street"
    texts["start"] = "10:30"
    changed = parse_draft(texts, now=NOW, day=THURSDAY).changes_from(before)
    assert changed == {
        "location": "Harbor Street",
        "starts_at": datetime(2026, 11, 26, 10, 30, tzinfo=NY),
    }


def test_the_desks_zone_has_an_iana_name():
    assert zone_name(NY) == "America/New_York"
    machine = zone_name(UTC)  # no IANA key: the machine's zone, else UTC
    assert ZoneInfo(machine).key == machine
