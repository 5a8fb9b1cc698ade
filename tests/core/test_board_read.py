"""The board's first windows read with sqlite3 alone (``deskterm.core.board_read``) are
exactly what the domain functions read: the same records, field by field, in the same
order, with the same counts, on cards of every kind the board holds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import Priority, TaskKind, TaskStatus
from deskterm.core.board_read import first_windows, unfiltered_board
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff
from deskterm.core.tasks import BOARD_COLUMNS, WindowAt, board, column_windows, update_task
from tests.core.cards import seed_cards

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TITLES = (
    "Budget statement",
    "Élan vital · Straße 東京 ✓",
    "[bold red]not markup[/]",
    "<b>tags</b> & ampersands",
    "line\nbreak\tand tab",
    "Müller's \\ backslash 'quotes' \"double\"",
    "",
    "x" * 400,
)


def _dues(rng: random.Random, count: int, *, undated: float) -> list[datetime | None]:
    """Due times over several days, overdue ones, ties (a few fixed instants), times with
    microseconds and in another zone, and a share of undated cards."""
    ties = [T0, T0 + timedelta(hours=3), T0 - timedelta(days=2)]
    new_york = ZoneInfo("America/New_York")
    dues: list[datetime | None] = []
    for _ in range(count):
        roll = rng.random()
        if roll < undated:
            dues.append(None)
        elif roll < undated + 0.3:
            dues.append(rng.choice(ties))
        else:
            moment = T0 + timedelta(minutes=rng.randrange(-5 * 24 * 60, 9 * 24 * 60))
            moment += timedelta(microseconds=rng.randrange(1_000_000))
            dues.append(moment.astimezone(new_york) if rng.random() < 0.3 else moment)
    return dues


def _fill(db, statuses: list[str], *, undated: float, seed: int) -> None:
    rng = random.Random(seed)
    staff_ids = [
        add_staff(db, initials=initials, name=name, role="pio", can_approve=True).id
        for initials, name in (("QZ", "Quinn Zed"), ("MB", "Mára Bell"))
    ]
    dues = _dues(rng, len(statuses), undated=undated)
    cards = []
    for number, (status, due) in enumerate(zip(statuses, dues, strict=True)):
        signed = status in ("approved", "published", "archived") and rng.random() < 0.8
        cards.append(
            {
                "title": f"{rng.choice(TITLES)} {number}",
                "status": status,
                "due_at": due,
                "owner": rng.choice([None, "QZ", "MB"]),
                "reviewer_id": rng.choice([None, *staff_ids]),
                "approved_by_id": rng.choice(staff_ids) if signed else None,
                "approved_at": T0 - timedelta(hours=rng.randrange(100)) if signed else None,
                "publish_at": rng.choice([None, T0 + timedelta(days=rng.randrange(-3, 4))]),
                "kind": rng.choice(list(TaskKind)),
                "priority": rng.choice(list(Priority)),
                "channels": rng.choice(["", "web", "web, social ,, print", " "]),
                "language": rng.choice(["en", "es", "fr-CA"]),
                "translations_owed": rng.choice(["", "es", "es,zh"]),
                "body": rng.choice(["", "draft\n\nsecond paragraph", "[link](x) **bold**"]),
                "draft_link": rng.choice([None, "https://drive.example/d/1", "/shared/x.docx"]),
                "published_url": "https://city.example/news/1" if status == "published" else None,
            }
        )
    seeded = seed_cards(db, cards)
    for card in rng.sample(seeded, k=min(8, len(seeded))):  # versions other than 1
        if card.status is not TaskStatus.ARCHIVED:
            update_task(db, card.id, card.version, priority="urgent", body="edited")


def _every_status(rng: random.Random, count: int) -> list[str]:
    weights = {"backlog": 3, "drafting": 4, "in_review": 2, "approved": 2, "published": 3}
    weights["archived"] = 4
    return rng.choices(list(weights), weights=list(weights.values()), k=count)


@pytest.fixture(params=["varied", "sparse", "empty"])
def board_db(request, db):
    """``varied``: 300 cards in every column (archived too), a quarter undated; ``sparse``:
    no Approved card, In review undated only, one Published card; ``empty``: no card."""
    if request.param == "varied":
        _fill(db, _every_status(random.Random(3), 300), undated=0.25, seed=11)
    elif request.param == "sparse":
        statuses = ["backlog"] * 40 + ["drafting"] * 9 + ["published"] + ["archived"] * 20
        _fill(db, statuses, undated=0.4, seed=5)
        seed_cards(db, [{"title": f"undated {i}", "status": "in_review"} for i in range(12)])
    return db


def _strictly_equal(mine, theirs) -> None:
    assert mine == theirs
    # == lets a str pass for its StrEnum and any zone for UTC: the reprs tell them apart
    # (compared a column at a time: one diff of two long reprs takes pytest minutes)
    for column, other in zip(_columns(mine), _columns(theirs), strict=True):
        cards = zip(column.cards, other.cards, strict=True)
        first = next(((a, b) for a, b in cards if repr(a) != repr(b)), None)
        assert repr(column) == repr(other), (column.status, first)


def _columns(found):
    return list(found.values()) if isinstance(found, dict) else list(found)


@pytest.mark.parametrize("per_column", [0, 1, 4, 7, 60, 1000])
def test_unfiltered_board_is_the_domain_board(board_db, per_column):
    mine = unfiltered_board(board_db.file, per_column)
    _strictly_equal(mine, board(board_db, per_column=per_column))
    assert [column.status for column in mine] == list(BOARD_COLUMNS)


def test_the_data_holds_what_the_reader_must_get_right(db):
    """The varied cards have ties, undated cards after dated ones in a column's first 60,
    and times read back in UTC: the comparisons above are not of easy cases only."""
    _fill(db, _every_status(random.Random(3), 300), undated=0.25, seed=11)
    columns = unfiltered_board(db.file, 60)
    cards = [card for column in columns for card in column.cards]
    dues = [card.due_at for card in cards if card.due_at is not None]
    assert len(dues) > len(set(dues))  # ties in the sort key
    for column in columns:
        dated = [card.due_at is not None for card in column.cards]
        assert dated == sorted(dated, reverse=True)  # undated last
        assert True in dated and False in dated
    assert {card.due_at.tzinfo for card in cards if card.due_at} == {UTC}
    assert any(card.owner is None for card in cards) and any(card.owner for card in cards)
    assert any(card.version > 1 for card in cards)
    assert sum(column.count for column in columns) < 300  # archived is not on the board


def test_first_windows_are_the_domain_windows_from_each_first_card(board_db):
    limits = {
        TaskStatus.BACKLOG: 1,
        TaskStatus.DRAFTING: 7,
        TaskStatus.IN_REVIEW: 60,
        TaskStatus.APPROVED: 3,
        TaskStatus.PUBLISHED: 300,
    }
    mine = first_windows(board_db.file, limits)
    theirs = column_windows(board_db, {s: WindowAt(limit=n) for s, n in limits.items()})
    _strictly_equal(mine, theirs)
    some = {TaskStatus.DRAFTING: 5, TaskStatus.ARCHIVED: 5}  # archived: no column, no cards
    theirs = column_windows(board_db, {s: WindowAt(limit=n) for s, n in some.items()})
    _strictly_equal(first_windows(board_db.file, some), theirs)


def test_limits_are_refused_as_the_domain_refuses_them(db):
    for bad in (-1, 1001, True, "4"):
        with pytest.raises(InputError) as mine:
            unfiltered_board(db.file, bad)  # type: ignore[arg-type]
        with pytest.raises(InputError) as theirs:
            board(db, per_column=bad)  # type: ignore[arg-type]
        assert (str(mine.value), mine.value.field) == (str(theirs.value), theirs.value.field)
    with pytest.raises(InputError) as mine:
        first_windows(db.file, {TaskStatus.BACKLOG: 0})
    with pytest.raises(InputError) as theirs:
        column_windows(db, {TaskStatus.BACKLOG: WindowAt(limit=0)})
    assert (str(mine.value), mine.value.field) == (str(theirs.value), theirs.value.field)
