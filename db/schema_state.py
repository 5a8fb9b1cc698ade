"""Which schema a database file is at, and the guard that keeps a newer one read-only.

Standard library only: ``deskterm fetch`` checks the file through ``db.connection.DeskFile``
without SQLAlchemy; ``db.schema`` reads the same state through SQLAlchemy (and migrates).
``KNOWN_REVISIONS`` lists this release's migrations oldest first (a test keeps it equal to
the migration scripts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from db.errors import (
    DatabaseUnavailableError,
    SchemaError,
    SchemaMissingError,
    SchemaOutdatedError,
    SchemaTooNewError,
)

KNOWN_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
)
HEAD = KNOWN_REVISIONS[-1]


class SchemaState(StrEnum):
    EMPTY = "empty"  # no tables: a new database
    CURRENT = "current"
    OLDER = "older"  # upgradable by `deskterm init`
    NEWER = "newer"  # written by a newer deskterm: read only
    FOREIGN = "foreign"  # tables, but not a deskterm database


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    revision: str | None


def classify(tables: set[str], revision: str | None) -> SchemaStatus:
    """The state of a database with these tables and Alembic revision."""
    if not tables:
        return SchemaStatus(SchemaState.EMPTY, None)
    if "alembic_version" not in tables:
        return SchemaStatus(SchemaState.FOREIGN, None)
    if revision is None:
        return SchemaStatus(SchemaState.EMPTY, None)
    if revision == HEAD:
        return SchemaStatus(SchemaState.CURRENT, revision)
    if revision in KNOWN_REVISIONS:
        return SchemaStatus(SchemaState.OLDER, revision)
    return SchemaStatus(SchemaState.NEWER, revision)


def reason(error: BaseException) -> str:
    """The first line of what the driver said."""
    return str(getattr(error, "orig", None) or error).splitlines()[0]


def sqlite_status(connection: sqlite3.Connection) -> SchemaStatus:
    """The schema state of a SQLite file, read on a ``sqlite3`` connection (one read of
    ``sqlite_master``; errors propagate)."""
    tables = {
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    revision = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return classify(tables, revision)


def unreadable(location: str, error: BaseException) -> DatabaseUnavailableError:
    """A schema that cannot be read (a corrupt file, not a database, an unreadable share)."""
    return DatabaseUnavailableError(f"cannot read {location}: {reason(error)}")


def file_status(file: Guarded) -> SchemaStatus:
    """The schema state of a ``DeskFile``."""
    try:
        with file.read() as connection:  # type: ignore[attr-defined]
            return sqlite_status(connection)
    except Exception as error:
        raise unreadable(file.location, error) from error


class Guarded(Protocol):
    """A database handle that takes a write guard (``Database``, ``DeskFile``)."""

    @property
    def location(self) -> str: ...

    def set_write_guard(self, guard: Callable[[], None] | None) -> None: ...


def guard(db: Guarded, status: SchemaStatus) -> SchemaStatus:
    """Refuse to work on a database this deskterm cannot write; guard all later writes.

    A newer schema stays readable, but every write transaction raises SchemaTooNewError.
    """
    if status.state is SchemaState.EMPTY:
        raise SchemaMissingError(db.location)
    if status.state is SchemaState.FOREIGN:
        raise SchemaError(f"{db.location} is not a deskterm database")
    if status.state is SchemaState.OLDER:
        raise SchemaOutdatedError(status.revision or "?")
    if status.state is SchemaState.NEWER:
        revision = status.revision or "?"

        def refuse() -> None:
            raise SchemaTooNewError(revision)

        db.set_write_guard(refuse)
    return status
