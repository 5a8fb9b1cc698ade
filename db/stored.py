"""How values are stored in the SQLite file, for SQL written without SQLAlchemy.

Timestamps are UTC text in the form SQLAlchemy's SQLite ``DateTime`` writes
(``2026-11-23 12:00:00.000000``): rows written either way must sort and compare as one
(keyset paging and every time window depend on it). A test writes the same times both
ways and compares the text.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def time_text(moment: datetime) -> str:
    """An aware time as stored: UTC, microseconds always written."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: deskterm stores aware times only")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def stored_time(text: str | None) -> datetime | None:
    """A stored time read back: aware UTC (None stays None)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: The longest feed name a feed row holds (``feeds.name``, ``db.models.Feed``).
FEED_NAME_MAX = 200
