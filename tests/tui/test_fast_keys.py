"""Keys typed faster than the desk repaints still go where the user meant."""

from __future__ import annotations

from textual import events

from deskterm.screens.request_form import CaptureForm
from tests.tui.conftest import settle
from tests.tui.test_desk import wait_loaded


async def test_a_key_typed_right_after_a_pane_switch_reaches_the_new_pane(desk_app):
    """ "2" then "n" in one burst (both queued before either is handled, as a fast typist or
    a terminal's paste delivers them): "n" must open the Requests pane's quick capture, not
    fall to the News pane that "2" was leaving."""
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        for key in ("2", "n"):
            app.post_message(events.Key(key, key))
        await settle(pilot, lambda: isinstance(app.screen, CaptureForm))


async def test_digits_typed_into_a_pane_filter_are_text_not_pane_keys(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "slash", "2", "0", "2", "6")
        pane = app.screen.query_one("#requests")
        await settle(pilot, lambda: pane.filter_text == "2026")
        assert app.screen.focused_pane() is pane


async def test_text_typed_right_after_slash_lands_in_the_filter(desk_app):
    """ "/" and a word in one burst: every letter is filter text ("u" must not toggle
    unread-only, "t" must not start a task from the selected clip), and a "/" typed in
    the field is text too."""
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("1")
        pane = app.screen.query_one("#news")
        for key in ("slash", *"budget", "slash", "7"):  # in the field "/" is text
            app.post_message(events.Key(key, "/" if key == "slash" else key))
        await settle(pilot, lambda: pane.filter_text == "budget/7")
        assert not pane.unread_only and app.screen is pane.screen


async def test_text_typed_after_tab_in_one_burst_lands_in_the_next_field(desk_app):
    """A phone call typed straight through (a paste, or a fast typist): each Tab moves on
    before the next characters are handed out."""
    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "n")
        await settle(pilot, lambda: isinstance(app.screen, CaptureForm))
        form = app.screen
        await settle(pilot, lambda: form.focused is form.query_one("#requester"))
        for key in [*"Dana Reyes", "tab", *"KPAC News", "tab", *"Bridge closure"]:
            char = key if len(key) == 1 else None
            app.post_message(events.Key("space" if key == " " else key, char))
        await settle(pilot, lambda: form.query_one("#subject").value == "Bridge closure")
        assert form.query_one("#requester").value == "Dana Reyes"
        assert form.query_one("#outlet").value == "KPAC News"


async def test_a_click_selects_a_row_and_a_second_click_opens_it(desk_app):
    """The mouse is optional, but it works: the table under the header maps clicks to rows."""
    from deskterm.screens.detail import DetailScreen

    app = desk_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_loaded(pilot, app)
        table = app.screen.query_one("#requests").table
        await pilot.click(table, offset=(5, 2))  # line 0 is the header: row 1
        await settle(pilot, lambda: table.cursor_row == 1)
        assert not isinstance(app.screen, DetailScreen)
        await pilot.click(table, offset=(5, 2))
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
