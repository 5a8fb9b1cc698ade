"""Where the key leaders appear: public appearances by kind, clashes, recurring media slots.

The key leaders are the config's ``leaders`` (``Settings.leaders``; defaults Mayor, Deputy
Mayor, City Manager); an event names its leaders in ``Event.leaders``. Names are compared
ignoring case and spacing.

Definitions (each pinned by tests/core/test_appearances.py):

- A **public appearance** is an occurrence of one of ``APPEARANCE_KINDS`` that is public
  and neither cancelled nor postponed (tentative ones count: they are on the schedule).
- Two occurrences **overlap** (a clash) as ``deskterm.core.overlaps`` defines it:
  ``leader_overlaps`` and ``MARKER_KINDS`` live there (the agenda marks overlaps without
  SQLAlchemy) and are re-exported here.
- A **media slot** is a series (``rrule``) of one of ``MEDIA_SLOT_KINDS`` naming the
  leader; the halves of a series split by "this and following" are one slot (the same
  root uid). Its **last** appearance is the latest held date before ``now`` and its
  **next** the first held date from ``now`` on, looked for up to ``SLOT_HORIZON`` either
  side of ``now`` (and across the report's range). A date is *held* when it is on the
  calendar, not cancelled or postponed, and still names the leader.
- A slot date is **missed** when the series had it (its rule or RDATE gave it), it is in
  the report's range and before ``now``, and it did not happen as scheduled for the
  leader: ``"cancelled"`` (a cancelled override), ``"skipped"`` (an EXDATE), or
  ``"leader absent"`` (an override that no longer names the leader). A date moved to
  another time is held, not missed; postponed dates are neither; a series cancelled as a
  whole has ended (no next date) and its dates are not reported as missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select

from db.engine import Database
from db.enums import EventKind, EventStatus
from db.models import Event
from deskterm.core.calendar import (
    LOOKBACK,
    Occurrence,
    all_occurrences,
    fold_leader,
    iter_chunks,
    names_leader,
    occurrence_of,
    parse_exdates,
    root_uid,
    scheduled,
    unindexed,
)
from deskterm.core.errors import InputError
from deskterm.core.fields import aware, line_text, split_list
from deskterm.core.overlaps import MARKER_KINDS as MARKER_KINDS
from deskterm.core.overlaps import leader_overlaps as leader_overlaps

APPEARANCE_KINDS: frozenset[EventKind] = frozenset(
    {
        EventKind.PRESS_CONFERENCE,
        EventKind.PUBLIC_APPEARANCE,
        EventKind.INTERVIEW,
        EventKind.TV,
        EventKind.RADIO,
        EventKind.COUNCIL_MEETING,
        EventKind.COMMUNITY_EVENT,
    }
)
MEDIA_SLOT_KINDS: frozenset[EventKind] = frozenset(
    {EventKind.TV, EventKind.RADIO, EventKind.INTERVIEW, EventKind.PRESS_CONFERENCE}
)
SLOT_HORIZON = timedelta(days=400)
_NOT_HELD = (EventStatus.CANCELLED, EventStatus.POSTPONED)

MissedReason = Literal["cancelled", "skipped", "leader absent"]


@dataclass(frozen=True)
class MissedSlot:
    scheduled: datetime  # the start the series gave the date (UTC)
    reason: MissedReason


@dataclass(frozen=True)
class MediaSlot:
    """One recurring media slot of the leader (see the module docstring)."""

    series_ids: tuple[int, ...]  # oldest first; more than one after a split
    title: str  # of the newest series
    kind: EventKind
    rrule: str | None
    timezone: str
    status: EventStatus
    last: Occurrence | None
    next: Occurrence | None
    held: int  # dates held in the range before now
    upcoming: int  # dates held in the range from now on
    missed: tuple[MissedSlot, ...]

    @property
    def warning(self) -> str | None:
        """One line when a date was missed, else None."""
        if not self.missed:
            return None
        count = len(self.missed)
        return f"{self.title}: {count} missed date{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class AppearanceReport:
    leader: str
    start: datetime
    end: datetime
    now: datetime
    appearances: tuple[Occurrence, ...]  # public appearances, by start
    by_kind: dict[EventKind, int]  # appearances per kind (kinds with none left out)
    clashes: tuple[Occurrence, ...]  # the leader's occurrences that overlap another
    slots: tuple[MediaSlot, ...]
    truncated: bool  # the range held more occurrences than were read

    @property
    def total(self) -> int:
        return len(self.appearances)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(slot.warning for slot in self.slots if slot.warning)


# --- the report -----------------------------------------------------------------------------


def appearance_report(
    db: Database,
    leader: str,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> AppearanceReport:
    """The leader's public appearances in ``[start, end)`` by kind, the clashes, and each
    recurring media slot with its last and next date and the dates missed."""
    name = line_text(leader, field="leader", max_length=200, required=True)
    start = aware(start, field="start")
    end = aware(end, field="end")
    if end <= start:
        raise InputError("the range ends before it starts", field="end")
    now = aware(now, field="now") if now is not None else datetime.now(UTC)
    found, truncated = all_occurrences(db, start, end, leader=name)
    appearances = tuple(
        occ
        for occ in found
        if occ.kind in APPEARANCE_KINDS and occ.public and occ.status not in _NOT_HELD
    )
    by_kind: dict[EventKind, int] = {}
    for occ in appearances:
        by_kind[occ.kind] = by_kind.get(occ.kind, 0) + 1
    clashing = leader_overlaps(found)
    return AppearanceReport(
        leader=name,
        start=start,
        end=end,
        now=now,
        appearances=appearances,
        by_kind=dict(sorted(by_kind.items(), key=lambda item: (-item[1], item[0].value))),
        clashes=tuple(occ for occ in found if occ.key in clashing),
        slots=tuple(media_slots(db, name, start, end, now=now)),
        truncated=truncated,
    )


def appearance_reports(
    db: Database,
    leaders: Iterable[str],
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
) -> list[AppearanceReport]:
    """One report per key leader (e.g. ``Settings.leaders``)."""
    return [appearance_report(db, leader, start, end, now=now) for leader in leaders]


@dataclass
class _Date:
    scheduled: datetime
    occurrence: Occurrence | None  # None when skipped
    fate: Literal["held", "cancelled", "skipped", "leader absent", "not held"]


def media_slots(
    db: Database, leader: str, start: datetime, end: datetime, *, now: datetime
) -> list[MediaSlot]:
    """The leader's recurring media slots (see the module docstring), by title."""
    wanted = fold_leader(leader)
    low = min(start, now - SLOT_HORIZON)
    high = max(end, now + SLOT_HORIZON)
    with db.read() as session:
        rows = [
            row
            for row in session.scalars(
                select(Event).where(
                    (Event.parent_id + 0).is_(None),
                    Event.rrule.is_not(None),
                    Event.kind.in_(sorted(MEDIA_SLOT_KINDS)),
                    func.lower(Event.leaders).contains(wanted, autoescape=True),
                    unindexed(Event.starts_at) < high,
                )
            )
            if names_leader(split_list(row.leaders), wanted)
        ]
        overrides: dict[int, dict[datetime, Event]] = {}
        for chunk in iter_chunks([row.id for row in rows]):
            query = select(Event).where(
                Event.parent_id.in_(chunk),
                Event.recurrence_id >= low - LOOKBACK,
                Event.recurrence_id < high,
            )
            for child in session.scalars(query):
                if child.parent_id is not None and child.recurrence_id is not None:
                    overrides.setdefault(child.parent_id, {})[child.recurrence_id] = child
        families: dict[str, list[Event]] = {}
        for row in rows:
            families.setdefault(root_uid(row.uid), []).append(row)
        slots = [
            _slot(members, overrides, wanted, start, end, now, low, high)
            for members in families.values()
        ]
    return sorted(slots, key=lambda slot: (slot.title.casefold(), slot.series_ids))


def _slot(
    members: list[Event],
    overrides: dict[int, dict[datetime, Event]],
    leader: str,
    start: datetime,
    end: datetime,
    now: datetime,
    low: datetime,
    high: datetime,
) -> MediaSlot:
    members = sorted(members, key=lambda row: (row.starts_at, row.id))
    dates: list[_Date] = []
    ended = True
    for row in members:
        if row.status != EventStatus.CANCELLED:
            ended = False
        dates += _dates(row, overrides.get(row.id, {}), leader, low, high)
    newest = members[-1]
    held = [d for d in dates if d.fate == "held" and d.occurrence is not None]
    past = [d.occurrence for d in held if d.occurrence and d.occurrence.start < now]
    future = [d.occurrence for d in held if d.occurrence and d.occurrence.start >= now]
    in_range = [d for d in held if d.occurrence and start <= d.occurrence.start < end]
    missed = tuple(
        MissedSlot(d.scheduled, d.fate)  # type: ignore[arg-type]
        for d in sorted(dates, key=lambda d: d.scheduled)
        if d.fate in ("cancelled", "skipped", "leader absent")
        and start <= d.scheduled < end
        and d.scheduled < now
    )
    return MediaSlot(
        series_ids=tuple(row.id for row in members),
        title=newest.title,
        kind=newest.kind,
        rrule=newest.rrule,
        timezone=newest.timezone,
        status=newest.status,
        last=max(past, key=lambda o: o.start) if past else None,
        next=None if ended or not future else min(future, key=lambda o: o.start),
        held=sum(1 for d in in_range if d.occurrence and d.occurrence.start < now),
        upcoming=sum(1 for d in in_range if d.occurrence and d.occurrence.start >= now),
        missed=missed,
    )


def _dates(
    row: Event,
    overrides: dict[datetime, Event],
    leader: str,
    low: datetime,
    high: datetime,
) -> list[_Date]:
    """Every date the series gives in ``[low, high)`` and what became of it."""
    if row.status == EventStatus.CANCELLED:
        return []  # ended as a whole: nothing held, nothing missed
    skipped = set(parse_exdates(row.exdates))
    out: list[_Date] = []
    seen: set[datetime] = set()
    for when, until in scheduled(row, low, high, limit=5000):
        seen.add(when)
        if when in skipped:
            out.append(_Date(when, None, "skipped"))
        elif when in overrides:
            out.append(_changed(overrides[when], row, leader))
        else:
            occ = occurrence_of(
                row, when, until, recurring=True, series_id=row.id, original_start=when
            )
            out.append(_Date(when, occ, "held" if row.status not in _NOT_HELD else "not held"))
    for when, child in overrides.items():  # dates the series no longer gives: kept as moved
        if when not in seen and low <= child.starts_at < high:
            out.append(_changed(child, row, leader))
    return out


def _changed(child: Event, row: Event, leader: str) -> _Date:
    occ = occurrence_of(
        child,
        child.starts_at,
        child.ends_at,
        recurring=True,
        series_id=row.id,
        original_start=child.recurrence_id,
    )
    when = child.recurrence_id or child.starts_at
    if child.status == EventStatus.CANCELLED:
        return _Date(when, occ, "cancelled")
    if not names_leader(occ.leaders, leader):
        return _Date(when, occ, "leader absent")
    if child.status == EventStatus.POSTPONED:
        return _Date(when, occ, "not held")
    return _Date(when, occ, "held")
