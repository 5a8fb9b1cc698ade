"""The calendar: events, repeating series, and the occurrences that fall in a range.

Times are stored in UTC, but a series repeats in its event's own zone: a weekly 09:00
America/New_York briefing stays at 09:00 local across daylight-saving changes (its UTC hour
moves). ``rrule`` holds one RFC 5545 RRULE value without the ``RRULE:`` prefix, stored in a
canonical form: upper case, and an ``UNTIL`` written the way RFC 5545 wants it (in UTC,
``...Z``, for a timed series; a date for an all-day one). ``exdates`` holds the UTC start
times of skipped occurrences, ``rdates`` the UTC start times of extra ones (each lasting as
long as the series' first occurrence).

A series' single occurrence can be changed by an *override* row: the same ``uid``,
``parent_id`` pointing at the series and ``recurrence_id`` = the start the series gave that
occurrence (see ``deskterm.core.calendar_edits``). In ``occurrences()`` an override replaces
the occurrence it names and shows at its own time with its own fields; a cancelled override
is shown, with status ``cancelled`` (like any cancelled event), while an EXDATE hides the
occurrence altogether. An override whose ``recurrence_id`` the series no longer produces is
still shown at its own time (its data is never hidden).

Limits that keep ``occurrences()`` to bounded, indexed reads:

- an event lasts at most ``MAX_EVENT_LENGTH`` (31 days), so a one-off event (or override)
  that overlaps a range is found by one range read on ``starts_at`` looking back that far;
- a series repeats at most hourly and must produce occurrences (an impossible rule such as
  "every 30 February" would make the expander search to the year 9999).

"Floating" iCalendar times (no zone) are pinned to a real zone when they come in (see
``deskterm.core.ics``): every stored event has an IANA zone.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
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
from db.versioning import load_for_update
from deskterm.core.config import local_zone_name
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    MAX_LIST,
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
# Overrides are looked up by series id in chunks (SQLite's bound-parameter limit).
_ID_CHUNK = 500

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
        "rdates",
    }
)
# Fields whose values are checked together (times, zone and rule depend on each other).
SCHEDULE_FIELDS = ("starts_at", "ends_at", "timezone", "all_day", "rrule", "exdates", "rdates")

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
    rdates: tuple[datetime, ...] = ()
    parent_id: int | None = None  # set on an override: the series it changes
    recurrence_id: datetime | None = None  # on an override: the start the series gave it
    sequence: int = 0  # iCalendar SEQUENCE: bumped by every revision


@dataclass(frozen=True)
class Occurrence:
    """One appearance of an event in a range (a one-off event, or one date of a series).

    ``event_id`` is the row holding this occurrence's fields: the one-off event, the series,
    or the override that changed this date. For an occurrence of a series, ``series_id`` is
    the series and ``original_start`` the start the series gave it (its recurrence id: what
    ``calendar_edits.edit_occurrence`` takes as ``occurrence_start``); both are None for a
    one-off event.
    """

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
    series_id: int | None = None
    original_start: datetime | None = None

    @property
    def key(self) -> tuple[int, datetime]:
        """(event_id, start): what tells two occurrences apart."""
        return (self.event_id, self.start)

    @property
    def overridden(self) -> bool:
        """True when an override row changed this occurrence of a series."""
        return self.series_id is not None and self.series_id != self.event_id


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
        rdates=parse_exdates(row.rdates or ""),
        parent_id=row.parent_id,
        recurrence_id=row.recurrence_id,
        sequence=row.sequence or 0,
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


def _times(values: Sequence[datetime] | None, field: str) -> list[datetime]:
    if values is None:
        return []
    if isinstance(values, datetime | str):
        raise InputError(f"{field} must be a list of date-times", field=field)
    out = {aware(value, field=field) for value in values}
    return sorted(out)


def _exdates(values: Sequence[datetime] | None) -> list[datetime]:
    return _times(values, "exdates")


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
    "rdates": lambda v: _times(v, "rdates"),
}


def normalise(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Each given field checked on its own (``owner`` is left to the caller: it needs a
    session); the schedule as a whole is checked by ``check_schedule``."""
    return {key: _NORMALIZERS[key](v) for key, v in changes.items() if key in _NORMALIZERS}


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


def canonical_rule(text: str, zone: tzinfo, *, all_day: bool) -> str:
    """The rule with its UNTIL in RFC 5545's form: UTC (``...Z``) for a timed series, a
    date for an all-day one. The meaning is kept: a date-only UNTIL of a timed series
    becomes the last second of that day in the series' zone; a local UNTIL is placed in
    the zone. ``text`` must already have passed ``build_rule``."""
    until = dict(rule_parts(text)).get("UNTIL")
    if until is None:
        return text
    if len(until) == 8:
        day = datetime.strptime(until, "%Y%m%d")
        if all_day:
            return text
        moment = localise(day.replace(hour=23, minute=59, second=59), zone)
        return rule_with(text, UNTIL=f"{moment:%Y%m%dT%H%M%SZ}")
    if until.endswith("Z"):
        moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    else:
        moment = localise(datetime.strptime(until, "%Y%m%dT%H%M%S"), zone)
    if all_day:
        return rule_with(text, UNTIL=f"{wall_time(moment, zone):%Y%m%d}")
    return rule_with(text, UNTIL=f"{moment:%Y%m%dT%H%M%SZ}")


def desk_zone_name(setting: str) -> str:
    """The IANA name of the desk's zone (``Settings.timezone``): the setting itself, or for
    ``"local"`` the machine's zone (see ``config.local_zone_name``), else ``"UTC"``. New
    events and floating iCalendar times take this zone."""
    if setting != "local":
        return zone_named(setting).key
    return local_zone_name() or "UTC"


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


def _check_rule_starts(rule: rrule, rule_text: str) -> None:
    """ValueError if the rule's UNTIL ends it before its first date: such a series would
    be stored and never appear on the calendar. Run after ``_check_rule_repeats``, so the
    search is bounded (a rule that repeats stops at its UNTIL or its first date)."""
    if next(iter(rule), None) is None:
        until = dict(rule_parts(rule_text)).get("UNTIL", "?")
        raise ValueError(
            f"it ends (UNTIL={until}) before its first date: the event would never appear"
        )


def check_schedule(values: dict[str, Any]) -> dict[str, Any]:
    """Check times, zone, all-day and rule together; returns values to store.

    ``values`` holds every schedule field (normalised one by one already; ``rdates`` may
    be left out). The rule comes back in its canonical form (see ``canonical_rule``),
    exdates and rdates as stored text.
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
    rdates = values.get("rdates") or []
    if rule_text is not None:
        wall_start = wall_time(starts_at, zone)
        try:
            rule = build_rule(rule_text, wall_start, zone)
            _check_rule_repeats(rule, wall_start)
            if not rdates:
                _check_rule_starts(rule, rule_text)
        except (ValueError, TypeError, OverflowError) as error:
            detail = " ".join(str(error).split()) or type(error).__name__
            raise InputError(
                f"rrule {rule_text!r} is not usable: {detail}", field="rrule"
            ) from None
        rule_text = canonical_rule(rule_text, zone, all_day=bool(values["all_day"]))
    elif rdates:
        raise InputError("extra dates (rdates) need a repeating rule (rrule)", field="rdates")
    return {
        **values,
        "timezone": zone.key,
        "ends_at": ends_at,
        "rrule": rule_text,
        "exdates": format_exdates(values["exdates"]),
        "rdates": format_exdates(rdates),
    }


def prepare_event(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a new event (``title``, ``kind``, ``status``, the schedule, ...)
    checked and ready to store (``owner`` excluded: it needs a session)."""
    values = normalise(given)
    values.setdefault("rdates", [])
    return check_schedule(values)


def _day_start(day: date, zone: tzinfo) -> datetime:
    return localise(datetime.combine(day, time(0)), zone)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight of ``day`` in ``zone``, in UTC (an all-day event's start)."""
    return _day_start(day, zone)


def read_event_times(
    start: str,
    end: str,
    *,
    zone: tzinfo,
    now: datetime,
    all_day: bool,
    default_time: time = time(17, 0),
) -> tuple[datetime, datetime | None]:
    """An event's start and end as typed (the desk's form and ``calendar add``): ``start`` read
    from ``now``; all day: two dates, the end's day included; else the end read from the
    start: ``11:00`` on the start's day, ``+90m`` from the start, a weekday the start's own
    (``thu 09:00`` for a start on Thursday at 10:00: an end before the start, refused by the
    event's checks, never the next week's) or a later one. A time the clocks skip is
    refused (moving one end alone would change the length). An empty end: None."""
    from deskterm.core.dates import parse_date, parse_when

    start, end = start.strip(), end.strip()
    if all_day:
        first = parse_date(start, today=now.astimezone(zone).date(), field="start")
        last = parse_date(end, today=first, field="end") if end else None
        return day_start(first, zone), (
            day_start(last + timedelta(days=1), zone) if last is not None else None
        )
    starts_at = parse_when(
        start, now=now, tz=zone, field="start", default_time=default_time, exact=True
    )
    if not end:
        return starts_at, None
    ends_at = parse_when(end, now=starts_at, tz=zone, field="end", exact=True, weekday_rolls=False)
    return starts_at, ends_at


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
    rdates: Sequence[datetime] = (),
    uid: str | None = None,
) -> EventRecord:
    """Add an event (a series if ``rrule`` is given; its times repeat in ``timezone``).

    An all-day event starts at midnight in its zone; without ``ends_at`` it lasts that day.
    """
    from uuid import uuid4

    values = prepare_event(
        {
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
            "rdates": rdates,
        }
    )
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


def schedule_of(row: Event) -> dict[str, Any]:
    """The row's schedule fields as ``check_schedule`` takes them."""
    return {
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "timezone": row.timezone,
        "all_day": row.all_day,
        "rrule": row.rrule,
        "exdates": list(parse_exdates(row.exdates)),
        "rdates": list(parse_exdates(row.rdates or "")),
    }


def apply_changes(session: Session, row: Event, values: dict[str, Any]) -> bool:
    """Set normalised ``values`` on ``row`` (in a write transaction), checking the new
    schedule together with the fields kept. Returns True when the schedule changed (the
    caller bumps ``sequence``)."""
    values = dict(values)
    schedule_changed = False
    if any(field in values for field in SCHEDULE_FIELDS):
        schedule = schedule_of(row)
        if values.get("all_day") is True and "ends_at" not in values and not row.all_day:
            schedule["ends_at"] = None  # becoming all-day: default to the whole day
        schedule.update({k: v for k, v in values.items() if k in SCHEDULE_FIELDS})
        checked = check_schedule(schedule)
        values.update({k: checked[k] for k in SCHEDULE_FIELDS})
        schedule_changed = any(getattr(row, k) != values[k] for k in SCHEDULE_FIELDS)
    for key, value in values.items():
        setattr(row, key, value)
    return schedule_changed


def update_event(db: Database, event_id: int, base_version: int, **changes: Any) -> EventRecord:
    """Save the fields an editor changed, if nobody saved the event since ``base_version``.

    Editable: see ``EDITABLE_FIELDS`` (``owner`` takes initials, None clears). The new times,
    zone and rule are checked together with the ones kept. A stale ``base_version`` raises
    ``db.errors.ConflictError`` and saves nothing. Any change bumps ``sequence`` (so an
    older .ics copy of the event, imported again, is refused instead of undoing it).
    To change one date of a series, or a series that has overrides, use
    ``deskterm.core.calendar_edits`` (it keeps the overrides in step).
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(EDITABLE_FIELDS))
        raise InputError(
            f"cannot change {', '.join(unknown)} on an event; editable: {allowed}",
            field=unknown[0],
        )
    values = normalise(changes)
    with db.transaction() as session:
        if "owner" in changes:
            values["owner_id"] = resolve_staff_id(session, changes["owner"], field="owner")
        row = load_for_update(session, Event, event_id, base_version)
        revise(session, row, values)
        session.flush()
        return to_record(row, staff_initials(session))


def revise(session: Session, row: Event, values: dict[str, Any]) -> None:
    """``apply_changes``, then bump the iCalendar SEQUENCE if anything changed.

    Every revision bumps it, not only a new schedule: an import applies a copy whose
    SEQUENCE is not lower than the desk's, so a file exported before this edit would
    otherwise undo it when imported again."""
    before = _revisable(row)
    apply_changes(session, row, values)
    if _revisable(row) != before:
        row.sequence = (row.sequence or 0) + 1


def _revisable(row: Event) -> dict[str, Any]:
    skip = {"id", "uid", "version", "created_at", "updated_at", "sequence"}
    return {c.key: getattr(row, c.key) for c in Event.__table__.columns if c.key not in skip}


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
    ``start``. One-off events and overrides come from one range read on ``starts_at``
    (looking back ``LOOKBACK``: events last at most ``MAX_EVENT_LENGTH``); series
    (``ix_events_recurring``) are expanded in their own zone, RDATEs added, EXDATEs and the
    dates their overrides replace left out. Cancelled occurrences (events, series and
    cancelled overrides) are included with their ``status``. ``leader`` matches one of
    the occurrence's leaders, ignoring case; ``leader`` and ``kind`` test an override's
    own fields.
    """
    return _gather(db, start, end, list_limit(limit), leader, kind)


def current_occurrence(db: Database, occurrence: Occurrence) -> Occurrence:
    """``occurrence`` as saved now (for a view that stays open while it is cancelled or
    moved, here or on another desk): the one-off event at its present date, or the same
    date of the same series (its override's, if one moved it). ``occurrence`` itself if
    that date is no longer on the calendar (a series ended before it, an EXDATE); a
    deleted event raises ``NotFoundError``."""
    if occurrence.series_id is None:
        start = get_event(db, occurrence.event_id).starts_at

        def same(found: Occurrence) -> bool:
            return found.series_id is None and found.event_id == occurrence.event_id

    else:
        given = occurrence.original_start or occurrence.start
        with db.read() as session:
            moved = session.scalar(
                select(Event.starts_at).where(
                    Event.parent_id == occurrence.series_id, Event.recurrence_id == given
                )
            )
        start = moved if moved is not None else given  # UTCDateTime: aware

        def same(found: Occurrence) -> bool:
            return found.series_id == occurrence.series_id and found.original_start == given

    nearby = occurrences(db, start, start + timedelta(seconds=1))
    return next((found for found in nearby if same(found)), occurrence)


def all_occurrences(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    leader: str | None = None,
    kind: EventKind | str | None = None,
    cap: int = 20_000,
) -> tuple[list[Occurrence], bool]:
    """Every occurrence overlapping ``[start, end)`` as ``occurrences()`` finds them, up to
    ``cap`` (for lists that must be complete: the command line, exports, reports);
    returns (occurrences sorted by start, truncated?)."""
    cap = list_limit(cap, field="cap", maximum=1_000_000)
    found = _gather(db, start, end, cap + 1, leader, kind)
    return found[:cap], len(found) > cap


def _gather(
    db: Database,
    start: datetime,
    end: datetime,
    limit: int,
    leader: str | None,
    kind: EventKind | str | None,
) -> list[Occurrence]:
    """The first ``limit`` occurrences: rows are read as plain columns, every date is kept
    as a small (start, id, ...) tuple, and only the ``limit`` kept become ``Occurrence``s."""
    start = aware(start, field="start")
    end = aware(end, field="end")
    if end <= start:
        raise InputError("the range ends before it starts", field="end")
    wanted_kind = None if kind is None else parse_kind(kind)
    wanted_leader = " ".join(leader.split()).casefold() if leader else None
    with db.read() as session:
        filters: list[Any] = []
        if wanted_kind is not None:
            filters.append(Event.kind == wanted_kind)
        if wanted_leader:
            # A superset (substring); the exact, case-insensitive membership is checked below.
            filters.append(func.lower(Event.leaders).contains(wanted_leader, autoescape=True))
        found: list[_Found] = [
            (row.starts_at, row.id, row.ends_at, row, row.parent_id, row.recurrence_id)
            for row in _one_off(session, filters, start, end, limit, wanted_leader)
        ]
        series = [
            row
            for row in session.execute(series_query(filters, end))
            if _has_leader(row, wanted_leader)
        ]
        replaced = overridden_starts(session, [row.id for row in series], start - LOOKBACK, end)
        for row in series:
            skip = set(parse_exdates(row.exdates)) | replaced.get(row.id, frozenset())
            found.extend(
                (occ_start, row.id, occ_end, row, row.id, occ_start)
                for occ_start, occ_end in scheduled(row, start, end, limit=limit, skip=skip)
            )
    found.sort(key=_by_start_and_id)
    leaders: dict[int, tuple[str, ...]] = {}
    return [
        occurrence_of(
            row,
            occ_start,
            occ_end,
            recurring=series_id is not None,
            series_id=series_id,
            original_start=original,
            leaders=leaders.setdefault(row.id, split_list(row.leaders)),
        )
        for occ_start, _, occ_end, row, series_id, original in found[:limit]
    ]


# (start, row id, end, row, series id, original start): a date before it is shown.
_by_start_and_id = operator.itemgetter(0, 1)
_Found = tuple[datetime, int, datetime | None, Any, int | None, datetime | None]

# The columns occurrences need (plain rows are several times cheaper than ORM objects).
_COLUMNS = (
    Event.id,
    Event.title,
    Event.kind,
    Event.status,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.all_day,
    Event.location,
    Event.leaders,
    Event.public,
    Event.rrule,
    Event.exdates,
    Event.rdates,
    Event.parent_id,
    Event.recurrence_id,
)


def series_query(filters: Sequence[Any], end: datetime) -> Select[Any]:
    """Series (not overrides) that start before ``end``, through ``ix_events_recurring``,
    as rows of the columns occurrences need.

    "parent_id + 0" and "+starts_at" keep SQLite off the parent_id and starts_at indexes:
    the small partial index of rows with a rule is the one to walk.
    """
    return select(*_COLUMNS).where(
        *filters,
        (Event.parent_id + 0).is_(None),
        Event.rrule.is_not(None),
        unindexed(Event.starts_at) < end,
    )


class Schedule(Protocol):
    """What expansion reads from an event row."""

    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    rrule: str | None
    rdates: str


def unindexed(column: Any) -> UnaryExpression[Any]:
    """``+column``: SQLite's way to say "do not pick an index for this term".

    The series read must walk the small partial index ``ix_events_recurring``; offered
    ``starts_at < end`` it would walk ``ix_events_starts`` over every event in history.
    """
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


@functools.lru_cache(maxsize=4096)
def fold_leader(name: str) -> str:
    """A leader's name compared ignoring case and spacing (cached: a month's list folds
    the same few names thousands of times)."""
    return " ".join(name.split()).casefold()


def names_leader(names: Iterable[str], wanted: str) -> bool:
    """True if one of ``names`` is the leader ``wanted``: the same name ignoring case and
    spacing, or that title followed by a personal name (``Mayor`` names
    ``Mayor Elena Castellanos``), as the key leaders in the config are titles."""
    key = fold_leader(wanted)
    return any((name := fold_leader(n)) == key or name.startswith(key + " ") for n in names)


def _has_leader(row: Any, leader: str | None) -> bool:
    return leader is None or names_leader(split_list(row.leaders), leader)


def overridden_starts(
    session: Session, series_ids: Sequence[int], low: datetime, high: datetime
) -> dict[int, frozenset[datetime]]:
    """series id -> the recurrence ids in ``[low, high)`` that overrides replace."""
    out: dict[int, set[datetime]] = {}
    for chunk in iter_chunks(series_ids):
        rows = session.execute(
            select(Event.parent_id, Event.recurrence_id).where(
                Event.parent_id.in_(chunk),
                Event.recurrence_id >= low,
                Event.recurrence_id < high,
            )
        )
        for parent_id, recurrence_id in rows:
            if parent_id is not None and recurrence_id is not None:
                out.setdefault(parent_id, set()).add(recurrence_id)
    return {key: frozenset(value) for key, value in out.items()}


def _one_off(
    session: Session,
    filters: list[Any],
    start: datetime,
    end: datetime,
    limit: int,
    leader: str | None,
) -> list[Any]:
    """Up to ``limit`` one-off events and overrides overlapping the range (rows of
    ``_COLUMNS``), in (starts_at, id) order."""
    query = (
        select(*_COLUMNS)
        .where(
            *filters,
            # one-off events, and overrides (whatever rule text an override may carry)
            or_(Event.rrule.is_(None), (Event.parent_id + 0).is_not(None)),
            Event.starts_at >= start - LOOKBACK,
            Event.starts_at < end,
            or_(Event.starts_at >= start, Event.ends_at > start),
        )
        .order_by(Event.starts_at, Event.id)
    )
    out: list[Any] = []
    after: tuple[datetime, int] | None = None
    while len(out) < limit:
        page = query
        if after is not None:
            page = page.where(
                Event.starts_at >= after[0], or_(Event.starts_at > after[0], Event.id > after[1])
            )
        rows = list(session.execute(page.limit(limit)))
        out.extend(row for row in rows if _has_leader(row, leader))
        if len(rows) < limit or leader is None:
            break  # without a leader filter every row matched: the first page is enough
        after = (rows[-1].starts_at, rows[-1].id)
    return out[:limit]


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


def occurrence_of(
    row: Any,
    start: datetime,
    end: datetime | None,
    *,
    recurring: bool,
    series_id: int | None = None,
    original_start: datetime | None = None,
    leaders: tuple[str, ...] | None = None,
) -> Occurrence:
    """The occurrence of ``row`` (an ``Event`` or a row of its columns) at these times.

    Built without the frozen dataclass' ``__init__`` (which sets each field through
    ``object.__setattr__``: 4 µs against 0.6 µs; a month's list builds thousands). The
    fields are exactly the dataclass' fields, so equality, hashing and ``replace`` are
    those of an ``Occurrence(...)``; ``test_occurrence_of_equals_the_constructor`` checks.
    """
    occurrence = object.__new__(Occurrence)
    occurrence.__dict__.update(
        event_id=row.id,
        title=row.title,
        kind=row.kind,
        status=row.status,
        start=start,
        end=end,
        all_day=row.all_day,
        location=row.location,
        leaders=split_list(row.leaders) if leaders is None else leaders,
        timezone=row.timezone,
        recurring=recurring,
        public=row.public,
        series_id=series_id,
        original_start=original_start,
    )
    return occurrence


_SPLIT_SUFFIX = re.compile(r"_R[0-9]{8}T[0-9]{6}Z?(-[0-9]+)?$")


def root_uid(uid: str) -> str:
    """The uid a split series came from: ``abc_R20261123T140000Z@x`` -> ``abc@x`` (see
    ``calendar_edits``: "this and following" gives the later half such a uid)."""
    head, at, domain = uid.rpartition("@")
    if not at:
        return _SPLIT_SUFFIX.sub("", uid)
    return _SPLIT_SUFFIX.sub("", head) + at + domain


def iter_chunks(items: Sequence[Any], size: int = _ID_CHUNK) -> Iterable[Sequence[Any]]:
    """``items`` in slices of ``size`` (for IN lists)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
