"""Helpers for the persistence-layer tests: real SQLite files, real processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db.engine import Actor, Database, RetryPolicy

# Every Database these tests open stays referenced until the session ends. db/audit.py's
# install() skips a sessionmaker when event.contains() says the hooks are already there,
# and that check is keyed by id(): once a dropped Database's sessionmaker class has been
# garbage-collected, a new Database can get a class at the same address and is then left
# with no audit hooks and no read-only guard (a known bug, shown in a subprocess by
# test_audit.py::test_every_new_database_gets_the_audit_hooks). Keeping the objects alive
# keeps the other tests deterministic while that bug is open.
_PINNED: list[Database] = []

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROCS = Path(__file__).resolve().parent / "procs"


def child_env() -> dict[str, str]:
    """The environment for helper processes: this project importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start helper processes; any still running at teardown are killed (by their own pid)."""
    started: list[subprocess.Popen[str]] = []

    def _spawn(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
            env=child_env(),
        )
        started.append(proc)
        return proc

    yield _spawn
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


@pytest.fixture
def proc_script() -> Callable[[str], str]:
    def _path(name: str) -> str:
        path = PROCS / name
        assert path.is_file(), path
        return str(path)

    return _path


# A process that takes the write lock with a raw sqlite3 connection, says so, holds it.
HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
print("released", flush=True)
"""


@pytest.fixture
def hold_lock(spawn) -> Callable[[Path, float], subprocess.Popen[str]]:
    """Start another process holding RESERVED on ``path`` for ``seconds``; wait until it does."""

    def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
        proc = spawn("-c", HOLD_LOCK, str(path), str(seconds))
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "locked", (line, proc.stderr.read() if proc.poll() is not None else "")
        return proc

    return _hold


def _wait_for_files(paths: list[Path], procs: list[subprocess.Popen[str]], timeout: float) -> None:
    """Wait until every path exists (helper processes signal readiness with files)."""
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        for proc in procs:
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"helper exited early ({proc.returncode}): {out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"helpers not ready after {timeout} s")
        time.sleep(0.01)


def _finish(proc: subprocess.Popen[str], timeout: float) -> dict:
    """Wait for a helper, assert it succeeded, return the JSON it printed last."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"helper failed ({proc.returncode}):\n{out}\n{err}"
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def wait_for_files() -> Callable[..., None]:
    return _wait_for_files


@pytest.fixture
def finish() -> Callable[..., dict]:
    return _finish


@pytest.fixture
def db(db: Database) -> Database:
    """The shared ``db`` fixture (tests/conftest.py), pinned (see ``_PINNED``)."""
    _PINNED.append(db)
    return db


@pytest.fixture
def new_db() -> Iterator[Callable[..., Database]]:
    """Open a Database on any file (pinned, disposed at teardown)."""
    made: list[Database] = []

    def _new(
        path: Path | str,
        user: str = "AB",
        host: str = "test-host",
        retry: RetryPolicy | None = None,
    ) -> Database:
        database = Database(str(path), actor=Actor(user, host), retry=retry or RetryPolicy())
        made.append(database)
        _PINNED.append(database)
        return database

    yield _new
    for database in made:
        database.dispose()


@pytest.fixture
def make_db(db_path: Path, new_db) -> Callable[..., Database]:
    """More Database objects on the test's file: other desks."""

    def _make(
        user: str = "CD", host: str = "other-host", retry: RetryPolicy | None = None
    ) -> Database:
        return new_db(db_path, user, host, retry)

    return _make


def raw_connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode (outside deskterm's rules)."""
    return sqlite3.connect(path, isolation_level=None, timeout=5)


@pytest.fixture
def raw(db_path: Path) -> Iterator[Callable[[], sqlite3.Connection]]:
    opened: list[sqlite3.Connection] = []

    def _raw() -> sqlite3.Connection:
        conn = raw_connect(db_path)
        opened.append(conn)
        return conn

    yield _raw
    for conn in opened:
        conn.close()
