"""tasks keep a folded copy of their searched fields; requests' folded text adds the questions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 12:00:00

The board's filter compared with SQLite's ``lower()``/``LIKE``, which fold A-Z only: "élan"
did not find "Élan", nor "strasse" "Straße". ``tasks.search_text`` holds a card's title and
kind folded by ``db.search_text.fold`` (the owner's initials are matched against the staff
list when searching, not stored). The Requests filter did not search a request's questions;
its ``search_text`` now includes them. Both are filled here for the rows already stored, a
thousand at a time.

No index: a typed word is found anywhere in the text (``LIKE '%word%'``), which no b-tree
index can seek; the board reads the column on the rows it walks along
``ix_tasks_status_due``, as it read the title before.

The fields are those of ``db.search_text.SOURCES_AT["0008"]``: a later change of fields
brings its own entry there and its own migration that fills the columns again. Going down
fills requests again with the fields of 0007, so their text means what 0007 says.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.search_text import SOURCES_AT, fill

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_FILLED = SOURCES_AT[revision]
#: Tables whose folded columns this revision adds (the others it only fills again).
_ADDED = ("tasks",)
_BEFORE = SOURCES_AT["0007"]


def upgrade() -> None:
    for table in _ADDED:
        for column in _FILLED[table]:
            op.add_column(
                table, sa.Column(column, sa.Text(), server_default=sa.text("''"), nullable=False)
            )
    for table, columns in _FILLED.items():
        fill(op.get_bind(), table, columns, batch=BATCH)


def downgrade() -> None:
    for table in _FILLED:
        if table in _ADDED:
            for column in reversed(_FILLED[table]):
                op.drop_column(table, column)
        else:
            fill(op.get_bind(), table, _BEFORE[table], batch=BATCH)
