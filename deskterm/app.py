"""The Textual app: the desk. Built by ``make_app`` so tests inject a clock and a database."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from db.changes import Change
from db.engine import Database
from db.presence import Desk
from deskterm.alerts import MOST_LISTED, MOST_LISTED_NARROW, DeadlineAlerts
from deskterm.core.config import Settings, save_setting
from deskterm.fetcher import DeskFetcher, prepare_processes
from deskterm.screens.dashboard import DashboardScreen, is_narrow
from deskterm.widgets.pane import Pane, PaneContext
from deskterm.widgets.status_bar import StatusBar
from deskterm.widgets.timefmt import to_next_minute

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.dom import DOMNode
    from textual.screen import Screen

Clock = Callable[[], datetime]
#: Collections of the middle generation between two full collections once the desk is up
#: (CPython's default is 10): see ``DeskApp._first_load``.
GC_FULL_EVERY = 100
DEADLINE_CHECK_LIMIT = 100  # the most urgent open requests each deadline check reads
#: The longest a starting desk holds its first presence heartbeat for its panes' first
#: loads (see ``LiveLoop``): a pane that fails to load must not keep the desk unseen.
ANNOUNCE_AFTER_S = 5.0
#: What the desk's keys, forms and detail views read and write through, imported in the
#: background once the panes have painted (see ``DeskApp._warm_up``): the first paint
#: needs none of it, and the first key press must not wait ~300 ms for it.
WARM_MODULES = (
    "sqlalchemy.orm",
    "db.models",
    "db.audit",
    "db.versioning",
    "deskterm.core.requests",
    "deskterm.core.clips",
    "deskterm.core.triage",
    "deskterm.core.tasks",
    "deskterm.core.calendar",
    "deskterm.core.calendar_edits",
    "deskterm.core.calendar_markers",
    "deskterm.core.search",
    "deskterm.core.feeds",
    "deskterm.core.staff",
    "deskterm.core.editing",
    "deskterm.core.statutory",
    "deskterm.core.links",
    "deskterm.core.topics",
    "deskterm.core.contacts",
    # the screens the first keys open (enter, ?, ctrl+p, a picker) and the date parser
    "deskterm.screens.detail",
    "deskterm.screens.detail_views",
    "deskterm.screens.help",
    "deskterm.screens.pickers",
    "deskterm.commands",
    "dateutil.parser",
)


def system_clock() -> datetime:
    return datetime.now(UTC)


def desk_commands() -> type[Provider]:
    """The palette's desk commands, imported when the palette first opens."""
    from deskterm.commands import DeskCommands

    return DeskCommands


def is_help(screen: object) -> bool:
    """Whether ``screen`` is the help screen (imported once help is first opened)."""
    help_module = sys.modules.get("deskterm.screens.help")
    return help_module is not None and isinstance(screen, help_module.HelpScreen)


class DeskApp(App[None]):
    CSS_PATH = "desk.tcss"
    TITLE = "deskterm"
    COMMANDS = App.COMMANDS | {desk_commands}
    ALLOW_IN_MAXIMIZED_VIEW = "DeskFooter"  # a zoomed pane keeps its keys in view
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        # f1 too: no field types it (the modal screens have both: screens/modal.py)
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+t", "change_theme", "Theme"),
        Binding("F", "fetch_feeds", "Fetch feeds"),
        Binding("C", "contacts", "Contacts"),
        # Last in line: a filter, a form or a screen that escape closes takes it first.
        Binding("escape", "dismiss_notifications", "Dismiss notifications", show=False),
        # Priority: moving on acts as the key arrives, so what is typed after Tab in one
        # burst (a paste, a fast typist) lands in the next field, not the one being left.
        Binding("tab", "focus_next", "Next field or pane", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field or pane", show=False, priority=True),
    ]

    class Changed(Message):
        def __init__(self, entities: frozenset[str]) -> None:
            self.entities = entities
            super().__init__()

    class PresenceChanged(Message):
        def __init__(self, desks: Sequence[Desk]) -> None:
            self.desks = desks
            super().__init__()

    class Trouble(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Synced(Message):
        """A poll of the shared file went through: the desk is up to date with it."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        clock: Clock = system_clock,
        live: bool = True,
        poll_interval: float = 1.0,
        welcome: str | None = None,
    ) -> None:
        super().__init__()
        self._welcome = welcome
        self.settings = settings
        self.db = db
        self.clock = clock
        self.tz = settings.tz()
        self._live = live
        self._poll_interval = poll_interval
        self._stop_live = threading.Event()
        self._theme_ready = False
        self.last_sync: datetime | None = None
        self.editing: tuple[str, int] | None = None  # what an open editor edits (presence)
        #: Every dashboard pane has loaded once: start-up's garbage is frozen, the first
        #: deadline check has run, and the live loop may announce the desk.
        self._panes_loaded = False
        self._started = time.monotonic()
        # Before the desk is composed: its styles are worked out once, with this theme's
        # colours (a theme set once the dashboard is up would restyle every widget).
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        self._theme_ready = True

    # set-up -----------------------------------------------------------------------------
    def get_default_screen(self) -> DashboardScreen:
        """The dashboard is the desk's first screen, not one pushed over Textual's empty
        default: pushing it styled all of its widgets a second time as it was shown
        (``Screen._on_screen_resume``), ~10 ms of the first paint."""
        return DashboardScreen()

    def on_mount(self) -> None:
        if self._live:
            self._run_live()
        self._today = self.clock().astimezone(self.tz).date()  # News's "today" (minute tick)
        self._arm_minute_tick()
        self._deadline_alerts = DeadlineAlerts()
        # every 30 s; the first check once the panes have loaded (``_first_load``): its
        # toasts then come over a desk with its data, not over empty panes, and its query
        # and notifications do not delay that first full paint
        self.set_interval(30, self._check_deadlines)
        # feeds: every fetch_interval_minutes while the desk runs live, and on F
        self.fetcher = DeskFetcher(
            self, every_minutes=self.settings.fetch_interval_minutes, scheduled=self._live
        )
        self.fetcher.start()
        if self._welcome:
            self.notify(self._welcome, title="An empty desk", timeout=30, markup=False)

    def on_unmount(self) -> None:
        self._stop_live.set()

    @property
    def status_bar(self) -> StatusBar | None:
        """The desk's status bar, also while a detail, form or help screen is on top of
        it (news for it then, like the end of database trouble, must not be lost)."""
        for screen in reversed(self.screen_stack):
            try:
                return screen.query_one(StatusBar)
            except Exception:
                continue
        return None

    def pane_context(self, text: str) -> PaneContext:
        variables = self.theme_variables
        return PaneContext(
            db=self.db,
            now=self.clock(),
            tz=self.tz,
            text=text,
            overdue_style=f"bold {variables.get('error', 'red')}",
            soon_style=f"bold {variables.get('warning', 'yellow')}",
        )

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready and theme != self.settings.theme:
            try:
                save_setting(self.settings.config_path, "theme", theme)
            except Exception as error:
                self.notify(f"could not save the theme: {error}", severity="warning", markup=False)

    # live refresh -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="live")
    def _run_live(self) -> None:
        from deskterm.live import LiveLoop

        LiveLoop(
            self.db,
            on_changes=self._changes_seen,
            on_presence=lambda desks: self.post_message(self.PresenceChanged(desks)),
            on_trouble=lambda text: self.post_message(self.Trouble(text)),
            on_synced=lambda: self.post_message(self.Synced()),
            interval=self._poll_interval,
            editing=lambda: self.editing,
            may_announce=self._may_announce,
        ).run(self._stop_live)

    def _may_announce(self) -> bool:
        return self._panes_loaded or time.monotonic() - self._started > ANNOUNCE_AFTER_S

    def _changes_seen(self, changes: Sequence[Change]) -> None:
        from deskterm.core.changes import changed_entity

        entities = frozenset(changed_entity(c.entity, c.changes) for c in changes)
        self.post_message(self.Changed(entities))

    @on(Pane.Loaded)
    def _first_load(self, message: Pane.Loaded) -> None:
        """Once every pane has loaded, freeze what start-up allocated: full garbage
        collections then skip it, which keeps 100 ms pauses out of keystrokes. Full
        collections also come ten times less often (``GC_FULL_EVERY``): each still walks
        the ~40,000 objects drawing leaves behind (Textual's strips and their caches),
        15-28 ms under a fetch's load, one or two in every 240 presses of bench/keys.py;
        none in the runs since. Young cycles are collected as before. The first deadline
        check runs then too (see ``on_mount``)."""
        if self._panes_loaded:
            return
        screen = self.screen
        if isinstance(screen, DashboardScreen) and all(p.loaded_once for p in screen.panes):
            self._panes_loaded = True
            gc.freeze()
            young, middle, _full = gc.get_threshold()
            gc.set_threshold(young, middle, GC_FULL_EVERY)
            # once that frame is drawn: the warm-up's imports and the checks' reads would
            # otherwise race it for the interpreter
            self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self._warm_up()
        self._check_deadlines()
        self._check_user()

    @work(thread=True, exclusive=True, group="warm-up")
    def _warm_up(self) -> None:
        """Import the domain layer and SQLAlchemy, and make the engine, in the background
        once the panes have painted (the panes' first reads use ``sqlite3`` alone: see
        docs/architecture.md, "The first paint without SQLAlchemy"). Collections are held
        off meanwhile and what was imported is frozen after, as ``deskterm.entry`` does
        for start-up's own imports: the ~140,000 objects live as long as the desk."""
        import importlib

        enabled = gc.isenabled()
        gc.disable()
        try:
            for name in WARM_MODULES:
                importlib.import_module(name)
            self.db.engine  # noqa: B018 - made now, not at the first key that writes
        except Exception:
            pass  # whatever failed fails again, with its own message, where it is used
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    @on(Changed)
    def _on_changed(self, message: Changed) -> None:
        self.last_sync = self.clock()
        self._tell_screens(message.entities)
        self._show_sync()

    def _tell_screens(self, entities: frozenset[str]) -> None:
        """Every open screen reads again what it shows of ``entities``: the dashboard's
        panes, and a view (detail, media list, reader, ...) by its ``entities_changed``."""
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                screen.reload_panes([entities])
            elif hasattr(screen, "entities_changed"):
                screen.entities_changed(entities)

    @on(Synced)
    def _on_synced(self, message: Synced) -> None:
        self.last_sync = self.clock()
        self._show_sync()

    def _show_sync(self) -> None:
        """The status bar's "synced HH:MM": when the desk last read the file without
        trouble (every poll, so it keeps up with the clock; to the minute, so the bar is
        redrawn once a minute, not at every poll). It stops when the file cannot be read."""
        status = self.status_bar
        if status is not None and self.last_sync is not None:
            status.last_sync = self.last_sync.astimezone(self.tz).strftime("%H:%M")

    @on(PresenceChanged)
    def _on_presence(self, message: PresenceChanged) -> None:
        me = (self.db.actor.host, os.getpid())
        others = tuple(
            f"{desk.user}@{desk.host}" for desk in message.desks if (desk.host, desk.pid) != me
        )
        status = self.status_bar
        if status is not None:
            status.others = others
        for screen in self.screen_stack:  # "being edited by" marks (Requests, its form)
            if isinstance(screen, DashboardScreen):
                for pane in screen.panes:
                    if hasattr(pane, "presence_changed"):
                        pane.presence_changed(message.desks)
            elif hasattr(screen, "presence_changed"):
                screen.presence_changed(message.desks)

    @on(Trouble)
    def _on_trouble(self, message: Trouble) -> None:
        status = self.status_bar
        if status is not None:
            status.trouble = message.text  # (the good poll that clears it reports Synced)

    def _arm_minute_tick(self) -> None:
        """Countdowns and agendas move on as the clock's minute turns (an interval counted
        from start-up left them up to a minute behind the header's clock)."""
        self.set_timer(to_next_minute(self.clock()), self._on_minute)

    def _on_minute(self) -> None:
        self._minute_tick()
        self._arm_minute_tick()

    def _minute_tick(self) -> None:
        """Countdowns and agendas depend on the time: redraw them each minute, in the panes
        and in an open view (a request's detail says how long is left). At midnight News's
        "today" moves on too (a desk left open overnight would still show yesterday's clips
        as today's until a fetch brought a new one)."""
        changed = {"requests", "tasks", "events"}
        today = self.clock().astimezone(self.tz).date()
        if today != self._today:
            self._today = today
            changed.add("clips")
        self._tell_screens(frozenset(changed))

    def _check_deadlines(self) -> None:
        """Announce requests coming due within 30 minutes and requests going overdue (a
        terminal too small for the 2x2 desk gets a shorter notification)."""
        self._read_deadlines(MOST_LISTED_NARROW if is_narrow(*self.size) else MOST_LISTED)

    @work(thread=True, exclusive=True, group="deadlines")
    def _read_deadlines(self, listed: int) -> None:
        from deskterm.core.open_requests import open_request_window

        now = self.clock()
        try:
            open_requests = open_request_window(self.db, limit=DEADLINE_CHECK_LIMIT)
        except Exception:
            return  # the live loop already shows database trouble in the status bar
        complete = len(open_requests) < DEADLINE_CHECK_LIMIT
        alert = self._deadline_alerts.check(open_requests, now, complete=complete, listed=listed)
        if alert is not None:
            self.call_from_thread(
                self.notify,
                alert.text,
                title=alert.title,
                severity="error" if alert.overdue else "warning",
                timeout=20,
                markup=False,
            )

    @work(thread=True, exclusive=True, group="user-check")
    def _check_user(self) -> None:
        """Say once, after the first paint, when the desk's user is not on the staff list."""
        from deskterm.core.staff import user_not_on_staff

        try:
            note = user_not_on_staff(self.db)
        except Exception:
            return  # the live loop already shows database trouble in the status bar
        if note is not None:
            self.call_from_thread(
                self.notify,
                note,
                title="Not on the staff list",
                severity="warning",
                timeout=30,
                markup=False,
            )

    # actions ----------------------------------------------------------------------------
    def action_contacts(self) -> None:
        """The media list (reporters and outlets); brings an open one back to the top."""
        from deskterm.screens.contacts import ContactsScreen

        if self.screen.is_modal:
            return
        for screen in self.screen_stack:
            if isinstance(screen, ContactsScreen):
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(ContactsScreen())

    def action_fetch_feeds(self) -> None:
        self.fetcher.fetch_now()

    def action_dismiss_notifications(self) -> None:
        """Clear the notifications off the screen (a toast can otherwise only be clicked
        away or waited out)."""
        self.clear_notifications()

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """A screen pushed while help is open (a picker or conflict view that a worker's
        answer brings a moment after the key that opened help) closes help first: help
        describes the screen under it, and the form under it must stay next to the top
        (Textual's ``dismiss`` pops the top screen, whichever it is; ``DeskModal``)."""
        stack = self.screen_stack
        if stack and is_help(stack[-1]) and not is_help(screen) and kwargs.get("mode") is None:
            self.pop_screen()
        return super().push_screen(screen, *args, **kwargs)

    def action_help(self) -> None:
        """Help for the screen in front: its keys first (on the desk: the focused pane's),
        then those of the focused widget (nearest first; the kinds of field or list, whose
        keys are the same everywhere, after the rest), the desk's last. Pressed over help,
        it closes help."""
        from deskterm.screens.help import HelpScreen, KeyHelp

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss()
            return
        rows: dict[tuple[str, str, str], list[str]] = {}  # keys of one action, one row
        for node, binding in _keys_that_work(screen):
            if not binding.description or _does_nothing_there(node, binding):
                continue
            row = (_where(node, binding), binding.description, binding.action)
            keys = rows.setdefault(row, [])
            shown = self.get_key_display(binding)
            if shown not in keys:
                keys.append(shown)
        own = _where(screen, None)
        first: dict[str, int] = {}
        for index, (where, _description, _action) in enumerate(rows):
            first.setdefault(where, index)
        entries = [
            KeyHelp(where, ", ".join(keys), description)
            for (where, description, _action), keys in rows.items()
        ]
        entries.sort(
            key=lambda e: (
                e.where == "Desk",
                e.where != own,
                e.where in _GENERIC_GROUPS,
                first[e.where],
            )
        )
        self.push_screen(HelpScreen(entries))

    @on(Pane.Open)
    def _open_item(self, message: Pane.Open) -> None:
        from deskterm.screens.detail import DetailScreen, detail_screen
        from deskterm.screens.detail_views import detail_for

        item = message.item
        what, loader = detail_for(self.db, item, self.tz, self.settings.holidays, self.clock)
        # the pane that acts on it: a deadline opened from the calendar is the Requests pane's
        panes = [p for s in self.screen_stack if isinstance(s, DashboardScreen) for p in s.panes]
        acting = next(((p, a) for p in panes if (a := p.item_actions(item))), None)
        if acting is None:
            self.push_screen(DetailScreen(what, loader))
            return
        pane, actions = acting
        self.push_screen(detail_screen(what, loader, actions, partial(pane.act_on, item)))


def _keys_that_work(screen: Screen) -> list[tuple[DOMNode, Binding]]:
    """Every binding a key press runs on ``screen`` now, with the node it runs on: the
    screen's active bindings, and over a modal screen also the app's priority bindings
    (tab, ctrl+p), which Textual still runs there, before any other binding of their key,
    but leaves out of ``active_bindings``. A priority binding whose key the focused widget
    types is not in the chain, so not listed."""
    found = {key: (item.node, item.binding) for key, item in screen.active_bindings.items()}
    if screen.is_modal:
        for node, bindings in screen._binding_chain:
            if isinstance(node, App):
                for key, binding in bindings:
                    if binding.priority and not (key in found and found[key][1].priority):
                        found[key] = (node, binding)
    return list(found.values())


#: Actions a one-line text field inherits from Textual's scrolling views: it never scrolls
#: by them (its text moves with the cursor), so help does not list them.
_SCROLL_ACTIONS = frozenset(
    {"scroll_up", "scroll_down", "page_up", "page_down", "page_left", "page_right"}
)


def _does_nothing_there(node: object, binding: Binding) -> bool:
    from textual.widgets import Input

    return isinstance(node, Input) and binding.action in _SCROLL_ACTIONS


#: Help's groups for kinds of widget rather than for one part of the desk (see ``_where``).
_GENERIC_GROUPS = frozenset({"Text field", "Choice field", "Scrolling", "Lists"})


def _where(node: object, binding: Binding | None) -> str:
    """The heading a key is listed under in help."""
    from textual.containers import ScrollableContainer
    from textual.scroll_view import ScrollView
    from textual.widgets import Input, Select, TextArea

    from deskterm.screens.modal import DeskModal

    if isinstance(node, DeskModal) and binding is not None and binding.action.startswith("app."):
        return "Desk"  # a modal screen's way to the app's keys (f1 help)
    if getattr(node, "HELP_GROUP", None):  # a screen naming its keys' group
        return str(node.HELP_GROUP)  # type: ignore[attr-defined]
    if isinstance(node, Pane):
        return f"{node.TITLE} pane"
    if isinstance(node, App | DashboardScreen):
        return "Desk"
    if isinstance(node, Input | TextArea):
        return "Text field"
    if isinstance(node, Select) or isinstance(getattr(node, "parent", None), Select):
        return "Choice field"
    if isinstance(node, ScrollableContainer) and not isinstance(node, ScrollView):
        return "Scrolling"  # a form or view that scrolls (a ScrollView is one of our lists)
    return "Lists"


def make_app(
    settings: Settings,
    db: Database,
    *,
    clock: Clock = system_clock,
    live: bool = True,
    poll_interval: float = 1.0,
    welcome: str | None = None,
) -> DeskApp:
    """The desk; ``welcome`` is shown to a user whose database is still empty."""
    prepare_processes()  # before the app captures stderr (see deskterm/fetcher.py)
    return DeskApp(
        settings, db, clock=clock, live=live, poll_interval=poll_interval, welcome=welcome
    )
