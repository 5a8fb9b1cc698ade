"""The calendar: events, repeating series, and the occurrences that fall in a range.

Times are stored in UTC, but a series repeats in its event's own zone: a weekly 09:00
America/New_York briefing stays at 09:00 local across daylight-saving changes (its UTC hour
moves). ``rrule`` holds one RFC 5545 RRULE value without the ``RRULE:`` prefix; ``exdates``
holds the UTC start times of skipped occurrences.

Limits that keep ``occurrences()`` to bounded, indexed reads:

- an event lasts at most ``MAX_EVENT_LENGTH`` (31 days), so a one-off event that overlaps a
  range is found by one range read on ``starts_at`` looking back that far;
- a series repeats at most hourly and must produce occurrences (an impossible rule such as
  "every 30 February" would make the expander search to the year 9999).

Not yet handled (later issues): overrides of single occurrences (rows with ``parent_id``
are ignored here), ``rdates``, iCalendar import/export, "floating" times.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from db.engine import Database
from db.enums import EventKind, EventStatus
from db.errors import NotFoundError
from db.models import Event
from db.versioning import load_for_update, update_versioned
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware,
    aware_or_none,
    boolean,
    free_text,
    join_list,
    line_text,
    list_limit,
    parse_choice,
    split_list,
)
from deskterm.core.staff import resolve_staff_id, staff_initials

MAX_EVENT_LENGTH = timedelta(days=31)
# One-off events starting this long before a range can still overlap it (a day of slack for
# all-day events whose length is counted in local days).
LOOKBACK = MAX_EVENT_LENGTH + timedelta(days=1)

TITLE_MAX = 500
LOCATION_MAX = 500
LEADERS_MAX = 500
UID_MAX = 500

# Fields a user may change with update_event (owner takes initials).
EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "title",
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "timezone",
        "all_day",
        "location",
        "leaders",
        "owner",
        "public",
        "notes",
        "rrule",
        "exdates",
    }
)
# Fields whose values are checked together (times, zone and rule depend on each other).
_SCHEDULE_FIELDS = ("starts_at", "ends_at", "timezone", "all_day", "rrule", "exdates")

_ALLOWED_FREQ = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
_UNTIL = re.compile(r"(?i)(?<![A-Z-])UNTIL=([0-9TZ]+)")
_UNTIL_VALUE = re.compile(r"^[0-9]{8}(T[0-9]{6}Z?)?$")


@dataclass(frozen=True)
class EventRecord:
    id: int
    uid: str
    title: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    location: str
    leaders: tuple[str, ...]
    owner: str | None  # initials
    public: bool
    notes: str
    rrule: str | None
    exdates: tuple[datetime, ...]
    version: int


@dataclass(frozen=True)
class Occurrence:
    """One appearance of an event in a range (a one-off event, or one date of a series)."""

    event_id: int
    title: str
    kind: EventKind
    status: EventStatus
    start: datetime  # aware, UTC
    end: datetime | None
    all_day: bool
    location: str
    leaders: tuple[str, ...]
    timezone: str
    recurring: bool
    public: bool


def to_record(row: Event, initials: dict[int, str]) -> EventRecord:
    return EventRecord(
        id=row.id,
        uid=row.uid,
        title=row.title,
        kind=row.kind,
        status=row.status,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        all_day=row.all_day,
        location=row.location,
        leaders=split_list(row.leaders),
        owner=None if row.owner_id is None else initials.get(row.owner_id),
        public=row.public,
        notes=row.notes,
        rrule=row.rrule,
        exdates=parse_exdates(row.exdates),
        version=row.version,
    )


# --- validation ---------------------------------------------------------------------------


def parse_kind(value: EventKind | str) -> EventKind:
    return parse_choice(EventKind, value, field="kind")


def parse_status(value: EventStatus | str) -> EventStatus:
    return parse_choice(EventStatus, value, field="status")


def zone_named(name: Any) -> ZoneInfo:
    """The IANA zone ``name``; InputError (field ``timezone``) if there is none."""
    if not isinstance(name, str) or not name.strip():
        raise InputError("timezone must be an IANA zone name like Europe/Paris", field="timezone")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {name!r}; use an IANA name like America/New_York",
            field="timezone",
        ) from None


def _exdates(values: Sequence[datetime] | None) -> list[datetime]:
    if values is None:
        return []
    if isinstance(values, datetime | str):
        raise InputError("exdates must be a list of date-times", field="exdates")
    out = {aware(value, field="exdates") for value in values}
    return sorted(out)


_NORMALIZERS: dict[str, Any] = {
    "title": lambda v: line_text(v, field="title", max_length=TITLE_MAX, required=True),
    "kind": parse_kind,
    "status": parse_status,
    "starts_at": lambda v: aware(v, field="starts_at"),
    "ends_at": lambda v: aware_or_none(v, field="ends_at"),
    "timezone": lambda v: zone_named(v).key,
    "all_day": lambda v: boolean(v, field="all_day"),
    "location": lambda v: line_text(v, field="location", max_length=LOCATION_MAX),
    "leaders": lambda v: join_list(v, field="leaders", max_length=LEADERS_MAX),
    "public": lambda v: boolean(v, field="public"),
    "notes": lambda v: free_text(v, field="notes"),
    "rrule": lambda v: _rule_text(v),
    "exdates": _exdates,
}


def _rule_text(value: Any) -> str | None:
    """The RRULE value as stored: no ``RRULE:`` prefix, upper case; None/"" for no rule."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"rrule must be text, not {value!r}", field="rrule")
    text = value.strip()
    if text[:6].upper() == "RRULE:":
        text = text[6:].strip()
    if not text:
        return None
    if "\n" in text or "\r" in text or ":" in text:
        raise InputError(
            "rrule takes one RRULE value, e.g. FREQ=WEEKLY;BYDAY=MO (no DTSTART or EXDATE lines)",
            field="rrule",
        )
    return text.upper()


def wall_time(when: datetime, zone: tzinfo) -> datetime:
    """``when`` as a naive wall-clock time in ``zone``."""
    return when.astimezone(zone).replace(tzinfo=None)


def localise(wall: datetime, zone: tzinfo) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC time."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


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


def _check_rule_repeats(rule: rrule, wall_start: datetime) -> None:
    """ValueError if the rule never produces a date (e.g. every 30 February).

    dateutil would search such a rule to the year 9999, which takes seconds. The rule is
    tried from the same date 400·k years later (the Gregorian calendar, weekdays included,
    repeats every 400 years), in the last 400-year cycle, so the search is bounded by
    year 9999: a rule with no occurrence in 400 years is refused.
    """
    shifted_year = 9600 + (wall_start.year - 9600) % 400
    probe = rule.replace(dtstart=wall_start.replace(year=shifted_year), count=None, until=None)
    if next(iter(probe), None) is None:
        raise ValueError("the rule never produces a date")


def _validate_schedule(values: dict[str, Any]) -> dict[str, Any]:
    """Check times, zone, all-day and rule together; returns values to store.

    ``values`` holds every schedule field (normalised one by one already).
    """
    zone = zone_named(values["timezone"])
    starts_at: datetime = values["starts_at"]
    ends_at: datetime | None = values["ends_at"]
    if values["all_day"]:
        if starts_at != _day_start(wall_time(starts_at, zone).date(), zone):
            raise InputError(
                f"an all-day event starts at midnight in its zone ({zone.key})", field="starts_at"
            )
        if ends_at is None:
            ends_at = _day_start(wall_time(starts_at, zone).date() + timedelta(days=1), zone)
        elif ends_at <= starts_at or ends_at != _day_start(wall_time(ends_at, zone).date(), zone):
            raise InputError(
                "an all-day event ends at a later midnight in its zone (the day after its last)",
                field="ends_at",
            )
    if ends_at is not None:
        if ends_at < starts_at:
            raise InputError("the event ends before it starts", field="ends_at")
        if ends_at - starts_at > MAX_EVENT_LENGTH + timedelta(hours=2):  # DST slack
            raise InputError(
                f"an event lasts at most {MAX_EVENT_LENGTH.days} days; "
                "enter a longer one as several events",
                field="ends_at",
            )
    rule_text = values["rrule"]
    if rule_text is not None:
        wall_start = wall_time(starts_at, zone)
        try:
            rule = build_rule(rule_text, wall_start, zone)
            _check_rule_repeats(rule, wall_start)
        except (ValueError, TypeError, OverflowError) as error:
            detail = " ".join(str(error).split()) or type(error).__name__
            raise InputError(
                f"rrule {rule_text!r} is not usable: {detail}", field="rrule"
            ) from None
    return {
        **values,
        "timezone": zone.key,
        "ends_at": ends_at,
        "exdates": format_exdates(values["exdates"]),
    }


def _day_start(day: date, zone: tzinfo) -> datetime:
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


# --- operations ---------------------------------------------------------------------------


def create_event(
    db: Database,
    *,
    title: str,
    kind: EventKind | str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    timezone: str = "UTC",
    all_day: bool = False,
    location: str = "",
    leaders: Sequence[str] = (),
    owner: str | None = None,
    status: EventStatus | str = "confirmed",
    public: bool = True,
    notes: str = "",
    rrule: str | None = None,
    exdates: Sequence[datetime] = (),
    uid: str | None = None,
) -> EventRecord:
    """Add an event (a series if ``rrule`` is given; its times repeat in ``timezone``).

    An all-day event starts at midnight in its zone; without ``ends_at`` it lasts that day.
    """
    given = {
        "title": title,
        "kind": kind,
        "status": status,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": timezone,
        "all_day": all_day,
        "location": location,
        "leaders": leaders,
        "public": public,
        "notes": notes,
        "rrule": rrule,
        "exdates": exdates,
    }
    values = _validate_schedule({key: _NORMALIZERS[key](v) for key, v in given.items()})
    uid = line_text(uid, field="uid", max_length=UID_MAX, collapse=False) or f"{uuid4()}@deskterm"
    with db.transaction() as session:
        if session.scalar(select(Event.id).where(Event.uid == uid).limit(1)) is not None:
            raise InputError(f"an event with uid {uid!r} already exists", field="uid")
        values["owner_id"] = resolve_staff_id(session, owner, field="owner")
        row = Event(uid=uid, **values)
        session.add(row)
        session.flush()
        return to_record(row, staff_initials(session))


def get_event(db: Database, event_id: int) -> EventRecord:
    with db.read() as session:
        row = session.get(Event, event_id)
        if row is None:
            raise NotFoundError(Event.__tablename__, event_id)
        return to_record(row, staff_initials(session))


def update_event(db: Database, event_id: int, base_version: int, **changes: Any) -> EventRecord:
    """Save the fields an editor changed, if nobody saved the event since ``base_version``.

    Editable: see ``EDITABLE_FIELDS`` (``owner`` takes initials, None clears). The new times,
    zone and rule are checked together with the ones kept. A stale ``base_version`` raises
    ``db.errors.ConflictError`` and saves nothing.
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(EDITABLE_FIELDS))
        raise InputError(
            f"cannot change {', '.join(unknown)} on an event; editable: {allowed}",
            field=unknown[0],
        )
    values = {key: _NORMALIZERS[key](v) for key, v in changes.items() if key in _NORMALIZERS}
    with db.transaction() as session:
        if "owner" in changes:
            values["owner_id"] = resolve_staff_id(session, changes["owner"], field="owner")
        if any(field in values for field in _SCHEDULE_FIELDS):
            row = load_for_update(session, Event, event_id, base_version)
            schedule = {
                "starts_at": row.starts_at,
                "ends_at": row.ends_at,
                "timezone": row.timezone,
                "all_day": row.all_day,
                "rrule": row.rrule,
                "exdates": list(parse_exdates(row.exdates)),
            }
            if values.get("all_day") is True and "ends_at" not in values and not row.all_day:
                schedule["ends_at"] = None  # becoming all-day: default to the whole day
            schedule.update({k: v for k, v in values.items() if k in _SCHEDULE_FIELDS})
            checked = _validate_schedule(schedule)
            values.update({k: checked[k] for k in _SCHEDULE_FIELDS})
        row = update_versioned(session, Event, event_id, base_version, **values)
        return to_record(row, staff_initials(session))


def occurrences(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    limit: int = 500,
    leader: str | None = None,
    kind: EventKind | str | None = None,
) -> list[Occurrence]:
    """Occurrences overlapping ``[start, end)``, sorted by start, at most ``limit``.

    An occurrence overlaps if it starts in the range, or started before and ends after
    ``start``. One-off events come from one range read on ``starts_at`` (looking back
    ``LOOKBACK``: events last at most ``MAX_EVENT_LENGTH``); series (``ix_events_recurring``)
    are expanded in their own zone. Cancelled occurrences are included (see ``status``).
    ``leader`` matches one of the event's leaders, ignoring case.
    """
    start = aware(start, field="start")
    end = aware(end, field="end")
    if end <= start:
        raise InputError("the range ends before it starts", field="end")
    limit = list_limit(limit)
    wanted_kind = None if kind is None else parse_kind(kind)
    wanted_leader = " ".join(leader.split()).casefold() if leader else None
    with db.read() as session:
        # "parent_id + 0": overrides are skipped without steering SQLite onto the
        # parent_id index (most rows have none), away from ix_events_starts/_recurring.
        filters: list[Any] = [(Event.parent_id + 0).is_(None)]
        if wanted_kind is not None:
            filters.append(Event.kind == wanted_kind)
        if wanted_leader:
            # A superset (substring); the exact, case-insensitive membership is checked below.
            filters.append(func.lower(Event.leaders).contains(wanted_leader, autoescape=True))
        found = _one_off(session, filters, start, end, limit, wanted_leader)
        series = session.scalars(
            select(Event).where(
                *filters, Event.rrule.is_not(None), _unindexed(Event.starts_at) < end
            )
        )
        for row in series:
            if _has_leader(row, wanted_leader):
                found.extend(_expand(row, start, end, limit))
    found.sort(key=lambda occ: (occ.start, occ.event_id))
    return found[:limit]


# --- expansion ----------------------------------------------------------------------------


def _unindexed(column: Any) -> UnaryExpression[Any]:
    """``+column``: SQLite's way to say "do not pick an index for this term".

    The series read must walk the small partial index ``ix_events_recurring``; offered
    ``starts_at < end`` it would walk ``ix_events_starts`` over every event in history.
    """
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _has_leader(row: Event, leader: str | None) -> bool:
    return leader is None or any(name.casefold() == leader for name in split_list(row.leaders))


def _one_off(
    session: Session,
    filters: list[Any],
    start: datetime,
    end: datetime,
    limit: int,
    leader: str | None,
) -> list[Occurrence]:
    """Up to ``limit`` one-off events overlapping the range, in (starts_at, id) order."""
    query: Select[tuple[Event]] = (
        select(Event)
        .where(
            *filters,
            Event.rrule.is_(None),
            Event.starts_at >= start - LOOKBACK,
            Event.starts_at < end,
            or_(Event.starts_at >= start, Event.ends_at > start),
        )
        .order_by(Event.starts_at, Event.id)
    )
    out: list[Occurrence] = []
    after: tuple[datetime, int] | None = None
    while len(out) < limit:
        page = query
        if after is not None:
            page = page.where(
                Event.starts_at >= after[0], or_(Event.starts_at > after[0], Event.id > after[1])
            )
        rows = list(session.scalars(page.limit(limit)))
        out.extend(
            _occurrence(row, row.starts_at, row.ends_at, recurring=False)
            for row in rows
            if _has_leader(row, leader)
        )
        if len(rows) < limit or leader is None:
            break  # without a leader filter every row matched: the first page is enough
        after = (rows[-1].starts_at, rows[-1].id)
    return out[:limit]


def _expand(row: Event, start: datetime, end: datetime, limit: int) -> list[Occurrence]:
    """The series' occurrences overlapping ``[start, end)`` (at most ``limit``).

    The rule runs on naive wall times in the event's zone from its local start; each
    date is placed in the zone and converted to UTC, so local time holds across DST.
    A row whose zone or rule cannot be read (written by another tool) yields nothing.
    """
    try:
        zone = ZoneInfo(row.timezone)
        wall_start = wall_time(row.starts_at, zone)
    except (ValueError, TypeError, OverflowError, ZoneInfoNotFoundError):
        return []
    if row.ends_at is None:
        length = timedelta(0)
    elif row.all_day:  # whole local days: 23 or 25 hours across a DST change
        length = wall_time(row.ends_at, zone) - wall_start
    else:
        length = row.ends_at - row.starts_at
    skipped = set(parse_exdates(row.exdates))
    # Wall-time bounds with a day of slack either side; the exact test is in UTC below.
    low = wall_time(start, zone) - length - timedelta(days=1)
    high = wall_time(end, zone) + timedelta(days=1)
    try:
        rule = _cached_rule(row.rrule or "", _rebased_start(row.rrule or "", wall_start, low), zone)
    except (ValueError, TypeError, OverflowError):
        return []
    out: list[Occurrence] = []
    for wall in rule.xafter(max(low, wall_start), inc=True):
        if wall > high or len(out) >= limit:
            break
        occ_start = localise(wall, zone)
        if occ_start in skipped or occ_start >= end:
            continue
        if row.ends_at is None:
            occ_end = None
        elif row.all_day:
            occ_end = localise(wall + length, zone)
        else:
            occ_end = occ_start + length
        if occ_start >= start or (occ_end is not None and occ_end > start):
            out.append(_occurrence(row, occ_start, occ_end, recurring=True))
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


def _occurrence(
    row: Event, start: datetime, end: datetime | None, *, recurring: bool
) -> Occurrence:
    return Occurrence(
        event_id=row.id,
        title=row.title,
        kind=row.kind,
        status=row.status,
        start=start,
        end=end,
        all_day=row.all_day,
        location=row.location,
        leaders=split_list(row.leaders),
        timezone=row.timezone,
        recurring=recurring,
        public=row.public,
    )
