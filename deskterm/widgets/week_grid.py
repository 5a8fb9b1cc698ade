"""The day and week grid: one band per key leader (and one for markers), one column per day,
drawn with Textual's line API.

Each line is rendered once into a cached strip (keyed by the line and the width); moving the
cursor restyles only the cursor's line, so a keypress costs a line, not a grid. The header
(the days) stays on the first line while the bands scroll under it. The cursor is a cell:
a day (``h``/``l``) and a line (``j``/``k``); an empty slot is a place to plan something
(``n`` takes its day and lane).

Text on the grid is untrusted (titles, places): it is made one safe line
(``deskterm.core.text.one_line``) and drawn as plain segments, never parsed as markup.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.core.calendar_views import CONTINUED, Band, Entry, GridLayout, Lane
from deskterm.core.text import one_line

SEPARATOR = -1  # a line between bands
LABEL_MAX = 14
LABEL_NARROW = 9
DETAILED_WIDTH = 40  # columns this wide also show the end time and the place
COMPACT_WIDTH = 14  # narrower columns write 9:30 for 09:30 and 9 for 09:00


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def fit_pieces(pieces: list[tuple[str, Style]], width: int) -> list[Segment]:
    """Styled pieces laid out in exactly ``width`` cells (the last one cut with ``…``)."""
    out: list[Segment] = []
    used = 0
    for index, (text, style) in enumerate(pieces):
        if used >= width:
            break
        size = cell_len(text)
        room = width - used
        if size > room or (size == room and index < len(pieces) - 1 and pieces[index + 1][0]):
            out.append(Segment(fit(text + "  ", room), style))  # forces the ellipsis
            used = width
            break
        out.append(Segment(text, style))
        used += size
    if used < width:
        out.append(Segment(" " * (width - used)))
    return out


def short_time(label: str) -> str:
    """``09:00`` -> ``9``, ``09:30`` -> ``9:30`` (for columns a few cells wide)."""
    if len(label) != 5 or label[2] != ":":
        return label
    hour, minute = label[:2].lstrip("0") or "0", label[3:]
    return hour if minute == "00" else f"{hour}:{minute}"


def entry_pieces(
    entry: Entry, *, detailed: bool, styles: GridStyles, compact: bool = False
) -> list[tuple[str, Style]]:
    """An entry as styled pieces: marks, time, title (and end time and place when detailed;
    ``compact``: the shortest time and no space after the marks)."""
    pieces: list[tuple[str, Style]] = []
    marks = entry.marks
    if marks:
        style = styles.overlap if entry.overlap else styles.muted
        pieces.append((marks if compact else marks + " ", style))
    when = short_time(entry.time_label) if compact else entry.time_label
    if detailed and entry.end_label and when != CONTINUED:
        when += f"-{entry.end_label}"
    pieces.append((when + " ", styles.muted if when == CONTINUED else styles.time))
    title = one_line(entry.title, 300)
    if entry.marker is not None and detailed:
        title = f"{'deadline' if entry.marker == 'deadline' else 'publish'}: {title}"
    style = styles.cancelled if entry.cancelled else (styles.marker if entry.marker else Style())
    pieces.append((title, style))
    if detailed and entry.location:
        pieces.append((f" · {one_line(entry.location, 200)}", styles.muted))
    return pieces


class GridStyles(NamedTuple):
    """Resolved once per paint: a CSS lookup per line would dominate the cost."""

    base: Style = Style()
    header: Style = Style(bold=True)
    today: Style = Style(bold=True, reverse=True)
    label: Style = Style(bold=True)
    rule: Style = Style(dim=True)
    cursor: Style = Style(reverse=True)
    overlap: Style = Style(bold=True)
    muted: Style = Style(dim=True)
    time: Style = Style()
    cancelled: Style = Style(dim=True, strike=True)
    marker: Style = Style(italic=True)


class WeekGrid(ScrollView, can_focus=True):
    """Shows a ``GridLayout`` (any number of days: 1 for the day view, 7 for the week)."""

    COMPONENT_CLASSES = {
        "week-grid--header",
        "week-grid--today",
        "week-grid--label",
        "week-grid--rule",
        "week-grid--cursor",
        "week-grid--overlap",
        "week-grid--muted",
    }
    DEFAULT_CSS = """
    WeekGrid { height: 1fr; scrollbar-size-vertical: 1; }
    WeekGrid > .week-grid--header { text-style: bold; }
    WeekGrid > .week-grid--today { background: $accent 30%; text-style: bold; }
    WeekGrid > .week-grid--label { color: $text-accent; text-style: bold; }
    WeekGrid > .week-grid--rule { color: $panel-lighten-2; }
    WeekGrid > .week-grid--cursor { background: $accent 40%; }
    WeekGrid:focus > .week-grid--cursor { background: $accent; color: $text; }
    WeekGrid > .week-grid--overlap { color: $warning; text-style: bold; }
    WeekGrid > .week-grid--muted { color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "choose", "Details"),
        Binding("j,down", "line(1)", "Down", show=False),
        Binding("k,up", "line(-1)", "Up", show=False),
        Binding("h,left", "day(-1)", "Day before", show=False),
        Binding("l,right", "day(1)", "Day after", show=False),
        Binding("g,home", "first", "First", show=False),
        Binding("G,end", "last", "Last", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
    ]

    class Chosen(Message):
        """Enter on a cell."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._layout: GridLayout | None = None
        self._grid_lines: list[tuple[int, int]] = []  # (band, row in band) or (SEPARATOR, 0)
        self._strips: dict[tuple[int, int], Strip] = {}
        self._header: Strip | None = None
        self._columns: list[tuple[int, int]] = []  # (x, width) of each day's text
        self._label_width = 0
        self._width = -1
        self._styles = GridStyles()
        self.cursor_day = 0
        self.cursor_line = 0

    # what the pane asks ------------------------------------------------------------------
    @property
    def layout_shown(self) -> GridLayout | None:
        return self._layout

    def show(self, layout: GridLayout, *, select_day: date | None = None) -> None:
        """A new layout; the cursor stays on the same band, row and weekday (or moves to
        ``select_day``)."""
        band_title, row = self._cursor_place()
        self._layout = layout
        self._grid_lines = []
        for index, band in enumerate(layout.bands):
            if index:
                self._grid_lines.append((SEPARATOR, 0))
            self._grid_lines.extend((index, r) for r in range(band.height))
        self._strips.clear()
        self._header = None
        self._width = -1  # the columns depend on the number of days too
        days = layout.days
        if select_day is not None and select_day in days:
            self.cursor_day = days.index(select_day)
        self.cursor_day = max(0, min(self.cursor_day, len(days) - 1))
        self.cursor_line = self._place_line(band_title, row)
        self._update_virtual_size()
        self._scroll_to_cursor()
        self.refresh()

    def selected_day(self) -> date | None:
        if self._layout is None:
            return None
        return self._layout.days[self.cursor_day]

    def selected_band(self) -> Band | None:
        if self._layout is None or not self._grid_lines:
            return None
        band, _row = self._grid_lines[self.cursor_line]
        if band == SEPARATOR:
            return None
        return self._layout.bands[band]

    def selected_lane(self) -> Lane | None:
        band = self.selected_band()
        return band.lane if band is not None else None

    def selected(self) -> Entry | None:
        """The entry under the cursor (None on an empty slot)."""
        if self._layout is None or not self._grid_lines:
            return None
        band, row = self._grid_lines[self.cursor_line]
        if band == SEPARATOR:
            return None
        cell = self._layout.bands[band].cells[self.cursor_day]
        return cell[row] if row < len(cell) else None

    def select_entry(self, key: str) -> bool:
        """Put the cursor on the entry with ``key``; False if it is not shown."""
        if self._layout is None:
            return False
        for line, (band, row) in enumerate(self._grid_lines):
            if band == SEPARATOR:
                continue
            for day, cell in enumerate(self._layout.bands[band].cells):
                if row < len(cell) and cell[row].key == key:
                    self._move(day, line)
                    return True
        return False

    def _cursor_place(self) -> tuple[str | None, int]:
        if self._layout is None or not self._grid_lines:
            return None, 0
        band, row = self._grid_lines[min(self.cursor_line, len(self._grid_lines) - 1)]
        if band == SEPARATOR:
            return None, 0
        return self._layout.bands[band].title, row

    def _place_line(self, band_title: str | None, row: int) -> int:
        """The line of ``row`` in the band called ``band_title`` (the first lane otherwise)."""
        if self._layout is None or not self._grid_lines:
            return 0
        titles = [band.title for band in self._layout.bands]
        if band_title in titles:
            index = titles.index(band_title)
        else:  # the first leader's lane, not the markers band
            lanes = [i for i, band in enumerate(self._layout.bands) if band.lane is not None]
            index = lanes[0] if lanes else 0
        lines = [i for i, (band, _r) in enumerate(self._grid_lines) if band == index]
        return lines[min(row, len(lines) - 1)] if lines else 0

    # drawing ----------------------------------------------------------------------------
    def _update_virtual_size(self) -> None:
        size = Size(self.size.width, len(self._grid_lines) + 1)  # + the header line
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._update_virtual_size()

    def _geometry(self, width: int) -> None:
        """Column positions for ``width`` (recomputed only when the width changes)."""
        if width == self._width or self._layout is None:
            return
        self._width = width
        self._strips.clear()
        self._header = None
        names = [band.title for band in self._layout.bands]
        longest = max((cell_len(n) for n in names), default=6) + 1
        self._label_width = min(longest, LABEL_MAX if width >= 100 else LABEL_NARROW)
        days = len(self._layout.days)
        room = max(width - self._label_width, days * 2)
        each, extra = divmod(room, days)
        self._columns = []
        x = self._label_width
        for day in range(days):
            column = each + (1 if day >= days - extra else 0)
            self._columns.append((x + 1, column - 1))  # 1 cell for the "│" before the day
            x += column

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        def style(name: str) -> Style:
            return self.get_component_rich_style(f"week-grid--{name}")

        base = self.rich_style
        if base != self._styles.base:  # the theme or focus changed: the cache is stale
            self._strips.clear()
            self._header = None
        self._styles = GridStyles(
            base=base,
            header=style("header"),
            today=style("today"),
            label=style("label"),
            rule=style("rule"),
            cursor=style("cursor"),
            overlap=style("overlap"),
            muted=style("muted"),
            time=Style(),
            cancelled=style("muted") + Style(strike=True),
            marker=Style(italic=True),
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        styles = self._styles
        if self._layout is None:
            return Strip.blank(width, styles.base)
        self._geometry(width)
        if y == 0:
            if self._header is None:
                self._header = self._header_strip(width)
            return self._header
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self._grid_lines):
            return Strip.blank(width, styles.base)
        if index == self.cursor_line:
            return self._line_strip(index, width, cursor=True)
        strip = self._strips.get((index, width))
        if strip is None:
            strip = self._line_strip(index, width, cursor=False)
            if len(self._strips) > 4000:
                self._strips.clear()  # bounded
            self._strips[(index, width)] = strip
        return strip

    def _strip(self, segments: list[Segment], width: int) -> Strip:
        """One line, the widget's base style under every segment (baked in once: a
        ``Strip`` costs ~40 µs to make, and ``apply_style`` on each paint makes another)."""
        base = self._styles.base
        line = [Segment(text, base + style if style else base) for text, style, _ in segments]
        used = sum(segment.cell_length for segment in line)
        if used < width:
            line.append(Segment(" " * (width - used), base))
        strip = Strip(line, max(used, width))
        return strip.crop(0, width) if used > width else strip

    def _header_strip(self, width: int) -> Strip:
        assert self._layout is not None
        styles = self._styles
        segments = [Segment(" " * self._label_width)]
        one_day = len(self._layout.days) == 1
        for day, (_x, column) in zip(self._layout.days, self._columns, strict=True):
            today = day == self._layout.today
            text = f"{day:%A %d %B %Y}" if one_day else f"{day:%a %d}"
            if today:
                text = f"• {text} today" if (one_day or column >= 14) else f"•{text}"
            segments.append(Segment("│", styles.rule))
            segments.append(Segment(fit(text, column), styles.today if today else styles.header))
        return self._strip(segments, width)

    def _line_strip(self, index: int, width: int, *, cursor: bool) -> Strip:
        assert self._layout is not None
        styles = self._styles
        band_index, row = self._grid_lines[index]
        if band_index == SEPARATOR:
            parts = ["─" * self._label_width]
            for _x, column in self._columns:
                parts.append("┼" + "─" * column)
            return self._strip([Segment("".join(parts), styles.rule)], width)
        band = self._layout.bands[band_index]
        label = one_line(band.title, 60) if row == 0 else ""
        segments = [Segment(fit(label, self._label_width - 1) + " ", styles.label)]
        for day, (cell, (_x, column)) in enumerate(zip(band.cells, self._columns, strict=True)):
            segments.append(Segment("│", styles.rule))
            if row < len(cell):
                pieces = entry_pieces(
                    cell[row],
                    detailed=column >= DETAILED_WIDTH,
                    styles=styles,
                    compact=column < COMPACT_WIDTH,
                )
            else:
                pieces = [("", Style())]
            cell_segments = fit_pieces(pieces, column)
            if cursor and day == self.cursor_day:
                cell_segments = [
                    Segment(text, (style or Style()) + styles.cursor)
                    for text, style, _control in cell_segments
                ]
            segments.extend(cell_segments)
        return self._strip(segments, width)

    # cursor -------------------------------------------------------------------------------
    def _move(self, day: int, line: int) -> None:
        if self._layout is None or not self._grid_lines:
            return
        old = self.cursor_line
        self.cursor_day = max(0, min(day, len(self._layout.days) - 1))
        self.cursor_line = max(0, min(line, len(self._grid_lines) - 1))
        self._strips.pop((old, self._width), None)
        self._strips.pop((self.cursor_line, self._width), None)
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)  # less the header
        top = int(self.scroll_offset.y)
        if self.cursor_line < top:
            self.scroll_to(y=self.cursor_line, animate=False, immediate=True)
        elif self.cursor_line >= top + height:
            self.scroll_to(y=self.cursor_line - height + 1, animate=False, immediate=True)

    def _step_line(self, line: int, direction: int) -> int:
        """``line`` moved one line, over separators."""
        target = line + direction
        while 0 <= target < len(self._grid_lines) and self._grid_lines[target][0] == SEPARATOR:
            target += direction
        if not 0 <= target < len(self._grid_lines):
            return line
        return target

    def action_line(self, direction: int) -> None:
        self._move(self.cursor_day, self._step_line(self.cursor_line, direction))

    def action_day(self, direction: int) -> None:
        self._move(self.cursor_day + direction, self.cursor_line)

    def action_first(self) -> None:
        self._move(self.cursor_day, 0)

    def action_last(self) -> None:
        self._move(self.cursor_day, len(self._grid_lines) - 1)

    def action_page(self, direction: int) -> None:
        step = max(self.scrollable_content_region.height - 2, 1)
        target = max(0, min(self.cursor_line + direction * step, len(self._grid_lines) - 1))
        if self._grid_lines and self._grid_lines[target][0] == SEPARATOR:
            target = self._step_line(target, direction)
        self._move(self.cursor_day, target)

    def action_choose(self) -> None:
        self.post_message(self.Chosen())

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._layout is None or offset.y < 1:
            return
        line = int(self.scroll_offset.y) + offset.y - 1
        if line >= len(self._grid_lines) or self._grid_lines[line][0] == SEPARATOR:
            return
        for day, (x, column) in enumerate(self._columns):
            if x <= offset.x < x + column:
                self._move(day, line)
                return

    def on_focus(self) -> None:
        self._strips.pop((self.cursor_line, self._width), None)
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
