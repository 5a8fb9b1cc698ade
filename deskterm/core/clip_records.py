"""Clip records, and the reads of them the News pane paints with, in ``sqlite3`` alone.

The desk paints its first windows before SQLAlchemy is imported (importing it and mapping
the models costs more than the whole start-up budget; see docs/architecture.md, "The first
paint without SQLAlchemy"). News's window (``list_clips``), its unread counts
(``count_unread``), the topics of its clips (``topics_of``) and whether any feed exists
(``any_feed``) are plain SQL, so they are written here for ``DeskFile`` (``Database.file``)
once, and ``deskterm.core.clips`` re-exports them. The SQL is the text SQLAlchemy rendered for
the same queries (same conditions, in the same order), so SQLite picks the same indexes:
``ix_clips_published`` for a window, the partial ``ix_clips_unread_published`` for the
unread ones and the counts.

``clip_record`` builds a ``ClipRecord`` from typed values (an ORM ``Clip``, a Core row);
``stored_clip`` from the values as the file stores them (UTC text, 0/1, enum values).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from db.connection import DeskFile, desk_file
from db.enums import OutletType
from db.plain_rows import Values, fetch_values, like_escaped
from db.stored import stored_time, time_text
from deskterm.core.fields import aware, list_limit

if TYPE_CHECKING:
    from db.engine import Database

# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipRecord:
    id: int
    feed_id: int
    feed: str  # the feed's name
    outlet: str | None  # the outlet's name
    outlet_type: OutletType | None
    title: str
    summary: str
    url: str | None
    author: str
    published_at: datetime
    is_read: bool
    flagged: bool
    hidden: bool
    needs_correction: bool
    assignee: str | None  # staff initials
    story_id: int | None
    version: int
    correction_note: str = ""  # the factual error to answer, when needs_correction
    language: str | None = None  # the feed's language, else its outlet's (at ingest)


@dataclass(frozen=True)
class ClipTopicMatch:
    """A topic a clip matched, with the terms that matched it (for highlighting)."""

    topic_id: int
    name: str
    priority: int  # 1 = highest
    terms: tuple[str, ...]


class ClipColumns(Protocol):
    """The clip columns ``clip_record`` reads, typed (an ORM ``Clip``, a Core row)."""

    id: int
    feed_id: int
    title: str
    summary: str
    url: str | None
    author: str
    published_at: datetime
    is_read: bool
    flagged: bool
    hidden: bool
    needs_correction: bool
    story_id: int | None
    version: int
    correction_note: str | None
    language: str | None


def clip_record(
    row: ClipColumns,
    feed_name: str,
    outlet_name: str | None,
    outlet_type: OutletType | None,
    assignee: str | None,
) -> ClipRecord:
    return ClipRecord(
        row.id,
        row.feed_id,
        feed_name,
        outlet_name,
        outlet_type,
        row.title,
        row.summary,
        row.url,
        row.author,
        row.published_at,
        row.is_read,
        row.flagged,
        row.hidden,
        row.needs_correction,
        assignee,
        row.story_id,
        row.version,
        row.correction_note or "",
        row.language,
    )


#: A clip with its feed, outlet and assignee labels: one query, as ``clips._clip_select``.
CLIP_SELECT = (
    "SELECT clips.id, clips.feed_id, clips.title, clips.summary, clips.url, clips.author, "
    "clips.published_at, clips.is_read, clips.flagged, clips.hidden, "
    "clips.needs_correction, clips.story_id, clips.version, clips.correction_note, "
    "clips.language, feeds.name AS feed_name, outlets.name AS outlet_name, "
    "outlets.type AS outlet_type, staff.initials AS assignee "
    "FROM clips JOIN feeds ON clips.feed_id = feeds.id "
    "LEFT OUTER JOIN outlets ON clips.outlet_id = outlets.id "
    "LEFT OUTER JOIN staff ON clips.assignee_id = staff.id"
)

_FLAGS = ("is_read", "flagged", "hidden", "needs_correction")


def stored_clip(values: Values) -> ClipRecord:
    """A row of ``CLIP_SELECT`` as a record: its stored values typed as SQLAlchemy's column
    types read them (aware UTC time, booleans, the outlet type's member), then
    ``clip_record``. ``values`` is changed in place (it is the caller's row, used once)."""
    values.published_at = stored_time(values.published_at)
    for flag in _FLAGS:
        setattr(values, flag, bool(getattr(values, flag)))
    outlet_type = None if values.outlet_type is None else OutletType(values.outlet_type)
    return clip_record(
        values,  # type: ignore[arg-type]  # typed just above
        values.feed_name,
        values.outlet_name,
        outlet_type,
        values.assignee,
    )


# --- reads ------------------------------------------------------------------------------------


def list_clips(
    db: Database | DeskFile,
    *,
    since: datetime | None = None,
    unread_only: bool = False,
    include_hidden: bool = False,
    text: str | None = None,
    limit: int = 200,
    before: tuple[datetime, int] | None = None,
    topic_id: int | None = None,
    flagged_only: bool = False,
) -> list[ClipRecord]:
    """A window of clips, newest first by (published_at, id).

    For the next window pass the last record's ``(published_at, id)`` as ``before``.
    ``text`` is a case-insensitive substring of the title (ASCII letters folded, as
    SQLite's ``lower``; ``%``, ``_`` and ``/`` match themselves); ``topic_id`` keeps the
    clips that matched that topic; ``flagged_only`` the ones flagged for the clip report.
    """
    limit = list_limit(limit)
    where: list[str] = []
    parameters: list[Any] = []
    if since is not None:
        where.append("clips.published_at >= ?")
        parameters.append(time_text(aware(since, field="since")))
    if unread_only:
        where.append("clips.is_read = 0")
    if not include_hidden:
        where.append("clips.hidden = 0")
    if flagged_only:
        where.append("clips.flagged = 1")
    if topic_id is not None:
        where.append(
            "clips.id IN (SELECT clip_topics.clip_id FROM clip_topics "
            "WHERE clip_topics.topic_id = ?)"
        )
        parameters.append(int(topic_id))
    if text is not None and text.strip():
        where.append("lower(clips.title) LIKE '%' || lower(?) || '%' ESCAPE '/'")
        parameters.append(like_escaped(text.strip()))
    if before is not None:
        before_at, before_id = before
        before_at = aware(before_at, field="before")
        # A row value, so SQLite seeks in the index instead of scanning past newer rows.
        where.append("(clips.published_at, clips.id) < (?, ?)")
        parameters += [time_text(before_at), int(before_id)]
    sql = CLIP_SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY clips.published_at DESC, clips.id DESC LIMIT ?"
    parameters.append(limit)
    with desk_file(db).read() as connection:
        rows = fetch_values(connection, sql, parameters)
    return [stored_clip(row) for row in rows]


def count_unread(db: Database | DeskFile, *, since: datetime | None = None) -> int:
    """Unread clips that are not hidden (published at or after ``since``, if given)."""
    sql = "SELECT count(*) FROM clips WHERE clips.is_read = 0 AND clips.hidden = 0"
    parameters: list[str] = []
    if since is not None:
        sql += " AND clips.published_at >= ?"
        parameters.append(time_text(aware(since, field="since")))
    with desk_file(db).read() as connection:
        (count,) = connection.execute(sql, parameters).fetchone()
    return int(count or 0)


def any_feed(db: Database | DeskFile) -> bool:
    """Whether the desk has a feed at all (what an empty News window points to)."""
    with desk_file(db).read() as connection:
        (found,) = connection.execute("SELECT EXISTS (SELECT 1 FROM feeds)").fetchone()
    return bool(found)


# --- topics of clips --------------------------------------------------------------------------


def matched_terms(stored: str) -> tuple[str, ...]:
    """The terms stored on a clip-topic match (one per line, or comma-separated)."""
    separator = "\n" if "\n" in stored else ","
    seen: dict[str, None] = {}
    for term in stored.split(separator):
        term = term.strip()
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


_IDS_PER_QUERY = 500  # well under SQLite's bound-parameter limit


def topics_of(
    db: Database | DeskFile, clip_ids: Iterable[int]
) -> dict[int, tuple[ClipTopicMatch, ...]]:
    """The topics each clip matched, most important first (priority, then name).

    Clips that matched nothing are absent from the result. One query per 500 ids.
    """
    ids = sorted({int(i) for i in clip_ids})
    found: dict[int, list[ClipTopicMatch]] = {}
    with desk_file(db).read() as connection:
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            rows = connection.execute(
                "SELECT clip_topics.clip_id, topics.id, topics.name, topics.priority, "
                "clip_topics.matched_terms FROM clip_topics "
                "JOIN topics ON clip_topics.topic_id = topics.id "
                f"WHERE clip_topics.clip_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY clip_topics.clip_id, topics.priority, topics.name",
                chunk,
            )
            for clip_id, topic_id, name, priority, terms in rows:
                found.setdefault(clip_id, []).append(
                    ClipTopicMatch(topic_id, name, priority, matched_terms(terms or ""))
                )
    return {clip_id: tuple(matches) for clip_id, matches in found.items()}
