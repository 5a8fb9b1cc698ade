"""The footer shows the focused pane's keys, whole, and is redrawn only when they change."""

from __future__ import annotations

import pytest

from deskterm.widgets.footer import APP, FOCUSED, HELP, DeskFooter, ShownKey, keys_that_fit
from tests.tui.conftest import settle
from tests.tui.test_desk import wait_loaded


def footer_keys(app) -> list[tuple[str, str, bool]]:
    """(key, description, disabled) of every key the footer has for the screen."""
    footer = app.screen.query_one(DeskFooter)
    return [(e.key, e.description, not e.enabled) for e in footer.entries]


async def test_the_footer_follows_the_focused_pane_and_skips_redraws_that_change_nothing(
    desk_app, monkeypatch
) -> None:
    rebuilds: list[int] = []
    real_show = DeskFooter._show_entries

    def counting_show(self, entries, palette) -> None:  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        real_show(self, entries, palette)

    monkeypatch.setattr(DeskFooter, "_show_entries", counting_show)
    app = desk_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause()
        news = footer_keys(app)
        assert ("f", "Flag", False) in news
        await pilot.press("3")  # the board: its own keys
        await pilot.pause()
        board = footer_keys(app)
        assert board != news and not any(key == "f" for key, _d, _x in board)
        await pilot.press("1")
        await pilot.pause()
        assert footer_keys(app) == news
        before = len(rebuilds)
        for _ in range(3):  # the same keys again: nothing to rebuild
            app.screen.refresh_bindings()
            await pilot.pause()
        assert len(rebuilds) == before and footer_keys(app) == news


async def test_a_modal_form_shows_its_own_keys_not_the_desks_under_it(desk_app) -> None:
    """Under the capture form, the respond screen and a picker the footer names their keys
    (save, template, letter, cancel, and f1 help), not the pane's ("n New request" would
    type an n)."""
    from deskterm.screens.form import FormScreen
    from deskterm.screens.pickers import PickScreen
    from deskterm.screens.respond import RespondScreen
    from tests.tui.conftest import settle

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        await settle(pilot, lambda: bool(footer_keys(app)))
        described = {description for _key, description, _off in footer_keys(app)}
        assert {"Save", "Cancel"} <= described and "New request" not in described
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, RespondScreen))
        await settle(pilot, lambda: bool(footer_keys(app)))
        keys = {key for key, _description, _off in footer_keys(app)}
        assert {"ctrl+s", "ctrl+o", "ctrl+l", "escape"} <= keys
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, RespondScreen))
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await settle(pilot, lambda: bool(footer_keys(app)))
        assert [(k, d) for k, d, _x in footer_keys(app)] == [("f1", "Help"), ("escape", "Cancel")]


async def test_the_contact_form_shows_its_keys_not_the_media_lists(desk_app, desk_db) -> None:
    """Over the media list, the reporter form's footer names save and cancel, not the list's
    keys ("n New", "o Outlets ⇄ reporters" would type into the form)."""
    from deskterm.core import contacts
    from deskterm.screens.contacts import ContactsScreen, MediaForm
    from tests.tui.conftest import settle

    contacts.add_contact(desk_db, name="Dana Whitfield", email="dana@kpac.example")
    list_only = {"New", "Edit", "Outlets ⇄ reporters", "Do not contact", "Search", "Close"}
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("C")
        await settle(pilot, lambda: isinstance(app.screen, ContactsScreen))
        media = app.screen
        await settle(pilot, lambda: bool(media.table.rows_shown) and bool(footer_keys(app)))
        assert list_only & {d for _k, d, _x in footer_keys(app)}
        for keys in (("down", "e"), ("n",)):  # edit a reporter, then a new one
            await pilot.press(*keys)
            await settle(pilot, lambda: isinstance(app.screen, MediaForm))
            await settle(
                pilot, lambda: bool(app.screen.query(DeskFooter)) and bool(footer_keys(app))
            )
            shown = {(k, d) for k, d, _x in footer_keys(app)}
            assert {("ctrl+s", "Save"), ("escape", "Cancel")} <= shown
            assert not list_only & {d for _k, d in shown}
            await pilot.press("escape")
            await settle(pilot, lambda: app.screen is media)


def test_keys_that_fit_leaves_out_whole_keys_help_first_and_keeps_the_order() -> None:
    ranks = [FOCUSED, FOCUSED, FOCUSED, APP, HELP, APP]
    widths = [8, 10, 15, 8, 8, 10]
    assert keys_that_fit(widths, ranks, 100) == [0, 1, 2, 3, 4, 5]  # everything fits
    assert keys_that_fit(widths, ranks, 59) == [0, 1, 2, 3, 4, 5]  # exactly
    # short: help keeps its place; the focused keys come next, then the app's
    assert keys_that_fit(widths, ranks, 41) == [0, 1, 2, 4]
    # a focused key that does not fit leaves out the ones after it, not an earlier one...
    assert keys_that_fit(widths, ranks, 30) == [0, 1, 4]
    # ...and what it leaves goes to the next rank
    assert keys_that_fit(widths, ranks, 34) == [0, 1, 3, 4]
    assert keys_that_fit(widths, ranks, 8) == [4]  # help before anything
    assert keys_that_fit(widths, ranks, 7) == []  # not even help: nothing cut
    assert keys_that_fit([], [], 80) == []


def footer_shown(app) -> tuple[list[ShownKey], int, str]:
    """The keys the footer shows (the palette key apart), the cells left of the palette
    key, and the footer's line as drawn."""
    footer = app.screen.query_one(DeskFooter)
    line = footer.render().plain
    keys = [k for k in footer.shown if k.entry is not footer.palette]
    palette = next(k for k in footer.shown if k.entry is footer.palette)
    return keys, palette.start - len("▏"), line


@pytest.mark.parametrize(("size", "other"), [((80, 24), (120, 40)), ((120, 40), (80, 24))])
async def test_every_key_the_footer_shows_is_whole_at_any_size(desk_app, size, other) -> None:
    """The footer leaves out the keys that do not fit before the palette key (Textual let it
    cover them, ``? Hel▏``); help is always there; focusing another pane or resizing the
    terminal chooses again."""
    app = desk_app()
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot, app)

        async def check(pane_key: str) -> None:
            """The pane's keys are in the footer (``pane_key`` among them), every one shown
            whole left of the palette key, help among them."""
            await settle(pilot, lambda: any(k.entry.key == pane_key for k in footer_shown(app)[0]))
            await pilot.pause()
            width = app.size.width
            shown, room, line = footer_shown(app)
            assert room == width - len("▏^p palette ")  # the palette key is docked right
            assert line.endswith("▏^p palette ") and len(line) == width
            for key in shown:  # whole, where the footer says, left of the palette key
                entry = key.entry
                assert key.end <= room, (width, entry.key, key, room)
                assert line[key.start : key.end] == f" {entry.display} {entry.description} "
            assert [k.start for k in shown] == sorted(k.start for k in shown)
            assert "question_mark" in {key.entry.key for key in shown}, width
            footer = app.screen.query_one(DeskFooter)
            hidden = [e for e in footer.entries if e not in {k.entry for k in shown}]
            assert all(e.description not in line for e in hidden if len(e.description) > 3)
            assert hidden or width > 80  # 80 columns cannot hold every key of any pane

        await check("f")  # News: f Flag
        await pilot.press("2")  # Requests: n New request
        await check("n")
        await pilot.press("3")  # Board: H Move back
        await check("H")
        await pilot.resize_terminal(*other)
        await check("H")
        await pilot.press("1")
        await check("f")
        await pilot.resize_terminal(*size)
        await check("f")


async def test_a_click_on_a_key_presses_it(desk_app) -> None:
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        footer = app.screen.query_one(DeskFooter)
        footer.render()
        zoom = next(k for k in footer.shown if k.entry.key == "z")
        await pilot.click(DeskFooter, offset=(zoom.start + 1, 0))
        await settle(pilot, lambda: app.screen.maximized is not None)


async def test_in_a_filter_field_the_footer_names_f1_for_help(desk_app) -> None:
    """In a text field "?" is typed, so the footer names the key that opens help there."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.pause()
        assert [k for k, d, _x in footer_keys(app) if d == "Help"] == ["question_mark"]
        await pilot.press("2", "slash")
        await settle(pilot, lambda: ("f1", "Help", False) in footer_keys(app))
        assert not any(k == "question_mark" for k, _d, _x in footer_keys(app))
        await pilot.press("f1")
        await settle(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
