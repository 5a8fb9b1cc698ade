"""A detail view of one record: fields, text and a timeline, loaded off the UI thread."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from db.errors import DatabaseBusyError, DatabaseError, NotFoundError
from deskterm.core.text import one_line, visible
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.pane import ItemAction

# Details are read while the screen is being built (mounting it takes about as long as the
# read): two threads, as a second view can open before the first has loaded.
_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="detail-read")


@dataclass(frozen=True)
class Detail:
    title: str
    fields: list[tuple[str, str]]
    body: str = ""
    sections: list[tuple[str, list[str]]] = field(default_factory=list)


class DetailScreen(Screen[None]):
    """One record, read off the UI thread; with ``act``, the keys of ``detail_screen``'s
    actions act on it (a request's view answers the request from where it is read)."""

    HELP_GROUP = "Detail"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    DetailScreen > VerticalScroll { border: round $accent; padding: 0 1; }
    DetailScreen .body { margin-top: 1; }
    DetailScreen .section { margin-top: 1; }
    """

    #: a failed read (the file busy or away) is tried again this often while the view is open
    RETRY_EVERY_S = 2.0

    def __init__(
        self,
        what: str,
        loader: Callable[[], Detail],
        act: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._what = what
        self._loader = loader
        self._act = act
        self._reads = 0  # reads started; only the latest one's result is shown
        self._pending: Future[Detail] = _READERS.submit(loader)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail") as scroll:
            scroll.border_title = Text(one_line(self._what, 120))
            yield Static(Text("Loading…"), id="fields")
            yield Static(Text(""), classes="body", id="body")
            yield Static(Text(""), classes="section", id="sections")
        yield DeskFooter()

    def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        self._desk_app = self.app  # the reader thread has no active-app context
        self._watch(self._pending)

    def entities_changed(self, entities: frozenset[str]) -> None:
        """Another desk changed something: read the record again (the view shows it as it
        is now; what is on screen stays until the new read is in)."""
        self.reload()

    def reload(self) -> None:
        self._watch(_READERS.submit(self._loader))

    def _watch(self, pending: Future[Detail]) -> None:
        self._reads += 1
        read = self._reads
        pending.add_done_callback(lambda done: self._read_done(done, read))

    def _read_done(self, pending: Future[Detail], read: int) -> None:
        """Called in the reader thread, or at once here if the read had already finished."""
        if threading.get_ident() == self._ui_thread:
            self._finish(pending, read)
            return
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self._desk_app.call_from_thread(self._finish, pending, read)

    def _finish(self, pending: Future[Detail], read: int) -> None:
        if not self.is_attached or read != self._reads:
            return  # closed before the read finished, or a newer read is on its way
        try:
            detail = pending.result()
        except Exception as error:  # shown in the view, never a crash
            self._failed(error)
            return
        self._show(detail)

    def _failed(self, error: Exception) -> None:
        if isinstance(error, DatabaseError) and not isinstance(error, NotFoundError):
            # busy or away: a read saves nothing, and it is tried again until it works
            text = f"Could not read it just now ({one_line(error, 120)}); trying again…"
            if isinstance(error, DatabaseBusyError):
                text = "The shared file is busy (another desk is writing); trying again…"
            self.query_one("#fields", Static).update(Text(text))
            self.set_timer(self.RETRY_EVERY_S, self.reload)
            return
        self.query_one("#fields", Static).update(Text(f"Could not load: {one_line(error, 200)}"))

    def _show(self, detail: Detail) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.border_title = Text(one_line(detail.title, 120))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in detail.fields:
            grid.add_row(Text(label), Text(visible(value)))
        self.query_one("#fields", Static).update(grid)
        self.query_one("#body", Static).update(Text(visible(detail.body, keep_newlines=True)))
        sections = Text()
        for heading, lines in detail.sections:
            sections.append(f"{heading}\n", style="bold underline")
            for line in lines or ["(none)"]:
                sections.append(visible(line, keep_newlines=True) + "\n")
            sections.append("\n")
        self.query_one("#sections", Static).update(sections)

    def action_item(self, action: str) -> None:
        """One of the record's actions (see ``detail_screen``): its form opens over this view,
        which reads the record again once it is saved."""
        if self._act is not None:
            self._act(action)

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()

    def action_scroll_home(self) -> None:
        self.query_one(VerticalScroll).scroll_home()

    def action_scroll_end(self) -> None:
        self.query_one(VerticalScroll).scroll_end()


def detail_screen(
    what: str,
    loader: Callable[[], Detail],
    actions: Sequence[ItemAction] = (),
    act: Callable[[str], None] | None = None,
) -> DetailScreen:
    """A detail view whose keys include ``actions``, each run as ``act(action)``."""
    if not actions or act is None:
        return DetailScreen(what, loader)
    return _with_keys(tuple(actions))(what, loader, act)


@functools.cache
def _with_keys(actions: tuple[ItemAction, ...]) -> type[DetailScreen]:
    """A DetailScreen with these keys too (Textual reads a screen's keys from its class)."""
    keys = [Binding(a.key, f"item({a.action!r})", a.description) for a in actions]
    return type("DetailScreen", (DetailScreen,), {"BINDINGS": keys})
