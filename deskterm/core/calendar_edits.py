"""Changing or cancelling one date of a series: this one, this and the following, or all.

An occurrence is named by its series and the start the series gave it
(``Occurrence.series_id`` and ``Occurrence.original_start``; an override's own id is read
as its series). New times in ``changes`` are the new times *of that occurrence*:

- ``"this"``: an override row (same ``uid``, ``parent_id`` = the series, ``recurrence_id`` =
  the original start) holds the changed copy; a second edit of the same date changes it.
- ``"following"``: the series is split. The old series ends with an ``UNTIL`` just before
  the occurrence (a ``COUNT`` becomes that ``UNTIL``; the new series counts the rest); a new
  series with a related uid (``<uid>_R<start>``, the form Google Calendar uses) starts at
  the occurrence with the changes, and takes over the later EXDATEs, RDATEs and overrides.
  Splitting at the first occurrence is the same as ``"all"``.
- ``"all"``: the series changes. Moving the occurrence moves the series by the same
  wall-clock amount (a weekly ``BYDAY`` follows a change of weekday; ``UNTIL``, EXDATEs and
  RDATEs move too). Overrides are kept sensible: each moves with its date, a field it had
  not changed itself follows the series' new value, an override that had kept the series'
  time takes the new time, and one whose date the new schedule no longer produces is
  deleted if it had kept the series' time or was cancelled (else it stays where it was
  moved to).

Only the series' ``rrule`` belongs to the series: it cannot change for ``"this"``. Without
``ends_at`` a moved occurrence keeps its length. ``base_version`` is the series' version:
every change to a series or one of its dates bumps it (through ``sequence``, the iCalendar
revision), so two desks changing dates of one series never overwrite each other silently
(``db.errors.ConflictError``). A one-off event takes the same calls (any scope): the edit
is the event's own. Every write is one short transaction, audited by the ORM hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import EventStatus
from db.errors import NotFoundError
from db.models import Event
from db.versioning import load_for_update
from deskterm.core.calendar import (
    EDITABLE_FIELDS,
    UID_MAX,
    EventRecord,
    apply_changes,
    format_exdates,
    localise,
    normalise,
    occurrence_end,
    parse_exdates,
    revise,
    root_uid,
    rule_parts,
    rule_with,
    scheduled,
    series_length,
    to_record,
    wall_time,
)
from deskterm.core.errors import InputError
from deskterm.core.fields import MAX_LIST, aware
from deskterm.core.staff import resolve_staff_id, staff_initials

Scope = Literal["this", "following", "all"]
SCOPES: tuple[str, ...] = get_args(Scope)

#: What an occurrence edit may change (the extra dates belong to the series' editor).
OCCURRENCE_FIELDS: frozenset[str] = EDITABLE_FIELDS - {"exdates", "rdates"}
# Copied from a series onto a new override or a new series.
_COPIED = (
    "title",
    "kind",
    "status",
    "timezone",
    "all_day",
    "location",
    "leaders",
    "owner_id",
    "public",
    "notes",
)
# Fields an override follows when the series changes them (if it had the series' value).
_FOLLOWED = ("title", "kind", "status", "location", "leaders", "owner_id", "public", "notes")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ONE = timedelta(microseconds=1)


@dataclass(frozen=True)
class _Schedule:
    """A series' schedule as it was before a change (``occurrence_end`` reads it)."""

    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    rrule: str | None
    rdates: str


def edit_occurrence(
    db: Database,
    event_id: int,
    occurrence_start: datetime,
    scope: Scope,
    base_version: int,
    **changes: Any,
) -> EventRecord:
    """Change one occurrence, it and the following ones, or the whole series.

    Returns the row that now holds the occurrence: the override (``"this"``), the new
    series (``"following"``) or the series (``"all"``). Editable: ``OCCURRENCE_FIELDS``
    (``owner`` takes initials). Bad input raises ``InputError`` naming the field; a date
    the series does not have names ``occurrence_start``.
    """
    scope = _scope(scope)
    when = aware(occurrence_start, field="occurrence_start")
    values = _normalised(changes, scope)
    with db.transaction() as session:
        if "owner" in changes:
            values["owner_id"] = resolve_staff_id(session, changes["owner"], field="owner")
        series, when = _target(session, event_id, when, base_version)
        if series.rrule is None:
            row = _edit_one_off(session, series, when, values)
        else:
            _require_occurrence(session, series, when)
            if scope == "this":
                row = _edit_this(session, series, when, values)
            elif scope == "following":
                row = _edit_following(session, series, when, values)
            else:
                row = _edit_all(session, series, when, values)
        session.flush()
        return to_record(row, staff_initials(session))


def cancel_occurrence(
    db: Database,
    event_id: int,
    occurrence_start: datetime,
    scope: Scope,
    base_version: int,
    *,
    remove: bool = False,
) -> None:
    """Cancel one occurrence, it and the following ones, or the whole series.

    ``"this"``: a cancelled override (the date stays on the calendar, struck through);
    with ``remove=True`` an EXDATE instead (the date disappears; an override of it is
    deleted). ``"following"``: the series ends with an ``UNTIL`` before the date, and the
    later overrides, EXDATEs and RDATEs go (at the first date: the whole series is
    cancelled). ``"all"``: the series and its overrides get status ``cancelled``. A one-off
    event is cancelled (status) whatever the scope.
    """
    scope = _scope(scope)
    when = aware(occurrence_start, field="occurrence_start")
    with db.transaction() as session:
        series, when = _target(session, event_id, when, base_version)
        if series.rrule is None:
            _require_one_off_start(series, when)
            series.status = EventStatus.CANCELLED
            series.sequence = (series.sequence or 0) + 1
        else:
            _require_occurrence(session, series, when)
            if scope == "this":
                _cancel_this(session, series, when, remove=remove)
            elif scope == "following" and _has_earlier(series, when):
                _end_before(session, series, when)
            else:
                _cancel_all(session, series)
        session.flush()


# --- the three scopes ---------------------------------------------------------------------


def _edit_one_off(session: Session, row: Event, when: datetime, values: dict[str, Any]) -> Event:
    _require_one_off_start(row, when)  # a one-off event may even become a series here
    revise(session, row, _moved(_snapshot(row), row.starts_at, values))
    return row


def _edit_this(session: Session, series: Event, when: datetime, values: dict[str, Any]) -> Event:
    if "rrule" in values:
        raise InputError(
            "the repeat rule belongs to the series: change it for this and following, or all",
            field="rrule",
        )
    override = _override(session, series, when)
    if override is None:
        zone = ZoneInfo(series.timezone)
        override = Event(
            uid=series.uid,
            parent_id=series.id,
            recurrence_id=when,
            sequence=series.sequence or 0,
            starts_at=when,
            ends_at=occurrence_end(series, when, zone),
            rrule=None,
            exdates="",
            rdates="",
            **{name: getattr(series, name) for name in _COPIED},
        )
        apply_changes(session, override, _moved(_snapshot(override), when, values))
        session.add(override)
    else:
        revise(session, override, _moved(_snapshot(override), override.starts_at, values))
    _touch(series)
    return override


def _edit_following(
    session: Session, series: Event, when: datetime, values: dict[str, Any]
) -> Event:
    if not _has_earlier(series, when):
        return _edit_all(session, series, when, values)
    zone = ZoneInfo(series.timezone)
    rule = series.rrule or ""
    count = dict(rule_parts(rule)).get("COUNT")
    new_rule = rule
    if count is not None:
        before = scheduled(series, series.starts_at, when, limit=int(count), with_rdates=False)
        left = int(count) - sum(1 for start, _ in before if start < when)
        new_rule = rule_with(rule, COUNT=str(max(left, 1)))
    exdates = parse_exdates(series.exdates)
    rdates = parse_exdates(series.rdates or "")
    later = _overrides(session, series, since=when)
    successor = Event(
        uid=_related_uid(session, series.uid, when),
        parent_id=None,
        recurrence_id=None,
        sequence=0,
        starts_at=when,
        ends_at=occurrence_end(series, when, zone),
        rrule=new_rule,
        exdates=format_exdates([e for e in exdates if e >= when]),
        rdates=format_exdates([r for r in rdates if r >= when]),
        **{name: getattr(series, name) for name in _COPIED},
    )
    _end_before(session, series, when, keep_overrides=True)
    session.add(successor)
    session.flush()
    for override in later:
        override.parent_id = successor.id
        override.uid = successor.uid
    session.flush()
    return _edit_all(session, successor, when, values)


def _edit_all(session: Session, series: Event, when: datetime, values: dict[str, Any]) -> Event:
    old = _snapshot(series)
    old_zone = ZoneInfo(old.timezone)
    followed = {name: getattr(series, name) for name in _FOLLOWED}
    moved = _moved(old, when, values)
    new_zone = ZoneInfo(moved.get("timezone", old.timezone))
    new_all_day = moved.get("all_day", old.all_day)
    new_start = moved.get("starts_at", when)
    delta = wall_time(new_start, new_zone) - wall_time(when, old_zone)
    day_shift = (wall_time(new_start, new_zone).date() - wall_time(when, old_zone).date()).days

    def shift(moment: datetime) -> datetime:
        return localise(wall_time(moment, old_zone) + delta, new_zone)

    series_values = {k: v for k, v in moved.items() if k not in ("starts_at", "ends_at")}
    series_values["starts_at"] = shift(old.starts_at)
    new_end = moved.get("ends_at") if "ends_at" in moved else occurrence_end(old, when, old_zone)
    if new_end is None:
        series_values["ends_at"] = None
    elif new_all_day:
        days = wall_time(new_end, new_zone) - wall_time(new_start, new_zone)
        series_values["ends_at"] = localise(
            wall_time(series_values["starts_at"], new_zone) + days, new_zone
        )
    else:
        series_values["ends_at"] = series_values["starts_at"] + (new_end - new_start)
    rule_given = "rrule" in values
    if not rule_given and old.rrule:
        series_values["rrule"] = _shifted_rule(
            old.rrule, old_zone, new_zone, shift, day_shift, all_day=new_all_day
        )
    series_values["exdates"] = [shift(e) for e in parse_exdates(series.exdates)]
    series_values["rdates"] = [shift(r) for r in parse_exdates(series.rdates or "")]
    if series_values.get("rrule", old.rrule) is None:
        series_values["exdates"], series_values["rdates"] = [], []
    revise(session, series, series_values)
    if series.rrule is not None and not rule_given and not _produces(series, new_start):
        raise InputError(
            "the series' rule does not repeat on the new date: change the rule as well",
            field="starts_at",
        )
    _carry_overrides(session, series, old, followed, values, shift, delta)
    return series


def _carry_overrides(
    session: Session,
    series: Event,
    old: _Schedule,
    followed: dict[str, Any],
    values: dict[str, Any],
    shift: Any,
    delta: timedelta,
) -> None:
    """Keep the series' overrides in step after an "all" change (see the module docstring)."""
    old_zone = ZoneInfo(old.timezone)
    new_zone = ZoneInfo(series.timezone)
    # One row at a time, latest first when moving later, so that no two overrides ever
    # hold the same recurrence id (the unique index is checked row by row).
    overrides = sorted(
        _overrides(session, series),
        key=lambda row: row.recurrence_id,
        reverse=delta > timedelta(0),
    )
    for row in overrides:
        original = row.recurrence_id
        kept_time = row.starts_at == original and row.ends_at == occurrence_end(
            old, original, old_zone
        )
        for name in _FOLLOWED:
            if name in values and getattr(row, name) == followed[name]:
                setattr(row, name, values[name])
        new_id = shift(original)
        orphan = series.rrule is None or not _produces(series, new_id)
        if orphan and (kept_time or row.status == EventStatus.CANCELLED or series.rrule is None):
            session.delete(row)  # nothing left to show that the series would not show itself
            session.flush()
            continue
        if kept_time:
            row.starts_at = new_id
            row.ends_at = occurrence_end(series, new_id, new_zone)
            row.timezone = series.timezone
            row.all_day = series.all_day
        row.recurrence_id = new_id
        session.flush()


def _cancel_this(session: Session, series: Event, when: datetime, *, remove: bool) -> None:
    override = _override(session, series, when)
    if remove:
        exdates = sorted({*parse_exdates(series.exdates), when})
        apply_changes(session, series, {"exdates": exdates})
        if override is not None:
            session.delete(override)
    elif override is not None:
        override.status = EventStatus.CANCELLED
    else:
        zone = ZoneInfo(series.timezone)
        copied = {name: getattr(series, name) for name in _COPIED}
        copied["status"] = EventStatus.CANCELLED
        session.add(
            Event(
                uid=series.uid,
                parent_id=series.id,
                recurrence_id=when,
                sequence=series.sequence or 0,
                starts_at=when,
                ends_at=occurrence_end(series, when, zone),
                rrule=None,
                exdates="",
                rdates="",
                **copied,
            )
        )
    _touch(series)


def _end_before(
    session: Session, series: Event, when: datetime, *, keep_overrides: bool = False
) -> None:
    """End the series just before ``when``: UNTIL, later extra dates and overrides go."""
    zone = ZoneInfo(series.timezone)
    if series.all_day:
        until = f"{wall_time(when, zone).date() - timedelta(days=1):%Y%m%d}"
    else:
        until = f"{when - timedelta(seconds=1):%Y%m%dT%H%M%SZ}"
    apply_changes(
        session,
        series,
        {
            "rrule": rule_with(series.rrule or "", COUNT=None, UNTIL=until),
            "exdates": [e for e in parse_exdates(series.exdates) if e < when],
            "rdates": [r for r in parse_exdates(series.rdates or "") if r < when],
        },
    )
    if not keep_overrides:
        for override in _overrides(session, series, since=when):
            session.delete(override)
    _touch(series)


def _cancel_all(session: Session, series: Event) -> None:
    series.status = EventStatus.CANCELLED
    for override in _overrides(session, series):
        override.status = EventStatus.CANCELLED
    _touch(series)


# --- helpers ------------------------------------------------------------------------------


def _scope(scope: object) -> Scope:
    if scope not in SCOPES:
        raise InputError(
            f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}", field="scope"
        )
    return scope  # type: ignore[return-value]


def _normalised(changes: dict[str, Any], scope: Scope) -> dict[str, Any]:
    if not changes:
        raise InputError("nothing to change", field="changes")
    unknown = sorted(set(changes) - OCCURRENCE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(OCCURRENCE_FIELDS))
        raise InputError(
            f"cannot change {', '.join(unknown)} on an occurrence; editable: {allowed}",
            field=unknown[0],
        )
    return normalise(changes)


def _target(
    session: Session, event_id: int, when: datetime, base_version: int
) -> tuple[Event, datetime]:
    """The series (checked against ``base_version``) and the occurrence's original start."""
    row = session.get(Event, event_id, populate_existing=True)
    if row is None:
        raise NotFoundError(Event.__tablename__, event_id)
    series_id = row.id
    if row.parent_id is not None:
        series_id = row.parent_id
        if row.recurrence_id is not None and when in (row.starts_at, row.recurrence_id):
            when = row.recurrence_id
    return load_for_update(session, Event, series_id, base_version), when


def _require_one_off_start(row: Event, when: datetime) -> None:
    if when != row.starts_at:
        raise InputError(
            f"event {row.id} does not repeat: its only occurrence starts "
            f"{row.starts_at:%Y-%m-%d %H:%M} UTC",
            field="occurrence_start",
        )


def _require_occurrence(session: Session, series: Event, when: datetime) -> None:
    if _produces(series, when) or _override(session, series, when) is not None:
        return
    raise InputError(
        f"the series has no occurrence starting {when:%Y-%m-%d %H:%M} UTC", field="occurrence_start"
    )


def _produces(series: Event, when: datetime) -> bool:
    """Whether the series' rule or RDATEs give a date starting at ``when`` (not EXDATE'd)."""
    if when in parse_exdates(series.exdates):
        return False
    return any(start == when for start, _ in scheduled(series, when, when + _ONE, limit=MAX_LIST))


def _has_earlier(series: Event, when: datetime) -> bool:
    """Whether the series has a date (not EXDATE'd) before ``when``."""
    extra = parse_exdates(series.rdates or "")
    low = min((series.starts_at, *extra))
    skip = set(parse_exdates(series.exdates))
    dates = scheduled(series, low, when, limit=MAX_LIST, skip=skip)
    return any(start < when for start, _ in dates)


def _override(session: Session, series: Event, when: datetime) -> Event | None:
    return session.scalar(
        select(Event).where(Event.parent_id == series.id, Event.recurrence_id == when)
    )


def _overrides(session: Session, series: Event, *, since: datetime | None = None) -> list[Event]:
    query = select(Event).where(Event.parent_id == series.id)
    if since is not None:
        query = query.where(Event.recurrence_id >= since)
    return list(session.scalars(query))


def _snapshot(row: Event) -> _Schedule:
    return _Schedule(
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        all_day=row.all_day,
        rrule=row.rrule,
        rdates=row.rdates or "",
    )


def _moved(old: _Schedule, start: datetime, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the occurrence's end filled in: a moved occurrence keeps its length
    (an all-day one its number of days); becoming all-day starts at that day's midnight."""
    out = dict(values)
    zone = ZoneInfo(out.get("timezone", old.timezone))
    all_day = out.get("all_day", old.all_day)
    if all_day and not old.all_day and "starts_at" not in out:
        day = wall_time(start, zone).date()
        out["starts_at"] = localise(datetime.combine(day, datetime.min.time()), zone)
        out.setdefault("ends_at", None)
    if "starts_at" in out and "ends_at" not in out:
        old_zone = ZoneInfo(old.timezone)
        old_end = occurrence_end(old, start, old_zone)
        if old_end is None:
            out["ends_at"] = None
        elif all_day and old.all_day:
            days = series_length(old, old_zone) or timedelta(days=1)
            out["ends_at"] = localise(wall_time(out["starts_at"], zone) + days, zone)
        else:
            out["ends_at"] = out["starts_at"] + (old_end - start)
    return out


def _touch(series: Event) -> None:
    """Bump the series' revision (and so its version): a date of it changed."""
    series.sequence = (series.sequence or 0) + 1


def _shifted_rule(
    text: str,
    old_zone: ZoneInfo,
    new_zone: ZoneInfo,
    shift: Any,
    day_shift: int,
    *,
    all_day: bool,
) -> str:
    """The rule after its series moved: UNTIL moves with it, and a weekly BYDAY of plain
    weekdays follows a change of weekday."""
    parts = dict(rule_parts(text))
    changes: dict[str, str | None] = {}
    until = parts.get("UNTIL")
    if until is not None:
        if len(until) == 8:  # a date: through that day (its start, for an all-day series)
            wall = datetime.strptime(until, "%Y%m%d")
            if not all_day:
                wall = wall.replace(hour=23, minute=59, second=59)
            moment = localise(wall, old_zone)
        elif until.endswith("Z"):
            moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            moment = localise(datetime.strptime(until, "%Y%m%dT%H%M%S"), old_zone)
        moved = shift(moment)
        changes["UNTIL"] = (
            f"{wall_time(moved, new_zone):%Y%m%d}" if all_day else f"{moved:%Y%m%dT%H%M%SZ}"
        )
    byday = parts.get("BYDAY")
    if day_shift % 7 and parts.get("FREQ") == "WEEKLY" and byday:
        days = byday.split(",")
        if all(day in _WEEKDAYS for day in days):
            changes["BYDAY"] = ",".join(
                _WEEKDAYS[(_WEEKDAYS.index(day) + day_shift) % 7] for day in days
            )
    return rule_with(text, **changes) if changes else text


def _related_uid(session: Session, uid: str, when: datetime) -> str:
    """A new uid for the later half of a split series, naming the date it starts."""
    head, at, domain = root_uid(uid).rpartition("@")
    if not at:
        head, domain = root_uid(uid), ""
    stamp = f"_R{when:%Y%m%dT%H%M%SZ}"
    tail = (at + domain) if at else ""
    room = UID_MAX - len(stamp) - len(tail) - 4
    base = head[: max(room, 1)] + stamp
    candidate, n = base + tail, 1
    while session.scalar(select(Event.id).where(Event.uid == candidate).limit(1)) is not None:
        n += 1
        candidate = f"{base}-{n}{tail}"
    return candidate
