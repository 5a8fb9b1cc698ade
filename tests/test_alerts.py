"""Deadline alerts: once each, soon then overdue, several at once in one alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from db.enums import Priority, RequestChannel, RequestKind, RequestStatus
from deskterm.alerts import SUBJECT_CHARS, Alert, DeadlineAlerts
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
    assert first == Alert("Due soon", "! M-2026-0001 due in 20m: Subject 1 [x] (JL)", False)
    assert alerts.check([r], NOW + timedelta(minutes=5)) is None  # not again
    late = alerts.check([r], NOW + timedelta(minutes=25))
    assert late is not None and late.overdue and late.title == "Overdue"
    assert late.text.startswith("‼ M-2026-0001 5m late")
    assert alerts.check([r], NOW + timedelta(minutes=40)) is None


def test_far_off_closed_and_undated_requests_are_quiet():
    alerts = DeadlineAlerts()
    quiet = [request(1, 90), request(2, None), request(3, -5, RequestStatus.CLOSED)]
    assert alerts.check(quiet, NOW) is None


def test_a_moved_deadline_alerts_again():
    alerts = DeadlineAlerts()
    r = request(1, 10)
    assert alerts.check([r], NOW)
    moved = replace(r, deadline_at=NOW + timedelta(minutes=25))
    assert alerts.check([moved], NOW)


def test_several_at_once_share_one_alert_late_ones_first():
    """Opening the desk in the morning: one notification, not a stack that hides the panes."""
    alerts = DeadlineAlerts()
    due = [request(1, 20), request(2, -10), request(3, 5)]
    alert = alerts.check(due, NOW)
    assert alert == Alert(
        "Deadlines",
        "‼ 1 overdue · ! 2 due within 30 minutes\n"
        "‼ M-2026-0002 10m late: Subject 2 [x]\n"
        "! M-2026-0001 due in 20m: Subject 1 [x]\n"
        "! M-2026-0003 due in 5m: Subject 3 [x]",
        True,
    )
    assert alerts.check(due, NOW) is None


def test_many_at_once_name_the_first_few_and_count_the_rest():
    alerts = DeadlineAlerts()
    late = [replace(request(n, -10 * n), subject="A very long subject " * 5) for n in range(1, 6)]
    alert = alerts.check(late, NOW)
    assert alert is not None and alert.title == "Deadlines" and alert.overdue
    lines = alert.text.splitlines()
    assert lines[0] == "‼ 5 overdue"
    assert [line.split(":")[0] for line in lines[1:4]] == [
        "‼ M-2026-0001 10m late",
        "‼ M-2026-0002 20m late",
        "‼ M-2026-0003 30m late",
    ]
    assert all(
        line.endswith("…") and len(line.split(": ", 1)[1]) == SUBJECT_CHARS for line in lines[1:4]
    )
    assert lines[4] == "and 2 more: see Requests (2)"


def test_a_list_cut_off_among_late_requests_counts_at_least():
    """The desk reads the 100 most urgent open requests: when all of them are late, there
    may be more, and the alert does not pretend to know how many."""
    alerts = DeadlineAlerts()
    late = [request(n, -100 + n) for n in range(1, 6)]
    alert = alerts.check(late, NOW, complete=False)
    assert alert is not None
    assert alert.text.splitlines()[0] == "‼ 5+ overdue"
    assert alert.text.splitlines()[-1] == "and 2+ more: see Requests (2)"
    # cut off among far deadlines: nothing urgent was left out, the counts are exact
    mixed = [request(10, -5), request(11, 10), request(12, 120)]
    alert = DeadlineAlerts().check(mixed, NOW, complete=False)
    assert alert is not None
    assert alert.text.splitlines()[0] == "‼ 1 overdue · ! 1 due within 30 minutes"
    # one late request, and the list cut among late ones: not "the" overdue request
    alert = DeadlineAlerts().check([request(20, -5)], NOW, complete=False)
    assert alert is not None and alert.title == "Deadlines"
    assert alert.text.splitlines() == [
        "‼ 1+ overdue",
        "‼ M-2026-0020 5m late: Subject 20 [x]",
        "and more: see Requests (2)",
    ]


def test_a_small_screen_names_fewer_and_counts_the_rest():
    due = [request(1, 20), request(2, -10), request(3, 5)]
    alert = DeadlineAlerts().check(due, NOW, listed=1)
    assert alert is not None
    assert alert.text.splitlines() == [
        "‼ 1 overdue · ! 2 due within 30 minutes",
        "‼ M-2026-0002 10m late: Subject 2 [x]",
        "and 2 more: see Requests (2)",
    ]
