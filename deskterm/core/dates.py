"""Reading the dates and times a press officer types, and the countdowns the requests pane shows.

``parse_when`` turns text such as ``tomorrow 3pm``, ``fri 9am``, ``+2h`` or ``2026-11-24 15:00``
into an aware datetime in UTC; ``parse_date`` reads the date-only subset; ``format_countdown``
writes ``due in 2h 10m`` or ``3d late``.

Rules worth knowing (the tests pin each one):

* Words and wall times are read in the desk's zone ``tz``; an explicit ISO offset (``Z``,
  ``+01:00``) wins over ``tz``.
* A date without a time gets ``default_time`` (17:00, end of business), except ``tonight``
  (20:00) and ``eod`` (17:00).
* A time alone (``15:00``, ``3pm``) means today, even if that time has already gone by.
* ``fri`` (or ``this fri``) is the coming Friday; today counts when today is Friday and the
  resulting time is not yet past, otherwise it is a week later. ``next fri`` is the Friday of
  next week, weeks running Monday to Sunday (so on a Tuesday ``next mon`` is the coming Monday).
* ``24 nov`` / ``nov 24`` without a year takes the year that puts the date nearest to today
  (so ``5 jan`` typed in late December is next January).
* ``+2h`` / ``in 45 min`` add elapsed time; ``+3d`` / ``+1w`` / ``in 3 days`` move the calendar
  and keep the wall-clock time, across daylight-saving changes too.
* A wall time that does not exist (the spring-forward gap) is moved forward by the gap, so
  ``2:30am`` on the New York spring-forward day is 3:30am; an ambiguous autumn time is read as
  its first occurrence.
* Slash dates (``24/11``) are refused: day/month or month/day cannot be told apart. One that
  is a date only one way round is answered with that date written the ISO way; one that is a
  date neither way round (``31/13/2026``) is said not to be a date, and why.
* Years outside 1900-2199 are refused (``9999-12-31`` is a typo, and its next day does not exist).
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.tz import resolve_imaginary

from deskterm.core.errors import InputError

if TYPE_CHECKING:
    from dateutil.parser import parserinfo

__all__ = ["format_countdown", "parse_date", "parse_when"]

WHEN_HINT = "try 2026-11-24 15:00, tomorrow 3pm, fri 9am or +2h"
DATE_HINT = "try 2026-11-24, tomorrow, fri or 24 nov"

#: Years a typed date may name. Beyond them a date is a typo (``9999-12-31``), and the
#: day after it would not exist (a report of that day, a week from it).
MIN_YEAR, MAX_YEAR = 1900, 2199

_EOD = time(17, 0)
_TONIGHT = time(20, 0)
_NOON = time(12, 0)


@functools.cache
def _names() -> parserinfo:
    """dateutil's English month and weekday names (its parser is imported when a phrase
    is first read, not as the desk starts: ~3 ms of the first paint)."""
    from dateutil.parser import parserinfo

    return parserinfo()


_EXTRA_WEEKDAYS = {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}

# A time of day, as a token inside a longer phrase (see _parse_time for the reading).
_TIME = r"(?:\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}(?::\d{2})?|noon|midday|eod)"
_TIME_PARTS = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?::(?P<s>\d{2}))?\s?(?P<ap>am|pm|a\.m\.|p\.m\.)?",
    re.ASCII,
)
_TIME_ALONE = re.compile(rf"(?:at |@ ?)?(?P<time>{_TIME})", re.ASCII)
_DAY_THEN_TIME = re.compile(rf"(?P<day>.+?) (?:at |@ ?)?(?P<time>{_TIME})", re.ASCII)
_TIME_THEN_DAY = re.compile(rf"(?:at |@ ?)?(?P<time>{_TIME}) (?:on )?(?P<day>.+)", re.ASCII)

_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})", re.ASCII)
_ISO_DATETIME = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[t ]"
    r"(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?"
    r"(?P<off>z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_SLASH = re.compile(r"\d\s*/\s*\d", re.ASCII)
# a slash date as people write one: 24/11, 24/11/2026 (a year of four digits or none)
_SLASH_DATE = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})\s*/\s*(?P<b>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?(?![\d/])", re.ASCII
)

_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("d", "day", "days"), "days"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
}
_RELATIVE = re.compile(
    r"(?:\+ ?(?P<n>\d{1,6})|in (?P<n_in>\d{1,6}|an?)) ?(?P<unit>[a-z]+)", re.ASCII
)

_DAY_WORDS = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "tmrw": 1,
    "tmr": 1,
    "yesterday": -1,
}
_WEEKDAY = re.compile(r"(?:(?P<which>next|this) )?(?P<name>[a-z]+)\.?", re.ASCII)
_ORD = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(
    rf"(?P<d>\d{{1,2}}){_ORD} (?:of )?(?P<mon>[a-z]+)\.?(?: (?P<y>\d{{4}}))?", re.ASCII
)
_MONTH_DAY = re.compile(rf"(?P<mon>[a-z]+)\.? (?P<d>\d{{1,2}}){_ORD}(?: (?P<y>\d{{4}}))?", re.ASCII)


class _Unreadable(Exception):
    """Internal: the text does not fit the grammar; ``reason`` says why (or is empty)."""

    def __init__(self, reason: str = "", *, not_a_date: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_a_date = not_a_date  # read, and no such date: "… is not a date: reason"


class _Skipped(Exception):
    """Internal: an exact wall time the clocks skip; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Day:
    day: date
    default: time | None = None  # the word's own time of day (tonight: 20:00)
    rolls: bool = False  # a plain weekday that may move on a week if its time is past


# --- public API -----------------------------------------------------------------------------


def parse_when(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo | tzinfo,
    field: str | None = None,
    default_time: time = time(17, 0),
    allow_past: bool = True,
    exact: bool = False,
    weekday_rolls: bool = True,
) -> datetime:
    """Read a typed date/time as an aware UTC datetime; raise InputError (one line) if unreadable.

    ``now`` must be aware (any zone); words and wall times are read in ``tz``. A date without a
    time gets ``default_time``. With ``allow_past=False`` a result before ``now`` is refused.
    A wall time the clocks skip (the spring-forward hour) is moved forward by the skip, or,
    with ``exact=True`` (an event's start and end: moving one end alone would change the
    event's length, 02:30-03:30 would become 03:30-03:30), refused with the times to use.
    A plain weekday that is ``now``'s day at a time already past means next week's (``fri
    9am`` typed on a Friday at noon); with ``weekday_rolls=False`` it stays that day: an
    event's end read from its start (``thu 09:00`` for a start on Thursday at 10:00 is that
    Thursday, an end before the start to refuse, not the next week's).
    """
    _require_aware(now)
    try:
        result = _parse_when(
            _normalise(text),
            now=now,
            tz=tz,
            default_time=default_time,
            exact=exact,
            weekday_rolls=weekday_rolls,
        )
    except _Skipped as gap:
        raise InputError(f"{_quote(text)}: {gap.reason}", field=field) from None
    except _Unreadable as exc:
        raise InputError(
            _cant_read(text, exc.reason, WHEN_HINT, exc.not_a_date), field=field
        ) from None
    except OverflowError:
        raise InputError(_cant_read(text, "that is out of range", WHEN_HINT), field=field) from None
    except ValueError:  # from dateutil or datetime, after our own checks: never let it escape
        raise InputError(_cant_read(text, "", WHEN_HINT), field=field) from None
    _check_year(text, result.date(), WHEN_HINT, field)
    if not allow_past and result < now:
        shown = f"{result.astimezone(tz):%a %d %b %Y %H:%M}"
        raise InputError(f"{_quote(text)} ({shown}) is in the past", field=field)
    return result


def parse_date(text: str, *, today: date, field: str | None = None) -> date:
    """Read a typed date (no time): ISO date, today/tomorrow/yesterday, weekdays, ``24 nov``.

    Also ``+3d``, ``+1w`` and ``in 2 weeks``. A plain weekday that is today means today.
    """
    s = _normalise(text)
    try:
        if not s:
            raise _Unreadable("nothing was typed")
        _refuse_slashes(s, today)
        if _split(s)[1] is not None:
            raise _Unreadable("a date is wanted here, without a time")
        day = _parse_day(s, today).day
    except _Unreadable as exc:
        raise InputError(
            _cant_read(text, exc.reason, DATE_HINT, exc.not_a_date), field=field
        ) from None
    except OverflowError:
        raise InputError(_cant_read(text, "that is out of range", DATE_HINT), field=field) from None
    except ValueError:
        raise InputError(_cant_read(text, "", DATE_HINT), field=field) from None
    _check_year(text, day, DATE_HINT, field)
    return day


def _check_year(text: str, day: date, hint: str, field: str | None) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        reason = f"the year must be between {MIN_YEAR} and {MAX_YEAR}"
        raise InputError(_cant_read(text, reason, hint), field=field)


def urgency_mark(target: datetime, now: datetime, soon: timedelta | None = None) -> str:
    """``‼`` once ``target`` has passed, ``!`` within ``soon`` of it, else ``""``: what
    goes beside a countdown, since urgency is never shown by colour alone."""
    if target < now:
        return "‼"
    return "!" if soon is not None and target - now <= soon else ""


def format_countdown(target: datetime, now: datetime) -> str:
    """``due in 45m``, ``due in 2h 10m``, ``due in 3d``, ``due now`` or ``2h late``, ``3d late``.

    Within a minute either side is ``due now``; under an hour shows minutes, under a day hours
    and minutes (``0m`` left out), beyond that whole days. Every unit is rounded down.
    """
    seconds = (target - now).total_seconds()
    if abs(seconds) < 60:
        return "due now"
    span = _span(int(abs(seconds)))
    return f"due in {span}" if seconds > 0 else f"{span} late"


# --- reading --------------------------------------------------------------------------------


def _parse_when(
    s: str,
    *,
    now: datetime,
    tz: ZoneInfo | tzinfo,
    default_time: time,
    exact: bool,
    weekday_rolls: bool,
) -> datetime:
    local_now = now.astimezone(tz)
    today = local_now.date()
    if not s:
        raise _Unreadable("nothing was typed")
    _refuse_slashes(s, today)
    if s == "now":
        return now.astimezone(UTC)

    m = _ISO_DATETIME.fullmatch(s)
    if m:
        return _iso_datetime(s, m, tz, exact)

    m = _RELATIVE.fullmatch(s)
    if m:
        count, unit = _relative(m)
        if unit in ("minutes", "hours"):
            return now.astimezone(UTC) + timedelta(**{unit: count})
        moved = local_now.replace(fold=0) + relativedelta(**{unit: count})
        return resolve_imaginary(moved).astimezone(UTC)

    day_text, time_text = _split(s)
    at = _parse_time(time_text) if time_text is not None else None
    if day_text is None and at is not None:
        return _at(today, at, tz, exact)
    found = _parse_day(day_text or s, today)
    if at is None:
        at = found.default if found.default is not None else default_time
    result = _at(found.day, at, tz, exact)
    if weekday_rolls and found.rolls and found.day == today and result < now:
        result = _at(found.day + timedelta(days=7), at, tz, exact)
    return result


def _split(s: str) -> tuple[str | None, str | None]:
    """Split into (day part, time part); either may be None."""
    m = _TIME_ALONE.fullmatch(s)
    if m:
        return None, m["time"]
    m = _DAY_THEN_TIME.fullmatch(s) or _TIME_THEN_DAY.fullmatch(s)
    if m:
        return m["day"], m["time"]
    return s, None


def _parse_day(s: str, today: date) -> _Day:
    """A day phrase without a time: a word, an ISO date, a weekday, ``24 nov``, ``+3d``."""
    if s in _DAY_WORDS:
        return _Day(today + timedelta(days=_DAY_WORDS[s]), _TONIGHT if s == "tonight" else None)

    m = _ISO_DATE.fullmatch(s)
    if m:
        _check_date(int(m["y"]), int(m["mo"]), int(m["d"]))
        from dateutil.parser import isoparser

        return _Day(isoparser().parse_isodate(s))

    m = _RELATIVE.fullmatch(s)
    if m:
        count, unit = _relative(m)
        if unit not in ("days", "weeks"):
            raise _Unreadable(f"{s} is not a whole number of days")
        return _Day(today + relativedelta(**{unit: count}))

    m = _WEEKDAY.fullmatch(s)
    if m and (weekday := _weekday(m["name"])) is not None:
        if m["which"] == "next":  # the weekday in next Monday-to-Sunday week
            monday = today + timedelta(days=7 - today.weekday())
            return _Day(monday + timedelta(days=weekday))
        return _Day(today + timedelta(days=(weekday - today.weekday()) % 7), rolls=True)

    m = _DAY_MONTH.fullmatch(s) or _MONTH_DAY.fullmatch(s)
    if m and (month := _names().month(m["mon"])) is not None:
        day = int(m["d"])
        year = int(m["y"]) if m["y"] else _nearest_year(month, day, today)
        _check_date(year, month, day)
        return _Day(date(year, month, day))

    raise _Unreadable()


def _parse_time(token: str) -> time:
    """``15:00``, ``3pm``, ``3:30 pm``, ``noon``, ``eod``: the grammar already matched."""
    if token in ("noon", "midday"):
        return _NOON
    if token == "eod":
        return _EOD
    m = _TIME_PARTS.fullmatch(token)
    if not m:  # cannot happen after _TIME matched; kept as a guard
        raise _Unreadable(f"{token} is not a time")
    hour, minute, second = int(m["h"]), int(m["m"] or 0), int(m["s"] or 0)
    if m["ap"]:
        if not 1 <= hour <= 12:
            raise _Unreadable(f"{token} is not a time (with am/pm the hour runs 1 to 12)")
        hour = hour % 12 + (12 if m["ap"].startswith("p") else 0)
    elif hour > 23:
        raise _Unreadable(f"there is no {token} (hours run 00 to 23)")
    if minute > 59 or second > 59:
        raise _Unreadable(f"there is no {token} (minutes run 00 to 59)")
    return time(hour, minute, second)


def _iso_datetime(s: str, m: re.Match[str], tz: ZoneInfo | tzinfo, exact: bool) -> datetime:
    _check_date(int(m["y"]), int(m["mo"]), int(m["d"]))
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    if hour > 23:
        raise _Unreadable(f"there is no hour {m['h']} (hours run 00 to 23)")
    if minute > 59 or second > 59:
        raise _Unreadable("minutes and seconds run 00 to 59")
    from dateutil.parser import isoparse

    try:
        parsed = isoparse(s.upper())
    except ValueError:
        raise _Unreadable("that UTC offset is not valid" if m["off"] else "") from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return _at(parsed.date(), parsed.time(), tz, exact)


def _at(day: date, at: time, tz: ZoneInfo | tzinfo, exact: bool = False) -> datetime:
    """A wall time in ``tz`` as UTC; a time in the spring-forward gap moves forward by the gap
    (``exact``: raises ``_Skipped`` instead)."""
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)
    moved = resolve_imaginary(local)
    if exact and moved != local:
        skip = int((moved.replace(tzinfo=None) - local.replace(tzinfo=None)).total_seconds())
        raise _Skipped(
            f"{at:%H:%M} does not exist on {day:%a %d %b %Y} in {getattr(tz, 'key', tz)} "
            f"(the clocks go forward {_span(skip)} then); give a time before or after the "
            "change"
        )
    return moved.astimezone(UTC)


def _relative(m: re.Match[str]) -> tuple[int, str]:
    raw = m["n"] or m["n_in"]
    unit = _UNITS.get(m["unit"])
    if unit is None:
        raise _Unreadable(f"{m['unit']!r} is not a unit: use m, h, d or w")
    return (1 if raw in ("a", "an") else int(raw)), unit


def _weekday(name: str) -> int | None:
    found = _names().weekday(name)
    return found if found is not None else _EXTRA_WEEKDAYS.get(name)


def _nearest_year(month: int, day: int, today: date) -> int:
    """The year (last, this or next) that puts month/day nearest to today; ties go forward."""

    def distance(year: int) -> int:
        last = calendar.monthrange(year, month)[1]
        return abs((date(year, month, min(max(day, 1), last)) - today).days)

    return min((today.year + 1, today.year, today.year - 1), key=distance)


def _check_date(year: int, month: int, day: int) -> None:
    """Explain an impossible date in words (``February has no 31st``)."""
    if not 1 <= year <= 9999:
        raise _Unreadable(f"year {year:04d} is out of range")
    if not 1 <= month <= 12:
        raise _Unreadable(f"there is no month {month}")
    name = calendar.month_name[month]
    longest = 29 if month == 2 else calendar.monthrange(2000, month)[1]
    if day < 1:
        raise _Unreadable(f"{name} has no day 0")
    if day > longest:
        raise _Unreadable(f"{name} has no {_ordinal(day)}")
    if day > calendar.monthrange(year, month)[1]:
        raise _Unreadable(f"{name} {year} has no {_ordinal(day)}")


def _refuse_slashes(s: str, today: date) -> None:
    """Refuse a slash date, saying what it would be: both ways round a date (the mix-up the
    rule is there for), one way only (that date, the ISO way), or no date at all."""
    if not _SLASH.search(s):
        return
    ambiguous = "a slash date could be day/month or month/day, so write it as 2026-11-24"
    m = _SLASH_DATE.search(s)
    if m is None:
        raise _Unreadable(ambiguous)
    a, b = int(m["a"]), int(m["b"])
    year = int(m["y"]) if m["y"] else None
    found: list[date] = []
    why: list[str] = []
    for day, month in ((a, b), (b, a)):  # day/month, then month/day
        try:
            _check_date(year or 2000, month, day)  # 2000: a leap year, 29 feb is a date
        except _Unreadable as no:
            if no.reason not in why:
                why.append(no.reason)
            continue
        found.append(date(year or _nearest_year(month, day, today), month, day))
    if len(found) == 2:
        raise _Unreadable(ambiguous)
    if found:
        raise _Unreadable(
            f"slash dates are not read (day/month and month/day look alike), "
            f"so write it as {found[0].isoformat()}"
        )
    months = [
        r.removeprefix("there is no month ") for r in why if r.startswith("there is no month")
    ]
    if len(months) == 2:
        why = [f"there is no month {months[0]} or {months[1]}"]
    raise _Unreadable(", and ".join(why), not_a_date=True)


# --- small helpers --------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(",", " ")).strip().lower()


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def _quote(text: str, limit: int = 60) -> str:
    """The user's text in double quotes, on one line (control characters escaped)."""
    s = text.strip()
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    shown = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in s
    )
    return f'"{shown}"'


def _cant_read(text: str, reason: str, hint: str, not_a_date: bool = False) -> str:
    if not_a_date:  # read, and there is no such day
        return f"{_quote(text)} is not a date: {reason}; {hint}"
    why = f": {reason}" if reason else ""
    return f"can't read {_quote(text)} as a date{why}; {hint}"


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _span(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{hours // 24}d"
