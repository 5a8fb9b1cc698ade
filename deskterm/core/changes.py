"""What an audit row means to a desk that refreshes its views (the live loop's changes).

Mostly the audit row's entity, a table name. One exception: a fetch's batch row of feed
health (entity ``feeds`` with a ``fetched`` key, written by ``ingest._Writer.finish``)
is ``FEED_HEALTH``: it changes when each feed was last fetched and how that went, which
the feed-health view shows and the News pane does not. Without the distinction every
fetch batch, even of feeds with nothing new, reloaded the News pane on every desk.
"""

from __future__ import annotations

import json

FEED_HEALTH = "feed_health"


def changed_entity(entity: str, changes: str) -> str:
    """The entity an audit row changed, as views subscribe to it."""
    if entity == "feeds" and '"fetched"' in changes:
        try:
            fields = json.loads(changes)
        except ValueError:
            return entity
        if isinstance(fields, dict) and "fetched" in fields:
            return FEED_HEALTH
    return entity
