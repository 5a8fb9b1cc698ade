"""The desk driven as a user drives it: keys in, screen state out (Textual Pilot)."""

from __future__ import annotations

import asyncio

from textual.command import CommandPalette
from textual.widgets import Static

from db.engine import Actor
from deskterm.core import requests
from deskterm.screens.dashboard import DashboardScreen
from deskterm.screens.detail import DetailScreen
from deskterm.screens.help import HelpScreen
from deskterm.screens.reader import ReaderScreen
from deskterm.widgets.pane import Pane
from tests.tui.conftest import FIXED_NOW, fixed_clock, other_desk, settle


async def wait_loaded(pilot, app) -> None:
    """Wait until every pane has shown its first load."""
    for _ in range(200):
        await pilot.pause()
        panes = list(app.screen.query(Pane))
        if panes and all(p.loaded_once for p in panes):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("panes did not load")


def focused_pane(app) -> str | None:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    pane = screen.focused_pane()
    return pane.id if pane else None


def row_texts(app, pane_id: str) -> list[str]:
    pane = app.screen.query_one(f"#{pane_id}", Pane)
    return [" ".join(c.plain for c in row.cells) for row in pane.table.rows_shown]


async def test_number_keys_and_tab_move_between_panes(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert focused_pane(app) == "news"
        await pilot.press("2")
        assert focused_pane(app) == "requests"
        await pilot.press("tab")
        assert focused_pane(app) == "board"
        await pilot.press("tab")
        assert focused_pane(app) == "calendar"
        await pilot.press("shift+tab")
        assert focused_pane(app) == "board"
        await pilot.press("1")
        assert focused_pane(app) == "news"


async def test_j_and_k_move_the_selection(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        table = app.screen.query_one("#news", Pane).table
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("G")
        assert table.cursor_row == len(table.rows_shown) - 1


async def test_zoom_toggles_the_focused_pane(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "z")
        assert app.screen.maximized is app.screen.query_one("#requests")
        await pilot.press("z")
        assert app.screen.maximized is None


async def test_help_lists_the_live_bindings(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = {entry.description for entry in app.screen._entries}
        assert {"Zoom", "Filter", "Open", "Quit", "Help"} <= described
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_palette_runs_a_desk_action(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"zoom")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.maximized is app.screen.query_one("#requests")


async def test_filter_as_you_type_and_escape_clears(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert len(row_texts(app, "news")) == 3
        assert not app.screen.query("FilterInput")  # mounted at the first "/" only
        await pilot.press("slash", *"transit")
        for _ in range(100):
            await pilot.pause(0.02)
            if len(row_texts(app, "news")) == 1:
                break
        assert row_texts(app, "news") == [row_texts(app, "news")[0]]
        assert "Transit fares" in row_texts(app, "news")[0]
        await pilot.press("down")  # to the list, the filter kept
        assert focused_pane(app) == "news" and app.focused is app.screen.query_one("#news").table
        assert len(row_texts(app, "news")) == 1
        await pilot.press("escape")
        for _ in range(100):
            await pilot.pause(0.02)
            if len(row_texts(app, "news")) == 3:
                break
        assert len(row_texts(app, "news")) == 3
        assert focused_pane(app) == "news"
        assert len(app.screen.query("#news FilterInput")) == 1 and not app.screen.query(
            "#requests FilterInput"
        )


async def test_enter_opens_the_item_and_escape_returns(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_hostile_text_is_shown_literally(desk_app):
    app = desk_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_loaded(pilot, app)
        rows = row_texts(app, "news")
        hostile = next(r for r in rows if "Budget" in r)
        assert "[bold]Budget[/bold]" in hostile
        assert "\x1b" not in hostile  # control characters never reach the terminal
        await pilot.press("g", "enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ReaderScreen)
        headline = app.screen.query_one("#reader-headline", Static).render()
        assert str(headline).startswith("[bold]Budget[/bold] vote")
        assert "\x1b" not in str(headline)


async def test_overdue_request_carries_a_mark_not_only_colour(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        rows = row_texts(app, "requests")
        assert rows[0].startswith("‼") and "late" in rows[0]
        assert "Overdue: budget" in rows[0]


async def test_narrow_terminal_stacks_panes(desk_app):
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        assert app.screen.has_class("-narrow")
        news = app.screen.query_one("#news")
        requests_pane = app.screen.query_one("#requests")
        assert news.size.height > requests_pane.size.height
        await pilot.press("2")
        await pilot.pause()
        assert requests_pane.size.height > news.size.height
    app = app.__class__(app.settings, app.db, clock=app.clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert not app.screen.has_class("-narrow")


async def test_q_quits(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("q")
        await pilot.pause()
    assert app._exit


async def test_another_desks_change_shows_within_the_poll_interval(desk_app, db_path):
    app = desk_app(live=True, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        colleague = other_desk(db_path)
        try:
            first = requests.list_open_requests(colleague, now=FIXED_NOW)[0]
            requests.update_request(
                colleague, first.id, first.version, subject="Changed on another desk"
            )
        finally:
            colleague.dispose()
        for _ in range(100):  # up to 2 s
            await asyncio.sleep(0.02)
            await pilot.pause()
            if any("Changed on another desk" in r for r in row_texts(app, "requests")):
                break
        assert any("Changed on another desk" in r for r in row_texts(app, "requests"))


async def test_selection_is_kept_when_another_desk_changes_data(desk_app, db_path):
    app = desk_app(live=True, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "j")
        table = app.screen.query_one("#requests", Pane).table
        selected_key = table.selected().key
        colleague = other_desk(db_path)
        try:
            requests.create_request(
                colleague,
                kind="media",
                subject="A brand new inquiry",
                requester="New Reporter",
                now=FIXED_NOW,
            )
        finally:
            colleague.dispose()
        for _ in range(100):
            await asyncio.sleep(0.02)
            await pilot.pause()
            if any("brand new" in r for r in row_texts(app, "requests")):
                break
        assert any("brand new" in r for r in row_texts(app, "requests"))
        assert table.selected().key == selected_key


async def test_two_desks_on_one_file_see_each_others_changes(settings, desk_db, db_path):
    """Desk A changes a request through the domain layer; desk B's pane shows it."""
    from deskterm.app import make_app

    db_a = other_desk(db_path, "JL")
    desk_a = make_app(settings, db_a, clock=fixed_clock, live=True, poll_interval=0.2)
    desk_b = make_app(settings, desk_db, clock=fixed_clock, live=True, poll_interval=0.2)
    async with (
        desk_a.run_test(size=(120, 40)) as pilot_a,
        desk_b.run_test(size=(120, 40)) as pilot_b,
    ):
        await wait_loaded(pilot_a, desk_a)
        await wait_loaded(pilot_b, desk_b)
        first = requests.list_open_requests(desk_a.db, now=FIXED_NOW)[0]
        requests.update_request(desk_a.db, first.id, first.version, subject="Desk A rewrote this")
        for _ in range(100):  # the poll interval is 0.2 s; allow up to 2 s
            await asyncio.sleep(0.02)
            await pilot_b.pause()
            if any("Desk A rewrote" in r for r in row_texts(desk_b, "requests")):
                break
        assert any("Desk A rewrote" in r for r in row_texts(desk_b, "requests"))
        for _ in range(100):  # desk A sees its own change through the same poll
            await asyncio.sleep(0.02)
            await pilot_a.pause()
            if any("Desk A rewrote" in r for r in row_texts(desk_a, "requests")):
                break
        assert any("Desk A rewrote" in r for r in row_texts(desk_a, "requests"))
    db_a.dispose()


async def test_an_empty_desk_greets_the_user(settings, db):
    from deskterm.app import make_app
    from deskterm.core.summary import summarize

    summary = summarize(db)
    assert summary.empty
    app = make_app(settings, db, clock=fixed_clock, live=False, welcome=summary.describe("X"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        notices = [n.message for n in app._notifications]
        assert any("feeds add" in n and "demo" in n for n in notices)
        news = app.screen.query_one("#news", Pane)
        assert news.has_class("-empty")


async def test_a_user_not_on_the_staff_list_is_told_once_the_desk_has_loaded(settings, desk_db):
    from db.engine import Database
    from deskterm.app import make_app

    def staff_notes(app) -> list[str]:
        return [str(n.message) for n in app._notifications if "staff list" in str(n.message)]

    for user, told in (("XQ", True), ("ps", False)):
        db = Database(str(desk_db.path), actor=Actor(user, "test-host"))
        app = make_app(settings, db, clock=fixed_clock, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot, app)
            if told:
                await settle(pilot, lambda app=app: bool(staff_notes(app)))
            else:
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
            notes = staff_notes(app)
            assert bool(notes) is told, (user, notes)
            if told:
                assert notes[0].startswith("'XQ' is not on the staff list (JL, PS)")
        db.dispose()
