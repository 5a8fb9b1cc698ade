"""The Board pane's first windows: read without SQLAlchemy, the same as the domain's.

The desk's first paint must not import SQLAlchemy (issue 3: importing it and mapping the
models costs more than the whole start-up budget). The pane's module imports none, and its
unfiltered loads (the compact list, and the full board's columns from their first cards)
read through ``Database.file`` (``deskterm.core.board_read``); filters, ``M``, ``D`` and
windows read from a card still go through ``deskterm.core.tasks``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from db.enums import TaskStatus
from deskterm.core import board_read, tasks
from deskterm.widgets import board_pane
from deskterm.widgets.board_pane import COMPACT_CARDS, BoardPane, ColumnHead
from deskterm.widgets.card_column import PAGE
from tests.core.cards import seed_cards
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_desk import wait_loaded

ROOT = Path(__file__).resolve().parents[2]

NO_SQLALCHEMY = """
import sys
import deskterm.widgets.board_pane
loaded = sorted(m for m in sys.modules if m.startswith(("db.", "deskterm.core")))
assert "sqlalchemy" not in sys.modules, loaded
"""

# The pane's two default loads on a file opened with sqlite3 alone (no ``Database``): the
# compact list, then the full board from each column's first card.
DEFAULT_LOADS = """
import json, sys
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo
from db.connection import DeskFile
from deskterm.widgets.board_pane import BoardPane
from deskterm.widgets.pane import PaneContext

file = DeskFile(sys.argv[1])
context = PaneContext(
    db=SimpleNamespace(file=file),
    now=datetime.fromisoformat(sys.argv[2]),
    tz=ZoneInfo("America/New_York"),
    text="",
)
pane = BoardPane(lambda text: context)
compact = pane.load(context)
pane.set_class(True, "-wide")
pane._places = pane._window_places()  # (what reload() reads first): each column's top
wide = pane.load(context)
file.close()
print(json.dumps({
    "sqlalchemy": sorted(m for m in sys.modules if m.startswith("sqlalchemy"))[:5],
    "compact": [[row.key for row in compact[0]], compact[1]],
    "wide": [[row.key for row in wide[0]], wide[1]],
}))
"""


def test_the_board_pane_imports_no_sqlalchemy() -> None:
    """A module-level import of the domain layer (or of anything that imports SQLAlchemy)
    in the pane, or in what it imports, fails here."""
    ran = subprocess.run(
        [sys.executable, "-c", NO_SQLALCHEMY], cwd=ROOT, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr


def _more_cards(db) -> None:
    """Enough cards for the compact list's soonest few to matter: ties, undated ones,
    overdue ones, every column, archived too."""
    dues = [FIXED_NOW + timedelta(hours=h) for h in (-30, -2, 1, 1, 1, 6, 50)] + [None] * 3
    statuses = ["backlog", "drafting", "in_review", "approved", "published", "archived"]
    seed_cards(
        db,
        [
            {"title": f"{status} [b]{n}[/b] Ünïcode", "status": status, "due_at": due}
            for status in statuses
            for n, due in enumerate(dues)
        ],
    )


def test_the_default_loads_read_without_sqlalchemy(desk_db, db_path) -> None:
    _more_cards(desk_db)
    columns = tasks.board(desk_db, per_column=COMPACT_CARDS)
    expected_compact = [
        key
        for column in columns
        for key in (f"column-{column.status.value}", *(f"task-{c.id}" for c in column.cards))
    ]
    windows = tasks.column_windows(
        desk_db, dict.fromkeys(tasks.BOARD_COLUMNS, tasks.WindowAt(PAGE))
    )
    expected_wide = [
        key
        for status, window in windows.items()
        for key in (f"column-{status.value}", *(f"task-{c.id}" for c in window.cards))
    ]
    summary = f"{sum(column.count for column in columns)} cards"

    ran = subprocess.run(
        [sys.executable, "-c", DEFAULT_LOADS, str(db_path), FIXED_NOW.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["sqlalchemy"] == []
    assert seen["compact"] == [expected_compact, summary]
    assert seen["wide"] == [expected_wide, summary]
    assert summary == "52 cards"  # 2 of the small desk's, 10 in each of 5 columns


def _title(app) -> str:
    return app.screen.query_one(BoardPane)._shown_title


async def test_unfiltered_loads_are_plain_reads_and_filters_the_domains(
    desk_app, desk_db, monkeypatch
):
    _more_cards(desk_db)
    plain: list[str] = []

    def compact_read(file, per_column):  # type: ignore[no-untyped-def]
        plain.append("compact")
        return board_read.unfiltered_board(file, per_column)

    def wide_read(file, limits):  # type: ignore[no-untyped-def]
        plain.append("wide")
        return board_read.first_windows(file, limits)

    monkeypatch.setattr(board_pane, "unfiltered_board", compact_read)
    monkeypatch.setattr(board_pane, "first_windows", wide_read)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        board = app.screen.query_one(BoardPane)
        shown = [row.item for row in board.table.rows_shown]
        expected = [
            item
            for column in tasks.board(desk_db, per_column=COMPACT_CARDS)
            for item in (column.status, *column.cards)
        ]
        assert shown == expected and plain == ["compact"]
        assert _title(app).endswith("· 52 cards")

        await pilot.press("3", "M")  # mine only: the domain's filter
        await settle(pilot, lambda: "mine" in _title(app))
        await pilot.press("slash", *"press")  # a typed filter too
        await settle(pilot, lambda: "filter: press" in _title(app))
        assert plain == ["compact"]

        await pilot.press("escape", "M")  # back to the board as it opened
        await settle(pilot, lambda: "mine" not in _title(app) and len(plain) == 2)
        await settle(pilot, lambda: [row.item for row in board.table.rows_shown] == shown)
        assert plain == ["compact", "compact"]

        await pilot.press("z")  # the full board, each column from its first card
        await settle(pilot, lambda: board.wide and len(plain) == 3)
        await settle(pilot, lambda: any(t.rows_shown for t in board.column_tables()))
        assert plain[-1] == "wide"
        heads = {status: head.window for status, head in board._heads.items()}
        limits = {
            status: tasks.WindowAt(len(window.cards) or 1) for status, window in heads.items()
        }
        assert all(isinstance(head, ColumnHead) for head in board._heads.values())
        assert heads == tasks.column_windows(desk_db, limits)
        assert heads[TaskStatus.PUBLISHED].count == 10
