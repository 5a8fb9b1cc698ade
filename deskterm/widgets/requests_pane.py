"""Requests: open media and constituent requests, most urgent first, with countdowns."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from rich.text import Text
from textual.binding import Binding

from db.enums import RequestStatus
from deskterm.core.dates import format_countdown, parse_when
from deskterm.core.errors import InputError
from deskterm.core.requests import (
    RequestRecord,
    add_note,
    count_open,
    list_open_requests,
    update_request,
)
from deskterm.core.statutory import statutory_clock
from deskterm.core.text import one_line
from deskterm.screens.pickers import Choice, PickScreen, PromptScreen
from deskterm.widgets.pane import ActionsMixin, Pane, PaneContext
from deskterm.widgets.table import Column, Row, cell

WINDOW = 200
SOON = timedelta(minutes=30)
KIND_LABEL = {"media": "MED", "constituent": "CON", "records": "PRR"}


def countdown_cell(deadline: datetime | None, context: PaneContext) -> Text:
    """Urgency is never colour alone: overdue carries ‼, due within 30 minutes carries !."""
    if deadline is None:
        return cell("  no deadline", "dim")
    now = context.now
    text = format_countdown(deadline, now)
    if deadline < now:
        return cell(f"‼ {text}", context.overdue_style)
    if deadline - now <= SOON:
        return cell(f"! {text}", context.soon_style)
    return cell(f"  {text}")


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
        Binding("a", "assign", "Assign"),
        Binding("s", "status", "Status"),
        Binding("d", "deadline", "Deadline", show=False),
        Binding("c", "note", "Note", show=False),
        Binding("M", "mine", "Mine only", show=False),
        Binding("p", "pause_clock", "Pause/resume clock", show=False),
    ]

    def __init__(self, context, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context, **kwargs)
        self._mine = False

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        mine = self.app.settings.user if self._mine else None  # type: ignore[attr-defined]
        requests = list_open_requests(
            context.db, now=context.now, limit=WINDOW, text=context.text or None, assignee=mine
        )
        total = count_open(context.db)
        overdue = sum(1 for r in requests if r.deadline_at and r.deadline_at < context.now)
        holidays = self.app.settings.holidays  # type: ignore[attr-defined]
        today = context.now.astimezone(context.tz).date()
        rows = [
            Row(
                key=f"request-{r.id}",
                cells=(
                    clock_cell(r, context, today, holidays)
                    or countdown_cell(r.deadline_at, context),
                    cell(KIND_LABEL.get(r.kind.value, r.kind.value)),
                    cell(" · ".join(part for part in (r.requester, r.outlet) if part)),
                    cell(r.subject),
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
        if self._mine:
            summary += " · mine"
        return rows, summary

    # actions ----------------------------------------------------------------------------
    def _request(self) -> RequestRecord | None:
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
        from db.enums import RequestKind
        from deskterm.core.requests import create_request
        from deskterm.screens.form import Field, FormScreen

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
        ]

        def save(values: dict[str, str]) -> RequestRecord:
            now = app.clock()  # type: ignore[attr-defined]
            text = values["deadline"].strip()
            deadline = (
                parse_when(text, now=now, tz=app.tz, field="deadline", allow_past=False)  # type: ignore[attr-defined]
                if text
                else None
            )
            return create_request(
                self._db,
                kind=values["kind"],
                subject=values["subject"],
                requester=values["requester"],
                outlet=values["outlet"],
                deadline=deadline,
                assignee=values["assignee"].strip() or None,
                now=now,
            )

        def saved(result: object) -> None:
            if isinstance(result, RequestRecord):
                self._done(f"logged {result.number}: {result.subject[:40]}", f"request-{result.id}")

        app.push_screen(FormScreen(heading="New request", fields=fields, save=save), saved)

    def action_assign(self) -> None:
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
        request = self._request()
        if request is None:
            return
        choices = [Choice(s.value, s.value.replace("_", " ")) for s in RequestStatus]

        def picked(value: str | None) -> None:
            if value is not None:
                self._do(
                    f"{request.number} is {value.replace('_', ' ')}",
                    partial(update_request, self._db, request.id, request.version, status=value),
                    follow=f"request-{request.id}",
                )

        self.app.push_screen(
            PickScreen(f"Status of {request.number}", choices, current=request.status.value),
            picked,
        )

    def action_deadline(self) -> None:
        request = self._request()
        if request is None:
            return
        app = self.app

        def entered(text: str | None) -> None:
            if not text:
                return
            try:
                deadline = parse_when(
                    text,
                    now=app.clock(),
                    tz=app.tz,
                    field="deadline",
                    allow_past=False,  # type: ignore[attr-defined]
                )
            except InputError as error:
                self.notify(one_line(error, 300), severity="warning", markup=False)
                return
            self._do(
                f"{request.number} due {deadline.astimezone(app.tz):%a %d %b %H:%M}",  # type: ignore[attr-defined]
                partial(
                    update_request, self._db, request.id, request.version, deadline_at=deadline
                ),
                follow=f"request-{request.id}",
            )

        self.app.push_screen(
            PromptScreen(
                f"Deadline for {request.number}",
                label="When? e.g. today 17:00, fri 9am, +2h, 2026-11-24 15:00",
            ),
            entered,
        )

    def action_note(self) -> None:
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
