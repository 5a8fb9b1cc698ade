"""The calendar's records and the occurrences that fall in a range, read with ``sqlite3``.

``occurrences()`` and ``all_occurrences()`` read the events table through the desk's file
(``db.connection.DeskFile``) in plain SQL, without SQLAlchemy: the dashboard's agenda is
on the desk's first paint, which must not wait for SQLAlchemy's import (see
docs/architecture.md, "The first paint without SQLAlchemy"). Their rows are read as
SQLAlchemy reads them (times aware UTC through ``db.stored``, enums as their members,
booleans as bool), and ``deskterm.core.calendar`` re-exports everything here, so its
callers and tests use this one implementation.

Limits that keep ``occurrences()`` to bounded, indexed reads:

- an event lasts at most ``MAX_EVENT_LENGTH`` (31 days), so a one-off event (or override)
  that overlaps a range is found by one range read on ``starts_at`` looking back that far;
- a series repeats at most hourly and must produce occurrences (an impossible rule such as
  "every 30 February" would make the expander search to the year 9999).
"""

from __future__ import annotations

import functools
import operator
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from db.connection import DeskFile, desk_file
from db.enums import EventKind, EventStatus
from db.plain_rows import like_escaped
from db.stored import stored_time, time_text
from deskterm.core.errors import InputError
from deskterm.core.fields import aware, list_limit, parse_choice, split_list
from deskterm.core.recurrence import parse_exdates, scheduled

if TYPE_CHECKING:
    from db.engine import Database

MAX_EVENT_LENGTH = timedelta(days=31)
# One-off events starting this long before a range can still overlap it (a day of slack for
# all-day events whose length is counted in local days).
LOOKBACK = MAX_EVENT_LENGTH + timedelta(days=1)
# Overrides are looked up by series id in chunks (SQLite's bound-parameter limit).
_ID_CHUNK = 500


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


def parse_kind(value: EventKind | str) -> EventKind:
    return parse_choice(EventKind, value, field="kind")


def occurrences(
    db: Database | DeskFile,
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


def all_occurrences(
    db: Database | DeskFile,
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
    db: Database | DeskFile,
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
    filters = _Filters.of(wanted_kind, wanted_leader)
    with desk_file(db).read() as connection:
        found: list[_Found] = [
            (row.starts_at, row.id, row.ends_at, row, row.parent_id, row.recurrence_id)
            for row in _one_off(connection, filters, start, end, limit, wanted_leader)
        ]
        series = [
            row for row in _series(connection, filters, end) if _has_leader(row, wanted_leader)
        ]
        replaced = overridden_starts(connection, [row.id for row in series], start - LOOKBACK, end)
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


class EventRow(NamedTuple):
    """The columns of an event that occurrences need, as SQLAlchemy reads them: times
    aware UTC, ``kind`` and ``status`` their enums, booleans ``bool``, the rest as stored.
    (A named tuple: a month's list reads thousands of rows.)"""

    id: int
    title: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    location: str
    leaders: str
    public: bool
    rrule: str | None
    exdates: str
    rdates: str
    parent_id: int | None
    recurrence_id: datetime | None


_SELECT_ROWS = f"SELECT {', '.join(EventRow._fields)} FROM events WHERE "


# Stored value -> member (a dict lookup: a month's list reads thousands of rows).
_KINDS: dict[str, EventKind] = {kind.value: kind for kind in EventKind}
_STATUSES: dict[str, EventStatus] = {status.value: status for status in EventStatus}


def _event_row(values: Sequence[Any]) -> EventRow:
    """A row of ``_SELECT_ROWS`` as an ``EventRow``."""
    (
        event_id,
        title,
        kind,
        status,
        starts_at,
        ends_at,
        zone,
        all_day,
        location,
        leaders,
        public,
        rule,
        exdates,
        rdates,
        parent_id,
        recurrence_id,
    ) = values
    return EventRow(
        event_id,
        title,
        _KINDS[kind],
        _STATUSES[status],
        stored_time(starts_at),  # type: ignore[arg-type]  # NOT NULL
        stored_time(ends_at),
        zone,
        bool(all_day),
        location,
        leaders,
        bool(public),
        rule,
        exdates,
        rdates,
        parent_id,
        stored_time(recurrence_id),
    )


@dataclass(frozen=True)
class _Filters:
    """The kind and leader filters as SQL terms (``AND``-ed before the others) and their
    bound values."""

    terms: tuple[str, ...] = ()
    values: tuple[Any, ...] = ()

    @classmethod
    def of(cls, kind: EventKind | None, leader: str | None) -> _Filters:
        terms: list[str] = []
        values: list[Any] = []
        if kind is not None:
            terms.append("kind = ?")
            values.append(kind.value)
        if leader:
            # A superset (substring); the exact, case-insensitive membership is checked
            # on each row (``_has_leader``). SQLite's lower() folds ASCII only, as before.
            terms.append("lower(leaders) LIKE '%' || ? || '%' ESCAPE '/'")
            values.append(like_escaped(leader))
        return cls(tuple(terms), tuple(values))

    def sql(self) -> str:
        return "".join(f"{term} AND " for term in self.terms)


def _series(connection: sqlite3.Connection, filters: _Filters, end: datetime) -> list[EventRow]:
    """Series (not overrides) that start before ``end``, through ``ix_events_recurring``.

    "parent_id + 0" and "+starts_at" keep SQLite off the parent_id and starts_at indexes:
    the small partial index of rows with a rule is the one to walk (offered
    ``starts_at < end`` it would walk ``ix_events_starts`` over every event in history).
    """
    sql = (
        _SELECT_ROWS
        + filters.sql()
        + "parent_id + 0 IS NULL AND rrule IS NOT NULL AND +starts_at < ?"
    )
    return [
        _event_row(values) for values in connection.execute(sql, (*filters.values, time_text(end)))
    ]


def _has_leader(row: Any, leader: str | None) -> bool:
    return leader is None or names_leader(split_list(row.leaders), leader)


def overridden_starts(
    connection: sqlite3.Connection, series_ids: Sequence[int], low: datetime, high: datetime
) -> dict[int, frozenset[datetime]]:
    """series id -> the recurrence ids in ``[low, high)`` that overrides replace."""
    out: dict[int, set[datetime]] = {}
    for chunk in iter_chunks(series_ids):
        marks = ", ".join("?" * len(chunk))
        rows = connection.execute(
            f"SELECT parent_id, recurrence_id FROM events WHERE parent_id IN ({marks})"
            " AND recurrence_id >= ? AND recurrence_id < ?",
            (*chunk, time_text(low), time_text(high)),
        )
        for parent_id, recurrence_id in rows:
            if parent_id is not None and recurrence_id is not None:
                out.setdefault(parent_id, set()).add(stored_time(recurrence_id))  # type: ignore[arg-type]
    return {key: frozenset(value) for key, value in out.items()}


def _one_off(
    connection: sqlite3.Connection,
    filters: _Filters,
    start: datetime,
    end: datetime,
    limit: int,
    leader: str | None,
) -> list[EventRow]:
    """Up to ``limit`` one-off events and overrides overlapping the range, in (starts_at,
    id) order; paged (keyset on starts_at, id) while a leader filter drops rows."""
    sql = (
        _SELECT_ROWS
        + filters.sql()
        # one-off events, and overrides (whatever rule text an override may carry)
        + "(rrule IS NULL OR parent_id + 0 IS NOT NULL)"
        " AND starts_at >= ? AND starts_at < ? AND (starts_at >= ? OR ends_at > ?)"
    )
    start_text = time_text(start)
    bounds = (*filters.values, time_text(start - LOOKBACK), time_text(end), start_text, start_text)
    out: list[EventRow] = []
    after: tuple[str, int] | None = None
    while len(out) < limit:
        if after is None:
            page = connection.execute(sql + " ORDER BY starts_at, id LIMIT ?", (*bounds, limit))
        else:
            page = connection.execute(
                f"{sql} AND starts_at >= ? AND (starts_at > ? OR id > ?)"
                " ORDER BY starts_at, id LIMIT ?",
                (*bounds, after[0], after[0], after[1], limit),
            )
        rows = [_event_row(values) for values in page]
        out.extend(row for row in rows if _has_leader(row, leader))
        if len(rows) < limit or leader is None:
            break  # without a leader filter every row matched: the first page is enough
        last = time_text(rows[-1].starts_at)  # as SQLAlchemy bound the time it read
        after = (last, rows[-1].id)
    return out[:limit]


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


def iter_chunks(items: Sequence[Any], size: int = _ID_CHUNK) -> Iterable[Sequence[Any]]:
    """``items`` in slices of ``size`` (for IN lists)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
