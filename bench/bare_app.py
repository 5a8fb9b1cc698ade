"""The baseline for first paint: a bare Textual app with the desk's shape and nothing else.

Four empty bordered panes in a 2x2 grid and a Footer, titled like the desk's panes once
loaded ("1 News · bare", ...) so that the same first-paint marker finds it. No database,
no deskterm import: what any Textual app of this shape costs to start and paint.
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Footer, Static

PANES = ("1 News", "2 Requests", "3 Board", "4 Calendar")


class BareApp(App[None]):
    CSS = """
    #panes { layout: grid; grid-size: 2 2; height: 1fr; }
    #panes > Static { border: round $panel-lighten-2; height: 1fr; }
    """
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("question_mark", "help", "Help")]

    def compose(self) -> ComposeResult:
        with Container(id="panes"):
            for title in PANES:
                pane = Static("")
                pane.border_title = f"{title} · bare"
                yield pane
        yield Footer()


def main(argv: list[str] | None = None) -> int:
    BareApp().run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
