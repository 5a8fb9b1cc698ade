"""Errors of the persistence layer. Each carries a message fit to show a user as one line."""

from __future__ import annotations

from typing import Any


class DatabaseError(Exception):
    """Base of the errors a user can be shown as they are."""


class ConflictError(DatabaseError):
    """Someone saved the record after this editor loaded it: the edit was not applied."""

    def __init__(
        self,
        entity: str,
        entity_id: int,
        base_version: int,
        current_version: int,
        current: dict[str, Any] | None = None,
        label: str | None = None,
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.base_version = base_version
        self.current_version = current_version
        self.current = current or {}
        #: the record as people know it (``M-2026-0006``, ``card “Budget presser”``)
        self.label = label or f"{entity} {entity_id}"
        super().__init__(
            f"{self.label} was changed by someone else "
            f"(you loaded version {base_version}, it is now version {current_version}); "
            "nothing was saved"
        )


class NotFoundError(DatabaseError):
    def __init__(self, entity: str, entity_id: int) -> None:
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(f"{entity} {entity_id} does not exist (deleted by someone else?)")


class DatabaseBusyError(DatabaseError):
    """The file stayed locked by other desks for longer than the retry bound."""

    def __init__(self, others: list[str] | None = None) -> None:
        self.others = others or []
        who = f" (on the desk: {', '.join(self.others)})" if self.others else ""
        super().__init__(
            f"the shared database stayed busy{who}; nothing was saved, please try again"
        )


class DatabaseUnavailableError(DatabaseError):
    """The file cannot be opened or read (network drive gone, permissions, not a database)."""


class SchemaError(DatabaseError):
    """The database's schema does not fit this deskterm."""


class SchemaTooNewError(SchemaError):
    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(
            f"this database was written by a newer deskterm (schema {revision}); "
            "upgrade deskterm to change it"
        )


class SchemaMissingError(SchemaError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no deskterm database at {where}; run `deskterm init` to create one")


class SchemaOutdatedError(SchemaError):
    def __init__(self, revision: str) -> None:
        super().__init__(
            f"this database has an older schema ({revision}); run `deskterm init` to upgrade it"
        )


class ReadOnlySessionError(DatabaseError):
    """A change was flushed outside ``Database.transaction()``: a programming error."""


class JournalModeError(DatabaseError):
    """SQLite refused rollback-journal mode (e.g. another desk holds the file in WAL)."""
