"""Links between a card and the request, clip or event it serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.enums import EntityType
from deskterm.core import calendar, clips, feeds, requests, tasks
from deskterm.core.errors import InputError
from deskterm.core.links import add_link, linked

NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)


def test_a_card_links_to_what_it_serves_and_is_listed_from_both_ends(db):
    card = tasks.create_task(db, title="Statement on the water main", kind="statement")
    request = requests.create_request(
        db, kind="media", subject="Water main", requester="Rita Ames", now=NOW
    )
    feed = feeds.add_feed(db, url="https://news.example/rss")
    clip = clips.add_clip(
        db, feed_id=feed.id, guid="g", title="Main breaks [again]", url=None, published_at=NOW
    )
    event = calendar.create_event(
        db,
        title="Press conference",
        kind="press_conference",
        starts_at=NOW + timedelta(hours=2),
        timezone="America/New_York",
    )
    add_link(db, "task", card.id, "request", request.id)
    add_link(db, "task", card.id, "clip", clip.id)
    add_link(db, "event", event.id, "task", card.id)  # from the other end
    add_link(db, "task", card.id, "request", request.id)  # again: stored once
    items = linked(db, "task", card.id)
    assert [(i.type, i.label) for i in items] == [
        (EntityType.REQUEST, f"{request.number} Water main"),
        (EntityType.CLIP, "Main breaks [again]"),
        (EntityType.EVENT, "Press conference"),
    ]
    assert [i.id for i in linked(db, "request", request.id)] == [card.id]


def test_links_to_missing_or_same_records_are_refused(db):
    card = tasks.create_task(db, title="Remarks")
    with pytest.raises(InputError, match="no request 99"):
        add_link(db, "task", card.id, "request", 99)
    with pytest.raises(InputError, match="itself"):
        add_link(db, "task", card.id, "task", card.id)
    with pytest.raises(InputError, match="unknown"):
        add_link(db, "task", card.id, "memo", 1)
