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

Names with umlauts and Scandinavian letters are written two ways ("Müller", "Mueller"): the
stored ``search_text`` holds both of a stored name, and a typed word with such letters is
looked for in both spellings too (``db.search_text.spelled_out``), so "mueller" finds
"Müller" and "Müller" finds "Mueller".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, or_

from db.search_text import fold, spelled_out
from deskterm.core.errors import InputError

#: More words than this are refused (each word is a condition; a pasted page is not a search).
MAX_WORDS = 32


def search_terms(text: str | None, *, field: str = "search") -> list[tuple[str, ...]]:
    """The words and "quoted phrases" of ``text``, each once, in the order typed, each as
    its spellings: folded, then spelled out when it has letters written two ways.

    >>> search_terms('Müller "parks  weekly" MULLER')
    [('muller', 'mueller'), ('parks weekly',)]
    """
    if not text:
        return []
    # NFKC first, as ``fold`` does, so a full-width quote is a quote too
    typed = unicodedata.normalize("NFKC", text).replace("\u201c", '"').replace("\u201d", '"')
    parts: list[str] = []
    for number, part in enumerate(typed.split('"')):
        if number % 2:  # inside quotes: one phrase
            parts.append(part.strip())
        else:
            parts.extend(part.split())
    terms: dict[str, tuple[str, ...]] = {}
    for part in parts:
        folded = fold(part)
        if folded and folded not in terms:
            other = spelled_out(part)
            terms[folded] = (folded,) if other is None or other == folded else (folded, other)
    if len(terms) > MAX_WORDS:
        raise InputError(f"search for at most {MAX_WORDS} words at once", field=field)
    return list(terms.values())


def search_words(text: str | None, *, field: str = "search") -> list[str]:
    """The folded words and "quoted phrases" of ``text``, each once, in the order typed.

    >>> search_words('Núñez "parks  weekly" nunez')
    ['nunez', 'parks weekly']
    """
    return [spellings[0] for spellings in search_terms(text, field=field)]


def every_word(
    text: str | None,
    *columns: Any,
    field: str = "search",
    also: Callable[[str], ColumnElement[bool] | None] | None = None,
) -> list[ColumnElement[bool]]:
    """One condition per typed word: it is in one of the folded ``columns`` in one of its
    spellings (or ``also``'s condition for that folded word holds, when it gives one: the
    board's owner initials, matched against the staff list rather than stored).

    No words, no conditions (everything matches)."""
    conditions = []
    for spellings in search_terms(text, field=field):
        found = [
            column.contains(spelling, autoescape=True)
            for spelling in spellings
            for column in columns
        ]
        extra = also(spellings[0]) if also is not None else None
        if extra is not None:
            found.append(extra)
        conditions.append(or_(*found))
    return conditions


__all__ = ["MAX_WORDS", "every_word", "search_terms", "search_words"]
