"""Alembic environment: migrations run on the connection deskterm hands over."""

from __future__ import annotations

from alembic import context

from db import models  # noqa: F401  (registers the tables on Base.metadata)
from db.base import Base
from db.schema import is_search_index

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `deskterm init` (db.schema.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    include_name=lambda name, type_, _parent: not is_search_index(name, type_),
)
with context.begin_transaction():
    context.run_migrations()
