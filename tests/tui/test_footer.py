"""The footer shows the focused pane's keys, whole, and is rebuilt only when they change."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets._footer import FooterKey

from deskterm.widgets.footer import APP, FOCUSED, HELP, DeskFooter, keys_that_fit
from tests.tui.conftest import settle
from tests.tui.test_desk import wait_loaded


def footer_keys(app) -> list[tuple[str, str, bool]]:
    footer = app.screen.query_one(DeskFooter)
    return [(key.key, key.description, key.disabled) for key in footer.query(FooterKey)]


async def test_the_footer_follows_the_focused_pane_and_skips_rebuilds_that_change_nothing(
    desk_app, monkeypatch
) -> None:
    rebuilds: list[int] = []
    real_recompose = DeskFooter.recompose

    async def counting_recompose(self) -> None:  # type: ignore[no-untyped-def]
        rebuilds.append(1)
        await real_recompose(self)

    monkeypatch.setattr(DeskFooter, "recompose", counting_recompose)
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


def footer_shown(app) -> tuple[list[FooterKey], Region]:
    """The keys the footer shows, and the part of the footer left of the palette key."""
    footer = app.screen.query_one(DeskFooter)
    palette = footer.query_one("FooterKey.-command-palette", FooterKey)
    room = Region(footer.region.x, footer.region.y, palette.region.x - footer.region.x, 1)
    keys = [key for key in footer.query(FooterKey) if key is not palette]
    return [key for key in keys if key.display and key.region], room


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
            await settle(pilot, lambda: any(k.key == pane_key for k in footer_shown(app)[0]))
            await pilot.pause()
            width = app.size.width
            shown, room = footer_shown(app)
            assert room.width == width - len("▏^p palette ")  # the palette key is docked right
            for key in shown:
                assert room.contains_region(key.region), (width, key.key, key.region, room)
            assert [k.region.x for k in shown] == sorted(k.region.x for k in shown)
            assert "question_mark" in {key.key for key in shown}, width
            keys = app.screen.query_one(DeskFooter).query(FooterKey)
            hidden = [key for key in keys if not key.display]
            assert all(not key.region for key in hidden)  # not drawn at all
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
