"""The Calendar pane paints the dashboard's agenda without SQLAlchemy (issue 3: importing it
and mapping the models costs more than the whole first-paint budget).

Each check runs in a fresh interpreter, so nothing this test session imported (every other
test loads SQLAlchemy) can hide a module-level import brought back, or a default load that
reaches for the domain layer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deskterm.core.calendar_views import PANE_DAYS, Filter, View, lanes_for, period_for
from deskterm.core.config import DEFAULT_LEADERS
from deskterm.core.demo import load_demo
from deskterm.widgets.calendar_pane import Want, load_view
from tests.tui.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]
ZONE = "America/New_York"

# What the pane's first load runs on: the widgets, the layouts, the occurrences' reader,
# the expansion of series, the overlaps and the markers' records.
FIRST_PAINT_MODULES = (
    "deskterm.widgets.calendar_pane",
    "deskterm.widgets.week_grid",
    "deskterm.widgets.month_grid",
    "deskterm.core.calendar_views",
    "deskterm.core.calendar_markers",
    "deskterm.core.occurrences",
    "deskterm.core.recurrence",
    "deskterm.core.overlaps",
)

PROBE = """
import sys, {module}
loaded = [m for m in sys.modules if m.startswith(('db.', 'deskterm.core'))]
assert 'sqlalchemy' not in sys.modules, loaded
"""

# The dashboard's agenda as a fresh desk loads it (no filter, no toggle, markers off), on
# the file through ``sqlite3`` alone; its rows as text, and whether SQLAlchemy came in.
DEFAULT_LOAD = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from db.connection import DeskFile
from deskterm.core.calendar_views import PANE_DAYS, Filter, View, lanes_for, period_for
from deskterm.core.config import DEFAULT_LEADERS
from deskterm.widgets.calendar_pane import Want, load_view

path, now_text, zone = sys.argv[1:4]
now, tz = datetime.fromisoformat(now_text), ZoneInfo(zone)
period = period_for(View.AGENDA, now.astimezone(tz).date(), days=PANE_DAYS)
want = Want(period, Filter(), False, lanes_for(DEFAULT_LEADERS), pane=True)
rows, summary = load_view(DeskFile(path), want, now=now, tz=tz)
shown = [[row.key, [cell.plain for cell in row.cells]] for row in rows]
print(json.dumps({"sqlalchemy": "sqlalchemy" in sys.modules, "rows": shown, "summary": summary}))
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("module", FIRST_PAINT_MODULES)
def test_the_calendar_first_paint_modules_import_no_sqlalchemy(module: str) -> None:
    result = _run(PROBE.format(module=module))
    assert result.returncode == 0, result.stderr


def test_the_probe_fails_for_a_module_that_imports_sqlalchemy() -> None:
    """The probe itself can fail: the models import SQLAlchemy."""
    result = _run(PROBE.format(module="db.models"))
    assert result.returncode != 0
    assert "AssertionError" in result.stderr


def test_the_dashboard_agenda_loads_without_sqlalchemy_and_shows_the_same_rows(db) -> None:
    """The default load in a fresh process reads the demo desk without importing SQLAlchemy
    and shows what the same load shows in this process (through the ``Database``)."""
    from zoneinfo import ZoneInfo

    load_demo(db, now=FIXED_NOW)
    result = _run(DEFAULT_LOAD, str(db.path), FIXED_NOW.isoformat(), ZONE)
    assert result.returncode == 0, result.stderr
    fresh = json.loads(result.stdout.strip().splitlines()[-1])
    assert fresh["sqlalchemy"] is False

    tz = ZoneInfo(ZONE)
    period = period_for(View.AGENDA, FIXED_NOW.astimezone(tz).date(), days=PANE_DAYS)
    want = Want(period, Filter(), False, lanes_for(DEFAULT_LEADERS), pane=True)
    rows, summary = load_view(db, want, now=FIXED_NOW, tz=tz)
    here = [[row.key, [cell.plain for cell in row.cells]] for row in rows]
    assert fresh["rows"] == here
    assert fresh["summary"] == summary
    assert sum(1 for row in rows if not row.key.startswith("day-")) >= 5  # events shown
