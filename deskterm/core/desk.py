"""Opening the desk's database with the settings in force."""

from __future__ import annotations

from db.engine import Actor, Database, RetryPolicy
from db.errors import SchemaMissingError
from db.schema_state import SchemaState, SchemaStatus, file_status
from deskterm.core.config import Settings


def connect(settings: Settings, *, retry: RetryPolicy | None = None) -> Database:
    """A Database handle for the settings' file and user (nothing is read yet)."""
    db = Database(settings.database, actor=Actor.current(settings.user), retry=retry)
    if db.path is not None:
        db.path.parent.mkdir(parents=True, exist_ok=True)
    return db


def open_existing(settings: Settings) -> tuple[Database, SchemaStatus]:
    """Open a database that must already exist at this deskterm's schema (or newer: read only)."""
    from db.schema import require_current

    db = Database(settings.database, actor=Actor.current(settings.user))
    if db.path is not None and not db.path.exists():
        db.dispose()  # connecting would create an empty file: a typo must not leave one behind
        raise SchemaMissingError(db.location)
    try:
        status = require_current(db)
    except BaseException:
        db.dispose()
        raise
    return db, status


def create_or_upgrade(settings: Settings, *, allow_newer: bool = False) -> tuple[Database, str]:
    """Create the database or bring its schema up to date; says what was done.

    With ``allow_newer`` a database written by a newer deskterm is opened read-only (every
    write raises SchemaTooNewError) instead of refused: a desk can still be read.

    A file already at this deskterm's schema is recognised with one ``sqlite3`` read
    (``db.schema_state.file_status``): the desk opens it without importing SQLAlchemy
    (docs/architecture.md, "The first paint without SQLAlchemy").
    """
    db = connect(settings)
    if db.path is not None and db.path.is_file():
        try:
            if file_status(db.file).state is SchemaState.CURRENT:
                return db, f"database at {db.location} is up to date"
        except Exception:  # unreadable, not a database: the full path below says so
            pass
    from db.schema import require_current, schema_status, upgrade

    try:
        status = schema_status(db)
        if allow_newer and status.state is SchemaState.NEWER:
            require_current(db)
            return db, (
                f"{db.location} was written by a newer deskterm (schema {status.revision}): "
                "read only until you upgrade deskterm"
            )
        before, backup_path = upgrade(db)
    except BaseException:
        db.dispose()
        raise
    if before.revision is None:
        what = f"created a new database at {db.location}"
    elif backup_path is not None:
        what = f"upgraded {db.location} from schema {before.revision} (backup: {backup_path})"
    else:
        what = f"database at {db.location} is up to date"
    return db, what
