"""Shared fixtures for the command-line tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from db.engine import Actor, Database
from deskterm.cli import main
from deskterm.core.staff import add_staff


@pytest.fixture
def desk(tmp_path: Path, capsys, migrated_template: Path) -> Path:
    """An initialised database with AB (a PIO) and CD (may approve) on the staff list.

    A copy of the migrated template (tests/conftest.py) that ``init`` then finds up to date:
    the same database ``init`` makes on a new file, without running Alembic for every test
    (tests/cli/test_cli.py runs ``init`` on new files itself)."""
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(migrated_template, path)
    assert main(["--db", str(path), "init"]) == 0
    assert capsys.readouterr().err.strip() == f"database at {path} is up to date"
    db = Database(str(path), actor=Actor("admin", "test"))
    try:
        add_staff(db, initials="AB", name="Ana Berg", role="pio")
        add_staff(db, initials="CD", name="Cy Dunn", role="comms_director", can_approve=True)
    finally:
        db.dispose()
    capsys.readouterr()
    return path
