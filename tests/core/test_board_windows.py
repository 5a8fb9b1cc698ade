"""Windows of a board column read by key: every card once, in order, whatever changes
between two page loads; counts and the "/" filter in SQL over the whole column."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from db.enums import TaskKind, TaskStatus
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff
from deskterm.core.tasks import (
    CardFilter,
    ColumnWindow,
    TaskRecord,
    WindowAt,
    board,
    column_window,
    column_windows,
)
from tests.core.cards import seed_cards

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def order(cards: list[TaskRecord]) -> list[TaskRecord]:
    """The board's order, worked out in Python: due soonest first, undated last, then id."""
    return sorted(cards, key=lambda c: (c.due_at is None, c.due_at or T0, c.id))


def pages_down(db, status, limit: int, card_filter=None) -> Iterator[ColumnWindow]:
    window = column_window(db, status, WindowAt(limit=limit), card_filter=card_filter)
    yield window
    while window.more_after:
        last = window.cards[-1]
        window = column_window(
            db, status, WindowAt(limit=limit, after=(last.due_at, last.id)), card_filter=card_filter
        )
        yield window


@pytest.fixture
def crowded(db):
    """260 drafts with many ties in due date and a fifth undated, around other columns."""
    rng = random.Random(7)
    dues = [T0 + timedelta(hours=rng.randrange(12)) if rng.random() > 0.2 else None
            for _ in range(260)]  # fmt: skip
    drafts = seed_cards(db, [{"title": f"draft {i}", "status": "drafting", "due_at": due}
                             for i, due in enumerate(dues)])  # fmt: skip
    others = ["backlog", "in_review", "archived"] * 5
    seed_cards(db, [{"title": f"other {i}", "status": status, "due_at": T0}
                    for i, status in enumerate(others)])  # fmt: skip
    return db, order(drafts)


def test_pages_down_cover_every_card_once_in_order_with_ties_and_undated(crowded):
    db, expected = crowded
    assert len({c.due_at for c in expected if c.due_at}) <= 12  # ties: ~20 cards a due time
    seen: list[TaskRecord] = []
    for window in pages_down(db, TaskStatus.DRAFTING, limit=7):
        assert window.count == 260
        assert window.offset == len(seen)  # where the window is, counted along the index
        seen.extend(window.cards)
    assert [c.id for c in seen] == [c.id for c in expected]


def test_pages_up_from_the_last_window_cover_every_card_once(crowded):
    db, expected = crowded
    window = column_window(db, "drafting", WindowAt(limit=9, last=True))
    assert window.offset == 260 - 9 and not window.more_after
    seen = list(window.cards)
    while window.more_before:
        first = window.cards[0]
        window = column_window(db, "drafting", WindowAt(limit=9, before=(first.due_at, first.id)))
        assert window.offset + len(window.cards) == 260 - len(seen)
        seen[:0] = window.cards
    assert window.offset == 0
    assert [c.id for c in seen] == [c.id for c in expected]


def test_a_window_around_a_card_holds_it_with_its_lead(crowded):
    db, expected = crowded
    for index in (0, 5, 130, 200, 255, 259):  # dated, undated, near either end
        card = expected[index]
        window = column_window(
            db, "drafting", WindowAt(limit=20, around=(card.due_at, card.id), lead=6)
        )
        ids = [c.id for c in window.cards]
        assert card.id in ids
        assert ids == [c.id for c in expected[window.offset : window.offset + len(ids)]]
        assert len(ids) == 20  # topped up from before the card where the column ends
        assert ids.index(card.id) == min(index, max(6, 20 - (260 - index)))


def test_pages_after_inserts_and_moves_between_loads_skip_and_repeat_nothing(crowded):
    db, expected = crowded
    first = column_window(db, "drafting", WindowAt(limit=50))
    last = first.cards[-1]
    # Another desk adds cards on both sides of the window's edge (ties with it too, and
    # undated ones), and moves a card that was already shown to the end of the column.
    added = seed_cards(db, [
        {"title": "new early", "status": "drafting", "due_at": T0 - timedelta(days=1)},
        {"title": "new tie", "status": "drafting", "due_at": last.due_at},
        {"title": "new late", "status": "drafting", "due_at": T0 + timedelta(days=2)},
        {"title": "new undated", "status": "drafting", "due_at": None},
    ])  # fmt: skip
    seen = list(first.cards)
    after = (last.due_at, last.id)
    while True:
        window = column_window(db, "drafting", WindowAt(limit=50, after=after))
        if not window.cards:
            break
        assert window.offset == len(seen) + 1  # "new early" came in before the window
        seen.extend(window.cards)
        after = (window.cards[-1].due_at, window.cards[-1].id)
    ids = [c.id for c in seen]
    assert len(ids) == len(set(ids))  # nothing twice
    assert set(ids) >= {c.id for c in expected}  # nothing that was there is skipped
    now_order = order([*expected, *added])
    assert ids == [c.id for c in now_order if c.title != "new early"]


def test_the_filter_finds_card_500_of_600_in_sql(db):
    add_staff(db, initials="QZ", name="Quinn Zed", role="pio")
    cards = seed_cards(db, [{"title": f"Routine statement {i}", "status": "backlog",
                             "due_at": T0 + timedelta(minutes=i)} for i in range(600)])  # fmt: skip
    seed_cards(db, [{"title": "Harbor terminal op-ed", "status": "backlog",
                     "due_at": T0 + timedelta(minutes=499, seconds=30)}])  # fmt: skip
    found = column_window(db, "backlog", WindowAt(limit=50), card_filter=CardFilter(text="HARBOR"))
    assert (found.count, [c.title for c in found.cards]) == (1, ["Harbor terminal op-ed"])
    card_500 = cards[499]
    found = column_window(db, "backlog", WindowAt(limit=50), card_filter=CardFilter(text="t 499"))
    assert [c.id for c in found.cards] == [card_500.id]

    # Each typed word in the title, the owner's initials or the kind.
    seed_cards(db, [{"title": "Column on fares", "status": "drafting", "owner": "QZ"},
                    {"title": "Water column", "status": "drafting", "kind": "op_ed"},
                    {"title": "100% sure_thing", "status": "drafting"}])  # fmt: skip
    by_owner = board(db, per_column=5, text="qz")
    assert [c.title for col in by_owner for c in col.cards] == ["Column on fares"]
    by_kind = board(db, per_column=5, text="OP_ED")  # the kind's own name
    assert [c.title for col in by_kind for c in col.cards] == ["Water column"]
    literal = board(db, per_column=5, text="0% s")  # LIKE's % and _ are plain characters
    assert [c.title for col in literal for c in col.cards] == ["100% sure_thing"]
    assert sum(col.count for col in board(db, per_column=0, text="t_1")) == 0  # not "statement 1"
    counts = [col.count for col in board(db, per_column=0, text="statement")]
    assert counts == [600, 0, 0, 0, 0]  # the filtered totals, not the columns' sizes
    assert TaskKind.OP_ED.value == "op_ed"


def test_counts_and_due_soon_are_of_the_matching_cards(db):
    seed_cards(db, [
        {"title": "late", "status": "drafting", "due_at": T0 - timedelta(hours=3)},
        {"title": "soon", "status": "drafting", "due_at": T0 + timedelta(hours=3)},
        {"title": "later", "status": "drafting", "due_at": T0 + timedelta(days=3)},
        {"title": "undated", "status": "drafting", "due_at": None},
        {"title": "out", "status": "published", "due_at": T0},
    ])  # fmt: skip
    soon = CardFilter(due_by=T0 + timedelta(hours=24))
    windows = column_windows(db, {"drafting": WindowAt(), "published": WindowAt()},
                             card_filter=soon)  # fmt: skip
    assert [c.title for c in windows[TaskStatus.DRAFTING].cards] == ["late", "soon"]
    assert windows[TaskStatus.DRAFTING].count == 2
    assert windows[TaskStatus.PUBLISHED].count == 0 and not windows[TaskStatus.PUBLISHED].cards
    assert [c.count for c in board(db, per_column=0, due_by=T0 + timedelta(hours=24))] == [
        0, 2, 0, 0, 0
    ]  # fmt: skip


def test_windows_never_use_offset(crowded):
    db, expected = crowded
    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        middle = expected[130]
        for at in (WindowAt(limit=30), WindowAt(limit=30, last=True),
                   WindowAt(limit=30, after=(middle.due_at, middle.id)),
                   WindowAt(limit=30, before=(middle.due_at, middle.id)),
                   WindowAt(limit=30, around=(middle.due_at, middle.id), lead=10)):  # fmt: skip
            column_window(db, "drafting", at, card_filter=CardFilter(text="draft"))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    reads = [(s, p) for s, p in statements if "FROM tasks" in s and "count(" not in s]
    assert len(reads) >= 5 and all("LIMIT ?" in s for s, _p in reads)
    # SQLAlchemy's SQLite dialect writes "LIMIT ? OFFSET ?" for any LIMIT: always 0 here
    assert all(s.endswith("LIMIT ? OFFSET ?") and p[-1] == 0 for s, p in reads)  # type: ignore[index]


def test_a_window_is_asked_for_in_one_way(db):
    with pytest.raises(InputError):
        column_window(db, "drafting", WindowAt(after=(None, 1), last=True))
    with pytest.raises(InputError):
        column_window(db, "drafting", WindowAt(limit=0))
    with pytest.raises(InputError):
        column_window(db, "drafting", WindowAt(after=(datetime(2026, 5, 4), 1)))  # naive


# --- the "/" filter: every word, any case, any accents (deskterm.core.matching) -------------


@pytest.fixture
def accented(db):
    """Cards whose titles need Unicode folding, across the columns, with noise around them."""
    add_staff(db, initials="QZ", name="Quinn Zed", role="pio")
    seed_cards(db, [
        {"title": "Élan vital campaign launch", "status": "backlog", "due_at": T0},
        {"title": "Straße closures: detour map", "status": "drafting", "kind": "statement"},
        {"title": "Profile of Inés Núñez", "status": "in_review", "owner": "QZ",
         "due_at": T0 + timedelta(hours=1)},
        {"title": "NÚÑEZ quote for the ÉLAN gala", "status": "approved", "due_at": T0},
        {"title": "Budget note", "status": "published", "kind": "op_ed", "owner": "QZ"},
        {"title": "Elan archived long ago", "status": "archived"},  # never on the board
        *({"title": f"Routine item {i}", "status": "backlog"} for i in range(20)),
    ])  # fmt: skip
    return db


BOARD_STATUSES = ("backlog", "drafting", "in_review", "approved", "published")


def titles(db, text: str) -> set[str]:
    return {card.title for col in board(db, per_column=50, text=text) for card in col.cards}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("elan", {"Élan vital campaign launch", "NÚÑEZ quote for the ÉLAN gala"}),
        ("ÉLAN", {"Élan vital campaign launch", "NÚÑEZ quote for the ÉLAN gala"}),
        ("STRASSE", {"Straße closures: detour map"}),
        ("straße", {"Straße closures: detour map"}),
        ("nunez", {"Profile of Inés Núñez", "NÚÑEZ quote for the ÉLAN gala"}),
        ("ines NUNEZ", {"Profile of Inés Núñez"}),
        ("nunez profile", {"Profile of Inés Núñez"}),  # any order
        ("campaign elan", {"Élan vital campaign launch"}),
        ("tour", {"Straße closures: detour map"}),  # inside a word
        ('"elan vital"', {"Élan vital campaign launch"}),  # a phrase as written
        ('"vital elan"', set()),  # ... not in another order
        ('"élan vital" launch', {"Élan vital campaign launch"}),
        ("elan zzzz", set()),  # one word missing: nothing
        ("statement strasse", {"Straße closures: detour map"}),  # the kind and the title
        ("op_ed budget", {"Budget note"}),
        ("qz nunez", {"Profile of Inés Núñez"}),  # the owner's initials and the title
        ("qz", {"Profile of Inés Núñez", "Budget note"}),
        ("QZ op_ed", {"Budget note"}),
    ],
)
def test_the_filter_finds_every_word_in_any_case_and_without_accents(accented, typed, expected):
    assert titles(accented, typed) == expected
    windows = column_windows(
        accented,
        {status: WindowAt(limit=50) for status in BOARD_STATUSES},
        card_filter=CardFilter(text=typed),
    )
    assert {c.title for w in windows.values() for c in w.cards} == expected


def test_counts_per_column_are_of_the_cards_the_words_find(accented):
    assert [col.count for col in board(accented, per_column=0, text="ELAN")] == [1, 0, 0, 1, 0]
    assert [col.count for col in board(accented, per_column=0, text="nunez")] == [0, 0, 1, 1, 0]
    windows = column_windows(
        accented, {s: WindowAt(limit=1) for s in BOARD_STATUSES}, card_filter=CardFilter("qz")
    )
    assert [windows[TaskStatus(s)].count for s in BOARD_STATUSES] == [0, 0, 1, 0, 1]
    # with "mine" too: both conditions
    assert [col.count for col in board(accented, per_column=0, owner="QZ", text="nunez")] == [
        0, 0, 1, 0, 0
    ]  # fmt: skip


def test_an_edit_is_found_by_its_new_words_at_once(accented):
    from deskterm.core.tasks import get_task, update_task

    card = next(c for col in board(accented, text="budget note") for c in col.cards)
    update_task(accented, card.id, card.version, title="Øresund ferry op-ed", kind="statement")
    assert titles(accented, "oresund STATEMENT") == {"Øresund ferry op-ed"}
    assert titles(accented, "budget") == set()
    assert get_task(accented, card.id).kind is TaskKind.STATEMENT


def test_pages_under_a_word_filter_cover_every_matching_card_once_in_order(db):
    """Matching and other cards interleaved in one column, with ties and undated ones: the
    filtered windows page down and up through exactly the matching cards."""
    rng = random.Random(11)
    cards = seed_cards(db, [
        {"title": f"{'Núñez interview' if i % 3 else 'Other story'} {i}", "status": "drafting",
         "due_at": T0 + timedelta(hours=rng.randrange(6)) if rng.random() > 0.2 else None}
        for i in range(240)
    ])  # fmt: skip
    expected = order([c for c in cards if c.title.startswith("Núñez")])
    wanted = CardFilter(text="INTERVIEW nunez")
    seen: list[TaskRecord] = []
    for window in pages_down(db, "drafting", limit=7, card_filter=wanted):
        assert window.count == len(expected) == 160
        assert window.offset == len(seen)
        seen.extend(window.cards)
    assert [c.id for c in seen] == [c.id for c in expected]

    window = column_window(db, "drafting", WindowAt(limit=9, last=True), card_filter=wanted)
    back = list(window.cards)
    while window.more_before:
        first = window.cards[0]
        window = column_window(
            db, "drafting", WindowAt(limit=9, before=(first.due_at, first.id)), card_filter=wanted
        )
        assert window.offset + len(window.cards) == 160 - len(back)
        back[:0] = window.cards
    assert [c.id for c in back] == [c.id for c in expected]

    middle = expected[80]
    around = column_window(
        db, "drafting", WindowAt(limit=11, around=(middle.due_at, middle.id), lead=5),
        card_filter=wanted,
    )  # fmt: skip
    assert [c.id for c in around.cards] == [c.id for c in expected[75:86]]
    assert around.offset == 75
