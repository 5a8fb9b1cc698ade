"""The shared file's connection rules, with the standard library's ``sqlite3`` alone.

SQLite on a network drive needs: rollback journal (never WAL), ``synchronous=FULL``,
foreign keys, a busy timeout, and write transactions that take the write lock up front
with ``BEGIN IMMEDIATE``, retried with jittered backoff while another desk holds it.
``configure`` sets a new connection up; ``db.engine`` calls it for every connection
SQLAlchemy opens, so both ways into the file follow the same rules.

``DeskFile`` is the file opened without SQLAlchemy, for the one path that is written with
SQL of its own: fetching feeds (``deskterm.core.ingest``). ``deskterm fetch`` runs it
without importing SQLAlchemy or the models (~250 ms of every run); a desk gets one from
its ``Database`` (``Database.file``), with the same actor, retry policy and write guard.
"""

from __future__ import annotations

import getpass
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from db.errors import DatabaseBusyError, DatabaseUnavailableError, JournalModeError

#: What fetching says to a desk on a database server (the fetch writes the file itself).
NOT_A_FILE = "the desk needs its SQLite file, not a database server"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: written into every audit row."""

    user: str
    host: str = field(default_factory=socket.gethostname)

    @classmethod
    def current(cls, user: str | None = None) -> Actor:
        return cls(user=user or default_user())


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers, services)
        return "desk"


@dataclass(frozen=True)
class RetryPolicy:
    """How long a write waits for the lock: SQLite's busy handler, then jittered retries."""

    busy_timeout_ms: int = 2000
    attempts: int = 5
    backoff_start_s: float = 0.05
    backoff_max_s: float = 1.0

    def delays(self) -> Iterator[float]:
        delay = self.backoff_start_s
        for _ in range(self.attempts - 1):
            yield random.uniform(delay / 2, delay)
            delay = min(delay * 2, self.backoff_max_s)


def is_busy_error(error: BaseException) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED, however the driver wrapped it."""
    orig = getattr(error, "orig", error)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def unavailable(error: BaseException) -> DatabaseUnavailableError:
    """The one line for a file that cannot be used (gone, locked out, not a database)."""
    orig = getattr(error, "orig", None) or error
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return DatabaseUnavailableError(f"cannot use the database: {first}")


def configure(connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Set a new connection up for the shared file; transactions are begun explicitly."""
    # Take transaction control away from pysqlite: BEGIN is always ours.
    if hasattr(sqlite3, "LEGACY_TRANSACTION_CONTROL"):
        connection.autocommit = sqlite3.LEGACY_TRANSACTION_CONTROL  # type: ignore[attr-defined]
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "delete":
            try:
                mode = cursor.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError as error:
                raise JournalModeError(
                    f"the database is in {mode} journal mode and another program has it "
                    "open, so it cannot be switched to the rollback journal a shared file "
                    "needs; close the other program (or desks on an old version) first"
                ) from error
            if str(mode).lower() != "delete":
                raise JournalModeError(
                    f"the database is in {mode} journal mode and could not be switched "
                    "to the rollback journal a shared file needs"
                )
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


class DeskFile:
    """The shared file through ``sqlite3``: short reads and short write transactions.

    One connection per thread (the fetch's writer thread and its readers each get their
    own; the desk's pane loads run on Textual's worker threads), opened on first use and
    kept until ``close``; a thread's connection is closed once that thread has ended (when
    the next one is opened), so a desk open all day does not collect them. ``others``
    names who else has a desk open, for the busy message; by default it is looked up only
    when that message is needed (``db.engine.Database.others_on_desk``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        actor: Actor | None = None,
        retry: RetryPolicy | None = None,
        write_guard: Callable[[], None] | None = None,
        others: Callable[[], list[str]] | None = None,
    ) -> None:
        self.path = Path(path)
        self.actor = actor or Actor.current()
        self.retry = retry or RetryPolicy()
        self._write_guard = write_guard
        self._others = others
        self._local = threading.local()
        # every connection open, with its thread and the lock that thread holds while
        # using it
        self._opened: list[tuple[sqlite3.Connection, threading.Thread, threading.RLock]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DeskFile({str(self.path)!r}, user={self.actor.user!r})"

    @property
    def location(self) -> str:
        """Where the data lives, for people."""
        return str(self.path)

    def set_write_guard(self, guard: Callable[[], None] | None) -> None:
        """A check run before every write transaction (``schema_state.guard`` sets it)."""
        self._write_guard = guard

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (outside a transaction between uses)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if not self.path.is_file():
                raise DatabaseUnavailableError(f"cannot use the database: no file {self.path}")
            try:
                connection = sqlite3.connect(self.path, check_same_thread=False)
                configure(connection, self.retry.busy_timeout_ms)
            except sqlite3.Error as error:
                raise self._translated(error) from error
            in_use = threading.RLock()
            self._local.connection = connection
            self._local.in_use = in_use
            with self._lock:
                ended = [o for o in self._opened if not o[1].is_alive()]
                self._opened = [o for o in self._opened if o[1].is_alive()]
                self._opened.append((connection, threading.current_thread(), in_use))
            for old, _thread, _in_use in ended:  # a thread that has ended uses it no more
                old.close()
        return connection

    def _in_use(self) -> threading.RLock:
        """The lock this thread holds while its connection is in a read or a write:
        ``close`` from another thread waits for it (closing a connection another thread
        is stepping crashes the process)."""
        self.connection()
        return self._local.in_use  # type: ignore[no-any-return]

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A short read transaction; it ends (rolled back) when the block does."""
        with self._in_use():
            connection = self.connection()
            try:
                connection.execute("BEGIN")
                yield connection
            except sqlite3.Error as error:
                raise self._translated(error) from error
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction: the lock first (``BEGIN IMMEDIATE``), then commit.

        A busy lock is retried with jittered backoff; past the bound a
        ``DatabaseBusyError`` names who else is on the desk. Network I/O and parsing
        belong before it, never inside.
        """
        if self._write_guard is not None:
            self._write_guard()
        with self._in_use():
            connection = self._begin_write()
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._translated(error) from error
                raise

    def _begin_write(self) -> sqlite3.Connection:
        connection = self.connection()
        delays = self.retry.delays()
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")  # waits busy_timeout for the lock
                return connection
            except sqlite3.Error as error:
                if not is_busy_error(error):
                    raise self._translated(error) from error
                delay = next(delays, None)
                if delay is None:
                    raise self._translated(error) from error
                time.sleep(delay)

    def _translated(self, error: sqlite3.Error) -> Exception:
        """A busy file or an unusable one as the desk's own errors; the rest as it is
        (a constraint or a mistake in our SQL is a bug to report, not the file's state)."""
        if is_busy_error(error):
            return DatabaseBusyError(self.others_on_desk())
        if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
            return unavailable(error)
        return error

    def others_on_desk(self) -> list[str]:
        """Who else has a desk open; empty when that cannot be read now."""
        try:
            if self._others is not None:
                return self._others()
            from db.engine import Database

            database = Database(str(self.path), actor=self.actor, retry=self.retry)
            try:
                return database.others_on_desk()
            finally:
                database.dispose()
        except Exception:
            return []

    def close(self, *, wait: float = 5.0) -> None:
        """Close every connection this handle opened (in any thread). One that another
        thread is reading or writing through is closed when that ends (waiting at most
        ``wait`` seconds; past that it is left to the garbage collector): the desk's
        pane loads and its live loop read from worker threads, and a desk that quits
        while one is under way must not crash."""
        with self._lock:
            opened, self._opened = self._opened, []
        self._local = threading.local()
        for connection, _thread, in_use in opened:
            if in_use.acquire(timeout=wait):
                try:
                    connection.close()
                finally:
                    in_use.release()


def file_path(path_or_url: str) -> Path | None:
    """The SQLite file a ``--db`` names (a path or a SQLAlchemy URL); None for another
    database or an in-memory one. A plain path is read without SQLAlchemy."""
    if "://" not in path_or_url:
        return Path(path_or_url).expanduser().resolve()
    from db.engine import sqlite_path

    return sqlite_path(path_or_url)


def desk_file(db: object) -> DeskFile:
    """``db`` as a ``DeskFile``: itself, or a ``db.engine.Database``'s ``file``."""
    return db if isinstance(db, DeskFile) else db.file  # type: ignore[attr-defined]
