"""db.connection.DeskFile: the shared file through sqlite3 alone (the fetch path), under the
same rules as db.engine.Database: pragmas, BEGIN IMMEDIATE, busy retries against another
process's lock, rollback, the schema's write guard, audit rows as the ORM writes them."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from db.audit_rows import write_audit
from db.connection import DeskFile, RetryPolicy
from db.engine import Actor, Database
from db.enums import AuditAction
from db.errors import DatabaseBusyError, DatabaseUnavailableError, SchemaTooNewError
from db.models import AuditLog, Outlet
from db.presence import heartbeat
from db.schema_state import SchemaState, file_status, guard
from db.stored import stored_time, time_text

TINY = RetryPolicy(busy_timeout_ms=50, attempts=2, backoff_start_s=0.01, backoff_max_s=0.02)


def add_outlet(connection: sqlite3.Connection, name: str) -> None:
    connection.execute(
        "INSERT INTO outlets (name, type, language, notes, search_name, search_text, version, "
        "created_at, updated_at) VALUES (?, 'print', '', '', ?, '', 1, ?, ?)",
        (name, name.lower(), time_text(datetime.now(UTC)), time_text(datetime.now(UTC))),
    )


def outlet_names(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Outlet.name).order_by(Outlet.name)))


def test_connections_follow_the_shared_file_rules(db: Database, db_path: Path) -> None:
    file = DeskFile(db_path)
    connection = file.connection()
    pragmas = {
        name: connection.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }
    assert pragmas == {"journal_mode": "delete", "synchronous": 2, "foreign_keys": 1,
                       "busy_timeout": 2000}  # fmt: skip
    file.close()


def test_a_write_waits_out_another_process_lock_and_lands(
    db: Database, db_path: Path, hold_lock
) -> None:
    file = DeskFile(db_path, actor=Actor("AB", "test-host"))
    proc = hold_lock(db_path, 0.5)
    started = time.monotonic()
    with file.transaction() as connection:
        add_outlet(connection, "Waited")
    assert time.monotonic() - started > 0.25  # it waited for the other process
    proc.communicate(timeout=10)
    file.close()
    assert outlet_names(db) == ["Waited"]


def test_a_lock_held_too_long_is_one_busy_line_naming_the_other_desk(
    db: Database, db_path: Path, make_db, hold_lock
) -> None:
    heartbeat(make_db("CD", "press-office-2"))
    file = DeskFile(db_path, actor=Actor("AB", "test-host"), retry=TINY)
    proc = hold_lock(db_path, 5)
    entered = False
    with pytest.raises(DatabaseBusyError) as caught, file.transaction():
        entered = True
    proc.kill()
    proc.communicate(timeout=10)
    assert not entered
    assert caught.value.others == ["CD@press-office-2"]
    assert "\n" not in str(caught.value)
    file.close()


def test_an_error_inside_rolls_the_transaction_back(db: Database, db_path: Path) -> None:
    file = DeskFile(db_path)
    with pytest.raises(RuntimeError), file.transaction() as connection:
        add_outlet(connection, "Never")
        raise RuntimeError("stop")
    with file.transaction() as connection:  # the connection is usable again
        add_outlet(connection, "Kept")
    file.close()
    assert outlet_names(db) == ["Kept"]


def test_audit_rows_read_back_as_the_orms(db: Database, db_path: Path) -> None:
    file = DeskFile(db_path, actor=Actor("AB", "test-host"))
    at = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    with file.transaction() as connection:
        write_audit(connection, file.actor, [("feeds", 7, AuditAction.UPDATE, {"at": at})], at)
    file.close()
    with db.read() as session:
        row = session.scalars(select(AuditLog)).one()
        assert (row.at, row.user, row.host, row.entity, row.entity_id, row.action) == (
        at, "AB", "test-host", "feeds", 7, AuditAction.UPDATE,
        )  # fmt: skip
        assert row.changes == '{"at": "2026-11-23T12:30:00+00:00"}'


def test_times_are_stored_as_the_orm_stores_them(db: Database, db_path: Path) -> None:
    moments = [
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for moment in moments:
        with db.transaction() as session:
            session.add(AuditLog(at=moment, user="x", host="h", entity="e", action="insert"))
    with sqlite3.connect(db_path) as raw:
        written = [text for (text,) in raw.execute("SELECT at FROM audit_log ORDER BY id")]
    assert written == [time_text(moment) for moment in moments]
    assert [stored_time(text) for text in written] == moments


def test_a_newer_schema_reads_but_refuses_writes(db: Database, db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999'")
    file = DeskFile(db_path)
    status = guard(file, file_status(file))
    assert status.state is SchemaState.NEWER
    with file.read() as connection:
        connection.execute("SELECT count(*) FROM feeds").fetchone()
    with pytest.raises(SchemaTooNewError), file.transaction():
        pass
    file.close()


def test_a_file_that_is_gone_or_no_database_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailableError, match="no file"):
        DeskFile(tmp_path / "missing.sqlite3").connection()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    file = DeskFile(junk)
    with pytest.raises(DatabaseUnavailableError) as caught:
        file_status(file)
    assert "\n" not in str(caught.value)
    file.close()


def test_a_thread_that_ended_leaves_no_connection_open(db: Database) -> None:
    """The desk reads on worker threads: a thread's connection goes when the thread has
    ended, not at ``close``, so a desk open all day does not hold one per thread it saw."""
    import threading

    file = db.file

    def read_once() -> None:
        with file.read() as connection:
            connection.execute("SELECT 1").fetchone()

    for _ in range(20):
        thread = threading.Thread(target=read_once)
        thread.start()
        thread.join()
    read_once()  # this thread's own, opened after the others ended
    assert len(file._opened) <= 2  # the last worker's (ended, closed at the next open) and ours
