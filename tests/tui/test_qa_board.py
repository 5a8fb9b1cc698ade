"""QA regressions on the Board pane's filters."""

from __future__ import annotations

from datetime import timedelta

from deskterm.core import tasks
from deskterm.widgets.board_pane import BoardPane
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_desk import wait_loaded


def headers(board: BoardPane) -> dict[str, str]:
    """Column header rows of the compact board: {"DRAFTING": "DRAFTING · 1", ...}."""
    shown = {}
    for row in board.table.rows_shown:
        if row.key.startswith("column-"):
            text = row.cells[1].plain
            shown[text.split(" · ")[0]] = text
    return shown


async def test_due_in_24h_counts_the_cards_it_shows(desk_app, desk_db):
    """D ("Due in 24h") used to keep each column's full count: "DRAFTING · 2" above one
    card, "BACKLOG · 1" above none, so the desk looked like it was hiding cards."""
    tasks.create_task(
        desk_db,
        title="Op-ed: next week",
        kind="op_ed",
        status="drafting",
        owner="PS",
        due_at=FIXED_NOW + timedelta(days=3),
    )
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("3")
        board = app.screen.query_one(BoardPane)
        await settle(pilot, lambda: headers(board).get("DRAFTING") == "DRAFTING · 2")
        assert headers(board)["BACKLOG"] == "BACKLOG · 1"

        await pilot.press("D")
        await settle(pilot, lambda: "due 24h" in str(board.border_title))
        await settle(pilot, lambda: headers(board).get("DRAFTING") == "DRAFTING · 1")
        assert headers(board)["BACKLOG"] == "BACKLOG · 0"
        titles = [
            r.item.title for r in board.table.rows_shown if isinstance(r.item, tasks.TaskRecord)
        ]
        assert titles == ["Press release: transit fares"]
        assert "1 card ·" in str(board.border_title)

        await pilot.press("D")  # off again: full counts come back
        await settle(pilot, lambda: headers(board).get("DRAFTING") == "DRAFTING · 2")
