"""a feed remembers the digest of the last body it stored

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:00:00

Many servers ignore conditional GET and send the same document every time. With the
digest of the last body that was parsed and stored without error, a fetch that gets the
same bytes again skips parsing and storing (the feed counts as unchanged), as a 304 would.
A plain ADD COLUMN (no table rebuild): NULL until the feed's next successful fetch.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("body_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a plain column in place; a batch copy of ``feeds`` would have to
    # drop the table the clips refer to.
    op.drop_column("feeds", "body_hash")
