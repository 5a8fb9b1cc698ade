"""The calendar driven from the keyboard: zoomed views, navigation, planning, editing a
series with a scope, cancelling, filters, markers and overlap marks (Textual Pilot)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from db.enums import EventStatus
from db.models import Event
from deskterm.app import DeskApp
from deskterm.core import calendar, requests
from deskterm.core.calendar import Occurrence
from deskterm.core.calendar_markers import Marker
from deskterm.core.calendar_views import MARKERS, View
from deskterm.screens.detail import DetailScreen
from deskterm.screens.form import FormScreen
from deskterm.screens.pickers import PickScreen, PromptScreen
from deskterm.widgets.calendar_pane import CalendarPane
from tests.tui.conftest import FIXED_NOW, HOSTILE_TITLE, settle
from tests.tui.test_desk import wait_loaded

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 11, 24)  # FIXED_NOW is Tuesday 24 Nov 2026, 10:00 in New York


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def pane_of(app) -> CalendarPane:
    return app.screen.query_one(CalendarPane)


def loaded(pane: CalendarPane, view: View, first: date | None = None) -> bool:
    """The pane shows ``view`` (of the period starting ``first``) from a finished load."""
    period = pane.period
    if period is None or period.view is not view or (first and period.first != first):
        return False
    want = pane._want
    if want is None or want.period != period or pane._summary == "":
        return False
    if view in (View.DAY, View.WEEK):
        shown = pane.week_grid.layout_shown
        return pane.has_class("-view-grid") and shown is not None and shown.period == period
    if view is View.MONTH:
        shown = pane.month_grid.layout_shown
        return pane.has_class("-view-month") and shown is not None and shown.period == period
    return not pane.has_class("-view-grid") and not pane.has_class("-view-month")


async def zoom_calendar(pilot, app) -> CalendarPane:
    await wait_loaded(pilot, app)
    await pilot.press("4", "z")
    pane = pane_of(app)
    await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))
    return pane


def shown_text(widget) -> str:
    """What a Static shows, as plain text (a detail view's fields are a rich Table)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def grid_lines(pane: CalendarPane) -> list[str]:
    grid = pane.week_grid
    return [grid.render_line(y).text for y in range(grid.size.height)]


def band(pane: CalendarPane, title: str):
    layout = pane.week_grid.layout_shown
    return next(b for b in layout.bands if b.title == title)


async def select_in_grid(pilot, pane: CalendarPane, title_start: str) -> None:
    grid = pane.week_grid
    for line, (band_index, row) in enumerate(grid._grid_lines):
        if band_index < 0:
            continue
        for day, cell in enumerate(grid.layout_shown.bands[band_index].cells):
            if row < len(cell) and cell[row].title.startswith(title_start):
                grid._move(day, line)
                await pilot.pause()
                return
    raise AssertionError(f"{title_start!r} is not on the grid")


def weekly_briefing(db, **extra) -> calendar.EventRecord:
    """Mondays 09:00-09:30 for the Mayor, from 2 November."""
    values = {
        "title": "Monday briefing",
        "kind": "internal_meeting",
        "starts_at": ny(2026, 11, 2, 9, 0),
        "ends_at": ny(2026, 11, 2, 9, 30),
        "timezone": "America/New_York",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "leaders": ["Mayor"],
        **extra,
    }
    return calendar.create_event(db, **values)


def titles_on(db, day: date) -> list[tuple[str, EventStatus]]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=NY)
    found = calendar.occurrences(db, start, start + timedelta(days=1))
    return [(o.title, o.status) for o in found]


# --- views and navigation --------------------------------------------------------------------


async def test_zoom_shows_the_week_grid_and_v_cycles_the_views(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_loaded(pilot, app)
        # the agenda the desk opens on mounts neither grid (the first paint's widgets)
        assert not pane_of(app).query("WeekGrid, MonthGrid")
        pane = await zoom_calendar(pilot, app)
        assert app.screen.maximized is pane
        assert "Week 48" in str(pane.border_title)
        titles = [b.title for b in pane.week_grid.layout_shown.bands]
        assert titles == ["Mayor", "Deputy Mayor", "City Manager", "Others", MARKERS]
        mayor = band(pane, "Mayor")
        assert [e.title for e in mayor.cells[1]] == ["Mayor's press conference"]
        assert pane.week_grid.has_focus
        header = grid_lines(pane)[0]
        assert "Mon 23" in header and "Tue 24" in header and "today" in header

        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.MONTH))
        assert "November 2026" in str(pane.border_title)
        assert pane.month_grid.selected_day() == TODAY
        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.AGENDA, TODAY))
        assert pane.period.days == 14
        texts = [" ".join(c.plain for c in r.cells) for r in pane.table.rows_shown]
        assert any("Mayor's press conference" in t for t in texts)
        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.DAY, TODAY))
        assert pane.week_grid.layout_shown.bands[0].title == "Mayor"
        assert len(pane.week_grid.layout_shown.days) == 1
        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))

        await pilot.press("z")  # back on the dashboard: today's agenda again
        await settle(pilot, lambda: not pane.zoomed and loaded(pane, View.AGENDA, TODAY))
        assert "in the next 7 days" in str(pane.border_title)


async def test_brackets_step_the_period_and_t_comes_back_to_today(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        assert pane.week_grid.selected_day() == TODAY
        await pilot.press("]")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 30)))
        assert "Week 49" in str(pane.border_title)
        assert pane.week_grid.selected_day() == date(2026, 12, 1)  # the same weekday
        await pilot.press("[", "[")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 16)))
        await pilot.press("l", "l")
        await pilot.press("t")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))
        assert pane.week_grid.selected_day() == TODAY

        await pilot.press("v")  # the month steps by months
        await settle(pilot, lambda: loaded(pane, View.MONTH))
        await pilot.press("]")
        await settle(pilot, lambda: loaded(pane, View.MONTH, date(2026, 11, 30)))
        assert "December 2026" in str(pane.border_title)
        await pilot.press("t")
        await settle(pilot, lambda: loaded(pane, View.MONTH, date(2026, 10, 26)))

        await pilot.press("z")  # the dashboard's agenda steps too
        await settle(pilot, lambda: loaded(pane, View.AGENDA, TODAY))
        await pilot.press("]")
        await settle(pilot, lambda: loaded(pane, View.AGENDA, date(2026, 12, 2)))
        await pilot.press("t")
        await settle(pilot, lambda: loaded(pane, View.AGENDA, TODAY))


async def test_enter_opens_details_and_a_month_day(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await select_in_grid(pilot, pane, "Mayor's press conference")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(
            pilot, lambda: "City Hall steps" in shown_text(app.screen.query_one("#fields"))
        )
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen.query_one(CalendarPane) is pane)

        deadline = next(e for e in band(pane, MARKERS).cells[1] if isinstance(e.item, Marker))
        await select_in_grid(pilot, pane, deadline.title)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        assert "budget shortfall" in app.screen._what  # the first deadline: the overdue one
        # the request's keys work there too, on that request (the Requests pane acts)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"seen on the calendar", "enter")
        overdue = next(r for r in requests.list_open_requests(desk_db) if "budget" in r.subject)
        await settle(pilot, lambda: requests.list_notes(desk_db, overdue.id))
        assert requests.list_notes(desk_db, overdue.id)[0].body == "seen on the calendar"
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("escape")

        await settle(pilot, lambda: app.screen.query_one(CalendarPane) is pane)
        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.MONTH))
        await pilot.press("j", "h")  # a week later, a day earlier: Monday 30 November
        await pilot.press("enter")
        await settle(pilot, lambda: loaded(pane, View.DAY, date(2026, 11, 30)))


# --- planning and editing -------------------------------------------------------------------


async def test_planning_an_appearance_with_the_keyboard_lands_in_the_database(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        assert pane.week_grid.selected_lane().name == "Mayor"
        await pilot.press("l", "l")  # Thursday, in the Mayor's lane
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        assert form.query_one("#start").value == "2026-11-26 09:00"
        assert form.query_one("#leaders").value == "Mayor"
        await pilot.press(*"Visit to the food bank")
        form.query_one("#end").value = "+90m"
        form.query_one("#location").value = "Harbor Food Bank"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        saved = [o for o in titles_on(desk_db, date(2026, 11, 26)) if o[0].startswith("Visit")]
        assert saved == [("Visit to the food bank", EventStatus.CONFIRMED)]
        found = calendar.occurrences(desk_db, ny(2026, 11, 26, 0), ny(2026, 11, 27, 0))
        visit = next(o for o in found if o.title.startswith("Visit"))
        assert (visit.start, visit.end) == (ny(2026, 11, 26, 9), ny(2026, 11, 26, 10, 30))
        assert visit.leaders == ("Mayor",)
        await settle(
            pilot,
            lambda: (
                pane.week_grid.selected() is not None
                and pane.week_grid.selected().title == "Visit to the food bank"
            ),
        )


async def test_a_form_error_shows_at_its_field_and_keeps_what_was_typed(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await zoom_calendar(pilot, app)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        await pilot.press(*"Ribbon cutting")
        form.query_one("#start").value = "the day after never"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "never" in str(form.query_one("#start-error").render()))
        assert form.query_one("#title").value == "Ribbon cutting"
        form.query_one("#start").value = "fri 11:00"
        form.query_one("#zone").value = "Mars/Olympus"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Mars/Olympus" in str(form.query_one("#zone-error").render()))
        form.query_one("#zone").value = "America/New_York"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        assert ("Ribbon cutting", EventStatus.CONFIRMED) in titles_on(desk_db, date(2026, 11, 27))


async def test_editing_a_one_off_event_saves_only_what_changed(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await select_in_grid(pilot, pane, "Mayor's press conference")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        assert "repeat" in [f.name for f in form._fields]
        form.query_one("#title").value = "Mayor's press conference (moved inside)"
        form.query_one("#location").value = "City Hall Rotunda"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        found = calendar.occurrences(desk_db, ny(2026, 11, 24, 0), ny(2026, 11, 25, 0))
        moved = next(o for o in found if "moved inside" in o.title)
        assert moved.location == "City Hall Rotunda"
        assert moved.start == FIXED_NOW + timedelta(hours=2)  # the time was not touched


async def test_editing_one_date_of_a_series_asks_the_scope(desk_app, desk_db):
    weekly_briefing(desk_db)
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await select_in_grid(pilot, pane, "Monday briefing")
        assert pane.week_grid.selected_day() == date(2026, 11, 23)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        assert [c.value for c in app.screen._choices] == ["this", "following", "all"]
        await pilot.press("enter")  # this one only
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        assert "repeat" not in [f.name for f in form._fields]
        assert form.query_one("#start").value == "2026-11-23 09:00"
        form.query_one("#title").value = "Monday briefing (budget special)"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        assert titles_on(desk_db, date(2026, 11, 23)) == [
            ("Monday briefing (budget special)", EventStatus.CONFIRMED)
        ]
        assert titles_on(desk_db, date(2026, 11, 30)) == [
            ("Monday briefing", EventStatus.CONFIRMED)
        ]
        assert titles_on(desk_db, date(2026, 11, 16)) == [
            ("Monday briefing", EventStatus.CONFIRMED)
        ]

        await pilot.press("]")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 30)))
        await select_in_grid(pilot, pane, "Monday briefing")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("j", "enter")  # this and the following ones
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        assert form.query_one("#repeat").value == "FREQ=WEEKLY;BYDAY=MO"
        form.query_one("#start").value = "2026-11-30 08:30"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        later = calendar.occurrences(desk_db, ny(2026, 12, 7, 0), ny(2026, 12, 8, 0))
        assert [(o.title, o.start) for o in later] == [("Monday briefing", ny(2026, 12, 7, 8, 30))]
        before = calendar.occurrences(desk_db, ny(2026, 11, 16, 0), ny(2026, 11, 17, 0))
        assert [o.start for o in before] == [ny(2026, 11, 16, 9)]


async def test_x_cancels_a_one_off_after_asking_and_a_series_date_with_a_scope(desk_app, desk_db):
    weekly_briefing(desk_db)
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await select_in_grid(pilot, pane, "Mayor's press conference")
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("j", "enter")  # "No, keep it"
        await settle(pilot, lambda: not isinstance(app.screen, PickScreen))
        assert ("Mayor's press conference", EventStatus.CONFIRMED) in titles_on(desk_db, TODAY)
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # yes
        await settle(
            pilot,
            lambda: (
                ("Mayor's press conference", EventStatus.CANCELLED) in titles_on(desk_db, TODAY)
            ),
        )
        await settle(pilot, lambda: any("✕" in line for line in grid_lines(pane)))

        await select_in_grid(pilot, pane, "Monday briefing")
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # this one only
        await settle(
            pilot,
            lambda: (
                titles_on(desk_db, date(2026, 11, 23))
                == [("Monday briefing", EventStatus.CANCELLED)]
            ),
        )
        assert titles_on(desk_db, date(2026, 11, 30)) == [
            ("Monday briefing", EventStatus.CONFIRMED)
        ]
        await pilot.press("x")  # already cancelled: said, nothing asked
        await settle(pilot, lambda: any("already" in str(n.message) for n in app._notifications))
        assert not isinstance(app.screen, PickScreen)


async def test_an_events_detail_view_cancels_and_edits_the_occurrence_it_shows(desk_app, desk_db):
    weekly_briefing(desk_db)
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await select_in_grid(pilot, pane, "Monday briefing")  # Monday 23 November
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        view = app.screen
        assert {"e", "x"} <= {binding.key for binding in view.BINDINGS}
        await settle(pilot, lambda: "FREQ=WEEKLY" in shown_text(view.query_one("#fields")))
        await pilot.press("t")  # the pane's cursor moves away; the view's keys do not follow it

        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        assert [c.value for c in app.screen._choices] == ["this", "following", "all"]
        await pilot.press("enter")  # this one only
        await settle(
            pilot,
            lambda: (
                titles_on(desk_db, date(2026, 11, 23))
                == [("Monday briefing", EventStatus.CANCELLED)]
            ),
        )
        later = titles_on(desk_db, date(2026, 11, 30))
        assert later == [("Monday briefing", EventStatus.CONFIRMED)]
        await settle(pilot, lambda: app.screen is view)
        await settle(pilot, lambda: "cancelled" in shown_text(view.query_one("#fields")))
        # an override's view still says which series it belongs to
        assert "FREQ=WEEKLY;BYDAY=MO (this date changed)" in shown_text(view.query_one("#fields"))
        await pilot.press("x")  # the view knows it is cancelled now: said, nothing asked
        await settle(pilot, lambda: any("already" in str(n.message) for n in app._notifications))
        assert app.screen is view

        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # this one only
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        assert form.query_one("#title").value == "Monday briefing"
        assert form.query_one("#start").value == "2026-11-23 09:00"
        form.query_one("#start").value = "2026-11-23 11:15"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is view)
        moved = calendar.occurrences(desk_db, ny(2026, 11, 23, 0), ny(2026, 11, 24, 0))
        assert [o.start for o in moved] == [ny(2026, 11, 23, 11, 15)]
        # the view follows the date it shows to its new time
        await settle(pilot, lambda: "11:15" in shown_text(view.query_one("#fields")))


# --- filters, markers, marks ----------------------------------------------------------------


async def test_L_filters_by_leader_or_kind(desk_app, desk_db):
    calendar.create_event(
        desk_db,
        title="Deputy Mayor at the library",
        kind="public_appearance",
        starts_at=ny(2026, 11, 25, 11),
        ends_at=ny(2026, 11, 25, 12),
        timezone="America/New_York",
        leaders=["Deputy Mayor Marcus Bell"],
    )
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        for _ in range(values.index("leader:Deputy Mayor")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: (
                [b.title for b in pane.week_grid.layout_shown.bands] == ["Deputy Mayor", MARKERS]
            ),
        )
        assert "leader: Deputy Mayor" in str(pane.border_title)
        assert [e.title for e in band(pane, "Deputy Mayor").cells[2]] == [
            "Deputy Mayor at the library"
        ]

        await pilot.press("n")  # planning while filtered: for that leader
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        assert app.screen.query_one("#leaders").value == "Deputy Mayor Marcus Bell"
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))

        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        for _ in range(values.index("kind:press_conference") - values.index("leader:Deputy Mayor")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: "kind: press conference" in str(pane.border_title))
        shown = [
            e.title for b in pane.week_grid.layout_shown.bands[:-1] for c in b.cells for e in c
        ]
        assert shown == ["Mayor's press conference"]

        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        app.screen.query_one("OptionList").highlighted = 0
        await pilot.press("enter")  # no filter
        await settle(pilot, lambda: len(pane.week_grid.layout_shown.bands) == 5)


async def test_m_toggles_the_markers(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app)
        assert not pane.markers_shown  # the dashboard's agenda: events only until m
        assert not any(isinstance(r.item, Marker) for r in pane.table.rows_shown)
        await pilot.press("4", "m")
        await settle(pilot, lambda: any(isinstance(r.item, Marker) for r in pane.table.rows_shown))
        texts = [" ".join(c.plain for c in r.cells) for r in pane.table.rows_shown]
        assert any("◆ deadline:" in t and "Pothole on Elm Street" in t for t in texts)
        await pilot.press("z")  # zoomed views show them from the start
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))
        tuesday = band(pane, MARKERS).cells[1]
        assert {e.marks for e in tuesday} == {"◆"}  # the two requests' deadlines
        assert any("◆" in line for line in grid_lines(pane))
        await pilot.press("m")
        await settle(
            pilot, lambda: MARKERS not in [b.title for b in pane.week_grid.layout_shown.bands]
        )
        assert not any("◆" in line for line in grid_lines(pane))
        assert not pane.markers_shown
        await pilot.press("m")
        await settle(pilot, lambda: MARKERS in [b.title for b in pane.week_grid.layout_shown.bands])


async def test_an_overlapping_appearance_is_flagged_with_a_mark(desk_app, desk_db):
    calendar.create_event(
        desk_db,
        title="Radio interview",
        kind="radio",
        starts_at=FIXED_NOW + timedelta(hours=2, minutes=30),
        ends_at=FIXED_NOW + timedelta(hours=3, minutes=30),
        timezone="America/New_York",
        leaders=["Mayor"],
    )
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app)
        texts = [" ".join(c.plain for c in r.cells) for r in pane.table.rows_shown]
        assert any("⚠ Radio interview" in t and "overlap" in t for t in texts)
        assert any("⚠ Mayor's press conference" in t for t in texts)
        assert "⚠ 2 overlapping" in str(pane.border_title)
        await pilot.press("4", "z")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))
        flagged = [e for e in band(pane, "Mayor").cells[1] if e.overlap]
        assert {e.title for e in flagged} == {"Radio interview", "Mayor's press conference"}
        assert sum(line.count("⚠") for line in grid_lines(pane)) == 2


async def test_an_untrusted_title_is_shown_literally(desk_app, desk_db):
    record = calendar.create_event(
        desk_db,
        title="[bold]Budget[/bold] vote",
        kind="community_event",
        starts_at=ny(2026, 11, 24, 18),
        ends_at=ny(2026, 11, 24, 19),
        timezone="America/New_York",
        leaders=["Mayor"],
        location="[red]Hall[/red]",
    )
    with desk_db.transaction() as session:  # as another program (an import) may store it
        session.get(Event, record.id).title = HOSTILE_TITLE
    app = desk_app()
    async with app.run_test(size=(200, 50)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await pilot.press("v", "v", "v")  # the day grid: wide enough for the whole title
        await settle(pilot, lambda: loaded(pane, View.DAY, TODAY))
        text = "\n".join(grid_lines(pane))
        assert "[bold]Budget[/bold] vote \\x1b[31mtonight [link=http://x]click[/link]" in text
        assert "[red]Hall[/red]" in text
        assert "\x1b" not in text
        await pilot.press("v")
        await settle(pilot, lambda: loaded(pane, View.WEEK))
        await pilot.press("z")
        await settle(pilot, lambda: loaded(pane, View.AGENDA, TODAY))
        cells = [c.plain for r in pane.table.rows_shown for c in r.cells]
        assert any(c.startswith("[bold]Budget[/bold] vote \\x1b[31m") for c in cells)


async def test_r_shows_an_agenda_for_a_typed_range_and_keeps_a_bad_one(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"someday..later", "enter")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, PromptScreen)
                and "someday" in str(app.screen.query_one(".error").render())
            ),
        )
        prompt = app.screen
        assert prompt.query_one("Input").value == "someday..later"
        prompt.query_one("Input").value = "2026-12-01..2026-12-10"
        await pilot.press("enter")
        await settle(pilot, lambda: loaded(pane, View.AGENDA, date(2026, 12, 1)))
        assert pane.period.days == 10
        assert "10 days" in str(pane.border_title)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_week_grid_fits_small_and_large_terminals(desk_app, size):
    app = desk_app()
    async with app.run_test(size=size) as pilot:
        pane = await zoom_calendar(pilot, app)
        lines = grid_lines(pane)
        assert all(len(line) <= pane.week_grid.size.width for line in lines)
        assert "Mayor" in lines[1]
        assert sum(1 for line in lines if "┼" in line) >= 1
        item = pane.selected_item()
        assert item is None or isinstance(item, Occurrence | Marker)


async def test_neighbouring_weeks_load_ahead_and_a_change_drops_them(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await zoom_calendar(pilot, app)
        await settle(pilot, lambda: len(pane._ahead) == 2)
        assert {want.period.first for want in pane._ahead} == {
            date(2026, 11, 16),
            date(2026, 11, 30),
        }
        calendar.create_event(  # another desk plans something next week
            desk_db,
            title="Harbor cleanup",
            kind="community_event",
            starts_at=ny(2026, 12, 1, 10),
            ends_at=ny(2026, 12, 1, 12),
            timezone="America/New_York",
            leaders=["Mayor"],
        )
        before = pane.week_grid.layout_shown
        app.post_message(DeskApp.Changed(frozenset({"events"})))  # what the live loop sends
        await settle(pilot, lambda: pane.week_grid.layout_shown is not before)
        await pilot.press("]")
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 30)))
        assert [e.title for e in band(pane, "Mayor").cells[1]] == ["Harbor cleanup"]


async def test_enter_on_a_day_opens_that_days_view(desk_app):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app)
        await pilot.press("4")
        keys = [row.key for row in pane.table.rows_shown]
        pane.table.move_cursor(row=keys.index("day-2026-11-24"))  # "Today Tue 24 Nov"
        await pilot.press("enter")
        await settle(pilot, lambda: pane.zoomed and loaded(pane, View.DAY, TODAY))
        await pilot.press("v")  # day -> week
        await settle(pilot, lambda: loaded(pane, View.WEEK, date(2026, 11, 23)))
        await pilot.press("l", "l")  # Thursday: nothing planned for the Mayor
        assert pane.week_grid.selected() is None
        await pilot.press("enter")
        await settle(pilot, lambda: loaded(pane, View.DAY, date(2026, 11, 26)))


async def test_the_event_forms_long_labels_wrap_whole_at_80x24(desk_app):
    from textual.widgets import Label

    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("4", "n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        for label in app.screen.query(Label):
            text = str(label.render())
            shown = " ".join(label.render_line(y).text for y in range(label.size.height))
            assert shown.split() == text.split(), f"cut: {text!r} shows as {shown!r}"
        ends = next(lbl for lbl in app.screen.query(Label) if str(lbl.render()).startswith("Ends"))
        assert ends.size.height == 2  # wrapped, not cut


async def test_the_filter_keeps_the_focus_while_the_agenda_reloads_under_it(desk_app):
    """A pause mid-word lets the filtered agenda load; the next letters are still filter
    text, not the calendar's keys (x cancels an event, [ moves to the previous days)."""
    from deskterm.widgets.pane import FilterInput

    app = desk_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("4", "slash", "b")
        await pilot.pause(0.6)  # past the filter's debounce: the agenda reloads
        assert isinstance(app.screen.focused, FilterInput)
        await pilot.press("x", "left_square_bracket")
        await pilot.pause(0.6)
        field = app.screen.focused
        assert isinstance(field, FilterInput) and field.value == "bx["
        assert not isinstance(app.screen, PromptScreen)
