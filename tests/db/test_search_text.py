"""db.search_text and deskterm.core.matching: how text is folded for searching and how typed
text becomes words; ``out_of_step`` finds rows a write left behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from db.engine import Database
from db.schema import check
from db.search_text import derived_values, fold, spelled_out
from deskterm.core import contacts
from deskterm.core.errors import InputError
from deskterm.core.matching import MAX_WORDS, search_terms, search_words


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ÉLODIE", "élodie"),
        ("elodie", "Élodie"),
        ("Nunez", "Núñez"),
        ("NÚÑEZ", "nunez"),
        ("strasse", "Straße"),
        ("STRASSE", "straße"),
        ("ΣΟΦΊΑ", "σοφία"),  # Greek capitals and the final sigma
        ("lukasz", "Łukasz"),
        ("soren", "Søren"),
        ("ﬁnance", "Finance"),  # a ligature typed from a PDF
    ],
)
def test_fold_makes_both_spellings_one(typed: str, stored: str) -> None:
    assert fold(typed) == fold(stored)


def test_typed_words_and_phrases() -> None:
    assert search_words('  Núñez  "Parks   Weekly"  nunez ') == ["nunez", "parks weekly"]
    assert search_words("“budget parks”") == ["budget parks"]  # typographic quotes too
    assert search_words('"parks wee') == ["parks wee"]  # an unfinished quote while typing
    assert search_words("") == search_words(None) == search_words('""') == []


def test_a_pasted_page_is_refused_in_one_line() -> None:
    with pytest.raises(InputError) as caught:
        search_words(" ".join(f"w{i}" for i in range(MAX_WORDS + 1)), field="text")
    assert caught.value.field == "text"
    assert "\n" not in str(caught.value)


def test_fields_are_joined_so_a_phrase_never_spans_two() -> None:
    values = {"name": "Parks", "email": None, "beat": "Weekly", "social": ""}
    assert derived_values("contacts", values) == {
        "search_name": "parks",
        "search_text": "parks\nweekly",
    }


def test_check_finds_a_row_written_around_the_hooks(db: Database, db_path: Path) -> None:
    contacts.add_contact(db, name="Élodie Núñez")
    assert check(db).ok
    raw = sqlite3.connect(db_path)
    try:
        raw.execute("UPDATE contacts SET name = 'Someone Else'")  # not through deskterm
        raw.commit()
    finally:
        raw.close()
    result = check(db)
    assert not result.ok
    assert result.integrity == ["search text of 1 contacts out of step (ids 1)"]


def test_check_finds_a_task_written_around_the_hooks(db: Database, db_path: Path, capsys) -> None:
    """A card's title changed by another tool: `deskterm check` names the card, as it does
    for requests and the media list."""
    from deskterm.cli import main
    from deskterm.core import tasks

    tasks.create_task(db, title="Élan campaign", kind="statement")
    tasks.create_task(db, title="Straße works")
    assert check(db).ok
    raw = sqlite3.connect(db_path)
    try:
        raw.execute("UPDATE tasks SET title = 'Something else' WHERE id = 2")
        raw.commit()
    finally:
        raw.close()
    assert check(db).integrity == ["search text of 1 tasks out of step (ids 2)"]
    capsys.readouterr()
    assert main(["--db", str(db_path), "check"]) == 1
    out, err = capsys.readouterr()
    assert out == "integrity: search text of 1 tasks out of step (ids 2)\n"
    assert "check failed: 1 integrity problem(s)" in err


def test_a_tasks_search_text_is_its_title_and_kind() -> None:
    assert derived_values("tasks", {"title": "Élan: Straße", "kind": "press_release"}) == {
        "search_text": "elan: strasse\npress_release"
    }


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("Jürgen Müller", "juergen mueller"),
        ("MÖLLER", "moeller"),
        ("Søren Ålund", "soeren aalund"),
        ("Bja\u0308rne", "bjaerne"),  # the umlaut typed as a combining mark
        ("Núñez", None),  # one spelling only: accents are dropped, nothing is spelled out
        ("Mueller", None),
        ("", None),
    ],
)
def test_names_written_two_ways_are_spelled_out(name: str, spelled: str | None) -> None:
    assert spelled_out(name) == spelled


def test_search_text_holds_both_spellings_and_the_name_one() -> None:
    """The spelled-out form follows its field on a line of its own (a phrase never spans
    two fields); ``search_name``, which links a typed name to its row, has one spelling."""
    values = {"name": "Jürgen Müller", "email": None, "beat": "Bürgeramt", "social": "@jm"}
    assert derived_values("contacts", values) == {
        "search_name": "jurgen muller",
        "search_text": "jurgen muller\njuergen mueller\nburgeramt\nbuergeramt\n@jm",
    }


def test_a_typed_word_with_an_umlaut_is_looked_for_both_ways() -> None:
    assert search_terms('Müller "Søren Å" Nunez MULLER') == [
        ("muller", "mueller"),
        ("soren a", "soeren aa"),
        ("nunez",),
    ]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("mueller", {"Jürgen Müller", "Hans Mueller"}),
        ("MULLER", {"Jürgen Müller"}),  # the plain fold, as before
        ("müller", {"Jürgen Müller", "Hans Mueller"}),  # typed with the umlaut: both ways
        ("soeren", {"Søren Ålund"}),
        ("aalund", {"Søren Ålund"}),
        ('"juergen mueller"', {"Jürgen Müller"}),  # a phrase in the other spelling
        ("muir", {"Joel Muir"}),
    ],
)
def test_the_media_list_finds_a_name_in_either_spelling(db: Database, typed, found) -> None:
    for name in ("Jürgen Müller", "Hans Mueller", "Søren Ålund", "Joel Muir"):
        contacts.add_contact(db, name=name)
    assert {c.name for c in contacts.search_contacts(db, typed)} == found
