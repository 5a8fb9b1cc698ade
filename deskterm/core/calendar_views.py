"""What the calendar's views show, computed without Textual: periods, lanes and layouts.

A view shows a *period* of whole days in the desk's zone: a day, a week (Monday first), a
month (the Monday-to-Sunday weeks that cover it) or an agenda of any number of days. ``[``
and ``]`` step a period by its own length, ``t`` brings it back to today.

The day and week views are grids with one *lane* per key leader (the config's ``leaders``)
and an "Others" lane for appearances without a key leader. A leader on an event belongs to
a lane when it is the lane's name or starts with it and a space ("Mayor Elena Castellanos"
is in the "Mayor" lane; "Deputy Mayor Marcus Bell" is in "Deputy Mayor", not "Mayor").
An event with two key leaders shows in both lanes; one that lasts several days shows on
each of them (``↳`` on the days after the first).

Everything here is pure: the widgets render these layouts, tests check them directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import NamedTuple

from db.enums import EventKind, EventStatus
from deskterm.core.calendar_markers import Marker, MarkerKind
from deskterm.core.dates import parse_date
from deskterm.core.errors import InputError
from deskterm.core.occurrences import Occurrence
from deskterm.core.recurrence import day_start


class View(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    AGENDA = "agenda"


ZOOM_CYCLE: tuple[View, ...] = (View.WEEK, View.MONTH, View.AGENDA, View.DAY)  # what `v` steps
PANE_DAYS = 8  # the dashboard's agenda: today and the next 7 days
ZOOM_AGENDA_DAYS = 14
MAX_AGENDA_DAYS = 366
OTHERS = "Others"
MARKERS = "Markers"

# Marks: meaning is never colour alone.
OVERLAP_MARK = "⚠"
CANCELLED_MARK = "✕"
TENTATIVE_MARK = "?"
POSTPONED_MARK = "»"
CONTINUED = "↳"
MARKER_MARKS = {MarkerKind.DEADLINE: "◆", MarkerKind.PUBLISH: "◇"}


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    view: View
    anchor: date  # the day navigation keeps (today, or where [ ] led)
    first: date  # the first day shown (and loaded)
    days: int  # how many days are shown (and loaded)

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The period as ``[start, end)`` in UTC: midnight of the first day to midnight after
        the last, in the desk's zone."""
        return day_start(self.first, tz), day_start(self.last + timedelta(days=1), tz)

    def label(self) -> str:
        if self.view is View.DAY:
            return f"{self.first:%a %d %b %Y}"
        if self.view is View.WEEK:
            return f"Week {self.first.isocalendar().week} · {_span(self.first, self.last)}"
        if self.view is View.MONTH:
            return f"{self.anchor:%B %Y}"
        return f"{self.days} days · {_span(self.first, self.last)}"


def _span(first: date, last: date) -> str:
    if first.year != last.year:
        return f"{first:%a %d %b %Y} - {last:%a %d %b %Y}"
    if first.month != last.month:
        return f"{first:%a %d %b} - {last:%a %d %b %Y}"
    return f"{first:%a %d} - {last:%a %d %b %Y}"


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_for(view: View, anchor: date, *, days: int | None = None) -> Period:
    """The period of ``view`` that holds ``anchor`` (an agenda starts on it, ``days`` long)."""
    if view is View.DAY:
        return Period(view, anchor, anchor, 1)
    if view is View.WEEK:
        return Period(view, anchor, monday(anchor), 7)
    if view is View.MONTH:
        first_of_month = anchor.replace(day=1)
        first = monday(first_of_month)
        last = monday(_next_month(first_of_month) - timedelta(days=1)) + timedelta(days=6)
        return Period(view, first_of_month, first, (last - first).days + 1)
    length = PANE_DAYS if days is None else days
    if not 1 <= length <= MAX_AGENDA_DAYS:
        raise InputError(f"an agenda shows 1 to {MAX_AGENDA_DAYS} days, not {length}", field="days")
    return Period(view, anchor, anchor, length)


def _next_month(first_of_month: date) -> date:
    return (first_of_month + timedelta(days=32)).replace(day=1)


def _previous_month(first_of_month: date) -> date:
    return (first_of_month - timedelta(days=1)).replace(day=1)


def step(period: Period, direction: int) -> Period:
    """The previous (``-1``) or next (``+1``) period of the same view and length."""
    if direction not in (-1, 1):
        raise ValueError("direction is -1 or +1")
    if period.view is View.MONTH:
        anchor = period.anchor.replace(day=1)
        moved = _next_month(anchor) if direction > 0 else _previous_month(anchor)
        return period_for(View.MONTH, moved)
    length = 7 if period.view is View.WEEK else period.days
    return period_for(
        period.view, period.anchor + timedelta(days=direction * length), days=period.days
    )


def today_period(period: Period, today: date) -> Period:
    """The same view (and agenda length) around today."""
    return period_for(period.view, today, days=period.days)


def switch_view(period: Period, view: View, *, around: date | None = None) -> Period:
    """``view`` around ``around`` (the day the cursor is on) or the period's anchor."""
    anchor = around or period.anchor
    days = period.days if view is period.view else None
    if view is View.AGENDA and days is None:
        days = ZOOM_AGENDA_DAYS
    return period_for(view, anchor, days=days)


def next_view(view: View) -> View:
    """The zoomed view after ``view`` in ``ZOOM_CYCLE``."""
    if view not in ZOOM_CYCLE:
        return ZOOM_CYCLE[0]
    return ZOOM_CYCLE[(ZOOM_CYCLE.index(view) + 1) % len(ZOOM_CYCLE)]


def agenda_range(first: date, last: date) -> Period:
    """An agenda from ``first`` through ``last`` (both shown)."""
    if last < first:
        raise InputError("the range ends before it starts", field="range")
    days = (last - first).days + 1
    if days > MAX_AGENDA_DAYS:
        raise InputError(
            f"an agenda shows at most {MAX_AGENDA_DAYS} days, not {days}", field="range"
        )
    return period_for(View.AGENDA, first, days=days)


RANGE_HINT = "e.g. 'today to +30d', '2026-12-01..2026-12-31', 'mon' (two weeks) or '10' (days)"


def parse_range(text: str, today: date) -> Period:
    """A typed agenda range: ``A to B`` or ``A..B`` (dates as ``parse_date`` reads them,
    both relative to today), one date (two weeks from it) or a number of days from today."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError(f"type a range, {RANGE_HINT}", field="range")
    if cleaned.isdigit():
        return period_for_days(today, int(cleaned))
    for separator in ("..", " to "):
        if separator in cleaned:
            first_text, _, last_text = cleaned.partition(separator)
            first = parse_date(first_text.strip(), today=today, field="range")
            last = parse_date(last_text.strip(), today=today, field="range")
            return agenda_range(first, last)
    first = parse_date(cleaned, today=today, field="range")
    return period_for(View.AGENDA, first, days=ZOOM_AGENDA_DAYS)


def period_for_days(first: date, days: int) -> Period:
    if not 1 <= days <= MAX_AGENDA_DAYS:
        raise InputError(f"an agenda shows 1 to {MAX_AGENDA_DAYS} days, not {days}", field="range")
    return period_for(View.AGENDA, first, days=days)


# --- lanes and filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lane:
    name: str
    leader: bool = True  # False: the "Others" lane


def _clean(name: str) -> str:
    return " ".join(str(name).split())


def lanes_for(leaders: Iterable[str]) -> tuple[Lane, ...]:
    """One lane per key leader (in the config's order, duplicates dropped), then Others."""
    seen: set[str] = set()
    out: list[Lane] = []
    for name in leaders:
        cleaned = _clean(name)
        if cleaned and cleaned.casefold() not in seen and cleaned.casefold() != OTHERS.casefold():
            seen.add(cleaned.casefold())
            out.append(Lane(cleaned))
    out.append(Lane(OTHERS, leader=False))
    return tuple(out)


def lane_index(leader: str, lanes: Sequence[Lane]) -> int | None:
    """The key-leader lane ``leader`` belongs to (longest matching name), or None."""
    folded = _clean(leader).casefold()
    best: int | None = None
    best_length = -1
    for index, lane in enumerate(lanes):
        if not lane.leader:
            continue
        key = lane.name.casefold()
        if (folded == key or folded.startswith(key + " ")) and len(key) > best_length:
            best, best_length = index, len(key)
    return best


def lanes_of(occurrence: Occurrence, lanes: Sequence[Lane]) -> list[int]:
    """Indexes of the lanes ``occurrence`` shows in (the Others lane when no key leader)."""
    found = sorted({i for name in occurrence.leaders if (i := lane_index(name, lanes)) is not None})
    if found:
        return found
    others = [i for i, lane in enumerate(lanes) if not lane.leader]
    return others[:1]


@dataclass(frozen=True)
class Filter:
    """``L``: one leader's lane, or one kind of event (or neither)."""

    leader: str | None = None
    kind: EventKind | None = None

    @property
    def active(self) -> bool:
        return self.leader is not None or self.kind is not None

    def label(self) -> str:
        if self.leader is not None:
            return f"leader: {self.leader}"
        if self.kind is not None:
            return f"kind: {self.kind.value.replace('_', ' ')}"
        return ""

    def matches(self, occurrence: Occurrence, lanes: Sequence[Lane]) -> bool:
        if self.kind is not None and occurrence.kind != self.kind:
            return False
        if self.leader is not None:
            wanted = [i for i, lane in enumerate(lanes) if lane.name == self.leader]
            if wanted:
                return wanted[0] in lanes_of(occurrence, lanes)
            return any(_clean(n).casefold() == self.leader.casefold() for n in occurrence.leaders)
        return True

    def encode(self) -> str:
        if self.leader is not None:
            return f"leader:{self.leader}"
        if self.kind is not None:
            return f"kind:{self.kind.value}"
        return ""

    @classmethod
    def decode(cls, value: str) -> Filter:
        what, _, name = value.partition(":")
        if what == "leader" and name:
            return cls(leader=name)
        if what == "kind" and name:
            return cls(kind=EventKind(name))
        return cls()


def filter_choices(lanes: Sequence[Lane]) -> list[tuple[str, str]]:
    """(value, label) pairs for the ``L`` picker: everything, each leader's lane, each kind."""
    out = [("", "Everyone, every kind (no filter)")]
    out += [(Filter(leader=lane.name).encode(), f"Leader: {lane.name}") for lane in lanes]
    out += [
        (Filter(kind=kind).encode(), f"Kind: {kind.value.replace('_', ' ')}") for kind in EventKind
    ]
    return out


def matches_text(needle: str, occurrence: Occurrence) -> bool:
    """The ``/`` filter: any case, in the title, location or a leader."""
    if not needle:
        return True
    folded = needle.casefold()
    return any(
        folded in value.casefold()
        for value in (occurrence.title, occurrence.location, *occurrence.leaders)
        if value
    )


def keep(
    occurrences: Iterable[Occurrence], chosen: Filter, lanes: Sequence[Lane], text: str = ""
) -> list[Occurrence]:
    return [o for o in occurrences if chosen.matches(o, lanes) and matches_text(text, o)]


def leader_name_for(lane: Lane, occurrences: Iterable[Occurrence]) -> str:
    """The name to put on a new event planned in ``lane``: the full name most used there in
    ``occurrences`` ("Mayor Elena Castellanos" for the "Mayor" lane), else the lane's name."""
    if not lane.leader:
        return ""
    names: Counter[str] = Counter()
    lanes = (lane,)
    for occurrence in occurrences:
        for name in occurrence.leaders:
            if lane_index(name, lanes) == 0:
                names[_clean(name)] += 1
    if not names:
        return lane.name
    return sorted(names.items(), key=lambda item: (-item[1], item[0]))[0][0]


# --- entries ------------------------------------------------------------------------------------


class Entry(NamedTuple):
    """One line of a view: an occurrence on one of its days, or a marker. (A named tuple:
    a week builds a thousand of these per load, and a tuple is the cheapest to build.)"""

    item: Occurrence | Marker
    day: date
    time_label: str  # "09:00", "all day", "↳" (continues from an earlier day)
    end_label: str  # "10:00" when it ends that day, else ""
    title: str  # as stored: the widgets make it safe to show
    overlap: bool = False
    status: str = ""  # the event's status; "" for a marker
    marker: MarkerKind | None = None
    leaders: tuple[str, ...] = ()
    location: str = ""

    @property
    def marks(self) -> str:
        """The entry's marks, e.g. ``⚠`` (the leader is double-booked) or ``✕`` (cancelled)."""
        if self.marker is not None:
            return MARKER_MARKS[self.marker]
        out = OVERLAP_MARK if self.overlap else ""
        if self.status == EventStatus.CANCELLED:
            out += CANCELLED_MARK
        elif self.status == EventStatus.TENTATIVE:
            out += TENTATIVE_MARK
        elif self.status == EventStatus.POSTPONED:
            out += POSTPONED_MARK
        return out

    @property
    def key(self) -> str:
        if isinstance(self.item, Marker):
            return f"marker-{self.item.kind.value}-{self.item.id}"
        return f"event-{self.item.event_id}-{self.item.start.isoformat()}-{self.day.isoformat()}"

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


def _clock(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def occurrence_days(occurrence: Occurrence, tz: tzinfo, first: date, last: date) -> list[date]:
    """The local days of ``[first, last]`` an occurrence is on (its end is exclusive)."""
    return [entry.day for entry in placed(occurrence, tz, first, last)]


def occurrence_entry(
    occurrence: Occurrence, day: date, tz: tzinfo, overlaps: frozenset[tuple[int, datetime]]
) -> Entry:
    """The occurrence's entry on ``day`` (one of its days)."""
    return placed(occurrence, tz, day, day, overlaps)[0]


def placed(
    occurrence: Occurrence,
    tz: tzinfo,
    first: date,
    last: date,
    overlaps: frozenset[tuple[int, datetime]] = frozenset(),
) -> list[Entry]:
    """An entry for each local day of ``[first, last]`` the occurrence is on.

    The local times are worked out once per occurrence (a week holds hundreds; converting
    zones per entry and per lane was most of the layout's cost)."""
    start = occurrence.start.astimezone(tz)
    start_day = start.date()
    end = None
    end_day = start_day
    if occurrence.end is not None and occurrence.end > occurrence.start:
        end = occurrence.end.astimezone(tz)
        end_day = (end - timedelta(microseconds=1)).date()
    low, high = max(start_day, first), min(end_day, last)
    if low > high:
        return []
    overlap = (occurrence.event_id, occurrence.start) in overlaps
    status = occurrence.status.value
    first_label = "all day" if occurrence.all_day else f"{start:%H:%M}"
    out = []
    day = low
    while day <= high:
        end_label = ""
        if end is not None and not occurrence.all_day and end.date() == day:
            end_label = f"{end:%H:%M}"
        out.append(
            Entry(
                item=occurrence,
                day=day,
                time_label=first_label if day == start_day else CONTINUED,
                end_label=end_label,
                title=occurrence.title,
                overlap=overlap,
                status=status,
                leaders=occurrence.leaders,
                location=occurrence.location,
            )
        )
        day += timedelta(days=1)
    return out


def marker_entry(marker: Marker, tz: tzinfo) -> Entry:
    return Entry(
        item=marker,
        day=local_day(marker.at, tz),
        time_label=_clock(marker.at, tz),
        end_label="",
        title=marker.label,
        marker=marker.kind,
    )


def _order(entry: Entry) -> tuple[int, datetime, str]:
    """All-day and continuing entries first, then events by time, then markers by time."""
    item = entry.item
    if isinstance(item, Marker):
        return (2, item.at, entry.title)
    continued = entry.time_label == CONTINUED
    return (0 if continued or item.all_day else 1, item.start, entry.title)


def _by_time(entry: Entry) -> tuple[int, datetime, str]:
    """The agenda's order: all-day and continuing first, then events and markers by time."""
    group, at, title = _order(entry)
    return (min(group, 1), at, title)


# --- the day and week grids ---------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A horizontal band of the grid: one lane (or the markers), one cell per day."""

    title: str
    cells: tuple[tuple[Entry, ...], ...]
    lane: Lane | None = None  # None: the markers band

    @property
    def height(self) -> int:
        return max(1, *(len(cell) for cell in self.cells)) if self.cells else 1


@dataclass(frozen=True)
class GridLayout:
    period: Period
    today: date
    bands: tuple[Band, ...]
    count: int  # occurrences shown (each once, however many lanes or days it is on)
    overlaps: int  # of those, how many are flagged as overlapping
    markers: int
    truncated: bool = False  # the load hit its limit: some occurrences are not shown

    @property
    def days(self) -> list[date]:
        return self.period.dates()


def grid_layout(
    period: Period,
    occurrences: Sequence[Occurrence],
    *,
    lanes: Sequence[Lane],
    tz: tzinfo,
    today: date,
    overlaps: frozenset[tuple[int, datetime]] = frozenset(),
    markers: Sequence[Marker] | None = None,
    only_lane: str | None = None,
    truncated: bool = False,
) -> GridLayout:
    """Occurrences placed in lanes and days (the day and week views). ``markers`` (when
    shown) get a band of their own below the lanes; ``only_lane`` keeps one lane (the ``L``
    filter)."""
    days = period.dates()
    first, last = period.first, period.last
    column = {day: i for i, day in enumerate(days)}
    cells: list[list[list[Entry]]] = [[[] for _ in days] for _ in lanes]
    lanes_by_leaders: dict[tuple[str, ...], list[int]] = {}
    shown = 0
    flagged = 0
    for occurrence in occurrences:
        entries = placed(occurrence, tz, first, last, overlaps)
        if not entries:
            continue
        shown += 1
        flagged += entries[0].overlap
        found = lanes_by_leaders.get(occurrence.leaders)
        if found is None:
            found = lanes_by_leaders[occurrence.leaders] = lanes_of(occurrence, lanes)
        for lane in found:
            for entry in entries:
                cells[lane][column[entry.day]].append(entry)
    bands: list[Band] = []
    for lane, lane_cells in zip(lanes, cells, strict=True):
        if only_lane is not None and lane.name != only_lane:
            continue
        bands.append(
            Band(lane.name, tuple(tuple(sorted(c, key=_order)) for c in lane_cells), lane=lane)
        )
    marker_count = 0
    if markers is not None:
        marker_cells: list[list[Entry]] = [[] for _ in days]
        for marker in markers:
            entry = marker_entry(marker, tz)
            if entry.day in column:
                marker_cells[column[entry.day]].append(entry)
                marker_count += 1
        bands.append(Band(MARKERS, tuple(tuple(sorted(c, key=_order)) for c in marker_cells)))
    return GridLayout(period, today, tuple(bands), shown, flagged, marker_count, truncated)


# --- the month overview -------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCell:
    day: date
    in_month: bool
    entries: tuple[Entry, ...] = ()  # events (and markers when shown), in time order

    @property
    def count(self) -> int:
        return sum(1 for e in self.entries if e.marker is None)

    @property
    def overlaps(self) -> int:
        return sum(1 for e in self.entries if e.overlap)

    @property
    def markers(self) -> int:
        return sum(1 for e in self.entries if e.marker is not None)


@dataclass(frozen=True)
class MonthLayout:
    period: Period
    today: date
    weeks: tuple[tuple[MonthCell, ...], ...]
    count: int
    overlaps: int
    markers: int
    truncated: bool = False


def month_layout(
    period: Period,
    occurrences: Sequence[Occurrence],
    *,
    tz: tzinfo,
    today: date,
    overlaps: frozenset[tuple[int, datetime]] = frozenset(),
    markers: Sequence[Marker] | None = None,
    truncated: bool = False,
) -> MonthLayout:
    """Each day of the month's weeks with its entries (an occurrence on each of its days)."""
    days = period.dates()
    first, last = period.first, period.last
    column = {day: i for i, day in enumerate(days)}
    per_day: list[list[Entry]] = [[] for _ in days]
    shown = flagged = 0
    for occurrence in occurrences:
        entries = placed(occurrence, tz, first, last, overlaps)
        if not entries:
            continue
        shown += 1
        flagged += entries[0].overlap
        for entry in entries:
            per_day[column[entry.day]].append(entry)
    marker_count = 0
    for marker in markers or ():
        entry = marker_entry(marker, tz)
        if entry.day in column:
            per_day[column[entry.day]].append(entry)
            marker_count += 1
    month = period.anchor.month
    cells = [
        MonthCell(day, day.month == month, tuple(sorted(entries, key=_order)))
        for day, entries in zip(days, per_day, strict=True)
    ]
    weeks = tuple(tuple(cells[i : i + 7]) for i in range(0, len(cells), 7))
    return MonthLayout(period, today, weeks, shown, flagged, marker_count, truncated)


# --- the agenda ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaDay:
    day: date
    entries: tuple[Entry, ...] = field(default_factory=tuple)


def agenda(
    period: Period,
    occurrences: Sequence[Occurrence],
    *,
    tz: tzinfo,
    overlaps: frozenset[tuple[int, datetime]] = frozenset(),
    markers: Sequence[Marker] | None = None,
) -> list[AgendaDay]:
    """Days that have something, each occurrence once (on its first day in the period)."""
    by_day: dict[date, list[Entry]] = {}
    for occurrence in occurrences:
        entries = placed(occurrence, tz, period.first, period.last, overlaps)
        if entries:
            by_day.setdefault(entries[0].day, []).append(entries[0])
    for marker in markers or ():
        entry = marker_entry(marker, tz)
        if period.contains(entry.day):
            by_day.setdefault(entry.day, []).append(entry)
    return [
        AgendaDay(day, tuple(sorted(entries, key=_by_time)))
        for day, entries in sorted(by_day.items())
    ]
