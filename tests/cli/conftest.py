"""Shared fixtures for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.engine import Actor, Database
from deskterm.cli import main
from deskterm.core.staff import add_staff


@pytest.fixture
def desk(tmp_path: Path, capsys) -> Path:
    """An initialised database with AB (a PIO) and CD (may approve) on the staff list."""
    path = tmp_path / "desk.sqlite3"
    assert main(["--db", str(path), "init"]) == 0
    db = Database(str(path), actor=Actor("admin", "test"))
    try:
        add_staff(db, initials="AB", name="Ana Berg", role="pio")
        add_staff(db, initials="CD", name="Cy Dunn", role="comms_director", can_approve=True)
    finally:
        db.dispose()
    capsys.readouterr()
    return path
