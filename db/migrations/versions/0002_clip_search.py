"""full-text search over clips (SQLite FTS5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00

``clips_fts`` is an external-content FTS5 index over ``clips`` (it stores no copy of the
text): columns ``title``, ``summary`` and ``outlet_id``. Triggers on ``clips`` keep it in
step on insert, delete and update of those three columns (including the SET NULL an outlet
delete causes). The outlet is indexed by its id, not its name: renaming an outlet touches
no clip and no index row, and search.py turns a typed word into the ids of the outlets whose
names match it (``outlet_id : "7"``). Searches rank with bm25, weighting title over outlet
over summary (stored as the table's ``rank`` setting).

A batch migration that rebuilds ``clips`` (copy, drop, rename) drops these triggers with the
old table: such a migration must create them again (``create_triggers``), and the index
stays valid because clip ids are copied unchanged.

Other databases (PostgreSQL): nothing is created here; search.py falls back to a portable
LIKE search there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from db.errors import SchemaError

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS5_PROBE = "CREATE VIRTUAL TABLE temp.deskterm_fts5_probe USING fts5(x)"

CREATE_INDEX = (
    "CREATE VIRTUAL TABLE clips_fts USING fts5("
    "title, summary, outlet_id, content='clips', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
RANK = "INSERT INTO clips_fts(clips_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 2.0)')"
BACKFILL = "INSERT INTO clips_fts(clips_fts) VALUES ('rebuild')"

_ADD = (
    "INSERT INTO clips_fts(rowid, title, summary, outlet_id) "
    "VALUES (new.id, new.title, new.summary, new.outlet_id);"
)
_REMOVE = (
    "INSERT INTO clips_fts(clips_fts, rowid, title, summary, outlet_id) "
    "VALUES ('delete', old.id, old.title, old.summary, old.outlet_id);"
)
TRIGGERS = {
    "clips_fts_insert": f"AFTER INSERT ON clips BEGIN {_ADD} END",
    "clips_fts_delete": f"AFTER DELETE ON clips BEGIN {_REMOVE} END",
    "clips_fts_update": (
        f"AFTER UPDATE OF title, summary, outlet_id ON clips BEGIN {_REMOVE} {_ADD} END"
    ),
}


def require_fts5(conn: Connection, probe: str = FTS5_PROBE) -> None:
    """Fail with a plain message if this SQLite was built without FTS5."""
    try:
        conn.exec_driver_sql(probe)
    except OperationalError as error:
        import sqlite3

        raise SchemaError(
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5 full-text search "
            f"({error.orig}); deskterm needs it: use a Python whose sqlite3 module includes "
            "FTS5 (python.org, Debian/Ubuntu and Homebrew builds do)"
        ) from error
    conn.exec_driver_sql("DROP TABLE temp.deskterm_fts5_probe")


def create_triggers() -> None:
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    require_fts5(bind)
    op.execute(CREATE_INDEX)
    op.execute(RANK)
    op.execute(BACKFILL)
    create_triggers()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS clips_fts")
