"""The month overview: the month's weeks, each day with its count and first entries, drawn
with Textual's line API. The cursor is a day (``h``/``l`` a day, ``j``/``k`` a week);
enter opens that day.

Each day's first line reads ``24 • 5 ⚠1 ◆2``: the date (``•`` today), how many events,
how many of them overlap another appearance of the same leader, and markers (deadlines
``◆``, publish dates ``◇``). The lines below list the day's entries while they fit, then
``+3 more``. Text is untrusted: made one safe line and drawn as plain segments.
"""

from __future__ import annotations

from datetime import date

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from deskterm.core.calendar_markers import MarkerKind
from deskterm.core.calendar_views import (
    MARKER_MARKS,
    OVERLAP_MARK,
    MonthCell,
    MonthLayout,
)
from deskterm.widgets.week_grid import COMPACT_WIDTH, GridStyles, entry_pieces, fit, fit_pieces

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_line(cell: MonthCell, today: date) -> str:
    """``24 • 5 ⚠1 ◆2``: the date, today, counts (only those that are not zero)."""
    parts = [f"{cell.day.day:>2}"]
    if cell.day == today:
        parts.append("•")
    if cell.count:
        parts.append(f"{cell.count} event" + ("s" if cell.count != 1 else ""))
    if cell.overlaps:
        parts.append(f"{OVERLAP_MARK}{cell.overlaps}")
    deadlines = sum(1 for e in cell.entries if e.marker == MarkerKind.DEADLINE)
    published = sum(1 for e in cell.entries if e.marker == MarkerKind.PUBLISH)
    if deadlines:
        parts.append(f"{MARKER_MARKS[MarkerKind.DEADLINE]}{deadlines}")
    if published:
        parts.append(f"{MARKER_MARKS[MarkerKind.PUBLISH]}{published}")
    return " ".join(parts)


class MonthGrid(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "month-grid--header",
        "month-grid--today",
        "month-grid--rule",
        "month-grid--cursor",
        "month-grid--overlap",
        "month-grid--muted",
        "month-grid--day",
    }
    DEFAULT_CSS = """
    MonthGrid { height: 1fr; }
    MonthGrid > .month-grid--header { text-style: bold; }
    MonthGrid > .month-grid--day { text-style: bold; }
    MonthGrid > .month-grid--today { background: $accent 30%; text-style: bold; }
    MonthGrid > .month-grid--rule { color: $panel-lighten-2; }
    MonthGrid > .month-grid--cursor { background: $accent 40%; }
    MonthGrid:focus > .month-grid--cursor { background: $accent; color: $text; }
    MonthGrid > .month-grid--overlap { color: $warning; text-style: bold; }
    MonthGrid > .month-grid--muted { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "choose", "Open day"),
        Binding("h,left", "move(-1)", "Day before", show=False),
        Binding("l,right", "move(1)", "Day after", show=False),
        Binding("k,up", "move(-7)", "Week before", show=False),
        Binding("j,down", "move(7)", "Week after", show=False),
    ]

    class Chosen(Message):
        """Enter on a day."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._layout: MonthLayout | None = None
        self._cells: list[MonthCell] = []
        self.cursor = 0
        self._styles = GridStyles()
        self._day_style = Style(bold=True)

    @property
    def layout_shown(self) -> MonthLayout | None:
        return self._layout

    def show(self, layout: MonthLayout, *, select_day: date | None = None) -> None:
        previous = self.selected_day()
        self._layout = layout
        self._cells = [cell for week in layout.weeks for cell in week]
        days = [cell.day for cell in self._cells]
        wanted = select_day or previous
        if wanted in days:
            self.cursor = days.index(wanted)
        elif layout.today in days:
            self.cursor = days.index(layout.today)
        else:
            self.cursor = next((i for i, c in enumerate(self._cells) if c.in_month), 0)
        self.refresh()

    def selected_day(self) -> date | None:
        if not self._cells:
            return None
        return self._cells[min(self.cursor, len(self._cells) - 1)].day

    def selected_cell(self) -> MonthCell | None:
        return self._cells[self.cursor] if self._cells else None

    # drawing ------------------------------------------------------------------------------
    def _block_height(self) -> int:
        weeks = len(self._layout.weeks) if self._layout else 6
        return max(2, (self.size.height - 1) // max(weeks, 1))

    def _columns(self, width: int) -> list[tuple[int, int]]:
        each, extra = divmod(max(width, 14), 7)
        out = []
        x = 0
        for day in range(7):
            column = each + (1 if day >= 7 - extra else 0)
            out.append((x, column))
            x += column
        return out

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        def style(name: str) -> Style:
            return self.get_component_rich_style(f"month-grid--{name}")

        self._styles = GridStyles(
            base=self.rich_style,
            header=style("header"),
            today=style("today"),
            rule=style("rule"),
            cursor=style("cursor"),
            overlap=style("overlap"),
            muted=style("muted"),
            cancelled=style("muted") + Style(strike=True),
            marker=Style(italic=True),
        )
        self._day_style = style("day")
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        styles = self._styles
        if self._layout is None:
            return Strip.blank(width, styles.base)
        columns = self._columns(width)
        if y == 0:
            segments = []
            for index, (name, (_x, column)) in enumerate(zip(WEEKDAYS, columns, strict=True)):
                if index:
                    segments.append(Segment("│", styles.rule))
                segments.append(Segment(fit(name, column - (1 if index else 0)), styles.header))
            return Strip(segments, width).crop_extend(0, width, None).apply_style(styles.base)
        block = self._block_height()
        week, row = divmod(y - 1, block)
        if week >= len(self._layout.weeks):
            return Strip.blank(width, styles.base)
        segments = []
        for index, (cell, (_x, column)) in enumerate(
            zip(self._layout.weeks[week], columns, strict=True)
        ):
            if index:
                segments.append(Segment("│", styles.rule))
            cell_segments = self._cell_line(cell, row, block, column - (1 if index else 0))
            if week * 7 + index == self.cursor:
                cell_segments = [
                    Segment(text, (style or Style()) + styles.cursor)
                    for text, style, _control in cell_segments
                ]
            segments.extend(cell_segments)
        return Strip(segments, width).crop_extend(0, width, None).apply_style(styles.base)

    def _cell_line(self, cell: MonthCell, row: int, block: int, width: int) -> list[Segment]:
        assert self._layout is not None
        styles = self._styles
        dim = Style() if cell.in_month else styles.muted
        if row == 0:
            text = day_line(cell, self._layout.today)
            style = styles.today if cell.day == self._layout.today else self._day_style + dim
            return fit_pieces([(text, style)], width)
        entries = cell.entries
        room = block - 1
        index = row - 1
        if index >= len(entries):
            return fit_pieces([("", Style())], width)
        if len(entries) > room and index == room - 1:
            return fit_pieces([(f"+{len(entries) - index} more", styles.muted)], width)
        pieces = entry_pieces(
            entries[index], detailed=False, styles=styles, compact=width < COMPACT_WIDTH
        )
        return fit_pieces([(text, style + dim) for text, style in pieces], width)

    # cursor -------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        if not self._cells:
            return
        self.cursor = max(0, min(self.cursor + delta, len(self._cells) - 1))
        self.refresh()

    def action_choose(self) -> None:
        if self._cells:
            self.post_message(self.Chosen())

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._layout is None or offset.y < 1:
            return
        week = (offset.y - 1) // self._block_height()
        for day, (x, column) in enumerate(self._columns(self.size.width)):
            if x <= offset.x < x + column and week < len(self._layout.weeks):
                self.cursor = week * 7 + day
                self.refresh()
                return

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
