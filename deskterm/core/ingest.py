"""Storing fetched feeds: dedupe, story grouping, topic matching, feed health.

Runs in the parent process after the network and the parsers are done, so the write
transaction (``BEGIN IMMEDIATE``) only does indexed lookups and multi-row inserts.

Written in SQL of its own on ``sqlite3`` (``db.connection.DeskFile``), without SQLAlchemy:
``deskterm fetch`` runs without importing SQLAlchemy and the models, which were ~250 ms of
every run (more than a whole fetch of 200 unchanged feeds). Values are stored as
SQLAlchemy stores them (``db.stored``; a test writes both ways and compares). The
dedupe checks run inside that transaction: two desks fetching the same feeds at once
serialise on the write lock, and the second one finds the first one's rows.

Rules:

- an entry is stored once: by GUID within its feed (also a UNIQUE constraint) and by
  canonical link across feeds;
- syndicated copies (the same ``title_key`` within 48 h, or the same ``content_hash``
  from another feed within 7 days) join the story of the first clip: ``story_id`` is
  that clip's id; the first clip of a story keeps ``story_id`` NULL;
- new clips are matched against the compiled topics (one ``clip_topics`` row per match,
  with the matched terms as ``topics.encode_terms`` writes them, so a later
  ``rematch_topic`` sees the same value); a feed's ``topic`` is the feed's category
  (OPML), not a tag on its clips: a topic's tags are exactly the clips its rule matches;
- health: last fetch, status (``ok``, ``unchanged``, ``error``), HTTP status, consecutive
  errors, last error, the parser's warning, validators, and ``next_fetch_at`` (the poll
  interval, doubled per consecutive error up to a day, or the server's Retry-After), and
  the digest of the last body stored without error (``body_hash``: the run does not
  parse the same bytes again; an error clears it).
  Health columns are bookkeeping, not edits: they do not bump the feed's ``version``, so
  a fetch never turns someone's open feed editor into a conflict.

Audit: the writes are recorded through ``db.audit_rows.write_audit``: one
row per feed that got new clips (feed, count, first and last id) and one row per
transaction for the feeds' health (the feeds fetched, and per feed the
status/error/warning changes); desks tell that row from an edit
of a feed by its ``fetched`` key (``deskterm.core.changes``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from db.audit_rows import AuditEntry, write_audit
from db.connection import DeskFile, desk_file
from db.enums import AuditAction
from db.errors import DatabaseError
from db.stored import FEED_NAME_MAX, stored_time, time_text
from deskterm.core.clip_text import clean_line, truncate
from deskterm.core.feed_parse import Entry, ParsedFeed, clip_language, web_host
from deskterm.core.fetch import FetchResult
from deskterm.core.topic_match import CompiledTopic, encode_terms

if TYPE_CHECKING:
    from db.engine import Database

log = logging.getLogger(__name__)

TITLE_WINDOW = timedelta(hours=48)
#: Clips published this far back have their GUIDs handed to the parsers (``recent_guids``).
KNOWN_WINDOW = timedelta(days=14)
HASH_WINDOW = timedelta(days=7)
MAX_BACKOFF = timedelta(hours=24)
CHUNK = 500  # values per IN (...) list
#: A write transaction takes ready feeds up to this many parsed entries (or BATCH_FEEDS
#: feeds): about 50 ms of writing for new entries (the FTS index costs most of it).
BATCH_ENTRIES = 500
BATCH_FEEDS = 100


@dataclass(frozen=True)
class FeedPlan:
    """A feed as the run found it before fetching."""

    id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    poll_minutes: int
    topic_id: int | None = None
    body_hash: str | None = None  # the digest of the last body stored without error
    outlet_id: int | None = None
    outlet: str | None = None  # the outlet's name
    outlet_type: str | None = None
    language: str | None = None  # the outlet's language


@dataclass(frozen=True)
class FeedOutcome:
    """A feed fetched (and parsed, when there was something to parse)."""

    plan: FeedPlan
    fetch: FetchResult  # without the body
    parsed: ParsedFeed | None = None


@dataclass(frozen=True)
class PriorityMatch:
    clip_id: int
    title: str
    topic: str
    priority: int


@dataclass(frozen=True)
class StoreResult:
    feed_id: int
    name: str
    status: str  # ok, unchanged, error
    new_clips: int = 0
    error: str = ""
    warning: str = ""
    new_clip_ids: tuple[int, ...] = ()
    priority_matches: tuple[PriorityMatch, ...] = field(default=())


_PLANS = """
SELECT f.id, f.name, f.url, f.etag, f.last_modified, f.poll_minutes, f.topic_id,
       f.outlet_id, o.name, o.type, o.language, f.body_hash
FROM feeds AS f LEFT OUTER JOIN outlets AS o ON f.outlet_id = o.id
"""


def load_plans(
    db: Database | DeskFile,
    *,
    feed_ids: Iterable[int] | None = None,
    due_at: datetime | None = None,
) -> list[FeedPlan]:
    """The feeds to fetch: the given ids, else every enabled feed (due by ``due_at``)."""
    if feed_ids is not None:
        where = "WHERE f.id IN (SELECT value FROM json_each(?))"
        params: tuple = (json.dumps(list(feed_ids)),)
    elif due_at is not None:
        where = "WHERE f.enabled = 1 AND (f.next_fetch_at IS NULL OR f.next_fetch_at <= ?)"
        params = (time_text(due_at),)
    else:
        where, params = "WHERE f.enabled = 1", ()
    with desk_file(db).read() as connection:
        rows = connection.execute(f"{_PLANS} {where} ORDER BY f.id", params).fetchall()
    return [
        FeedPlan(
            id=row[0],
            name=row[1],
            url=row[2],
            etag=row[3],
            last_modified=row[4],
            poll_minutes=row[5] or 10,
            topic_id=row[6],
            outlet_id=row[7],
            outlet=row[8],
            outlet_type=row[9],
            language=row[10],
            body_hash=row[11],
        )
        for row in rows
    ]


_RECENT_GUIDS = "SELECT feed_id, guid FROM clips WHERE published_at >= ?"
# Entries that are copies of a clip, while that clip is stored: once it is gone (its feed
# removed), the entry is read again and stored as the story's clip.
_KNOWN_COPIES = """
SELECT feed_id, guid FROM feed_copies
WHERE seen_at >= ? AND EXISTS (SELECT 1 FROM clips WHERE clips.url = feed_copies.url)
"""


def recent_guids(db: Database | DeskFile, since: datetime) -> dict[int, frozenset[str]]:
    """Each feed's GUIDs of the clips published since ``since``, and of the copies of
    stored clips it carried (``FeedCopy``) seen since then: a hint for the parsers, which
    then skip the work for entries already known (``EntryContext.known_guids``).

    One indexed range read for all feeds (on ``published_at``; 37,000 rows of a
    1,000,000-clip desk in 30 ms), made only when some feed has a document to parse."""
    found: dict[int, set[str]] = {}
    with desk_file(db).read() as connection:
        for statement in (_RECENT_GUIDS, _KNOWN_COPIES):
            for feed_id, guid in connection.execute(statement, (time_text(since),)):
                found.setdefault(feed_id, set()).add(guid)
    return {feed_id: frozenset(guids) for feed_id, guids in found.items()}


_CURRENT = "SELECT consecutive_errors, last_status, last_error, warning FROM feeds WHERE id = ?"
# The dedupe and story lookups. The keys travel as one JSON array (``IN (SELECT value FROM
# json_each(?))``, still an index search): one statement text for any number of keys.
_KEYS = "IN (SELECT value FROM json_each(?))"
_WINDOW = "published_at >= ? AND published_at <= ?"
_LOOKUPS = {
    "guids": f"SELECT guid FROM clips WHERE feed_id = ? AND guid {_KEYS}",
    "urls": f"SELECT url FROM clips WHERE url {_KEYS}",
    "titles": (
        f"SELECT title_key, published_at, id, story_id FROM clips WHERE title_key {_KEYS} "
        f"AND {_WINDOW}"
    ),
    "hashes": (
        "SELECT content_hash, published_at, id, story_id, feed_id FROM clips "
        f"WHERE content_hash {_KEYS} AND {_WINDOW}"
    ),
}
_MAX_CLIP_ID = "SELECT max(id) FROM clips"
_FORGET_COPIES = "DELETE FROM feed_copies WHERE seen_at < ?"
_DELETE_COPY = "DELETE FROM feed_copies WHERE feed_id = ? AND guid = ?"


#: Clip columns in the order of ``Entry.row`` (values as SQLite stores them); the
#: writer puts ``id`` and ``story_id`` in front.
ROW_COLUMNS = (
    "feed_id", "outlet_id", "guid", "url", "title", "summary", "author", "language",
    "published_at", "fetched_at", "title_key", "content_hash", "is_read", "flagged", "hidden",
    "assignee_id", "needs_correction", "correction_note", "version", "created_at", "updated_at",
)  # fmt: skip
_INSERT_COLUMNS = ("id", "story_id", *ROW_COLUMNS)
#: SQLite's default cap on bound variables before 3.32; the live cap is asked for.
_MIN_VARIABLES = 999


def insert_rows(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) as few multi-row statements.

    One statement per row would cost three times as much for clips: each statement that
    fires a trigger runs in a statement savepoint, and FTS5 writes its pending terms to a
    new index segment at every savepoint, so the index took one segment (and the merges
    that follow) per clip. The writer inserts a whole transaction's clips in one call.
    """
    if not rows:
        return
    per_row = len(columns)
    chunk = max(1, _variable_limit(conn) // per_row)
    head = 'INSERT INTO "{}" ({}) VALUES '.format(table, ", ".join(f'"{c}"' for c in columns))
    one = "(" + ", ".join("?" * per_row) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        flat = [value for row in part for value in row]
        conn.execute(head + ", ".join([one] * len(part)), flat)


def _variable_limit(conn: sqlite3.Connection) -> int:
    """How many ``?`` one statement may bind on this connection (32766 since 3.32)."""
    getlimit = getattr(conn, "getlimit", None)
    if getlimit is None:
        return _MIN_VARIABLES
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def clip_values(
    entry: Entry, plan: FeedPlan | None, language: str | None, now: datetime, **ids: int | None
) -> dict[str, object]:
    """A new clip's column values (Python values; ``id``/``story_id`` not included).
    The feed and outlet come from ``plan``, or from ``feed_id``/``outlet_id``."""
    return {
        "feed_id": plan.id if plan is not None else ids["feed_id"],
        "outlet_id": plan.outlet_id if plan is not None else ids.get("outlet_id"),
        "guid": entry.guid,
        "url": entry.url,
        "title": entry.title,
        "summary": entry.summary,
        "author": entry.author,
        "language": language,
        "published_at": entry.published_at,
        "fetched_at": now,
        "title_key": entry.title_key,
        "content_hash": entry.content_hash,
        "is_read": False,
        "flagged": False,
        "hidden": False,
        "assignee_id": None,
        "needs_correction": False,
        "correction_note": "",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def stored(value: object) -> object:
    """A Python value as SQLite stores it: an aware time as UTC text (``db.stored``), a
    boolean as 0/1; text, numbers and None as they are."""
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


def sqlite_row(values: dict[str, object], memo: dict[object, object]) -> tuple:
    """``clip_values`` as SQLite stores them, in ``ROW_COLUMNS`` order. ``memo`` keeps
    the text of times already converted (the fetch time is in every row)."""
    out = []
    for name in ROW_COLUMNS:
        value = values[name]
        if isinstance(value, datetime):
            text = memo.get(value)
            if text is None:
                text = memo[value] = time_text(value)
            value = text
        elif isinstance(value, bool):
            value = int(value)
        out.append(value)
    return tuple(out)


def bulk_insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, object]]) -> None:
    """INSERT many rows of the same keys as multi-row statements (``insert_rows``)."""
    if not rows:
        return
    keys = list(rows[0])
    insert_rows(conn, table, keys, [tuple(stored(row[key]) for key in keys) for row in rows])


def backoff(poll_minutes: int, errors: int, retry_after_s: float | None = None) -> timedelta:
    """How long a failing feed waits: its interval doubled per consecutive error (the
    first error waits one interval), at most a day; never less than Retry-After."""
    delay = timedelta(minutes=poll_minutes) * (2 ** min(max(errors - 1, 0), 16))
    if retry_after_s:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return min(delay, MAX_BACKOFF)


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _StoryIndex:
    """Clips stored earlier in this transaction, for grouping within a batch."""

    by_title: dict[str, list[tuple[datetime, int]]] = field(default_factory=dict)
    by_hash: dict[str, list[tuple[datetime, int, int]]] = field(default_factory=dict)


class _Writer:
    """One write transaction's worth of feeds."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        file: DeskFile,
        topics: Sequence[CompiledTopic],
        now: datetime,
    ) -> None:
        self.conn = conn
        self.file = file
        self.topics = topics
        self.topic_names = {t.id: (t.name, t.priority) for t in topics}
        self.now = now
        self.stories = _StoryIndex()
        self.health_changes: dict[str, str] = {}
        self.fetched: list[int] = []
        self.audit: list[AuditEntry] = []  # written in one statement by finish()
        self.next_clip_id: int | None = None  # we hold the write lock: ids are ours to give
        # New clips and their topic rows are inserted by finish(), all at once (FTS5 writes
        # an index segment per statement); until then dedupe asks these, not the file.
        self.clip_rows: list[tuple] = []  # in _INSERT_COLUMNS order
        self.clip_dicts: list[dict[str, object]] = []  # rows the parsers did not prepare
        self.topic_links: list[dict[str, object]] = []
        self.new_guids: dict[int, set[str]] = {}  # feed id -> GUIDs stored in this transaction
        self.new_urls: set[str] = set()  # canonical links stored in this transaction
        # (feed id, GUID) -> link of entries not stored as their link is a clip's already
        self.copies: dict[tuple[int, str], str] = {}

    # --- health ---

    @staticmethod
    def _keys(values: Sequence[str]) -> str:
        return json.dumps(list(values))

    def _current(self, feed_id: int) -> tuple[int, str, str, str] | None:
        row = self.conn.execute(_CURRENT, (feed_id,)).fetchone()
        return None if row is None else (row[0] or 0, row[1] or "", row[2] or "", row[3] or "")

    def _health(self, feed_id: int, values: dict[str, object], old: tuple) -> None:
        # SET takes the health columns given (names from this module, never from input)
        assignments = ", ".join(f'"{key}" = ?' for key in values)
        self.conn.execute(
            f"UPDATE feeds SET {assignments} WHERE id = ?",
            (*(stored(value) for value in values.values()), feed_id),
        )
        self.fetched.append(feed_id)
        tracked = dict(
            zip(("consecutive_errors", "last_status", "last_error", "warning"), old, strict=True)
        )
        changed = [
            f"{key} {tracked[key]!r} -> {values[key]!r}"
            for key in tracked
            if key in values and values[key] != tracked[key]
        ]
        if changed:
            self.health_changes[f"feed_{feed_id}"] = truncate("; ".join(changed), 500)

    def store(self, outcome: FeedOutcome) -> StoreResult:
        plan, fetched, parsed = outcome.plan, outcome.fetch, outcome.parsed
        old = self._current(plan.id)
        if old is None:
            return StoreResult(plan.id, plan.name, "error", error="the feed was removed")
        errors = old[0]
        base: dict[str, object] = {"last_fetch_at": self.now}
        if fetched.http_status is not None:
            base["last_http_status"] = fetched.http_status
        problem = fetched.error if fetched.outcome == "error" else ""
        if not problem and fetched.outcome == "ok" and (parsed is None or parsed.error):
            problem = parsed.error if parsed is not None else "the document was not parsed"
        if problem:
            errors += 1
            self._health(
                plan.id,
                {
                    **base,
                    "last_status": "error",
                    "consecutive_errors": errors,
                    "last_error": problem,
                    "body_hash": None,  # the same bytes again are read again
                    "next_fetch_at": self.now
                    + backoff(plan.poll_minutes, errors, fetched.retry_after_s),
                },
                old,
            )
            return StoreResult(plan.id, plan.name, "error", error=problem)
        moved = (
            f"moved permanently to {fetched.moved_to}; update the feed's address"
            if fetched.moved_to and fetched.moved_to != plan.url
            else ""
        )
        values: dict[str, object] = {
            **base,
            "consecutive_errors": 0,
            "last_error": "",
            "next_fetch_at": self.now + timedelta(minutes=plan.poll_minutes),
            "etag": truncate(fetched.etag, 500) if fetched.etag else None,
            "last_modified": truncate(fetched.last_modified, 100)
            if fetched.last_modified
            else None,
        }
        if fetched.outcome == "unchanged":
            values["last_status"] = "unchanged"
            if moved:
                values["warning"] = moved
            self._health(plan.id, values, old)
            return StoreResult(plan.id, plan.name, "unchanged", warning=old[3])
        assert parsed is not None
        warning = "; ".join(part for part in (parsed.warning, moved) if part)
        titled = _titled_name(plan, parsed.title)
        if titled:  # named after its host when added: now after its own title
            values["name"] = titled
            self.health_changes[f"feed_{plan.id}_name"] = truncate(
                f"name {plan.name!r} -> {titled!r}", 500
            )
        values["last_status"] = "ok"
        values["warning"] = warning
        values["body_hash"] = fetched.body_hash
        ids, matches = self._insert(plan, parsed)
        self._health(plan.id, values, old)
        return StoreResult(
            plan.id,
            plan.name,
            "ok",
            new_clips=len(ids),
            warning=warning,
            new_clip_ids=tuple(ids),
            priority_matches=tuple(matches),
        )

    # --- clips ---

    def _new_entries(self, feed_id: int, entries: Sequence[Entry]) -> list[Entry]:
        conn = self.conn
        known: set[str] = set()
        for chunk in _chunks([e.guid for e in entries]):
            known.update(
                guid for (guid,) in conn.execute(_LOOKUPS["guids"], (feed_id, self._keys(chunk)))
            )
        known.update(self.new_guids.get(feed_id, ()))
        fresh = [e for e in entries if e.guid not in known]
        urls = sorted({e.url_key for e in fresh if e.url_key})
        taken = self.new_urls.intersection(urls)
        for chunk in _chunks(urls):
            found = conn.execute(_LOOKUPS["urls"], (self._keys(chunk),))
            taken.update(url for (url,) in found if url)
        kept: list[Entry] = []
        for entry in fresh:
            if entry.url_key:
                if entry.url_key in taken:
                    self.copies[(feed_id, entry.guid)] = entry.url_key
                    continue
                taken.add(entry.url_key)
            kept.append(entry)
        self.new_guids.setdefault(feed_id, set()).update(e.guid for e in kept)
        self.new_urls.update(e.url_key for e in kept if e.url_key)
        return kept

    def _story_candidates(self, entries: Sequence[Entry]) -> _StoryIndex:
        """Clips already stored that the entries could be copies of (indexed lookups).
        Clips of this transaction are in ``self.stories`` instead."""
        conn = self.conn
        low = min(e.published_at for e in entries)
        high = max(e.published_at for e in entries)
        found = _StoryIndex()
        keys = sorted({e.title_key for e in entries if e.title_key})
        window = (time_text(low - TITLE_WINDOW), time_text(high + TITLE_WINDOW))
        for chunk in _chunks(keys):
            for key, published, clip_id, story_id in conn.execute(
                _LOOKUPS["titles"], (self._keys(chunk), *window)
            ):
                found.by_title.setdefault(key, []).append(
                    (stored_time(published), story_id or clip_id)
                )
        hashes = sorted({e.content_hash for e in entries if e.content_hash})
        window = (time_text(low - HASH_WINDOW), time_text(high + HASH_WINDOW))
        for chunk in _chunks(hashes):
            for key, published, clip_id, story_id, feed_id in conn.execute(
                _LOOKUPS["hashes"], (self._keys(chunk), *window)
            ):
                found.by_hash.setdefault(key, []).append(
                    (stored_time(published), story_id or clip_id, feed_id)
                )
        return found

    @staticmethod
    def _pick(entry: Entry, feed_id: int, *indexes: _StoryIndex) -> int | None:
        """The story an entry joins: the lowest root among clips with its title within
        48 h, or its text from another feed within 7 days; None for a new story."""
        roots: list[int] = []
        for index in indexes:
            if entry.title_key:
                roots += [
                    root
                    for published, root in index.by_title.get(entry.title_key, ())
                    if abs(published - entry.published_at) <= TITLE_WINDOW
                ]
            if entry.content_hash:
                roots += [
                    root
                    for published, root, other in index.by_hash.get(entry.content_hash, ())
                    if other != feed_id and abs(published - entry.published_at) <= HASH_WINDOW
                ]
        return min(roots) if roots else None

    def _insert(self, plan: FeedPlan, parsed: ParsedFeed) -> tuple[list[int], list[PriorityMatch]]:
        entries = self._new_entries(plan.id, parsed.entries)
        if not entries:
            return [], []
        entries.sort(key=lambda e: e.published_at)  # ids grow with time; the first is the root
        stored = self._story_candidates(entries)
        language = clip_language(parsed.language, plan.language)
        stories: list[int | None] = []
        pending: dict[int, int] = {}  # entry index -> index of an earlier entry: its root
        local_title: dict[str, list[tuple[datetime, int]]] = {}
        for index, entry in enumerate(entries):
            story = self._pick(entry, plan.id, stored, self.stories)
            if story is None:
                candidates = [
                    i
                    for published, i in local_title.get(entry.title_key, ())
                    if abs(published - entry.published_at) <= TITLE_WINDOW
                ]
                if candidates:
                    pending[index] = min(candidates)
            if entry.title_key:
                local_title.setdefault(entry.title_key, []).append((entry.published_at, index))
            stories.append(story)
        ids = self._write(plan, parsed, entries, stories, pending, language)
        for index, entry in enumerate(entries):
            root = stories[index] or ids[index]
            if entry.title_key:
                self.stories.by_title.setdefault(entry.title_key, []).append(
                    (entry.published_at, root)
                )
            if entry.content_hash:
                self.stories.by_hash.setdefault(entry.content_hash, []).append(
                    (entry.published_at, root, plan.id)
                )
        matches = self._tag(plan, parsed, entries, ids, language)
        self.audit.append(
            (
                "clips",
                None,
                AuditAction.INSERT,
                # ids given one run at a time in one write transaction: consecutive
                {"feed_id": plan.id, "count": len(ids), "first_id": min(ids), "last_id": max(ids)},
            )
        )
        return ids, matches

    def _write(
        self,
        plan: FeedPlan,
        parsed: ParsedFeed,
        entries: Sequence[Entry],
        stories: list[int | None],
        pending: dict[int, int],
        language: str | None,
    ) -> list[int]:
        """Insert the new clips; their ids. ``stories`` is filled in for ``pending``
        (copies of a story that starts earlier in the same document)."""
        # We hold the write lock (BEGIN IMMEDIATE), so the next rowids are ours to give: the
        # rows wait for finish(), no RETURNING.
        if self.next_clip_id is None:
            self.next_clip_id = int(self.conn.execute(_MAX_CLIP_ID).fetchone()[0] or 0) + 1
        start = self.next_clip_id
        ids = list(range(start, start + len(entries)))
        self.next_clip_id = start + len(entries)
        for index, root in pending.items():
            stories[index] = stories[root] or ids[root]
        if parsed.rows_ready and all(e.row and e.row[0] == plan.id for e in entries):
            # the parser process prepared the rows (``EntryContext``)
            self.clip_rows.extend(
                (clip_id, story, *entry.row)
                for clip_id, story, entry in zip(ids, stories, entries, strict=True)
            )
        else:
            self.clip_dicts.extend(
                {
                    "id": clip_id,
                    "story_id": story,
                    **clip_values(entry, plan, language, self.now),
                }
                for clip_id, story, entry in zip(ids, stories, entries, strict=True)
            )
        return ids

    def _tag(
        self,
        plan: FeedPlan,
        parsed: ParsedFeed,
        entries: Sequence[Entry],
        ids: Sequence[int],
        language: str | None,
    ) -> list[PriorityMatch]:
        """clip_topics rows for the new clips: the parser's matches when it matched
        (``ParsedFeed.topics_matched``), else matched here."""
        links: list[dict[str, object]] = []
        matches: list[PriorityMatch] = []
        outlet = plan.outlet or ""
        for entry, clip_id in zip(entries, ids, strict=True):
            if parsed.topics_matched:
                found = entry.topics
            else:
                found = tuple(
                    (topic.id, encode_terms(terms))
                    for topic in self.topics
                    if (
                        terms := topic.match(
                            entry.title, entry.summary, outlet, plan.outlet_type, language
                        )
                    )
                )
            for topic_id, terms in found:
                links.append({"clip_id": clip_id, "topic_id": topic_id, "matched_terms": terms})
                name, priority = self.topic_names.get(topic_id, ("", 0))
                if priority == 1:
                    matches.append(PriorityMatch(clip_id, entry.title, name, 1))
        self.topic_links.extend(links)  # after their clips, by finish()
        return matches

    def finish(self) -> None:
        """Write what the transaction's feeds left for the end: clips, topics, audit."""
        insert_rows(self.conn, "clips", _INSERT_COLUMNS, self.clip_rows)
        bulk_insert(self.conn, "clips", self.clip_dicts)
        bulk_insert(self.conn, "clip_topics", self.topic_links)
        self._remember_copies()
        if self.fetched:
            copies = {"copies_seen": str(len(self.copies))} if self.copies else {}
            self.audit.append(
                (
                    "feeds",
                    self.fetched[0] if len(self.fetched) == 1 else None,
                    AuditAction.UPDATE,
                    {"fetched": ",".join(map(str, self.fetched)), **copies, **self.health_changes},
                )
            )
        write_audit(self.conn, self.file.actor, self.audit, datetime.now(UTC))

    def _remember_copies(self) -> None:
        """Keep the GUIDs of entries that were other clips' copies (``FeedCopy``), with
        when they were last seen; forget those not seen within ``KNOWN_WINDOW``."""
        self.conn.execute(_FORGET_COPIES, (time_text(self.now - KNOWN_WINDOW),))
        if not self.copies:
            return
        self.conn.executemany(_DELETE_COPY, list(self.copies))  # seen again: replaced
        rows = [
            {"feed_id": feed_id, "guid": guid, "url": url, "seen_at": self.now}
            for (feed_id, guid), url in self.copies.items()
        ]
        bulk_insert(self.conn, "feed_copies", rows)


def store_outcomes(
    db: Database | DeskFile,
    outcomes: Sequence[FeedOutcome],
    *,
    topics: Sequence[CompiledTopic] = (),
    now: datetime,
) -> list[StoreResult]:
    """Store fetched feeds in one short write transaction.

    If that transaction fails for a reason other than the file's state (busy, gone, a
    newer schema: ``DatabaseError``, raised as it is), each feed is
    stored in its own transaction, so one feed's bad data cannot cost the others theirs;
    a feed that still fails gets the failure recorded as its error.
    """
    if not outcomes:
        return []
    file = desk_file(db)
    try:
        with file.transaction() as conn:
            writer = _Writer(conn, file, topics, now)
            results = [writer.store(outcome) for outcome in outcomes]
            writer.finish()
            return results
    except DatabaseError:  # the file's state (busy, gone, a newer schema), not the data's
        raise
    except Exception:
        if len(outcomes) == 1:
            return [_store_failed(file, outcomes[0], now)]
        log.exception("storing %d feeds failed; storing one by one", len(outcomes))
    results = []
    for outcome in outcomes:
        try:
            results.extend(store_outcomes(file, [outcome], topics=topics, now=now))
        except DatabaseError as error:
            results.append(
                StoreResult(outcome.plan.id, outcome.plan.name, "error", error=str(error))
            )
    return results


def _titled_name(plan: FeedPlan, title: str) -> str | None:
    """The feed's own title as its name, when it is still named after its host: a plain
    list of URLs names every feed of a site the same. (A file's default name, its stem,
    is its own already, and a name someone typed stays.)"""
    name = truncate(clean_line(title), FEED_NAME_MAX)
    if not name or name == plan.name or plan.name != web_host(plan.url):
        return None
    return name


def _store_failed(file: DeskFile, outcome: FeedOutcome, now: datetime) -> StoreResult:
    """Record why a feed could not be stored (its entries are not; stored clips stay)."""
    log.exception("storing feed %s failed", outcome.plan.id)
    failed = FetchResult(
        outcome.plan.id,
        outcome.plan.url,
        "error",
        http_status=outcome.fetch.http_status,
        error="could not store the feed's entries (see the desk's log)",
    )
    with file.transaction() as conn:
        writer = _Writer(conn, file, (), now)
        result = writer.store(FeedOutcome(outcome.plan, failed, None))
        writer.finish()
        return result
