"""One column of the full board: a list of one-line cards drawn with Textual's line API.

A DataTable re-renders every cell after any change (about 0.25 ms a cell here), which made
redrawing a full board take ~200 ms. This widget renders each card once into a cached
strip (keyed by what it shows and the width) and only the cursor line changes style, so a
redraw after a move costs a few milliseconds.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.widgets.table import Row, fit

DUE_WIDTH = 5
WHO_WIDTH = 3


def _same(new: list[Row], old: list[Row]) -> bool:
    return len(new) == len(old) and all(
        a.key == b.key
        and [c.plain for c in a.cells] == [c.plain for c in b.cells]
        and a.item == b.item
        for a, b in zip(new, old, strict=True)
    )


class CardColumn(ScrollView, can_focus=True):
    """Rows are (due, title, who) cells; the interface mirrors WindowTable's."""

    COMPONENT_CLASSES = {"card-column--cursor"}
    DEFAULT_CSS = """
    CardColumn > .card-column--cursor { background: $accent 40%; }
    CardColumn:focus > .card-column--cursor { background: $accent; color: $text; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "First", show=False),
        Binding("G,end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Chosen(Message):
        """Enter on a card."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._cards: list[Row] = []
        self._base_style = Style()
        self._cursor_style = Style()
        self._strips: dict[tuple[str, tuple[str, ...], int], Strip] = {}

    # the WindowTable-like interface ------------------------------------------------------
    @property
    def rows_shown(self) -> list[Row]:
        return self._cards

    def selected(self) -> Row | None:
        if 0 <= self.cursor_row < len(self._cards):
            return self._cards[self.cursor_row]
        return None

    def show(self, rows: list[Row]) -> None:
        """New cards, keeping the selected card (or position) and the scroll offset."""
        if _same(rows, self._cards):
            return  # nothing to repaint
        previous = self.selected()
        self._cards = rows
        keys = [row.key for row in rows]
        target = self.cursor_row
        if previous is not None and previous.key in keys:
            target = keys.index(previous.key)
        size = Size(self.size.width, len(rows))
        if size != self.virtual_size:  # a new virtual size means a layout pass: only on change
            self.virtual_size = size
        if len(self._strips) > 4 * max(len(rows), 50):
            self._strips.clear()  # bounded: old cards' lines are dropped
        self.move_cursor(row=target)
        self.refresh()

    def move_cursor(self, *, row: int, **_ignored: object) -> None:
        self.cursor_row = max(0, min(row, len(self._cards) - 1)) if self._cards else 0
        self._scroll_to_cursor()

    # drawing ----------------------------------------------------------------------------
    def _card_strip(self, row: Row, width: int) -> Strip:
        due, title, who = row.cells
        key = (row.key, (due.plain, str(due.style), title.plain, who.plain), width)
        strip = self._strips.get(key)
        if strip is None:
            title_width = max(width - DUE_WIDTH - WHO_WIDTH - 2, 1)
            segments = [
                Segment(fit(due.plain, DUE_WIDTH), Style.parse(str(due.style) or "none")),
                Segment(" "),
                Segment(fit(title.plain, title_width)),
                Segment(" "),
                Segment(fit(who.plain, WHO_WIDTH), Style(dim=not who.plain.strip("—"))),
            ]
            strip = Strip(segments, width)
            self._strips[key] = strip
        return strip

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        # Styles are resolved once per paint, not once per line (each lookup walks the CSS).
        self._base_style = self.rich_style
        self._cursor_style = self.get_component_rich_style("card-column--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._cards):
            return Strip.blank(width, self._base_style)
        strip = self._card_strip(self._cards[index], width)
        if index == self.cursor_row:
            strip = strip.apply_style(self._cursor_style)
        return strip.apply_style(self._base_style)

    def on_resize(self) -> None:
        size = Size(self.size.width, len(self._cards))
        if size != self.virtual_size:
            self.virtual_size = size

    def watch_cursor_row(self) -> None:
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # keys ---------------------------------------------------------------------------------
    def _scroll_to_cursor(self) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._cards) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - max(self.scrollable_content_region.height - 1, 1))

    def action_open(self) -> None:
        if self.selected() is not None:
            self.post_message(self.Chosen())
