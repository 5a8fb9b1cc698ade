"""Deadline alerts: once each, soon then overdue, summarised when many."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from db.enums import Priority, RequestChannel, RequestKind, RequestStatus
from deskterm.alerts import DeadlineAlerts
from deskterm.core.requests import RequestRecord

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def request(number: int, minutes: int | None, status=RequestStatus.ASSIGNED) -> RequestRecord:
    fields = {name: None for name in RequestRecord.__dataclass_fields__}
    fields.update(
        id=number,
        number=f"M-2026-{number:04d}",
        kind=RequestKind.MEDIA,
        status=status,
        received_at=NOW - timedelta(hours=2),
        channel=RequestChannel.PHONE,
        requester="R",
        outlet="",
        subject=f"Subject {number} [x]",
        questions="",
        background="",
        deadline_at=None if minutes is None else NOW + timedelta(minutes=minutes),
        priority=Priority.NORMAL,
        assignee="JL",
        response_text="",
        language="en",
        version=1,
    )
    return RequestRecord(**fields)


def test_soon_then_overdue_each_announced_once():
    alerts = DeadlineAlerts()
    r = request(1, 20)
    first = alerts.check([r], NOW)
    assert [a.text for a in first] == ["! M-2026-0001 due in 20m: Subject 1 [x] (JL)"]
    assert alerts.check([r], NOW + timedelta(minutes=5)) == []  # not again
    late = alerts.check([r], NOW + timedelta(minutes=25))
    assert len(late) == 1 and late[0].overdue and late[0].text.startswith("‼ M-2026-0001 5m late")
    assert alerts.check([r], NOW + timedelta(minutes=40)) == []


def test_far_off_closed_and_undated_requests_are_quiet():
    alerts = DeadlineAlerts()
    quiet = [request(1, 90), request(2, None), request(3, -5, RequestStatus.CLOSED)]
    assert alerts.check(quiet, NOW) == []


def test_a_moved_deadline_alerts_again():
    alerts = DeadlineAlerts()
    r = request(1, 10)
    assert alerts.check([r], NOW)
    moved = replace(r, deadline_at=NOW + timedelta(minutes=25))
    assert alerts.check([moved], NOW)


def test_many_at_once_become_one_line():
    alerts = DeadlineAlerts()
    late = [request(n, -10 * n) for n in range(1, 6)]
    out = alerts.check(late, NOW)
    assert [a.text for a in out] == ["‼ 5 requests overdue (see Requests, 2)"]
