"""Reading typed dates and times (deskterm.core.dates), against a fixed `now`."""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskterm.core.dates import format_countdown, parse_date, parse_when
from deskterm.core.errors import InputError

NY = ZoneInfo("America/New_York")
# Tuesday 24 November 2026, 10:00 in New York (15:00 UTC).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=NY)
TODAY = NOW.date()


def ny(*args: int) -> datetime:
    """A New York wall time, as the aware UTC datetime parse_when returns."""
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def when(text: str, now: datetime = NOW, **kwargs) -> datetime:
    return parse_when(text, now=now, tz=NY, **kwargs)


# --- forms accepted -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO
        ("2026-11-24", ny(2026, 11, 24, 17, 0)),
        ("2026-11-24 15:00", ny(2026, 11, 24, 15, 0)),
        ("2026-11-24T15:00", ny(2026, 11, 24, 15, 0)),
        ("2026-11-24T15:00:30", ny(2026, 11, 24, 15, 0, 30)),
        ("2026-11-24 9:05", ny(2026, 11, 24, 9, 5)),
        ("2026-11-24 3pm", ny(2026, 11, 24, 15, 0)),
        ("2026-12-01", ny(2026, 12, 1, 17, 0)),
        # explicit offsets win over the desk's zone
        ("2026-11-24T15:00:00+01:00", datetime(2026, 11, 24, 14, 0, tzinfo=UTC)),
        ("2026-11-24T14:00Z", datetime(2026, 11, 24, 14, 0, tzinfo=UTC)),
        ("2026-11-24T14:00:00-0800", datetime(2026, 11, 24, 22, 0, tzinfo=UTC)),
        # words
        ("now", NOW.astimezone(UTC)),
        ("today", ny(2026, 11, 24, 17, 0)),
        ("tonight", ny(2026, 11, 24, 20, 0)),
        ("tomorrow", ny(2026, 11, 25, 17, 0)),
        ("tmrw", ny(2026, 11, 25, 17, 0)),
        ("yesterday", ny(2026, 11, 23, 17, 0)),
        ("eod", ny(2026, 11, 24, 17, 0)),
        ("tomorrow 15:00", ny(2026, 11, 25, 15, 0)),
        ("today 9am", ny(2026, 11, 24, 9, 0)),
        ("tomorrow at 3pm", ny(2026, 11, 25, 15, 0)),
        ("today noon", ny(2026, 11, 24, 12, 0)),
        ("tonight 9pm", ny(2026, 11, 24, 21, 0)),
        ("yesterday 4:15pm", ny(2026, 11, 23, 16, 15)),
        ("tomorrow eod", ny(2026, 11, 25, 17, 0)),
        ("3pm tomorrow", ny(2026, 11, 25, 15, 0)),
        ("tomorrow @ 8am", ny(2026, 11, 25, 8, 0)),
        # weekdays (now is a Tuesday)
        ("fri", ny(2026, 11, 27, 17, 0)),
        ("friday", ny(2026, 11, 27, 17, 0)),
        ("fri 9am", ny(2026, 11, 27, 9, 0)),
        ("thurs 11:00", ny(2026, 11, 26, 11, 0)),
        ("next mon 10:30", ny(2026, 11, 30, 10, 30)),
        ("fri eod", ny(2026, 11, 27, 17, 0)),
        ("9am on fri", ny(2026, 11, 27, 9, 0)),
        # relative
        ("+2h", ny(2026, 11, 24, 12, 0)),
        ("+30m", ny(2026, 11, 24, 10, 30)),
        ("+3d", ny(2026, 11, 27, 10, 0)),
        ("+1w", ny(2026, 12, 1, 10, 0)),
        ("+ 90 min", ny(2026, 11, 24, 11, 30)),
        ("in 2 hours", ny(2026, 11, 24, 12, 0)),
        ("in 45 min", ny(2026, 11, 24, 10, 45)),
        ("in 3 days", ny(2026, 11, 27, 10, 0)),
        ("in an hour", ny(2026, 11, 24, 11, 0)),
        ("in 2 weeks", ny(2026, 12, 8, 10, 0)),
        ("in 3 days at 9am", ny(2026, 11, 27, 9, 0)),
        # times alone: today, even when already past (no silent roll-over)
        ("15:00", ny(2026, 11, 24, 15, 0)),
        ("3pm", ny(2026, 11, 24, 15, 0)),
        ("3:30pm", ny(2026, 11, 24, 15, 30)),
        ("noon", ny(2026, 11, 24, 12, 0)),
        ("5 pm", ny(2026, 11, 24, 17, 0)),
        ("12am", ny(2026, 11, 24, 0, 0)),
        ("12pm", ny(2026, 11, 24, 12, 0)),
        ("9am", ny(2026, 11, 24, 9, 0)),
        ("at 8:45", ny(2026, 11, 24, 8, 45)),
        # day and month
        ("24 nov", ny(2026, 11, 24, 17, 0)),
        ("nov 24", ny(2026, 11, 24, 17, 0)),
        ("24 nov 15:00", ny(2026, 11, 24, 15, 0)),
        ("nov 24 at 3pm", ny(2026, 11, 24, 15, 0)),
        ("3rd dec", ny(2026, 12, 3, 17, 0)),
        ("december 3", ny(2026, 12, 3, 17, 0)),
        ("sept 9 2027", ny(2027, 9, 9, 17, 0)),
        ("nov 24, 2026 9am", ny(2026, 11, 24, 9, 0)),
        ("5 jan", ny(2027, 1, 5, 17, 0)),  # the nearest 5 January is next year's
        ("1 jun", ny(2026, 6, 1, 17, 0)),  # ...the nearest 1 June is this year's
        # case and whitespace
        ("  TOMORROW   3PM ", ny(2026, 11, 25, 15, 0)),
        ("Fri 9AM", ny(2026, 11, 27, 9, 0)),
        ("2026-11-24t14:00z", datetime(2026, 11, 24, 14, 0, tzinfo=UTC)),
        ("NOV 24", ny(2026, 11, 24, 17, 0)),
    ],
)
def test_parse_when_forms(text: str, expected: datetime) -> None:
    result = when(text)
    assert result == expected
    assert result.tzinfo is UTC


def test_default_time_applies_to_dates_alone() -> None:
    nine = time(9, 0)
    assert when("tomorrow", default_time=nine) == ny(2026, 11, 25, 9, 0)
    assert when("2026-12-01", default_time=nine) == ny(2026, 12, 1, 9, 0)
    assert when("fri", default_time=nine) == ny(2026, 11, 27, 9, 0)
    assert when("24 nov", default_time=nine) == ny(2026, 11, 24, 9, 0)
    # words with their own time of day keep it; an explicit time wins
    assert when("tonight", default_time=nine) == ny(2026, 11, 24, 20, 0)
    assert when("eod", default_time=nine) == ny(2026, 11, 24, 17, 0)
    assert when("tomorrow 3pm", default_time=nine) == ny(2026, 11, 25, 15, 0)


def test_now_in_another_zone_reads_words_in_the_desk_zone() -> None:
    # 03:00 UTC on the 25th is still the evening of the 24th in New York
    utc_now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert when("today 9pm", now=utc_now) == ny(2026, 11, 24, 21, 0)
    assert when("tomorrow", now=utc_now) == ny(2026, 11, 25, 17, 0)
    assert when("now", now=utc_now) == utc_now
    assert when("now", now=NOW).tzinfo is UTC


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("today", now=datetime(2026, 11, 24, 10, 0), tz=NY)


# --- weekday rule ---------------------------------------------------------------------------

TUE_10 = NOW
FRI_16 = datetime(2026, 11, 27, 16, 0, tzinfo=NY)
FRI_18 = datetime(2026, 11, 27, 18, 0, tzinfo=NY)
SUN_12 = datetime(2026, 11, 29, 12, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # today is Tuesday: `tue` is today while its time is still ahead (or exactly now)
        (TUE_10, "tue", ny(2026, 11, 24, 17, 0)),
        (TUE_10, "tue 11am", ny(2026, 11, 24, 11, 0)),
        (TUE_10, "tuesday 10:00", ny(2026, 11, 24, 10, 0)),
        (TUE_10, "tue 9am", ny(2026, 12, 1, 9, 0)),
        (TUE_10, "this tue 9am", ny(2026, 12, 1, 9, 0)),
        (TUE_10, "this tue", ny(2026, 11, 24, 17, 0)),
        # `next` is the day in next (Monday to Sunday) week
        (TUE_10, "next tue", ny(2026, 12, 1, 17, 0)),
        (TUE_10, "next tue 9am", ny(2026, 12, 1, 9, 0)),
        (TUE_10, "wed", ny(2026, 11, 25, 17, 0)),
        (TUE_10, "next wed", ny(2026, 12, 2, 17, 0)),
        (TUE_10, "mon", ny(2026, 11, 30, 17, 0)),
        (TUE_10, "next mon", ny(2026, 11, 30, 17, 0)),
        (TUE_10, "sun", ny(2026, 11, 29, 17, 0)),
        (TUE_10, "next sun", ny(2026, 12, 6, 17, 0)),
        # today is Friday
        (FRI_16, "fri", ny(2026, 11, 27, 17, 0)),
        (FRI_16, "fri 9am", ny(2026, 12, 4, 9, 0)),
        (FRI_18, "fri", ny(2026, 12, 4, 17, 0)),
        (FRI_18, "fri 9pm", ny(2026, 11, 27, 21, 0)),
        (FRI_16, "next fri", ny(2026, 12, 4, 17, 0)),
        (FRI_16, "sat", ny(2026, 11, 28, 17, 0)),
        (FRI_16, "next sat", ny(2026, 12, 5, 17, 0)),
        # today is Sunday, the last day of the week
        (SUN_12, "mon", ny(2026, 11, 30, 17, 0)),
        (SUN_12, "next mon", ny(2026, 11, 30, 17, 0)),
        (SUN_12, "sun", ny(2026, 11, 29, 17, 0)),
        (SUN_12, "sun 9am", ny(2026, 12, 6, 9, 0)),
        (SUN_12, "next sun", ny(2026, 12, 6, 17, 0)),
    ],
)
def test_weekday_rule(now: datetime, text: str, expected: datetime) -> None:
    assert when(text, now=now) == expected


def test_a_weekday_read_from_an_events_start_stays_on_that_day() -> None:
    """An end read from its start (Friday 16:00): ``fri 9am`` is that Friday, an end before
    the start for the event to refuse, not the Friday after (a deadline's reading)."""
    assert parse_when("fri 9am", now=FRI_16, tz=NY, weekday_rolls=False) == ny(2026, 11, 27, 9)
    assert parse_when("fri 6pm", now=FRI_16, tz=NY, weekday_rolls=False) == ny(2026, 11, 27, 18)
    assert parse_when("sat 9am", now=FRI_16, tz=NY, weekday_rolls=False) == ny(2026, 11, 28, 9)


# --- daylight saving ------------------------------------------------------------------------

BEFORE_SPRING = datetime(2026, 3, 7, 10, 0, tzinfo=NY)  # Saturday; clocks go forward on Sunday


def test_plus_one_day_across_spring_forward_keeps_the_wall_clock() -> None:
    result = when("+1d", now=BEFORE_SPRING)
    local = result.astimezone(NY)
    assert (local.date(), local.time()) == (date(2026, 3, 8), time(10, 0))
    assert result == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # 23 hours later, not 24
    assert when("in 1 day", now=BEFORE_SPRING) == result


def test_plus_24_hours_across_spring_forward_is_elapsed_time() -> None:
    assert when("+24h", now=BEFORE_SPRING) == BEFORE_SPRING.astimezone(UTC) + timedelta(hours=24)


@pytest.mark.parametrize("text", ["tomorrow 2:30am", "2026-03-08 02:30", "sun 2:30am"])
def test_wall_time_in_the_spring_gap_moves_forward(text: str) -> None:
    result = when(text, now=BEFORE_SPRING)
    assert result == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert result.astimezone(NY).time() == time(3, 30)


@pytest.mark.parametrize("text", ["tomorrow 2:30am", "2026-03-08 02:30", "sun 2:30am"])
def test_an_exact_wall_time_in_the_spring_gap_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_when(text, now=BEFORE_SPRING, tz=NY, field="start", exact=True)
    assert caught.value.field == "start"
    assert str(caught.value).endswith(
        "02:30 does not exist on Sun 08 Mar 2026 in America/New_York (the clocks go forward "
        "1h then); give a time before or after the change"
    )
    after = parse_when("2026-03-08 03:30", now=BEFORE_SPRING, tz=NY, exact=True)
    assert after == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_ambiguous_autumn_time_is_the_first_one() -> None:
    result = when("2026-11-01 01:30", now=datetime(2026, 10, 31, 12, 0, tzinfo=NY))
    assert result == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_plus_one_week_across_autumn_back_keeps_the_wall_clock() -> None:
    result = when("+1w", now=datetime(2026, 10, 30, 9, 0, tzinfo=NY))
    assert result.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 6, 9, 0)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 feb", "February has no 31st"),
        ("feb 30", "February has no 30th"),
        ("2026-02-30", "February has no 30th"),
        ("2026-04-31", "April has no 31st"),
        ("2026-02-29", "February 2026 has no 29th"),
        ("29 feb", "February 2027 has no 29th"),
        ("2026-13-01", "no month 13"),
        ("0 nov", "no day 0"),
        ("25:00", "25:00"),
        ("tomorrow 25:00", "25:00"),
        ("13pm", "13pm"),
        ("3:75pm", "3:75pm"),
        ("2026-11-24T24:00", "hour 24"),
        ("2026-11-24T10:00+25:00", "offset"),
        ("24/11", "2026-11-24"),
        ("11/24/2026", "day/month"),
        ("blah", "try 2026-11-24 15:00"),
        ("", "nothing was typed"),
        ("   ", "nothing was typed"),
        ("+2x", "unit"),
        ("+999999w", "out of range"),
        ("9999-12-30 12:00", "the year must be between 1900 and 2199"),
        ("9999-12-31 23:59", "out of range"),  # 10000-01-01 in UTC
        ("9999-12-31T23:59Z", "between 1900 and 2199"),
        ("1899-06-01", "between 1900 and 2199"),
        ("now 3pm", "try"),
        ("next blah", "try"),
        ("nov", "try"),
        ("15", "try"),
        ("tomorrow tomorrow", "try"),
    ],
)
def test_parse_when_errors(text: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        when(text, field="deadline")
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert f'"{text.strip()}"' in message
    assert reason in message
    assert "try 2026-11-24 15:00, tomorrow 3pm, fri 9am or +2h" in message
    assert caught.value.field == "deadline"


def test_error_field_defaults_to_none() -> None:
    with pytest.raises(InputError) as caught:
        when("blah")
    assert caught.value.field is None


def test_error_quotes_control_characters_on_one_line() -> None:
    with pytest.raises(InputError) as caught:
        when("next\n\x0bblah")
    assert len(str(caught.value).splitlines()) == 1
    assert "\\n" in str(caught.value)


@pytest.mark.parametrize("text", ["yesterday", "9am", "today 9:59", "2026-11-01", "+0d 9am"])
def test_not_allowing_the_past(text: str) -> None:
    with pytest.raises(InputError, match="is in the past") as caught:
        when(text, allow_past=False, field="due")
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert f'"{text}"' in message
    assert caught.value.field == "due"


@pytest.mark.parametrize("text", ["now", "today", "10:00", "tue 9am", "+1m", "tomorrow"])
def test_not_allowing_the_past_lets_now_and_later_through(text: str) -> None:
    assert when(text, allow_past=False) >= NOW


# --- parse_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24", date(2026, 11, 24)),
        ("today", date(2026, 11, 24)),
        ("tomorrow", date(2026, 11, 25)),
        ("yesterday", date(2026, 11, 23)),
        ("tue", date(2026, 11, 24)),  # today is Tuesday: no time, so today counts
        ("next tue", date(2026, 12, 1)),
        ("fri", date(2026, 11, 27)),
        ("next mon", date(2026, 11, 30)),
        ("24 nov", date(2026, 11, 24)),
        ("nov 24", date(2026, 11, 24)),
        ("5 jan", date(2027, 1, 5)),
        ("1 jan 2026", date(2026, 1, 1)),
        ("+3d", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 8)),
        (" Friday ", date(2026, 11, 27)),
    ],
)
def test_parse_date_forms(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 feb", "February has no 31st"),
        ("2026-02-30", "February has no 30th"),
        ("24/11", "2026-11-24"),
        ("tomorrow 3pm", "without a time"),
        ("3pm", "without a time"),
        ("+2h", "days"),
        ("now", "try 2026-11-24, tomorrow, fri or 24 nov"),
        ("blah", "try 2026-11-24, tomorrow, fri or 24 nov"),
        ("", "nothing was typed"),
        ("9999-12-31", "the year must be between 1900 and 2199"),
        ("+9999w", "between 1900 and 2199"),
    ],
)
def test_parse_date_errors(text: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(text, today=TODAY, field="on")
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert f'"{text}"' in message
    assert reason in message
    assert caught.value.field == "on"


DATE_TRY = "try 2026-11-24, tomorrow, fri or 24 nov"
AMBIGUOUS = "a slash date could be day/month or month/day, so write it as 2026-11-24"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a date neither way round: not "could be day/month or month/day"
        ("31/13/2026", f'"31/13/2026" is not a date: there is no month 13 or 31; {DATE_TRY}'),
        ("13/13", f'"13/13" is not a date: there is no month 13; {DATE_TRY}'),
        (
            "30/02",
            f'"30/02" is not a date: February has no 30th, and there is no month 30; {DATE_TRY}',
        ),
        (
            "29/02/2026",
            f'"29/02/2026" is not a date: February 2026 has no 29th, and there is no month 29; '
            f"{DATE_TRY}",
        ),
        # a date one way round only: that date, written the way that is read
        (
            "11/24/2026",
            'can\'t read "11/24/2026" as a date: slash dates are not read (day/month and '
            f"month/day look alike), so write it as 2026-11-24; {DATE_TRY}",
        ),
        (
            "24/11",
            'can\'t read "24/11" as a date: slash dates are not read (day/month and '
            f"month/day look alike), so write it as 2026-11-24; {DATE_TRY}",
        ),
        # a date both ways round: the mix-up the rule is there for
        ("5/6/2026", f'can\'t read "5/6/2026" as a date: {AMBIGUOUS}; {DATE_TRY}'),
        ("5/5", f'can\'t read "5/5" as a date: {AMBIGUOUS}; {DATE_TRY}'),
    ],
)
def test_slash_dates_say_whether_they_are_dates_at_all(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(text, today=TODAY, field="on")
    assert str(caught.value) == message
    assert caught.value.field == "on"


def test_a_slash_date_with_a_time_that_is_no_date_says_so() -> None:
    with pytest.raises(InputError) as caught:
        when("31/13/2026 3pm", field="deadline")
    assert str(caught.value).startswith(
        '"31/13/2026 3pm" is not a date: there is no month 13 or 31;'
    )
    assert caught.value.field == "deadline"


# --- countdowns -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(minutes=45), "due in 45m"),
        (timedelta(hours=2, minutes=10), "due in 2h 10m"),
        (timedelta(hours=2), "due in 2h"),
        (timedelta(hours=2, seconds=59), "due in 2h"),
        (timedelta(days=3), "due in 3d"),
        (timedelta(days=3, hours=23), "due in 3d"),
        (timedelta(minutes=1), "due in 1m"),
        (timedelta(minutes=59, seconds=59), "due in 59m"),
        (timedelta(hours=1), "due in 1h"),
        (timedelta(hours=23, minutes=59), "due in 23h 59m"),
        (timedelta(hours=24), "due in 1d"),
        (timedelta(0), "due now"),
        (timedelta(seconds=59), "due now"),
        (timedelta(seconds=-59), "due now"),
        (timedelta(hours=-2), "2h late"),
        (timedelta(minutes=-45), "45m late"),
        (timedelta(days=-3), "3d late"),
        (timedelta(hours=-2, minutes=-5), "2h 5m late"),
        (timedelta(minutes=-1), "1m late"),
        (timedelta(days=-1, hours=-12), "1d late"),
    ],
)
def test_format_countdown(delta: timedelta, expected: str) -> None:
    assert format_countdown(NOW + delta, NOW) == expected


def test_format_countdown_across_zones() -> None:
    target = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 12:30 in New York
    assert format_countdown(target, NOW) == "due in 2h 30m"


# --- robustness -----------------------------------------------------------------------------


def _check_never_crashes(text: str) -> None:
    try:
        result = parse_when(text, now=NOW, tz=NY, field="f")
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1, repr(text)
        assert exc.field == "f"
    else:
        assert result.tzinfo is UTC, repr(text)
    try:
        parse_date(text, today=TODAY, field="f")
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1, repr(text)


def test_random_printable_strings_parse_or_raise_input_error() -> None:
    rng = random.Random(0)
    for _ in range(200):
        text = "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 24)))
        _check_never_crashes(text)


def test_random_token_soup_parses_or_raises_input_error() -> None:
    tokens = [
        *("now", "today", "tonight", "tomorrow", "yesterday", "eod", "next", "this", "at"),
        *("fri", "mon", "nov", "feb", "noon", "in", "+", "-", ":", "/", "z", "t"),
        *("3pm", "15:00", "25:00", "99", "0", "31", "2026", "9999", "0000", "2026-02-30"),
        *("2026-11-24", "T14:00", "+01:00", "h", "d", "w", "days", "9999999", "am", "pm"),
    ]
    rng = random.Random(0)
    for _ in range(200):
        words = [rng.choice(tokens) for _ in range(rng.randint(1, 4))]
        _check_never_crashes(rng.choice(["", " "]).join(words))
