"""db.changes: ChangeWatcher polls data_version, then reads audit rows past an id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from db.changes import ChangeWatcher
from db.engine import Database
from db.enums import OutletType
from db.models import Outlet


@pytest.fixture
def watcher(db: Database) -> Iterator[ChangeWatcher]:
    watching = ChangeWatcher(db)
    yield watching
    watching.close()


@pytest.fixture
def sql_log(watcher: ChangeWatcher) -> list[str]:
    """What the watcher's own connection runs (the watcher is stdlib sqlite3)."""
    statements: list[str] = []
    watcher.connection().set_trace_callback(
        lambda statement: statements.append(" ".join(statement.split()))
    )
    return statements


def add_outlets(database: Database, *names: str) -> list[int]:
    ids = []
    for name in names:
        with database.transaction() as session:
            outlet = Outlet(name=name, type=OutletType.ONLINE)
            session.add(outlet)
        ids.append(outlet.id)
    return ids


def reads_audit(statements: list[str]) -> bool:
    return any("audit_log" in s for s in statements)


def test_poll_returns_nothing_and_reads_no_audit_rows_when_nothing_changed(
    db: Database, watcher: ChangeWatcher, sql_log: list[str]
) -> None:
    add_outlets(db, "Before")
    since = watcher.last_id()
    assert since == 1
    assert watcher.poll(since) == []  # first poll reads once and remembers data_version

    for _ in range(3):
        sql_log.clear()
        assert watcher.poll(since) == []
        assert not reads_audit(sql_log), sql_log
        assert any("PRAGMA data_version" in s for s in sql_log)


def test_poll_sees_a_commit_from_another_database_object(
    db: Database, make_db, watcher: ChangeWatcher, sql_log: list[str]
) -> None:
    since = watcher.last_id()
    assert since == 0
    assert watcher.poll(since) == []
    version = watcher.data_version()

    other = make_db("CD", "desk-b")
    [outlet_id] = add_outlets(other, "From B")
    assert watcher.data_version() != version

    sql_log.clear()
    changes = watcher.poll(since)
    assert reads_audit(sql_log)
    assert len(changes) == 1
    [change] = changes
    assert change.id > since
    assert (change.user, change.host, change.entity, change.entity_id, change.action) == (
        "CD",
        "desk-b",
        "outlets",
        outlet_id,
        "insert",
    )
    assert change.at.utcoffset() == timedelta(0)
    assert '"From B"' in change.changes

    # Seen: the next poll is cheap again.
    sql_log.clear()
    assert watcher.poll(change.id) == []
    assert not reads_audit(sql_log)


def test_poll_sees_a_commit_from_the_same_database_object(
    db: Database, watcher: ChangeWatcher
) -> None:
    since = watcher.last_id()
    assert watcher.poll(since) == []
    add_outlets(db, "Mine")  # another pooled connection of the same engine commits
    assert [c.entity for c in watcher.poll(since)] == ["outlets"]


def test_poll_sees_a_commit_from_another_process(
    db: Database, db_path: Path, watcher: ChangeWatcher, spawn, proc_script, finish
) -> None:
    since = watcher.last_id()
    assert watcher.poll(since) == []

    proc = spawn(proc_script("insert_outlets.py"), str(db_path), "P", "3")
    result = finish(proc, timeout=30)
    assert result["inserted"] == 3

    changes = watcher.poll(since)
    assert [(c.user, c.host, c.entity, c.action) for c in changes] == [
        ("UP", "host-P", "outlets", "insert")
    ] * 3
    assert [c.id for c in changes] == sorted(c.id for c in changes)
    assert watcher.poll(changes[-1].id) == []


def test_poll_in_batches_returns_the_rest_on_the_next_poll(
    db: Database, make_db, sql_log: list[str]
) -> None:
    watcher = ChangeWatcher(db, batch=2)
    try:
        since = watcher.last_id()
        assert watcher.poll(since) == []
        add_outlets(make_db("CD", "desk-b"), *(f"Outlet {i}" for i in range(5)))

        seen = []
        first = watcher.poll(since)
        assert len(first) == 2
        seen += first
        # data_version has not moved since the first poll, yet the rest is still delivered.
        second = watcher.poll(seen[-1].id)
        assert len(second) == 2
        seen += second
        third = watcher.poll(seen[-1].id)
        assert len(third) == 1
        seen += third
        assert [c.entity_id for c in seen] == [1, 2, 3, 4, 5]
        assert len({c.id for c in seen}) == 5

        sql_log.clear()
        assert watcher.poll(seen[-1].id) == []
        assert not reads_audit(sql_log)
    finally:
        watcher.close()


def test_batch_of_exactly_the_new_rows_then_nothing(db: Database, make_db) -> None:
    watcher = ChangeWatcher(db, batch=2)
    try:
        since = watcher.last_id()
        watcher.poll(since)
        add_outlets(make_db("CD", "desk-b"), "A", "B")
        got = watcher.poll(since)
        assert len(got) == 2
        assert watcher.poll(got[-1].id) == []
        assert watcher.poll(got[-1].id) == []
        add_outlets(make_db("EF", "desk-c"), "C")
        assert [c.user for c in watcher.poll(got[-1].id)] == ["EF"]
    finally:
        watcher.close()


def test_watcher_connection_does_not_block_writers(
    db: Database, make_db, watcher: ChangeWatcher
) -> None:
    """The long-lived connection ends each poll's read transaction (no lasting SHARED lock)."""
    from db.engine import RetryPolicy

    watcher.poll(watcher.last_id())
    impatient = make_db(
        "CD", "desk-b", RetryPolicy(busy_timeout_ms=50, attempts=1, backoff_start_s=0.01)
    )
    add_outlets(impatient, "Commit must not wait for the watcher")
