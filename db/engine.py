"""The database through SQLAlchemy: ``Database``, the desk's handle on the shared file.

Every connection is set up by ``db.connection.configure`` (rollback journal, never WAL;
``synchronous=FULL``; foreign keys; a busy timeout), the rules ``db.connection.DeskFile``
follows too. pysqlite's own transaction handling is switched off and the BEGIN is emitted
from SQLAlchemy's ``begin`` event (SQLAlchemy's documented recipe), ``BEGIN IMMEDIATE``
for write transactions.

Importing this module does not import SQLAlchemy, and neither does building a
``Database`` on a file path: the engine, the session factories and the audit hooks are
made on first use (``Database.engine``, ``read``, ``transaction``). The desk paints its
first windows through ``Database.file`` (``sqlite3`` alone) before SQLAlchemy is loaded:
importing it and mapping the models took ~250 ms, more than the desk's whole start-up
budget (docs/architecture.md, "The first paint without SQLAlchemy").
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.connection import (
    NOT_A_FILE,
    Actor,
    DeskFile,
    RetryPolicy,
    configure,
    default_user,
    file_path,
    is_busy_error,
    unavailable,
)
from db.errors import DatabaseBusyError, DatabaseUnavailableError

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Actor", "Database", "RetryPolicy", "default_user", "is_busy_error"]

BEGIN_OPTION = "deskterm_begin"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory ones."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def to_url(path_or_url: str | os.PathLike[str]) -> str:
    """Accept a plain file path or a SQLAlchemy URL.

    Paths are put into a URL object, not pasted into a string: a ``%`` or ``?`` in a
    folder name on a share must not be read as URL syntax.
    """
    from sqlalchemy import URL

    text = os.fspath(path_or_url)
    if "://" in text:
        return text
    path = str(Path(text).expanduser().resolve())
    return URL.create("sqlite", database=path).render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        configure(dbapi_connection, busy_timeout_ms)

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, busy_timeout_ms: int = 2000) -> Engine:
    """Create an engine with the desk's connection rules (SQLite pragmas, BEGIN handling)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


class Database:
    """A desk's handle on the shared database: short read sessions and write transactions.

    Never keep a session open while a user types: an open reader blocks other desks'
    commits. Sessions return plain data to the domain layer and are closed at once.
    """

    def __init__(
        self,
        url: str,
        *,
        actor: Actor | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._given = os.fspath(url)
        self.actor = actor or Actor.current()
        self.retry = retry or RetryPolicy()
        # a plain path is read without SQLAlchemy; a URL is parsed by it
        self.path = file_path(self._given)
        self._write_guard: Callable[[], None] | None = None
        self._clock = clock
        self._orm_lock = threading.Lock()

    @functools.cached_property
    def url(self) -> str:
        """The SQLAlchemy URL of the database."""
        return to_url(self._given)

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None or self.engine.dialect.name == "sqlite"

    @property
    def engine(self) -> Engine:
        """SQLAlchemy's engine, made (and SQLAlchemy imported) on first use."""
        return self._orm().engine

    def _orm(self) -> _Orm:
        orm: _Orm | None = self.__dict__.get("_orm_parts")
        if orm is None:
            with self._orm_lock:  # two worker threads may be first at once
                orm = self.__dict__.get("_orm_parts")
                if orm is None:
                    orm = _Orm.build(self.url, self.retry.busy_timeout_ms)
                    self.__dict__["_orm_parts"] = orm
        return orm

    def __repr__(self) -> str:
        return f"Database({self.location!r}, user={self.actor.user!r})"

    @property
    def location(self) -> str:
        """Where the data lives, for people: the file path or the URL without password."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    def set_write_guard(self, guard: Callable[[], None] | None) -> None:
        """A check run before every write transaction (the schema check uses it)."""
        self._write_guard = guard

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session; its transaction ends when the block does."""
        from sqlalchemy.exc import DBAPIError

        session = self._orm().read_factory()
        try:
            yield session
        except DBAPIError as error:
            if is_busy_error(error):
                raise DatabaseBusyError(self.others_on_desk()) from error
            if not _is_unavailable(error):
                raise
            raise unavailable(error) from error
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A short write transaction: lock first (BEGIN IMMEDIATE), audit, commit.

        Busy locks are retried with jittered backoff; past the bound a
        ``DatabaseBusyError`` names who else is on the desk. Do network I/O and
        parsing before entering, never inside.
        """
        from sqlalchemy.exc import DBAPIError

        if self._write_guard is not None:
            self._write_guard()
        session = self._begin_write()
        try:
            yield session
            session.commit()
        except DBAPIError as error:
            session.rollback()
            if is_busy_error(error):
                raise DatabaseBusyError(self.others_on_desk()) from error
            if not _is_unavailable(error):
                raise
            raise unavailable(error) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _begin_write(self) -> Session:
        from sqlalchemy.exc import DBAPIError

        from db import audit

        factory = self._orm().write_factory
        delays = self.retry.delays()
        while True:
            session = factory(info={audit.ACTOR_KEY: self.actor})
            try:
                session.connection()  # emits BEGIN IMMEDIATE: waits busy_timeout for the lock
                return session
            except DBAPIError as error:
                session.close()
                if not is_busy_error(error):
                    if not _is_unavailable(error):
                        raise
                    raise unavailable(error) from error
                delay = next(delays, None)
                if delay is None:
                    raise DatabaseBusyError(self.others_on_desk()) from error
                time.sleep(delay)

    def others_on_desk(self) -> list[str]:
        """Who else has a desk open, for busy messages; empty if that cannot be read now.

        Reading the presence table is itself a read that the same lock can block: its own
        busy error must not ask again (it did, once per busy timeout, so a read blocked by
        another desk's lock waited until that lock was released instead of failing after
        one timeout). One attempt per thread at a time, then the message goes without names.
        """
        from db.presence import active_desks

        if getattr(_naming, "busy", False):
            return []
        _naming.busy = True
        try:
            return [
                f"{desk.user}@{desk.host}"
                for desk in active_desks(self)
                if (desk.host, desk.pid) != (self.actor.host, os.getpid())
            ]
        except Exception:
            return []
        finally:
            _naming.busy = False

    @functools.cached_property
    def file(self) -> DeskFile:
        """The same file through ``sqlite3`` alone, for the fetch path's own SQL
        (``deskterm.core.ingest``): this desk's actor, retry policy and write guard."""
        if self.path is None:
            raise DatabaseUnavailableError(NOT_A_FILE)
        return DeskFile(
            self.path,
            actor=self.actor,
            retry=self.retry,
            write_guard=self._guard_writes,
            others=self.others_on_desk,
        )

    def _guard_writes(self) -> None:
        if self._write_guard is not None:
            self._write_guard()

    def dispose(self) -> None:
        if "file" in self.__dict__:
            self.file.close()
        orm = self.__dict__.get("_orm_parts")
        if orm is not None:
            orm.engine.dispose()


#: Per thread: whether a busy message is already reading who else is on the desk.
_naming = threading.local()


@dataclass(frozen=True)
class _Orm:
    """A ``Database``'s SQLAlchemy side: the engine, the read and write session
    factories (writes begin IMMEDIATE on SQLite), audit hooks installed on both."""

    engine: Engine
    read_factory: sessionmaker[Session]
    write_factory: sessionmaker[Session]

    @classmethod
    def build(cls, url: str, busy_timeout_ms: int) -> _Orm:
        from sqlalchemy.orm import sessionmaker

        from db import audit

        engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        write_engine = (
            engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            if engine.dialect.name == "sqlite"
            else engine
        )
        read_factory = sessionmaker(bind=engine, expire_on_commit=False)
        write_factory = sessionmaker(bind=write_engine, expire_on_commit=False)
        audit.install(read_factory, write_factory)
        return cls(engine, read_factory, write_factory)


def _is_unavailable(error: Any) -> bool:
    """The file cannot be used (gone, locked out, not a database), as opposed to a
    constraint or programming error, which propagates as it is."""
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.exc import OperationalError

    return isinstance(error, OperationalError) or type(error) is SADatabaseError
