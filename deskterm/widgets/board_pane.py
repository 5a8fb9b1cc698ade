"""Board: the task board. Narrow, a list grouped by column with counts and the cards due
soonest; wide (zoomed), the columns side by side. Keys move cards through review and
approval; every refusal is explained in one line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static
from textual.worker import get_current_worker

from db.enums import TaskStatus
from db.errors import ConflictError, DatabaseError, NotFoundError
from deskterm.core.board_read import first_windows, unfiltered_board
from deskterm.core.dates import format_countdown
from deskterm.core.errors import InputError
from deskterm.core.fields import web_url
from deskterm.core.task_records import (
    BOARD_COLUMNS,
    CardFilter,
    ColumnWindow,
    Cursor,
    TaskRecord,
    WindowAt,
)
from deskterm.core.text import one_line
from deskterm.widgets.card_column import AFTER, BEFORE, KEEP, LAST, PAGE, CardColumn
from deskterm.widgets.pane import (
    ActionsMixin,
    Pane,
    PaneContext,
    focus_at_once,
)
from deskterm.widgets.table import Column, Row, WindowTable, cell

COMPACT_CARDS = 4  # per column in the dashboard's list
FILTERED_CARDS = 60  # per column in the dashboard's list while a filter is on
FOLLOW_LEAD = PAGE // 2  # cards read before a card just moved, so that it keeps its line
WIDE_MIN_WIDTH = 100
NEW_CARD_COLUMNS = (TaskStatus.BACKLOG, TaskStatus.DRAFTING)


def _label(status: TaskStatus) -> str:
    return status.value.replace("_", " ").upper()


DONE = (TaskStatus.PUBLISHED, TaskStatus.ARCHIVED)


def _due(task: TaskRecord, context: PaneContext) -> tuple[str, str]:
    """The countdown of an open card ("due in 2h", "‼ 3h late"); nothing once it is out."""
    if task.due_at is None or task.status in DONE:
        return "", ""
    text = format_countdown(task.due_at, context.now)
    if task.is_overdue(context.now):
        return f"‼ {text}", context.overdue_style
    return text, ""


def story_budget_detail(db, now, tz):  # type: ignore[no-untyped-def]
    """Build this week's budget (Monday to Sunday in the desk's zone) and save copies.

    The view reads again whenever another desk changes something; the copies are written
    only when their text changed. A copy that cannot be saved (a full or read-only disk)
    is said in the fields; the budget is shown all the same.
    """
    from deskterm.core.budget import render_html, render_markdown, render_text, story_budget
    from deskterm.core.config import data_dir
    from deskterm.screens.detail import Detail

    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    budget = story_budget(db, start=monday, days=7, tz=tz)
    stem = data_dir() / "budgets" / f"story-budget-{monday.isoformat()}"
    copies = (
        ("Printable", stem.with_suffix(".html"), render_html(budget, tz=tz)),
        ("Markdown", stem.with_suffix(".md"), render_markdown(budget, tz=tz)),
    )
    try:
        for _label, path, text in copies:
            _save_if_changed(path, text)
        fields = [(label, str(path)) for label, path, _text in copies]
    except OSError as error:
        fields = [("Not saved", one_line(f"{error.strerror or error}: {error.filename}", 200))]
    return Detail(
        title=f"Story budget, week of {monday:%a %d %b %Y}",
        fields=fields,
        body=render_text(budget, tz=tz),  # shown literally: no Markdown escapes
    )


def _save_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass  # not there yet, or unreadable: (re)write it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class ColumnHead:
    """A full board column's header row: its window, and the filter it was read with."""

    window: ColumnWindow
    card_filter: CardFilter
    key: tuple[str, bool, bool]  # the pane's filter text, mine, due soon


def _heading(window: ColumnWindow) -> str:
    return f"{_label(window.status)} · {window.count}"


def _place(task: TaskRecord) -> Cursor:
    return task.due_at, task.id


def _card_row(task: TaskRecord, context: PaneContext) -> Row:
    """A card in the compact list: due, title, kind, owner."""
    due, style = _due(task, context)
    return Row(
        key=f"task-{task.id}",
        cells=(
            cell(due, style),
            cell(task.title),
            cell(task.kind.value.replace("_", " "), "dim"),
            cell(task.owner or "—"),
        ),
        item=task,
    )


def _column_row(task: TaskRecord, context: PaneContext) -> Row:
    """A card in a full board column: a short countdown, title, owner."""
    due, style = _due(task, context)
    cells = (cell(_short_due(due), style), cell(task.title), cell(task.owner or "—"))
    return Row(key=f"task-{task.id}", cells=cells, item=task)


def _short_due(due: str) -> str:
    """The same countdown in at most 5 characters for the narrow board columns."""
    if not due:
        return ""
    late = due.startswith("‼")
    amount = due.removeprefix("‼ ").removeprefix("due in ").removesuffix(" late")
    amount = amount.split(" ")[0] if amount != "due now" else "now"
    return f"‼{amount}" if late else amount


class BoardPane(ActionsMixin, Pane):
    TITLE = "Board"
    NUMBER = "3"
    ENTITIES = frozenset({"tasks", "checklist_items", "task_comments", "staff"})
    EMPTY = "The board is empty. Press n for a new card."
    COLUMNS = (
        Column("Due", 14),
        Column("Card", None),
        Column("Kind", 13, hide_below=64),
        Column("Who", 3),
    )
    BINDINGS = [
        Binding("h", "column(-1)", "Column left", show=False),
        Binding("l", "column(1)", "Column right", show=False),
        Binding("H", "step(-1)", "Move back"),
        Binding("L", "step(1)", "Move on"),
        Binding("n", "new_card", "New"),
        Binding("e", "edit_card", "Edit", show=False),
        Binding("a", "assign_owner", "Owner", show=False),
        Binding("v", "send_for_review", "Review"),
        Binding("A", "approve", "Approve"),
        Binding("p", "publish", "Publish", show=False),
        Binding("c", "comment", "Comment", show=False),
        Binding("M", "mine", "Mine only", show=False),
        Binding("D", "due_soon", "Due in 24h", show=False),
        Binding("b", "budget", "Story budget", show=False),
        Binding("x", "checklist", "Checklist", show=False),
        Binding("ctrl+l", "link", "Link to request/clip/event", show=False),
    ]

    def __init__(self, context, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context, **kwargs)
        self._mine = False
        self._due_soon = False
        self._column_index = 0
        self._shown_rows: list[Row] = []
        # the full board: where each column is read again, what it was filled with
        self._places: dict[TaskStatus, WindowAt] = {}
        self._heads: dict[TaskStatus, ColumnHead] = {}
        self._shown_key: tuple[str, bool, bool] | None = None

    FILTER_PLACEHOLDER = "filter… title, owner, kind"

    def compose(self) -> ComposeResult:
        yield WindowTable(self.COLUMNS, id=f"{self.id}-table")
        with Horizontal(classes="board-columns"):
            for status in BOARD_COLUMNS:
                column = CardColumn(id=f"{self.id}-{status.value}", classes="board-column")
                column.border_title = Text(_label(status))
                yield column
        yield Static(self.EMPTY, classes="empty", markup=False)

    # layout -----------------------------------------------------------------------------
    @property
    def wide(self) -> bool:
        return self.has_class("-wide")

    @property
    def one_column(self) -> bool:
        """The full board in a zoomed pane too narrow for five columns: one at a time."""
        return self.has_class("-one-column")

    def on_mount(self) -> None:
        # Zoom in or out changes the size, and the resize lays the board out again; this
        # lays it out once more when the zoom is settled (after the next refresh), for a
        # resize handled while the pane still carried the old zoom's class.
        self.watch(
            self.screen,
            "maximized",
            lambda _maximized: self.call_after_refresh(self._fit_layout),
            init=False,
        )

    def on_resize(self) -> None:
        self._fit_layout()

    def _fit_layout(self) -> None:
        """Columns side by side when zoomed or roomy, else the compact list."""
        if not self.is_attached:
            return
        was_wide = self.wide
        roomy = self.size.width >= WIDE_MIN_WIDTH
        self.set_class(roomy or self.has_class("-maximized"), "-wide")
        if self.one_column != (self.wide and not roomy):
            self.set_class(self.wide and not roomy, "-one-column")
            self._show_current()
        if self.wide != was_wide:
            had_focus = self.has_focus_within
            self.reload()
            if had_focus:
                self.call_after_refresh(self.focus_table)

    def column_tables(self) -> list[CardColumn]:
        return list(self.query(".board-column").results(CardColumn))

    def focus_table(self) -> None:
        if self.wide:
            focus_at_once(self.column_tables()[self._column_index])
        else:
            focus_at_once(self.table)

    def on_descendant_focus(self, event) -> None:  # type: ignore[no-untyped-def]
        tables = self.column_tables()
        if event.widget in tables and tables.index(event.widget) != self._column_index:
            self._column_index = tables.index(event.widget)
            self._show_current()

    def _show_current(self) -> None:
        """Mark the current column (the only one shown in one-column mode), and head the
        columns: one at a time, the heading points to the neighbours (h, l)."""
        last = len(BOARD_COLUMNS) - 1
        for index, (status, column) in enumerate(
            zip(BOARD_COLUMNS, self.column_tables(), strict=True)
        ):
            column.set_class(index == self._column_index, "-current")
            head = self._heads.get(status)
            if head is not None:
                title = _heading(head.window)
                if self.one_column:
                    title = f"{'← ' if index else ''}{title}{' →' if index < last else ''}"
                if str(column.border_title) != title:  # a changed title repaints the column
                    column.border_title = Text(title)

    def selected_item(self) -> Any:
        if self.wide:
            row = self.column_tables()[self._column_index].selected()
            return row.item if row is not None else None
        return super().selected_item()

    def action_open(self) -> None:
        """``enter`` on a card opens it; on a column's heading (the compact board), the
        first card under it, as News's day headings do (a heading has no detail view)."""
        if isinstance(self.selected_item(), TaskStatus):
            rows = self.table.rows_shown
            below = self.table.cursor_row + 1
            if below < len(rows) and isinstance(rows[below].item, TaskRecord):
                self.post_message(self.Open(self, rows[below].item))
            return
        super().action_open()

    # loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self._places = self._window_places()  # read on the UI thread, used by the worker
        super().reload()

    def _filter_key(self) -> tuple[str, bool, bool]:
        return self._filter_text, self._mine, self._due_soon

    def _window_places(self) -> dict[TaskStatus, WindowAt]:
        """Where each column of the full board is read again: where its window is now
        (the rows in view and around the cursor), or from its first card when the filter
        changed since it was filled."""
        places = {status: WindowAt(limit=PAGE) for status in BOARD_COLUMNS}
        columns = self.column_tables()
        if len(columns) != len(BOARD_COLUMNS):
            return places  # not composed yet, or going
        kept = self.wide and self._filter_key() == self._shown_key
        for status, column in zip(BOARD_COLUMNS, columns, strict=True):
            place = column.reload_place() if kept else None
            if place is None:
                places[status] = WindowAt(limit=min(column.window_size(), KEEP))
            else:
                row, limit = place
                around = None if row is None else _place(row.item)
                places[status] = WindowAt(limit=limit, around=around, lead=0)
        return places

    def _apply_filter(self, text: str) -> None:
        if self.wide and self._filter_text and not text.strip():
            # cleared: the full columns open where the card found is, not at their tops
            card = self.selected_item()
            if isinstance(card, TaskRecord):
                self._follow = f"task-{card.id}"
        super()._apply_filter(text)

    def _card_filter(self, context: PaneContext) -> CardFilter:
        return CardFilter(
            text=context.text,
            owner=self.app.settings.user if self._mine else None,  # type: ignore[attr-defined]
            due_by=context.now + timedelta(hours=24) if self._due_soon else None,
        )

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        card_filter = self._card_filter(context)
        if self.wide:
            rows, total = self._load_wide(context, card_filter)
        else:
            rows, total = self._load_compact(context, card_filter)
        filters = [name for on_, name in ((self._mine, "mine"), (self._due_soon, "due 24h")) if on_]
        summary = f"{total} card{'' if total == 1 else 's'}" + (
            f" · {', '.join(filters)}" if filters else ""
        )
        return rows, summary

    def _load_wide(self, context: PaneContext, card_filter: CardFilter) -> tuple[list[Row], int]:
        """Each column's window (one read): a header row carrying the window, then its cards.
        A card just moved or edited is read around, so that its column shows it."""
        places = dict(self._places)
        moved = self._moved_card(context)
        if moved is not None and moved.status in places:
            # as many cards as the column reads anyway (the same virtual size: no layout)
            limit = places[moved.status].limit
            lead = min(FOLLOW_LEAD, limit // 2)
            places[moved.status] = WindowAt(limit=limit, around=_place(moved), lead=lead)
        if card_filter == CardFilter() and all(at == WindowAt(at.limit) for at in places.values()):
            # every column from its first card, nothing narrowing it: no SQLAlchemy (the
            # desk paints before it is imported)
            limits = {status: at.limit for status, at in places.items()}
            windows = first_windows(context.db.file, limits)
        else:
            from deskterm.core import tasks

            windows = tasks.column_windows(context.db, places, card_filter=card_filter)
        key = (context.text, self._mine, self._due_soon)
        rows: list[Row] = []
        for status in BOARD_COLUMNS:
            window = windows[status]
            head = ColumnHead(window, card_filter, key)
            rows.append(Row(f"column-{status.value}", (cell(_heading(window)),), head))
            rows.extend(_column_row(task, context) for task in window.cards)
        return rows, sum(window.count for window in windows.values())

    def _load_compact(self, context: PaneContext, card_filter: CardFilter) -> tuple[list[Row], int]:
        filtering = bool(card_filter.text) or card_filter.due_by is not None
        if card_filter == CardFilter():
            # the desk's default (start-up, the minute tick, live changes): no SQLAlchemy
            columns = unfiltered_board(context.db.file, COMPACT_CARDS)
        else:
            from deskterm.core import tasks

            columns = tasks.board(
                context.db,
                per_column=FILTERED_CARDS if filtering else COMPACT_CARDS,
                owner=card_filter.owner,
                text=card_filter.text,
                due_by=card_filter.due_by,
            )
        moved = self._moved_card(context)
        rows: list[Row] = []
        for column in columns:
            # The counts are of the cards that match: "DRAFTING · 1" over an empty column
            # would read as a card gone missing.
            rows.append(
                Row(
                    key=f"column-{column.status.value}",
                    cells=(
                        cell(""),
                        cell(f"{_label(column.status)} · {column.count}", "bold"),
                        cell(""),
                        cell(""),
                    ),
                    item=column.status,
                )
            )
            cards = list(column.cards)
            if (
                moved
                and not filtering  # (a filtered list shows what matches, in SQL)
                and moved.status == column.status
                and moved.id not in {c.id for c in cards}
            ):
                cards.append(moved)  # moved past the soonest few: shown where it went
            rows.extend(_card_row(task, context) for task in cards)
        return rows, sum(column.count for column in columns)

    def _moved_card(self, context: PaneContext) -> TaskRecord | None:
        """The card just moved or edited (``_follow``), read again: its column shows it,
        even when it is not among the compact list's soonest few or the full board's
        window."""
        follow = self._follow
        if not follow or not follow.startswith("task-"):
            return None
        from deskterm.core import tasks  # after a key press: the domain layer is loaded

        try:
            return tasks.get_task(context.db, int(follow.removeprefix("task-")))
        except (NotFoundError, ValueError):
            return None

    def present(self, rows: list[Row]) -> None:
        if bool(rows) and isinstance(rows[0].item, ColumnHead) != self.wide:
            return  # read for the other layout (zoomed meanwhile): the resize's reload follows
        follow = self._follow
        self._follow = None
        if not self.wide:
            self._shown_rows = rows
            self.table.show(rows)
            if follow:
                keys = [row.key for row in rows]
                if follow in keys:
                    self.table.move_cursor(row=keys.index(follow))
                else:  # not shown (a filter): on no card, so a second key moves nothing
                    here = self.table.cursor_row
                    headers = [i for i, r in enumerate(rows) if isinstance(r.item, TaskStatus)]
                    self.table.move_cursor(row=max((i for i in headers if i <= here), default=0))
            return
        by_status: dict[TaskStatus, tuple[ColumnHead, list[Row]]] = {}
        for row in rows:
            if isinstance(row.item, ColumnHead):
                cards: list[Row] = []
                by_status[row.item.window.status] = (row.item, cards)
            else:
                cards.append(row)
        for index, (status, table) in enumerate(
            zip(BOARD_COLUMNS, self.column_tables(), strict=True)
        ):
            head, cards = by_status[status]
            self._heads[status] = head
            keys = [row.key for row in cards]
            table.show(
                cards,
                offset=head.window.offset,
                total=head.window.count,
                select=follow if follow in keys else None,
            )
            if follow in keys:
                self._column_index = index
                if self.has_focus_within:
                    table.focus()
        self._shown_key = by_status[BOARD_COLUMNS[0]][0].key
        self._show_current()

    # paging the full board's columns ----------------------------------------------------
    @on(CardColumn.WantRows)
    def _want_rows(self, message: CardColumn.WantRows) -> None:
        """A column of the full board wants the cards beyond its window: read by key from
        the card at that end (``g``/``G``: the column's first or last window)."""
        message.stop()
        column = message.column
        status = BOARD_COLUMNS[self.column_tables().index(column)]
        head = self._heads.get(status)
        if head is None or not self.wide:
            column.abandon(message.where, message.epoch)
            return
        held = column.rows_shown
        if message.where == AFTER and held:
            at = WindowAt(limit=PAGE, after=_place(held[-1].item))
        elif message.where == BEFORE and held:
            at = WindowAt(limit=PAGE, before=_place(held[0].item))
        else:
            at = WindowAt(limit=PAGE, last=message.where == LAST)
        context = self._make_context(self._filter_text)
        self._load_page(column, status, at, head.card_filter, context, message)

    @work(thread=True, group="board-page")
    def _load_page(
        self,
        column: CardColumn,
        status: TaskStatus,
        at: WindowAt,
        card_filter: CardFilter,
        context: PaneContext,
        asked: CardColumn.WantRows,
    ) -> None:
        from deskterm.core import tasks

        try:
            window = tasks.column_window(self._db, status, at, card_filter=card_filter)
        except Exception as error:  # said once, asked again when the cursor moves on
            self.app.call_from_thread(column.abandon, asked.where, asked.epoch)
            self.app.call_from_thread(
                self.notify, f"Board: could not load ({one_line(error, 200)})",
                severity="error", markup=False,
            )  # fmt: skip
            return
        rows = [_column_row(task, context) for task in window.cards]
        self.app.call_from_thread(self._page_loaded, column, window, rows, asked)

    def _page_loaded(
        self,
        column: CardColumn,
        window: ColumnWindow,
        rows: list[Row],
        asked: CardColumn.WantRows,
    ) -> None:
        head = self._heads.get(window.status)
        if asked.epoch == column.epoch and head is not None and head.window.count != window.count:
            self._heads[window.status] = replace(head, window=window)
            self._show_current()  # the count changed since the window was read
        column.take(
            rows, where=asked.where, offset=window.offset, total=window.count, epoch=asked.epoch
        )

    # navigation -------------------------------------------------------------------------
    def action_column(self, delta: int) -> None:
        if self.wide:
            self._column_index = max(0, min(len(BOARD_COLUMNS) - 1, self._column_index + delta))
            self._show_current()
            focus_at_once(self.column_tables()[self._column_index])
            return
        headers = [i for i, row in enumerate(self._shown_rows) if isinstance(row.item, TaskStatus)]
        here = self.table.cursor_row
        if delta > 0:
            later = [i for i in headers if i > here]
            target = later[0] if later else None
        else:
            current = max((i for i in headers if i <= here), default=0)
            earlier = [i for i in headers if i < current]
            target = earlier[-1] if earlier else None
        if target is not None:
            has_card = target + 1 < len(self._shown_rows) and not isinstance(
                self._shown_rows[target + 1].item, TaskStatus
            )
            self.table.move_cursor(row=target + 1 if has_card else target)

    def action_mine(self) -> None:
        self._mine = not self._mine
        self.reload()

    def action_due_soon(self) -> None:
        self._due_soon = not self._due_soon
        self.reload()

    # card actions -----------------------------------------------------------------------
    DETAIL_ACTIONS = frozenset(
        {
            "step",
            "edit_card",
            "assign_owner",
            "send_for_review",
            "approve",
            "publish",
            "comment",
            "checklist",
            "link",
        }
    )

    def detail_target(self, item: object) -> int | None:
        """A card, or a card's publish date on the calendar: the task it is."""
        from deskterm.core.calendar_markers import Marker, MarkerKind

        if isinstance(item, TaskRecord):
            return item.id
        if isinstance(item, Marker) and item.kind is not MarkerKind.DEADLINE:
            return item.id
        return None

    def read_target(self, target_id: int) -> TaskRecord:
        from deskterm.core import tasks

        return tasks.get_task(self._db, target_id)

    def _card(self) -> TaskRecord | None:
        if isinstance(self.acting_on, TaskRecord):  # a detail view's key: its card
            return self.acting_on
        item = self.selected_item()
        if isinstance(item, TaskRecord):
            return item
        self.notify("Select a card first (j/k).", severity="warning")
        return None

    def _current_status(self) -> TaskStatus:
        if self.wide:
            return BOARD_COLUMNS[self._column_index]
        item = self.selected_item()
        if isinstance(item, TaskRecord):
            return item.status
        if isinstance(item, TaskStatus):
            return item
        return TaskStatus.BACKLOG

    @property
    def _self_approval(self) -> bool:
        return bool(self.app.settings.allow_self_approval)  # type: ignore[attr-defined]

    def action_step(self, direction: int) -> None:
        from deskterm.core import tasks

        card = self._card()
        if card is None:
            return
        # The selection goes with the card once it has moved (``present`` finds its
        # column); a refused move leaves it on the card, so the next key acts on it.
        self._do(
            f"{one_line(card.title, 40)}: moved {'on' if direction > 0 else 'back'}",
            partial(
                tasks.step_task,
                self._db,
                card.id,
                card.version,
                direction,
                allow_self_approval=self._self_approval,
            ),
            follow=f"task-{card.id}",
        )

    def action_approve(self) -> None:
        from deskterm.core import tasks

        card = self._card()
        if card is not None:
            self._do(
                f"approved: {one_line(card.title, 40)}",
                partial(
                    tasks.approve_task,
                    self._db,
                    card.id,
                    card.version,
                    allow_self_approval=self._self_approval,
                ),
                follow=f"task-{card.id}",
            )

    def action_send_for_review(self) -> None:
        from deskterm.core import tasks

        card = self._card()
        if card is not None:
            self._pick_staff(
                f"Who reviews “{one_line(card.title, 40)}”?",
                card.reviewer,
                lambda who: self._do(
                    f"sent to {who} for review",
                    partial(tasks.send_for_review, self._db, card.id, card.version, who),
                    follow=f"task-{card.id}",
                ),
            )

    def action_assign_owner(self) -> None:
        from deskterm.core import tasks

        card = self._card()
        if card is not None:
            self._pick_staff(
                f"Who owns “{one_line(card.title, 40)}”?",
                card.owner,
                lambda who: self._do(
                    f"owner: {who or 'nobody'}",
                    partial(tasks.assign_owner, self._db, card.id, card.version, who or None),
                    follow=f"task-{card.id}",
                ),
                allow_nobody=True,
            )

    def action_publish(self) -> None:
        """Mark the card published: what would refuse it is said first, before the link is
        asked for, so that nothing typed is lost to a refusal."""
        card = self._card()
        if card is not None:
            self._check_publish(card, self._self_approval)

    @work(thread=True, exclusive=True, group="publish")
    def _check_publish(self, card: TaskRecord, allow_self_approval: bool) -> None:
        from deskterm.core import tasks

        try:
            blockers = tasks.publish_blockers(
                self._db, card.id, allow_self_approval=allow_self_approval
            )
        except (InputError, DatabaseError) as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 300), severity="warning", markup=False
            )
            return
        if blockers:
            self.app.call_from_thread(
                self.notify, one_line("; ".join(blockers), 300), severity="warning", markup=False
            )
            return
        if not get_current_worker().is_cancelled:  # p pressed twice: one prompt
            self.app.call_from_thread(self._ask_link, card, allow_self_approval)

    def _ask_link(self, card: TaskRecord, allow_self_approval: bool) -> None:
        """The link prompt, which publishes on enter: a refusal there (another desk changed
        the card since the check) is said under the field, the link typed kept."""
        from deskterm.core import tasks
        from deskterm.screens.pickers import PromptScreen

        db, base = self._db, {"version": card.version}

        def publish(link: str) -> TaskRecord:
            try:
                return tasks.publish_task(
                    db,
                    card.id,
                    base["version"],
                    published_url=link.strip() or None,  # empty: the card's link
                    allow_self_approval=allow_self_approval,
                )
            except ConflictError as error:
                # the rules are checked again on their version: enter publishes the card
                # as it is now, or says why it cannot be
                base["version"] = error.current_version
                raise InputError(f"{error}: enter publishes it as it is now") from error

        def published(result: object) -> None:
            if isinstance(result, TaskRecord):
                self._done(f"published: {one_line(card.title, 40)}", f"task-{card.id}")

        self.app.push_screen(
            PromptScreen(
                "Mark published",
                label="Link to what went out:",
                placeholder="https://…",
                check=lambda text: web_url(text, field="published_url"),  # empty: the card's link
                save=publish,
            ),
            published,
        )

    def action_comment(self) -> None:
        from deskterm.core import tasks
        from deskterm.screens.pickers import PromptScreen

        card = self._card()
        if card is None:
            return

        def comment(text: str | None) -> None:
            if text:
                self._do("comment added", partial(tasks.add_comment, self._db, card.id, text))

        self.app.push_screen(PromptScreen("Comment", label=one_line(card.title, 60)), comment)

    def action_new_card(self) -> None:
        from deskterm.core import tasks
        from deskterm.screens.task_form import task_form

        status = self._current_status()
        if status not in NEW_CARD_COLUMNS:
            status = TaskStatus.DRAFTING  # later columns are reached through review
        app = self.app

        def save(draft) -> TaskRecord:  # type: ignore[no-untyped-def]
            return tasks.create_task(
                self._db,
                title=draft.title,
                kind=draft.kind,
                status=draft.status,
                owner=draft.owner,
                due_at=draft.due_at,
            )

        def saved(result: object) -> None:
            if isinstance(result, TaskRecord):
                self._done(f"new card: {one_line(result.title, 40)}", f"task-{result.id}")

        app.push_screen(
            task_form(
                heading=f"New card in {_label(status).title()}",
                status=status,
                now=app.clock,
                tz=app.tz,
                save=save,  # type: ignore[attr-defined]
            ),
            saved,
        )

    def action_edit_card(self) -> None:
        from deskterm.screens.task_form import card_edit, task_form

        card = self._card()
        if card is None:
            return
        app = self.app

        def saved(result: object) -> None:
            if isinstance(result, TaskRecord):
                self._done("card saved", f"task-{result.id}")

        clock, tz = app.clock, app.tz  # type: ignore[attr-defined]
        app.push_screen(
            task_form(
                heading="Edit card",
                status=card.status,
                now=clock,
                tz=tz,
                task=card,
                edit=card_edit(self._db, card, now=clock, tz=tz),  # changed fields, versioned
            ),
            saved,
        )

    def action_checklist(self) -> None:
        """The card's checklist: tick or untick an item (required ones gate publication),
        add one, remove one."""
        card = self._card()
        if card is not None:
            self._load_checklist(card)

    @work(thread=True, group="checklist")
    def _load_checklist(self, card: TaskRecord) -> None:
        from deskterm.core import tasks
        from deskterm.screens.pickers import ChecklistScreen, Choice

        try:
            items = tasks.checklist(self._db, card.id)
        except (InputError, DatabaseError) as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 200), severity="error", markup=False
            )
            return
        by_id = {str(item.id): item for item in items}
        choices = [
            Choice(
                str(i.id),
                f"[{'x' if i.done else ' '}] {i.label}" + (" (required)" if i.required else ""),
            )
            for i in items
        ]
        follow = f"task-{card.id}"

        def picked(value: str | None) -> None:
            if value is None:
                return
            if value == ChecklistScreen.ADD:
                self._ask_new_item(card)
                return
            if value.startswith(ChecklistScreen.REMOVE):
                item = by_id[value.removeprefix(ChecklistScreen.REMOVE)]
                self._do(
                    f"removed from the checklist: {item.label}",
                    partial(tasks.remove_checklist_item, self._db, item.id, item.version),
                    follow=follow,
                )
                return
            item = by_id[value]
            self._do(
                f"{'unticked' if item.done else 'ticked'}: {item.label}",
                partial(tasks.set_checklist_done, self._db, item.id, item.version, not item.done),
                follow=follow,
            )

        title = f"Checklist: {one_line(card.title, 40)}" + ("" if items else " (empty)")
        self.app.call_from_thread(self.app.push_screen, ChecklistScreen(title, choices), picked)

    def _ask_new_item(self, card: TaskRecord) -> None:
        """Type the new item's label, then say whether it gates publication."""
        from deskterm.core import tasks
        from deskterm.screens.pickers import Choice, PickScreen, PromptScreen

        def typed(label: str | None) -> None:
            if label is None:
                return

            def required(answer: str | None) -> None:
                if answer is None:
                    return
                self._do(
                    f"added to the checklist: {tasks.checklist_label(label)}",
                    partial(
                        tasks.add_checklist_item,
                        self._db,
                        card.id,
                        label,
                        required=answer == "required",
                    ),
                    follow=f"task-{card.id}",
                )

            self.app.push_screen(
                PickScreen(
                    "Must it be ticked before publishing?",
                    [
                        Choice("optional", "Optional: a reminder"),
                        Choice("required", "Required: the card cannot be published until ticked"),
                    ],
                ),
                required,
            )

        self.app.push_screen(
            PromptScreen(
                f"New checklist item: {one_line(card.title, 40)}",
                label="What must be done",
                check=tasks.checklist_label,
            ),
            typed,
        )

    def action_link(self) -> None:
        from deskterm.core.links import link_card, parse_link_target
        from deskterm.screens.pickers import PromptScreen

        card = self._card()
        if card is None:
            return

        def link(text: str | None) -> None:
            if not text or not text.strip():
                return
            try:
                target = parse_link_target(text)  # the prompt checked it
            except InputError as error:
                self.notify(one_line(error, 200), severity="warning", markup=False)
                return
            self._do(
                "linked", partial(link_card, self._db, card.id, **target), follow=f"task-{card.id}"
            )

        self.app.push_screen(
            PromptScreen(
                "Link this card",
                label="Request number (M-2026-0007), clip:ID or event:ID",
                check=lambda text: text.strip() and parse_link_target(text),  # empty: no link
            ),
            link,
        )

    def on_card_column_chosen(self, event: CardColumn.Chosen) -> None:
        event.stop()
        self.action_open()

    def action_budget(self) -> None:
        """This week's story budget: shown here, saved as Markdown and printable HTML."""
        from deskterm.screens.detail import DetailScreen

        app = self.app
        self.app.push_screen(
            DetailScreen(
                "Story budget", partial(story_budget_detail, self._db, app.clock(), app.tz)
            )  # type: ignore[attr-defined]
        )
