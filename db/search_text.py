"""Search text: a stored, folded copy of the fields a search of requests, the media list or the
board reads.

A press office types names the way they come: "elodie" for "Élodie", "NUNEZ" for "Núñez",
"strasse" for "Straße". SQLite's ``lower()`` and ``LIKE`` fold only A-Z, so the searched
fields are folded once, on every write, into columns of their own (``search_text``, and
``search_name`` for a row whose name other rows show), and a search folds what was typed the
same way (``fold``) and compares folded with folded. The typed words are matched by
``deskterm.core.matching``.

``fold``: compatibility decomposition (NFKD), full Unicode case folding (``casefold``: "ß" is
"ss"), combining marks dropped (accents, cedillas, tildes), a few letters that carry their
stroke in the letter itself written plainly ("ø" "o", "ł" "l", "æ" "ae"), runs of white space
one space. Fields are joined with a newline, so a quoted phrase never runs across two fields.

Spelled out: German and Scandinavian names are written two ways, "Müller" and "Mueller",
"Søren" and "Soeren", "Ålborg" and "Aalborg". A ``search_text`` column (not ``search_name``,
which links a typed name to one row by its exact folded spelling) also holds, on a line of
its own after a field that has such letters, that field with them spelled out
(``spelled_out``: "müller" -> "mueller"), so "mueller" finds "Müller" as "muller" does; a
search for "Müller" also looks for "mueller" (``deskterm.core.matching``), so it finds a
"Mueller" stored plainly. Migration 0009 filled the columns this way.

Who keeps the columns in step (no write path can forget them):

- ORM inserts and updates: mapper events (``before_insert``/``before_update``, installed by
  ``db.models``) recompute a row's folded columns when one of their fields changed.
- Core inserts (``insert(table)`` with or without executemany, e.g. the bench generator):
  the columns' Python-side default computes them from the statement's own parameters.
- Core UPDATEs that change a searched field must set the folded columns themselves
  (``derived_values``); none exist today. ``out_of_step`` (run by ``deskterm check``) finds
  rows a write left behind.
- Rows written before the columns existed: migration 0007 fills them in (requests, contacts,
  outlets), 0008 those of tasks, and fills requests again with their question text.

Changing ``fold`` or ``SOURCES`` changes what is stored: it needs a migration that fills the
columns again (as 0007 and 0008 do), and a new ``SOURCES_AT`` entry for a change of fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Row, Table, bindparam, event, inspect, select, update
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper

Sources = Mapping[str, Mapping[str, tuple[str, ...]]]

#: Per schema revision that (re)filled the columns: per table, each folded column and the
#: fields it is made of (in this order). A migration fills with its own revision's entry,
#: so it means the same thing whatever is added later.
SOURCES_AT: Mapping[str, Sources] = {
    "0007": {
        "requests": {"search_text": ("number", "subject", "requester_name", "outlet_name")},
        "contacts": {
            "search_name": ("name",),
            "search_text": ("name", "email", "beat", "social"),
        },
        "outlets": {
            "search_name": ("name",),
            "search_text": ("name", "type", "language", "website"),
        },
    },
    # The request's question text is searched too; tasks (the board's filter) are new. A
    # card's owner is not stored here: the board matches the owner's initials against the
    # small staff list at search time (``deskterm.core.tasks``), so renaming staff touches
    # no card.
    "0008": {
        "requests": {
            "search_text": ("number", "subject", "requester_name", "outlet_name", "questions")
        },
        "tasks": {"search_text": ("title", "kind")},
    },
    # No field changed: every ``search_text`` was filled again, spelled out (``SPELLED_OUT``).
    "0009": {
        "requests": {
            "search_text": ("number", "subject", "requester_name", "outlet_name", "questions")
        },
        "contacts": {"search_text": ("name", "email", "beat", "social")},
        "outlets": {"search_text": ("name", "type", "language", "website")},
        "tasks": {"search_text": ("title", "kind")},
    },
}
#: What this release keeps in step (each table's newest entry).
SOURCES: Sources = {**SOURCES_AT["0007"], **SOURCES_AT["0008"]}
#: The folded columns that also hold their fields' spelled-out forms (``spelled_out``).
SPELLED_OUT = frozenset({"search_text"})

#: ``Column.info`` key marking a column computed from others: audit rows and conflict
#: snapshots leave it out (it is no one's change).
DERIVED = "derived"

# Letters with no decomposition that people type without their stroke or as two letters
# (the folded, i.e. lower-case, forms: casefold runs first).
_PLAIN = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "ł": "l",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)

FIELD_SEPARATOR = "\n"


def fold(text: str | None) -> str:
    """``text`` for comparing: any case, any accents, one space between words.

    >>> fold("  ÉLODIE  Núñez-Straße ")
    'elodie nunez-strasse'
    """
    if not text:
        return ""
    if text.isascii():  # the common case, and casefold() of ASCII is lower()
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.translate(_PLAIN).split())


# Letters also written as two (the folded, lower-case, composed forms).
_TWO_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe"})


def spelled_out(text: str | None) -> str | None:
    """``text`` folded with its umlauts and Scandinavian letters written as two letters, or
    None when it has none (then ``fold`` is its only spelling).

    >>> spelled_out("Jürgen Müller"), spelled_out("Søren Ålund"), spelled_out("Núñez")
    ('juergen mueller', 'soeren aalund', None)
    """
    if not text or text.isascii():
        return None
    composed = unicodedata.normalize("NFC", text.casefold())
    written = composed.translate(_TWO_LETTERS)
    return fold(written) if written != composed else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def joined(values: Iterable[Any], *, spelled: bool = False) -> str:
    """Fields folded and joined (empty ones left out); with ``spelled``, a field that has a
    spelled-out form is followed by it."""
    parts = []
    for value in values:
        text = _text(value)
        if folded := fold(text):
            parts.append(folded)
            if spelled and (other := spelled_out(text)) is not None and other != folded:
                parts.append(other)
    return FIELD_SEPARATOR.join(parts)


def column_text(column: str, values: Iterable[Any]) -> str:
    """What the folded ``column`` holds for these field ``values``, in this release."""
    return joined(values, spelled=column in SPELLED_OUT)


def derived_values(table: str, values: Mapping[str, Any]) -> dict[str, str]:
    """The folded columns of a ``table`` row with these field ``values`` (missing ones empty).

    For writes that bypass the ORM and change a searched field (Core ``update()``)."""
    return {
        column: column_text(column, (values.get(field) for field in fields))
        for column, fields in SOURCES[table].items()
    }


def _scalar_default(table: Table, key: str) -> Any:
    default = table.c[key].default
    return default.arg if default is not None and default.is_scalar else None


def _batches(
    conn: Connection, table: str, names: Iterable[str], batch: int
) -> Iterator[Sequence[Row[Any]]]:
    """A table's rows (id and ``names``) in keyset batches by id: never the whole table."""
    rows = sa_table(table, sa_column("id"), *(sa_column(name) for name in names))
    read = select(*rows.c).order_by(rows.c.id).limit(batch)
    last = 0
    while found := conn.execute(read.where(rows.c.id > last)).all():
        yield found
        last = found[-1].id


def _fields(columns: Mapping[str, tuple[str, ...]]) -> list[str]:
    return list(dict.fromkeys(field for source in columns.values() for field in source))


def fill(
    conn: Connection,
    table: str,
    columns: Mapping[str, tuple[str, ...]],
    *,
    batch: int = 1000,
    spelled: bool = False,
) -> None:
    """Write the folded ``columns`` (name -> fields) of every row of ``table`` (migrations;
    ``spelled`` as in ``joined``: from 0009 on, ``search_text`` columns are spelled)."""
    target = sa_table(table, sa_column("id"), *(sa_column(name) for name in columns))
    write = (
        update(target)
        .where(target.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    for found in _batches(conn, table, _fields(columns), batch):
        conn.execute(
            write,
            [
                {
                    "row_id": row.id,
                    **{
                        f"new_{name}": joined((row._mapping[f] for f in source), spelled=spelled)
                        for name, source in columns.items()
                    },
                }
                for row in found
            ],
        )


def out_of_step(conn: Connection, *, batch: int = 2000, shown: int = 5) -> list[str]:
    """Rows whose folded columns disagree with their fields (a write that went around the
    hooks), one line per table."""
    problems = []
    for table, columns in SOURCES.items():
        wrong = [
            row.id
            for found in _batches(conn, table, [*_fields(columns), *columns], batch)
            for row in found
            if derived_values(table, row._mapping) != {c: row._mapping[c] for c in columns}
        ]
        if wrong:
            ids = ", ".join(str(i) for i in wrong[:shown]) + (", ..." if len(wrong) > shown else "")
            problems.append(f"search text of {len(wrong)} {table} out of step (ids {ids})")
    return problems


# --- Core inserts: a context-sensitive column default --------------------------------------


def core_default(table: str, column: str) -> Callable[[Any], str]:
    """The Python-side default of a folded column: computed from the INSERT's own values (a
    field the statement leaves out counts as its column's default)."""
    fields = SOURCES[table][column]

    def default(context: Any) -> str:
        params = context.get_current_parameters()
        target: Table = context.compiled.statement.table
        return column_text(
            column,
            (
                params[field] if params.get(field) is not None else _scalar_default(target, field)
                for field in fields
            ),
        )

    return default


# --- ORM writes: mapper events ------------------------------------------------------------


def _orm_value(mapper: Mapper[Any], target: object, field: str) -> Any:
    value = getattr(target, field)
    if value is None:  # not set yet: the column's default is what will be stored
        value = _scalar_default(mapper.local_table, field)  # type: ignore[arg-type]
    return value


def _fill(mapper: Mapper[Any], target: object, columns: Mapping[str, tuple[str, ...]]) -> None:
    for column, fields in columns.items():
        setattr(
            target, column, column_text(column, (_orm_value(mapper, target, f) for f in fields))
        )


def install(model: type) -> None:
    """Keep ``model``'s folded columns in step on every ORM insert and update."""
    table = model.__table__.name  # type: ignore[attr-defined]
    columns = SOURCES[table]
    watched = {field for fields in columns.values() for field in fields}

    def before_insert(mapper: Mapper[Any], _connection: Connection, target: object) -> None:
        _fill(mapper, target, columns)

    def before_update(mapper: Mapper[Any], _connection: Connection, target: object) -> None:
        attrs = inspect(target).attrs
        if any(attrs[field].history.has_changes() for field in watched):
            _fill(mapper, target, columns)

    event.listen(model, "before_insert", before_insert)
    event.listen(model, "before_update", before_update)


__all__ = [
    "DERIVED",
    "FIELD_SEPARATOR",
    "SOURCES",
    "SOURCES_AT",
    "SPELLED_OUT",
    "column_text",
    "core_default",
    "derived_values",
    "fill",
    "fold",
    "install",
    "joined",
    "out_of_step",
    "spelled_out",
]
