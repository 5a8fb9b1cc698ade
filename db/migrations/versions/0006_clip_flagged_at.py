"""a clip remembers when it was flagged

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:15:00

The daily clip report listed the flagged clips *published* that day, so last night's
stories flagged at 7 a.m. were in neither report: not the evening's (not flagged yet) nor
the morning's (published the day before). ``flagged_at`` puts a clip in the report of the
day it was flagged. Clips flagged before this revision get their last change's time
(``updated_at``), the nearest record of it; a partial index keeps the report's lookup to
the flagged clips.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clips", sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE clips SET flagged_at = updated_at WHERE flagged")
    op.create_index(
        op.f("ix_clips_flagged_at"),
        "clips",
        ["flagged_at"],
        unique=False,
        sqlite_where=sa.text("flagged_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_clips_flagged_at"), table_name="clips")
    op.drop_column("clips", "flagged_at")
