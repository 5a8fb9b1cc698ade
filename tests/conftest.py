"""Shared fixtures: a real SQLite file per test, at the current schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import Actor, Database, RetryPolicy
from db.schema import upgrade


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


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """A fresh database at the current schema, acting as user AB."""
    database = Database(str(db_path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    upgrade(database)
    yield database
    database.dispose()
