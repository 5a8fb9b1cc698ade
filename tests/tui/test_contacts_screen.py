"""The Contacts screen: opened with C or the palette, search as you type, outlets, a
reporter's requests, add, edit (version-checked), do-not-contact, windows of rows."""

from __future__ import annotations

import io

from rich.console import Console
from textual.command import CommandPalette

from deskterm.core import contacts
from deskterm.screens import contacts as contacts_screen
from deskterm.screens.conflict import ConflictScreen
from deskterm.screens.contacts import ContactsScreen, MediaForm
from deskterm.screens.dashboard import DashboardScreen
from deskterm.screens.detail import DetailScreen
from tests.tui.conftest import FIXED_NOW, HOSTILE_NAME, other_desk, settle


def shown(screen: ContactsScreen) -> list[str]:
    """The rows of the list on view, as plain text."""
    return [" ".join(c.plain for c in row.cells).strip() for row in screen.table.rows_shown]


def shown_text(widget) -> str:
    """What a Static shows, as plain text (a detail view's fields are a rich Table)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def title(screen: ContactsScreen) -> str:
    """The list's border title as shown (the public getter gives it back as markup)."""
    return screen.query_one("#media")._border_title.plain


def names(screen: ContactsScreen) -> list[str]:
    return [row.item.name for row in screen.table.rows_shown]


async def desk_up(pilot, app) -> None:
    """The dashboard is on screen (its panes load on their own; this screen needs none)."""
    await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def open_contacts(pilot, app) -> ContactsScreen:
    await desk_up(pilot, app)
    await pilot.press("C")
    await settle(pilot, lambda: isinstance(app.screen, ContactsScreen))
    screen = app.screen
    await settle(pilot, lambda: len(screen.table.rows_shown) == 3)
    return screen


async def test_c_opens_a_searchable_list_and_o_switches_to_outlets(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_contacts(pilot, app)
        assert names(screen) == ["Dana Whitfield", "Mateo Díaz", HOSTILE_NAME]
        assert "Reporters · 3 shown" in title(screen)
        # the search box has the focus: typing filters at once (every word must match)
        await pilot.press(*"kpac hall")
        await settle(pilot, lambda: names(screen) == ["Dana Whitfield"])
        assert "search: kpac hall" in title(screen)
        await pilot.press(*" nobody")
        await settle(pilot, lambda: screen.has_class("-empty"))
        await pilot.press("escape")  # escape clears the search first
        await settle(pilot, lambda: len(names(screen)) == 3)
        assert isinstance(app.screen, ContactsScreen)

        await pilot.press("down")  # to the list
        assert screen.table.has_focus
        await pilot.press("o")
        await settle(pilot, lambda: names(screen) == ["KPAC News", "La Voz del Puerto"])
        assert "tv" in shown(screen)[0] and "community/ethnic es" in shown(screen)[1]
        assert "Outlets" in title(screen)
        assert not screen.check_action("toggle_dnc", ())
        await pilot.press("slash", *"ethnic")
        await settle(pilot, lambda: names(screen) == ["La Voz del Puerto"])
        await pilot.press("enter")  # keeps the search, goes to the list
        await pilot.press("enter")  # opens the outlet with its reporters
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        await settle(pilot, lambda: "Mateo Díaz" in shown_text(detail.query_one("#sections")))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        await pilot.press("o")  # back to the reporters, their search kept apart
        await settle(pilot, lambda: len(names(screen)) == 3)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_the_palette_opens_contacts(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await desk_up(pilot, app)
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"contacts")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ContactsScreen))
        await pilot.press("escape")
        await pilot.press("C", "C")  # pressed again: still one Contacts screen
        await settle(pilot, lambda: isinstance(app.screen, ContactsScreen))
        assert sum(isinstance(s, ContactsScreen) for s in app.screen_stack) == 1


async def test_enter_shows_a_reporter_with_their_requests(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_contacts(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        await settle(pilot, lambda: "Budget hearing" in shown_text(detail.query_one("#sections")))
        text = shown_text(detail.query_one("#sections"))
        assert "M-2026-0002" in text and "Budget hearing [quote]" in text
        assert "KPAC News" in shown_text(detail.query_one("#fields"))
        assert "Calls back fast." in shown_text(detail.query_one("#body"))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)


async def test_add_and_edit_a_reporter(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_contacts(pilot, app)
        await pilot.press(*"dana")
        await settle(pilot, lambda: names(screen) == ["Dana Whitfield"])
        await pilot.press("down", "n")
        await settle(pilot, lambda: isinstance(app.screen, MediaForm))
        form = app.screen
        await pilot.press(*"Lan Nguyen", "tab", *"KPAC News", "tab", *"transit", "tab")
        await pilot.press(*"lan@", "ctrl+s")  # a bad email: shown at its field, nothing lost
        await settle(pilot, lambda: "email" in str(form.query_one("#email-error").render()))
        assert form.query_one("#name").value == "Lan Nguyen"
        form.query_one("#email").value = "lan@kpac.example"
        form.query_one("#notes").text = "Line one\nLine two"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen)
        await settle(pilot, lambda: "Lan Nguyen" in names(screen))
        lan = contacts.find_contact(media_db, "lan@kpac.example")
        assert (lan.outlet, lan.beat, lan.notes) == ("KPAC News", "transit", "Line one\nLine two")
        # the new row is shown and selected, though it is not what the search was for
        assert screen.table.selected().item.name == "Lan Nguyen"
        assert screen.search_text == "" and screen.query_one("#contacts-search").value == ""

        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MediaForm))
        form = app.screen
        assert form.query_one("#notes").text == "Line one\nLine two"
        form.query_one("#beat").value = "transit and ferries"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen)
        edited = contacts.get_contact(media_db, lan.id)
        assert edited.beat == "transit and ferries" and edited.version == lan.version + 1
        assert edited.notes == lan.notes  # untouched fields are not rewritten


async def test_a_stale_edit_opens_the_conflict_view_and_keeps_what_was_typed(
    desk_app, media_db, db_path
):
    app = desk_app()
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_contacts(pilot, app)
        await pilot.press("down", "e")
        await settle(pilot, lambda: isinstance(app.screen, MediaForm))
        form = app.screen
        dana = contacts.find_contact(media_db, "dana@kpac.example")
        colleague = other_desk(db_path)
        try:
            contacts.update_contact(colleague, dana.id, dana.version, beat="schools")
        finally:
            colleague.dispose()
        form.query_one("#beat").value = "City Hall and budget"
        await pilot.press("ctrl+s")  # theirs against mine (tests/tui/test_form_conflicts.py)
        await settle(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("escape")  # back to the form
        await settle(pilot, lambda: app.screen is form)
        assert form.query_one("#beat").value == "City Hall and budget"
        assert contacts.get_contact(media_db, dana.id).beat == "schools"
        await pilot.press("escape", "escape")  # asks once, then drops the typed text
        await settle(pilot, lambda: app.screen is screen)


async def test_d_toggles_do_not_contact_and_c_stamps_contacted(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_contacts(pilot, app)
        await pilot.press("down", "j", "D")  # Mateo
        mateo = screen.table.selected().item
        await settle(pilot, lambda: contacts.get_contact(media_db, mateo.id).do_not_contact)
        await settle(pilot, lambda: shown(screen)[1].startswith("DNC"))
        await pilot.press("c")
        await settle(
            pilot,
            lambda: contacts.get_contact(media_db, mateo.id).last_contacted_at == FIXED_NOW,
        )
        await settle(pilot, lambda: screen.table.selected().item.version != mateo.version)
        await pilot.press("D")
        await settle(pilot, lambda: not contacts.get_contact(media_db, mateo.id).do_not_contact)


async def test_hostile_names_are_shown_literally(desk_app, media_db):
    app = desk_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_contacts(pilot, app)
        row = next(r for r in screen.table.rows_shown if r.item.email == "m@evil.example")
        name_cell = row.cells[1]
        assert name_cell.plain == HOSTILE_NAME.replace("\u202e", "\\u202e")
        assert not name_cell.spans  # no markup became style
        await pilot.press(*"[link=")
        await settle(pilot, lambda: len(names(screen)) == 1)
        assert "search: [link=" in title(screen)
        await pilot.press("enter", "enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(pilot, lambda: "m@evil.example" in shown_text(app.screen.query_one("#fields")))
        assert app.screen.query_one("#detail")._border_title.plain == name_cell.plain


async def test_the_list_pages_by_window_never_the_whole_table(desk_app, media_db, monkeypatch):
    monkeypatch.setattr(contacts_screen, "WINDOW", 3)
    for n in range(5):
        contacts.add_contact(media_db, name=f"Zed {n}")
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await desk_up(pilot, app)
        await pilot.press("C")
        await settle(pilot, lambda: isinstance(app.screen, ContactsScreen))
        screen = app.screen
        await settle(pilot, lambda: len(names(screen)) == 3)
        assert names(screen) == ["Dana Whitfield", "Mateo Díaz", "Zed 0"]
        assert "more ↓" in title(screen) and "more ↑" not in title(screen)
        await pilot.press("down", "j", "j", "j")  # past the last row: the next window
        await settle(pilot, lambda: names(screen) == ["Zed 1", "Zed 2", "Zed 3"])
        assert screen.table.cursor_row == 0
        assert "more ↑" in title(screen)
        await pilot.press("j", "j", "j")
        await settle(pilot, lambda: names(screen) == ["Zed 4", HOSTILE_NAME])
        await pilot.press("j", "j")  # the end: stays
        await pilot.pause(0.2)
        assert names(screen) == ["Zed 4", HOSTILE_NAME]
        assert "more ↓" not in title(screen)
        await pilot.press("k", "k")  # past the first row: the window before
        await settle(pilot, lambda: names(screen) == ["Zed 1", "Zed 2", "Zed 3"])
        assert screen.table.cursor_row == 2
        contacts.add_contact(media_db, name="Zed 1a")  # another desk adds one
        screen.entities_changed(frozenset({"contacts"}))
        # the window reloads from where it was anchored (it ends just before Zed 4)
        await settle(pilot, lambda: names(screen) == ["Zed 1a", "Zed 2", "Zed 3"])
