"""Board: the task board's columns with card counts and the cards due soonest."""

from __future__ import annotations

from deskterm.core.dates import format_countdown
from deskterm.core.tasks import board
from deskterm.widgets.pane import Pane, PaneContext, text_matches
from deskterm.widgets.table import Column, Row, cell

CARDS_PER_COLUMN = 4


class BoardPane(Pane):
    TITLE = "Board"
    NUMBER = "3"
    ENTITIES = frozenset({"tasks", "checklist_items", "task_comments", "staff"})
    EMPTY = "The board is empty."
    COLUMNS = (
        Column("Due", 14),
        Column("Card", None),
        Column("Kind", 13, hide_below=64),
        Column("Who", 3),
    )

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        per_column = 50 if context.text else CARDS_PER_COLUMN
        columns = board(context.db, per_column=per_column)
        rows: list[Row] = []
        total = 0
        for column in columns:
            total += column.count
            cards = [
                t
                for t in column.cards
                if text_matches(context.text, t.title, t.owner, t.kind.value)
            ]
            label = column.status.value.replace("_", " ").upper()
            rows.append(
                Row(
                    key=f"column-{column.status.value}",
                    cells=(cell(""), cell(f"{label} · {column.count}", "bold"), cell(""), cell("")),
                    item=None,
                )
            )
            for task in cards:
                due = ""
                style = ""
                if task.due_at is not None:
                    due = format_countdown(task.due_at, context.now)
                    if task.is_overdue(context.now):
                        due, style = f"‼ {due}", context.overdue_style
                rows.append(
                    Row(
                        key=f"task-{task.id}",
                        cells=(
                            cell(due, style),
                            cell(task.title),
                            cell(task.kind.value.replace("_", " "), "dim"),
                            cell(task.owner or "—"),
                        ),
                        item=task,
                    )
                )
        return rows, f"{total} cards"
