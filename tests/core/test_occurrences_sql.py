"""The occurrences' reader in plain SQL (``deskterm.core.occurrences``) against SQLAlchemy.

``occurrences()`` / ``all_occurrences()`` read the events table through ``sqlite3`` so that
the desk paints its agenda before SQLAlchemy is imported. Two oracles, on one database
filled with varied rows (series of every shape, overrides moved, retitled, cancelled and
leaderless, EXDATEs, RDATEs, all-day and open-ended events, ties on the start, non-ASCII,
markup-like and LIKE-special leader names, several zones):

- the rows: each SQL read returns the rows SQLAlchemy's statements return (the series
  read is ``calendar.series_query`` itself; the one-off and override reads as the
  SQLAlchemy code wrote them), with SQLAlchemy's types (enums, bool, aware UTC times);
- the occurrences: ``occurrences()`` equals a brute-force expansion of every event read
  through the ORM (no range read, no LIMIT), for many ranges, limits and filters,
  records and order both.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, or_, select

from db.engine import Actor, Database, RetryPolicy
from db.enums import EventKind, EventStatus
from db.models import Event
from deskterm.core import occurrences as reader
from deskterm.core.calendar import (
    _COLUMNS,
    LOOKBACK,
    Occurrence,
    all_occurrences,
    create_event,
    get_event,
    names_leader,
    occurrences,
    parse_exdates,
    scheduled,
    series_query,
)
from deskterm.core.calendar_edits import cancel_occurrence, edit_occurrence
from deskterm.core.fields import split_list

NY = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")

LEADER_FILTERS = (
    None,
    "Mayor",
    "deputy   MAYOR",
    "City Manager",
    "Zoë Ünal",
    "ZOË ÜNAL",  # SQLite's lower() folds ASCII only: the SQL drops these rows, as before
    "50%_off/boss",
    "%",
    "_",
    "Straße",
    "nobody",
)
KIND_FILTERS = (None, EventKind.TV, "press conference", EventKind.COMMUNITY_EVENT)


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def _event(db: Any, title: str, start: datetime, **values: Any) -> Any:
    values.setdefault("kind", EventKind.PRESS_CONFERENCE)
    values.setdefault("timezone", "America/New_York")
    return create_event(db, title=title, starts_at=start, **values)


def fill(db: Any) -> None:
    """Varied events around November 2026 (DST ends in New York on 1 November)."""
    leaders_cycle = itertools.cycle(
        [
            ["Mayor"],
            ["Mayor Elena Castellanos", "Deputy Mayor"],
            ["Deputy  Mayor Marcus Bell"],
            ["City Manager", "Zoë Ünal"],
            ["zoë ünal"],
            ["50%_off/boss"],
            ["[bold]Mayor[/bold]"],
            ["Straße"],
            [],
        ]
    )
    kinds = itertools.cycle(list(EventKind))
    statuses = itertools.cycle(list(EventStatus))
    # One-off events over several weeks: ties on the start (three at 10:00 each day),
    # open-ended ones, long ones starting before a range, all-day ones.
    for day in range(0, 40, 3):
        base = ny(2026, 10, 20, 10, 0) + timedelta(days=day)
        for n in range(3):
            _event(
                db,
                f"Briefing {day}-{n} «{['plain', '[red]markup[/red]', 'Ünïcödé'][n]}»",
                base,
                ends_at=None if n == 1 else base + timedelta(hours=1 + n),
                kind=next(kinds),
                status=next(statuses),
                leaders=next(leaders_cycle),
                location=["", "City Hall", "Salle des fêtes"][n],
                public=n != 2,
            )
    _event(db, "Long visit", ny(2026, 10, 25, 8, 0), ends_at=ny(2026, 11, 20, 18, 0))
    _event(db, "Festival", ny(2026, 10, 31), all_day=True, ends_at=ny(2026, 11, 3))
    _event(db, "Midnight cut", ny(2026, 11, 2, 0, 0), ends_at=ny(2026, 11, 2, 0, 0))
    # Ends as a range starts (1 November): not in that range.
    _event(db, "Late show", ny(2026, 10, 31, 22, 0), ends_at=ny(2026, 11, 1, 0, 0))
    # Series: plain weekly and daily (date arithmetic), monthly and counted (dateutil),
    # UNTIL, other zones, all-day, RDATEs and EXDATEs, cancelled as a whole.
    weekly = _event(
        db,
        "Weekly briefing",
        ny(2026, 10, 5, 9, 0),
        ends_at=ny(2026, 10, 5, 10, 0),
        rrule="FREQ=WEEKLY;BYDAY=MO,TH",
        leaders=["Mayor"],
        location="Room 1",
        exdates=[ny(2026, 11, 12, 9, 0)],
        rdates=[ny(2026, 11, 14, 11, 0)],
    )
    daily = _event(
        db,
        "Stand-up",
        ny(2026, 10, 28, 8, 30),
        ends_at=ny(2026, 10, 28, 8, 45),
        rrule="FREQ=DAILY",
        kind=EventKind.INTERNAL_MEETING,
        leaders=["Deputy Mayor", "50%_off/boss"],
    )
    _event(
        db,
        "Council",
        ny(2026, 9, 7, 18, 0),
        ends_at=ny(2026, 9, 7, 21, 0),
        rrule="FREQ=MONTHLY;BYDAY=1MO,3MO",
        kind=EventKind.COUNCIL_MEETING,
        leaders=["Mayor", "City Manager"],
    )
    _event(
        db,
        "Radio hour",
        datetime(2026, 10, 30, 7, 0, tzinfo=PARIS),
        ends_at=datetime(2026, 10, 30, 8, 0, tzinfo=PARIS),
        timezone="Europe/Paris",
        rrule="FREQ=HOURLY;INTERVAL=12;COUNT=40",
        kind=EventKind.RADIO,
        leaders=["Zoë Ünal"],
    )
    _event(
        db,
        "Kolkata call",
        datetime(2026, 11, 1, 20, 30, tzinfo=KOLKATA),
        timezone="Asia/Kolkata",
        rrule="FREQ=WEEKLY;UNTIL=20261201T000000Z",
        kind=EventKind.TV,
        leaders=["Straße", "Mayor"],
    )
    _event(
        db,
        "Market day",
        ny(2026, 10, 3),
        all_day=True,
        rrule="FREQ=WEEKLY;BYDAY=SA",
        kind=EventKind.COMMUNITY_EVENT,
        leaders=["Mayor Elena Castellanos"],
    )
    _event(
        db,
        "Dropped slot",
        ny(2026, 10, 6, 12, 0),
        ends_at=ny(2026, 10, 6, 12, 30),
        rrule="FREQ=WEEKLY",
        kind=EventKind.TV,
        status=EventStatus.CANCELLED,
        leaders=["Mayor"],
    )
    # Overrides: moved, retitled with another leader, cancelled; an EXDATE by removal.
    edit_occurrence(
        db,
        weekly.id,
        ny(2026, 11, 2, 9, 0),
        "this",
        get_event(db, weekly.id).version,
        starts_at=ny(2026, 11, 2, 15, 0),
        ends_at=ny(2026, 11, 2, 16, 0),
    )
    edit_occurrence(
        db,
        weekly.id,
        ny(2026, 11, 5, 9, 0),
        "this",
        get_event(db, weekly.id).version,
        title="Weekly briefing (deputy)",
        leaders=["Deputy Mayor"],
        kind=EventKind.TV,
    )
    cancel_occurrence(
        db, weekly.id, ny(2026, 11, 9, 9, 0), "this", get_event(db, weekly.id).version
    )
    cancel_occurrence(
        db, daily.id, ny(2026, 11, 4, 8, 30), "this", get_event(db, daily.id).version, remove=True
    )
    edit_occurrence(
        db,
        daily.id,
        ny(2026, 11, 6, 8, 30),
        "this",
        get_event(db, daily.id).version,
        starts_at=ny(2026, 11, 6, 10, 0),
        ends_at=ny(2026, 11, 6, 10, 0),
        leaders=[],
    )


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[Any]:
    """One database filled once for the module (the tests only read it)."""
    path = tmp_path_factory.mktemp("varied") / "desk.sqlite3"
    shutil.copyfile(migrated_template, path)
    database = Database(str(path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    fill(database)
    yield database
    database.dispose()


def ranges() -> list[tuple[datetime, datetime]]:
    """Days, weeks and a month, some starting on an event's start, one at the DST change."""
    out = [
        (ny(2026, 11, 1), ny(2026, 11, 2)),
        (ny(2026, 11, 2, 9, 0), ny(2026, 11, 2, 15, 0)),
        (ny(2026, 10, 26), ny(2026, 11, 2)),
        (ny(2026, 11, 1), ny(2026, 12, 1)),
        (ny(2026, 9, 1), ny(2027, 1, 1)),
    ]
    out += [
        (ny(2026, 10, 20) + timedelta(days=d), ny(2026, 10, 28) + timedelta(days=d))
        for d in range(0, 40, 5)
    ]
    return [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in out]


# --- oracle 1: the rows -------------------------------------------------------------------


def _sqlalchemy_filters(kind: EventKind | None, leader: str | None) -> list[Any]:
    filters: list[Any] = []
    if kind is not None:
        filters.append(Event.kind == kind)
    if leader:
        filters.append(func.lower(Event.leaders).contains(leader, autoescape=True))
    return filters


def _folded(leader: str | None) -> str | None:
    return " ".join(leader.split()).casefold() if leader else None


@pytest.mark.parametrize("kind", [None, EventKind.TV, EventKind.PRESS_CONFERENCE])
@pytest.mark.parametrize("leader", LEADER_FILTERS)
def test_the_sql_reads_return_the_rows_sqlalchemy_reads(varied, kind, leader):
    wanted = _folded(leader)
    filters = reader._Filters.of(kind, wanted)
    for start, end in ranges():
        with varied.read() as session:
            series = [
                reader.EventRow(*row)
                for row in session.execute(series_query(_sqlalchemy_filters(kind, wanted), end))
            ]
            one_off = [
                reader.EventRow(*row)
                for row in session.execute(
                    select(*_COLUMNS)
                    .where(
                        *_sqlalchemy_filters(kind, wanted),
                        or_(Event.rrule.is_(None), (Event.parent_id + 0).is_not(None)),
                        Event.starts_at >= start - LOOKBACK,
                        Event.starts_at < end,
                        or_(Event.starts_at >= start, Event.ends_at > start),
                    )
                    .order_by(Event.starts_at, Event.id)
                    .limit(1000)
                )
            ]
            overridden = {
                (parent_id, recurrence_id)
                for parent_id, recurrence_id in session.execute(
                    select(Event.parent_id, Event.recurrence_id).where(
                        Event.parent_id.in_([row.id for row in series]),
                        Event.recurrence_id >= start - LOOKBACK,
                        Event.recurrence_id < end,
                    )
                )
            }
        with varied.file.read() as connection:
            got_series = reader._series(connection, filters, end)
            got_one_off = reader._one_off(connection, filters, start, end, 1000, None)
            got_overridden = reader.overridden_starts(
                connection, [row.id for row in got_series], start - LOOKBACK, end
            )
        assert sorted(got_series) == sorted(series)
        assert repr(sorted(got_series)) == repr(sorted(series))  # the same types, too
        assert got_one_off == one_off
        assert repr(got_one_off) == repr(one_off)
        assert {
            (parent, when) for parent, whens in got_overridden.items() for when in whens
        } == overridden


def test_the_rows_include_every_kind_of_value(varied):
    """The data above is as varied as it claims (else the comparisons prove little)."""
    with varied.file.read() as connection:
        rows = reader._one_off(
            connection,
            reader._Filters(),
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            1000,
            None,
        )
    assert {row.status for row in rows} == set(EventStatus)
    assert any(row.ends_at is None for row in rows)
    assert any(row.all_day for row in rows) and any(not row.public for row in rows)
    assert any(row.parent_id is not None for row in rows)
    starts = [row.starts_at for row in rows]
    assert len(starts) > len(set(starts))  # ties on the start
    assert all(type(row.kind) is EventKind and type(row.all_day) is bool for row in rows)
    assert all(row.starts_at.tzinfo is UTC for row in rows)


# --- oracle 2: the occurrences ------------------------------------------------------------


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _occurrence(row: Event, start: datetime, end: datetime | None, **extra: Any) -> Occurrence:
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
        public=row.public,
        **extra,
    )


def brute_force(
    db: Any, start: datetime, end: datetime, *, leader: str | None, kind: EventKind | None
) -> list[Occurrence]:
    """Every event through the ORM, each expanded on its own, filtered in Python.

    The leader filter is the SQL's (a substring after SQLite's ASCII-only ``lower()``,
    case-insensitive for ASCII like ``LIKE``) and then ``names_leader``, as before.
    """
    wanted = _folded(leader)
    out: list[Occurrence] = []
    with db.read() as session:
        rows = list(session.scalars(select(Event)))
        replaced: dict[int, set[datetime]] = {}
        for row in rows:
            if row.parent_id is not None and row.recurrence_id is not None:
                replaced.setdefault(row.parent_id, set()).add(row.recurrence_id)
        for row in rows:
            if kind is not None and row.kind != kind:
                continue
            if wanted and not (
                _ascii_lower(wanted) in _ascii_lower(row.leaders)
                and names_leader(split_list(row.leaders), wanted)
            ):
                continue
            if row.rrule is None or row.parent_id is not None:  # a one-off event, an override
                running = row.starts_at >= start or (
                    row.ends_at is not None and row.ends_at > start
                )
                if row.starts_at < end and running:
                    out.append(
                        _occurrence(
                            row,
                            row.starts_at,
                            row.ends_at,
                            recurring=row.parent_id is not None,
                            series_id=row.parent_id,
                            original_start=row.recurrence_id,
                        )
                    )
                continue
            skip = set(parse_exdates(row.exdates)) | replaced.get(row.id, set())
            out.extend(
                _occurrence(row, when, until, recurring=True, series_id=row.id, original_start=when)
                for when, until in scheduled(row, start, end, limit=100_000, skip=skip)
            )
    return sorted(out, key=lambda found: (found.start, found.event_id))


@pytest.mark.parametrize("kind", KIND_FILTERS)
@pytest.mark.parametrize("leader", LEADER_FILTERS)
def test_occurrences_equal_a_brute_force_expansion(varied, leader, kind):
    wanted_kind = None if kind is None else EventKind(str(kind).replace(" ", "_"))
    seen = 0
    for start, end in ranges():
        expected = brute_force(varied, start, end, leader=leader, kind=wanted_kind)
        seen += len(expected)
        for limit in (1, 3, 7, 1000):  # small limits page the leader filter's reads
            got = occurrences(varied, start, end, limit=limit, leader=leader, kind=kind)
            assert got == expected[:limit], (start, end, limit)
            assert repr(got) == repr(expected[:limit])
        found, truncated = all_occurrences(varied, start, end, leader=leader, kind=kind, cap=5)
        assert (found, truncated) == (expected[:5], len(expected) > 5)
    if leader in (None, "Mayor") and kind is None:
        assert seen > 100  # the ranges do hold occurrences
