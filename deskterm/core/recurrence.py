"""Repeating schedules, without a database: RRULE text, dates in the event's own zone,
stored date lists.

A series repeats in its event's own zone: the rule runs on naive wall-clock times from the
event's local start and each date is placed in the zone, so a weekly 09:00
America/New_York briefing stays at 09:00 local across daylight-saving changes (its UTC hour
moves). Stored times are UTC; ``exdates`` and ``rdates`` are comma lists of UTC ISO times.
See ``deskterm.core.calendar`` for how a rule is checked and stored, and
``deskterm.core.occurrences`` for the occurrences of a range.

Standard library and dateutil only (no SQLAlchemy): the desk's first paint expands the
agenda's series through this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from deskterm.core.fields import MAX_LIST

_ALLOWED_FREQ = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
_UNTIL = re.compile(r"(?i)(?<![A-Z-])UNTIL=([0-9TZ]+)")
_UNTIL_VALUE = re.compile(r"^[0-9]{8}(T[0-9]{6}Z?)?$")


class Schedule(Protocol):
    """What expansion reads from an event row."""

    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    rrule: str | None
    rdates: str


def wall_time(when: datetime, zone: tzinfo) -> datetime:
    """``when`` as a naive wall-clock time in ``zone``."""
    return when.astimezone(zone).replace(tzinfo=None)


def localise(wall: datetime, zone: tzinfo) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC time."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def rule_parts(text: str) -> list[tuple[str, str]]:
    """``FREQ=WEEKLY;BYDAY=MO`` as ``[("FREQ", "WEEKLY"), ("BYDAY", "MO")]`` (upper case)."""
    out: list[tuple[str, str]] = []
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            out.append((key.strip().upper(), value.strip().upper()))
    return out


def rule_with(text: str, **changes: str | None) -> str:
    """The rule with parts replaced (None removes a part); new parts go at the end."""
    parts = rule_parts(text)
    out = [(k, changes.get(k, v)) for k, v in parts]
    known = {k for k, _ in parts}
    out += [(k, v) for k, v in changes.items() if k not in known]
    return ";".join(f"{k}={v}" for k, v in out if v is not None)


def build_rule(text: str, wall_start: datetime, zone: tzinfo) -> rrule:
    """The rule over naive wall times from ``wall_start``; ValueError if it is not one.

    RFC 5545 writes UNTIL in UTC (``...Z``) when DTSTART has a zone: it is moved to the
    zone's wall clock so that the rule can run on wall times. A date-only UNTIL includes
    that whole day.
    """

    def until_to_wall(match: re.Match[str]) -> str:
        value = match.group(1).upper()
        if len(value) == 8:  # a date: through the end of that day
            return f"UNTIL={value}T235959"
        if not value.endswith("Z"):
            return f"UNTIL={value}"
        try:
            until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"invalid UNTIL {value}") from None
        return f"UNTIL={wall_time(until, zone):%Y%m%dT%H%M%S}"

    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{part!r} is not NAME=VALUE")
        key = key.strip().upper()
        if key in parts:
            raise ValueError(f"{key} is given twice")
        parts[key] = value.strip().upper()
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("FREQ is missing")
    if freq not in _ALLOWED_FREQ:
        raise ValueError(f"FREQ={freq} is not supported (use {', '.join(_ALLOWED_FREQ)})")
    for key in ("INTERVAL", "COUNT"):
        number = parts.get(key, "1")
        if not number.isdigit() or int(number) < 1:
            raise ValueError(f"{key} must be a whole number of at least 1, not {number}")
    if "UNTIL" in parts and "COUNT" in parts:
        raise ValueError("give COUNT or UNTIL, not both")
    if "UNTIL" in parts and not _UNTIL_VALUE.match(parts["UNTIL"]):
        raise ValueError(f"UNTIL must look like 20261231 or 20261231T235959Z, not {parts['UNTIL']}")
    rule = rrulestr(_UNTIL.sub(until_to_wall, text), dtstart=wall_start)
    if not isinstance(rule, rrule):  # pragma: no cover - one RRULE line gives one rrule
        raise ValueError("not a single rule")
    return rule


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight of ``day`` in ``zone``, in UTC (an all-day event's start)."""
    return localise(datetime.combine(day, time(0)), zone)


def parse_exdates(text: str) -> tuple[datetime, ...]:
    """Stored exdates (comma list of UTC ISO times) as aware UTC datetimes; junk is skipped."""
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            when = datetime.fromisoformat(item)
        except ValueError:
            continue
        out.append(when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC))
    return tuple(out)


def format_exdates(values: Sequence[datetime]) -> str:
    return ",".join(value.astimezone(UTC).isoformat() for value in values)


def series_length(row: Schedule, zone: tzinfo) -> timedelta | None:
    """How long each occurrence lasts: elapsed time, or wall-clock days when all-day."""
    if row.ends_at is None:
        return None
    if row.all_day:  # whole local days: 23 or 25 hours across a DST change
        return wall_time(row.ends_at, zone) - wall_time(row.starts_at, zone)
    return row.ends_at - row.starts_at


def occurrence_end(row: Schedule, start: datetime, zone: tzinfo) -> datetime | None:
    """The end of the occurrence of ``row`` starting at ``start``."""
    length = series_length(row, zone)
    if length is None:
        return None
    if row.all_day:
        return localise(wall_time(start, zone) + length, zone)
    return start + length


def scheduled(
    row: Schedule,
    start: datetime,
    end: datetime,
    *,
    limit: int = MAX_LIST,
    skip: frozenset[datetime] | set[datetime] = frozenset(),
    with_rdates: bool = True,
) -> list[tuple[datetime, datetime | None]]:
    """(start, end) of the series' dates overlapping ``[start, end)``: the rule's and the
    RDATEs, EXDATEs *not* removed, minus ``skip``; sorted, at most ``limit``.

    The rule runs on naive wall times in the event's zone from its local start; each
    date is placed in the zone and converted to UTC, so local time holds across DST.
    A row whose zone or rule cannot be read (written by another tool) yields nothing.
    """
    try:
        zone = ZoneInfo(row.timezone)
        wall_start = wall_time(row.starts_at, zone)
    except (ValueError, TypeError, OverflowError, ZoneInfoNotFoundError):
        return []
    length = series_length(row, zone)
    span = length or timedelta(0)
    # Wall-time bounds with a day of slack either side; the exact test is in UTC below.
    low = wall_time(start, zone) - span - timedelta(days=1)
    high = wall_time(end, zone) + timedelta(days=1)
    text = row.rrule or ""
    walls: Iterable[datetime] | None = simple_dates(text, wall_start, low, high, zone)
    if walls is None:
        try:
            rule = _cached_rule(text, _rebased_start(text, wall_start, low), zone)
        except (ValueError, TypeError, OverflowError):
            return []
        walls = rule.xafter(max(low, wall_start), inc=True)

    def place(occ_start: datetime) -> tuple[datetime, datetime | None] | None:
        if occ_start in skip or occ_start >= end:
            return None
        if length is None:
            occ_end = None
        elif row.all_day:
            occ_end = localise(wall_time(occ_start, zone) + length, zone)
        else:
            occ_end = occ_start + length
        if occ_start >= start or (occ_end is not None and occ_end > start):
            return (occ_start, occ_end)
        return None

    out: list[tuple[datetime, datetime | None]] = []
    for wall in walls:
        if wall > high or len(out) >= limit:
            break
        placed = place(localise(wall, zone))
        if placed is not None:
            out.append(placed)
    if with_rdates and row.rdates:
        have = {occ_start for occ_start, _ in out}
        for extra in parse_exdates(row.rdates):
            if extra not in have:
                placed = place(extra)
                if placed is not None:
                    out.append(placed)
        out.sort(key=lambda pair: pair[0])
    return out[:limit]


_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SIMPLE_PARTS = frozenset({"FREQ", "INTERVAL", "UNTIL", "BYDAY", "WKST"})


def until_wall(value: str, zone: tzinfo) -> datetime:
    """An UNTIL value on the zone's wall clock, as ``build_rule`` reads it: a date means
    the end of that day, ``...Z`` is moved from UTC, anything else is already local."""
    value = value.upper()
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
    if value.endswith("Z"):
        return wall_time(datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), zone)
    return datetime.strptime(value, "%Y%m%dT%H%M%S")


@functools.lru_cache(maxsize=4096)
def _simple_rule(text: str) -> tuple[frozenset[int] | None, str | None] | None:
    """(weekdays or None for "the start's weekday", UNTIL) for a plain daily or weekly
    rule with INTERVAL 1 and no COUNT; None for any other rule."""
    parts = dict(rule_parts(text))
    if not set(parts) <= _SIMPLE_PARTS or parts.get("INTERVAL", "1") != "1":
        return None
    byday = parts.get("BYDAY")
    days: frozenset[int] | None = None
    if byday is not None:
        codes = byday.split(",")
        if not all(code in _WEEKDAY_CODES for code in codes):
            return None  # "1MO", "-1FR": counted weekdays
        days = frozenset(_WEEKDAY_CODES.index(code) for code in codes)
    if parts.get("FREQ") == "DAILY":
        days = days if days is not None else frozenset(range(7))
    elif parts.get("FREQ") != "WEEKLY":
        return None
    return days, parts.get("UNTIL")


def simple_dates(
    text: str, wall_start: datetime, low: datetime, high: datetime, zone: tzinfo
) -> list[datetime] | None:
    """The wall-clock dates of a plain daily or weekly rule in ``[max(low, wall_start),
    high]``, by date arithmetic (what dateutil gives, without walking the rule); None for
    other rules, which dateutil expands."""
    simple = _simple_rule(text)
    if simple is None:
        return None
    days, until_text = simple
    weekdays = days if days is not None else frozenset({wall_start.weekday()})
    first = max(low, wall_start)
    last = high
    if until_text is not None:
        try:
            last = min(last, until_wall(until_text, zone))
        except ValueError:
            return None
    moment = wall_start.replace(microsecond=0).time()  # as dateutil drops them
    out: list[datetime] = []
    first_day = first.date()
    for weekday in weekdays:
        day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
        candidate = datetime.combine(day, moment)
        if candidate < first:
            candidate += timedelta(days=7)
        while candidate <= last:
            out.append(candidate)
            candidate += timedelta(days=7)
    out.sort()
    return out


_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7}


def _rebased_start(text: str, wall_start: datetime, low: datetime) -> datetime:
    """A later start that yields the same occurrences from ``low`` on.

    dateutil walks a series from its first occurrence every time; a weekly slot begun a
    year ago would be stepped through 52 times per load. For DAILY/WEEKLY rules without
    COUNT (which counts from the true start), moving the start by whole periods
    (INTERVAL days or weeks) keeps every later occurrence and skips the walk.
    """
    parts = dict(part.partition("=")[::2] for part in text.upper().split(";"))
    days = _PERIOD_DAYS.get(parts.get("FREQ", "").strip())
    if days is None or "COUNT" in parts or low <= wall_start:
        return wall_start
    try:
        period = days * int(parts.get("INTERVAL", "1"))
    except ValueError:
        return wall_start
    whole = (low - wall_start).days // period
    return wall_start + timedelta(days=whole * period)


@functools.lru_cache(maxsize=4096)
def _cached_rule(text: str, wall_start: datetime, zone: tzinfo) -> rrule:
    """Parsed rules are reused across reloads (the desk reloads its agenda every minute)."""
    return build_rule(text, wall_start, zone)
