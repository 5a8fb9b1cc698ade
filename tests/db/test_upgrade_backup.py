"""An upgrade of an existing database backs it up first, with the online backup API."""

from __future__ import annotations

import sqlite3

import pytest

from db import schema, schema_state
from db.engine import Actor, Database
from db.models import Outlet


def test_upgrade_of_an_older_database_backs_it_up_before_migrating(db, db_path, monkeypatch):
    with db.transaction() as session:
        session.add(Outlet(name="Alder Daily Herald", type="print"))
    # Pretend this deskterm knows a newer revision than the file has.
    monkeypatch.setattr(schema_state, "KNOWN_REVISIONS", (schema_state.HEAD, "9999"))
    monkeypatch.setattr(schema_state, "HEAD", "9999")
    backups_seen_by_migration: list[list[str]] = []

    def fake_migration(database: Database) -> None:
        backups = sorted(p.name for p in db_path.parent.glob("*.bak"))
        backups_seen_by_migration.append(backups)
        with database.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    monkeypatch.setattr(schema, "_run_alembic_upgrade", fake_migration)
    fresh = Database(str(db_path), actor=Actor("AB", "h"))
    before, backup_path = schema.upgrade(fresh)
    fresh.dispose()

    assert before.state is schema.SchemaState.OLDER
    assert backup_path is not None and backup_path.exists()
    assert backups_seen_by_migration == [[backup_path.name]]  # the copy existed first
    assert ".before-9999-" in backup_path.name
    copy = sqlite3.connect(backup_path)
    try:
        assert copy.execute("SELECT name FROM outlets").fetchall() == [("Alder Daily Herald",)]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (
            schema_state.KNOWN_REVISIONS[-2],
        )
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_a_failed_backup_stops_the_upgrade(db, db_path, monkeypatch):
    monkeypatch.setattr(schema_state, "KNOWN_REVISIONS", (schema_state.HEAD, "9999"))
    monkeypatch.setattr(schema_state, "HEAD", "9999")
    migrated: list[bool] = []
    monkeypatch.setattr(schema, "_run_alembic_upgrade", lambda database: migrated.append(True))

    def broken_backup(database, dest):
        raise OSError("share is read-only")

    monkeypatch.setattr(schema, "backup", broken_backup)
    with pytest.raises(OSError):
        schema.upgrade(db)
    assert migrated == []
