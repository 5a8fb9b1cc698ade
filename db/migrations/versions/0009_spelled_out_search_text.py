"""every search_text also holds its fields' names spelled out ("Müller" as "mueller")

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:00:00

German and Scandinavian names are typed two ways: "Mueller" for "Müller", "Soeren" for
"Søren", "Aalborg" for "Ålborg". The folded text of 0007 and 0008 held only the first
("muller"), so "mueller" found nothing. Every ``search_text`` (requests, contacts, outlets,
tasks) is filled again, a thousand rows at a time, with a field that has such letters
followed by its spelled-out form (``db.search_text.spelled_out``). ``search_name`` keeps the
name folded alone: it links a typed name to one row by its exact folded spelling.

The fields are those of ``db.search_text.SOURCES_AT["0009"]`` (unchanged since 0008). Going
down fills the columns again without the spelled-out forms, as 0008 left them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.search_text import SOURCES_AT, fill

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_FILLED = SOURCES_AT[revision]


def upgrade() -> None:
    for table, columns in _FILLED.items():
        fill(op.get_bind(), table, columns, batch=BATCH, spelled=True)


def downgrade() -> None:
    for table, columns in _FILLED.items():
        fill(op.get_bind(), table, columns, batch=BATCH, spelled=False)
