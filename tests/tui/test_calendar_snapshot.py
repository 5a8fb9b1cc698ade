"""How the calendar's week grid looks: the demo desk at a fixed clock, Calendar zoomed.

Regenerate after an intended change with
`pytest tests/tui/test_calendar_snapshot.py --snapshot-update` and look at the SVG in
`__snapshots__/test_calendar_snapshot/` before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm.core.calendar_views import View
from deskterm.widgets.calendar_pane import CalendarPane
from tests.tui.conftest import demo_desk_at
from tests.tui.test_desk import wait_loaded

# A fixed path of its own (the status bar shows where the database is; the desk snapshots
# use another, so the two files can run side by side).
SNAPSHOT_DB = Path("/tmp/deskterm-calendar-snapshot/demo.sqlite3")


@pytest.fixture
def demo_app():
    with demo_desk_at(SNAPSHOT_DB) as app:
        yield app


async def _week_grid(pilot) -> None:
    """Every pane loaded, the start-up deadline toasts gone, then 4 z: the week grid."""
    app = pilot.app
    await wait_loaded(pilot, app)
    for _ in range(100):
        if app._notifications:
            break
        await pilot.pause(0.02)
    await pilot.press("4", "z")
    pane = app.screen.query_one(CalendarPane)
    for _ in range(150):
        await pilot.pause(0.02)
        layout = pane.week_grid.layout_shown
        if pane.view is View.WEEK and layout is not None and layout.period == pane.period:
            break
    assert pane.week_grid.layout_shown is not None, "the week grid never loaded"
    app.clear_notifications()
    await pilot.pause()


def test_week_grid_160x45(snap_compare, demo_app):
    assert snap_compare(demo_app, terminal_size=(160, 45), run_before=_week_grid)
