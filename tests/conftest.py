"""Shared fixtures: a real SQLite file per test, at the current schema."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import Actor, Database, RetryPolicy
from db.schema import schema_status, upgrade
from db.schema_state import HEAD, SchemaState


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never read or write the developer's real config or database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKTERM_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("DESKTERM_DB", raising=False)
    monkeypatch.delenv("DESKTERM_USER", raising=False)
    monkeypatch.setenv("DESKTERM_TZ", "America/New_York")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.sqlite3"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated to HEAD by the real migrations, once per test process.

    Running Alembic from scratch costs ~100-250 ms a test; copying this file costs ~4 ms.
    The migrations write only the schema, alembic_version and the search index's own
    config rows (no audit rows, no timestamps, nothing of the actor), so a copy is the same
    database a fresh ``upgrade`` would have made. The migrations themselves are tested on
    their own files (tests/db/test_schema.py, test_upgrade_backup.py); a broken migration
    still breaks this template and so every test built on it.
    """
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(str(path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    try:
        before, _ = upgrade(database)
        assert before.state is SchemaState.EMPTY
        assert schema_status(database).revision == HEAD
    finally:
        database.dispose()
    # Rollback journal: once closed, the file is the whole database (no -journal left).
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    return path


@pytest.fixture
def db(db_path: Path, migrated_template: Path) -> Iterator[Database]:
    """A fresh database at the current schema, acting as user AB (a copy of the template)."""
    shutil.copyfile(migrated_template, db_path)
    database = Database(str(db_path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    before, _ = upgrade(database)  # finds it current: nothing to run
    assert before.state is SchemaState.CURRENT
    yield database
    database.dispose()
