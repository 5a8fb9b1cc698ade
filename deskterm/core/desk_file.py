"""Opening the desk's database file without SQLAlchemy (``deskterm fetch``).

The same checks as ``desk.open_existing``: the file must exist (a typo must not create an
empty one) and be at this deskterm's schema, or newer (read only: writes are refused).
"""

from __future__ import annotations

from db.connection import NOT_A_FILE, Actor, DeskFile, file_path
from db.errors import DatabaseUnavailableError, SchemaMissingError
from db.schema_state import file_status, guard
from deskterm.core.config import Settings


def open_desk_file(settings: Settings) -> DeskFile:
    """The existing database file at this deskterm's schema, through ``sqlite3``."""
    path = file_path(settings.database)
    if path is None:
        raise DatabaseUnavailableError(NOT_A_FILE)
    if not path.exists():
        raise SchemaMissingError(str(path))
    file = DeskFile(path, actor=Actor.current(settings.user))
    try:
        guard(file, file_status(file))
    except BaseException:
        file.close()
        raise
    return file
