"""Requests: open media, constituent and records requests, most urgent first, with countdowns.

Keys: ``n`` quick capture (with completion of names from the contact list), ``e`` the full
edit form, ``r`` respond (templates, letter export), ``s`` status (only the moves the
workflow allows), ``a`` assign, ``d`` deadline, ``c`` note, ``p`` pause/resume a records
clock, ``f`` filter by status, kind, assignee or outlet type, ``M`` mine only. A row another
desk is editing carries "✎ initials" (a mark, not colour alone).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from rich.text import Text
from textual import work
from textual.binding import Binding

from db.enums import OutletType, RequestKind, RequestStatus
from deskterm.core.dates import format_countdown, parse_when, urgency_mark
from deskterm.core.editing import editors, editors_from_desks
from deskterm.core.errors import InputError
from deskterm.core.open_requests import count_open, open_request_window
from deskterm.core.request_records import (
    DUE_SOON,
    UNASSIGNED,
    RequestFilter,
    RequestRecord,
    status_label,
)
from deskterm.core.statutory import statutory_clock
from deskterm.core.text import one_line
from deskterm.widgets.pane import ActionsMixin, Pane, PaneContext
from deskterm.widgets.table import Column, Row, cell

WINDOW = 200
KIND_LABEL = {"media": "MED", "constituent": "CON", "records": "PRR"}


def countdown_cell(deadline: datetime | None, context: PaneContext) -> Text:
    """Urgency is never colour alone: overdue carries ‼, due within 30 minutes carries !."""
    if deadline is None:
        return cell("  no deadline", "dim")
    now = context.now
    mark = urgency_mark(deadline, now, DUE_SOON)
    style = {"‼": context.overdue_style, "!": context.soon_style}.get(mark, "")
    return cell(f"{mark or ' '} {format_countdown(deadline, now)}", style)


def clock_cell(request, context: PaneContext, today, holidays) -> Text | None:  # type: ignore[no-untyped-def]
    """A public-records request's statutory clock in business days (None: no clock)."""
    clock = statutory_clock(request, today=today, holidays=holidays, tz=context.tz)
    if clock.remaining is None:
        return None
    if clock.paused:
        return cell(f"⏸ {clock.remaining} bd left")
    if clock.remaining < 0:
        return cell(f"‼ {-clock.remaining} bd late", context.overdue_style)
    if clock.remaining <= 1:
        return cell(f"! {clock.remaining} bd left", context.soon_style)
    return cell(f"  {clock.remaining} bd left")


def due_cell(request: RequestRecord, context: PaneContext, today, holidays) -> Text:  # type: ignore[no-untyped-def]
    """The countdown of an open request; a finished one (a status filter shows those) is
    answered, closed or declined, never "late"."""
    if not request.is_open():
        return cell(f"  {status_label(request.status)}", "dim")
    return clock_cell(request, context, today, holidays) or countdown_cell(
        request.deadline_at, context
    )


def subject_cell(subject: str, editing: tuple[str, ...]) -> Text:
    """The subject, led by "✎ JL" while another desk has the request open in an editor."""
    text = cell(subject)
    if not editing:
        return text
    mark = Text(f"✎ {one_line(','.join(editing), 24)}", style="bold reverse")
    return Text.assemble(mark, " ", text, no_wrap=True, overflow="ellipsis", end="")


def _status_hint(target: RequestStatus, request: RequestRecord) -> str:
    from deskterm.core.requests import NEEDS_ASSIGNEE

    if target is RequestStatus.RESPONDED:
        return "  (opens the response editor)"
    if target in NEEDS_ASSIGNEE and not request.assignee:
        return "  (asks who)"
    if target is RequestStatus.NEW:
        return "  (unassigns)"
    return ""


class RequestsPane(ActionsMixin, Pane):
    TITLE = "Requests"
    NUMBER = "2"
    ENTITIES = frozenset({"requests", "request_notes", "staff", "contacts", "outlets"})
    EMPTY = "No open media, constituent or records requests."
    COLUMNS = (
        Column("Due", 14),
        Column("Kind", 4, hide_below=70),
        Column("From", None, hide_below=50, weight=2, min_width=12),
        Column("Subject", None, weight=3),
        Column("Who", 3),
        Column("Status", 9, hide_below=90),
    )

    BINDINGS = [
        Binding("n", "capture", "New request"),
        Binding("e", "edit", "Edit"),
        Binding("r", "respond", "Respond"),
        Binding("a", "assign", "Assign"),
        Binding("s", "status", "Status"),
        Binding("f", "filters", "Filter by…"),
        Binding("d", "deadline", "Deadline", show=False),
        Binding("c", "note", "Note", show=False),
        Binding("M", "mine", "Mine only", show=False),
        Binding("p", "pause_clock", "Pause/resume clock", show=False),
    ]

    def __init__(self, context, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context, **kwargs)
        self._mine = False
        self._not_staff = ""  # the desk's user, when M found them missing from the staff list
        self.filters = RequestFilter()
        self._marks: dict[int, tuple[str, ...]] = {}  # request id -> who else edits it

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        wanted = self.filters
        self._not_staff = ""
        if context.text or wanted.active() or self._mine:
            requests = self._filtered(context, wanted)
        else:  # as the desk opens: plain SQL, no SQLAlchemy (the same records)
            requests = open_request_window(context.db, limit=WINDOW)
        marks = editors(context.db, "requests")
        self._marks = marks
        total = count_open(context.db)
        overdue = sum(1 for r in requests if r.deadline_at and r.deadline_at < context.now)
        holidays = self.app.settings.holidays  # type: ignore[attr-defined]
        today = context.now.astimezone(context.tz).date()
        rows = [
            Row(
                key=f"request-{r.id}",
                cells=(
                    due_cell(r, context, today, holidays),
                    cell(KIND_LABEL.get(r.kind.value, r.kind.value)),
                    cell(" · ".join(part for part in (r.requester, r.outlet) if part)),
                    subject_cell(r.subject, marks.get(r.id, ())),
                    cell(r.assignee or "—", "dim" if not r.assignee else ""),
                    cell(r.status.value.replace("_", " ")),
                ),
                item=r,
            )
            for r in requests
        ]
        summary = f"{total} open"
        if overdue:
            summary += f" · ‼ {overdue} overdue"
        if wanted.active():
            summary += f" · {len(rows)} shown · {wanted.describe()}"
        if self._mine:
            summary += " · mine"
        if marks:
            summary += f" · ✎ {len(marks)} being edited"
        return rows, summary

    def _filtered(self, context: PaneContext, wanted: RequestFilter) -> list[RequestRecord]:
        """The window a typed filter, ``f`` or ``M`` asks for, filtered in SQL by the domain."""
        from deskterm.core.requests import list_open_requests

        mine = self.app.settings.user if self._mine else wanted.assignee  # type: ignore[attr-defined]
        try:
            return list_open_requests(
                context.db,
                now=context.now,
                limit=WINDOW,
                text=context.text or None,
                assignee=mine,
                kind=wanted.kind,
                status=wanted.status,
                outlet_type=wanted.outlet_type,
            )
        except InputError as error:
            if not (self._mine and error.field == "assignee"):
                raise
            # M with a desk user who is not on the staff list: nothing is theirs (said why)
            self._not_staff = str(mine)
            return []

    def empty_text(self) -> str:
        """Filters that match nothing say so: "no open requests" would read as all done."""
        wanted = [self.quoted_filter()] if self.filter_text else []
        if self.filters.active():
            wanted.append(self.filters.describe())
        if self._mine:
            if self._not_staff:
                return (
                    f"M lists the requests assigned to you, and {one_line(self._not_staff, 24)} "
                    "is not on the desk's staff list: no request can be assigned to you. "
                    "M again shows them all."
                )
            wanted.append("mine only (M)")
        if wanted:
            clear = " escape clears the filter." if self.filter_text else ""
            return f"No open request matches {' · '.join(wanted)}.{clear}"
        return self.EMPTY

    def presence_changed(self, desks) -> None:  # type: ignore[no-untyped-def]
        """The live loop read who is on the desk: reload when the editing marks change."""
        if editors_from_desks(self._db, desks, "requests") != self._marks:
            self.reload()

    # actions ----------------------------------------------------------------------------
    DETAIL_ACTIONS = frozenset(
        {"edit", "respond", "assign", "status", "deadline", "note", "pause_clock"}
    )

    def detail_target(self, item: object) -> int | None:
        """A request's row, or a deadline on the calendar: the request it is."""
        from deskterm.core.calendar_markers import Marker, MarkerKind

        if isinstance(item, RequestRecord):
            return item.id
        if isinstance(item, Marker) and item.kind is MarkerKind.DEADLINE:
            return item.id
        return None

    def read_target(self, target_id: int) -> RequestRecord:
        from deskterm.core.requests import get_request

        return get_request(self._db, target_id)

    def _request(self) -> RequestRecord | None:
        if isinstance(self.acting_on, RequestRecord):  # a detail view's key: its request
            return self.acting_on
        item = self.selected_item()
        if isinstance(item, RequestRecord):
            return item
        self.notify("Select a request first (j/k).", severity="warning")
        return None

    def action_mine(self) -> None:
        self._mine = not self._mine
        self.reload()

    def action_pause_clock(self) -> None:
        """Pause a records request's statutory clock while waiting on the requester, or resume."""
        from deskterm.core.statutory import pause_clock, resume_clock

        request = self._request()
        if request is None:
            return
        app = self.app
        if request.clock_paused_at is None:
            call = partial(pause_clock, self._db, request.id, request.version, now=app.clock())  # type: ignore[attr-defined]
            done = f"{request.number}: clock paused"
        else:
            call = partial(
                resume_clock,
                self._db,
                request.id,
                request.version,
                now=app.clock(),  # type: ignore[attr-defined]
                holidays=app.settings.holidays,
                tz=app.tz,  # type: ignore[attr-defined]
            )
            done = f"{request.number}: clock running again"
        self._do(done, call, follow=f"request-{request.id}")

    def action_capture(self) -> None:
        """Quick capture of a phone call: who, outlet, subject, deadline; the rest optional."""
        from deskterm.core.requests import create_request
        from deskterm.screens.form import Field
        from deskterm.screens.request_form import LANGUAGE_LABEL, CaptureForm, name_suggesters

        app = self.app
        fields = [
            Field("requester", "From (reporter or caller)"),
            Field("outlet", "Outlet"),
            Field("subject", "Subject"),
            Field("deadline", "Deadline (e.g. today 17:00, +2h; empty for none)"),
            Field(
                "kind",
                "Kind",
                RequestKind.MEDIA.value,
                options=tuple((k.value, k.value) for k in RequestKind),
            ),
            Field("assignee", "Assign to (initials, optional)"),
            Field("language", LANGUAGE_LABEL),
        ]

        def save(values: dict[str, str]) -> RequestRecord:
            # every field checked before one is refused: one save shows each field's error
            return create_request(
                self._db,
                kind=values["kind"],
                subject=values["subject"],
                requester=values["requester"],
                outlet=values["outlet"],
                deadline=values["deadline"],  # as typed, read in the desk's zone
                assignee=values["assignee"].strip() or None,
                language=values["language"],  # empty: the outlet's, else en
                tz=app.tz,  # type: ignore[attr-defined]
                now=app.clock(),  # type: ignore[attr-defined]
            )

        def saved(result: object) -> None:
            if isinstance(result, RequestRecord):
                logged = f"logged {result.number}: {one_line(result.subject, 40)}"
                if result.language != "en":  # it may have come from the outlet, unasked
                    logged += f" [{result.language}]"
                self._done(logged, f"request-{result.id}")

        app.push_screen(
            CaptureForm(
                heading="New request",
                fields=fields,
                save=save,
                suggesters=name_suggesters(self._db),
            ),
            saved,
        )

    # editing and responding -------------------------------------------------------------
    def _fresh(self, then) -> None:  # type: ignore[no-untyped-def]
        """``then(the selected request as saved now)``; a detail view's key has just read
        its request (``act_on``), so it is not read again."""
        request = self._request()
        if request is None:
            return
        if request is self.acting_on:
            then(request)
        else:
            self.read_then(request.id, then)

    def _editor_options(self) -> dict:  # type: ignore[type-arg]
        app = self.app
        return {
            "db": self._db,
            "tz": app.tz,  # type: ignore[attr-defined]
            "clock": app.clock,  # type: ignore[attr-defined]
            "holidays": app.settings.holidays,  # type: ignore[attr-defined]
        }

    def _saved(self, verb: str):  # type: ignore[no-untyped-def]
        def saved(result: object) -> None:
            if isinstance(result, RequestRecord):
                self._done(f"{result.number} {verb}", f"request-{result.id}")

        return saved

    def action_edit(self) -> None:
        """The full edit form: every field, grouped; conflicts open the conflict view."""
        from deskterm.screens.request_form import RequestFormScreen, name_suggesters

        def open_form(record: RequestRecord) -> None:
            self.app.push_screen(
                RequestFormScreen(
                    record, suggesters=name_suggesters(self._db), **self._editor_options()
                ),
                self._saved("saved"),
            )

        self._fresh(open_form)

    def action_respond(self) -> None:
        """The response editor: method, attribution, embargo, text, templates, letter."""
        self._fresh(self._open_respond)

    def _open_respond(self, record: RequestRecord) -> None:
        from deskterm.screens.respond import RespondScreen

        self.app.push_screen(
            RespondScreen(record, **self._editor_options()), self._saved("responded")
        )

    # filters ----------------------------------------------------------------------------
    def action_filters(self) -> None:
        """Filter by status, kind, assignee or outlet type (in SQL; shown in the title)."""
        from deskterm.screens.pickers import Choice, PickScreen

        f = self.filters
        current = lambda value: f" (now: {value})" if value else ""  # noqa: E731
        choices = [
            Choice("status", "Status…" + current(f.status and status_label(f.status))),
            Choice("kind", "Kind…" + current(f.kind and f.kind.value)),
            Choice("assignee", "Assigned to…" + current(f.assignee)),
            Choice("outlet_type", "Outlet type…" + current(f.outlet_type and f.outlet_type.value)),
            Choice("clear", "Clear every filter"),
        ]

        def picked(value: str | None) -> None:
            if value == "clear":
                self._set_filters(RequestFilter())
            elif value == "assignee":
                self._pick_assignee_filter()
            elif value is not None:
                self._pick_filter_value(value)

        self.app.push_screen(PickScreen("Filter requests by", choices), picked)

    def _pick_filter_value(self, dimension: str) -> None:
        from dataclasses import replace

        from deskterm.screens.pickers import Choice, PickScreen

        options: dict[str, list[tuple[str, str]]] = {
            "status": [(s.value, status_label(s)) for s in RequestStatus],
            "kind": [(k.value, k.value) for k in RequestKind],
            "outlet_type": [(t.value, t.value.replace("_", " ")) for t in OutletType],
        }
        parse = {"status": RequestStatus, "kind": RequestKind, "outlet_type": OutletType}
        choices = [Choice("", "any (open requests)" if dimension == "status" else "any")]
        choices += [Choice(value, label) for value, label in options[dimension]]
        now = getattr(self.filters, dimension)

        def picked(value: str | None) -> None:
            if value is not None:
                chosen = parse[dimension](value) if value else None
                self._set_filters(replace(self.filters, **{dimension: chosen}))

        self.app.push_screen(
            PickScreen(
                f"Filter by {dimension.replace('_', ' ')}",
                choices,
                current=now.value if now is not None else "",
            ),
            picked,
        )

    @work(thread=True, exclusive=True, group="filter-staff")
    def _pick_assignee_filter(self) -> None:
        from dataclasses import replace

        from deskterm.core.staff import list_staff
        from deskterm.screens.pickers import Choice, PickScreen

        try:
            staff = list_staff(self._db)
        except Exception as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 200), severity="error", markup=False
            )
            return
        choices = [Choice("*", "anyone"), Choice(UNASSIGNED, "nobody (unassigned)")]
        choices += [Choice(s.initials, f"{s.initials}  {s.name}") for s in staff]

        def picked(value: str | None) -> None:
            if value is not None:
                chosen = None if value == "*" else value
                self._set_filters(replace(self.filters, assignee=chosen))

        self.app.call_from_thread(
            self.app.push_screen,
            PickScreen("Filter by who is assigned", choices, current=self.filters.assignee or "*"),
            picked,
        )

    def _set_filters(self, filters: RequestFilter) -> None:
        self.filters = filters
        self.reload()

    def action_assign(self) -> None:
        from deskterm.core.requests import update_request

        request = self._request()
        if request is None:
            return
        self._pick_staff(
            f"Who handles {request.number}?",
            request.assignee,
            lambda who: self._do(
                f"{request.number} assigned to {who or 'nobody'}",
                partial(
                    update_request, self._db, request.id, request.version, assignee=who or None
                ),
                follow=f"request-{request.id}",
            ),
            allow_nobody=True,
        )

    def action_status(self) -> None:
        """Move the request along the workflow: only the allowed moves are offered."""
        from deskterm.core.requests import NEEDS_ASSIGNEE, next_statuses
        from deskterm.screens.pickers import Choice, PickScreen

        request = self._request()
        if request is None:
            return
        choices = [
            Choice(s.value, status_label(s) + _status_hint(s, request))
            for s in next_statuses(request.status)
        ]

        def picked(value: str | None) -> None:
            if value is None:
                return
            target = RequestStatus(value)
            if target is RequestStatus.RESPONDED:
                self._fresh(self._open_respond)  # responding needs a method and the text
            elif target in NEEDS_ASSIGNEE and not request.assignee:
                self._pick_staff(
                    f"Who handles {request.number}?",
                    None,
                    lambda who: self._move(request, target, assignee=who or None),
                )
            elif target is RequestStatus.NEW:
                self._move(request, target, assignee=None)
            else:
                self._move(request, target)

        self.app.push_screen(
            PickScreen(f"{request.number} is {status_label(request.status)}: move to", choices),
            picked,
        )

    def _move(self, request: RequestRecord, target: RequestStatus, **extra: object) -> None:
        from deskterm.core.requests import update_request

        self._do(
            f"{request.number} is {status_label(target)}",
            partial(
                update_request,
                self._db,
                request.id,
                request.version,
                status=target.value,
                now=self.app.clock(),  # type: ignore[attr-defined]
                **extra,
            ),
            follow=f"request-{request.id}",
        )

    def action_deadline(self) -> None:
        from deskterm.core.requests import update_request
        from deskterm.screens.pickers import PromptScreen

        request = self._request()
        if request is None:
            return
        app = self.app

        def read(text: str) -> datetime:
            return parse_when(
                text,
                now=app.clock(),  # type: ignore[attr-defined]
                tz=app.tz,  # type: ignore[attr-defined]
                field="deadline",
                allow_past=False,
            )

        def entered(text: str | None) -> None:
            if not text or not text.strip():
                return
            try:
                deadline = read(text)  # the prompt checked it (and stayed open on an error)
            except InputError as error:  # a moment later "now" may have passed it
                self.notify(one_line(error, 300), severity="warning", markup=False)
                return
            self._do(
                f"{request.number} due {deadline.astimezone(app.tz):%a %d %b %H:%M}",  # type: ignore[attr-defined]
                partial(
                    update_request,
                    self._db,
                    request.id,
                    request.version,
                    deadline_at=deadline,
                    tz=app.tz,  # type: ignore[attr-defined]
                ),
                follow=f"request-{request.id}",
            )

        current = request.deadline_at
        self.app.push_screen(
            PromptScreen(
                f"Deadline for {request.number}",
                label="When? e.g. today 17:00, fri 9am, +2h, 2026-11-24 15:00",
                value=f"{current.astimezone(app.tz):%Y-%m-%d %H:%M}" if current else "",  # type: ignore[attr-defined]
                check=lambda text: text.strip() and read(text),  # empty: no change
            ),
            entered,
        )

    def action_note(self) -> None:
        from deskterm.core.requests import add_note
        from deskterm.screens.pickers import PromptScreen

        request = self._request()
        if request is None:
            return

        def entered(text: str | None) -> None:
            if text:
                self._do(
                    f"note added to {request.number}",
                    partial(add_note, self._db, request.id, kind="internal", body=text),
                    follow=f"request-{request.id}",
                )

        self.app.push_screen(
            PromptScreen(f"Internal note on {request.number}", label=one_line(request.subject, 60)),
            entered,
        )
