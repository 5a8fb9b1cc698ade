"""Schema state, migrations (Alembic), backups and integrity checks.

Opening a database reads its Alembic revision with one query; Alembic itself is only
imported to migrate. The revisions and states are ``db.schema_state``'s.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from db import schema_state, search_text
from db.engine import Database
from db.errors import SchemaError, SchemaTooNewError
from db.schema_state import (
    SchemaState,
    SchemaStatus,
    classify,
    guard,
    sqlite_status,
    unreadable,
)

__all__ = ["SchemaState", "SchemaStatus", "require_current", "schema_status", "upgrade"]


def schema_status(db: Database) -> SchemaStatus:
    try:
        with db.engine.connect() as conn:
            if db.is_sqlite:  # the same read as a DeskFile's, on the pool's own connection
                return sqlite_status(conn.connection.driver_connection)
            tables = set(inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as error:  # corrupt file, not a database, unreadable share or server
        raise unreadable(db.location, error) from error
    return classify(tables, revision)


def require_current(db: Database) -> SchemaStatus:
    """Refuse to work on a database this deskterm cannot write; guard all later writes
    (``schema_state.guard``)."""
    return guard(db, schema_status(db))


def upgrade(db: Database, *, backup_dir: Path | None = None) -> tuple[SchemaStatus, Path | None]:
    """Create or upgrade the schema to HEAD. An existing database is backed up first.

    Returns the status before the upgrade and the backup's path (None when nothing was
    backed up).
    """
    status = schema_status(db)
    if status.state is SchemaState.NEWER:
        raise SchemaTooNewError(status.revision or "?")
    if status.state is SchemaState.FOREIGN:
        raise SchemaError(f"{db.location} is not a deskterm database; not touching it")
    if status.state is SchemaState.CURRENT:
        return status, None
    backup_path = None
    if status.state is SchemaState.OLDER and db.path is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = backup_dir or db.path.parent
        backup_path = folder / f"{db.path.name}.before-{schema_state.HEAD}-{stamp}.bak"
        backup(db, backup_path)
    _run_alembic_upgrade(db)
    return status, backup_path


def _run_alembic_upgrade(db: Database) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "db:migrations")
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        if db.is_sqlite:
            # Table rebuilds in batch migrations need foreign keys off; this can only be
            # switched outside a transaction, so before SQLAlchemy begins one.
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.execution_options(deskterm_begin="IMMEDIATE").begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if db.is_sqlite:
                    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise SchemaError(f"migration broke {len(problems)} foreign keys")
        finally:
            if db.is_sqlite:
                raw.execute("PRAGMA foreign_keys = ON")


def backup(db: Database, dest: Path) -> Path:
    """Copy the live database with SQLite's online backup API (safe while others write)."""
    if db.path is None:
        raise SchemaError("backup works on SQLite files; use your server's tools for others")
    dest = Path(dest).expanduser()
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = dest / f"{db.path.stem}-{stamp}.sqlite3"
    if dest.exists():
        raise FileExistsError(f"{dest} exists; not overwriting it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with db.engine.connect() as conn:
        source = conn.connection.driver_connection
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
        finally:
            target.close()
    return dest


def is_search_index(name: str | None, type_: str) -> bool:
    """The FTS5 index and its shadow tables (migration 0002): created by raw SQL, so they are
    not in the models and autogenerate comparisons must ignore them."""
    return type_ == "table" and bool(name) and str(name).startswith("clips_fts")


@dataclass(frozen=True)
class CheckResult:
    integrity: list[str]
    foreign_keys: list[str]

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.foreign_keys


def check(db: Database) -> CheckResult:
    """SQLite's integrity_check and foreign_key_check, the search index against the clips, and
    the folded search text against the fields it is made of (``db.search_text``)."""
    if not db.is_sqlite:
        return CheckResult(["ok"], [])
    with db.engine.connect() as conn:
        integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        has_index = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clips_fts'"
        ).first()
        if has_index:
            try:
                conn.exec_driver_sql(
                    "INSERT INTO clips_fts(clips_fts, rank) VALUES ('integrity-check', 1)"
                )
            except Exception as error:  # SQLITE_CORRUPT_VTAB: the index disagrees with clips
                message = f"search index out of step with the clips ({error}); rebuild it"
                integrity = [*(i for i in integrity if i != "ok"), message]
        stale = search_text.out_of_step(conn)
        if stale:
            integrity = [*(i for i in integrity if i != "ok"), *stale]
        fks = [
            f"{table} row {rowid} -> {parent}"
            for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check")
        ]
        conn.rollback()
    return CheckResult(integrity, fks)
