"""The Requests pane's first window: read without SQLAlchemy, the same as the domain's.

The desk's first paint must not import SQLAlchemy (issue 3: importing it and mapping the
models costs more than the whole start-up budget). The pane's module imports none, and its
unfiltered load reads through ``Database.file``; filters still go through the domain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deskterm.core import open_requests, requests
from deskterm.widgets import requests_pane
from deskterm.widgets.pane import Pane
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_requests_pane import ready, title

ROOT = Path(__file__).resolve().parents[2]

NO_SQLALCHEMY = """
import sys
import deskterm.widgets.requests_pane
loaded = sorted(m for m in sys.modules if m.startswith(("db.", "deskterm.core")))
assert "sqlalchemy" not in sys.modules, loaded
"""


def test_the_requests_pane_imports_no_sqlalchemy() -> None:
    """A module-level import of the domain layer (or of anything that imports SQLAlchemy)
    in the pane, or in what it imports, fails here."""
    ran = subprocess.run(
        [sys.executable, "-c", NO_SQLALCHEMY], cwd=ROOT, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr


READS_WITHOUT_SQLALCHEMY = """
import sys
from datetime import date
from zoneinfo import ZoneInfo

from db.engine import Database
from deskterm.core.editing import editors
from deskterm.core.open_requests import count_open, open_request_window
from deskterm.core.statutory import statutory_clock

db = Database(sys.argv[1])
records = open_request_window(db, limit=200)
clocks = [
    statutory_clock(r, today=date(2026, 11, 24), holidays=(), tz=ZoneInfo("America/New_York"))
    for r in records
]
print(len(records), count_open(db), editors(db, "requests"))
assert "sqlalchemy" not in sys.modules, sorted(m for m in sys.modules if m.startswith("db."))
"""


def test_the_default_load_reads_without_sqlalchemy(desk_db) -> None:
    """What the pane's unfiltered load reads (window, count, editing marks, records clocks)
    is read in a fresh interpreter without SQLAlchemy ever being imported."""
    ran = subprocess.run(
        [sys.executable, "-c", READS_WITHOUT_SQLALCHEMY, str(desk_db.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["2", "2", "{}"]


async def test_the_unfiltered_window_is_read_in_plain_sql_and_filters_by_the_domain(
    desk_app, desk_db, monkeypatch
):
    plain_reads: list[int] = []

    def counted(db, *, limit):  # type: ignore[no-untyped-def]
        plain_reads.append(limit)
        return open_requests.open_request_window(db, limit=limit)

    monkeypatch.setattr(requests_pane, "open_request_window", counted)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        pane = app.screen.query_one("#requests", Pane)
        shown = [row.item for row in pane.table.rows_shown]
        assert shown == requests.list_open_requests(desk_db, now=FIXED_NOW)
        assert len(shown) == 2 and plain_reads == [requests_pane.WINDOW]
        assert title(app).endswith("2 open · ‼ 1 overdue")

        await pilot.press("2", "M")  # mine only: the domain's filter
        await settle(pilot, lambda: "mine" in title(app))
        await pilot.press("slash", *"elm")  # a typed filter too
        await settle(pilot, lambda: "filter: elm" in title(app))
        assert plain_reads == [requests_pane.WINDOW]

        await pilot.press("escape", "M")  # back to the desk as it opened
        await settle(pilot, lambda: "mine" not in title(app) and len(plain_reads) == 2)
        await settle(pilot, lambda: len(pane.table.rows_shown) == 2)
        assert [row.item for row in pane.table.rows_shown] == shown
