"""Storing fetched feeds: dedupe, story grouping, topic matching, feed health.

Runs in the parent process after the network and the parsers are done, so the write
transaction (``BEGIN IMMEDIATE``) only does indexed lookups and bulk Core inserts. The
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

Audit: Core writes go through ``db.audit.record_many`` (one statement a transaction): one
row per feed that got new clips (feed, count, first and last id) and one row per
transaction for the feeds' health (the feeds fetched, and per feed the
status/error/warning changes); desks tell that row from an edit
of a feed by its ``fetched`` key (``deskterm.core.changes``).
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from db.audit import AuditEntry, record_many
from db.base import UTCDateTime
from db.engine import Database
from db.enums import AuditAction
from db.errors import DatabaseBusyError
from db.models import Clip, ClipTopic, Feed, FeedCopy
from deskterm.core.clip_text import clean_line, truncate
from deskterm.core.feed_parse import Entry, ParsedFeed, clip_language
from deskterm.core.feeds import FEED_NAME_MAX, web_host
from deskterm.core.fetch import FetchResult
from deskterm.core.topics import CompiledTopic, encode_terms

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

# Core tables: bulk statements without the ORM's per-row work.
CLIPS: Table = Clip.__table__  # type: ignore[assignment]
CLIP_TOPICS: Table = ClipTopic.__table__  # type: ignore[assignment]
COPIES: Table = FeedCopy.__table__  # type: ignore[assignment]
FEEDS: Table = Feed.__table__  # type: ignore[assignment]


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


def load_plans(
    session: Session, *, feed_ids: Iterable[int] | None = None, due_at: datetime | None = None
) -> list[FeedPlan]:
    """The feeds to fetch: the given ids, else every enabled feed (due by ``due_at``)."""
    from db.models import Outlet

    query = select(
        Feed.id,
        Feed.name,
        Feed.url,
        Feed.etag,
        Feed.last_modified,
        Feed.poll_minutes,
        Feed.topic_id,
        Feed.outlet_id,
        Outlet.name,
        Outlet.type,
        Outlet.language,
        Feed.body_hash,
    ).outerjoin(Outlet, Feed.outlet_id == Outlet.id)
    if feed_ids is not None:
        query = query.where(Feed.id.in_(list(feed_ids)))
    else:
        query = query.where(Feed.enabled.is_(True))
        if due_at is not None:
            query = query.where((Feed.next_fetch_at.is_(None)) | (Feed.next_fetch_at <= due_at))
    plans = []
    for row in session.execute(query.order_by(Feed.id)):
        kind = row[9]
        plans.append(
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
                outlet_type=kind.value if kind is not None else None,
                language=row[10],
                body_hash=row[11],
            )
        )
    return plans


_KNOWN_COPIES = select(FeedCopy.feed_id, FeedCopy.guid).where(
    FeedCopy.seen_at >= bindparam("since", type_=UTCDateTime),
    exists().where(Clip.url == FeedCopy.url),
)


def recent_guids(db: Database, since: datetime) -> dict[int, frozenset[str]]:
    """Each feed's GUIDs of the clips published since ``since``, and of the copies of
    stored clips it carried (``FeedCopy``) seen since then: a hint for the parsers, which
    then skip the work for entries already known (``EntryContext.known_guids``).

    One indexed range read for all feeds (on ``published_at``; 37,000 rows of a
    1,000,000-clip desk in 30 ms), made only when some feed has a document to parse."""
    found: dict[int, set[str]] = {}
    with db.read() as session:
        conn = session.connection()
        for feed_id, guid in conn.execute(
            select(Clip.feed_id, Clip.guid).where(Clip.published_at >= since)
        ):
            found.setdefault(feed_id, set()).add(guid)
        # Entries that are copies of a clip, while that clip is stored: once it is gone
        # (its feed removed), the entry is read again and stored as the story's clip.
        for feed_id, guid in conn.execute(_KNOWN_COPIES, {"since": since}):
            found.setdefault(feed_id, set()).add(guid)
    return {feed_id: frozenset(guids) for feed_id, guids in found.items()}


# Statements built once (a fetch run executes each a few hundred times).
_CURRENT = select(Feed.consecutive_errors, Feed.last_status, Feed.last_error, Feed.warning).where(
    Feed.id == bindparam("feed_id")
)


def _lookups(json_keys: bool) -> dict[str, Select]:
    """The dedupe and story lookups, each taking a list of ``keys``.

    On SQLite the keys travel as one JSON array (``IN (SELECT value FROM json_each(?))``,
    still an index search): one statement text for any number of keys, where an
    expanding ``IN`` is re-rendered for every execution (a third of the writer's own
    time). Elsewhere: an expanding ``IN``."""

    def keys_in(column):  # type: ignore[no-untyped-def]
        if json_keys:
            table = func.json_each(bindparam("keys", type_=String)).table_valued("value")
            return column.in_(select(table.c.value))
        return column.in_(bindparam("keys", expanding=True))

    window = (
        Clip.published_at >= bindparam("low", type_=Clip.published_at.type),
        Clip.published_at <= bindparam("high", type_=Clip.published_at.type),
    )
    return {
        "guids": select(Clip.guid).where(Clip.feed_id == bindparam("feed_id"), keys_in(Clip.guid)),
        "urls": select(Clip.url).where(keys_in(Clip.url)),
        "titles": select(Clip.title_key, Clip.published_at, Clip.id, Clip.story_id).where(
            keys_in(Clip.title_key), *window
        ),
        "hashes": select(
            Clip.content_hash, Clip.published_at, Clip.id, Clip.story_id, Clip.feed_id
        ).where(keys_in(Clip.content_hash), *window),
    }


_LOOKUPS = {True: _lookups(True), False: _lookups(False)}
_MAX_CLIP_ID = select(func.max(Clip.id))
_FORGET_COPIES = delete(COPIES).where(COPIES.c.seen_at < bindparam("before", type_=UTCDateTime))
_DELETE_COPY = delete(COPIES).where(
    COPIES.c.feed_id == bindparam("b_feed_id"), COPIES.c.guid == bindparam("b_guid")
)
# SET takes the columns present in the parameters (health fields only).
_UPDATE_FEED = update(Feed.__table__).where(Feed.__table__.c.id == bindparam("b_feed_id"))


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
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]
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
        conn.exec_driver_sql(head + ", ".join([one] * len(part)), tuple(flat))


def _variable_limit(conn: Connection) -> int:
    """How many ``?`` one statement may bind on this connection (32766 since 3.32)."""
    driver = conn.connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)
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


def _processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy itself does to a bound value of this type on this dialect. (The
    type's own ``bind_processor`` stops short of the dialect's: a TypeDecorator over
    DateTime would hand the driver a datetime, which sqlite3 writes without the
    ".000000" SQLAlchemy writes, and such text sorts differently.)"""
    return column_type.dialect_impl(dialect).bind_processor(dialect)


@functools.cache
def _sqlite_processors() -> tuple[Callable[[Any], Any] | None, ...]:
    """Each ``ROW_COLUMNS`` column's bind processor on SQLite, built once per process.
    Built whole before it is cached: parser threads (``fetch_all(workers=0)``) may ask at
    once, and a list filled in place was once seen half-built by another thread."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    return tuple(_processor(CLIPS.c[name].type, dialect) for name in ROW_COLUMNS)


def sqlite_row(values: dict[str, object], memo: dict[tuple[int, object], object]) -> tuple:
    """``clip_values`` as SQLite stores them, in ``ROW_COLUMNS`` order (each column's own
    bind processor, so the stored text is exactly what SQLAlchemy would write)."""
    out = []
    processors = _sqlite_processors()
    for index, (name, processor) in enumerate(zip(ROW_COLUMNS, processors, strict=True)):
        value = values[name]
        if processor is not None and value is not None:
            done = memo.get((index, value), memo)
            if done is memo:
                done = memo[(index, value)] = processor(value)
            value = done
        out.append(value)
    return tuple(out)


def bulk_insert(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """INSERT many rows of the same keys, converted by the columns' own bind processors.

    On SQLite this goes straight to the driver as multi-row statements (``insert_rows``):
    SQLAlchemy's per-row parameter handling cost more than the insert itself (45 of ~65 us
    a clip, FTS index aside). Elsewhere it is a plain Core executemany.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    keys = list(rows[0])
    convert = [
        (index, processor)
        for index, key in enumerate(keys)
        if (processor := _processor(table.c[key].type, dialect)) is not None
    ]
    memo: dict[tuple[int, object], object] = {}  # fetch time, flags: the same in every row
    values = []
    for row in rows:
        value = [row[key] for key in keys]
        for index, processor in convert:
            raw = value[index]
            if raw is not None:
                done = memo.get((index, raw), memo)
                if done is memo:
                    done = memo[(index, raw)] = processor(raw)
                value[index] = done
        values.append(tuple(value))
    insert_rows(session.connection(), table.name, keys, values)


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

    def __init__(self, session: Session, topics: Sequence[CompiledTopic], now: datetime) -> None:
        self.session = session
        # Core statements go to the connection: the ORM session's execute path costs
        # ~0.3 ms a statement, and a run executes a few per feed.
        self.conn = session.connection()
        # SQLite: IN lists travel as JSON, ids are given here and inserts wait for finish()
        self.sqlite = self.conn.dialect.name == "sqlite"
        self.lookups = _LOOKUPS[self.sqlite]
        self.topics = topics
        self.topic_names = {t.id: (t.name, t.priority) for t in topics}
        self.now = now
        self.stories = _StoryIndex()
        self.health_changes: dict[str, str] = {}
        self.fetched: list[int] = []
        self.audit: list[AuditEntry] = []  # written in one statement by finish()
        self.next_clip_id: int | None = None  # we hold the write lock: ids are ours to give
        # SQLite: new clips and their topic rows are inserted by finish(), all at once (FTS5
        # writes an index segment per statement); until then dedupe asks these, not the file.
        self.clip_rows: list[tuple] = []  # in _INSERT_COLUMNS order
        self.clip_dicts: list[dict[str, object]] = []  # rows the parsers did not prepare
        self.topic_links: list[dict[str, object]] = []
        self.new_guids: dict[int, set[str]] = {}  # feed id -> GUIDs stored in this transaction
        self.new_urls: set[str] = set()  # canonical links stored in this transaction
        # (feed id, GUID) -> link of entries not stored as their link is a clip's already
        self.copies: dict[tuple[int, str], str] = {}

    # --- health ---

    def _keys(self, values: Sequence[str]) -> object:
        return json.dumps(list(values)) if self.sqlite else list(values)

    def _current(self, feed_id: int) -> tuple[int, str, str, str] | None:
        row = self.conn.execute(_CURRENT, {"feed_id": feed_id}).one_or_none()
        return None if row is None else (row[0] or 0, row[1] or "", row[2] or "", row[3] or "")

    def _health(self, feed_id: int, values: dict[str, object], old: tuple) -> None:
        self.conn.execute(_UPDATE_FEED, {"b_feed_id": feed_id, **values})
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
                conn.execute(
                    self.lookups["guids"], {"feed_id": feed_id, "keys": self._keys(chunk)}
                ).scalars()
            )
        known.update(self.new_guids.get(feed_id, ()))
        fresh = [e for e in entries if e.guid not in known]
        urls = sorted({e.url_key for e in fresh if e.url_key})
        taken = self.new_urls.intersection(urls)
        for chunk in _chunks(urls):
            found = conn.execute(self.lookups["urls"], {"keys": self._keys(chunk)}).scalars()
            taken.update(url for url in found if url)
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
        window = {"low": low - TITLE_WINDOW, "high": high + TITLE_WINDOW}
        for chunk in _chunks(keys):
            for key, published, clip_id, story_id in conn.execute(
                self.lookups["titles"], {"keys": self._keys(chunk), **window}
            ):
                found.by_title.setdefault(key, []).append((published, story_id or clip_id))
        hashes = sorted({e.content_hash for e in entries if e.content_hash})
        window = {"low": low - HASH_WINDOW, "high": high + HASH_WINDOW}
        for chunk in _chunks(hashes):
            for key, published, clip_id, story_id, feed_id in conn.execute(
                self.lookups["hashes"], {"keys": self._keys(chunk), **window}
            ):
                found.by_hash.setdefault(key, []).append((published, story_id or clip_id, feed_id))
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
        if self.sqlite:
            # We hold the write lock (BEGIN IMMEDIATE), so the next rowids are ours to
            # give: the rows wait for finish(), no RETURNING (SQLAlchemy runs an ordered
            # RETURNING row by row on SQLite: ten times slower).
            if self.next_clip_id is None:
                self.next_clip_id = int(self.conn.scalar(_MAX_CLIP_ID) or 0) + 1
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
        rows = [
            {"story_id": story, **clip_values(entry, plan, language, self.now)}
            for story, entry in zip(stories, entries, strict=True)
        ]
        inserted = self.conn.execute(
            insert(CLIPS).returning(CLIPS.c.id, sort_by_parameter_order=True), rows
        )
        ids = [row[0] for row in inserted]
        if pending:
            for index, root in pending.items():
                stories[index] = stories[root] or ids[root]
            self.conn.execute(
                update(CLIPS)
                .where(CLIPS.c.id == bindparam("clip_id"))
                .values(story_id=bindparam("root_id")),
                [{"clip_id": ids[index], "root_id": stories[index]} for index in pending],
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
        if self.sqlite:
            self.topic_links.extend(links)  # after their clips, by finish()
        elif links:
            bulk_insert(self.session, CLIP_TOPICS, links)
        return matches

    def finish(self) -> None:
        """Write what the transaction's feeds left for the end: clips, topics, audit."""
        insert_rows(self.conn, "clips", _INSERT_COLUMNS, self.clip_rows)
        bulk_insert(self.session, CLIPS, self.clip_dicts)
        bulk_insert(self.session, CLIP_TOPICS, self.topic_links)
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
        record_many(self.session, self.audit)

    def _remember_copies(self) -> None:
        """Keep the GUIDs of entries that were other clips' copies (``FeedCopy``), with
        when they were last seen; forget those not seen within ``KNOWN_WINDOW``."""
        self.conn.execute(_FORGET_COPIES, {"before": self.now - KNOWN_WINDOW})
        if not self.copies:
            return
        keys = [{"b_feed_id": feed_id, "b_guid": guid} for feed_id, guid in self.copies]
        self.conn.execute(_DELETE_COPY, keys)  # seen again: the row is replaced
        rows = [
            {"feed_id": feed_id, "guid": guid, "url": url, "seen_at": self.now}
            for (feed_id, guid), url in self.copies.items()
        ]
        bulk_insert(self.session, COPIES, rows)


def store_outcomes(
    db: Database,
    outcomes: Sequence[FeedOutcome],
    *,
    topics: Sequence[CompiledTopic] = (),
    now: datetime,
) -> list[StoreResult]:
    """Store fetched feeds in one short write transaction.

    If that transaction fails for a reason other than a busy database, each feed is
    stored in its own transaction, so one feed's bad data cannot cost the others theirs;
    a feed that still fails gets the failure recorded as its error.
    """
    if not outcomes:
        return []
    try:
        with db.transaction() as session:
            writer = _Writer(session, topics, now)
            results = [writer.store(outcome) for outcome in outcomes]
            writer.finish()
            return results
    except DatabaseBusyError:
        raise
    except Exception:
        if len(outcomes) == 1:
            return [_store_failed(db, outcomes[0], now)]
        log.exception("storing %d feeds failed; storing one by one", len(outcomes))
    results = []
    for outcome in outcomes:
        try:
            results.extend(store_outcomes(db, [outcome], topics=topics, now=now))
        except DatabaseBusyError as error:
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


def _store_failed(db: Database, outcome: FeedOutcome, now: datetime) -> StoreResult:
    """Record why a feed could not be stored (its entries are not; stored clips stay)."""
    log.exception("storing feed %s failed", outcome.plan.id)
    failed = FetchResult(
        outcome.plan.id,
        outcome.plan.url,
        "error",
        http_status=outcome.fetch.http_status,
        error="could not store the feed's entries (see the desk's log)",
    )
    with db.transaction() as session:
        writer = _Writer(session, (), now)
        result = writer.store(FeedOutcome(outcome.plan, failed, None))
        writer.finish()
        return result
