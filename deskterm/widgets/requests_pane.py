"""Requests: open media and constituent requests, most urgent first, with countdowns."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text

from deskterm.core.dates import format_countdown
from deskterm.core.requests import count_open, list_open_requests
from deskterm.widgets.pane import Pane, PaneContext
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


class RequestsPane(Pane):
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

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        requests = list_open_requests(
            context.db, now=context.now, limit=WINDOW, text=context.text or None
        )
        total = count_open(context.db)
        overdue = sum(1 for r in requests if r.deadline_at and r.deadline_at < context.now)
        rows = [
            Row(
                key=f"request-{r.id}",
                cells=(
                    countdown_cell(r.deadline_at, context),
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
        return rows, summary
