"""Small modal questions: pick one of a list, or type one line.

Both return their answer through ``dismiss`` (None when the user backs out), so callers
use ``push_screen(screen, callback)``. Everything shown is literal text. A prompt given a
``save`` makes the write itself, as a form does: a refusal is shown under the field and
what was typed stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.core.errors import InputError
from deskterm.core.text import one_line
from deskterm.screens.modal import DeskModal
from deskterm.widgets.footer import DeskFooter

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 70; max-width: 95%; height: auto; max-height: 80%;
    border: round $accent; background: $surface; padding: 0 1;
}}
{name} .hint {{ color: $text-muted; }}
{name} .error {{ color: $error; }}
"""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


class PickScreen(DeskModal[str | None]):
    """Choose one item: j/k or arrows, enter picks, escape backs out."""

    DEFAULT_CSS = MODAL_CSS.format(name="PickScreen")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]
    HELP_GROUP = "Pick one"
    HINT = "enter picks · escape cancels"

    def __init__(self, title: str, choices: list[Choice], *, current: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(one_line(self._title, 60))
            options = OptionList(
                *(Option(Text(one_line(c.label, 80)), id=c.value) for c in self._choices)
            )
            yield options
            yield Static(Text(self.HINT), classes="hint")
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [c.value for c in self._choices]
        if self._current in values:
            options.highlighted = values.index(self._current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def highlighted_value(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id


class ChecklistScreen(PickScreen):
    """A card's checklist: enter ticks or unticks the highlighted item, ``a`` adds one,
    ``d`` removes one. Dismisses with the item's value (tick), ``ADD``, or ``REMOVE`` + the
    item's value."""

    DEFAULT_CSS = MODAL_CSS.format(name="ChecklistScreen")
    BINDINGS = [
        Binding("a", "add", "Add item"),
        Binding("d", "remove", "Remove item"),
    ]
    HELP_GROUP = "Checklist"
    HINT = "enter ticks or unticks · a adds · d removes · escape closes"
    ADD = "+"
    REMOVE = "-"

    def action_add(self) -> None:
        self.dismiss(self.ADD)

    def action_remove(self) -> None:
        value = self.highlighted_value()
        if value is not None:
            self.dismiss(self.REMOVE + value)


class PromptScreen(DeskModal[Any]):
    """Type one line. Escape backs out, but asks first when something was typed."""

    DEFAULT_CSS = MODAL_CSS.format(name="PromptScreen")
    # ctrl+s as in every form of the desk: a hand that saves forms with it saves here too
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]
    HELP_GROUP = "Prompt"

    def __init__(
        self,
        title: str,
        *,
        label: str,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], object] | None = None,
        save: Callable[[str], object] | None = None,
    ) -> None:
        """``check(text)`` runs on enter: an ``InputError`` it raises is shown under the
        field and the dialog stays open with what was typed. Without ``save`` the prompt
        then dismisses with the text. ``save(text)`` (a write) runs next, in a thread: the
        prompt dismisses with what it returns, and anything it raises (a refusal, another
        desk's change, a busy file) is shown under the field with the text kept, so enter
        tries again."""
        super().__init__()
        self._title = title
        self._label = label
        self._initial_text = value
        self._placeholder = placeholder
        self._check = check
        self._write = save
        self._saving = False
        self._confirm_discard = False

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(one_line(self._title, 60))
            yield Label(Text(self._label))
            yield Input(value=self._initial_text, placeholder=self._placeholder)
            yield Static(Text(""), classes="error")
            yield Static(Text("ctrl+s or enter saves · escape cancels"), classes="hint")
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def show_error(self, message: str) -> None:
        """Keep the dialog (and what was typed) open with a one-line error."""
        self.query_one(".error", Static).update(Text(one_line(message, 300)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save(event.value)

    def action_save(self) -> None:
        self._save(self.query_one(Input).value)

    def _save(self, text: str) -> None:
        if self._saving:  # enter pressed again while the write runs: one write
            return
        if self._check is not None:
            try:
                self._check(text)
            except InputError as error:
                self.show_error(str(error))
                return
        if self._write is None:
            self.dismiss(text)
            return
        self._saving = True
        self.show_error("")
        self._run_save(self._write, text)

    @work(thread=True, group="save")
    def _run_save(self, write: Callable[[str], object], text: str) -> None:
        try:
            result = write(text)
        except Exception as error:  # a refusal, a conflict, busy: shown, the text kept
            self.app.call_from_thread(self._refused, str(error))
            return
        self.app.call_from_thread(self.dismiss, result)

    def _refused(self, message: str) -> None:
        self._saving = False
        self.show_error(message)

    @on(Input.Changed)
    def _changed(self) -> None:
        self._confirm_discard = False

    def action_cancel(self) -> None:
        if self._saving:  # the write is under way: its answer closes the prompt, or says why not
            return
        typed = self.query_one(Input).value
        if typed and typed != self._initial_text and not self._confirm_discard:
            self._confirm_discard = True
            self.show_error("press escape again to discard what you typed")
            return
        self.dismiss(None)
