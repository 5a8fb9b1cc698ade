"""db.engine: connection rules, BEGIN IMMEDIATE, busy retry, read-only sessions, rollback."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from db.engine import Database, RetryPolicy
from db.enums import AuditAction, OutletType
from db.errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    JournalModeError,
    ReadOnlySessionError,
)
from db.models import AuditLog, Outlet, Presence
from db.presence import heartbeat

TINY = RetryPolicy(busy_timeout_ms=50, attempts=2, backoff_start_s=0.01, backoff_max_s=0.02)


def pragmas(conn) -> dict[str, object]:
    return {
        name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


def record_sql(database: Database) -> list[str]:
    """Every statement the database's engines send to SQLite, in order."""
    statements: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(" ".join(statement.split()))

    return statements


def count_outlets(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(Outlet)) or 0


def count_audit(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(AuditLog)) or 0


# --- connection rules -----------------------------------------------------------------


def test_every_connection_gets_the_shared_file_pragmas(db: Database, make_db) -> None:
    custom = make_db("XY", "h", retry=RetryPolicy(busy_timeout_ms=1234))
    expected = {"journal_mode": "delete", "synchronous": 2, "foreign_keys": 1}
    with ExitStack() as stack:
        # Several connections open at once: each is a new pooled DBAPI connection.
        conns = [stack.enter_context(custom.engine.connect()) for _ in range(3)]
        assert len({id(c.connection.driver_connection) for c in conns}) == 3
        for conn in conns:
            assert pragmas(conn) == {**expected, "busy_timeout": 1234}
            # pysqlite's own transaction handling is off; our begin event does it.
            assert conn.connection.driver_connection.isolation_level is None
            conn.rollback()
    # Connections handed out by sessions follow the same rules.
    with custom.read() as session:
        assert pragmas(session.connection()) == {**expected, "busy_timeout": 1234}
    with custom.transaction() as session:
        assert pragmas(session.connection()) == {**expected, "busy_timeout": 1234}
    # The default policy's timeout is 2 s.
    with db.engine.connect() as conn:
        assert pragmas(conn) == {**expected, "busy_timeout": 2000}
        conn.rollback()


def test_foreign_keys_are_enforced(db: Database) -> None:
    from db.models import Contact

    with (
        pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"),
        db.transaction() as session,
    ):
        session.add(Contact(name="Orphan", outlet_id=999))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_wal_file_is_switched_back_to_rollback_journal(tmp_path: Path, new_db) -> None:
    path = tmp_path / "was-wal.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    assert raw.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    raw.execute("CREATE TABLE t (x INTEGER)")
    raw.execute("INSERT INTO t VALUES (1)")
    raw.close()
    assert path.read_bytes()[18:20] == b"\x02\x02"  # file header: WAL format

    database = new_db(path)
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("SELECT x FROM t").scalar() == 1
        conn.rollback()
    database.dispose()
    # Persistent: the file itself is back to the legacy (rollback journal) format.
    assert path.read_bytes()[18:20] == b"\x01\x01"
    assert not Path(f"{path}-wal").exists()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        raw.close()


@pytest.mark.parametrize("mode", ["read", "transaction"])
def test_file_held_open_in_wal_by_another_desk_raises_journal_mode_error(
    db: Database, db_path: Path, make_db, mode: str
) -> None:
    db.dispose()
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert other.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        other.execute("SELECT count(*) FROM outlets").fetchone()  # keeps the WAL open
        fresh = make_db("AB", "h", retry=TINY)
        with pytest.raises(JournalModeError), getattr(fresh, mode)() as session:
            session.execute(select(Outlet)).all()
        fresh.dispose()
    finally:
        other.close()


# --- BEGIN IMMEDIATE ------------------------------------------------------------------


def test_read_begins_deferred_and_transaction_begins_immediate(db: Database) -> None:
    statements = record_sql(db)
    with db.read() as session:
        session.execute(select(Outlet)).all()
    assert statements[0] == "BEGIN DEFERRED"
    statements.clear()
    with db.transaction() as session:
        session.add(Outlet(name="Gazette", type=OutletType.PRINT))
    assert statements[0] == "BEGIN IMMEDIATE"
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert not any(s.startswith("BEGIN DEFERRED") for s in statements)


def test_transaction_takes_the_write_lock_at_entry(db: Database, make_db) -> None:
    """Transaction A has run no statement, yet it already holds the write lock."""
    with db.transaction() as session:
        session.add(Outlet(name="Before", type=OutletType.PRINT))

    other = make_db("CD", "other-host", retry=TINY)
    other_sql = record_sql(other)
    a_sql = record_sql(db)
    entered = False
    with db.transaction() as session_a:
        assert a_sql == ["BEGIN IMMEDIATE"]  # nothing else has run in A
        start = time.monotonic()
        with pytest.raises(DatabaseBusyError) as caught, other.transaction():
            entered = True
        elapsed = time.monotonic() - start
        assert not entered, "the block must not run without the write lock"
        # Refused at entry: both attempts were the BEGIN itself, no statement of the block ran.
        attempts = [s for s in other_sql if s.startswith("BEGIN IMMEDIATE")]
        assert len(attempts) == TINY.attempts
        assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in other_sql)
        assert elapsed < 1.5
        assert "\n" not in str(caught.value)

        # A plain read still works while A holds RESERVED (even after A wrote, uncommitted).
        session_a.add(Outlet(name="Uncommitted", type=OutletType.PRINT))
        session_a.flush()
        with other.read() as reader:
            names = reader.scalars(select(Outlet.name)).all()
        assert names == ["Before"]
        with db.read() as reader:  # the same Database, another pooled connection
            assert reader.scalars(select(Outlet.name)).all() == ["Before"]
    assert count_outlets(other) == 2


def test_an_open_read_session_does_not_take_the_write_lock(db: Database, raw) -> None:
    other = raw()
    other.execute("PRAGMA busy_timeout = 50")
    with db.read() as reader:
        reader.execute(select(Outlet)).all()  # holds SHARED until the block ends
        other.execute("BEGIN IMMEDIATE")  # would be SQLITE_BUSY if the reader held RESERVED
        other.execute("ROLLBACK")


def test_open_reader_blocks_commit_then_busy_error_and_nothing_saved(db: Database, make_db) -> None:
    """An open reader blocks another desk's COMMIT: reported as busy, nothing half-saved."""
    other = make_db("CD", "other-host", retry=TINY)
    entered = False
    with db.read() as reader:
        reader.execute(select(Outlet)).all()
        with pytest.raises(DatabaseBusyError), other.transaction() as session:
            entered = True  # BEGIN IMMEDIATE is compatible with the reader's SHARED lock
            session.add(Outlet(name="Blocked", type=OutletType.PRINT))
        assert entered  # it was the COMMIT that could not get the exclusive lock
    assert count_outlets(db) == 0
    assert count_audit(db) == 0
    # The lock is free again and the next write works.
    with other.transaction() as session:
        session.add(Outlet(name="Later", type=OutletType.PRINT))
    assert count_outlets(db) == 1


# --- locks held by another process --------------------------------------------------


def test_lock_held_briefly_by_another_process_is_waited_out(
    db: Database, db_path: Path, hold_lock
) -> None:
    proc = hold_lock(db_path, 0.5)
    start = time.monotonic()
    with db.transaction() as session:
        session.add(Outlet(name="Waited", type=OutletType.PRINT))
    elapsed = time.monotonic() - start
    assert elapsed > 0.25, "the write should have waited for the other process"
    assert elapsed < 5
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "released" in out
    with db.read() as session:
        assert session.scalars(select(Outlet.name)).all() == ["Waited"]


def test_retry_after_busy_timeout_outlasts_a_lock_longer_than_busy_timeout(
    db_path: Path, db: Database, make_db, hold_lock
) -> None:
    """busy_timeout alone (100 ms) is too short; the jittered retries carry it through."""
    patient = make_db(
        "AB", "test-host", RetryPolicy(busy_timeout_ms=100, attempts=8, backoff_start_s=0.2)
    )
    sql = record_sql(patient)
    hold_lock(db_path, 0.6)
    with patient.transaction() as session:
        session.add(Outlet(name="Retried", type=OutletType.PRINT))
    assert sql.count("BEGIN IMMEDIATE") >= 2
    assert count_outlets(db) == 1


def test_lock_held_too_long_raises_one_line_busy_error_naming_the_other_desk(
    db: Database, db_path: Path, make_db, hold_lock
) -> None:
    colleague = make_db("CD", "press-office-2")
    heartbeat(colleague)  # a presence row for another desk (other host)
    heartbeat(db)  # and one for this desk, which must not be named
    impatient = make_db("AB", "test-host", retry=TINY)

    proc = hold_lock(db_path, 5)
    start = time.monotonic()
    entered = False
    with pytest.raises(DatabaseBusyError) as caught, impatient.transaction() as session:
        entered = True
        session.add(Outlet(name="Never", type=OutletType.PRINT))
    elapsed = time.monotonic() - start
    proc.kill()
    proc.communicate(timeout=10)

    assert not entered
    assert elapsed < 2
    message = str(caught.value)
    assert "\n" not in message
    assert "CD@press-office-2" in message
    assert "AB@test-host" not in message
    assert caught.value.others == ["CD@press-office-2"]
    assert "nothing was saved" in message
    assert count_outlets(db) == 0


def test_busy_error_without_presence_rows_is_still_one_line(
    db: Database, db_path: Path, make_db, hold_lock
) -> None:
    impatient = make_db("AB", "test-host", retry=TINY)
    proc = hold_lock(db_path, 5)
    with pytest.raises(DatabaseBusyError) as caught, impatient.transaction():
        pass
    proc.kill()
    proc.communicate(timeout=10)
    assert caught.value.others == []
    assert str(caught.value) == (
        "the shared database stayed busy; nothing was saved, please try again"
    )


def test_stale_presence_rows_are_not_named(db: Database, db_path: Path, make_db, hold_lock) -> None:
    from datetime import timedelta

    from db.base import utcnow

    colleague = make_db("CD", "gone-home")
    heartbeat(colleague, now=utcnow() - timedelta(minutes=5))
    impatient = make_db("AB", "test-host", retry=TINY)
    proc = hold_lock(db_path, 5)
    with pytest.raises(DatabaseBusyError) as caught, impatient.transaction():
        pass
    proc.kill()
    proc.communicate(timeout=10)
    assert caught.value.others == []


# --- read-only sessions and rollback --------------------------------------------------


def test_orm_writes_inside_read_raise_read_only_session_error(db: Database) -> None:
    with db.transaction() as session:
        session.add(Outlet(name="Gazette", type=OutletType.PRINT))

    with pytest.raises(ReadOnlySessionError), db.read() as session:
        session.add(Outlet(name="Sneaky", type=OutletType.PRINT))
        session.flush()
    with pytest.raises(ReadOnlySessionError), db.read() as session:
        session.scalars(select(Outlet)).one().name = "Renamed"
        session.scalars(select(Outlet)).all()  # autoflush
    with pytest.raises(ReadOnlySessionError), db.read() as session:
        session.delete(session.scalars(select(Outlet)).one())
        session.flush()
    with pytest.raises(ReadOnlySessionError), db.read() as session:
        session.add(Presence(user="X", host="h", pid=1))  # not audited, still refused
        session.flush()
    with pytest.raises(ReadOnlySessionError), db.read() as session:
        session.add(Outlet(name="Committed?", type=OutletType.PRINT))
        session.commit()
    with db.read() as session:
        assert session.scalars(select(Outlet.name)).all() == ["Gazette"]
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1
        assert session.scalar(select(func.count()).select_from(Presence)) == 0


def test_core_writes_inside_read_are_never_kept(db: Database) -> None:
    """A Core statement bypasses the flush hook, but a read session always rolls back."""
    with db.read() as session:
        session.execute(insert(Outlet).values(name="Core", type="print", version=1, **_times()))
        assert session.scalar(select(func.count()).select_from(Outlet)) == 1
    assert count_outlets(db) == 0


def _times() -> dict[str, object]:
    from db.base import utcnow

    now = utcnow()
    return {"created_at": now, "updated_at": now, "language": "en", "notes": ""}


def test_exception_in_transaction_rolls_back_row_and_audit(db: Database, make_db) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as session:
        session.add(Outlet(name="Doomed", type=OutletType.PRINT))
        session.flush()  # the row and its audit row are written inside the transaction
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1
        raise Boom
    assert count_outlets(db) == 0
    assert count_audit(db) == 0
    # The lock was released: another desk can write at once.
    with make_db("CD", "other-host", retry=TINY).transaction() as session:
        session.add(Outlet(name="Next", type=OutletType.PRINT))
    assert count_outlets(db) == 1


def test_keyboard_interrupt_in_transaction_rolls_back(db: Database) -> None:
    with pytest.raises(KeyboardInterrupt), db.transaction() as session:
        session.add(Outlet(name="Interrupted", type=OutletType.PRINT))
        session.flush()
        raise KeyboardInterrupt
    assert count_outlets(db) == 0


def test_commit_happens_on_clean_exit_and_is_durable_for_a_new_connection(
    db: Database, db_path: Path
) -> None:
    with db.transaction() as session:
        session.add(Outlet(name="Kept", type=OutletType.PRINT))
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT name FROM outlets").fetchall() == [("Kept",)]
        assert raw.execute("SELECT action FROM audit_log").fetchall() == [(AuditAction.INSERT,)]
    finally:
        raw.close()


# --- unusable files -------------------------------------------------------------------


def test_missing_directory_is_unavailable_in_one_line(tmp_path: Path, new_db) -> None:
    database = new_db(tmp_path / "no" / "such" / "dir" / "desk.sqlite3", retry=TINY)
    with pytest.raises(DatabaseUnavailableError) as caught, database.read() as session:
        session.execute(text("SELECT 1"))
    assert "\n" not in str(caught.value)
    with pytest.raises(DatabaseUnavailableError), database.transaction():
        pass
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("mode", ["read", "transaction"])
def test_non_database_file_is_unavailable_in_one_line(tmp_path: Path, new_db, mode: str) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(random.Random(7).randbytes(8192))
    database = new_db(path, retry=TINY)
    with (
        pytest.raises(DatabaseUnavailableError) as caught,
        getattr(database, mode)() as session,
    ):
        session.execute(text("SELECT 1"))
    assert "\n" not in str(caught.value)
    database.dispose()
    assert os.path.getsize(path) == 8192


@pytest.mark.parametrize("folder", ["100%20share", "press?desk"])
def test_paths_with_url_characters_open_the_right_file(tmp_path: Path, new_db, folder: str) -> None:
    from db.schema import upgrade

    directory = tmp_path / folder
    directory.mkdir()
    path = directory / "desk.sqlite3"
    database = new_db(path, retry=TINY)
    assert database.path == path
    upgrade(database)
    database.dispose()
    assert path.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]


HOLD_EXCLUSIVE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_read_blocked_by_another_desks_exclusive_lock_is_busy_not_unavailable(
    db: Database, db_path: Path, make_db, spawn, monkeypatch
) -> None:
    """...and says so after one look-up of who else is on the desk. That look-up is a read
    the same lock blocks: its own busy error used to look them up again, once per busy
    timeout, until the lock went or Python's recursion limit was hit (~1,000 look-ups, 5-13 s
    here; with the default 2 s timeout, as long as the lock was held)."""
    import db.presence

    looked_up = []
    real = db.presence.active_desks
    monkeypatch.setattr(db.presence, "active_desks", lambda d: looked_up.append(1) or real(d))
    proc = spawn("-c", HOLD_EXCLUSIVE, str(db_path), "30")
    assert proc.stdout.readline().strip() == "locked"
    reader = make_db("CD", "other-host", retry=TINY)
    with pytest.raises(DatabaseBusyError), reader.read() as session:
        session.execute(select(Outlet)).all()
    assert len(looked_up) == 1
    assert proc.poll() is None  # the lock is still held: the read did not wait it out


def test_sessions_work_from_worker_threads(db: Database) -> None:
    """A UI runs database work in worker threads: pooled connections must cross threads."""
    import threading

    from db.changes import ChangeWatcher

    watcher = ChangeWatcher(db)
    watcher.poll(0)  # the long-lived connection is opened in this thread...
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with db.transaction() as session:
                session.add(Outlet(name=f"thread {i}", type=OutletType.ONLINE))
            with db.read() as session:
                session.execute(select(Outlet)).all()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    polled: list = []
    poller = threading.Thread(target=lambda: polled.extend(watcher.poll(0)))  # ...used in another
    poller.start()
    poller.join(timeout=30)
    watcher.close()
    assert errors == []
    assert count_outlets(db) == 4
    assert len(polled) == 4
