"""The full board's columns hold windows of cards read by key: every card of a long column
can be reached (j, G, g, the filter), its count and the cursor's place are shown, and
reloads, moves and filters keep the selected card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.enums import TaskStatus
from deskterm.core import tasks
from deskterm.widgets import board_pane, card_column
from deskterm.widgets.board_pane import BoardPane
from deskterm.widgets.card_column import CardColumn
from tests.core.cards import seed_cards
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_board import open_board
from tests.tui.test_desk import wait_loaded

LONG = 150  # drafts, after the desk's own "Press release: transit fares" (due in 5 h)
SHORT = 80  # drafts for paging with small pages (each press is awaited)


def drafts(db, count: int = LONG, status: str = "drafting", name: str = "Draft") -> list:
    """Cards "Draft 001".. due a minute apart after the desk's own cards; every tenth is
    undated (so last)."""
    return seed_cards(db, [
        {"title": f"{name} {i:03d} [b]not bold[/b]", "status": status,
         "due_at": None if i % 10 == 0 else FIXED_NOW + timedelta(hours=6, minutes=i)}
        for i in range(1, count + 1)
    ])  # fmt: skip


def column_order(db, status: str) -> list[tasks.TaskRecord]:
    """The whole column in the board's order, paged the old way (list_tasks' keyset)."""
    found, after = [], None
    while page := tasks.list_tasks(db, status=status, limit=100, after=after):
        found += page
        after = (page[-1].due_at, page[-1].id)
    return found


async def to_column(pilot, board: BoardPane, status: TaskStatus) -> CardColumn:
    while board._column_index < tasks.BOARD_COLUMNS.index(status):
        await pilot.press("l")
    column = board.column_tables()[board._column_index]
    await settle(pilot, lambda: board.app.focused is column)
    return column


def selected_title(board: BoardPane) -> str:
    item = board.selected_item()
    return item.title if isinstance(item, tasks.TaskRecord) else ""


async def test_G_g_and_j_reach_every_card_of_a_long_column(desk_app, desk_db):
    drafts(desk_db)
    order = column_order(desk_db, "drafting")
    assert len(order) == LONG + 1
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        assert str(column.border_title) == f"DRAFTING · {LONG + 1}"  # the true count
        assert str(column.border_subtitle) == f"1/{LONG + 1}"  # where the cursor is
        others = board.column_tables()[0]
        assert str(others.border_subtitle) == ""  # the backlog has no card out of view

        await pilot.press("G")  # the column's last window, not everything up to it
        await settle(pilot, lambda: selected_title(board) == order[-1].title)
        assert str(column.border_subtitle) == f"{LONG + 1}/{LONG + 1}"
        assert column.rows_shown[-1].item.id == order[-1].id
        assert column.offset > 0  # the first cards are not held
        await pilot.press("g")
        await settle(pilot, lambda: selected_title(board) == order[0].title)
        assert column.offset == 0

        await pilot.press(*["j"] * 120)  # past the first window (100 cards): paged by key
        await settle(pilot, lambda: column.position == 121)
        assert selected_title(board) == order[120].title
        assert str(column.border_subtitle) == f"121/{LONG + 1}"
        shown = [row.item.id for row in column.rows_shown]
        assert shown == [c.id for c in order[column.offset : column.offset + len(shown)]]
        line = column._card_strip(column.selected(), 60).text
        assert "[b]not bold[/b]" in line  # the title is drawn literally


async def test_a_small_window_pages_down_and_up_holding_a_bounded_number(
    desk_app, desk_db, monkeypatch
):
    """Pages of 10 and at most 50 held (the first window is the view and 10 below, ~40):
    j to the end and k back to the top cross several pages each way and drop rows at the far
    end, and every card comes in its turn."""
    monkeypatch.setattr(card_column, "PAGE", 10)
    monkeypatch.setattr(card_column, "KEEP", 50)
    monkeypatch.setattr(board_pane, "PAGE", 10)
    drafts(desk_db, count=SHORT)
    order = column_order(desk_db, "drafting")
    app = desk_app()
    async with app.run_test(size=(120, 30)) as pilot:
        board = await open_board(pilot, app)
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        seen = [selected_title(board)]
        held = []
        for step in range(SHORT):
            await pilot.press("j")
            if column.position != step + 2:  # a press past the window waits for its page
                await settle(pilot, lambda n=step + 2: column.position == n)
            seen.append(selected_title(board))
            held.append(len(column.rows_shown))
        assert seen == [c.title for c in order]
        assert max(held) <= 50 and column.offset > 0
        await pilot.press(*["k"] * SHORT)
        await settle(pilot, lambda: column.position == 1)
        assert selected_title(board) == order[0].title


async def test_the_filter_searches_the_whole_column_and_escape_keeps_the_card(desk_app, desk_db):
    drafts(desk_db)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        assert "Draft 137" not in [r.item.title[:9] for r in column.rows_shown]  # not held
        await pilot.press("slash", *"draft 137", "enter")
        await settle(pilot, lambda: str(column.border_title) == "DRAFTING · 1")
        assert selected_title(board).startswith("Draft 137")
        assert "1 card ·" in str(board.border_title)  # the filtered total
        assert str(board.column_tables()[0].border_title) == "BACKLOG · 0"

        await pilot.press("escape")  # the whole column again, on the card found
        await settle(pilot, lambda: str(column.border_title) == f"DRAFTING · {LONG + 1}")
        await settle(pilot, lambda: selected_title(board).startswith("Draft 137"))
        place = [c.title[:9] for c in column_order(desk_db, "drafting")].index("Draft 137")
        assert column.position == place + 1


async def test_80x24_zoomed_shows_one_whole_column_at_a_time(desk_app, desk_db):
    drafts(desk_db)
    order = column_order(desk_db, "drafting")
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        board = await open_board(pilot, app)
        assert board.one_column
        backlog, drafting = board.column_tables()[:2]
        assert backlog.display and not drafting.display
        assert str(backlog.border_title) == "BACKLOG · 1 →"
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        await settle(pilot, lambda: drafting.display and not backlog.display)
        assert str(column.border_title) == f"← DRAFTING · {LONG + 1} →"
        assert column.size.width > 70  # the whole pane's width
        await pilot.press("G")
        await settle(pilot, lambda: selected_title(board) == order[-1].title)
        assert str(column.border_subtitle) == f"{LONG + 1}/{LONG + 1}"
        await pilot.press("z")  # the dashboard again: the compact list, as before
        await settle(pilot, lambda: not board.wide and not board.one_column)


async def test_another_desks_change_keeps_the_card_on_its_line(desk_app, desk_db):
    drafts(desk_db)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        await pilot.press(*["j"] * 110)
        await settle(pilot, lambda: column.position == 111)
        card = board.selected_item()
        line = column.cursor_row - int(column.scroll_offset.y)
        # Another desk adds five drafts due before every shown card, and one after.
        seed_cards(desk_db, [
            *({"title": f"Urgent {i}", "status": "drafting", "due_at": FIXED_NOW}
              for i in range(5)),
            {"title": "Later", "status": "drafting", "due_at": FIXED_NOW + timedelta(days=9)},
        ])  # fmt: skip
        app.screen.reload_panes([frozenset({"tasks"})])  # what the live loop does
        await settle(pilot, lambda: str(column.border_title) == f"DRAFTING · {LONG + 7}")
        assert board.selected_item().id == card.id
        assert column.position == 116  # five more above it
        assert column.cursor_row - int(column.scroll_offset.y) == line  # on the same line


async def test_a_card_moved_deep_into_another_column_stays_selected(desk_app, desk_db):
    """L on the 120th backlog card lands it around the 120th place in Drafting, beyond
    the window the column was showing: the window is read around it."""
    drafts(desk_db, status="backlog", name="Idea")
    drafts(desk_db)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        backlog = board.column_tables()[0]
        await pilot.press(*["j"] * 119)
        await settle(pilot, lambda: backlog.position == 120)
        card = board.selected_item()
        await pilot.press("L")
        await settle(pilot, lambda: tasks.get_task(desk_db, card.id).status is TaskStatus.DRAFTING)
        await settle(pilot, lambda: board._column_index == 1)
        drafting = board.column_tables()[1]
        await settle(pilot, lambda: board.selected_item() is not None)
        assert board.selected_item().id == card.id
        assert app.focused is drafting
        place = [c.id for c in column_order(desk_db, "drafting")].index(card.id) + 1
        assert drafting.position == place > 100
        assert str(backlog.border_title) == f"BACKLOG · {LONG}"  # 150 + 1 - 1
        await pilot.press("H")  # and back: it acts on the card the cursor is on
        await settle(pilot, lambda: tasks.get_task(desk_db, card.id).status is TaskStatus.BACKLOG)
        await settle(pilot, lambda: board._column_index == 0 and board.selected_item() is not None)
        assert board.selected_item().id == card.id and backlog.position == 120


@pytest.mark.parametrize("size", [(90, 30)])
async def test_the_dashboards_filter_finds_cards_beyond_its_first_sixty(desk_app, desk_db, size):
    drafts(desk_db, count=130)
    app = desk_app()
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("3")
        board = app.screen.query_one(BoardPane)
        assert not board.wide
        await pilot.press("slash", *"draft 125", "enter")
        await settle(pilot, lambda: any(
            r.item.title.startswith("Draft 125") for r in board.table.rows_shown
            if isinstance(r.item, tasks.TaskRecord)
        ))  # fmt: skip
        headers = [r.cells[1].plain for r in board.table.rows_shown if r.key.startswith("col")]
        assert headers[1] == "DRAFTING · 1"


async def test_the_filter_folds_case_and_accents(desk_app, desk_db):
    """'/elan' finds "Élan…" (SQLite's lower() folds A-Z only): the board's filter reads the
    card's folded search text, every word in any order."""
    drafts(desk_db)
    seed_cards(desk_db, [
        {"title": "Élan vital: Straße fair", "status": "drafting",
         "due_at": FIXED_NOW + timedelta(hours=9)},
    ])  # fmt: skip
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        column = await to_column(pilot, board, TaskStatus.DRAFTING)
        await pilot.press("slash", *"elan", "enter")
        await settle(pilot, lambda: str(column.border_title) == "DRAFTING · 1")
        assert selected_title(board) == "Élan vital: Straße fair"
        assert [r.item.title for r in column.rows_shown] == ["Élan vital: Straße fair"]
        await pilot.press("escape")  # the whole column again
        await settle(pilot, lambda: str(column.border_title) == f"DRAFTING · {LONG + 2}")
        await pilot.press("slash", *"STRASSE ÉLAN", "enter")  # any order, any case
        await settle(pilot, lambda: board._filter_text == "STRASSE ÉLAN")
        await settle(pilot, lambda: str(column.border_title) == "DRAFTING · 1")
        assert selected_title(board) == "Élan vital: Straße fair"
