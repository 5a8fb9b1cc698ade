"""A refused stale save names the record the way people know it: the request's number, the
card's or event's title, the contact's name (not "requests 6" or "tasks 12")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.errors import ConflictError
from deskterm.core import calendar, contacts, requests, tasks

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def refused(save, *args, **changes) -> str:
    """Save on a stale version; the one-line message the desk and the command line show."""
    with pytest.raises(ConflictError) as caught:
        save(*args, **changes)
    message = str(caught.value)
    assert "\n" not in message and "nothing was saved" in message
    return message


def test_a_request_is_named_by_its_number(db):
    for _ in range(5):  # the sixth media request of the year
        requests.create_request(db, kind="media", subject="Earlier", requester="X", now=NOW)
    record = requests.create_request(db, kind="media", subject="Fares", requester="Y", now=NOW)
    assert record.number == "M-2026-0006"
    requests.update_request(db, record.id, record.version, subject="Fares (JL)")
    message = refused(requests.update_request, db, record.id, record.version, subject="Mine")
    assert message.startswith("M-2026-0006 was changed by someone else")
    assert "requests" not in message


def test_a_card_is_named_by_its_title(db):
    card = tasks.create_task(db, title="Statement on water main", kind="statement")
    tasks.update_task(db, card.id, card.version, title="Statement on the water main break")
    message = refused(tasks.update_task, db, card.id, card.version, title="Mine")
    assert message.startswith("card “Statement on the water main break” was changed")
    assert "tasks" not in message


def test_an_event_is_named_by_its_title_and_a_contact_by_name(db):
    event = calendar.create_event(
        db,
        title="Mayor's press conference",
        kind="press_conference",
        starts_at=NOW + timedelta(hours=2),
        timezone="America/New_York",
    )
    calendar.update_event(db, event.id, event.version, location="City Hall steps")
    message = refused(calendar.update_event, db, event.id, event.version, location="Rotunda")
    assert message.startswith("event “Mayor's press conference” was changed")

    dana = contacts.add_contact(db, name="Dana Whitfield", email="dana@kpac.example")
    contacts.update_contact(db, dana.id, dana.version, beat="schools")
    message = refused(contacts.update_contact, db, dana.id, dana.version, beat="City Hall")
    assert message.startswith("contact “Dana Whitfield” was changed")


def test_a_long_title_is_cut_short(db):
    card = tasks.create_task(db, title="Statement on " + "x" * 300, kind="statement")
    tasks.update_task(db, card.id, card.version, kind="other")
    message = refused(tasks.update_task, db, card.id, card.version, kind="op_ed")
    assert message.startswith("card “Statement on xxx")
    assert "…” was changed" in message and len(message) < 200
