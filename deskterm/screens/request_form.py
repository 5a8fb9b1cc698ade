"""Request editors: quick capture (``n``) with completion, and the full edit form (``e``).

The full form shows every editable field of a request, grouped; it carries the version it
loaded (``base_version``) and saves only the fields whose text was changed. A stale save opens
the conflict view (theirs and mine side by side) instead of overwriting. While the form is
open this desk's presence row says it is editing the request, so other desks mark the row
"✎ initials". An error shows at its field and nothing typed is lost; escape asks before
dropping typed text.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any, Literal

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Input, Static, TextArea

from db.engine import Database
from db.enums import Accuracy, Attribution, Priority, RequestChannel, ResponseMethod
from db.errors import ConflictError
from deskterm.core.dates import parse_date, parse_when
from deskterm.core.errors import Checks, InputError
from deskterm.core.requests import (
    FIELD_LABELS,
    RequestRecord,
    edit_problems,
    get_request,
    next_statuses,
    status_label,
    update_request,
)
from deskterm.core.text import one_line
from deskterm.screens.form import FormScreen, reveal
from deskterm.screens.modal import DeskModal
from deskterm.widgets.footer import DeskFooter

# --- who is editing what ---------------------------------------------------------------------

_PRESENCE_LOCK = threading.Lock()


def announce_editing(app: App[Any], target: tuple[str, int] | None) -> None:
    """Say in this desk's presence row what it edits now (None: nothing), off the UI thread.

    The app keeps the value (``app.editing``) so its heartbeat repeats it; the write runs in
    an app worker under a lock and writes the latest value, so a quick open-then-close can
    never leave a stale mark behind.
    """
    from deskterm.core.editing import start_editing, stop_editing

    app.editing = target  # type: ignore[attr-defined]
    db: Database = app.db  # type: ignore[attr-defined]

    def publish() -> None:
        with _PRESENCE_LOCK:
            current = app.editing  # type: ignore[attr-defined]
            try:
                if current is None:
                    stop_editing(db)
                else:
                    start_editing(db, *current)
            except Exception:
                return  # advisory only; the live loop reports database trouble

    app.run_worker(publish, thread=True, group="editing", exit_on_error=False)


class EditsRequest:
    """Mixin for a screen editing one request: marks it while the screen is shown."""

    request_id: int

    def _mark_editing(self) -> None:
        announce_editing(self.app, ("requests", self.request_id))  # type: ignore[attr-defined]

    def _unmark_editing(self) -> None:
        app = self.app  # type: ignore[attr-defined]
        if getattr(app, "editing", None) == ("requests", self.request_id):
            announce_editing(app, None)


# --- completion ------------------------------------------------------------------------------


class DomainSuggester(Suggester):
    """Completes from a domain lookup (e.g. ``suggest_requesters``) run in a thread; results
    are cached per typed prefix by ``Suggester``."""

    def __init__(self, lookup: Callable[[str], list[str]]) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self._lookup = lookup

    async def get_suggestion(self, value: str) -> str | None:
        if not value.strip():
            return None
        try:
            names = await asyncio.to_thread(self._lookup, value)
        except Exception:
            return None  # a busy or unreachable file: no completion, typing goes on
        for name in names:
            if name.casefold().startswith(value):
                return name
        return None


def name_suggesters(db: Database) -> dict[str, DomainSuggester]:
    """Suggesters for the requester and outlet fields, from the contact list."""
    from functools import partial

    from deskterm.core.contacts import suggest_outlets, suggest_requesters

    return {
        "requester": DomainSuggester(partial(suggest_requesters, db, limit=8)),
        "outlet": DomainSuggester(partial(suggest_outlets, db, limit=8)),
    }


#: The quick capture's language field: left empty, the request takes its outlet's language.
LANGUAGE_LABEL = "Language (e.g. es, vi; empty: the outlet's, else en)"


class CaptureForm(FormScreen):
    """The quick capture form with completion on named inputs (``right`` accepts)."""

    HELP_GROUP = "Quick capture"

    def __init__(self, *, suggesters: Mapping[str, Suggester], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._suggesters = dict(suggesters)

    def on_mount(self) -> None:  # FormScreen.on_mount (focus) runs as well
        for name, suggester in self._suggesters.items():
            self.query_one(f"#{name}", Input).suggester = suggester


# --- the full edit form ----------------------------------------------------------------------

Kind = Literal["line", "text", "choice", "when", "date", "int", "bool", "staff"]


@dataclass(frozen=True)
class Spec:
    key: str  # the update_request keyword
    kind: Kind = "line"
    options: tuple[str, ...] = ()  # the words a "choice" field completes to
    hint: str = ""
    required: bool = False  # a choice that cannot be left empty

    @property
    def label(self) -> str:
        optional = self.kind == "choice" and not self.required
        hint = self.hint or (
            f"{', '.join(self.options)}" + ("; empty for none" if optional else "")
            if self.options
            else ""
        )
        return FIELD_LABELS[self.key] + (f" ({hint})" if hint else "")


def _choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value.replace("_", " ") for m in enum)


WHEN_HINT = "e.g. today 17:00, fri 9am, +2h; empty for none"
GROUPS: tuple[tuple[str, tuple[Spec, ...]], ...] = (
    (
        "Request",
        (
            Spec("subject"),
            Spec("status", "choice"),
            Spec("priority", "choice", _choices(Priority), required=True),
            Spec("channel", "choice", _choices(RequestChannel), required=True),
            Spec("language", hint="en, es, vi, ...; empty: the outlet's, else en"),
        ),
    ),
    (
        "Requester",
        (
            Spec("requester_name"),
            Spec("outlet_name"),
            Spec("requester_email"),
            Spec("requester_phone"),
        ),
    ),
    (
        "What they ask",
        (
            Spec("questions", "text"),
            Spec("background", "text"),
            Spec("also_talking_to", "text"),
            Spec("departments"),
        ),
    ),
    (
        "Dates",
        (
            Spec("deadline_at", "when", hint=WHEN_HINT),
            Spec(
                "statutory_days", "int", hint="records requests: business days; sets the deadline"
            ),
            Spec("follow_up_on", "date", hint="a date, e.g. fri, 2026-12-01"),
        ),
    ),
    (
        "People",
        (
            Spec("assignee", "staff", hint="initials"),
            Spec("spokesperson", "staff", hint="initials"),
            Spec("taken_by", "staff", hint="initials"),
        ),
    ),
    (
        "Review",
        (
            Spec("needs_review", "bool", ("yes", "no")),
            Spec("review_kind", hint="legal, leadership, ..."),
            Spec("approver", "staff", hint="initials"),
            Spec("approved_at", "when", hint=WHEN_HINT),
        ),
    ),
    (
        "Response",
        (
            Spec("response_method", "choice", _choices(ResponseMethod)),
            Spec("attribution", "choice", _choices(Attribution)),
            Spec("embargo_until", "when", hint=WHEN_HINT),
            Spec("responded_at", "when", hint=WHEN_HINT),
            Spec("response_text", "text"),
        ),
    ),
    (
        "Outcome",
        (
            Spec("published_url", hint="https://..."),
            Spec("accuracy", "choice", _choices(Accuracy)),
        ),
    ),
)
SPECS: tuple[Spec, ...] = tuple(spec for _, specs in GROUPS for spec in specs)
#: The record attribute shown for an update key where the two differ (the linked names).
_SHOWN = {"requester_name": "requester", "outlet_name": "outlet"}


def initial_text(record: RequestRecord, spec: Spec, tz: tzinfo) -> str:
    """How a field of ``record`` reads in the form (what a save compares typed text with)."""
    value = getattr(record, _SHOWN.get(spec.key, spec.key))
    if value is None:
        return "" if spec.kind != "bool" else "no"
    if spec.kind == "when":
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if spec.kind == "date":
        return value.isoformat()
    if spec.kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.value.replace("_", " ")
    return str(value)


def parse_field(spec: Spec, text: str, *, now: datetime, tz: tzinfo) -> Any:
    """The typed text of one field as ``update_request`` takes it (InputError at the field)."""
    stripped = text.strip()
    if spec.kind in ("text", "line"):
        return text
    if spec.kind == "choice":
        return stripped or None
    if spec.kind == "bool":
        answer = stripped.lower()
        if answer in ("yes", "y", "true"):
            return True
        if answer in ("no", "n", "false", ""):
            return False
        raise InputError(f"{FIELD_LABELS[spec.key].lower()}: yes or no", field=spec.key)
    if spec.kind == "staff":
        return stripped or None
    if not stripped:
        return None
    if spec.kind == "when":
        return parse_when(
            stripped, now=now, tz=tz, field=spec.key, allow_past=spec.key != "deadline_at"
        )
    if spec.kind == "date":
        return parse_date(stripped, today=now.astimezone(tz).date(), field=spec.key)
    if not stripped.isdigit():
        raise InputError(f"{FIELD_LABELS[spec.key].lower()} must be a whole number", field=spec.key)
    return int(stripped)


def changed_fields(
    record: RequestRecord,
    typed: Mapping[str, str],
    *,
    now: datetime,
    tz: tzinfo,
    save_checks: Callable[[dict[str, Any]], list[InputError]] | None = None,
) -> dict[str, Any]:
    """The edit: every field whose typed text differs from how the record reads, parsed.

    Every field that cannot be read is refused at once (``InputErrors``); with
    ``save_checks`` (what the save would refuse, e.g. ``edit_problems``), so are the
    fields that could be read but the save would refuse (an unknown choice or staff
    member): one save shows them all, not the dates first and the rest next time.
    """
    changes: dict[str, Any] = {}
    checks = Checks()
    for spec in SPECS:
        if spec.key in typed and typed[spec.key] != initial_text(record, spec, tz):
            changes[spec.key] = checks.check(parse_field, spec, typed[spec.key], now=now, tz=tz)
    if checks.errors and save_checks is not None:
        unread = {error.field for error in checks.errors}
        checks.errors += save_checks({k: v for k, v in changes.items() if k not in unread})
        order = {spec.key: index for index, spec in enumerate(SPECS)}
        checks.errors.sort(key=lambda error: order.get(error.field or "", len(order)))
    checks.done()  # the first error in the form's order is the one focused
    return changes


class RequestFormScreen(EditsRequest, DeskModal[RequestRecord | None]):
    """Edit every field of a request. Dismisses with the saved record, or None."""

    DEFAULT_CSS = """
    RequestFormScreen { align: center middle; }
    RequestFormScreen > VerticalScroll {
        width: 96; max-width: 98%; height: auto; max-height: 96%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    RequestFormScreen .group { text-style: bold; color: $accent; margin-top: 1; }
    RequestFormScreen .error { color: $error; height: auto; }
    RequestFormScreen .-invalid { color: $error; text-style: bold; }
    RequestFormScreen .hint { color: $text-muted; }
    RequestFormScreen .others { color: $warning; }
    RequestFormScreen TextArea { height: 5; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]
    HELP_GROUP = "Request editor"

    def __init__(
        self,
        record: RequestRecord,
        *,
        db: Database,
        tz: tzinfo,
        clock: Callable[[], datetime],
        holidays: Collection[date] = (),
        suggesters: Mapping[str, Suggester] | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self.request_id = record.id
        self._db = db
        self._tz = tz
        self._clock = clock
        self._holidays = tuple(holidays)
        self._suggesters = dict(suggesters or {})
        self._confirm_discard = False
        self._latest: RequestRecord | None = None  # their version, after a conflict
        self._errors: dict[str, str] = {}  # field -> the error shown at it

    # layout -----------------------------------------------------------------------------
    def _status_words(self) -> tuple[str, ...]:
        current = self.record.status
        return tuple(status_label(s) for s in (current, *next_statuses(current)))

    def _label(self, spec: Spec) -> Text:
        if spec.key == "status":
            moves = ", ".join(self._status_words()[1:])
            return Text(f"{FIELD_LABELS['status']} (can go to {moves})")
        return Text(spec.label)

    def _widget(self, spec: Spec) -> Input | TextArea:
        value = initial_text(self.record, spec, self._tz)
        if spec.kind == "text":
            return TextArea(value, id=spec.key, soft_wrap=True, tab_behavior="focus")
        suggester: Suggester | None
        if spec.kind in ("choice", "bool"):
            words = self._status_words() if spec.key == "status" else spec.options
            suggester = SuggestFromList(words, case_sensitive=False)
        else:
            suggester = self._suggesters.get(
                {"requester_name": "requester", "outlet_name": "outlet"}.get(spec.key, "")
            )
        return Input(value=value, id=spec.key, suggester=suggester)

    def compose(self) -> ComposeResult:
        record = self.record
        with VerticalScroll() as box:
            box.border_title = Text(
                one_line(f"Edit {record.number} ({record.kind.value}) v{record.version}", 80)
            )
            yield Static(Text(""), classes="others", id="others")
            for heading, specs in GROUPS:
                yield Static(Text(heading), classes="group")
                for spec in specs:
                    # the label doubles as the field's error line (one widget fewer a field)
                    yield Static(self._label(spec), id=f"{spec.key}-label")
                    yield self._widget(spec)
            yield Static(Text(""), classes="error", id="form-error")
            yield Static(
                Text(
                    "ctrl+s saves · escape cancels · tab moves on · → accepts a completion "
                    "(names, and the words of choice fields)"
                ),
                classes="hint",
            )
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def on_mount(self) -> None:
        self.query_one("#subject", Input).focus()
        self._mark_editing()
        self._check_others()

    def on_unmount(self) -> None:
        self._unmark_editing()

    @work(thread=True, group="others")
    def _check_others(self) -> None:
        from deskterm.core.editing import editors

        try:
            others = editors(self._db, "requests").get(self.record.id, ())
        except Exception:
            return
        self.app.call_from_thread(self._show_others, others)

    def presence_changed(self, desks) -> None:  # type: ignore[no-untyped-def]
        """The live loop read who is on the desk: the banner follows (another desk that
        saved and closed its form, or left, no longer shows as editing)."""
        from deskterm.core.editing import editors_from_desks

        self._show_others(editors_from_desks(self._db, desks, "requests").get(self.record.id, ()))

    def _show_others(self, others: tuple[str, ...]) -> None:
        text = f"✎ {', '.join(others)} is editing this request too: saving checks first"
        self.query_one("#others", Static).update(Text(one_line(text, 200) if others else ""))

    # values -----------------------------------------------------------------------------
    def typed(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for spec in SPECS:
            widget = self.query_one(f"#{spec.key}")
            out[spec.key] = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        return out

    def load_record(self, record: RequestRecord) -> None:
        """Show ``record`` (e.g. their version after a conflict), dropping what was typed."""
        self.record = record
        for spec in SPECS:
            widget = self.query_one(f"#{spec.key}")
            value = initial_text(record, spec, self._tz)
            if isinstance(widget, TextArea):
                widget.load_text(value)
            else:
                widget.value = value  # type: ignore[attr-defined]
                if spec.key == "status":
                    widget.suggester = SuggestFromList(  # type: ignore[attr-defined]
                        self._status_words(), case_sensitive=False
                    )
        box = self.query_one(VerticalScroll)
        box.border_title = Text(
            one_line(f"Edit {record.number} ({record.kind.value}) v{record.version}", 80)
        )
        self._clear_errors()
        self._confirm_discard = False

    def field_error(self, key: str) -> str:
        """The error shown at a field ("" when none)."""
        label = self.query_one(f"#{key}-label", Static)
        return self._errors.get(key, "") if label.has_class("-invalid") else ""

    def _clear_errors(self) -> None:
        for key in list(self._errors):
            spec = next(s for s in SPECS if s.key == key)
            label = self.query_one(f"#{key}-label", Static)
            label.update(self._label(spec))
            label.remove_class("-invalid")
        self._errors.clear()
        self.query_one("#form-error", Static).update(Text(""))

    def show_error(self, error: Exception) -> None:
        """At its field (the label), else under the form; several fields' errors
        (``InputErrors``) each at its field, the first focused."""
        several = getattr(error, "errors", None)
        if several:
            for one in reversed(several):  # the first shown last: focused, in view
                self.show_error(one)
            return
        field = getattr(error, "field", None)
        keys = {spec.key for spec in SPECS}
        aliases = {
            "requester": "requester_name",
            "outlet": "outlet_name",
            "deadline": "deadline_at",
        }
        target = aliases.get(field, field) if field else None
        message = one_line(error, 200)
        if target not in keys:
            self._form_error(message)
            return
        spec = next(s for s in SPECS if s.key == target)
        label = self.query_one(f"#{target}-label", Static)
        label.update(Text(f"{FIELD_LABELS[spec.key]}  ✗ {message}"))
        label.add_class("-invalid")
        self._errors[target] = message
        field = self.query_one(f"#{target}")
        field.focus(scroll_visible=False)
        reveal(field, label)  # the label above the field is its error line

    def _form_error(self, message: str) -> None:
        """Under the form (below the fold of a tall one): scrolled into view."""
        line = self.query_one("#form-error", Static)
        line.update(Text(message))
        reveal(line)

    # saving -----------------------------------------------------------------------------
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
        self._run_save(self.typed(), self.record)

    @work(thread=True, exclusive=True, group="save")
    def _run_save(self, typed: dict[str, str], base: RequestRecord) -> None:
        try:
            changes = changed_fields(
                base,
                typed,
                now=self._clock(),
                tz=self._tz,
                save_checks=lambda readable: edit_problems(self._db, base.id, **readable),
            )
            if not changes:
                self.app.call_from_thread(self.dismiss, base)
                return
            saved = self.save_changes(base.version, changes)
        except ConflictError:
            try:
                theirs = get_request(self._db, base.id)
            except Exception as error:
                self.app.call_from_thread(self.show_error, error)
                return
            self.app.call_from_thread(self._open_conflict, base, theirs, changes)
            return
        except Exception as error:  # InputError, busy: shown at the field, typing kept
            self.app.call_from_thread(self.show_error, error)
            return
        self.app.call_from_thread(self.dismiss, saved)

    def save_changes(self, base_version: int, changes: Mapping[str, Any]) -> RequestRecord:
        """The write (in a worker): the edit on top of ``base_version``."""
        return update_request(
            self._db,
            self.record.id,
            base_version,
            now=self._clock(),
            tz=self._tz,
            holidays=self._holidays,
            **changes,
        )

    def _open_conflict(
        self, base: RequestRecord, theirs: RequestRecord, changes: dict[str, Any]
    ) -> None:
        from deskterm.screens.conflict import ConflictScreen

        def resolved(result: object) -> None:
            if isinstance(result, RequestRecord):
                self.dismiss(result)  # mine applied on top of theirs
            elif result == "reload" and isinstance(self._latest, RequestRecord):
                self.load_record(self._latest)
                self.notify(
                    f"reloaded {self._latest.number} v{self._latest.version}; your edit was "
                    "dropped",
                    markup=False,
                )
            else:
                self._form_error("not saved: your edit is still here (ctrl+s tries again)")

        self._latest = theirs
        screen = ConflictScreen.for_request(
            base,
            theirs,
            changes,
            db=self._db,
            tz=self._tz,
            apply=self.save_changes,
            on_theirs=self._remember_latest,
        )
        self.app.push_screen(screen, resolved)

    def _remember_latest(self, record: RequestRecord) -> None:
        self._latest = record

    def action_cancel(self) -> None:
        typed = self.typed()
        changed = any(
            typed[spec.key] != initial_text(self.record, spec, self._tz) for spec in SPECS
        )
        if changed and not self._confirm_discard:
            self._confirm_discard = True
            self._form_error("press escape again to discard what you typed")
            return
        self.dismiss(None)
