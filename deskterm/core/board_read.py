"""The board's first windows read with ``sqlite3`` alone, for the desk's first paint.

While nothing narrows the board (no filter, no ``M``, no ``D``), the Board pane shows each
column's count and its first cards: at start-up, on the minute tick and on another desk's
change. That is ``tasks.board`` (or ``tasks.column_windows`` from each column's first card)
with no filter; these functions read the same rows with the same SQL through the desk's
``DeskFile``, so that the desk paints before SQLAlchemy is imported, and build the same
records (``task_records.to_record``). Filters, and windows read from a card, stay with
``deskterm.core.tasks``; tests/core/test_board_read.py checks that both return the same.

The order is the board's: due soonest first, undated last, then id, read in two parts along
``ix_tasks_status_due`` (dated, then undated only when the dated cards do not fill the
window) that stop at the ``LIMIT``: no sort, no ``OFFSET``, never a whole column.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

from db.enums import TaskStatus
from db.plain_rows import fetch_values, staff_initials
from deskterm.core.fields import list_limit
from deskterm.core.task_records import BOARD_COLUMNS, BoardColumn, ColumnWindow, to_record

if TYPE_CHECKING:
    from db.connection import DeskFile

#: The columns ``to_record`` reads.
_CARD = (
    "id, title, kind, status, owner_id, reviewer_id, approved_by_id, approved_at, due_at,"
    " publish_at, channels, priority, language, translations_owed, body, draft_link,"
    " published_url, version"
)
_COUNTS = (
    "SELECT status, count(*) FROM tasks"
    f" WHERE status IN ({', '.join('?' * len(BOARD_COLUMNS))}) GROUP BY status"
)
_DATED = (
    f"SELECT {_CARD} FROM tasks WHERE status = ? AND due_at IS NOT NULL ORDER BY due_at, id LIMIT ?"
)
_UNDATED = f"SELECT {_CARD} FROM tasks WHERE status = ? AND due_at IS NULL ORDER BY id LIMIT ?"


def unfiltered_board(file: DeskFile, per_column: int) -> list[BoardColumn]:
    """``tasks.board(db, per_column=per_column)`` with nothing narrowing it: every board
    column's count and its ``per_column`` soonest cards, in one read transaction."""
    per_column = list_limit(per_column, field="per_column", minimum=0)
    with file.read() as connection:
        return first_cards(connection, dict.fromkeys(BOARD_COLUMNS, per_column))


def first_windows(
    file: DeskFile, limits: Mapping[TaskStatus, int]
) -> dict[TaskStatus, ColumnWindow]:
    """``tasks.column_windows(db, {status: WindowAt(limit=limit)})`` with no filter: each
    column's window from its first card (``offset`` 0) and the column's count."""
    limits = {status: list_limit(limit) for status, limit in limits.items()}
    with file.read() as connection:
        columns = {column.status: column for column in first_cards(connection, limits)}
    windows = {}
    for status in limits:
        column = columns.get(status)  # None: Archived, no column of the board (no cards)
        cards = column.cards if column else ()
        windows[status] = ColumnWindow(status, column.count if column else 0, 0, cards)
    return windows


def first_cards(
    connection: sqlite3.Connection, limits: Mapping[TaskStatus, int]
) -> list[BoardColumn]:
    """Each board column's count and its first ``limits[status]`` cards (a column left out
    of ``limits``: its count alone), on ``connection`` inside the caller's read."""
    counts = {
        TaskStatus(status): count
        for status, count in connection.execute(_COUNTS, [status.value for status in BOARD_COLUMNS])
    }
    wanted = {status: min(limits.get(status, 0), counts.get(status, 0)) for status in BOARD_COLUMNS}
    initials = staff_initials(connection) if any(wanted.values()) else {}
    columns = []
    for status in BOARD_COLUMNS:
        rows = []
        if wanted[status]:
            rows = fetch_values(connection, _DATED, (status.value, wanted[status]))
            if len(rows) < wanted[status]:
                rest = wanted[status] - len(rows)
                rows += fetch_values(connection, _UNDATED, (status.value, rest))
        cards = tuple(to_record(row, initials) for row in rows)
        columns.append(BoardColumn(status, counts.get(status, 0), cards))
    return columns
