"""db.models: every table round-trips every column; times are aware UTC; enums are checked."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from enum import Enum as PyEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Boolean, Date, Enum, Float, Integer, String, Table, Text, func, select
from sqlalchemy.exc import StatementError

from db import models, search_text
from db.base import Base, UTCDateTime
from db.engine import Database
from db.enums import OutletType
from db.search_text import SOURCES

ZONES = [ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York"), ZoneInfo("Pacific/Chatham")]
BASE_TIME = datetime(2031, 3, 9, 23, 59, 58, 123456)  # the night New York's clocks go forward

MAPPERS = {mapper.local_table.name: mapper for mapper in Base.registry.mappers}
TABLES: list[Table] = list(Base.metadata.sorted_tables)
ENUM_COLUMNS = [
    (table.name, column.name)
    for table in TABLES
    for column in table.columns
    if isinstance(column.type, Enum)
]
DATETIME_COLUMNS = [
    (table.name, column.name)
    for table in TABLES
    for column in table.columns
    if isinstance(column.type, UTCDateTime)
]


def row_id(table: Table) -> int:
    return 100 + TABLES.index(table)


def text_value(table: Table, column_name: str) -> str:
    value = (
        f"{column_name} «Ünïcødé» 市長 [bold red]{table.name}[/] [link=https://x.test]l[/link] "
        "\\[not markup] 🗞️ ‮rtl‬"
    )
    length = getattr(table.c[column_name].type, "length", None)
    return value[:length] if length else value


def enum_value(column) -> PyEnum:
    members = list(column.type.enum_class)
    default = column.default.arg if column.default is not None else None
    choice = members[-1]
    return members[0] if choice == default else choice


def column_value(table: Table, column, index: int) -> Any:
    """A value for ``column`` that is nobody's default."""
    if column.primary_key and not column.foreign_keys and isinstance(column.type, Integer):
        return row_id(table)
    if column.foreign_keys:
        [fk] = column.foreign_keys
        return row_id(fk.column.table)  # parents are inserted first; self-references point home
    kind = column.type
    if isinstance(kind, UTCDateTime):
        zone = ZONES[index % len(ZONES)]
        return (BASE_TIME + timedelta(minutes=7 * index, microseconds=index)).replace(tzinfo=zone)
    if isinstance(kind, Enum):
        return enum_value(column)
    if isinstance(kind, Boolean):
        default = column.default.arg if column.default is not None else False
        return not default
    if isinstance(kind, Date):
        return date(2031, 2, 28)
    if isinstance(kind, Float):
        return 2.75 + index
    if isinstance(kind, Integer):
        return 4000 + index
    if isinstance(kind, String | Text):
        return text_value(table, column.name)
    raise AssertionError(f"no test value for {table.name}.{column.name}: {kind!r}")


def is_version_column(table: Table, column) -> bool:
    mapper = MAPPERS[table.name]
    return mapper.version_id_col is not None and column is mapper.version_id_col


def full_values(table: Table) -> dict[str, Any]:
    return {
        column.name: column_value(table, column, index)
        for index, column in enumerate(table.columns)
    }


def insert_everything(database: Database, override: tuple[str, str, Any] | None = None) -> dict:
    """One fully populated row per table, parents first, through ``transaction()``."""
    values = {table.name: full_values(table) for table in TABLES}
    if override is not None:
        table_name, column_name, value = override
        values[table_name][column_name] = value
    with database.transaction() as session:
        for table in TABLES:
            mapper = MAPPERS[table.name]
            session.add(mapper.class_(**values[table.name]))
            session.flush()  # parents exist before children (FKs are checked per statement)
    return values


def test_every_table_has_a_model_and_is_covered() -> None:
    assert set(MAPPERS) == set(Base.metadata.tables)
    assert {m.class_ for m in MAPPERS.values()} >= set(models.EDITABLE_MODELS)
    assert len(ENUM_COLUMNS) >= 19
    assert len(DATETIME_COLUMNS) >= 30


@pytest.mark.parametrize("table_name", [t.name for t in TABLES])
def test_model_round_trips_every_column(db: Database, db_path: Path, table_name: str) -> None:
    values = insert_everything(db)
    table = Base.metadata.tables[table_name]
    mapper = MAPPERS[table_name]
    sent = values[table_name]

    # Every column was given a value that is not its default (the version is not ours to
    # give: version_id_col starts every new row at 1, whatever the caller passed).
    assert set(sent) == set(table.c.keys())
    for column in table.columns:
        if is_version_column(table, column):
            sent[column.name] = 1
        elif column.default is not None and not callable(column.default.arg):
            assert sent[column.name] != column.default.arg, column.name
        assert sent[column.name] is not None, column.name

    key = tuple(sent[c.name] for c in table.primary_key.columns)
    with db.read() as session:
        row = session.get(mapper.class_, key if len(key) > 1 else key[0])
        assert row is not None
        got = {
            column.name: getattr(row, mapper.get_property_by_column(column).key)
            for column in table.columns
        }

    derived = search_text.derived_values(table_name, sent) if table_name in SOURCES else {}
    for column in table.columns:
        name, expected, value = column.name, sent[column.name], got[column.name]
        if column.info.get(search_text.DERIVED):  # folded from the fields, whatever was sent
            expected = derived[name]
        assert value == expected, name
        if isinstance(column.type, UTCDateTime):
            assert value.tzinfo is not None, name
            assert value.utcoffset() == timedelta(0), name
        elif isinstance(column.type, Enum):
            assert isinstance(value, column.type.enum_class), name
        elif isinstance(column.type, Boolean):
            assert value is expected, name
        else:
            assert type(value) is type(expected), name

    # On disk: times as sortable UTC text, enums by value (not by member name).
    conn = sqlite3.connect(db_path)
    try:
        conn.row_factory = sqlite3.Row
        where = " AND ".join(f'"{c.name}" = ?' for c in table.primary_key.columns)
        stored = conn.execute(f'SELECT * FROM "{table_name}" WHERE {where}', key).fetchone()
    finally:
        conn.close()
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            utc = sent[column.name].astimezone(UTC)
            assert stored[column.name] == utc.strftime("%Y-%m-%d %H:%M:%S.%f"), column.name
        elif isinstance(column.type, Enum):
            assert stored[column.name] == sent[column.name].value, column.name


def test_naive_datetimes_are_refused_in_every_column_and_nothing_is_written(
    db: Database,
) -> None:
    naive = datetime(2031, 1, 2, 3, 4, 5)
    for table_name, column_name in DATETIME_COLUMNS:
        with pytest.raises(StatementError) as caught:
            insert_everything(db, override=(table_name, column_name, naive))
        assert isinstance(caught.value.orig, ValueError), (table_name, column_name)
        assert "naive datetime" in str(caught.value.orig)
    with db.read() as session:
        for table in TABLES:
            assert session.scalar(select(func.count()).select_from(table)) == 0, table.name


def test_naive_datetime_in_a_query_is_refused(db: Database) -> None:
    with pytest.raises(StatementError) as caught, db.read() as session:
        session.execute(
            select(models.Clip).where(models.Clip.published_at > datetime(2030, 1, 1))
        ).all()
    assert isinstance(caught.value.orig, ValueError)


def test_aware_times_in_any_zone_compare_as_instants(db: Database) -> None:
    """Keyset paging relies on stored times sorting by instant, whatever zone they came in."""
    instants = [
        datetime(2031, 5, 1, 12, 0, tzinfo=ZoneInfo("Pacific/Chatham")),  # 23:15 UTC prev day
        datetime(2031, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata")),  # 03:30 UTC
        datetime(2031, 4, 30, 22, 0, tzinfo=ZoneInfo("America/New_York")),  # 02:00 UTC
    ]
    with db.transaction() as session:
        session.add(feed := models.Feed(name="F", url="https://x.test/rss"))
        session.flush()
        for i, when in enumerate(instants):
            session.add(models.Clip(feed_id=feed.id, guid=str(i), title=str(i), published_at=when))
    with db.read() as session:
        ordered = session.scalars(
            select(models.Clip.published_at).order_by(models.Clip.published_at)
        ).all()
        after = session.scalars(
            select(models.Clip.guid).where(
                models.Clip.published_at > datetime(2031, 5, 1, 2, 30, tzinfo=UTC)
            )
        ).all()
    assert ordered == sorted(instants)
    assert after == ["1"]


@pytest.mark.parametrize(("table_name", "column_name"), ENUM_COLUMNS)
def test_check_constraint_refuses_an_unknown_enum_value(
    db: Database, db_path: Path, table_name: str, column_name: str
) -> None:
    values = insert_everything(db)
    table = Base.metadata.tables[table_name]
    column = table.c[column_name]
    member = values[table_name][column_name]
    where = " AND ".join(f'"{c.name}" = ?' for c in table.primary_key.columns)
    key = [values[table_name][c.name] for c in table.primary_key.columns]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for bad in ("bogus", member.name, member.value.upper(), ""):
            if bad == member.value:
                continue
            with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
                conn.execute(
                    f'UPDATE "{table_name}" SET "{column_name}" = ? WHERE {where}', [bad, *key]
                )
        if column.nullable:
            conn.execute(f'UPDATE "{table_name}" SET "{column_name}" = NULL WHERE {where}', key)
        for good in column.type.enum_class:
            conn.execute(
                f'UPDATE "{table_name}" SET "{column_name}" = ? WHERE {where}', [good.value, *key]
            )
    finally:
        conn.close()


def test_raw_insert_with_an_unknown_enum_value_is_refused(db: Database, db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        columns = "name, type, language, notes, version, created_at, updated_at"
        row = "'{}', '{}', 'en', '', 1, '2031-01-01 00:00:00', '2031-01-01 00:00:00'"
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            conn.execute(f"INSERT INTO outlets ({columns}) VALUES ({row.format('Blog', 'blog')})")
        conn.execute(f"INSERT INTO outlets ({columns}) VALUES ({row.format('Daily', 'print')})")
        assert conn.execute("SELECT name FROM outlets").fetchall() == [("Daily",)]
    finally:
        conn.close()


def test_orm_refuses_an_unknown_enum_string(db: Database) -> None:
    with pytest.raises(StatementError), db.transaction() as session:
        session.add(models.Outlet(name="Blog", type="blog"))
    with db.transaction() as session:
        session.add(models.Outlet(name="Plain string", type="tv"))
    with db.read() as session:
        assert session.scalars(select(models.Outlet.type)).all() == [OutletType.TV]
