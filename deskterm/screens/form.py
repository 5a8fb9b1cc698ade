"""A modal form: labelled fields, saved in a worker; an error shows at its field (scrolled into
view, the field focused), nothing typed is lost, and escape asks before dropping typed text.
The card, event, topic and media-list editors and the quick capture of a request are built
from it.

An editor of a stored record passes an ``Edit`` (``deskterm.core.form_edit``): the form then
saves only the fields whose text was changed, on the version it loaded, and a save that
another desk beat opens the conflict view (``screens/conflict.py``): reload theirs, apply
mine on top of theirs, or back to the form with everything typed kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from db.errors import ConflictError
from deskterm.core.form_edit import Edit, Loaded, apply_mine, compare
from deskterm.core.requests import FieldChange
from deskterm.core.text import one_line
from deskterm.screens.modal import DeskModal
from deskterm.widgets.footer import DeskFooter


def reveal(*widgets: Widget) -> None:
    """Scroll a form so that ``widgets`` (a field and its error line) are in view, once an
    error's new text is laid out (an empty error line has no height)."""

    def scroll() -> None:
        for widget in widgets:
            widget.scroll_visible(animate=False, immediate=True)

    if widgets:
        widgets[0].call_after_refresh(scroll)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (label, value): a picker instead of text
    aliases: tuple[str, ...] = ()  # other InputError.field names shown at this field

    @property
    def short_label(self) -> str:
        """The label without its hint in brackets (the conflict view's field names)."""
        return self.label.split(" (", 1)[0]

    def shown(self, text: str) -> str:
        """How a value of this field reads: a picker's label rather than its value."""
        return next((label for label, value in self.options if value == text), text)


#: Rows a bordered field takes (label, field, error line); the form's own (border, hint, footer).
ROWS_A_FIELD, FORM_CHROME_ROWS = 5, 5
FORM_HEIGHT = 0.9  # of the screen (``max-height`` below)


class FormScreen(DeskModal[object]):
    """``save(values)`` (or, editing a stored record, ``edit.write``) runs in a worker and
    returns the saved record, which dismisses the form; any exception it raises is shown
    (at its field when it names one)."""

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    FormScreen .error { color: $error; height: auto; }
    /* a long label (a field's hint) wraps inside the form rather than being cut */
    FormScreen Label { width: 100%; }
    FormScreen .hint { color: $text-muted; }
    /* one row a field when they would not all fit bordered (``fit_fields``): the field is
       told from its label by a tinted background, the focused one by the accent's */
    FormScreen Input.-textual-compact { background: $boost; padding: 0 1; }
    FormScreen Input.-textual-compact:focus { background: $accent 30%; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]
    HELP_GROUP = "Form"
    HINT = "ctrl+s or enter saves · escape cancels"

    def __init__(
        self,
        *,
        heading: str,
        fields: Sequence[Field],
        save: Callable[[dict[str, str]], object] | None = None,
        edit: Edit | None = None,
    ) -> None:
        super().__init__()
        if (save is None) == (edit is None):
            raise TypeError("a form takes either save (a new record) or edit (a stored one)")
        self._heading = heading
        self._fields = tuple(fields)
        self._save = save
        self._edit = edit
        self._base: Loaded | None = edit.loaded if edit is not None else None
        self._latest: Loaded | None = None  # their version, after a conflict
        self._confirm_discard = False

    # layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        initial = self.initial()
        with VerticalScroll() as box:
            box.border_title = Text(one_line(self._heading, 60))
            for spec in self._fields:
                yield Label(Text(spec.label))
                yield self.field_widget(spec, initial[spec.name])
                yield Static(Text(""), classes="error", id=f"{spec.name}-error")
            yield Static(Text(""), classes="error", id="form-error")
            yield Static(Text(self.HINT), classes="hint")
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def field_widget(self, spec: Field, value: str) -> Widget:
        """The widget a field is typed in (its id is the field's name)."""
        if spec.options:
            return Select(list(spec.options), value=value, allow_blank=False, id=spec.name)
        return Input(value=value, id=spec.name)

    def on_mount(self) -> None:
        first = self._fields[0].name
        self.query_one(f"#{first}").focus()
        self.fit_fields(self.size.height)

    def on_resize(self, event) -> None:  # type: ignore[no-untyped-def]
        self.fit_fields(event.size.height)

    def fit_fields(self, height: int) -> None:
        """Text fields and choices take one row instead of three (Textual's compact style)
        when the bordered ones would not all fit in ``height``: at 80x24 the media-request
        form showed three of its eight fields, the rest only once tabbed down to."""
        compact = len(self._fields) * ROWS_A_FIELD + FORM_CHROME_ROWS > height * FORM_HEIGHT
        for field in self.query("Input, Select"):
            field.compact = compact  # type: ignore[attr-defined]

    # values -------------------------------------------------------------------------------
    def initial(self) -> dict[str, str]:
        """The text each field had when opened (or reloaded): what typing is compared with."""
        if self._base is not None:
            return {spec.name: self._base.texts.get(spec.name, "") for spec in self._fields}
        return {spec.name: spec.value for spec in self._fields}

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in self._fields:
            widget = self.query_one(f"#{spec.name}")
            if isinstance(widget, TextArea):
                out[spec.name] = widget.text
            else:
                value = widget.value  # type: ignore[attr-defined]
                out[spec.name] = str(value) if value is not None else ""
        return out

    def set_values(self, texts: Mapping[str, str]) -> None:
        for spec in self._fields:
            widget = self.query_one(f"#{spec.name}")
            text = texts.get(spec.name, "")
            if isinstance(widget, TextArea):
                widget.load_text(text)
            else:
                widget.value = text  # type: ignore[attr-defined]

    # errors -------------------------------------------------------------------------------
    def _clear_errors(self) -> None:
        for spec in self._fields:
            self.query_one(f"#{spec.name}-error", Static).update(Text(""))
        self.query_one("#form-error", Static).update(Text(""))

    def show_error(self, error: Exception | str) -> None:
        """At the field the error names, else under the form; several fields' errors
        (``InputErrors``) each at its field. The first is focused and scrolled into view."""
        first: list[Widget] = []
        for one in getattr(error, "errors", None) or (error,):
            field = getattr(one, "field", None)
            target = None
            for spec in self._fields:
                if field == spec.name or field in spec.aliases:
                    target = spec.name
            line = self.query_one(f"#{target or 'form'}-error", Static)
            line.update(Text(one_line(one, 200)))
            if not first:
                first = [line]
                if target is not None:
                    widget = self.query_one(f"#{target}")
                    widget.focus(scroll_visible=False)
                    first.insert(0, widget)
        reveal(*first)

    # saving -------------------------------------------------------------------------------
    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._confirm_discard = False

    def action_save(self) -> None:
        self._clear_errors()
        self._run_save(self.values(), self._base)

    @work(thread=True, exclusive=True, group="save")
    def _run_save(self, values: dict[str, str], base: Loaded | None) -> None:
        try:
            if self._edit is not None and base is not None:
                result = self._edit.write(base, values)
            else:
                assert self._save is not None
                result = self._save(values)
        except ConflictError as error:
            if self._edit is None or base is None:
                self.app.call_from_thread(self.show_error, error)
                return
            try:
                theirs = self._edit.load()
            except Exception as failure:  # gone, busy: said at the form, typing kept
                self.app.call_from_thread(self.show_error, failure)
                return
            self.app.call_from_thread(self._open_conflict, base, theirs, values)
            return
        except Exception as error:  # InputError, busy: shown, form kept
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self.dismiss, result)

    # a conflict ---------------------------------------------------------------------------
    def compare(self, base: Loaded, theirs: Loaded, typed: Mapping[str, str]) -> list[FieldChange]:
        """The fields the edit or the other desk changed, as the conflict view lists them."""
        specs = {spec.name: spec for spec in self._fields}
        labels = {name: spec.short_label for name, spec in specs.items()}
        return compare(base, theirs, typed, labels, lambda key, text: specs[key].shown(text))

    def _open_conflict(self, base: Loaded, theirs: Loaded, typed: dict[str, str]) -> None:
        from deskterm.screens.conflict import ConflictScreen

        assert self._edit is not None
        self._latest = theirs

        def resolved(result: object) -> None:
            if result == "reload" and self._latest is not None:
                self.load(self._latest)
                self.notify(
                    f"reloaded {one_line(self._latest.name, 80)} v{self._latest.version}; "
                    "your edit was dropped",
                    markup=False,
                )
            elif result is None:
                self.show_error("not saved: your edit is still here (ctrl+s tries again)")
            else:
                self.dismiss(result)  # mine applied on top of theirs

        screen = ConflictScreen(
            base,
            theirs,
            typed,
            compare=self.compare,
            apply=partial(apply_mine, self._edit, base),
            load=self._edit.load,
            name=lambda loaded: loaded.name,
            on_theirs=self._remember_latest,
        )
        self.app.push_screen(screen, resolved)

    def _remember_latest(self, theirs: Loaded) -> None:
        self._latest = theirs

    def load(self, record: Loaded) -> None:
        """Show ``record`` (their version after a conflict) and edit on top of it; what was
        typed is dropped."""
        self._base = record
        self.set_values(record.texts)
        self._clear_errors()
        self._confirm_discard = False

    def action_cancel(self) -> None:
        if self.values() != self.initial() and not self._confirm_discard:
            self._confirm_discard = True
            self.show_error("press escape again to discard what you typed")
            return
        self.dismiss(None)
