"""The dashboard: four panes (News, Requests, Board, Calendar), header and status bar."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Input

from deskterm.widgets.board_pane import BoardPane
from deskterm.widgets.calendar_pane import CalendarPane
from deskterm.widgets.first_loads import FIRST_LOADS_WAIT_S, FirstLoads
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.header import DeskHeader
from deskterm.widgets.news_pane import NewsPane
from deskterm.widgets.pane import Pane
from deskterm.widgets.requests_pane import RequestsPane
from deskterm.widgets.status_bar import StatusBar

WIDE_MIN = (100, 30)  # columns, rows: below this the panes stack


def is_narrow(width: int, height: int) -> bool:
    """Whether a terminal of this size is too small for the 2x2 grid (the panes stack)."""
    return width < WIDE_MIN[0] or height < WIDE_MIN[1]


class DashboardScreen(Screen[None]):
    # Focus lands on the News list as the screen is composed. Textual's default focuses
    # the first focusable widget, News's hidden filter field: the footer was built for
    # its keys and at once rebuilt for the list's (~25 ms of the first paint).
    AUTO_FOCUS = "#news-table"
    # The pane keys are priority bindings: handled as the desk receives them, so the key
    # after "2" in one burst ("2n") already goes to the Requests pane (a plain binding runs
    # only once the pane being left has been handed that next key too). In a text field
    # they type digits (``check_action``).
    BINDINGS = [
        Binding("1", "focus_pane('news')", "News", show=False, priority=True),
        Binding("2", "focus_pane('requests')", "Requests", show=False, priority=True),
        Binding("3", "focus_pane('board')", "Board", show=False, priority=True),
        Binding("4", "focus_pane('calendar')", "Calendar", show=False, priority=True),
        Binding("z", "zoom", "Zoom"),
        Binding("R", "refresh_all", "Reload", show=False),
        # after a filter's own escape (pane bindings come first): see ESCAPE_TO_MINIMIZE
        Binding("escape", "unzoom", "Unzoom", show=False),
    ]
    #: Textual's escape-to-minimize runs before every binding, so a zoomed pane's escape
    #: never reached its filter (typed or kept with enter). Here escape clears a filter
    #: first, and unzooms only when there is none.
    ESCAPE_TO_MINIMIZE = False

    PANES = (
        (NewsPane, "news"),
        (RequestsPane, "requests"),
        (BoardPane, "board"),
        (CalendarPane, "calendar"),
    )

    def __init__(self) -> None:
        super().__init__()
        #: the panes' first loads land together, in one frame
        self.first_loads = FirstLoads([pane_id for _pane_class, pane_id in self.PANES])
        self._answered: set[str] = set()  # panes whose first load is shown (or failed)
        self._drawing_held: AbstractContextManager[None] | None = None

    def compose(self) -> ComposeResult:
        app = self.app
        # No frame of empty panes: the first one drawn has the rows (see ``_first_answer``).
        if self._drawing_held is None and not self.first_loads.released:
            self._drawing_held = app.batch_update()
            self._drawing_held.__enter__()
        yield DeskHeader(app.clock, app.tz, app.settings.user)  # type: ignore[attr-defined]
        with Container(id="panes"):
            for pane_class, pane_id in self.PANES:
                pane = pane_class(app.pane_context, id=pane_id)  # type: ignore[attr-defined]
                pane.first_loads = self.first_loads
                yield pane
        yield StatusBar()
        yield DeskFooter()

    def on_mount(self) -> None:
        self.set_timer(FIRST_LOADS_WAIT_S, self._stop_waiting)
        self.query_one(StatusBar).location = self.app.db.location  # type: ignore[attr-defined]
        self.query_one(NewsPane).focus_table()
        self._fit(self.size.width, self.size.height)

    def on_resize(self, event) -> None:  # type: ignore[no-untyped-def]
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        self.set_class(is_narrow(width, height), "-narrow")
        self._show_headers()

    def on_descendant_focus(self) -> None:
        self._show_headers()

    def _show_headers(self) -> None:
        """Stacked panes that are not focused show one row: their header would hide it."""
        narrow = self.has_class("-narrow")
        focused = self.focused_pane()
        for pane in self.panes:
            pane.table.show_header = not narrow or pane is focused

    @property
    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

    def focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        return node

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "unzoom":  # not zoomed: escape goes on (the app clears notifications)
            return self.maximized is not None
        # In a text field (a pane's filter) a digit is typed, not a pane key.
        return not (action == "focus_pane" and isinstance(self.focused, Input))

    def action_focus_pane(self, pane_id: str) -> None:
        if self.maximized is not None:
            self.minimize()
        self.query_one(f"#{pane_id}", Pane).focus_table()

    def action_unzoom(self) -> None:
        self.minimize()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        pane = self.focused_pane()
        if pane is not None:
            self.maximize(pane, container=False)

    def action_refresh_all(self) -> None:
        self.reload_panes(pane.ENTITIES for pane in self.panes)

    def reload_panes(self, entity_sets: Iterable[frozenset[str]] | None = None) -> None:
        """Reload the panes whose data may have changed (all of them for None)."""
        changed = set().union(*entity_sets) if entity_sets is not None else None
        for pane in self.panes:
            if changed is None or pane.ENTITIES & changed:
                pane.reload()

    @on(Pane.Loaded)
    def _first_answer(self, message: Pane.Loaded | Pane.LoadFailed) -> None:
        """Once every pane has shown its first load (or failed to), draw."""
        if self._drawing_held is not None and message.pane.id is not None:
            self._answered.add(message.pane.id)
            if len(self._answered) == len(self.PANES):
                self._stop_waiting()

    def _stop_waiting(self) -> None:
        """The panes' first loads are in, or have taken ``FIRST_LOADS_WAIT_S``: show what is
        in, and each answer as it comes from now on."""
        self.first_loads.release()
        held, self._drawing_held = self._drawing_held, None
        if held is not None:
            held.__exit__(None, None, None)

    @on(Pane.LoadFailed)
    def _load_failed(self, message: Pane.LoadFailed) -> None:
        self._first_answer(message)
        self.notify(
            f"{message.pane.TITLE}: could not load ({message.error})",
            severity="error",
            markup=False,
        )
