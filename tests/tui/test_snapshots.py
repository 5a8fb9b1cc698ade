"""How the desk looks: the demo desk at 120x40 and 80x24 with a fixed clock.

Regenerate after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs in `__snapshots__/` before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import demo_desk_at
from tests.tui.test_desk import wait_loaded

# Under pytest-xdist these run on one worker: they share the fixed database path below.
pytestmark = pytest.mark.xdist_group("desk-snapshots")

# A fixed path: the status bar shows where the database is.
SNAPSHOT_DB = Path("/tmp/deskterm-snapshots/demo.sqlite3")


@pytest.fixture
def demo_app():
    with demo_desk_at(SNAPSHOT_DB) as app:
        yield app


async def _settle(pilot) -> None:
    """Panes loaded and the start-up deadline check done (the demo has overdue requests);
    its toasts are cleared so the picture is the desk itself (test_requests_pane checks them)."""
    await wait_loaded(pilot, pilot.app)
    for _ in range(100):
        if pilot.app._notifications:
            break
        await pilot.pause(0.02)
    assert pilot.app._notifications, "the deadline check never ran"
    pilot.app.clear_notifications()
    await pilot.pause()


def test_demo_desk_120x40(snap_compare, demo_app):
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_settle)


def test_demo_desk_80x24(snap_compare, demo_app):
    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=_settle)


def test_demo_desk_requests_zoomed(snap_compare, demo_app):
    async def zoom(pilot) -> None:
        await _settle(pilot)
        await pilot.press("2", "z")
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=zoom)


def test_demo_board_zoomed(snap_compare, demo_app):
    async def zoom_board(pilot) -> None:
        await _settle(pilot)
        await pilot.press("3", "z")
        for _ in range(50):
            await pilot.pause(0.05)
            board = pilot.app.screen.query_one("#board")
            if board.wide and any(column.rows_shown for column in board.column_tables()):
                break
        await pilot.pause()

    assert snap_compare(demo_app, terminal_size=(160, 45), run_before=zoom_board)
