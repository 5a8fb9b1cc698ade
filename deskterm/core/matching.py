"""What a typed search means for the Requests filter, the media list and the board's filter (CLI
and desk alike).

Every word must be found somewhere (in any of the searched fields, in any order), in any case
and with or without its accents: "elodie" finds "Élodie", "STRASSE" finds "Straße", and
"budget parks" finds "Parks Weekly" asking about the budget. Words are found inside longer
words too ("garc" finds "García"), as the pane filters while you type. A "quoted phrase" is
found as it is written (its words together, in that order, in one field); an unfinished quote
runs to the end of the text.

The typed text is folded by ``db.search_text.fold``, the function that filled the stored
``search_text``/``search_name`` columns, so both sides compare the same way; the condition is
a portable ``LIKE`` per word and column (case plays no part: both sides are folded already).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, or_

from db.search_text import fold
from deskterm.core.errors import InputError

#: More words than this are refused (each word is a condition; a pasted page is not a search).
MAX_WORDS = 32


def search_words(text: str | None, *, field: str = "search") -> list[str]:
    """The folded words and "quoted phrases" of ``text``, each once, in the order typed.

    >>> search_words('Núñez "parks  weekly" nunez')
    ['nunez', 'parks weekly']
    """
    if not text:
        return []
    folded = fold(text.replace("\u201c", '"').replace("\u201d", '"'))
    words: list[str] = []
    for number, part in enumerate(folded.split('"')):
        if number % 2:  # inside quotes: one phrase
            words.append(part.strip())
        else:
            words.extend(part.split())
    words = list(dict.fromkeys(word for word in words if word))
    if len(words) > MAX_WORDS:
        raise InputError(f"search for at most {MAX_WORDS} words at once", field=field)
    return words


def every_word(
    text: str | None,
    *columns: Any,
    field: str = "search",
    also: Callable[[str], ColumnElement[bool] | None] | None = None,
) -> list[ColumnElement[bool]]:
    """One condition per typed word: it is in one of the folded ``columns`` (or ``also``'s
    condition for that folded word holds, when it gives one: the board's owner initials,
    matched against the staff list rather than stored).

    No words, no conditions (everything matches)."""
    conditions = []
    for word in search_words(text, field=field):
        found = [column.contains(word, autoescape=True) for column in columns]
        extra = also(word) if also is not None else None
        if extra is not None:
            found.append(extra)
        conditions.append(or_(*found))
    return conditions


__all__ = ["MAX_WORDS", "every_word", "search_words"]
