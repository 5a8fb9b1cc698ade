"""The task board driven from the keyboard: columns, H/L moves, review, approval, refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from db.engine import Actor, Database
from db.enums import TaskStatus
from deskterm.app import make_app
from deskterm.core import tasks
from deskterm.screens.detail import DetailScreen
from deskterm.screens.form import FormScreen
from deskterm.screens.pickers import PickScreen, PromptScreen
from deskterm.widgets import board_pane
from deskterm.widgets.board_pane import BoardPane
from tests.tui.conftest import fixed_clock, settle
from tests.tui.test_calendar_pane import shown_text
from tests.tui.test_desk import wait_loaded
from tests.tui.test_footer import footer_keys


@pytest.fixture
def desk_as(settings, desk_db, db_path):
    """The desk run by a given staff member (the actor who approves)."""
    opened: list[Database] = []

    def build(initials: str):
        db = Database(str(db_path), actor=Actor(initials, f"{initials}-host"))
        opened.append(db)
        return make_app(settings, db, clock=fixed_clock, live=False)

    yield build
    for db in opened:
        db.dispose()


def card(db: Database, title_start: str) -> tasks.TaskRecord:
    return next(t for t in tasks.list_tasks(db, limit=50) if t.title.startswith(title_start))


async def open_board(pilot, app) -> BoardPane:
    await wait_loaded(pilot, app)
    await pilot.press("3", "z")
    board = app.screen.query_one(BoardPane)
    await settle(pilot, lambda: board.wide and any(t.rows_shown for t in board.column_tables()))
    return board


async def select_card(pilot, board: BoardPane, title_start: str) -> None:
    for index, table in enumerate(board.column_tables()):
        for row_index, row in enumerate(table.rows_shown):
            if row.item is not None and row.item.title.startswith(title_start):
                table.focus()
                board._column_index = index
                table.move_cursor(row=row_index)
                await pilot.pause()
                return
    raise AssertionError(f"no card {title_start!r} on the board")


async def test_zoomed_board_shows_the_columns_side_by_side(desk_as):
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        titles = [str(t.border_title) for t in board.column_tables()]
        assert titles[0].startswith("BACKLOG · 1") and titles[1].startswith("DRAFTING · 1")
        await pilot.press("z")  # back to the dashboard: the pane is narrow again
        await settle(pilot, lambda: not board.wide)


async def test_L_and_H_move_a_card_and_keep_it_selected(desk_as, desk_db):
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        await select_card(pilot, board, "Statement on water main")
        await pilot.press("L")
        await settle(pilot, lambda: card(desk_db, "Statement").status is TaskStatus.DRAFTING)
        await settle(
            pilot,
            lambda: (
                board.selected_item() is not None
                and board.selected_item().title.startswith("Statement")
            ),
        )
        assert board._column_index == 1
        await pilot.press("H")
        await settle(pilot, lambda: card(desk_db, "Statement").status is TaskStatus.BACKLOG)


async def test_a_cards_detail_view_moves_and_comments_on_that_card(desk_as, desk_db):
    """enter on a card, then the board's keys in its detail view: L moves that card (the
    board's cursor has moved on by then), c comments on it; the view shows each change."""
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        await select_card(pilot, board, "Statement on water main")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        keys = {b.binding.description for b in detail.active_bindings.values()}
        assert {"Move on", "Move back", "Approve", "Comment", "Link to request/clip/event"} <= keys
        await select_card(pilot, board, "Press release")  # the board's cursor moves on

        await pilot.press("L")
        await settle(pilot, lambda: card(desk_db, "Statement").status is TaskStatus.DRAFTING)
        assert card(desk_db, "Press release").status is TaskStatus.DRAFTING  # left alone
        await settle(pilot, lambda: "drafting" in shown_text(detail.query_one("#fields")))
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Legal has it [v2]", "enter")
        await settle(pilot, lambda: app.screen is detail)
        sections = detail.query_one("#sections")
        await settle(pilot, lambda: "Legal has it [v2]" in shown_text(sections))


async def test_a_card_moved_past_the_dashboards_few_stays_shown_and_selected(desk_as, desk_db):
    """The dashboard's board lists each column's soonest few. A card moved into a column
    where it is not among them is shown there anyway, under the cursor: before, it left
    the list and the cursor sat on another card, which the next L then moved."""
    from datetime import timedelta

    from tests.tui.conftest import FIXED_NOW

    for i in range(board_pane.COMPACT_CARDS + 1):
        tasks.create_task(desk_db, title=f"Soon {i}", status="drafting", owner="PS",
                          due_at=FIXED_NOW + timedelta(hours=i + 1))  # fmt: skip
    long_title = "Late op-ed on the harbor terminal, its jobs and its neighbours"
    late = tasks.create_task(desk_db, title=long_title, status="backlog", owner="PS",
                             due_at=FIXED_NOW + timedelta(days=30))  # fmt: skip
    app = desk_as("PS")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        board = app.screen.query_one(BoardPane)
        await pilot.press("3")
        keys = [row.key for row in board.table.rows_shown]
        board.table.move_cursor(row=keys.index(f"task-{late.id}"))
        await pilot.press("L")
        await settle(pilot, lambda: card(desk_db, "Late op-ed").status is TaskStatus.DRAFTING)
        await settle(
            pilot,
            lambda: board.selected_item() is not None and board.selected_item().id == late.id,
        )
        shown = [
            r.item.title for r in board.table.rows_shown if isinstance(r.item, tasks.TaskRecord)
        ]
        assert shown.count(long_title) == 1
        said = [str(n.message) for n in app._notifications]
        assert "Late op-ed on the harbor terminal, its …: moved on" in said  # cut with an …
        soon = [t for t in shown if t.startswith("Soon")]
        assert len(soon) == board_pane.COMPACT_CARDS  # the column's soonest few, then it


async def test_a_refused_move_says_why_and_changes_nothing(desk_as, desk_db):
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        await select_card(pilot, board, "Press release: transit")
        await pilot.press("L")  # drafting -> in review needs a reviewer
        await settle(pilot, lambda: any("reviewer" in str(n.message) for n in app._notifications))
        assert card(desk_db, "Press release: transit").status is TaskStatus.DRAFTING
        await pilot.pause()
        # the selection stays on the card: the next key acts on it, not on a neighbour
        assert board._card().title.startswith("Press release: transit")
        assert board._column_index == tasks.BOARD_COLUMNS.index(TaskStatus.DRAFTING)


async def test_review_by_one_desk_and_approval_by_another(desk_as, desk_db):
    owner_desk = desk_as("JL")
    async with owner_desk.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, owner_desk)
        await select_card(pilot, board, "Press release: transit")
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(owner_desk.screen, PickScreen))
        picker = owner_desk.screen
        values = [c.value for c in picker._choices]
        for _ in range(values.index("PS")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: card(desk_db, "Press release").status is TaskStatus.IN_REVIEW)
        assert card(desk_db, "Press release").reviewer == "PS"
        await pilot.press("A")  # JL owns it and may not approve
        await settle(
            pilot, lambda: any("approve" in str(n.message) for n in owner_desk._notifications)
        )
        assert card(desk_db, "Press release").status is TaskStatus.IN_REVIEW
    approver_desk = desk_as("PS")
    async with approver_desk.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, approver_desk)
        await select_card(pilot, board, "Press release: transit")
        await pilot.press("A")
        await settle(pilot, lambda: card(desk_db, "Press release").status is TaskStatus.APPROVED)
        assert card(desk_db, "Press release").approved_by == "PS"
        await pilot.press("p")
        await settle(pilot, lambda: isinstance(approver_desk.screen, PromptScreen))
        prompt = approver_desk.screen
        await pilot.press(*"city.example/news/fares", "enter")  # not a web address: kept
        await settle(pilot, lambda: "web address" in str(prompt.query_one(".error").render()))
        assert approver_desk.screen is prompt
        assert card(desk_db, "Press release").status is TaskStatus.APPROVED
        await pilot.press("home", *"https://")
        await pilot.press("enter")
        await settle(pilot, lambda: card(desk_db, "Press release").status is TaskStatus.PUBLISHED)
        assert card(desk_db, "Press release").published_url == "https://city.example/news/fares"


async def test_publish_says_what_refuses_it_before_asking_and_keeps_the_link(
    desk_as, desk_db, db_path
):
    """p checks the card first: a refusal is said in one line and no link is asked for.
    A refusal after the prompt (another desk changed the card meanwhile) is said under the
    field, the link typed kept, and enter tries again."""
    from tests.tui.conftest import other_desk

    link = "https://youtube.example/psa"
    elsewhere = other_desk(db_path, "PS")
    try:
        made = tasks.create_task(
            desk_db,
            title="PSA video: heat safety",
            kind="video",
            status="drafting",
            owner="JL",
            checklist=[("Spanish subtitles", True)],
        )
        made = tasks.send_for_review(desk_db, made.id, made.version, "PS")
        tasks.approve_task(elsewhere, made.id, made.version)
        app = desk_as("PS")
        async with app.run_test(size=(200, 60)) as pilot:
            board = await open_board(pilot, app)
            await select_card(pilot, board, "PSA video")
            await pilot.press("p")

            def said() -> list[str]:
                return [str(n.message) for n in app._notifications]

            await settle(pilot, lambda: any("Spanish subtitles" in m for m in said()))
            assert "1 required checklist item is open: Spanish subtitles" in said()
            await pilot.pause(0.1)
            assert not isinstance(app.screen, PromptScreen)  # nothing asked: nothing lost

            item = tasks.checklist(desk_db, made.id)[0]
            item = tasks.set_checklist_done(elsewhere, item.id, item.version, True)
            await pilot.press("p")
            await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
            prompt = app.screen
            item = tasks.set_checklist_done(elsewhere, item.id, item.version, False)  # meanwhile
            await pilot.press(*link, "enter")

            def error_line() -> str:
                return str(prompt.query_one(".error").render())

            await settle(pilot, lambda: "Spanish subtitles" in error_line())
            assert error_line() == "1 required checklist item is open: Spanish subtitles"
            assert app.screen is prompt and prompt.query_one("Input").value == link
            assert card(desk_db, "PSA video").status is TaskStatus.APPROVED

            tasks.set_checklist_done(elsewhere, item.id, item.version, True)
            current = card(desk_db, "PSA video")
            tasks.update_task(elsewhere, current.id, current.version, body="Final cut")
            await pilot.press("enter")  # on the version the board loaded: a conflict
            await settle(pilot, lambda: "changed by someone else" in error_line())
            assert "enter publishes it as it is now" in error_line()
            assert app.screen is prompt and prompt.query_one("Input").value == link
            await pilot.press("enter")  # on their version, the rules checked again
            await settle(pilot, lambda: card(desk_db, "PSA video").status is TaskStatus.PUBLISHED)
            await settle(pilot, lambda: app.screen is not prompt)
            published = card(desk_db, "PSA video")
            assert (published.published_url, published.body) == (link, "Final cut")
            await settle(pilot, lambda: "published: PSA video: heat safety" in said())
    finally:
        elsewhere.dispose()


async def test_new_card_form_keeps_typed_text_on_an_error(desk_as, desk_db):
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        board.column_tables()[0].focus()
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        await pilot.press(*"Op-ed on transit")
        await pilot.press("tab", "tab", *"ZZ")  # unknown owner initials
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "ZZ" in str(form.query_one("#owner-error").render()))
        assert form.query_one("#title").value == "Op-ed on transit"  # nothing typed is lost
        form.query_one("#owner").value = "JL"
        form.query_one("#due").value = "tomorrow 3pm"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        created = card(desk_db, "Op-ed on transit")
        assert created.owner == "JL" and created.status is TaskStatus.BACKLOG
        assert created.due_at is not None


async def test_b_shows_the_story_budget_and_saves_a_printable_copy(desk_as, desk_db, tmp_path):
    from deskterm.core.config import data_dir
    from deskterm.screens.detail import DetailScreen
    from tests.tui.conftest import FIXED_NOW

    tasks.create_task(desk_db, title="Talking points: Hour (Thu) [b]1[/b] *x*", owner="PS",
                      due_at=FIXED_NOW)  # fmt: skip
    app = desk_as("PS")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("3", "b")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(
            pilot, lambda: "Press release: transit" in str(app.screen.query_one("#body").render())
        )
        body = str(app.screen.query_one("#body").render())
        assert "Talking points: Hour (Thu) [b]1[/b] *x* #" in body  # literally, no escapes
        assert "\\" not in body and "**" not in body
    saved = sorted((data_dir() / "budgets").glob("story-budget-*.html"))
    assert saved and "<html" in saved[-1].read_text().lower()


def test_the_story_budget_is_saved_once_per_change_and_shown_when_it_cannot_be(
    desk_db, tmp_path, monkeypatch
) -> None:
    """The view reads again on every change another desk makes: the copies are written
    only when their text changed; a disk that refuses them costs the copies, not the view."""
    from zoneinfo import ZoneInfo

    from tests.tui.conftest import FIXED_NOW

    monkeypatch.setattr("deskterm.core.config.data_dir", lambda: tmp_path / "data")
    tz = ZoneInfo("America/New_York")
    first = board_pane.story_budget_detail(desk_db, FIXED_NOW, tz)
    html = tmp_path / "data" / "budgets" / Path(dict(first.fields)["Printable"]).name
    os.utime(html, (1_000_000_000, 1_000_000_000))  # 2001: any write would move it on
    board_pane.story_budget_detail(desk_db, FIXED_NOW, tz)
    assert html.stat().st_mtime == 1_000_000_000
    tasks.create_task(desk_db, title="Statement: new bus lanes", due_at=FIXED_NOW)
    board_pane.story_budget_detail(desk_db, FIXED_NOW, tz)
    assert "Statement: new bus lanes" in html.read_text()

    (tmp_path / "ro").write_text("a file where the folder should be")
    monkeypatch.setattr("deskterm.core.config.data_dir", lambda: tmp_path / "ro")
    refused = board_pane.story_budget_detail(desk_db, FIXED_NOW, tz)
    assert [label for label, _value in refused.fields] == ["Not saved"]
    assert "Statement: new bus lanes" in refused.body


async def test_checklist_link_and_comment_from_the_board_show_on_the_card(desk_as, desk_db):
    from deskterm.core import requests
    from deskterm.screens.detail import DetailScreen

    created = tasks.create_task(
        desk_db,
        title="Fact sheet: fares",
        kind="other",
        status="drafting",
        owner="JL",
        checklist=[("Facts checked", True)],
    )
    number = requests.list_requests(desk_db, limit=5)[-1].number
    app = desk_as("PS")
    async with app.run_test(size=(200, 60)) as pilot:
        board = await open_board(pilot, app)
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: tasks.checklist(desk_db, created.id)[0].done)
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*number, "enter")
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Checked with [Water] dept", "enter")
        await settle(pilot, lambda: len(tasks.list_comments(desk_db, created.id)) == 1)
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(
            pilot, lambda: "Checked with" in str(app.screen.query_one("#sections").render())
        )
        shown = str(app.screen.query_one("#sections").render())
        assert "[x] Facts checked (required)" in shown
        assert f"request: {number}" in shown
        assert "Checked with [Water] dept" in shown  # literal brackets


async def test_checklist_items_are_added_and_removed_from_the_board(desk_as, desk_db):
    from deskterm.screens.pickers import ChecklistScreen

    created = tasks.create_task(
        desk_db, title="Fact sheet: fares", kind="other", status="drafting", owner="JL"
    )
    app = desk_as("PS")
    async with app.run_test(size=(120, 40)) as pilot:
        board = await open_board(pilot, app)
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("x")  # an empty checklist opens too: items are added there
        await settle(pilot, lambda: isinstance(app.screen, ChecklistScreen))
        await pilot.pause()
        assert {"Add item", "Remove item"} <= {d for _k, d, _off in footer_keys(app)}
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # nothing typed: refused under the field, still open
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"Legal [b]review[/b]", "enter")
        await settle(pilot, lambda: type(app.screen) is PickScreen)
        await pilot.press("j", "enter")  # required
        await settle(pilot, lambda: len(tasks.checklist(desk_db, created.id)) == 1)
        (item,) = tasks.checklist(desk_db, created.id)
        assert (item.label, item.required, item.done) == ("Legal [b]review[/b]", True, False)
        await select_card(pilot, board, "Fact sheet")
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ChecklistScreen))
        await pilot.press("d")  # PS may approve: a required item may go
        await settle(pilot, lambda: tasks.checklist(desk_db, created.id) == [])


async def test_enter_on_a_column_heading_opens_its_first_card(desk_as):
    """The compact board's first line is a column's heading: enter there opens the card
    under it (a heading has no detail view: the desk crashed on it, seen in tmux)."""
    app = desk_as("PS")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("3")
        board = app.screen.query_one(BoardPane)
        assert isinstance(board.selected_item(), TaskStatus)  # on BACKLOG's heading
        first = board.table.rows_shown[1].item
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        view = app.screen.query_one("VerticalScroll")
        assert first.title in str(view.border_title)  # the card's own view
