"""requests, contacts and outlets keep a folded copy of their searched fields

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 12:00:00

The Requests filter and the media-list search compared with SQLite's ``lower()``/``LIKE``,
which fold A-Z only: "élodie" did not find "Élodie", nor "strasse" "Straße", and accents had
to be typed. ``search_text`` (and ``search_name``: the name alone, for the searches of other
rows that show it) hold the searched fields folded by ``db.search_text.fold``; the desk keeps
them in step on every write and folds the typed words the same way. Rows stored before this
revision are filled in here, a thousand at a time.

The fields are those of ``db.search_text.SOURCES_AT["0007"]``: a later change of fields
brings its own entry there and its own migration that fills the columns again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.search_text import SOURCES_AT, fill

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_FILLED = SOURCES_AT[revision]


def upgrade() -> None:
    for table, columns in _FILLED.items():
        for column in columns:
            op.add_column(
                table, sa.Column(column, sa.Text(), server_default=sa.text("''"), nullable=False)
            )
    for table, columns in _FILLED.items():
        fill(op.get_bind(), table, columns, batch=BATCH)


def downgrade() -> None:
    for table, columns in reversed(_FILLED.items()):
        for column in reversed(columns):
            op.drop_column(table, column)
