"""Feed health: the feeds that need a look (failing first, then stale, then ones whose last
parse left a warning), loaded off the UI thread; ``F`` fetches the listed feeds again, ``enter``
shows one feed's details, ``y`` copies its address, ``escape`` closes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from deskterm.core.changes import FEED_HEALTH
from deskterm.core.text import one_line
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.table import Column, Row, WindowTable, cell
from deskterm.widgets.timefmt import stamp

PROBLEM_MARK = {"failing": "‼ failing", "stale": "! stale", "warning": "~ warning"}
ENTITIES = frozenset({"feeds", FEED_HEALTH})


def short_stamp(moment: datetime | None, tz: tzinfo, now: datetime) -> str:
    """``12:18`` today, ``22 Nov 09:05`` before, ``never``."""
    if moment is None:
        return "never"
    local = moment.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == now.astimezone(tz).date() else f"{local:%d %b %H:%M}"


class FeedHealthScreen(Screen[None]):
    HELP_GROUP = "Feed health"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("F", "refetch", "Fetch these again"),
        Binding("y", "copy_url", "Copy address"),
        Binding("R", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    FeedHealthScreen > Vertical { border: round $accent; padding: 0 1; }
    FeedHealthScreen #health-summary { height: auto; margin-bottom: 1; }
    """
    COLUMNS = (
        Column("Problem", 10),
        Column("Feed", None, weight=2, min_width=14),
        Column("Last fetch", 12, hide_below=70),
        Column("Detail", None, weight=3, min_width=16),
    )

    def __init__(self) -> None:
        super().__init__()
        self.feeds: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Feed health")
            yield Static(Text("Loading…"), id="health-summary")
            yield WindowTable(self.COLUMNS, id="health-table")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(WindowTable).focus()
        self.action_reload()

    def reload_panes(self, entity_sets: Iterable[frozenset[str]] | None = None) -> None:
        """Called with the desk's panes after a fetch or a change: reload if feeds moved."""
        changed = set().union(*entity_sets) if entity_sets is not None else None
        if changed is None or changed & ENTITIES:
            self.action_reload()

    def entities_changed(self, entities: frozenset[str]) -> None:
        """Another desk's change, from the live loop."""
        self.reload_panes([entities])

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="feed-health")
    def _load(self) -> None:
        from deskterm.core.feeds import feed_health

        app = self.app
        try:
            found = feed_health(app.db, now=app.clock())  # type: ignore[attr-defined]
        except Exception as error:  # shown in place, never a crash
            app.call_from_thread(
                self.query_one("#health-summary", Static).update,
                Text(f"Could not load: {one_line(error, 200)}"),
            )
            return
        app.call_from_thread(self._show, found)

    def _show(self, found: list[Any]) -> None:
        self.feeds = found
        tz = self.app.tz  # type: ignore[attr-defined]
        now = self.app.clock()  # type: ignore[attr-defined]
        rows = [
            Row(
                key=f"feed-{f.id}",
                cells=(
                    cell(
                        PROBLEM_MARK.get(f.problem, f.problem),
                        "bold" if f.problem == "failing" else "",
                    ),
                    cell(f.name),
                    cell(short_stamp(f.last_fetch_at, tz, now), "dim"),
                    cell(f.detail),
                ),
                item=f,
            )
            for f in found
        ]
        self.query_one(WindowTable).show(rows)
        counts = {p: sum(1 for f in found if f.problem == p) for p in PROBLEM_MARK}
        if not found:
            summary = "Every enabled feed is fetching normally."
        else:
            summary = " · ".join(f"{n} {p}" for p, n in counts.items() if n)
            summary += "  (F fetches these again, enter shows one, y copies its address)"
        self.query_one("#health-summary", Static).update(Text(summary))

    def _selected(self) -> Any:
        row = self.query_one(WindowTable).selected()
        if row is None:
            self.notify("No feed selected.", severity="warning")
            return None
        return row.item

    def action_refetch(self) -> None:
        if not self.feeds:
            self.notify("Nothing to fetch: every feed is healthy.")
            return
        self.app.fetcher.fetch_now(feed_ids=[f.id for f in self.feeds])  # type: ignore[attr-defined]

    def action_copy_url(self) -> None:
        feed = self._selected()
        if feed is not None:
            self.app.copy_to_clipboard(feed.url)
            self.notify(f"copied {one_line(feed.url, 80)}", markup=False, timeout=3)

    @on(WindowTable.RowSelected)
    def _open(self, event: WindowTable.RowSelected) -> None:
        from deskterm.screens.detail import Detail, DetailScreen

        event.stop()
        feed = self._selected()
        if feed is None:
            return
        tz = self.app.tz  # type: ignore[attr-defined]
        detail = Detail(
            title=feed.name,
            fields=[
                ("Problem", feed.problem),
                ("Detail", feed.detail),
                ("Address", feed.url),
                ("Outlet", feed.outlet or "—"),
                ("Last fetch", stamp(feed.last_fetch_at, tz)),
                ("Status", feed.last_status),
                ("HTTP status", str(feed.last_http_status or "—")),
                ("Errors in a row", str(feed.consecutive_errors)),
                ("Last error", feed.last_error or "—"),
                ("Parser warning", feed.warning or "—"),
                ("Next fetch", stamp(feed.next_fetch_at, tz)),
                ("Polled every", f"{feed.poll_minutes} min"),
            ],
        )
        self.app.push_screen(DetailScreen(feed.name, partial(lambda d: d, detail)))
