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

The occurrences of a range (``occurrences``, ``all_occurrences``), the records and the
expansion of a schedule live in ``deskterm.core.occurrences`` and
``deskterm.core.recurrence`` (no SQLAlchemy: the desk's first paint reads its agenda
through them); they are re-exported here, and the limits that keep those reads bounded are
stated there.

"Floating" iCalendar times (no zone) are pinned to a real zone when they come in (see
``deskterm.core.ics``): every stored event has an IANA zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule
from sqlalchemy import Select, select
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
    aware,
    aware_or_none,
    boolean,
    free_text,
    join_list,
    line_text,
    parse_choice,
    split_list,
)
from deskterm.core.occurrences import LOOKBACK as LOOKBACK
from deskterm.core.occurrences import MAX_EVENT_LENGTH as MAX_EVENT_LENGTH
from deskterm.core.occurrences import EventRecord as EventRecord
from deskterm.core.occurrences import EventRow
from deskterm.core.occurrences import Occurrence as Occurrence
from deskterm.core.occurrences import all_occurrences as all_occurrences
from deskterm.core.occurrences import fold_leader as fold_leader
from deskterm.core.occurrences import iter_chunks as iter_chunks
from deskterm.core.occurrences import names_leader as names_leader
from deskterm.core.occurrences import occurrence_of as occurrence_of
from deskterm.core.occurrences import occurrences as occurrences
from deskterm.core.occurrences import parse_kind as parse_kind
from deskterm.core.recurrence import Schedule as Schedule
from deskterm.core.recurrence import build_rule as build_rule
from deskterm.core.recurrence import day_start as day_start
from deskterm.core.recurrence import format_exdates as format_exdates
from deskterm.core.recurrence import localise as localise
from deskterm.core.recurrence import occurrence_end as occurrence_end
from deskterm.core.recurrence import parse_exdates as parse_exdates
from deskterm.core.recurrence import rule_parts as rule_parts
from deskterm.core.recurrence import rule_with as rule_with
from deskterm.core.recurrence import scheduled as scheduled
from deskterm.core.recurrence import series_length as series_length
from deskterm.core.recurrence import simple_dates as simple_dates
from deskterm.core.recurrence import until_wall as until_wall
from deskterm.core.recurrence import wall_time as wall_time
from deskterm.core.staff import resolve_staff_id, staff_initials

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
        "rdates",
    }
)
# Fields whose values are checked together (times, zone and rule depend on each other).
SCHEDULE_FIELDS = ("starts_at", "ends_at", "timezone", "all_day", "rrule", "exdates", "rdates")


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
        if starts_at != day_start(wall_time(starts_at, zone).date(), zone):
            raise InputError(
                f"an all-day event starts at midnight in its zone ({zone.key})", field="starts_at"
            )
        if ends_at is None:
            ends_at = day_start(wall_time(starts_at, zone).date() + timedelta(days=1), zone)
        elif ends_at <= starts_at or ends_at != day_start(wall_time(ends_at, zone).date(), zone):
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


# The columns occurrences need (plain rows are several times cheaper than ORM objects).
# The columns occurrences need (``occurrences.EventRow``), for ``series_query``.
_COLUMNS = tuple(getattr(Event, name) for name in EventRow._fields)


def series_query(filters: Sequence[Any], end: datetime) -> Select[Any]:
    """Series (not overrides) that start before ``end``, through ``ix_events_recurring``,
    as rows of the columns occurrences need (the export's read, ``deskterm.core.ics``;
    ``occurrences()`` reads the same rows in plain SQL).

    "parent_id + 0" and "+starts_at" keep SQLite off the parent_id and starts_at indexes:
    the small partial index of rows with a rule is the one to walk.
    """
    return select(*_COLUMNS).where(
        *filters,
        (Event.parent_id + 0).is_(None),
        Event.rrule.is_not(None),
        unindexed(Event.starts_at) < end,
    )


def unindexed(column: Any) -> UnaryExpression[Any]:
    """``+column``: SQLite's way to say "do not pick an index for this term".

    The series read must walk the small partial index ``ix_events_recurring``; offered
    ``starts_at < end`` it would walk ``ix_events_starts`` over every event in history.
    """
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


_SPLIT_SUFFIX = re.compile(r"_R[0-9]{8}T[0-9]{6}Z?(-[0-9]+)?$")


def root_uid(uid: str) -> str:
    """The uid a split series came from: ``abc_R20261123T140000Z@x`` -> ``abc@x`` (see
    ``calendar_edits``: "this and following" gives the later half such a uid)."""
    head, at, domain = uid.rpartition("@")
    if not at:
        return _SPLIT_SUFFIX.sub("", uid)
    return _SPLIT_SUFFIX.sub("", head) + at + domain
