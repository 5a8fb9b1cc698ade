"""Where a leader is booked twice: the overlaps the calendar marks with ``⚠``.

Two occurrences **overlap** when they share a leader and their times intersect:
``[start, end)`` each, an occurrence without an end being the instant ``start`` (it overlaps
what runs at that instant, and another instant at the same time). Cancelled occurrences
never overlap; nor do ``MARKER_KINDS`` (a deadline, an embargo lift, a scheduled post:
moments, not time a leader spends). All-day events overlap only other all-day events: a
whole-day entry ("in Albany") next to timed ones is the usual way to write a day, not a
clash. (Pinned by tests/core/test_appearances.py; ``deskterm.core.appearances`` builds
the report around it.)

Pure and without SQLAlchemy: the dashboard's agenda marks its overlaps on the desk's first
paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from db.enums import EventKind, EventStatus
from deskterm.core.occurrences import Occurrence, fold_leader

MARKER_KINDS: frozenset[EventKind] = frozenset(
    {EventKind.DEADLINE, EventKind.EMBARGO_LIFT, EventKind.SCHEDULED_POST}
)


def leader_overlaps(occurrences: Sequence[Occurrence]) -> frozenset[tuple[int, datetime]]:
    """The (event_id, start) of every occurrence that overlaps another one sharing a
    leader (the rules are in the module docstring)."""
    by_leader: dict[str, list[Occurrence]] = {}
    counted = [
        occ
        for occ in occurrences
        if occ.status != EventStatus.CANCELLED and occ.kind not in MARKER_KINDS
    ]
    person = _people({fold_leader(leader) for occ in counted for leader in occ.leaders})
    for occ in counted:
        for name in {person[fold_leader(leader)] for leader in occ.leaders}:
            if name:
                by_leader.setdefault(name, []).append(occ)
    found: set[tuple[int, datetime]] = set()
    for items in by_leader.values():
        found |= _clashes([occ for occ in items if not occ.all_day])
        found |= _clashes([occ for occ in items if occ.all_day])
    return frozenset(found)


def _clashes(items: list[Occurrence]) -> set[tuple[int, datetime]]:
    """A sweep by start: each occurrence meets those still running when it starts."""
    found: set[tuple[int, datetime]] = set()
    running: list[tuple[datetime, datetime, tuple[int, datetime]]] = []  # (start, end, key)
    for start, end, key in sorted((o.start, _end(o), (o.event_id, o.start)) for o in items):
        running = [r for r in running if r[1] > start or r[0] == start]
        for other in running:
            if other[2] != key:
                found.add(other[2])
                found.add(key)
        running.append((start, end, key))
    return found


def _end(occ: Occurrence) -> datetime:
    return occ.end if occ.end is not None and occ.end > occ.start else occ.start


def _people(names: set[str]) -> dict[str, str]:
    """Each folded name -> the person it stands for: a title and the titled name
    ("mayor" and "mayor elena castellanos") are one person (see ``names_leader``)."""
    return {
        name: min((t for t in names if name.startswith(t + " ")), key=len, default=name)
        for name in names
    }
