"""What a subcommand gets: the settings in force, output helpers and the database."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TextIO

from deskterm.core.config import Settings
from deskterm.core.text import needs_care, visible

if TYPE_CHECKING:
    from db.connection import DeskFile
    from db.engine import Database


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=2)


def clean_cell(text: object) -> str:
    """One line of plain text for a terminal (see ``deskterm.core.text.visible``)."""
    return visible(text)


@dataclass
class CliContext:
    settings: Settings
    as_json: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _db: Database | None = None
    _file: DeskFile | None = None

    def database(self) -> Database:
        """The existing database at this deskterm's schema (opened once per command)."""
        if self._db is None:
            from deskterm.core.desk import open_existing

            self._db, _status = open_existing(self.settings)
        return self._db

    def desk_file(self) -> DeskFile:
        """The same, through ``sqlite3`` alone (``deskterm fetch``: no SQLAlchemy)."""
        if self._file is None:
            from deskterm.core.desk_file import open_desk_file

            self._file = open_desk_file(self.settings)
        return self._file

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def out(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def info(self, text: str) -> None:
        """Progress and notes go to stderr so stdout stays parseable."""
        print(text, file=self.stderr)

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """Print ``data`` as JSON with --json, else call ``human`` to print text."""
        if self.as_json:
            self.out(to_json(data))
        else:
            human()

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[c if type(c) is str else str(c) for c in row] for row in rows]
        if needs_care("".join(c for row in cells for c in row)):  # rare: clean each cell
            cells = [[clean_cell(c) for c in row] for row in cells]
        widths = [
            max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
        ]
        # One format string for every line and one write: a month's calendar is thousands
        # of lines.
        line = "  ".join(f"{{{i}:<{width}}}" for i, width in enumerate(widths)).format
        self.stdout.write("".join(line(*row).rstrip() + "\n" for row in [headers, *cells]))
