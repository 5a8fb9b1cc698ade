"""Calendar: today's and the next days' agenda."""

from __future__ import annotations

from datetime import timedelta

from deskterm.core.calendar import occurrences
from deskterm.widgets.pane import Pane, PaneContext, text_matches
from deskterm.widgets.table import Column, Row, cell
from deskterm.widgets.timefmt import clock, day_label, start_of_day

DAYS = 8
WINDOW = 400


class CalendarPane(Pane):
    TITLE = "Calendar"
    NUMBER = "4"
    ENTITIES = frozenset({"events", "tasks", "requests"})
    EMPTY = "Nothing on the calendar for the next week."
    COLUMNS = (
        Column("When", 11),
        Column("Event", None, weight=3),
        Column("Who", None, hide_below=64, weight=1, min_width=12),
        Column("", 9, hide_below=90),
    )

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        start = start_of_day(context.now, context.tz)
        items = occurrences(context.db, start, start + timedelta(days=DAYS), limit=WINDOW)
        rows: list[Row] = []
        current_day = None
        count = 0
        for occ in items:
            if not text_matches(context.text, occ.title, occ.location, *occ.leaders):
                continue
            day = occ.start.astimezone(context.tz).date()
            if day != current_day:
                current_day = day
                rows.append(
                    Row(
                        key=f"day-{day.isoformat()}",
                        cells=(
                            cell(""),
                            cell(day_label(occ.start, context.tz, context.now), "bold"),
                            cell(""),
                            cell(""),
                        ),
                    )
                )
            when = "all day" if occ.all_day else clock(occ.start, context.tz)
            if not occ.all_day and occ.end is not None:
                when += f"-{clock(occ.end, context.tz)}"
            status = occ.status.value
            past = occ.end is not None and occ.end < context.now
            rows.append(
                Row(
                    key=f"event-{occ.event_id}-{occ.start.isoformat()}",
                    cells=(
                        cell(when, "dim" if past else ""),
                        cell(
                            occ.title + (f" · {occ.location}" if occ.location else ""),
                            "strike dim" if status == "cancelled" else "",
                        ),
                        cell(", ".join(occ.leaders), "italic"),
                        cell("" if status == "confirmed" else status, "dim"),
                    ),
                    item=occ,
                )
            )
            count += 1
        return rows, f"{count} in the next {DAYS - 1} days"
