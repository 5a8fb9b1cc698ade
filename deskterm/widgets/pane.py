"""A dashboard pane: a titled, filterable window of rows loaded off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from deskterm.core.text import one_line
from deskterm.widgets.table import Column, Row, WindowTable

if TYPE_CHECKING:  # the desk paints before SQLAlchemy is imported (see docs/architecture.md)
    from db.engine import Database
    from deskterm.widgets.first_loads import FirstLoads


def focus_at_once(widget: Widget) -> None:
    """Focus ``widget`` now. ``Widget.focus`` waits for the next message, so a key typed
    right after a pane switch ("2n" in one burst) reached the pane being left."""
    screen = widget.screen
    screen.set_focus(widget)
    if screen.focused is not widget:
        widget.focus()  # not focusable yet (being shown): focus it once it is


@dataclass(frozen=True)
class ItemAction:
    """A pane key a detail view offers for the item it shows (``Pane.item_actions``)."""

    key: str
    action: str  # the pane's ``action_<action>``
    description: str


@dataclass(frozen=True)
class PaneContext:
    """What a pane's loader needs: the database, the time, the desk's zone, the filter."""

    db: Database
    now: datetime
    tz: Any
    text: str
    overdue_style: str = "bold red"  # from the theme: urgency styles follow it
    soon_style: str = "bold yellow"


class FilterInput(Input):
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter"),
        # down: to the list, the filter kept (as enter, without re-reading a search)
        Binding("down", "to_list", "To the list", show=False),
    ]

    def action_to_list(self) -> None:
        pane = next(a for a in self.ancestors if isinstance(a, Pane))
        pane.focus_table()

    def action_clear_filter(self) -> None:
        pane = next(a for a in self.ancestors if isinstance(a, Pane))
        pane.action_clear_filter()


class Pane(Vertical):
    """Subclasses set the columns and implement ``load`` (runs in a thread) and ``title``."""

    TITLE: ClassVar[str] = ""
    NUMBER: ClassVar[str] = ""
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    ENTITIES: ClassVar[frozenset[str]] = frozenset()  # audit entities that change this pane
    EMPTY: ClassVar[str] = "Nothing here."
    ALLOW_MAXIMIZE = True

    BINDINGS = [
        # Priority: handled as the desk receives it, so a word typed right after "/" in one
        # burst is already filter text (a plain binding runs only once the list has been
        # handed those keys too). In a text field "/" is typed (``check_action``).
        Binding("slash", "filter", "Filter", priority=True),
        Binding("enter", "open", "Open"),
        # with no filter set, escape goes on to the desk (zoom, notifications): check_action
        Binding("escape", "clear_filter", "Clear filter"),
    ]

    class Open(Message):
        """The user asked to open the selected item."""

        def __init__(self, pane: Pane, item: Any) -> None:
            self.pane = pane
            self.item = item
            super().__init__()

    class Loaded(Message):
        def __init__(self, pane: Pane, rows: list[Row], summary: str) -> None:
            self.pane = pane
            self.rows = rows
            self.summary = summary
            super().__init__()

    class LoadFailed(Message):
        def __init__(self, pane: Pane, error: Exception) -> None:
            self.pane = pane
            self.error = error
            super().__init__()

    def __init__(self, context: Callable[[str], PaneContext], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._make_context = context
        self._filter_text = ""
        self._summary = ""
        self._debounce: Timer | None = None
        self.loaded_once = False
        #: Set by the screen that shows this pane with others (``DashboardScreen``).
        self.first_loads: FirstLoads | None = None
        self._shown_title = ""
        self._follow: str | None = None  # row key to select after the next load
        #: the record a detail view's key acts on, while its action runs (see ``act_on``)
        self.acting_on: Any = None

    #: What the filter field says while empty.
    FILTER_PLACEHOLDER: ClassVar[str] = "filter… (enter keeps it, escape clears)"

    def compose(self) -> ComposeResult:
        # the filter field is mounted at the first "/" (``filter_field``): four text fields
        # fewer to compose, style and lay out on the first paint
        yield WindowTable(self.COLUMNS, id=f"{self.id}-table")
        yield Static(self.EMPTY, classes="empty", markup=False)

    def on_mount(self) -> None:
        self._update_title()
        self.reload()

    @property
    def table(self) -> WindowTable:
        return self.query_one(WindowTable)

    @property
    def filter_text(self) -> str:
        return self._filter_text

    def focus_table(self) -> None:
        focus_at_once(self.table)

    def _update_title(self) -> None:
        parts = [f"{self.NUMBER} {self.TITLE}"]
        if self._summary:
            parts.append(self._summary)
        if self._filter_text:
            parts.append(f"filter: {self._filter_text}")
        title = one_line(" · ".join(parts), 300)
        if title != self._shown_title:  # reassigning repaints the whole pane, children too
            self._shown_title = title
            self.border_title = Text(title)  # Text: never markup

    # loading --------------------------------------------------------------------------
    def reload(self) -> None:
        self._load(self._make_context(self._filter_text))

    @work(thread=True, exclusive=True, group="load")
    def _load(self, context: PaneContext) -> None:
        worker = get_current_worker()
        try:
            rows, summary = self.load(context)
        except Exception as error:  # shown as a notification, never a crash
            if not worker.is_cancelled:
                self._answer(self.LoadFailed(self, error))
            return
        if not worker.is_cancelled:
            self._answer(self.Loaded(self, rows, summary))

    def _answer(self, message: Message) -> None:
        """Hand a load's outcome to the UI thread; the first one through ``first_loads``
        (the desk's panes land together: see ``deskterm/widgets/first_loads.py``)."""
        gate = self.first_loads
        if gate is not None and not self.loaded_once and self.id is not None:
            gate.arrive(self.id, self, message)
        else:
            self.post_message(message)

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        raise NotImplementedError

    @on(Loaded)
    def _show_loaded(self, message: Loaded) -> None:
        if message.pane is not self:
            return
        self.loaded_once = True  # (the message bubbles on: the app watches first loads)
        self._summary = message.summary
        self.present(message.rows)
        if not message.rows:
            self.query_one(".empty", Static).update(Text(self.empty_text()))  # never markup
        self.set_class(not message.rows, "-empty")
        self._update_title()

    def empty_text(self) -> str:
        """What the pane says when a load found nothing (UI thread, after the load).

        ``EMPTY`` is for a pane with nothing in it at all; a filter that matches nothing
        must not read as "there is nothing" (an officer would think the requests gone)."""
        if self._filter_text:
            return f"Nothing matches {self.quoted_filter()}. escape clears the filter."
        return self.EMPTY

    def quoted_filter(self) -> str:
        """The filter text as an empty pane quotes it: one line, in quotes, cut short."""
        return f'"{one_line(self._filter_text, 60)}"'

    def present(self, rows: list[Row]) -> None:
        """Show freshly loaded rows (a pane with another layout overrides this)."""
        self.table.show(rows)
        follow, self._follow = self._follow, None
        keys = [row.key for row in rows]
        if follow in keys:
            self.table.move_cursor(row=keys.index(follow))

    def selected_item(self) -> Any:
        """The item under the cursor, or None."""
        row = self.table.selected()
        return row.item if row is not None else None

    # a detail view's keys -------------------------------------------------------------
    #: This pane's actions (as bound in BINDINGS) that a detail view of its item offers too.
    DETAIL_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def detail_target(self, item: Any) -> Any | None:
        """What ``read_target`` reads for ``item`` (a record's id), if it is an item this
        pane acts on; else None."""
        return None

    def read_target(self, target: Any) -> Any:
        """That record as saved now (called in a thread)."""
        raise NotImplementedError

    def item_actions(self, item: Any) -> tuple[ItemAction, ...]:
        """The keys of this pane that a detail view of ``item`` offers too."""
        if not self.DETAIL_ACTIONS or self.detail_target(item) is None:
            return ()
        return tuple(
            ItemAction(binding.key, binding.action, binding.description)
            for binding in self.BINDINGS
            if isinstance(binding, Binding) and parse(binding.action)[1] in self.DETAIL_ACTIONS
        )

    def act_on(self, item: Any, action: str) -> None:
        """Run ``action`` (one of ``item_actions(item)``) on ``item``'s record read afresh,
        wherever the cursor is: a detail view acts on what it shows, not on what the pane
        selects by then, and with the version its previous key saved."""
        target = self.detail_target(item)
        if target is not None and parse(action)[1] in self.DETAIL_ACTIONS:
            self.read_then(target, partial(self._act_on_record, action))

    @work(thread=True, exclusive=True, group="read-then")
    def read_then(self, target: Any, then: Callable[[Any], None]) -> None:
        """``then(record)`` on the UI thread with ``read_target(target)`` as saved now
        (an editor carries the version it loads). Exclusive: a key pressed twice before
        the first read is in opens one form."""
        try:
            record = self.read_target(target)
        except Exception as error:  # deleted, busy: one line, never a crash
            self.app.call_from_thread(
                self.notify, one_line(error, 300), severity="warning", markup=False
            )
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(then, record)

    def _act_on_record(self, action: str, record: Any) -> None:
        """The action as its key runs it here, with ``acting_on`` set: the pane's way to
        the record it acts on (``_request``, ``_card``) looks there first."""
        _namespace, name, parameters = parse(action)
        self.acting_on = record
        try:
            getattr(self, f"action_{name}")(*parameters)
        finally:
            self.acting_on = None

    # actions ----------------------------------------------------------------------------
    def action_open(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.post_message(self.Open(self, item))

    @on(WindowTable.RowSelected)
    def _row_selected(self, event: WindowTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self._filter_text) or self.has_class("-filtering")
        if action == "filter":
            return not isinstance(self.screen.focused, Input)
        return True

    def filter_field(self) -> FilterInput:
        """The pane's filter field, mounted (above the list) the first time it is asked for."""
        found = self.query(FilterInput)
        if found:
            return found.first()
        field = FilterInput(placeholder=self.FILTER_PLACEHOLDER, classes="filter")
        self.mount(field, before=self.table)
        return field

    def action_filter(self) -> None:
        self.add_class("-filtering")
        # at once: a word typed right after "/" is filter text, not the pane's keys
        focus_at_once(self.filter_field())

    def action_clear_filter(self) -> None:
        """escape in the list: a filter kept with enter is cleared as in the field."""
        for field in self.query(FilterInput):
            field.value = ""
        self.close_filter()

    def close_filter(self) -> None:
        self.remove_class("-filtering")
        self._apply_filter("")
        self.focus_table()

    def filter_problem(self, text: str) -> str | None:
        """Why ``text`` cannot be this pane's filter, or None. Plain filters never fail;
        a pane whose filter is a query (News) says what is wrong with it."""
        return None

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, lambda: self._apply_filter(event.value))

    @on(Input.Submitted, ".filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_filter(event.value)
        problem = self.filter_problem(event.value.strip()) if event.value.strip() else None
        if problem:  # the field keeps the text and the focus, to be put right
            self.app.notify(problem, title="Search", severity="warning", markup=False)
            return
        if not event.value:
            self.remove_class("-filtering")
        self.focus_table()

    def _apply_filter(self, text: str) -> None:
        text = text.strip()
        if text != self._filter_text:
            self._filter_text = text
            self._update_title()
            self.refresh_bindings()  # escape clears it (the footer and help say so)
            self.reload()


class ActionsMixin:
    """Running a domain action from a pane: off the UI thread, refusals as one line, then a
    reload that keeps the acted-on row selected; and picking a staff member."""

    @property
    def _db(self) -> Database:
        return self.app.db  # type: ignore[attr-defined]

    @work(thread=True, group="pane-action")
    def _do(self, done: str, call: Callable[[], Any], follow: str | None = None) -> None:
        from db.errors import DatabaseError
        from deskterm.core.errors import InputError

        try:
            call()
        except (InputError, DatabaseError) as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 300), severity="warning", markup=False
            )
            return
        except Exception as error:  # shown, never a crash
            self.app.call_from_thread(
                self.notify,
                f"could not do that: {one_line(error, 200)}",
                severity="error",
                markup=False,
            )
            return
        self.app.call_from_thread(self._done, done, follow)

    def _done(self, done: str, follow: str | None) -> None:
        self._follow = follow
        self.notify(done, markup=False, timeout=3)
        self.reload()
        # the screens over the desk hear of it as of another desk's change (the live loop's
        # hook, ``DeskApp._on_changed``): a detail view reads its record again at once
        changed = frozenset(self.ENTITIES)  # type: ignore[attr-defined]
        for screen in self.app.screen_stack:  # type: ignore[attr-defined]
            if hasattr(screen, "entities_changed"):
                screen.entities_changed(changed)

    def _pick_staff(
        self,
        title: str,
        current: str | None,
        then: Callable[[str | None], None],
        *,
        allow_nobody: bool = False,
    ) -> None:
        self._load_staff(title, current, then, allow_nobody)

    @work(thread=True, group="staff")
    def _load_staff(self, title, current, then, allow_nobody) -> None:  # type: ignore[no-untyped-def]
        from db.errors import DatabaseError
        from deskterm.core.staff import list_staff
        from deskterm.screens.pickers import Choice, PickScreen

        try:
            staff = list_staff(self._db)
        except DatabaseError as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 200), severity="error", markup=False
            )
            return
        choices = [
            Choice(s.initials, f"{s.initials}  {s.name}  ({s.role.value.replace('_', ' ')})")
            for s in staff
        ]
        if allow_nobody:
            choices.append(Choice("", "nobody"))

        def picked(value: str | None) -> None:
            if value is not None:
                then(value)

        self.app.call_from_thread(
            self.app.push_screen, PickScreen(title, choices, current=current), picked
        )


def text_matches(needle: str, *values: object) -> bool:
    """Client-side filter for panes whose window is small and complete (board, agenda)."""
    if not needle:
        return True
    folded = needle.casefold()
    return any(folded in str(v).casefold() for v in values if v)
