"""The calendar's views without a terminal: periods, navigation, lanes and layouts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import EventKind, EventStatus
from deskterm.core.calendar import Occurrence
from deskterm.core.calendar_markers import Marker, MarkerKind
from deskterm.core.calendar_views import (
    CONTINUED,
    MARKERS,
    OTHERS,
    Filter,
    Lane,
    View,
    agenda,
    agenda_range,
    filter_choices,
    grid_layout,
    keep,
    lane_index,
    lanes_for,
    lanes_of,
    leader_name_for,
    month_layout,
    next_view,
    occurrence_days,
    parse_range,
    period_for,
    step,
    switch_view,
    today_period,
)
from deskterm.core.errors import InputError

NY = ZoneInfo("America/New_York")
TUESDAY = date(2026, 11, 24)
LANES = lanes_for(["Mayor", "Deputy Mayor", "City Manager"])


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def occ(
    event_id: int,
    start: datetime,
    end: datetime | None = None,
    *,
    leaders: tuple[str, ...] = (),
    title: str = "Event",
    kind: EventKind = EventKind.PUBLIC_APPEARANCE,
    status: EventStatus = EventStatus.CONFIRMED,
    all_day: bool = False,
) -> Occurrence:
    return Occurrence(
        event_id=event_id,
        title=title,
        kind=kind,
        status=status,
        start=start,
        end=end,
        all_day=all_day,
        location="City Hall",
        leaders=leaders,
        timezone="America/New_York",
        recurring=False,
        public=True,
    )


# --- periods and navigation -------------------------------------------------------------------


def test_a_week_runs_monday_to_sunday_around_the_anchor():
    week = period_for(View.WEEK, TUESDAY)
    assert (week.first, week.last, week.days) == (date(2026, 11, 23), date(2026, 11, 29), 7)
    assert week.label() == "Week 48 · Mon 23 - Sun 29 Nov 2026"


def test_a_month_covers_whole_weeks():
    month = period_for(View.MONTH, TUESDAY)
    assert month.first == date(2026, 10, 26)  # the Monday before 1 November
    assert month.last == date(2026, 12, 6)  # the Sunday after 30 November
    assert month.days % 7 == 0
    assert month.label() == "November 2026"


def test_steps_move_by_the_views_length():
    week = period_for(View.WEEK, TUESDAY)
    assert step(week, 1).first == date(2026, 11, 30)
    assert step(week, -1).first == date(2026, 11, 16)
    assert step(period_for(View.DAY, TUESDAY), 1).first == date(2026, 11, 25)
    agenda_10 = period_for(View.AGENDA, TUESDAY, days=10)
    assert step(agenda_10, 1).first == date(2026, 12, 4)
    assert step(agenda_10, 1).days == 10
    month = period_for(View.MONTH, date(2027, 1, 31))
    assert step(month, 1).label() == "February 2027"
    assert step(month, -1).label() == "December 2026"
    with pytest.raises(ValueError):
        step(week, 2)


def test_today_comes_back_keeping_the_view_and_length():
    far = step(step(period_for(View.AGENDA, TUESDAY, days=5), 1), 1)
    back = today_period(far, TUESDAY)
    assert (back.view, back.first, back.days) == (View.AGENDA, TUESDAY, 5)


def test_v_cycles_the_zoomed_views_and_switching_keeps_the_day():
    seen = [View.WEEK]
    for _ in range(4):
        seen.append(next_view(seen[-1]))
    assert seen == [View.WEEK, View.MONTH, View.AGENDA, View.DAY, View.WEEK]
    day = switch_view(period_for(View.WEEK, TUESDAY), View.DAY, around=date(2026, 11, 27))
    assert (day.view, day.first) == (View.DAY, date(2026, 11, 27))
    assert switch_view(day, View.AGENDA).days == 14


def test_period_bounds_are_local_midnights_across_a_dst_change():
    week = period_for(View.WEEK, date(2026, 11, 1))  # DST ends Sunday 1 Nov in New York
    start, end = week.bounds(NY)
    assert start == ny(2026, 10, 26, 0, 0)
    assert end == ny(2026, 11, 2, 0, 0)
    assert end - start == timedelta(days=7, hours=1)


def test_agenda_ranges_are_checked_and_typed_ranges_read():
    assert agenda_range(TUESDAY, TUESDAY).days == 1
    with pytest.raises(InputError, match="ends before"):
        agenda_range(TUESDAY, TUESDAY - timedelta(days=1))
    with pytest.raises(InputError, match="at most 366"):
        agenda_range(TUESDAY, TUESDAY + timedelta(days=400))
    typed = parse_range("today to +30d", TUESDAY)
    assert (typed.first, typed.days) == (TUESDAY, 31)
    assert parse_range("2026-12-01..2026-12-31", TUESDAY).days == 31
    assert parse_range("10", TUESDAY).days == 10
    assert parse_range("mon", TUESDAY).first == date(2026, 11, 30)
    with pytest.raises(InputError) as error:
        parse_range("someday", TUESDAY)
    assert error.value.field == "range"
    with pytest.raises(InputError):
        parse_range("0", TUESDAY)


# --- lanes and filters ------------------------------------------------------------------------


def test_lanes_follow_the_config_then_others():
    lanes = lanes_for([" Mayor ", "mayor", "Deputy  Mayor", "", "others"])
    assert [lane.name for lane in lanes] == ["Mayor", "Deputy Mayor", OTHERS]
    assert lanes[-1].leader is False


def test_a_leader_belongs_to_the_longest_lane_it_starts_with():
    assert LANES[lane_index("Mayor Elena Castellanos", LANES)].name == "Mayor"
    assert LANES[lane_index("Deputy Mayor Marcus Bell", LANES)].name == "Deputy Mayor"
    assert LANES[lane_index("deputy mayor", LANES)].name == "Deputy Mayor"
    assert lane_index("Mayoral candidate", LANES) is None
    assert lane_index("Police Chief", LANES) is None


def test_an_occurrence_shows_in_each_of_its_leaders_lanes_or_others():
    both = occ(1, ny(2026, 11, 24, 9), leaders=("Mayor E. C.", "Deputy Mayor M. B."))
    nobody = occ(2, ny(2026, 11, 24, 9), leaders=("Police Chief",))
    assert [LANES[i].name for i in lanes_of(both, LANES)] == ["Mayor", "Deputy Mayor"]
    assert [LANES[i].name for i in lanes_of(nobody, LANES)] == [OTHERS]


def test_filters_by_leader_kind_and_text():
    mayor_tv = occ(1, ny(2026, 11, 24, 9), leaders=("Mayor Elena",), kind=EventKind.TV)
    deputy = occ(2, ny(2026, 11, 24, 9), leaders=("Deputy Mayor",), title="Ribbon cutting")
    found = [mayor_tv, deputy]
    assert keep(found, Filter(leader="Mayor"), LANES) == [mayor_tv]
    assert keep(found, Filter(kind=EventKind.TV), LANES) == [mayor_tv]
    assert keep(found, Filter(), LANES, "ribbon") == [deputy]
    assert keep(found, Filter(leader="Others"), LANES) == []
    assert Filter.decode(Filter(leader="Mayor").encode()) == Filter(leader="Mayor")
    assert Filter.decode(Filter(kind=EventKind.TV).encode()) == Filter(kind=EventKind.TV)
    assert Filter.decode("") == Filter()
    values = [value for value, _label in filter_choices(LANES)]
    assert values[:2] == ["", "leader:Mayor"] and "kind:tv" in values


def test_a_new_event_in_a_lane_takes_the_full_name_used_there():
    found = [
        occ(1, ny(2026, 11, 24, 9), leaders=("Mayor Elena Castellanos",)),
        occ(2, ny(2026, 11, 25, 9), leaders=("Mayor Elena Castellanos", "Deputy Mayor Bell")),
    ]
    assert leader_name_for(LANES[0], found) == "Mayor Elena Castellanos"
    assert leader_name_for(LANES[2], found) == "City Manager"
    assert leader_name_for(Lane(OTHERS, leader=False), found) == ""


# --- placing occurrences -----------------------------------------------------------------------


def test_occurrence_days_use_the_desk_zone_and_an_exclusive_end():
    first, last = date(2026, 11, 23), date(2026, 11, 29)
    late = occ(1, ny(2026, 11, 24, 23), ny(2026, 11, 25, 1))
    assert occurrence_days(late, NY, first, last) == [date(2026, 11, 24), date(2026, 11, 25)]
    to_midnight = occ(2, ny(2026, 11, 24, 22), ny(2026, 11, 25, 0))
    assert occurrence_days(to_midnight, NY, first, last) == [date(2026, 11, 24)]
    long = occ(3, ny(2026, 11, 20, 0), ny(2026, 12, 2, 0), all_day=True)
    assert occurrence_days(long, NY, first, last) == [first + timedelta(days=i) for i in range(7)]
    assert occurrence_days(occ(4, ny(2026, 12, 1, 9)), NY, first, last) == []


def test_the_week_grid_places_entries_in_lanes_and_days():
    week = period_for(View.WEEK, TUESDAY)
    found = [
        occ(1, ny(2026, 11, 24, 13), ny(2026, 11, 24, 14), leaders=("Mayor Elena",), title="B"),
        occ(2, ny(2026, 11, 24, 9), ny(2026, 11, 24, 10), leaders=("Mayor Elena",), title="A"),
        occ(3, ny(2026, 11, 24, 9, 30), ny(2026, 11, 24, 11), leaders=("Mayor Elena",)),
        occ(4, ny(2026, 11, 26, 0), ny(2026, 11, 28, 0), all_day=True, title="Festival"),
        occ(5, ny(2026, 11, 27, 8), leaders=("Police Chief",), status=EventStatus.CANCELLED),
    ]
    overlaps = frozenset({(2, found[1].start), (3, found[2].start)})
    deadline = Marker(MarkerKind.DEADLINE, 7, "M-2026-0007 Budget", ny(2026, 11, 25, 17))
    layout = grid_layout(
        week, found, lanes=LANES, tz=NY, today=TUESDAY, overlaps=overlaps, markers=[deadline]
    )
    names = [band.title for band in layout.bands]
    assert names == ["Mayor", "Deputy Mayor", "City Manager", OTHERS, MARKERS]
    mayor_tuesday = layout.bands[0].cells[1]
    assert [e.item.event_id for e in mayor_tuesday] == [2, 3, 1]  # by time
    assert [e.time_label for e in mayor_tuesday] == ["09:00", "09:30", "13:00"]
    assert [e.overlap for e in mayor_tuesday] == [True, True, False]
    assert mayor_tuesday[0].marks == "⚠"
    assert layout.bands[0].height == 3
    others = layout.bands[3].cells
    assert [e.time_label for e in others[3]] == ["all day"]
    assert [e.time_label for e in others[4]] == [CONTINUED, "08:00"]
    assert others[4][1].marks == "✕" and others[4][1].cancelled
    assert layout.bands[4].cells[2][0].marks == "◆"
    assert (layout.count, layout.overlaps, layout.markers) == (5, 2, 1)


def test_the_leader_filter_keeps_one_lane_and_a_day_grid_has_one_column():
    found = [occ(1, ny(2026, 11, 24, 9), leaders=("Deputy Mayor",))]
    layout = grid_layout(
        period_for(View.DAY, TUESDAY),
        found,
        lanes=LANES,
        tz=NY,
        today=TUESDAY,
        only_lane="Deputy Mayor",
    )
    assert [band.title for band in layout.bands] == ["Deputy Mayor"]
    assert len(layout.bands[0].cells) == 1 and layout.days == [TUESDAY]


def test_the_month_counts_events_overlaps_and_markers_per_day():
    month = period_for(View.MONTH, TUESDAY)
    found = [
        occ(1, ny(2026, 11, 24, 9), ny(2026, 11, 24, 10), leaders=("Mayor",)),
        occ(2, ny(2026, 11, 24, 9), ny(2026, 11, 24, 10), leaders=("Mayor",)),
        occ(3, ny(2026, 11, 30, 0), ny(2026, 12, 2, 0), all_day=True),
    ]
    overlaps = frozenset({(1, found[0].start), (2, found[1].start)})
    publish = Marker(MarkerKind.PUBLISH, 4, "Release", ny(2026, 11, 24, 12))
    layout = month_layout(month, found, tz=NY, today=TUESDAY, overlaps=overlaps, markers=[publish])
    cells = {cell.day: cell for week in layout.weeks for cell in week}
    assert len(layout.weeks) == 6
    tuesday = cells[TUESDAY]
    assert (tuesday.count, tuesday.overlaps, tuesday.markers) == (2, 2, 1)
    assert cells[date(2026, 11, 30)].count == 1 and cells[date(2026, 12, 1)].count == 1
    assert cells[date(2026, 12, 1)].in_month is False
    assert (layout.count, layout.overlaps, layout.markers) == (3, 2, 1)


def test_the_agenda_lists_each_occurrence_once_with_markers_by_time():
    period = period_for(View.AGENDA, TUESDAY, days=3)
    found = [
        occ(1, ny(2026, 11, 23, 9), ny(2026, 11, 25, 9), title="Conference"),  # began before
        occ(2, ny(2026, 11, 24, 15), title="Briefing"),
    ]
    marker = Marker(MarkerKind.DEADLINE, 1, "M-1 Question", ny(2026, 11, 24, 11))
    days = agenda(period, found, tz=NY, markers=[marker])
    assert [d.day for d in days] == [TUESDAY]
    assert [e.title for e in days[0].entries] == ["Conference", "M-1 Question", "Briefing"]
    assert days[0].entries[0].time_label == CONTINUED
