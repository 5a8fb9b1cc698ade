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
