"""Which views a change concerns: a fetch's feed-health row is not an edit of a feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.changes import ChangeWatcher
from deskterm.core import feeds
from deskterm.core.changes import FEED_HEALTH, changed_entity
from deskterm.core.fetch import FetchLimits
from deskterm.core.fetcher import fetch_all
from deskterm.widgets.news_pane import NewsPane
from tests.core.feedserver import (  # noqa: F401 - feed_server_fixture provides feed_server
    FeedServer,
    feed_server_fixture,
    numbered_rss,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = FetchLimits(timeout_s=1.5, connect_timeout_s=1.0, max_bytes=1024 * 1024)


def entities_since(db, since: int) -> set[str]:
    watcher = ChangeWatcher(db)
    try:
        return {changed_entity(c.entity, c.changes) for c in watcher.poll(since)}
    finally:
        watcher.close()


def test_a_fetch_with_nothing_new_changes_only_feed_health(db, feed_server: FeedServer):
    url = feed_server.add("/a.xml", numbered_rss(3, prefix="a"))
    feed = feeds.add_feed(db, url=url, name="A")
    watcher = ChangeWatcher(db)
    start = watcher.last_id()
    watcher.close()
    fetch_all(db, now=NOW, limits=LIMITS, topics=[])
    assert entities_since(db, start) == {"clips", FEED_HEALTH}
    second = ChangeWatcher(db)
    after_first = second.last_id()
    second.close()
    fetch_all(db, now=NOW + timedelta(minutes=11), limits=LIMITS, topics=[])
    assert entities_since(db, after_first) == {FEED_HEALTH}
    assert FEED_HEALTH not in NewsPane.ENTITIES  # the News pane does not reload for it

    third = ChangeWatcher(db)
    before_edit = third.last_id()
    third.close()
    feeds.set_feed_enabled(db, feed.id, False)
    assert entities_since(db, before_edit) == {"feeds"}  # an edit still reaches the News pane


def test_changed_entity_reads_only_what_it_understands():
    assert changed_entity("feeds", '{"fetched": "1,2"}') == FEED_HEALTH
    assert changed_entity("feeds", '{"name": ["A", "B"]}') == "feeds"
    assert changed_entity("feeds", '"fetched" but not json') == "feeds"
    assert changed_entity("clips", '{"fetched": "1"}') == "clips"
