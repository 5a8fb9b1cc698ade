"""The footer shows the focused pane's keys and is rebuilt only when they change."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from deskterm.widgets.footer import DeskFooter
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
