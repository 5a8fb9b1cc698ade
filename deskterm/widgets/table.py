"""A DataTable for a window of rows, with vi keys, literal cells and width-fitted columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from deskterm.core.text import one_line


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


class WindowTable(DataTable[Text]):
    """Shows the rows it is given (a window loaded from the database), fitted to its width."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "First", show=False),
        Binding("G", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._spec = tuple(columns)
        self._shown_rows: list[Row] = []
        self._fitted_width = -1

    @property
    def rows_shown(self) -> list[Row]:
        return self._shown_rows

    def selected(self) -> Row | None:
        if not self._shown_rows or self.cursor_row < 0 or self.cursor_row >= len(self._shown_rows):
            return None
        return self._shown_rows[self.cursor_row]

    def show(self, rows: list[Row]) -> None:
        """Replace the rows, keeping the selected key (or position) and the scroll offset."""
        previous = self.selected()
        previous_index = self.cursor_row
        scroll_y = self.scroll_y
        self._shown_rows = rows
        self._rebuild()
        target = 0
        if previous is not None:
            keys = [row.key for row in rows]
            target = keys.index(previous.key) if previous.key in keys else previous_index
        if rows:
            self.move_cursor(row=min(max(target, 0), len(rows) - 1), animate=False, scroll=False)
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
            if not self._row_visible(self.cursor_row):
                self.move_cursor(row=self.cursor_row, animate=False, scroll=True)

    def _row_visible(self, index: int) -> bool:
        top = int(self.scroll_y)
        return top <= index < top + max(self.scrollable_content_region.height - 1, 1)

    def on_resize(self) -> None:
        if self.size.width != self._fitted_width:
            self._rebuild()

    def _visible_columns(self) -> list[int]:
        """Indexes of the columns that fit this width."""
        return [i for i, c in enumerate(self._spec) if self.size.width >= c.hide_below]

    def _column_widths(self, visible: list[int]) -> list[int]:
        padding = 2 * self.cell_padding
        columns = [self._spec[i] for i in visible]
        fixed = sum((c.width or 0) + padding for c in columns)
        flexible = [c for c in columns if c.width is None]
        spare = max(self.size.width - fixed - len(flexible) * padding - 1, 0)
        weights = sum(c.weight for c in flexible) or 1
        return [
            c.width if c.width is not None else max(spare * c.weight // weights, c.min_width)
            for c in columns
        ]

    def _rebuild(self) -> None:
        self._fitted_width = self.size.width
        visible = self._visible_columns()
        self.clear(columns=True)
        for index, width in zip(visible, self._column_widths(visible), strict=True):
            self.add_column(self._spec[index].label, width=width, key=str(index))
        for row in self._shown_rows:
            self.add_row(*(row.cells[i] for i in visible), key=row.key)
