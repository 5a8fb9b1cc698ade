"""The floor for a desk-like first paint: four tables of real rows, nothing else.

What the cheapest conceivable desk costs to paint: Textual, the standard library's
``sqlite3`` (no SQLAlchemy, no models, no domain layer, no presence, no schema check, no
config), one plain query per pane on the same database the desk opens, and the desk's own
table widget (``deskterm.widgets.table.WindowTable``: it imports only Textual and Rich) per
pane, given about as many rows as the desk's first windows (300 clips, 200 open requests,
25 cards, 400 agenda rows), in the desk's 2x2 grid with a Footer. Titles gain
``" · N"`` when a pane's rows are in, so ``bench/startup.py``'s marker finds it.

It is not a desk (no topics, no countdowns, no recurrence, no live refresh): it shows how
much of the 1.5x budget over the bare app is left for any of that.
``python bench/launch.py STAMP -- floor --db FILE``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Footer

from deskterm.widgets.table import Column, Row, WindowTable, cell

QUERIES = {
    "1 News": (
        ("Time", "Outlet", "Title"),
        "SELECT c.published_at, o.name, c.title FROM clips c"
        " LEFT JOIN outlets o ON o.id = c.outlet_id"
        " ORDER BY c.published_at DESC LIMIT 300",
    ),
    "2 Requests": (
        ("Deadline", "No.", "Outlet", "Subject"),
        "SELECT deadline_at, number, outlet_name, subject FROM requests"
        " WHERE status = 'new' ORDER BY deadline_at LIMIT 200",
    ),
    "3 Board": (
        ("Status", "Due", "Title"),
        "SELECT status, due_at, title FROM tasks WHERE status = 'drafting'"
        " ORDER BY due_at LIMIT 25",
    ),
    "4 Calendar": (
        ("Starts", "Kind", "Title"),
        "SELECT starts_at, kind, title FROM events ORDER BY starts_at DESC LIMIT 400",
    ),
}


class FloorApp(App[None]):
    CSS = """
    #panes { layout: grid; grid-size: 2 2; height: 1fr; }
    #panes > WindowTable { border: round $panel-lighten-2; height: 1fr; }
    """
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("question_mark", "help", "Help")]

    def __init__(self, database: str) -> None:
        super().__init__()
        self.database = database

    def compose(self) -> ComposeResult:
        with Container(id="panes"):
            for title in QUERIES:
                columns = QUERIES[title][0]
                table = WindowTable([Column(label, None) for label in columns])
                table.border_title = title
                yield table
        yield Footer()

    def on_mount(self) -> None:
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            for table, (title, (_columns, sql)) in zip(
                self.query(WindowTable), QUERIES.items(), strict=True
            ):
                rows = [
                    Row(str(number), tuple(cell(value) for value in values))
                    for number, values in enumerate(connection.execute(sql))
                ]
                if not rows:  # an empty pane paints for free: not a floor worth quoting
                    self.exit(
                        return_code=2, message=f"floor: {title!r} found no rows in {self.database}"
                    )
                    return
                table.show(rows)
                table.border_title = f"{title} · {len(rows)}"
        finally:
            connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floor_app")
    parser.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    app = FloorApp(args.db)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
