"""a feed remembers the entries it carries that are other feeds' clips

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00

An entry whose link is already a stored clip is not stored again. Without a record of
it, every later fetch of that feed found an entry it did not know, and normalised the
whole document again to look at it. ``feed_copies`` keeps those entries' GUIDs (with the
link and when they were last seen), so a re-fetch that brings nothing new skips the work.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_copies",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name=op.f("fk_feed_copies_feed_id_feeds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feed_id", "guid", name=op.f("pk_feed_copies")),
    )
    op.create_index(op.f("ix_feed_copies_seen_at"), "feed_copies", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_feed_copies_seen_at"), table_name="feed_copies")
    op.drop_table("feed_copies")
