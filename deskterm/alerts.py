"""Deadline alerts for the desk: a request coming due within 30 minutes, a request going
overdue. Each is announced once per desk. A check yields at most one alert: several requests
at once (opening the desk in the morning) share one notification, a count and a short line
for each of the most urgent, so that a stack of toasts never hides the panes of a small
terminal. Pure Python: the app feeds it the open requests and shows the alerts as
notifications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskterm.core.dates import format_countdown
from deskterm.core.requests import RequestRecord
from deskterm.core.text import one_line

SOON = timedelta(minutes=30)
MOST_LISTED = 3  # requests named in a shared alert; the rest are counted
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

    def check(self, requests: Iterable[RequestRecord], now: datetime) -> Alert | None:
        """What is new for these open requests at ``now`` (an edited deadline alerts again)."""
        soon: list[RequestRecord] = []
        late: list[RequestRecord] = []
        for request in requests:
            if request.deadline_at is None or not request.is_open():
                continue
            stage = "late" if request.deadline_at <= now else "soon"
            if stage == "soon" and request.deadline_at - now > SOON:
                continue
            key = (request.id, stage, request.deadline_at.isoformat())
            if key in self._announced:
                continue
            self._announced.add(key)
            (late if stage == "late" else soon).append(request)
        return _alert(late, soon, now)


def _alert(late: list[RequestRecord], soon: list[RequestRecord], now: datetime) -> Alert | None:
    """Nothing, one request's own alert, or one shared alert for several."""
    if not late and not soon:
        return None
    if len(late) + len(soon) == 1:
        (request,) = late or soon
        return Alert(
            "Overdue" if late else "Due soon",
            f"{_line(request, now, bool(late), ONE_SUBJECT_CHARS)}"
            + (f" ({request.assignee})" if request.assignee else " (unassigned)"),
            bool(late),
        )
    counts = []
    if late:
        counts.append(f"‼ {len(late)} overdue")
    if soon:
        counts.append(f"! {len(soon)} due within 30 minutes")
    urgent = [(r, True) for r in late] + [(r, False) for r in soon]
    lines = [" · ".join(counts)]
    lines += [_line(r, now, overdue, SUBJECT_CHARS) for r, overdue in urgent[:MOST_LISTED]]
    if len(urgent) > MOST_LISTED:
        lines.append(f"and {len(urgent) - MOST_LISTED} more: see Requests (2)")
    return Alert("Deadlines", "\n".join(lines), bool(late))


def _line(request: RequestRecord, now: datetime, overdue: bool, subject_chars: int) -> str:
    """``‼ M-2026-0003 45m late: Oversight board subpoenas…``"""
    mark = "‼" if overdue else "!"
    countdown = format_countdown(request.deadline_at, now)  # type: ignore[arg-type]
    return f"{mark} {request.number} {countdown}: {one_line(request.subject, subject_chars)}"
