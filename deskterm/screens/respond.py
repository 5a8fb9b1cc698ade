"""The response editor (``r`` on a request): how it was answered, and the answer itself.

Method, attribution and embargo, and the text, into which ``ctrl+o`` inserts a response
template filled in for this request. ``ctrl+s`` saves and marks the request responded (an
open request moves to responded; an answered or closed one keeps its status and gets the
corrected text). ``ctrl+l`` exports what is in the editor as a reply letter (Markdown or
plain text) and says where the file went. A stale save opens the conflict view.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static, TextArea

from db.engine import Database
from db.enums import Attribution, ResponseMethod
from db.errors import ConflictError
from deskterm.core.dates import parse_when
from deskterm.core.requests import (
    OPEN_STATUSES,
    RequestRecord,
    get_request,
    update_request,
)
from deskterm.core.text import one_line
from deskterm.screens.modal import DeskModal
from deskterm.screens.pickers import Choice, PickScreen
from deskterm.screens.request_form import EditsRequest
from deskterm.widgets.footer import DeskFooter


def letters_folder() -> Path:
    """Where exported letters go: ``letters`` in the user data directory."""
    from deskterm.core.config import data_dir

    return data_dir() / "letters"


class RespondScreen(EditsRequest, DeskModal[RequestRecord | None]):
    """Dismisses with the saved record, or None."""

    DEFAULT_CSS = """
    RespondScreen { align: center middle; }
    RespondScreen > Vertical {
        width: 96; max-width: 98%; height: auto; max-height: 96%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    RespondScreen Horizontal { height: auto; }
    RespondScreen Horizontal > Vertical { width: 1fr; height: auto; padding-right: 1; }
    RespondScreen TextArea { height: 12; }
    RespondScreen .error { color: $error; height: auto; }
    RespondScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save as responded"),
        Binding("ctrl+o", "template", "Insert template"),
        Binding("ctrl+l", "letter", "Export letter"),
        Binding("escape", "cancel", "Cancel"),
    ]
    HELP_GROUP = "Response editor"

    def __init__(
        self,
        record: RequestRecord,
        *,
        db: Database,
        tz: tzinfo,
        clock: Callable[[], datetime],
        holidays: Collection[date] = (),
        letters: Path | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self.request_id = record.id
        self._db = db
        self._tz = tz
        self._clock = clock
        self._holidays = tuple(holidays)
        self._letters = letters
        self._confirm_discard = False
        self._embargo_text = (
            record.embargo_until.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            if record.embargo_until
            else ""
        )
        self._latest: RequestRecord | None = None

    def compose(self) -> ComposeResult:
        r = self.record
        method = (r.response_method or ResponseMethod.STATEMENT).value
        with Vertical() as box:
            box.border_title = Text(one_line(f"Respond to {r.number}: {r.subject}", 90))
            who = " · ".join(part for part in (r.requester, r.outlet) if part)
            yield Static(Text(one_line(f"From {who}", 90)), classes="hint")
            with Horizontal():
                with Vertical():
                    yield Label(Text("Method"))
                    yield Select(
                        [(m.value.replace("_", " "), m.value) for m in ResponseMethod],
                        value=method,
                        allow_blank=False,
                        id="response_method",
                    )
                with Vertical():
                    yield Label(Text("Attribution"))
                    yield Select(
                        [("—", "")] + [(a.value.replace("_", " "), a.value) for a in Attribution],
                        value=r.attribution.value if r.attribution else "",
                        allow_blank=False,
                        id="attribution",
                    )
                with Vertical():
                    yield Label(Text("Embargo until"))
                    yield Input(value=self._embargo_text, id="embargo_until")
            yield Label(Text("Response (ctrl+o inserts a template)"))
            yield TextArea(
                r.response_text, id="response_text", soft_wrap=True, tab_behavior="focus"
            )
            yield Static(Text(""), classes="error", id="error")
            yield Static(
                Text(
                    "ctrl+s saves as responded · ctrl+o template · ctrl+l export letter · "
                    "escape cancels"
                ),
                classes="hint",
            )
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self._mark_editing()

    def on_unmount(self) -> None:
        self._unmark_editing()

    # values -----------------------------------------------------------------------------
    def _typed(self) -> dict[str, str]:
        return {
            "response_method": str(self.query_one("#response_method", Select).value),
            "attribution": str(self.query_one("#attribution", Select).value),
            "embargo_until": self.query_one("#embargo_until", Input).value,
            "response_text": self.query_one(TextArea).text,
        }

    def _changes(self, typed: Mapping[str, str], base: RequestRecord) -> dict[str, Any]:
        changes: dict[str, Any] = {
            "response_method": typed["response_method"],
            "attribution": typed["attribution"] or None,
            "response_text": typed["response_text"],
        }
        if typed["embargo_until"] != self._embargo_text:
            text = typed["embargo_until"].strip()
            changes["embargo_until"] = (
                parse_when(text, now=self._clock(), tz=self._tz, field="embargo_until")
                if text
                else None
            )
        if base.status in OPEN_STATUSES:
            changes["status"] = "responded"
        return changes

    def _show(self, text: str) -> None:
        self.query_one("#error", Static).update(Text(one_line(text, 300)))

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._confirm_discard = False

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # saving -----------------------------------------------------------------------------
    def action_save(self) -> None:
        self._show("")
        self._run_save(self._typed(), self.record)

    def save_changes(self, base_version: int, changes: Mapping[str, Any]) -> RequestRecord:
        return update_request(
            self._db,
            self.record.id,
            base_version,
            now=self._clock(),
            tz=self._tz,
            holidays=self._holidays,
            **changes,
        )

    @work(thread=True, exclusive=True, group="save")
    def _run_save(self, typed: dict[str, str], base: RequestRecord) -> None:
        try:
            changes = self._changes(typed, base)
            saved = self.save_changes(base.version, changes)
        except ConflictError:
            try:
                theirs = get_request(self._db, base.id)
            except Exception as error:
                self.app.call_from_thread(self._show, str(error))
                return
            self.app.call_from_thread(self._open_conflict, base, theirs, changes)
            return
        except Exception as error:  # InputError (e.g. a declined request), busy
            self.app.call_from_thread(self._show, str(error))
            return
        self.app.call_from_thread(self.dismiss, saved)

    def _open_conflict(
        self, base: RequestRecord, theirs: RequestRecord, changes: dict[str, Any]
    ) -> None:
        from deskterm.screens.conflict import ConflictScreen

        self._latest = theirs

        def resolved(result: object) -> None:
            if isinstance(result, RequestRecord):
                self.dismiss(result)
            elif result == "reload" and self._latest is not None:
                self._reload(self._latest)
            else:
                self._show("not saved: your response is still here (ctrl+s tries again)")

        def remember(record: RequestRecord) -> None:
            self._latest = record

        self.app.push_screen(
            ConflictScreen.for_request(
                base,
                theirs,
                changes,
                db=self._db,
                tz=self._tz,
                apply=self.save_changes,
                on_theirs=remember,
            ),
            resolved,
        )

    def _reload(self, record: RequestRecord) -> None:
        self.record = record
        self._embargo_text = (
            record.embargo_until.astimezone(self._tz).strftime("%Y-%m-%d %H:%M")
            if record.embargo_until
            else ""
        )
        method = (record.response_method or ResponseMethod.STATEMENT).value
        self.query_one("#response_method", Select).value = method
        self.query_one("#attribution", Select).value = (
            record.attribution.value if record.attribution else ""
        )
        self.query_one("#embargo_until", Input).value = self._embargo_text
        self.query_one(TextArea).load_text(record.response_text)
        self._show(f"reloaded their version (v{record.version}); your response was dropped")

    # templates --------------------------------------------------------------------------
    def action_template(self) -> None:
        self._load_templates()

    @work(thread=True, exclusive=True, group="templates")
    def _load_templates(self) -> None:
        from deskterm.core.templates import list_templates

        try:
            found = list_templates(self._db, kind=self.record.kind)
        except Exception as error:
            self.app.call_from_thread(self._show, str(error))
            return
        if not found:
            self.app.call_from_thread(
                self._show,
                "no response templates yet: deskterm requests templates add NAME --body TEXT",
            )
            return
        choices = [
            Choice(str(t.id), f"{t.name}  ({t.kind.value if t.kind else 'any'})") for t in found
        ]
        by_id = {str(t.id): t for t in found}

        def picked(value: str | None) -> None:
            if value is not None and value in by_id:
                self._fill(by_id[value])

        self.app.call_from_thread(
            self.app.push_screen, PickScreen("Insert a template", choices), picked
        )

    @work(thread=True, exclusive=True, group="templates")
    def _fill(self, template: Any) -> None:
        from deskterm.core.templates import fill_template

        try:
            text = fill_template(self._db, template, self.record, now=self._clock(), tz=self._tz)
        except Exception as error:
            self.app.call_from_thread(self._show, str(error))
            return
        self.app.call_from_thread(self._insert, text, template.name)

    def _insert(self, text: str, name: str) -> None:
        area = self.query_one(TextArea)
        # a paragraph of its own when the cursor is inside a line of text already typed
        row, column = area.cursor_location
        line = area.document.get_line(row)
        before = "\n\n" if line[:column].strip() else ""
        after = "\n\n" if line[column:].strip() else ""
        area.insert(before + text + after)
        area.focus()
        self._show("")
        self.notify(f"inserted template {one_line(name, 60)}", markup=False, timeout=3)

    # letters ----------------------------------------------------------------------------
    def action_letter(self) -> None:
        choices = [Choice("md", "Markdown (.md)"), Choice("txt", "plain text (.txt)")]

        def picked(value: str | None) -> None:
            if value in ("md", "txt"):
                self._export(value, self.query_one(TextArea).text)

        self.app.push_screen(PickScreen("Export the response as a letter", choices), picked)

    @work(thread=True, exclusive=True, group="letter")
    def _export(self, fmt: str, text: str) -> None:
        from deskterm.core.templates import (
            letter,
            letter_filename,
            placeholder_values,
            write_letter,
        )

        try:
            values = placeholder_values(self._db, self.record, now=self._clock(), tz=self._tz)
            body = letter(self.record, text, fmt=fmt, values=values)  # type: ignore[arg-type]
            folder = self._letters or letters_folder()
            path = write_letter(folder / letter_filename(self.record, fmt), body)  # type: ignore[arg-type]
        except Exception as error:
            self.app.call_from_thread(self._show, str(error))
            return
        self.app.call_from_thread(
            self.notify, f"letter written to {path}", title="Letter", markup=False, timeout=10
        )

    def action_cancel(self) -> None:
        typed = self._typed()
        changed = typed["response_text"] != self.record.response_text or (
            typed["embargo_until"] != self._embargo_text
        )
        if changed and not self._confirm_discard:
            self._confirm_discard = True
            self._show("press escape again to discard what you typed")
            return
        self.dismiss(None)
