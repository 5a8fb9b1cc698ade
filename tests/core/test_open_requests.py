"""The open requests' first window in plain SQL (deskterm.core.open_requests): the same
records, in the same order, as ``list_open_requests`` without a filter, on the same index."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Date, Enum, event

from db.base import UTCDateTime
from db.engine import Database
from db.enums import (
    Accuracy,
    Attribution,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
    StaffRole,
)
from db.models import Contact, Outlet, Request, Staff, Topic
from db.search_text import DERIVED
from deskterm.core import open_requests
from deskterm.core.open_requests import RECORD_COLUMNS, count_open, open_request_window
from deskterm.core.request_records import OPEN_STATUSES
from deskterm.core.requests import list_open_requests

# Tuesday 10 March 2026, 15:00 UTC.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)

NAMES = [
    "José García",
    "[bold red]Mallory[/] [link=http://x]click[/link]",
    "Zoë Ørsted",
    "O'Brien & <Sons>",
    "李小龙",
    "",
]
SUBJECTS = [
    "Budget shortfall",
    "[b]not markup[/b] \\[escaped]",
    "Überstunden der Feuerwehr",
    "Pothole on Elm St. — again",
    "%_ LIKE wildcards _%",
    "emoji 🚧 on Main",
]


def fill(db: Database, *, count: int, seed: int) -> None:
    """``count`` requests of every kind and status, drawn so that the urgency order has ties
    (shared deadlines and receipts), undated and overdue ones over several days, NULLs in
    every optional column, linked and unlinked contacts and outlets, and odd text."""
    pick = random.Random(seed)
    with db.transaction() as session:
        staff = [
            Staff(initials=initials, name=name, role=StaffRole.PIO)
            for initials, name in (("AB", "Ann Bell"), ("JL", "Jo Lin"), ("MÜ", "Max Müller"))
        ]
        outlets = [
            Outlet(name=name, type=kind, language=language)
            for name, kind, language in (
                ("La Opinión", OutletType.COMMUNITY_ETHNIC, "es"),
                ("[bold]Daily[/bold] Herald", OutletType.ONLINE, "en"),
                ("KPAC 📻", OutletType.RADIO, "en"),
            )
        ]
        topic = Topic(name="Transit", query="bus OR tram")
        session.add_all([*staff, *outlets, topic])
        session.flush()
        contacts = []
        for name in NAMES:  # "" too: a linked contact without a name shows the typed one
            outlet = pick.choice([None, *outlets])
            contacts.append(Contact(name=name, outlet_id=outlet.id if outlet else None))
        session.add_all(contacts)
        session.flush()
        # few distinct times: many rows share a deadline, a receipt, or both
        deadlines = [None, None] + [NOW + timedelta(hours=h) for h in (-50, -3, -1, 0, 2, 30, 75)]
        receipts = [NOW - timedelta(days=d, hours=h) for d in (0, 1, 4) for h in (0, 5)]
        maybe_time = [None, NOW - timedelta(hours=7), NOW + timedelta(days=2, microseconds=17)]
        for index in range(count):
            kind = pick.choice(list(RequestKind))
            contact = pick.choice([None, None, *contacts])
            outlet = pick.choice([None, *outlets])
            row = Request(
                number=f"{kind.value[0].upper()}-2026-{index + 1:04d}",
                kind=kind,
                status=pick.choice(list(RequestStatus)),
                received_at=pick.choice(receipts),
                channel=pick.choice(list(RequestChannel)),
                taken_by_id=pick.choice([None, *(s.id for s in staff)]),
                contact_id=contact.id if contact else None,
                requester_name=pick.choice(NAMES),
                requester_email=pick.choice([None, "ana@example.org"]),
                requester_phone=pick.choice([None, "+1 555 0100"]),
                outlet_id=outlet.id if outlet else None,
                outlet_name=pick.choice(["", "La Opinion (typed)", "[i]typed[/i]"]),
                subject=pick.choice(SUBJECTS),
                questions=pick.choice(["", "¿Cuándo?\nAnd why?"]),
                background=pick.choice(["", "Long <background> & [notes]"]),
                also_talking_to=pick.choice(["", "KPAC"]),
                topic_id=pick.choice([None, topic.id]),
                departments=pick.choice(["", "Parks, Transit"]),
                language=pick.choice(["en", "es", "de"]),
                deadline_at=pick.choice(deadlines),
                priority=pick.choice(list(Priority)),
                assignee_id=pick.choice([None, *(s.id for s in staff)]),
                spokesperson_id=pick.choice([None, staff[2].id]),
                needs_review=pick.choice([False, True]),
                review_kind=pick.choice(["", "legal"]),
                approver_id=pick.choice([None, staff[0].id]),
                approved_at=pick.choice(maybe_time),
                response_method=pick.choice([None, *ResponseMethod]),
                attribution=pick.choice([None, *Attribution]),
                embargo_until=pick.choice(maybe_time),
                response_text=pick.choice(["", "We said «no comment»."]),
                responded_at=pick.choice(maybe_time),
                published_url=pick.choice([None, "https://example.org/story?a=1&b=2"]),
                accuracy=pick.choice([None, *Accuracy]),
                follow_up_on=pick.choice([None, date(2026, 3, 12)]),
                closed_at=pick.choice(maybe_time),
                statutory_days=pick.choice([None, 10]) if kind is RequestKind.RECORDS else None,
                clock_paused_at=pick.choice([None, NOW - timedelta(days=3, minutes=1)]),
                clock_paused_business_days=pick.choice([0, 2]),
                created_at=NOW - timedelta(days=5),
                updated_at=pick.choice([NOW - timedelta(days=5), NOW - timedelta(seconds=1)]),
            )
            session.add(row)
        session.flush()
        # some rows edited since (versions above 1)
        for row in session.query(Request).filter(Request.id % 7 == 0):
            row.subject = row.subject + " (edited)"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_window_is_list_open_requests_without_a_filter(db: Database, seed: int) -> None:
    fill(db, count=160, seed=seed)
    total = count_open(db)
    assert 40 < total < 160, total  # open and finished ones both stored
    for limit in (1, 2, 9, 50, total - 1, total, 200, 1000):
        plain = open_request_window(db, limit=limit)
        domain = list_open_requests(db, limit=limit)
        assert plain == domain, limit  # every field, the order included
        assert len(plain) == min(limit, total)
    records = open_request_window(db, limit=1000)
    assert {r.status for r in records} == set(OPEN_STATUSES)
    assert any(r.deadline_at is None for r in records)
    assert any(r.deadline_at is not None and r.deadline_at < NOW for r in records)
    assert any(r.contact_id and r.requester != r.requester_name for r in records)
    assert any(r.follow_up_on and r.approved_at and r.accuracy for r in records)
    assert any(r.version > 1 for r in records)


def test_an_empty_file_has_an_empty_window(db: Database) -> None:
    assert open_request_window(db) == list_open_requests(db) == []
    assert count_open(db) == 0


def test_a_window_is_never_whole(db: Database) -> None:
    from deskterm.core.errors import InputError

    with pytest.raises(InputError):
        open_request_window(db, limit=0)
    with pytest.raises(InputError):
        open_request_window(db, limit=1001)


def test_the_record_columns_are_the_models_but_the_derived() -> None:
    """A column added to ``requests`` must be added to the plain read too."""
    columns = Request.__table__.columns
    assert tuple(c.name for c in columns if not c.info.get(DERIVED)) == RECORD_COLUMNS


def test_stored_text_is_typed_as_the_orm_types_it() -> None:
    columns = Request.__table__.columns
    times = tuple(c.name for c in columns if isinstance(c.type, UTCDateTime))
    dates = tuple(c.name for c in columns if isinstance(c.type, Date))
    choices = {c.name: c.type.enum_class for c in columns if isinstance(c.type, Enum)}
    assert set(open_requests._TIME_COLUMNS) == set(times)
    assert dates == open_requests._DATE_COLUMNS
    assert choices == open_requests._CHOICE_COLUMNS


def domain_window_sql(db: Database) -> tuple[str, tuple[object, ...]]:
    """The statement ``list_open_requests`` runs for the unfiltered window."""
    seen: list[tuple[str, tuple[object, ...]]] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, tuple(parameters)))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        list_open_requests(db, limit=200)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    (found,) = [(sql, params) for sql, params in seen if "picked" in sql]
    return found


def plan(connection: sqlite3.Connection, sql: str, parameters: tuple[object, ...]) -> list[str]:
    return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)]


def test_the_window_is_planned_as_the_domains_on_the_urgency_index(db: Database) -> None:
    fill(db, count=40, seed=4)
    domain_sql, domain_parameters = domain_window_sql(db)
    plain_parameters = (*(s.value for s in OPEN_STATUSES), 200)
    with db.file.read() as connection:
        domain = plan(connection, domain_sql, domain_parameters)
        plain = plan(connection, open_requests._WINDOW_SQL, plain_parameters)
        counted = plan(connection, open_requests._COUNT_SQL, plain_parameters[:-1])
    assert plain == domain
    assert any("ix_requests_open_urgency" in step for step in plain), plain
    assert any("ix_requests_open_urgency" in step for step in counted), counted
