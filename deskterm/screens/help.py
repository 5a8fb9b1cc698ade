"""The help screen, built from the bindings live at the moment `?` or f1 was pressed."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from rich.cells import cell_len
from rich.console import Group
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
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys (escape closes)"
            yield Static(self._keys())

    def _keys(self) -> Group:
        """A heading per group on a line of its own (never squeezed into the keys column),
        then its keys; the keys column is as wide as the widest keys of all groups, and a
        description too long for the screen ends in an ellipsis."""
        key_width = max((cell_len(entry.keys) for entry in self._entries), default=0)
        parts: list[Text | Table] = []
        for where, group in groupby(self._entries, key=lambda entry: entry.where):
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", no_wrap=True, min_width=key_width)
            table.add_column(overflow="ellipsis")  # shrinks to fit; the Text keeps one line
            for entry in group:
                description = Text(entry.description, no_wrap=True, overflow="ellipsis")
                table.add_row(Text(entry.keys), description)
            heading = Text(where, style="bold underline", no_wrap=True, overflow="ellipsis")
            parts += [Text(""), heading, table]
        return Group(*parts)

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()
