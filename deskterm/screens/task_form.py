"""The card editor: new (prefilled column) and edit. Errors show at the field; nothing typed
is lost; escape asks before dropping typed text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from db.enums import TaskKind, TaskStatus
from deskterm.core.dates import parse_when
from deskterm.core.errors import InputError
from deskterm.core.tasks import TaskRecord
from deskterm.core.text import one_line

FIELDS = ("title", "kind", "owner", "due")


@dataclass(frozen=True)
class TaskDraft:
    """What the form collected, already parsed (times aware)."""

    title: str
    kind: TaskKind
    owner: str | None
    due_at: datetime | None
    status: TaskStatus


class TaskFormScreen(ModalScreen[object]):
    """``save(draft)`` runs in a worker; an InputError is shown at its field."""

    DEFAULT_CSS = """
    TaskFormScreen { align: center middle; }
    TaskFormScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TaskFormScreen .error { color: $error; height: auto; }
    TaskFormScreen .hint { color: $text-muted; }
    TaskFormScreen Input, TaskFormScreen Select { margin-bottom: 0; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        *,
        heading: str,
        status: TaskStatus,
        now: Callable[[], datetime],
        tz: tzinfo,
        save: Callable[[TaskDraft], object],
        task: TaskRecord | None = None,
    ) -> None:
        super().__init__()
        self._heading = heading
        self._status = status
        self._now = now
        self._tz = tz
        self._save = save
        self._record = task
        self._confirm_discard = False

    def compose(self) -> ComposeResult:
        task = self._record
        due = (
            task.due_at.astimezone(self._tz).strftime("%Y-%m-%d %H:%M")
            if task and task.due_at
            else ""
        )
        with VerticalScroll() as box:
            box.border_title = Text(one_line(self._heading, 60))
            yield Label("Title")
            yield Input(value=task.title if task else "", id="title")
            yield Static(Text(""), classes="error", id="title-error")
            yield Label("Kind")
            yield Select(
                [(k.value.replace("_", " "), k.value) for k in TaskKind],
                value=(task.kind.value if task else TaskKind.PRESS_RELEASE.value),
                allow_blank=False,
                id="kind",
            )
            yield Static(Text(""), classes="error", id="kind-error")
            yield Label("Owner (initials)")
            yield Input(value=(task.owner or "") if task else "", id="owner")
            yield Static(Text(""), classes="error", id="owner-error")
            yield Label("Due (e.g. today 17:00, fri 9am, +2h; empty for none)")
            yield Input(value=due, id="due")
            yield Static(Text(""), classes="error", id="due-error")
            yield Static(Text(""), classes="error", id="form-error")
            yield Static(Text("ctrl+s or enter saves · escape cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def _typed(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", Input).value for name in ("title", "owner", "due")}

    def _clear_errors(self) -> None:
        for name in (*FIELDS, "form"):
            self.query_one(f"#{name}-error", Static).update(Text(""))

    def show_error(self, error: Exception) -> None:
        field = getattr(error, "field", None)
        target = field if field in FIELDS else ("due" if field in ("due_at",) else "form")
        self.query_one(f"#{target}-error", Static).update(Text(one_line(error, 200)))

    def draft(self) -> TaskDraft:
        typed = self._typed()
        due_text = typed["due"].strip()
        due = parse_when(due_text, now=self._now(), tz=self._tz, field="due") if due_text else None
        return TaskDraft(
            title=typed["title"],
            kind=TaskKind(self.query_one("#kind", Select).value),
            owner=typed["owner"].strip() or None,
            due_at=due,
            status=self._record.status if self._record else self._status,
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._confirm_discard = False

    def action_save(self) -> None:
        self._clear_errors()
        try:
            draft = self.draft()
        except InputError as error:
            self.show_error(error)
            return
        self._run_save(draft)

    @work(thread=True, exclusive=True, group="save")
    def _run_save(self, draft: TaskDraft) -> None:
        try:
            result = self._save(draft)
        except Exception as error:  # InputError, ConflictError, busy: shown, form kept
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self.dismiss, result)

    def action_cancel(self) -> None:
        original = {
            "title": self._record.title if self._record else "",
            "owner": (self._record.owner or "") if self._record else "",
        }
        typed = self._typed()
        changed = any(typed[k] != original[k] for k in original) or (
            typed["due"] and not self._record
        )
        if changed and not self._confirm_discard:
            self._confirm_discard = True
            self.query_one("#form-error", Static).update(
                Text("press escape again to discard what you typed")
            )
            return
        self.dismiss(None)
