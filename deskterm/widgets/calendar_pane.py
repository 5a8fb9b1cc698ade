"""Calendar: the agenda (today and the next 7 days) in the dashboard's pane; zoomed (``z``,
or ``v``), a week grid with one lane per key leader, the month overview, an agenda of any
range (``r``) and a day grid. ``v`` cycles the zoomed views, ``[``/``]`` step the period,
``t`` comes back to today.

Everything the pane shows comes from one worker load (``load_view``): the occurrences of
the period (``deskterm.core.occurrences.all_occurrences``, up to a cap per view:
``ZOOM_WINDOW``), the overlaps of a leader's appearances
(``deskterm.core.overlaps``), and the markers (request deadlines and publish dates,
``m`` toggles them); ``deskterm.core.calendar_views`` lays them out, the widgets draw.
Marks carry the meaning (never colour alone): ``⚠`` overlap, ``✕`` cancelled,
``?`` tentative, ``»`` postponed, ``◆`` a request's deadline, ``◇`` a publish date.

The module imports nothing of SQLAlchemy: the dashboard's agenda (every view without
markers) is read in plain SQL, on the desk's first paint. Markers, edits and detail reads
import the domain layer (``deskterm.core.calendar``, ``calendar_markers.markers``) when
they run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.worker import get_current_worker

from db.enums import EventStatus
from deskterm.core.calendar_markers import Marker, markers
from deskterm.core.calendar_views import (
    CONTINUED,
    OVERLAP_MARK,
    PANE_DAYS,
    ZOOM_AGENDA_DAYS,
    Filter,
    GridLayout,
    Lane,
    MonthLayout,
    Period,
    View,
    agenda,
    filter_choices,
    grid_layout,
    keep,
    lanes_for,
    leader_name_for,
    local_day,
    month_layout,
    next_view,
    parse_range,
    period_for,
    step,
    switch_view,
)
from deskterm.core.config import DEFAULT_LEADERS
from deskterm.core.occurrences import EventRecord, Occurrence, all_occurrences
from deskterm.core.overlaps import leader_overlaps
from deskterm.core.text import one_line
from deskterm.widgets.month_grid import MonthGrid
from deskterm.widgets.pane import ActionsMixin, FilterInput, Pane, PaneContext, focus_at_once
from deskterm.widgets.table import Column, Row, WindowTable, cell
from deskterm.widgets.timefmt import stamp
from deskterm.widgets.week_grid import WeekGrid

GridWidget = TypeVar("GridWidget", WeekGrid, MonthGrid)

if TYPE_CHECKING:
    from db.engine import Database

PANE_WINDOW = 400  # occurrences in the dashboard's agenda
ZOOM_WINDOW = {View.DAY: 2000, View.WEEK: 3000, View.MONTH: 6000, View.AGENDA: 3000}
MARKER_WINDOW = 200
AHEAD_KEPT = 6  # periods loaded ahead and kept (dropped on any reload)
GRID_ROW = Row("grid", (cell(""), cell(""), cell(""), cell("")))  # "not empty" for a grid view


@dataclass(frozen=True)
class Want:
    """What a load is for: taken on the UI thread, read by the worker."""

    period: Period
    chosen: Filter
    markers: bool
    lanes: tuple[Lane, ...]
    pane: bool  # the dashboard's agenda (not zoomed)


class ViewRows(list[Row]):
    """Rows for the agenda table, and what the grid views draw instead."""

    def __init__(
        self,
        rows: list[Row],
        *,
        want: Want,
        layout: GridLayout | MonthLayout | None = None,
        found: list[Occurrence] | None = None,
    ) -> None:
        super().__init__(rows)
        self.want = want
        self.layout = layout
        self.found = found or []


def read_occurrences(
    db: Database, period: Period, tz: tzinfo, cap: int
) -> tuple[list[Occurrence], bool]:
    """The period's occurrences (at most ``cap``) and whether some were left out."""
    start, end = period.bounds(tz)
    return all_occurrences(db, start, end, cap=cap)


def day_heading(day: date, today: date) -> str:
    if day == today:
        return f"Today {day:%a %d %b}"
    if day == today + timedelta(days=1):
        return f"Tomorrow {day:%a %d %b}"
    return f"{day:%a %d %b}" + ("" if day.year == today.year else f" {day.year}")


def entry_row(entry: Any, now: datetime, overlap_style: str) -> Row:
    """One agenda row: when, what (with its marks), who, status."""
    when = entry.time_label
    if entry.end_label and when != CONTINUED:
        when += f"-{entry.end_label}"
    item = entry.item
    if isinstance(item, Marker):
        what = "deadline" if item.kind == "deadline" else "publish"
        return Row(
            entry.key,
            (
                cell(when),
                cell(f"{entry.marks} {what}: {entry.title}", "italic"),
                cell(""),
                cell(what, "dim"),
            ),
            item,
        )
    title = entry.title + (f" · {entry.location}" if entry.location else "")
    marks = entry.marks
    event = cell(f"{marks} {title}" if marks else title, "strike dim" if entry.cancelled else "")
    if entry.overlap:
        event.stylize(overlap_style, 0, len(OVERLAP_MARK))
    past = item.end is not None and item.end < now
    status = "" if entry.status == EventStatus.CONFIRMED else entry.status
    if entry.overlap:
        status = f"{status} overlap".strip()
    return Row(
        entry.key,
        (
            cell(when, "dim" if past else ""),
            event,
            cell(", ".join(entry.leaders), "italic"),
            cell(status, "dim"),
        ),
        item,
    )


def load_view(
    db: Database,
    want: Want,
    *,
    now: datetime,
    tz: tzinfo,
    text: str = "",
    overlap_style: str = "bold yellow",
) -> tuple[ViewRows, str]:
    """Everything one view shows (runs in the pane's worker; the bench calls it too)."""
    period = want.period
    today = now.astimezone(tz).date()
    limit = PANE_WINDOW if want.pane else ZOOM_WINDOW[period.view]
    found, full = read_occurrences(db, period, tz, limit)
    overlaps = leader_overlaps(found)
    shown = keep(found, want.chosen, want.lanes, text)
    marked: list[Marker] | None = None
    if want.markers:
        start, end = period.bounds(tz)
        needle = text.casefold()
        marked = [
            m
            for m in markers(db, start, end, limit=MARKER_WINDOW)
            if not needle or needle in m.label.casefold()
        ]
    layout: GridLayout | MonthLayout | None = None
    if period.view in (View.DAY, View.WEEK):
        layout = grid_layout(
            period,
            shown,
            lanes=want.lanes,
            tz=tz,
            today=today,
            overlaps=overlaps,
            markers=marked,
            only_lane=want.chosen.leader,
            truncated=full,
        )
        rows = ViewRows([GRID_ROW], want=want, layout=layout, found=found)
        count, flagged = layout.count, layout.overlaps
    elif period.view is View.MONTH:
        layout = month_layout(
            period, shown, tz=tz, today=today, overlaps=overlaps, markers=marked, truncated=full
        )
        rows = ViewRows([GRID_ROW], want=want, layout=layout, found=found)
        count, flagged = layout.count, layout.overlaps
    else:
        days = agenda(period, shown, tz=tz, overlaps=overlaps, markers=marked)
        table_rows: list[Row] = []
        count = flagged = 0
        for agenda_day in days:
            table_rows.append(
                Row(
                    f"day-{agenda_day.day.isoformat()}",
                    (
                        cell(""),
                        cell(day_heading(agenda_day.day, today), "bold"),
                        cell(""),
                        cell(""),
                    ),
                    agenda_day.day,
                )
            )
            for entry in agenda_day.entries:
                table_rows.append(entry_row(entry, now, overlap_style))
                if entry.marker is None:
                    count += 1
                    flagged += entry.overlap
        rows = ViewRows(table_rows, want=want, found=found)
    return rows, summary(want, count, flagged, len(marked or ()), full, today)


def summary(want: Want, count: int, flagged: int, marked: int, full: bool, today: date) -> str:
    period = want.period
    if want.pane and period.first == today and period.days == PANE_DAYS:
        parts = [f"{count} in the next {PANE_DAYS - 1} days"]
    else:
        parts = [period.label(), f"{count} event" + ("" if count == 1 else "s")]
    if flagged:
        parts.append(f"{OVERLAP_MARK} {flagged} overlapping")
    if want.chosen.active:
        parts.append(want.chosen.label())
    if want.markers and marked:
        parts.append(f"◆◇ {marked}")
    if full:
        parts.append("window full: narrow the range or filter")
    return " · ".join(parts)


class CalendarPane(ActionsMixin, Pane):
    TITLE = "Calendar"
    NUMBER = "4"
    ENTITIES = frozenset({"events", "tasks", "requests"})
    EMPTY = "Nothing on the calendar for these days. Press n to plan something."
    COLUMNS = (
        Column("When", 11),
        Column("Event", None, weight=3),
        Column("Who", None, hide_below=64, weight=1, min_width=12),
        Column("", 9, hide_below=90),
    )
    DEFAULT_CSS = """
    CalendarPane > WeekGrid, CalendarPane > MonthGrid { display: none; }
    CalendarPane.-view-grid > WeekGrid { display: block; }
    CalendarPane.-view-month > MonthGrid { display: block; }
    CalendarPane.-view-grid > WindowTable { display: none; }
    CalendarPane.-view-month > WindowTable { display: none; }
    """
    BINDINGS = [
        Binding("left_square_bracket", "period(-1)", "Previous"),
        Binding("right_square_bracket", "period(1)", "Next"),
        Binding("t", "today", "Today"),
        Binding("v", "cycle_view", "View"),
        Binding("n", "new_event", "New"),
        Binding("e", "edit_event", "Edit", show=False),
        Binding("x", "cancel_event", "Cancel event", show=False),
        Binding("L", "filter_leader_kind", "Leader/kind", show=False),
        Binding("m", "toggle_markers", "Markers"),
        Binding("r", "agenda_range", "Agenda range", show=False),
    ]

    def __init__(self, context, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context, **kwargs)
        self._zoomed = False
        self._zoom_view = View.WEEK
        self._period: Period | None = None
        self._follow_today = True  # the period moves with the date until the user steps away
        self._chosen = Filter()
        # Markers (deadlines, publish dates) in the zoomed views and in the dashboard's
        # agenda, where the Requests pane already lists the deadlines: off until ``m``.
        self._markers = {True: True, False: False}  # zoomed -> shown
        self._want: Want | None = None
        self._select_day: date | None = None
        self._found: list[Occurrence] = []  # the last load's occurrences (to plan in a lane)
        self._ahead: dict[Want, tuple[ViewRows, str]] = {}  # neighbouring periods, loaded

    FILTER_PLACEHOLDER = "filter… title, place, leader"

    def compose(self) -> ComposeResult:
        yield WindowTable(self.COLUMNS, id=f"{self.id}-table")
        # the week and month grids are mounted when a zoomed view first needs them
        yield Static(self.EMPTY, classes="empty", markup=False)

    def on_mount(self) -> None:
        self.watch(self.screen, "maximized", self._maximized_changed, init=False)

    # state --------------------------------------------------------------------------------
    @property
    def week_grid(self) -> WeekGrid:
        return self._grid(WeekGrid, "week")

    @property
    def month_grid(self) -> MonthGrid:
        return self._grid(MonthGrid, "month")

    def _grid(self, kind: type[GridWidget], name: str) -> GridWidget:
        """The zoomed view's grid, mounted the first time it is asked for: the agenda the
        desk opens on needs neither (two widgets fewer to compose, style and lay out on the
        first paint)."""
        found = self.query(kind)
        if found:
            return found.first()
        grid = kind(id=f"{self.id}-{name}")
        self.mount(grid, before=self.query_one(".empty"))
        return grid

    @property
    def period(self) -> Period | None:
        return self._period

    @property
    def view(self) -> View:
        return self._period.view if self._period is not None else View.AGENDA

    @property
    def zoomed(self) -> bool:
        return self._zoomed

    @property
    def chosen(self) -> Filter:
        return self._chosen

    @property
    def markers_shown(self) -> bool:
        return self._markers[self._zoomed]

    @property
    def lanes(self) -> tuple[Lane, ...]:
        leaders = getattr(self.app.settings, "leaders", DEFAULT_LEADERS)  # type: ignore[attr-defined]
        return lanes_for(leaders)

    @property
    def _tz(self) -> tzinfo:
        return self.app.tz  # type: ignore[attr-defined,no-any-return]

    def _today(self) -> date:
        return self.app.clock().astimezone(self._tz).date()  # type: ignore[attr-defined]

    def _set_period(self, period: Period, *, follow: bool) -> None:
        self._period = period
        self._follow_today = follow

    def _showing(self) -> str:
        if self.has_class("-view-grid"):
            return "grid"
        if self.has_class("-view-month"):
            return "month"
        return "table"

    # loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load again: the data (or the time, or the ``/`` filter) may have changed, so the
        neighbouring periods loaded ahead are dropped too."""
        self._ahead.clear()
        self.workers.cancel_group(self, "ahead")
        self._navigate()

    def _navigate(self) -> None:
        """Show the current period: from the periods loaded ahead if it is one of them (the
        data has not changed since: any change goes through ``reload``), else load it."""
        today = self._today()
        if self._period is None:
            self._period = period_for(View.AGENDA, today, days=PANE_DAYS)
        elif self._follow_today and not self._period.contains(today):
            self._period = period_for(
                self._period.view, today, days=self._period.days
            )  # a new day (or week) began
        self._want = Want(
            self._period, self._chosen, self.markers_shown, self.lanes, pane=not self._zoomed
        )
        ahead = self._ahead.get(self._want)
        if ahead is not None:
            self.workers.cancel_group(self, "load")  # an older load must not land after this
            self.post_message(self.Loaded(self, *ahead))
            return
        super().reload()

    def _load_ahead(self) -> None:
        """After a zoomed view is shown, load the periods ``[`` and ``]`` lead to, so that
        stepping through weeks or months does not wait for the database."""
        want = self._want
        if want is None or want.pane:
            return
        wanted = [replace(want, period=step(want.period, d)) for d in (1, -1)]
        missing = [w for w in wanted if w not in self._ahead]
        if missing:
            self._read_ahead(missing, self._make_context(self._filter_text))

    @work(thread=True, exclusive=True, group="ahead")
    def _read_ahead(self, wants: list[Want], context: PaneContext) -> None:
        worker = get_current_worker()
        for want in wants:
            if worker.is_cancelled:
                return
            try:
                found = load_view(
                    context.db,
                    want,
                    now=context.now,
                    tz=context.tz,
                    text=context.text,
                    overlap_style=context.soon_style,
                )
            except Exception:  # only a head start: the real load will say what is wrong
                return
            if not worker.is_cancelled:
                self.app.call_from_thread(self._keep_ahead, want, found)

    def _keep_ahead(self, want: Want, found: tuple[ViewRows, str]) -> None:
        if len(self._ahead) >= AHEAD_KEPT:
            self._ahead.pop(next(iter(self._ahead)))  # the oldest
        self._ahead[want] = found

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        want = self._want
        assert want is not None
        return load_view(
            context.db,
            want,
            now=context.now,
            tz=context.tz,
            text=context.text,
            overlap_style=context.soon_style,
        )

    def present(self, rows: list[Row]) -> None:
        layout = getattr(rows, "layout", None)
        self._found = list(getattr(rows, "found", []))
        # the view's focus follows it (agenda, week, month), but a filter being typed keeps
        # it: moved to the list, the next letters were the calendar's keys (x, n, e, ...)
        had_focus = self.has_focus_within and not isinstance(self.screen.focused, FilterInput)
        grid = isinstance(layout, GridLayout)
        month = isinstance(layout, MonthLayout)
        self.set_class(grid, "-view-grid")
        self.set_class(month, "-view-month")
        select, self._select_day = self._select_day, None
        if isinstance(layout, GridLayout):
            follow, self._follow = self._follow, None
            self.week_grid.show(layout, select_day=select)
            if follow:
                self.week_grid.select_entry(follow)
        elif isinstance(layout, MonthLayout):
            self._follow = None
            self.month_grid.show(layout, select_day=select)
        else:
            follow = self._follow
            super().present(rows)
            keys = [row.key for row in rows]
            if select is not None and follow is None and f"day-{select.isoformat()}" in keys:
                self.table.move_cursor(row=keys.index(f"day-{select.isoformat()}"))
        if had_focus:
            self.focus_table()
        if grid or month:
            self.call_after_refresh(self._load_ahead)  # after this view is on the screen

    def focus_table(self) -> None:
        showing = self._showing()
        if showing == "grid":
            focus_at_once(self.week_grid)
        elif showing == "month":
            focus_at_once(self.month_grid)
        else:
            focus_at_once(self.table)

    # what is selected ----------------------------------------------------------------------
    def selected_item(self) -> Any:
        showing = self._showing()
        if showing == "grid":
            entry = self.week_grid.selected()
            return entry.item if entry is not None else None
        if showing == "month":
            return self.month_grid.selected_day()
        return super().selected_item()

    def selected_day(self) -> date | None:
        """The day under the cursor (a grid cell, a month day, an agenda row)."""
        showing = self._showing()
        if showing == "grid":
            return self.week_grid.selected_day()
        if showing == "month":
            return self.month_grid.selected_day()
        item = super().selected_item()
        if isinstance(item, Occurrence):
            day = local_day(item.start, self._tz)
            return max(day, self._period.first) if self._period else day
        if isinstance(item, Marker):
            return local_day(item.at, self._tz)
        if isinstance(item, date):
            return item
        return None

    def _selected_leader(self) -> tuple[str, ...]:
        """The leader a new event is planned for: the grid lane's, or the ``L`` filter's."""
        lane = self.week_grid.selected_lane() if self._showing() == "grid" else None
        if lane is None and self._chosen.leader is not None:
            lane = Lane(self._chosen.leader)
        if lane is None or not lane.leader:
            return ()
        return (leader_name_for(lane, self._found),)

    # an event's detail view offers its e and x keys: they act on the occurrence it shows
    DETAIL_ACTIONS = frozenset({"edit_event", "cancel_event"})

    def detail_target(self, item: object) -> Occurrence | None:
        """An event's occurrence (a marker is the Requests or the Board pane's to act on)."""
        return item if isinstance(item, Occurrence) else None

    def read_target(self, target: Occurrence) -> Occurrence:
        from deskterm.core.calendar import current_occurrence

        return current_occurrence(self._db, target)

    def _occurrence(self) -> Occurrence | None:
        if isinstance(self.acting_on, Occurrence):  # a detail view's key: its occurrence
            return self.acting_on
        item = self.selected_item()
        if isinstance(item, Occurrence):
            return item
        if isinstance(item, Marker):
            self.notify(
                "That is a marker (a request's deadline or a card's publish date): enter opens it.",
                severity="warning",
            )
            return None
        self.notify("Select an event first (j/k, and h/l in a grid).", severity="warning")
        return None

    def _entry_key(self, event_id: int, start: datetime) -> str:
        day = local_day(start, self._tz)
        if self._period is not None and self.view is View.AGENDA:
            day = max(day, self._period.first)
        return f"event-{event_id}-{start.isoformat()}-{day.isoformat()}"

    def _show_day(self, day: date) -> None:
        """Move the view so that ``day`` is in it (after planning something elsewhere)."""
        if self._period is not None and not self._period.contains(day):
            self._set_period(switch_view(self._period, self.view, around=day), follow=False)
        self._select_day = day

    # zoom and views -----------------------------------------------------------------------
    def _maximized_changed(self, maximized: object) -> None:
        zoomed = maximized is self
        if zoomed == self._zoomed:
            return
        self._zoomed = zoomed
        today = self._today()
        if zoomed:
            around = self.selected_day() or today
            view = self._zoom_view
            period = period_for(
                view, around, days=ZOOM_AGENDA_DAYS if view is View.AGENDA else None
            )
            self._set_period(period, follow=period.contains(today) and self._follow_today)
            self._select_day = around
        else:
            self._zoom_view = self.view
            self._set_period(period_for(View.AGENDA, today, days=PANE_DAYS), follow=True)
        self._navigate()

    def action_cycle_view(self) -> None:
        if not self._zoomed:
            self.screen.maximize(self, container=False)  # the watcher loads the zoomed view
            return
        assert self._period is not None
        around = self.selected_day() or self._period.anchor
        period = switch_view(self._period, next_view(self.view), around=around)
        self._set_period(period, follow=self._follow_today and period.contains(self._today()))
        self._select_day = around
        self._navigate()

    def action_period(self, direction: int) -> None:
        assert self._period is not None
        day = self.selected_day()
        self._set_period(step(self._period, direction), follow=False)
        if day is not None and self.view is not View.MONTH:
            length = 7 if self.view is View.WEEK else self._period.days
            self._select_day = day + timedelta(days=direction * length)
        self._navigate()

    def action_today(self) -> None:
        assert self._period is not None
        today = self._today()
        self._set_period(period_for(self.view, today, days=self._period.days), follow=True)
        self._select_day = today
        self._navigate()

    def action_open(self) -> None:
        """The details of an event or marker; on a day (a month cell, an empty slot of the
        week, a day's heading in the agenda) that day's view."""
        showing = self._showing()
        item = self.selected_item()
        if isinstance(item, Occurrence | Marker):
            self.post_message(self.Open(self, item))
            return
        day = self.selected_day()
        if day is None or (showing == "grid" and self.view is View.DAY):
            return
        if self._zoomed:
            self._open_day(day)
        else:  # the dashboard's agenda: zoom into that day
            self._zoom_view = View.DAY
            self.screen.maximize(self, container=False)

    def _open_day(self, day: date) -> None:
        self._set_period(period_for(View.DAY, day), follow=day == self._today())
        self._select_day = day
        self._navigate()

    @on(WeekGrid.Chosen)
    @on(MonthGrid.Chosen)
    def _chosen_cell(self, event: WeekGrid.Chosen | MonthGrid.Chosen) -> None:
        event.stop()
        self.action_open()

    # filters ------------------------------------------------------------------------------
    def action_toggle_markers(self) -> None:
        self._markers[self._zoomed] = not self.markers_shown
        self.notify(
            "markers shown: ◆ request deadlines, ◇ publish dates"
            if self.markers_shown
            else "markers hidden (m shows them)",
            timeout=3,
            markup=False,
        )
        self._navigate()

    def action_filter_leader_kind(self) -> None:
        from deskterm.screens.pickers import Choice, PickScreen

        choices = [Choice(value, label) for value, label in filter_choices(self.lanes)]

        def picked(value: str | None) -> None:
            if value is not None:
                self._chosen = Filter.decode(value)
                self._navigate()

        self.app.push_screen(
            PickScreen(
                "Show one leader's lane or one kind", choices, current=self._chosen.encode()
            ),
            picked,
        )

    def action_agenda_range(self) -> None:
        from deskterm.screens.pickers import PromptScreen

        screen = PromptScreen(
            "Agenda for a range",
            label="From and to: today to +30d, 2026-12-01..2026-12-31, mon, or a number of days",
            check=lambda text: parse_range(text, self._today()),
        )
        self.app.push_screen(screen, self._range_answered)

    def _range_answered(self, text: str | None) -> None:
        from deskterm.core.errors import InputError

        if text is None:
            return
        try:
            period = parse_range(text, self._today())  # the prompt checked it
        except InputError as error:  # past midnight since: "today" moved on
            self.notify(one_line(error, 200), severity="warning", markup=False)
            return
        if not self._zoomed:
            self._zoom_view = View.AGENDA
            self.screen.maximize(self, container=False)
        self._set_period(period, follow=False)
        self._navigate()

    # writing ------------------------------------------------------------------------------
    def action_new_event(self) -> None:
        from deskterm.core.calendar import create_event
        from deskterm.screens.event_form import NEW_EVENT_END, event_form, new_draft, zone_name

        day = self.selected_day() or self._today()
        leaders = self._selected_leader()
        initial = new_draft(day=day, zone=zone_name(self._tz), leaders=leaders)
        db = self._db

        def save(draft) -> EventRecord:  # type: ignore[no-untyped-def]
            return create_event(db, **draft.values())

        def saved(result: object) -> None:
            if isinstance(result, EventRecord):
                self._show_day(local_day(result.starts_at, self._tz))
                self._done(
                    f"planned: {one_line(result.title, 40)}, {stamp(result.starts_at, self._tz)}",
                    self._entry_key(result.id, result.starts_at),
                )

        heading = f"New event on {day:%a %d %b %Y}" + (f" for {leaders[0]}" if leaders else "")
        self.app.push_screen(
            event_form(
                heading=heading,
                initial=initial,
                now=self.app.clock,  # type: ignore[attr-defined]
                save=save,
                end_text=NEW_EVENT_END,
            ),
            saved,
        )

    def action_edit_event(self) -> None:
        occurrence = self._occurrence()
        if occurrence is not None:
            self._load_event(occurrence, self._edit_loaded)

    def action_cancel_event(self) -> None:
        occurrence = self._occurrence()
        if occurrence is None:
            return
        if occurrence.status is EventStatus.CANCELLED:
            self.notify("That one is already cancelled.", severity="warning")
            return
        self._load_event(occurrence, self._cancel_loaded)

    @work(thread=True, group="event")
    def _load_event(self, occurrence: Occurrence, then: Any) -> None:
        """The event as it is now: the series (whose version an edit or a cancel of any of
        its dates checks) and the row holding this occurrence (an override, if one)."""
        from db.errors import DatabaseError
        from deskterm.core.calendar import get_event
        from deskterm.core.errors import InputError

        try:
            series = get_event(self._db, occurrence.series_id or occurrence.event_id)
            here = series
            if occurrence.event_id != series.id:
                here = get_event(self._db, occurrence.event_id)
        except (DatabaseError, InputError) as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 200), severity="error", markup=False
            )
            return
        self.app.call_from_thread(then, occurrence, series, here)

    def _ask_scope(self, question: str, occurrence: Occurrence, then: Any) -> None:
        from deskterm.screens.pickers import Choice, PickScreen

        when = stamp(occurrence.start, self._tz)
        choices = [
            Choice("this", f"This one only ({when})"),
            Choice("following", "This one and the following ones"),
            Choice("all", "Every occurrence in the series"),
        ]
        self.app.push_screen(PickScreen(question, choices), then)

    def _edit_loaded(self, occurrence: Occurrence, series: EventRecord, here: EventRecord) -> None:
        title = one_line(here.title, 40)
        if series.rrule:
            self._ask_scope(
                f"Edit which of “{title}”?",
                occurrence,
                lambda scope: scope and self._open_editor(occurrence, series, here, scope),
            )
        else:
            self._open_editor(occurrence, series, here, None)

    def _open_editor(
        self, occurrence: Occurrence, series: EventRecord, here: EventRecord, scope: str | None
    ) -> None:
        """The editor, filled with this occurrence as it is (its own times, and for a
        series edit the series' repeat rule); only what is changed is saved, and a save
        another desk beat opens the conflict view."""
        from deskterm.screens.event_form import event_edit, event_form, event_target

        target = event_target(series, here, occurrence.start, scope)
        edit = event_edit(self._db, target, scope, now=self.app.clock)  # type: ignore[attr-defined]

        def saved(result: object) -> None:
            if isinstance(result, EventRecord):
                start = result.starts_at if scope in (None, "this") else occurrence.start
                self._show_day(local_day(start, self._tz))
                self._done(
                    f"saved: {one_line(result.title, 40)}", self._entry_key(result.id, start)
                )

        heading = {
            None: "Edit event",
            "this": f"Edit this occurrence ({stamp(occurrence.start, self._tz)})",
            "following": "Edit this and the following occurrences",
            "all": "Edit every occurrence of the series",
        }[scope]
        self.app.push_screen(
            event_form(
                heading=heading,
                initial=target.draft,
                now=self.app.clock,  # type: ignore[attr-defined]
                edit=edit,
                series_fields=scope != "this",
            ),
            saved,
        )

    def _cancel_loaded(
        self, occurrence: Occurrence, series: EventRecord, here: EventRecord
    ) -> None:
        from deskterm.core.calendar_edits import cancel_occurrence
        from deskterm.screens.pickers import Choice, PickScreen

        title = one_line(here.title, 40)
        db = self._db
        key = self._entry_key(occurrence.event_id, occurrence.start)

        def cancel(scope: str | None) -> None:
            if scope is None or scope == "keep":
                return
            self._do(
                f"cancelled: {title}",
                partial(
                    cancel_occurrence,
                    db,
                    occurrence.event_id,
                    occurrence.start,
                    scope,
                    series.version,
                ),
                follow=key,
            )

        if series.rrule:
            self._ask_scope(f"Cancel which of “{title}”?", occurrence, cancel)
            return
        when = stamp(occurrence.start, self._tz)
        self.app.push_screen(
            PickScreen(
                f"Cancel “{title}”?",
                [Choice("all", f"Yes, cancel it ({when})"), Choice("keep", "No, keep it")],
            ),
            cancel,
        )
