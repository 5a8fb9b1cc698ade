"""The desk paints its four panes before SQLAlchemy is imported (issue 3's first paint).

Importing SQLAlchemy and mapping the models costs more than the desk's whole start-up
budget, so the panes' first windows are read with ``sqlite3`` alone and the domain layer is
imported in the background afterwards (docs/architecture.md, "The first paint without
SQLAlchemy"). Each check runs in a fresh interpreter: this test process has long imported
everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from db.engine import Actor, Database
from deskterm.core.demo import load_demo
from tests.tui.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]

OPENING = """
import sys
from deskterm.cli.main import preload
preload([])  # what `deskterm` imports before it runs the desk
import deskterm.app, deskterm.cli.desk, deskterm.core.desk, deskterm.core.desk_file
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic"))
print(loaded[:5])
"""

# The real desk under Pilot on a demo database; at the moment its last pane has its first
# window (``DeskApp._first_load`` starts the background warm-up) nothing of
# SQLAlchemy may be loaded, and every pane must show rows.
PAINT = """
import asyncio, json, sys
from datetime import UTC, datetime
from deskterm.core.config import load_settings
from deskterm.core.desk import create_or_upgrade
from deskterm.app import DeskApp, make_app

seen = {}
original = DeskApp._warm_up

def warm_up(self):
    # called by ``_first_load`` once every pane has its first window, before it imports
    screen = self.screen
    seen["sqlalchemy"] = sorted(m for m in sys.modules if m.startswith("sqlalchemy"))[:5]
    seen["rows"] = {p.id: len(p.table.rows_shown) for p in screen.panes}
    return original(self)

DeskApp._warm_up = warm_up

async def main():
    settings = load_settings(db=sys.argv[1], user="MR")
    db, _ = create_or_upgrade(settings)
    now = datetime.fromisoformat(sys.argv[2])
    app = make_app(settings, db, clock=lambda: now, live=True, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):
            if "rows" in seen:
                break
            await pilot.pause(0.01)
        def warmed():
            return "sqlalchemy.orm" in sys.modules and "deskterm.core.requests" in sys.modules

        for _ in range(1000):  # the warm-up then imports the domain layer (10 s at most)
            if warmed():
                break
            await pilot.pause(0.01)
        seen["later"] = warmed()
    db.dispose()
    print(json.dumps(seen))

asyncio.run(main())
"""


def run_python(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_opening_the_desk_imports_no_sqlalchemy() -> None:
    assert run_python(OPENING) == "[]"


def test_the_four_panes_paint_before_sqlalchemy_is_imported(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    db = Database(str(path), actor=Actor("MR", "test-host"))
    from db.schema import upgrade

    upgrade(db)
    load_demo(db, now=FIXED_NOW)
    db.dispose()

    seen = json.loads(run_python(PAINT, str(path), FIXED_NOW.isoformat()))
    assert seen["sqlalchemy"] == [], seen
    assert all(count > 0 for count in seen["rows"].values()), seen["rows"]
    assert set(seen["rows"]) == {"news", "requests", "board", "calendar"}
    assert seen["later"], "the domain layer is imported in the background after the paint"
