"""Deadline alerts for the desk: a request coming due within 30 minutes, a request going
overdue. Each is announced once per desk. A check yields at most one alert: several requests
at once (opening the desk in the morning) share one notification, a count and a short line
for each of the most urgent, so that a stack of toasts never hides the panes of a small
terminal. Pure Python: the app feeds it the open requests and shows the alerts as
notifications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.core.dates import format_countdown
from deskterm.core.request_records import DUE_SOON
from deskterm.core.text import one_line

if TYPE_CHECKING:
    from deskterm.core.requests import RequestRecord

MOST_LISTED = 3  # requests named in a shared alert; the rest are counted
#: ... in a terminal too small for the 2x2 desk, where a toast is half as wide as the screen
#: and each request's line wraps: three of them made the toast 11 of 24 rows
MOST_LISTED_NARROW = 1
SUBJECT_CHARS = 28  # of a subject in a shared alert: one line of a toast at 120 columns
ONE_SUBJECT_CHARS = 60  # of the subject when the alert is about one request


@dataclass(frozen=True)
class Alert:
    title: str
    text: str
    overdue: bool  # at least one of the requests is late


@dataclass
class DeadlineAlerts:
    _announced: set[tuple[int, str, str]] = field(default_factory=set)

    def check(
        self,
        requests: Iterable[RequestRecord],
        now: datetime,
        *,
        complete: bool = True,
        listed: int = MOST_LISTED,
    ) -> Alert | None:
        """What is new for these open requests at ``now`` (an edited deadline alerts again).

        ``complete=False``: ``requests`` is the most urgent part of a longer list, so the
        counts are lower bounds ("100+ overdue"). ``listed``: how many requests a shared
        alert names (the rest are counted).
        """
        requests = list(requests)
        soon: list[RequestRecord] = []
        late: list[RequestRecord] = []
        for request in requests:
            stage = _stage(request, now)
            if stage is None or not request.is_open():
                continue
            key = (request.id, stage, request.deadline_at.isoformat())  # type: ignore[union-attr]
            if key in self._announced:
                continue
            self._announced.add(key)
            (late if stage == "late" else soon).append(request)
        cut = _stage(requests[-1], now) if requests and not complete else None
        return _alert(late, soon, now, cut, listed)


def _stage(request: RequestRecord, now: datetime) -> str | None:
    """The request's stage: "late", "soon" (due within ``DUE_SOON``) or None (neither)."""
    if request.deadline_at is None or request.deadline_at - now > DUE_SOON:
        return None
    return "late" if request.deadline_at <= now else "soon"


def _alert(
    late: list[RequestRecord],
    soon: list[RequestRecord],
    now: datetime,
    cut: str | None,
    listed: int,
) -> Alert | None:
    """Nothing, one request's own alert, or one shared alert for several. ``cut``: the stage
    in which the list of requests was cut off (that count is a lower bound)."""
    if not late and not soon:
        return None
    if len(late) + len(soon) == 1 and cut is None:
        (request,) = late or soon
        return Alert(
            "Overdue" if late else "Due soon",
            f"{_line(request, now, bool(late), ONE_SUBJECT_CHARS)}"
            + (f" ({request.assignee})" if request.assignee else " (unassigned)"),
            bool(late),
        )
    counts = []
    if late:
        counts.append(f"‼ {len(late)}{'+' if cut == 'late' else ''} overdue")
    if soon:
        counts.append(f"! {len(soon)}{'+' if cut == 'soon' else ''} due within 30 minutes")
    urgent = [(r, True) for r in late] + [(r, False) for r in soon]
    lines = [" · ".join(counts)]
    lines += [_line(r, now, overdue, SUBJECT_CHARS) for r, overdue in urgent[:listed]]
    if len(urgent) > listed:
        more = f"{len(urgent) - listed}{'+' if cut else ''}"
        lines.append(f"and {more} more: see Requests (2)")
    elif cut:
        lines.append("and more: see Requests (2)")
    return Alert("Deadlines", "\n".join(lines), bool(late))


def _line(request: RequestRecord, now: datetime, overdue: bool, subject_chars: int) -> str:
    """``‼ M-2026-0003 45m late: Oversight board subpoenas…``"""
    mark = "‼" if overdue else "!"
    countdown = format_countdown(request.deadline_at, now)  # type: ignore[arg-type]
    return f"{mark} {request.number} {countdown}: {one_line(request.subject, subject_chars)}"
