"""The Requests filter, the media-list search and the board's filter (tests/core/
test_board_windows.py has more of it): any case in all of Unicode, any accents, every typed
word somewhere in any order (db.search_text, deskterm.core.matching), on a real SQLite file,
through every kind of write that keeps the folded columns in step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from db.engine import Database
from db.models import Contact, Request, Task
from db.schema import check
from deskterm.core import contacts, requests, tasks
from deskterm.core.contact_io import import_contacts, read_contacts

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


# --- requests ---------------------------------------------------------------------------------


@pytest.fixture
def desk(db: Database) -> Database:
    contacts.add_outlet(db, name="Parks Weekly", type="print")
    contacts.add_outlet(db, name="Zürcher Tagblatt", type="print")
    contacts.add_contact(db, name="Élodie Núñez", outlet="Parks Weekly")

    def add(subject: str, requester: str = "", outlet: str = "") -> None:
        requests.create_request(
            db, kind="media", subject=subject, requester=requester, outlet=outlet, now=NOW
        )

    add("Budget for the parks next year", requester="Sam Ortiz")  # 1: both words, other order
    add("What is the budget for benches?", requester="Élodie Núñez", outlet="Parks Weekly")  # 2
    add("Budget hearing date", requester="Rita Ames")  # 3: budget only
    add("Verkehr in der Straße", requester="JÜRGEN MÜLLER", outlet="Zürcher Tagblatt")  # 4
    add("Interview request", requester="Sofia Nunez")  # 5: written without accents
    return db


def open_subjects(db: Database, text: str) -> set[str]:
    return {r.subject for r in requests.list_open_requests(db, text=text, now=NOW)}


def numbers(db: Database, text: str) -> set[int]:
    return {r.id for r in requests.list_open_requests(db, text=text, now=NOW)}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ÉLODIE", {2}),  # upper-case non-ASCII finds mixed case
        ("élodie", {2}),
        ("elodie", {2}),  # accents left out find the accented name
        ("NUNEZ", {2, 5}),
        ("núñez", {2, 5}),  # accents typed find the name stored without them
        ("jürgen müller", {4}),  # lower case finds a name stored in capitals
        ("JURGEN", {4}),
        ("strasse", {4}),  # ß is ss
        ("STRASSE", {4}),
        ("zurcher", {4}),
        ("budget parks", {1, 2}),  # 1: both in the subject; 2: the outlet and the subject
        ("parks budget", {1, 2}),  # any order
        ("budget parks hearing", set()),  # one word missing: nothing
        ("budget elodie", {2}),  # a requester word and a subject word
        ('"parks weekly" budget', {2}),  # a phrase as written
        ('"weekly parks"', set()),  # ... and not in another order
        ("M-2026-0003", {3}),  # the tracking number
        ("", {1, 2, 3, 4, 5}),
    ],
)
def test_the_requests_filter(desk: Database, typed: str, expected: set[int]) -> None:
    assert numbers(desk, typed) == expected


def test_closed_requests_are_searched_the_same_way(desk: Database) -> None:
    found = requests.list_requests(desk, text="NÚÑEZ budget")
    assert [r.id for r in found] == [2]
    assert requests.list_requests(desk, text="nunez budget zoo") == []


def test_an_edit_is_searched_at_once_and_the_old_words_are_gone(desk: Database) -> None:
    before = requests.get_request(desk, 3)
    requests.update_request(desk, 3, before.version, subject="Ausschuss für Gebühren")
    assert numbers(desk, "gebuhren ausschuss") == {3}
    assert numbers(desk, "hearing") == set()


def test_the_linked_contact_and_outlet_are_found_by_the_names_the_desk_shows(
    desk: Database,
) -> None:
    """The pane shows a linked contact's (outlet's) current name instead of the typed text:
    after a rename the request is found by the new name, which is on its row."""
    elodie = contacts.find_contact(desk, 1)
    contacts.update_contact(desk, elodie.id, elodie.version, name="Hélène Dubois")
    outlet = contacts.find_outlet(desk, "Parks Weekly")
    assert outlet is not None
    contacts.update_outlet(desk, outlet.id, outlet.version, name="Gazette du Québec")
    shown = requests.get_request(desk, 2)
    assert (shown.requester, shown.outlet) == ("Hélène Dubois", "Gazette du Québec")
    assert numbers(desk, "helene quebec budget") == {2}


def test_a_word_only_in_the_questions_is_found(db: Database) -> None:
    requests.create_request(
        db, kind="media", subject="Bin collection", requester="Sam Ortiz",
        questions="Wie hoch sind die GEBÜHREN für die Müllabfuhr?\nAnd who decided?", now=NOW,
    )  # fmt: skip
    requests.create_request(db, kind="media", subject="Gebühren", requester="Rita Ames", now=NOW)
    assert numbers(db, "mullabfuhr") == {1}
    assert numbers(db, "gebuhren MULLABFUHR") == {1}  # the subject has one word, not both
    assert numbers(db, "gebuhren") == {1, 2}
    assert numbers(db, '"who decided" bin') == {1}  # a phrase within the questions
    assert [r.id for r in requests.list_requests(db, text="müllabfuhr ortiz")] == [1]
    before = requests.get_request(db, 1)
    requests.update_request(db, 1, before.version, questions="Who pays for the new bins?")
    assert numbers(db, "mullabfuhr") == set()
    assert numbers(db, "pays bins") == {1}
    assert check(db).ok


def test_search_text_is_not_an_audited_change(desk: Database) -> None:
    from db.models import AuditLog

    with desk.read() as session:
        changes = [row.changes for row in session.query(AuditLog)]
    assert changes and not any("search_" in text for text in changes)


# --- the media list ---------------------------------------------------------------------------


@pytest.fixture
def media(db: Database) -> Database:
    contacts.add_outlet(db, name="Radio Zürich", type="radio", website="https://zuri.example")
    contacts.add_outlet(db, name="Parks Weekly", type="print")
    contacts.add_contact(db, name="Élodie Núñez", outlet="Parks Weekly", beat="City budget")
    contacts.add_contact(db, name="ANDRÉ STRAßMANN", outlet="Radio Zürich", beat="Transit")
    contacts.add_contact(db, name="Sofia Nunez", outlet="Radio Zürich", email="sofia@zuri.example")
    contacts.add_contact(db, name="Dana Park", beat="Budget", social="@ParksDana")
    return db


def contact_names(db: Database, text: str) -> set[str]:
    return {c.name for c in contacts.search_contacts(db, text)}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ÉLODIE", {"Élodie Núñez"}),
        ("elodie", {"Élodie Núñez"}),
        ("nunez", {"Élodie Núñez", "Sofia Nunez"}),
        ("NÚÑEZ", {"Élodie Núñez", "Sofia Nunez"}),
        ("andré straßmann", {"ANDRÉ STRAßMANN"}),  # lower case finds capitals, ß as typed
        ("strassmann", {"ANDRÉ STRAßMANN"}),
        ("zurich", {"ANDRÉ STRAßMANN", "Sofia Nunez"}),  # the outlet's name
        ("budget parks", {"Élodie Núñez", "Dana Park"}),  # beat + outlet; beat + social
        ("parks budget elodie", {"Élodie Núñez"}),
        ("budget parks transit", set()),
        ('"parks weekly"', {"Élodie Núñez"}),
    ],
)
def test_the_contacts_search(media: Database, typed: str, expected: set[str]) -> None:
    assert contact_names(media, typed) == expected


def test_list_contacts_searches_the_same_way(media: Database) -> None:
    assert {c.name for c in contacts.list_contacts(media, text="NUNEZ zurich")} == {"Sofia Nunez"}


def test_the_outlets_search(media: Database) -> None:
    def names(text: str) -> set[str]:
        return {o.name for o in contacts.search_outlets(media, text)}

    assert names("ZURICH") == {"Radio Zürich"}
    assert names("radio zürich") == {"Radio Zürich"}
    assert names("zuri.example RADIO") == {"Radio Zürich"}
    assert names("print weekly") == {"Parks Weekly"}
    assert names("print zurich") == set()


def test_edits_and_renamed_outlets_are_searched_at_once(media: Database) -> None:
    dana = next(iter(contacts.search_contacts(media, "dana")))
    contacts.update_contact(media, dana.id, dana.version, name="Dana Ólafsdóttir", beat="Ports")
    assert contact_names(media, "olafsdottir") == {"Dana Ólafsdóttir"}
    assert contact_names(media, "dana budget") == set()
    radio = contacts.find_outlet(media, "radio zürich")
    assert radio is not None
    contacts.update_outlet(media, radio.id, radio.version, name="Rádió Genève")
    assert contact_names(media, "geneve") == {"ANDRÉ STRAßMANN", "Sofia Nunez"}
    assert contact_names(media, "zurich") == set()


def test_imported_contacts_are_searchable(db: Database) -> None:
    data = "name,email,outlet,beat\nJosé Ñúñez,jose@x.example,Diário Popular,Câmara\n".encode()
    report = import_contacts(db, read_contacts(data, source="list.csv"))
    assert report.added == 1
    assert contact_names(db, "jose NUNEZ camara diario") == {"José Ñúñez"}
    assert [o.name for o in contacts.search_outlets(db, "diario")] == ["Diário Popular"]


def test_core_bulk_inserts_fill_the_search_text(db: Database) -> None:
    """Writes that go around the ORM (the bench generator, bulk loads) are kept in step by
    the columns' default: a Core executemany without the folded columns."""
    with db.transaction() as session:
        session.execute(
            insert(Contact),
            [{"name": "Zoë Ångström", "beat": "Öffentlicher Verkehr"}, {"name": "Plain Name"}],
        )
        session.execute(
            insert(Request),
            [
                {
                    "number": "M-2026-0900",
                    "kind": "media",
                    "subject": "Çevre bütçesi",
                    "requester_name": "İLKNUR ŞAHİN",
                    "received_at": NOW,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )
        session.execute(
            insert(Task),
            [
                {"title": "Élan statement", "kind": "statement", "status": "drafting"},
                {"title": "Straße works", "status": "backlog"},  # the kind's default: other
            ],
        )
    assert contact_names(db, "zoe angstrom offentlicher") == {"Zoë Ångström"}
    assert numbers(db, "ilknur sahin cevre") == {1}
    found = tasks.board(db, text="ELAN statement")
    assert [c.title for col in found for c in col.cards] == ["Élan statement"]
    found = tasks.board(db, text="strasse other")
    assert [c.title for col in found for c in col.cards] == ["Straße works"]
    assert check(db).ok


def test_every_write_above_leaves_the_search_text_in_step(desk: Database) -> None:
    assert check(desk).ok
