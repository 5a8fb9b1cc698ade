"""A modal form: labelled fields, saved in a worker; an error shows at its field, nothing typed
is lost, and escape asks before dropping typed text. The card editor and the quick capture of
a request are both built from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from deskterm.core.text import one_line
from deskterm.widgets.footer import DeskFooter


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (label, value): a picker instead of text
    aliases: tuple[str, ...] = ()  # other InputError.field names shown at this field


class FormScreen(ModalScreen[object]):
    """``save(values)`` runs in a worker and returns the saved record, which dismisses the
    form; any exception it raises is shown (at its field when it names one)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    FormScreen .error { color: $error; height: auto; }
    FormScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self, *, heading: str, fields: Sequence[Field], save: Callable[[dict[str, str]], object]
    ) -> None:
        super().__init__()
        self._heading = heading
        self._fields = tuple(fields)
        self._save = save
        self._confirm_discard = False

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = Text(one_line(self._heading, 60))
            for spec in self._fields:
                yield Label(Text(spec.label))
                if spec.options:
                    yield Select(
                        list(spec.options), value=spec.value, allow_blank=False, id=spec.name
                    )
                else:
                    yield Input(value=spec.value, id=spec.name)
                yield Static(Text(""), classes="error", id=f"{spec.name}-error")
            yield Static(Text(""), classes="error", id="form-error")
            yield Static(Text("ctrl+s or enter saves · escape cancels"), classes="hint")
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def on_mount(self) -> None:
        first = self._fields[0].name
        self.query_one(f"#{first}").focus()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in self._fields:
            widget = self.query_one(f"#{spec.name}")
            out[spec.name] = str(widget.value) if widget.value is not None else ""  # type: ignore[attr-defined]
        return out

    def _clear_errors(self) -> None:
        for spec in self._fields:
            self.query_one(f"#{spec.name}-error", Static).update(Text(""))
        self.query_one("#form-error", Static).update(Text(""))

    def show_error(self, error: Exception) -> None:
        field = getattr(error, "field", None)
        target = "form"
        for spec in self._fields:
            if field == spec.name or field in spec.aliases:
                target = spec.name
        self.query_one(f"#{target}-error", Static).update(Text(one_line(error, 200)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._confirm_discard = False

    def action_save(self) -> None:
        self._clear_errors()
        self._run_save(self.values())

    @work(thread=True, exclusive=True, group="save")
    def _run_save(self, values: dict[str, str]) -> None:
        try:
            result = self._save(values)
        except Exception as error:  # InputError, ConflictError, busy: shown, form kept
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self.dismiss, result)

    def action_cancel(self) -> None:
        typed = self.values()
        changed = any(typed[spec.name] != spec.value for spec in self._fields)
        if changed and not self._confirm_discard:
            self._confirm_discard = True
            self.query_one("#form-error", Static).update(
                Text("press escape again to discard what you typed")
            )
            return
        self.dismiss(None)
