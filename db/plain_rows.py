"""Rows read with the standard library's ``sqlite3`` alone, as plain attribute objects.

The desk paints its first windows before SQLAlchemy is imported (importing it and mapping
the models costs more than the whole start-up budget: docs/architecture.md, "The first
paint without SQLAlchemy"); the panes' first reads go through ``DeskFile`` and these
helpers. Values are as stored: times are UTC text (``db.stored.stored_time`` reads them),
booleans 0/1, enums their value, dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any


class Values:
    """One result row's values as attributes (``row.deadline_at``), by column name."""

    def __repr__(self) -> str:
        return f"Values({self.__dict__!r})"


def fetch_values(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()
) -> list[Values]:
    """Every row of ``sql`` as a ``Values`` (attribute names: the result's column names)."""
    cursor = connection.execute(sql, parameters)
    return values_of(tuple(column[0] for column in cursor.description or ()), cursor)


def values_of(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Values]:
    """Each row as a ``Values`` whose attributes are ``names``, in order (a ``sqlite3``
    cursor's rows, or SQLAlchemy ``Row``s: reading ~50 columns off a ``Row`` by name costs
    more than building a record from them)."""
    out = []
    for row in rows:
        values = object.__new__(Values)
        values.__dict__ = dict(zip(names, row, strict=True))
        out.append(values)
    return out


def like_escaped(text: str) -> str:
    """``text`` for ``LIKE ... ESCAPE '/'`` matched literally, escaped as SQLAlchemy's
    ``autoescape=True`` does (``/`` first, then ``%`` and ``_``)."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def staff_initials(connection: sqlite3.Connection) -> dict[int, str]:
    """id -> initials of every staff member (as ``deskterm.core.staff.staff_initials``)."""
    return dict(connection.execute("SELECT id, initials FROM staff"))
