"""Deadline alerts for the desk: a request coming due within 30 minutes, a request going
overdue. Each is announced once per desk; many at once (opening the desk in the morning)
become one summary line. Pure Python: the app feeds it the open requests and shows the
messages as notifications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskterm.core.dates import format_countdown
from deskterm.core.requests import RequestRecord
from deskterm.core.text import one_line

SOON = timedelta(minutes=30)
MOST_ONE_BY_ONE = 3


@dataclass(frozen=True)
class Alert:
    text: str
    overdue: bool


@dataclass
class DeadlineAlerts:
    _announced: set[tuple[int, str, str]] = field(default_factory=set)

    def check(self, requests: Iterable[RequestRecord], now: datetime) -> list[Alert]:
        """New alerts for these open requests at ``now`` (an edited deadline alerts again)."""
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
        return [*self._alerts(late, now, overdue=True), *self._alerts(soon, now, overdue=False)]

    def _alerts(
        self, requests: list[RequestRecord], now: datetime, *, overdue: bool
    ) -> list[Alert]:
        if not requests:
            return []
        if len(requests) > MOST_ONE_BY_ONE:
            what = "overdue" if overdue else "due within 30 minutes"
            return [Alert(f"‼ {len(requests)} requests {what} (see Requests, 2)", overdue)]
        mark = "‼" if overdue else "!"
        return [
            Alert(
                f"{mark} {r.number} {format_countdown(r.deadline_at, now)}: "  # type: ignore[arg-type]
                f"{one_line(r.subject, 60)}"
                + (f" ({r.assignee})" if r.assignee else " (unassigned)"),
                overdue,
            )
            for r in requests
        ]
