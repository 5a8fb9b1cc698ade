"""Calendar markers: open requests' deadlines and cards' publish dates in a range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskterm.core import requests, tasks
from deskterm.core.calendar_markers import MarkerKind, markers
from deskterm.core.errors import InputError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_deadlines_of_open_requests_and_publish_dates_in_time_order(db):
    soon = requests.create_request(
        db,
        kind="media",
        subject="Budget figures",
        requester="Rita",
        deadline=NOW + timedelta(hours=2),
        now=NOW,
    )
    later = requests.create_request(
        db,
        kind="constituent",
        subject="Pothole",
        requester="Sam",
        deadline=NOW + timedelta(days=2),
        now=NOW,
    )
    done = requests.create_request(
        db,
        kind="media",
        subject="Answered",
        requester="Ann",
        deadline=NOW + timedelta(hours=1),
        now=NOW,
    )
    requests.update_request(db, done.id, done.version, status="declined", now=NOW)
    requests.create_request(
        db,
        kind="media",
        subject="Next month",
        requester="Bo",
        deadline=NOW + timedelta(days=40),
        now=NOW,
    )
    card = tasks.create_task(db, title="Release", publish_at=NOW + timedelta(hours=3))
    shelved = tasks.create_task(db, title="Shelved", publish_at=NOW + timedelta(hours=4))
    tasks.move_task(db, shelved.id, shelved.version, "archived")
    tasks.create_task(db, title="No date")

    found = markers(db, NOW, NOW + timedelta(days=7))

    assert [(m.kind, m.id) for m in found] == [
        (MarkerKind.DEADLINE, soon.id),
        (MarkerKind.PUBLISH, card.id),
        (MarkerKind.DEADLINE, later.id),
    ]
    assert found[0].label == f"Budget figures ({soon.number})"  # the subject first
    assert found[0].at == NOW + timedelta(hours=2)
    assert found[1].label == "Release"


def test_the_range_is_half_open_and_limited(db):
    for hour in range(5):
        tasks.create_task(db, title=f"Post {hour}", publish_at=NOW + timedelta(hours=hour))
    found = markers(db, NOW, NOW + timedelta(hours=4), limit=3)
    assert [m.label for m in found] == ["Post 0", "Post 1", "Post 2"]
    assert [m.label for m in markers(db, NOW + timedelta(hours=4), NOW + timedelta(hours=9))] == [
        "Post 4"
    ]


def test_bad_ranges_are_refused(db):
    with pytest.raises(InputError):
        markers(db, NOW, NOW)
    with pytest.raises(InputError):
        markers(db, NOW, NOW + timedelta(days=1), limit=0)
    with pytest.raises(InputError):
        markers(db, datetime(2026, 11, 24), NOW)  # naive
