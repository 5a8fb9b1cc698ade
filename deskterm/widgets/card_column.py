"""One column of the full board: a window of one-line cards drawn with Textual's line API.

A DataTable re-renders every cell after any change (about 0.25 ms a cell here), which made
redrawing a full board take ~200 ms. This widget renders each card once into a cached
strip (keyed by what it shows and the width) and only the cursor line changes style, so a
redraw after a move costs a few milliseconds.

A column may hold thousands of cards; the widget holds a window of them (at most ``KEEP``
rows), knows where the window is in the column (``offset`` of ``total`` before it) and,
as the cursor or the view comes near an end of the window, asks for the next rows by
posting ``WantRows`` ("after", "before", or the column's "first" or "last" window for
``g``/``G``); the pane reads them by key and hands them back with ``take``. The heading's
subtitle says where the cursor is ("61/214") or how many cards are below the view.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.widgets.table import Row, fit

DUE_WIDTH = 5
WHO_WIDTH = 3
PAGE = 60  # cards read at a time (a first window, each page beyond it)
KEEP = 300  # cards held at most: a page beyond that drops as many at the far end
REACH = 10  # rows beyond the view (and the cursor) that are always loaded before they show

AFTER, BEFORE, FIRST, LAST = "after", "before", "first", "last"


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
    CardColumn { overflow-x: hidden; }
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

    class WantRows(Message):
        """Cards beyond the window are wanted: ``where`` is ``after`` or ``before`` the
        window's cards, or the column's ``first`` or ``last`` window. Answer with ``take``,
        passing ``epoch`` back (a window shown since makes the answer void)."""

        def __init__(self, column: CardColumn, where: str, epoch: int) -> None:
            self.column = column
            self.where = where
            self.epoch = epoch
            super().__init__()

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._cards: list[Row] = []
        self._offset = 0  # cards of the column before the first row held
        self._total = 0  # cards in the column
        self._epoch = 0  # bumped by every new window: earlier answers are void
        self._asked: set[str] = set()  # questions not answered yet
        self._pending = 0  # j/k presses past the held rows, made when the rows come
        self._subtitle = ""
        self._base_style = Style()
        self._cursor_style = Style()
        self._strips: dict[tuple[str, tuple[str, ...], int], Strip] = {}

    # the WindowTable-like interface ------------------------------------------------------
    @property
    def rows_shown(self) -> list[Row]:
        return self._cards

    @property
    def offset(self) -> int:
        return self._offset

    @property
    def total(self) -> int:
        return self._total

    @property
    def epoch(self) -> int:
        """Bumped by every window shown: a ``WantRows`` of an earlier one is void."""
        return self._epoch

    @property
    def more_before(self) -> bool:
        return self._offset > 0

    @property
    def more_after(self) -> bool:
        return self._offset + len(self._cards) < self._total

    @property
    def position(self) -> int:
        """The cursor's card's place in the whole column, from 1 (0: no card)."""
        return self._offset + self.cursor_row + 1 if self._cards else 0

    def selected(self) -> Row | None:
        if 0 <= self.cursor_row < len(self._cards):
            return self._cards[self.cursor_row]
        return None

    def show(
        self,
        rows: list[Row],
        *,
        offset: int = 0,
        total: int | None = None,
        select: str | None = None,
    ) -> None:
        """A new window (``offset`` cards of ``total`` before it), keeping the selected
        card on its line, or selecting the row keyed ``select``; else the cursor's place."""
        self._epoch += 1
        self._asked.clear()
        self._pending = 0
        self._offset = offset
        self._total = max(offset + len(rows), total or 0)
        keys = [row.key for row in rows]
        changed = not _same(rows, self._cards)
        if changed:
            previous = self.selected()
            self._cards = rows
            self._resize_virtual()
            if len(self._strips) > 4 * max(len(rows), 50):
                self._strips.clear()  # bounded: old cards' lines are dropped
            if select is None and previous is not None and previous.key in keys:
                index = keys.index(previous.key)
                if self.scroll_offset.y or offset:  # at the column's top, new cards show
                    self._shift(index - self.cursor_row)  # elsewhere the card keeps its line
                self.cursor_row = index
            self.refresh()
        target = keys.index(select) if select in keys else self.cursor_row
        if changed or target != self.cursor_row:
            self.move_cursor(row=target)
        else:
            self._moved()  # nothing to repaint: the place and the subtitle may have moved

    def take(self, rows: list[Row], *, where: str, offset: int, total: int, epoch: int) -> None:
        """The answer to a ``WantRows``: ``rows`` are the column's cards from ``offset`` on
        (``total`` in all). A page is added at its end of the window (dropping rows at the
        other end beyond ``KEEP``, never the ones in view); a first or last window replaces
        the window, the cursor on its first or last card."""
        if epoch != self._epoch:
            return  # asked of a window shown before this one
        self._asked.discard(where)
        if where in (FIRST, LAST):
            select = rows[0 if where == FIRST else -1].key if rows else None
            self.show(rows, offset=offset, total=total, select=select)
            return
        known = {row.key for row in self._cards}
        new = [row for row in rows if row.key not in known]
        if where == AFTER:
            self._offset = max(offset - len(self._cards), 0)
            self._cards = self._cards + new
            if not new:  # nothing after all: the column ends here (till the next reload)
                total = self._offset + len(self._cards)
            self._total = total
            self._trim(from_start=True)
        else:
            self._offset = max(offset, 0) if new else 0
            self._cards = new + self._cards
            self._total = max(total, self._offset + len(self._cards))
            self._resize_virtual()
            self._shift(len(new))
            self.cursor_row += len(new)
            self._trim(from_start=False)
        pending, self._pending = self._pending, 0
        if (pending > 0) != (where == AFTER):
            pending = 0  # presses the other way: made already
        self.move_cursor(row=self.cursor_row + pending)
        self.refresh()

    def abandon(self, where: str, epoch: int) -> None:
        """A ``WantRows`` that could not be answered (the file was busy): it may be asked
        again."""
        if epoch == self._epoch:
            self._asked.discard(where)
            self._pending = 0

    def window_size(self) -> int:
        """How many cards a first window should hold: the view's and ``REACH`` below it
        (fewer would ask for the next page at once). Not laid out yet (hidden until the
        zoom that shows it): the screen's height, which the view will not exceed."""
        height = self.scrollable_content_region.height or self.screen.size.height
        return max(height, 1) + REACH

    def reload_place(self) -> tuple[Row | None, int] | None:
        """What a reload of this window should read: from which held row (``REACH`` above
        the view and the cursor; None: from the column's first card, when the window
        starts there), and how many: the rows held from there on, unless that is a page
        more than the view and ``REACH`` below it need. The same count as held keeps the
        virtual size, so a reload that changes nothing needs no layout. None: no window."""
        if not self._cards:
            return None
        above, below = self._reach()
        first = max(above - REACH, 0)
        needed = len(self._cards) - below + REACH - first
        held = len(self._cards) - first
        count = held if held <= needed + PAGE else needed
        start = None if first == 0 and self._offset == 0 else self._cards[first]
        return start, max(min(count, KEEP), self.window_size())

    def move_cursor(self, *, row: int, **_ignored: object) -> None:
        row = max(0, min(row, len(self._cards) - 1)) if self._cards else 0
        if row != self.cursor_row:
            self.cursor_row = row
        self._scroll_to_cursor()
        self._moved()

    # the window ---------------------------------------------------------------------------
    def _resize_virtual(self) -> None:
        size = Size(self.size.width, len(self._cards))
        if size != self.virtual_size:  # a new virtual size means a layout pass: only on change
            self.virtual_size = size

    def _shift(self, rows: int) -> None:
        """Scroll by ``rows`` at once: rows came or went above the view."""
        if rows:
            self.scroll_to(y=self.scroll_offset.y + rows, animate=False, immediate=True)

    def _reach(self) -> tuple[int, int]:
        """The held rows above the view (or the cursor) and below it."""
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        above = min(top, self.cursor_row)
        below = len(self._cards) - 1 - max(top + height - 1, self.cursor_row)
        return above, below

    def _trim(self, *, from_start: bool) -> None:
        """Hold at most ``KEEP`` rows: drop them at the far end from the rows just added
        (``from_start``: the start), never the rows in view, the cursor's or ``REACH``
        either side of them (dropping those would only ask for them again)."""
        excess = len(self._cards) - KEEP
        if excess > 0:
            above, below = self._reach()
            head_room, tail_room = max(above - REACH, 0), max(below - REACH, 0)
            if from_start:
                head = min(excess, head_room)
                tail = min(excess - head, tail_room)
            else:
                tail = min(excess, tail_room)
                head = min(excess - tail, head_room)
            self._cards = self._cards[head : len(self._cards) - tail]
            self._offset += head
            self._total = max(self._total, self._offset + len(self._cards))
            self._resize_virtual()
            if head:
                self._shift(-head)
                self.cursor_row = max(self.cursor_row - head, 0)
        self._resize_virtual()

    def _ask(self, where: str) -> None:
        if where not in self._asked:
            self._asked.add(where)
            self.post_message(self.WantRows(self, where, self._epoch))

    def _moved(self) -> None:
        """After the cursor or the view moved: rows coming into reach are asked for, and
        the subtitle follows."""
        if self._cards:
            above, below = self._reach()
            if self.more_after and below < REACH:
                self._ask(AFTER)
            if self.more_before and above < REACH:
                self._ask(BEFORE)
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        """The focused column says where the cursor is ("61/214"); the others how many
        cards are below the view ("+150 more")."""
        text = ""
        if self._total:
            height = max(self.scrollable_content_region.height, 1)
            below = self._total - (self._offset + int(self.scroll_offset.y) + height)
            # (the screen's focus, not has_focus: that waits for the Focus message)
            if self.screen.focused is self:
                text = f"{self.position}/{self._total}"
            elif below > 0:
                text = f"+{below} more"
        if text != self._subtitle:  # a changed subtitle repaints the column
            self._subtitle = text
            self.border_subtitle = Text(text)

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
        self._resize_virtual()
        self._moved()

    def watch_cursor_row(self, old: int, new: int) -> None:
        # only the two lines (a scroll repaints the rest); refresh_line takes content lines
        self.refresh_line(old)
        self.refresh_line(new)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._moved()  # the wheel or the scroll bar: rows coming into view are asked for

    def on_focus(self) -> None:
        self._update_subtitle()
        self.refresh()

    def on_blur(self) -> None:
        self._update_subtitle()
        self.refresh()

    # keys ---------------------------------------------------------------------------------
    def _scroll_to_cursor(self) -> None:
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False, immediate=True)

    def _step(self, rows: int) -> None:
        """Move ``rows`` (negative: up); past the held rows, the rest is made when the next
        page comes (a key held down goes on where it stopped)."""
        target = self.cursor_row + rows
        if target >= len(self._cards) and self.more_after:
            self._pending = max(self._pending, 0) + target - max(len(self._cards) - 1, 0)
            self._ask(AFTER)
        elif target < 0 and self.more_before:
            self._pending = min(self._pending, 0) + target
            self._ask(BEFORE)
        self.move_cursor(row=target)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_first(self) -> None:
        if self.more_before:
            self._ask(FIRST)  # read from the column's start, not page by page
        else:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        if self.more_after:
            self._ask(LAST)  # the column's last window, read backwards from its end
        else:
            self.move_cursor(row=len(self._cards) - 1)

    def action_page_down(self) -> None:
        self._step(max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self._step(-max(self.scrollable_content_region.height - 1, 1))

    def action_open(self) -> None:
        if self.selected() is not None:
            self.post_message(self.Chosen())
