"""A table for a window of rows, with vi keys, literal cells and width-fitted columns.

Drawn with Textual's line API, not ``DataTable``: a DataTable measures and renders every
cell of every row it holds whenever its rows change (a 200-row window cost ~80 ms to show,
most of the Requests pane's time to open or filter). This table only draws the lines on
screen, each once per change (cached strips), with columns whose widths are computed from
the table's width, never measured from the cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.core.text import one_line

CELL_PADDING = 1  # blank cells either side of each column, as a DataTable draws them


@dataclass(frozen=True)
class Column:
    label: str
    width: int | None  # None: shares the width that is left, by weight
    hide_below: int = 0  # table widths under this hide the column (least useful first)
    weight: int = 1
    min_width: int = 8


@dataclass(frozen=True)
class Row:
    """One line of a pane: a stable key (to keep the selection), cells, and what it shows."""

    key: str
    cells: tuple[Text, ...]
    item: Any = None


def cell(value: object, style: str = "", *, limit: int | None = 500) -> Text:
    """A literal cell: never parsed as markup, one line, ellipsis when cut."""
    return Text(one_line(value, limit), style=style, no_wrap=True, overflow="ellipsis", end="")


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _style_of(text: Text) -> Style:
    style = text.style
    if isinstance(style, Style):
        return style
    return Style.parse(style) if style else Style.null()  # Style.parse is cached by rich


class WindowTable(ScrollView, can_focus=True):
    """Shows the rows it is given (a window loaded from the database), fitted to its width.

    The interface is the part of ``DataTable``'s the panes use: ``cursor_row``,
    ``move_cursor``, ``show_header``, the cursor actions and ``RowSelected``.
    """

    COMPONENT_CLASSES = {"window-table--header", "window-table--cursor"}
    DEFAULT_CSS = """
    WindowTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .window-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .window-table--header { background-tint: $foreground 5%; }
        }
        & > .window-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .window-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .window-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS = [
        Binding("enter", "select_cursor", "Open"),
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("g,home,ctrl+home", "scroll_top", "First", show=False),
        Binding("G,end,ctrl+end", "scroll_bottom", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    class RowSelected(Message):
        """Enter (or a click) on the selected row."""

        def __init__(self, table: WindowTable, cursor_row: int, row_key: str) -> None:
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key
            super().__init__()

        @property
        def control(self) -> WindowTable:
            return self.table

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._spec = tuple(columns)
        self._shown_rows: list[Row] = []
        self._cursor = 0
        self._header_shown = True
        self._fitted_width = -1
        self._column_layout: list[tuple[int, int]] = []  # (column index, width) of visible columns
        self._strips: dict[int, Strip] = {}  # row index -> its line, until rows or width change
        self._header_strip: Strip | None = None
        self._base_style = Style()
        self._header_style = Style()
        self._cursor_style = Style()

    # the interface the panes use -----------------------------------------------------------
    @property
    def rows_shown(self) -> list[Row]:
        return self._shown_rows

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def show_header(self) -> bool:
        return self._header_shown

    @show_header.setter
    def show_header(self, shown: bool) -> None:
        if shown != self._header_shown:
            self._header_shown = shown
            self._update_virtual_size()
            self._scroll_to_cursor()
            self.refresh()

    def selected(self) -> Row | None:
        if 0 <= self._cursor < len(self._shown_rows):
            return self._shown_rows[self._cursor]
        return None

    def show(self, rows: list[Row]) -> None:
        """Replace the rows, keeping the selected key (or position) and the scroll offset."""
        previous = self.selected()
        target = self._cursor
        self._shown_rows = rows
        self._strips.clear()
        if previous is not None:
            for index, row in enumerate(rows):
                if row.key == previous.key:
                    target = index
                    break
        self._update_virtual_size()
        self._cursor = max(0, min(target, len(rows) - 1))
        self._scroll_to_cursor()
        self.refresh()

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Select the row at ``row`` (clamped), scrolling it into view unless ``scroll``
        is False."""
        del animate  # never animated: a keyboard desk moves at once
        target = max(0, min(row, len(self._shown_rows) - 1)) if self._shown_rows else 0
        if target != self._cursor:
            self._refresh_row(self._cursor)
            self._cursor = target
            self._refresh_row(target)
        if scroll:
            self._scroll_to_cursor()

    # geometry ------------------------------------------------------------------------------
    @property
    def _header_height(self) -> int:
        return 1 if self._header_shown else 0

    def _update_virtual_size(self) -> None:
        size = Size(self.size.width, len(self._shown_rows) + self._header_height)
        if size != self.virtual_size:  # a new virtual size means a layout pass: only on change
            self.virtual_size = size

    def _rows_in_view(self) -> int:
        return max(self.scrollable_content_region.height - self._header_height, 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + self._rows_in_view():
            self.scroll_to(y=self._cursor - self._rows_in_view() + 1, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        y = index - int(self.scroll_y) + self._header_height
        if 0 <= y < self.scrollable_content_region.height:
            # ScrollView.refresh_line takes a line of the content and subtracts the scroll
            # offset itself: given the line on screen, a scrolled table refreshed nothing
            self.refresh_line(index + self._header_height)

    def on_resize(self) -> None:
        self._update_virtual_size()  # the columns are refitted at the next paint

    def _visible_columns(self) -> list[int]:
        """Indexes of the columns that fit this width."""
        return [i for i, c in enumerate(self._spec) if self.size.width >= c.hide_below]

    def _column_widths(self, visible: list[int]) -> list[int]:
        padding = 2 * CELL_PADDING
        columns = [self._spec[i] for i in visible]
        fixed = sum((c.width or 0) + padding for c in columns)
        flexible = [c for c in columns if c.width is None]
        spare = max(self.size.width - fixed - len(flexible) * padding - 1, 0)
        weights = sum(c.weight for c in flexible) or 1
        return [
            c.width if c.width is not None else max(spare * c.weight // weights, c.min_width)
            for c in columns
        ]

    def _fit_columns(self) -> None:
        if self.size.width == self._fitted_width:
            return
        self._fitted_width = self.size.width
        visible = self._visible_columns()
        self._column_layout = list(zip(visible, self._column_widths(visible), strict=True))
        self._strips.clear()
        self._header_strip = None

    # drawing -------------------------------------------------------------------------------
    def _line(self, cells: Sequence[Text], style: Style | None = None) -> Strip:
        pad = Segment(" " * CELL_PADDING, style)
        segments: list[Segment] = []
        for index, width in self._column_layout:
            text = cells[index] if index < len(cells) else Text("")
            segments.append(pad)
            if text.spans:  # several styles in one cell: let rich cut it
                piece = text.copy()
                piece.truncate(width, overflow="ellipsis", pad=True)
                segments.extend(piece.render(self.app.console))
            else:
                own = _style_of(text)
                segments.append(Segment(fit(text.plain, width), style + own if style else own))
            segments.append(pad)
        return Strip(segments).simplify()

    def _row_strip(self, index: int) -> Strip:
        strip = self._strips.get(index)
        if strip is None:
            strip = self._line(self._shown_rows[index].cells)
            self._strips[index] = strip
        return strip

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        # Styles are resolved once per paint, not once per line (each lookup walks the CSS).
        self._fit_columns()
        self._base_style = self.rich_style
        header = self.get_component_rich_style("window-table--header")
        if header != self._header_style:
            self._header_style = header
            self._header_strip = None
        self._cursor_style = self.get_component_rich_style("window-table--cursor")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self._header_shown and y == 0:
            if self._header_strip is None:
                labels = [Text(column.label) for column in self._spec]
                self._header_strip = self._line(labels, self._header_style)
            strip = self._header_strip
            return strip.extend_cell_length(width, self._header_style).crop(0, width)
        index = int(self.scroll_y) + y - self._header_height
        if index >= len(self._shown_rows):
            return Strip.blank(width, self._base_style)
        strip = self._row_strip(index).extend_cell_length(width).crop(0, width)
        if index == self._cursor:
            strip = Strip(Segment.apply_style(strip, post_style=self._cursor_style), width)
        return strip.apply_style(self._base_style)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # keys and mouse ------------------------------------------------------------------------
    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_scroll_top(self) -> None:
        self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(row=len(self._shown_rows) - 1)

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + self._rows_in_view())

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - self._rows_in_view())

    def action_select_cursor(self) -> None:
        row = self.selected()
        if row is not None:
            self.post_message(self.RowSelected(self, self._cursor, row.key))

    def on_click(self, event: events.Click) -> None:
        """A click selects a row; a click on the selected row opens it (as a DataTable)."""
        y = event.y - self._header_height
        if y < 0:
            return
        index = int(self.scroll_y) + y
        if index >= len(self._shown_rows):
            return
        if index == self._cursor:
            self.action_select_cursor()
        else:
            self.move_cursor(row=index)
