"""The desk's "is there anything here" check agrees with the full summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from db.engine import Database
from deskterm.core import calendar, contacts, feeds, requests, staff, tasks
from deskterm.core.summary import is_empty, summarize

WHEN = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

ADDS: dict[str, Callable[[Database], object]] = {
    "feed": lambda db: feeds.add_feed(db, url="https://news.example.org/rss"),
    "request": lambda db: requests.create_request(
        db, kind="media", subject="Parks budget", requester="Ann Lee"
    ),
    "task": lambda db: tasks.create_task(db, title="Statement on the budget"),
    "event": lambda db: calendar.create_event(
        db, title="Press conference", kind="press_conference", starts_at=WHEN
    ),
}


def test_a_new_database_is_empty(db: Database) -> None:
    assert is_empty(db)
    assert summarize(db).empty


@pytest.mark.parametrize("what", sorted(ADDS))
def test_one_row_of_what_a_desk_shows_makes_it_not_empty(db: Database, what: str) -> None:
    ADDS[what](db)
    assert not is_empty(db)
    assert not summarize(db).empty


def test_staff_and_the_media_list_alone_leave_it_empty(db: Database) -> None:
    """Who works here and whom we call are set-up, not desk content: the welcome still
    shows how to add feeds."""
    staff.add_staff(db, initials="MR", name="Maria Reyes", role="press_secretary")
    contacts.add_outlet(db, name="Daily Ledger", type="print")
    contacts.add_contact(db, name="Ann Lee", outlet="Daily Ledger")
    assert is_empty(db)
    assert summarize(db).empty
