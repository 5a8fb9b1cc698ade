"""The help key on every screen: f1 everywhere (no field types it), ``?`` wherever no text
field has the focus; over a form or the conflict view help lists that screen's keys, the
focused field's and the desk's that still work there, and closing it gives the form back as
it was."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input

from deskterm.core import requests
from deskterm.screens.conflict import ConflictScreen
from deskterm.screens.dashboard import DashboardScreen
from deskterm.screens.detail import DetailScreen
from deskterm.screens.form import FormScreen
from deskterm.screens.help import HelpScreen
from deskterm.screens.pickers import Choice, PickScreen
from deskterm.screens.reader import ReaderScreen
from deskterm.widgets.footer import DeskFooter
from tests.tui.conftest import settle
from tests.tui.test_desk import wait_loaded
from tests.tui.test_requests_pane import _conflict, ready, select


def groups(help_screen: HelpScreen) -> dict[str, set[str]]:
    """Heading -> the descriptions listed under it."""
    out: dict[str, set[str]] = {}
    for entry in help_screen._entries:
        out.setdefault(entry.where, set()).add(entry.description)
    return out


def footer_keys(screen) -> set[str]:
    return {entry.key for entry in screen.query_one(DeskFooter).entries}


def helps_open(app) -> int:
    return sum(isinstance(screen, HelpScreen) for screen in app.screen_stack)


async def open_capture(pilot, app) -> FormScreen:
    await ready(pilot, app)
    await pilot.press("2", "n")
    await settle(pilot, lambda: isinstance(app.screen, FormScreen))
    return app.screen


async def test_f1_over_a_form_shows_its_keys_and_gives_the_form_back_as_typed(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_capture(pilot, app)
        await pilot.press(*"Dana", "tab", *"KP")
        outlet = form.query_one("#outlet", Input)
        assert app.focused is outlet
        assert "f1" in footer_keys(form)  # the footer says how to get help

        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = groups(app.screen)
        assert {"Save", "Cancel"} <= listed["Quick capture"]
        assert "Move cursor left" in listed["Text field"]  # the focused field's keys
        # not the scrolling a one-line field inherits from Textual's views (it does nothing)
        assert not {"Scroll Up", "Page Down", "Page Left"} & listed["Text field"]
        assert {"Help", "Next field or pane"} <= listed["Desk"]  # app keys that work here
        assert "Lists" not in listed
        headings = [entry.where for entry in app.screen._entries]
        assert headings[0] == "Quick capture"  # the form's own keys first

        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is form)
        assert form.query_one("#requester", Input).value == "Dana"
        assert outlet.value == "KP" and app.focused is outlet
        await pilot.press("A")  # typing goes on where it was (nothing selected)
        assert outlet.value == "KPA"


async def test_a_question_mark_typed_in_a_form_field_is_text_and_help_says_f1(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_capture(pilot, app)
        await pilot.press("tab", "tab", *"Why?", "question_mark")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#subject", Input).value == "Why??"
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = {(e.where, e.keys) for e in app.screen._entries if e.description == "Help"}
        assert shown == {("Desk", "f1")}  # not "?": in a text field it is typed


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_over_the_conflict_view_lists_its_keys_and_never_stacks(
    key, desk_app, desk_db, db_path
):
    app = desk_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await ready(pilot, app)
        await _conflict(pilot, app, desk_db, db_path)
        view = app.screen
        assert "f1" in footer_keys(view)

        await pilot.press(key)
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = groups(app.screen)
        assert {"Reload theirs", "Apply mine on top", "Back to my edit"} <= listed["Conflict"]
        assert "Help" in listed["Desk"]

        await pilot.press(key)  # help over help: the key closes it
        await settle(pilot, lambda: app.screen is view)
        assert helps_open(app) == 0
        await pilot.press({"f1": "question_mark", "question_mark": "f1"}[key])  # the other
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert helps_open(app) == 1
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is view)
        assert helps_open(app) == 0


async def test_question_mark_over_a_picker_opens_help(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await select(pilot, app, "Pothole")
        await pilot.press("s")  # the status picker
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Cancel" in groups(app.screen)["Pick one"]
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is picker)


async def test_a_save_that_lands_while_help_is_open_closes_help_and_the_form(
    desk_app, desk_db, monkeypatch
):
    """ctrl+s then f1 at once: the save finishes under help. Textual's ``dismiss`` pops the
    top screen, whichever it is: the form must go, not help alone with the saved form left."""
    release = threading.Event()
    create = requests.create_request

    def slow_create(*args, **kwargs):
        release.wait(5)
        return create(*args, **kwargs)

    monkeypatch.setattr(requests, "create_request", slow_create)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_capture(pilot, app)
        form.query_one("#requester", Input).value = "Dana Reyes"
        form.query_one("#subject", Input).value = "Bridge closure"
        await pilot.press("ctrl+s", "f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        release.set()
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert helps_open(app) == 0 and not any(
            isinstance(screen, (FormScreen, ConflictScreen)) for screen in app.screen_stack
        )
        assert any(r.subject == "Bridge closure" for r in requests.list_open_requests(desk_db))


async def test_a_screen_a_worker_brings_while_help_is_open_closes_help(desk_app):
    """A picker or conflict view that lands a moment after the key that opened help comes
    in place of help, not over it (help then hid between a form and its conflict view)."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        app.push_screen(PickScreen("Pick", [Choice("a", "A")]))
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        assert helps_open(app) == 0
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_f1_on_the_desk_and_a_detail_view(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {(e.where, e.keys, e.description) for e in app.screen._entries}
        assert ("Desk", "?, f1", "Help") in rows  # one row for the keys of one action
        assert {"Down", "Open"} <= groups(app.screen)["Lists"]
        await pilot.press("escape", "2", "f1")  # the Requests pane focused
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        order = list(dict.fromkeys(e.where for e in app.screen._entries))
        # what the focused pane does first, how its list moves next, the desk's keys last
        assert order == ["Requests pane", "Lists", "Desk"], order
        await pilot.press("escape", "1", "enter")  # a clip's detail view
        await settle(pilot, lambda: isinstance(app.screen, (DetailScreen, ReaderScreen)))
        shown = app.screen
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Close" in groups(app.screen)[shown.HELP_GROUP]


def test_every_modal_screen_of_the_desk_has_the_help_key() -> None:
    """A new modal screen must derive from ``DeskModal`` (Textual cuts the app's keys out of
    a modal screen's chain, so without it f1 and ? would do nothing there). Every module
    under deskterm/screens and deskterm/widgets is imported, so new ones are covered."""
    import importlib
    import pkgutil

    from textual.screen import ModalScreen

    import deskterm.screens
    import deskterm.widgets
    from deskterm.screens.help import HelpScreen
    from deskterm.screens.modal import DeskModal

    for package in (deskterm.screens, deskterm.widgets):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    ours = {c for c in subclasses(ModalScreen) if c.__module__.startswith("deskterm.")}
    assert DeskModal in ours and len(ours) > 5
    missing = sorted(
        c.__qualname__ for c in ours if c is not HelpScreen and not issubclass(c, DeskModal)
    )
    assert missing == []


def test_a_heading_is_never_squeezed_into_the_keys_column() -> None:
    """At 80 columns the help box is ~66 wide: a heading stays whole on its own line (it
    was cut to "Quick capt…" inside the keys column), a long description ends in "…"."""
    from rich.console import Console

    from deskterm.screens.help import HelpScreen, KeyHelp

    long = "Move cursor right or accept the completion suggestion " * 2
    screen = HelpScreen(
        [
            KeyHelp("Quick capture", "esc", "Cancel"),
            KeyHelp("Text field", "shift+^←", "Move cursor left a word and select"),
            KeyHelp("Text field", "→", long),
        ]
    )
    console = Console(width=40, record=True, color_system=None)
    console.print(screen._keys())
    lines = console.export_text().splitlines()
    assert "Quick capture" in lines
    assert "Text field" in lines
    assert any(line.startswith("esc ") and line.rstrip().endswith("Cancel") for line in lines)
    assert any(line.startswith("→") and line.endswith("…") for line in lines)
    assert all(len(line) <= 40 for line in lines)
