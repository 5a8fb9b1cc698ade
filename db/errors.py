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


#: What people call one row of each table, for messages ("no card 12", a conflict on
#: ``card “Budget presser”``): never the table's name. Every table has one (a test checks).
NOUNS: dict[str, str] = {
    "staff": "staff member",
    "outlets": "outlet",
    "contacts": "contact",
    "topics": "topic",
    "feeds": "feed",
    "clips": "clip",
    "clip_topics": "clip's topic",
    "feed_copies": "feed copy",
    "requests": "request",
    "request_notes": "request note",
    "response_templates": "template",
    "tasks": "card",
    "checklist_items": "checklist item",
    "task_comments": "comment",
    "events": "event",
    "links": "link",
    "audit_log": "audit entry",
    "presence": "presence row",
}


def noun(table: str) -> str:
    """What people call a row of ``table`` (the table's name only for one not listed)."""
    return NOUNS.get(table, table)


class NotFoundError(DatabaseError):
    """No row of ``entity`` (a table's name) has the id ``entity_id``.

    The message is for a record the user was shown a moment ago and that has gone since
    (the desk's panes and views): it may have been deleted by another desk. Where the id
    was typed (the command line), say instead that there is none: ``plainly()``."""

    def __init__(self, entity: str, entity_id: int) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.noun = noun(entity)
        super().__init__(f"{self.noun} {entity_id} no longer exists (deleted by someone else?)")

    def plainly(self) -> str:
        """The message for an id that was typed: ``no card 12``."""
        return f"no {self.noun} {self.entity_id}"


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
