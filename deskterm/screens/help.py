"""The help screen, built from the bindings live at the moment `?` or f1 was pressed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


@dataclass(frozen=True)
class KeyHelp:
    where: str
    keys: str
    description: str


class HelpScreen(ModalScreen[None]):
    """The keys that work on the screen under it, under a heading per group. The help keys
    close it again (help over help never stacks)."""

    BINDINGS = [
        Binding("escape,question_mark,f1,q", "dismiss", "Close help"),
        Binding("j,down", "scroll_down", "Scroll", show=False),
        Binding("k,up", "scroll_up", "Scroll", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    """

    def __init__(self, entries: list[KeyHelp]) -> None:
        super().__init__()
        self._entries = entries

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(style="dim")
        where = None
        for entry in self._entries:
            if entry.where != where:
                where = entry.where
                table.add_row(Text(""), Text(""), Text(""))
                table.add_row(Text(where, style="bold underline"), Text(""), Text(""))
            table.add_row(Text(entry.keys), Text(entry.description), Text(""))
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys (escape closes)"
            yield Static(table)

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()
