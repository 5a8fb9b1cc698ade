"""News feeds the desk watches: web feeds (http/https) and feed files (file:// or a path).

The registry (add, list, remove, enable/disable) and the feeds' health as the desk shows
it (``feed_health``). Fetching is ``deskterm.core.fetcher``, parsing
``deskterm.core.feed_parse``, storing ``deskterm.core.ingest``, OPML ``deskterm.core.opml``.

Health columns (last fetch, status, HTTP status, consecutive errors, last error, warning,
validators, next fetch) are written by ingest without bumping ``version``: they are
bookkeeping, so a fetch never makes someone's open feed editor stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sqlalchemy import ScalarSelect, Select, delete, func, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from db.audit import record
from db.base import utcnow
from db.engine import Database
from db.enums import AuditAction, EntityType, OutletType
from db.errors import NotFoundError
from db.models import Clip, Feed, FeedCopy, Link, Outlet, Topic
from db.stored import FEED_NAME_MAX
from db.versioning import load_for_update
from deskterm.core.contacts import resolve_outlet_id
from deskterm.core.errors import InputError
from deskterm.core.fields import MAX_URL, line_text, list_limit
from deskterm.core.links import either_end

MAX_POLL_MINUTES = 24 * 60
#: A feed not fetched for this many poll intervals (and at least ``STALE_MIN``) is stale.
STALE_INTERVALS = 3
STALE_MIN = timedelta(minutes=30)


@dataclass(frozen=True)
class FeedRecord:
    id: int
    name: str
    url: str
    outlet: str | None  # the outlet's name
    poll_minutes: int
    enabled: bool
    last_fetch_at: datetime | None
    last_status: str  # never, ok, unchanged, error
    consecutive_errors: int
    last_error: str
    version: int
    topic: str | None = None  # the topic's name (the feed's category)
    outlet_type: OutletType | None = None
    language: str | None = None  # the outlet's language
    last_http_status: int | None = None
    warning: str = ""  # the last parse's warning (ill-formed XML read loosely, ...)
    next_fetch_at: datetime | None = None


@dataclass(frozen=True)
class FeedHealth(FeedRecord):
    """A feed that needs a look: ``problem`` is failing, stale or warning."""

    problem: str = ""
    detail: str = ""  # one line: the error, how long since the last fetch, the warning


FeedRow = tuple[Feed, str | None, OutletType | None, str | None, str | None]


def feed_record(
    row: Feed,
    outlet_name: str | None,
    outlet_type: OutletType | None = None,
    language: str | None = None,
    topic: str | None = None,
) -> FeedRecord:
    return FeedRecord(
        row.id,
        row.name,
        row.url,
        outlet_name,
        row.poll_minutes,
        row.enabled,
        row.last_fetch_at,
        row.last_status,
        row.consecutive_errors,
        row.last_error,
        row.version,
        topic,
        outlet_type,
        language,
        row.last_http_status,
        row.warning or "",
        row.next_fetch_at,
    )


def _existing_file(path: Path, shown: str) -> Path:
    if not path.is_file():
        hint = ""
        first = shown.replace("\\", "/").split("/", 1)[0]
        if "." in first.strip(".") and not path.parent.exists():
            hint = f" (a web feed needs http:// or https://, e.g. https://{shown})"
        raise InputError(f"no feed file at {shown}{hint}", field="url")
    return path


def normalize_feed_url(url: str) -> tuple[str, str]:
    """The URL to store and the default display name: (url, host or file stem).

    http(s) and file:// URLs are kept as given; a plain path must name an existing file
    and is stored as an absolute path.
    """
    text = line_text(
        url, field="url", label="a feed's URL", max_length=MAX_URL, required=True, collapse=False
    )
    if "://" not in text:
        path = Path(os.path.abspath(Path(text).expanduser()))
        _existing_file(path, text)
        stored = str(path)
        if len(stored) > MAX_URL:
            raise InputError(f"the path is longer than {MAX_URL} characters", field="url")
        return stored, path.stem
    if any(ch.isspace() for ch in text):
        raise InputError(f"{text!r} is not a URL: it contains spaces", field="url")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError(f"{text!r} is not a valid URL", field="url") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise InputError(f"{text!r} has no host name", field="url")
        return text, parts.hostname
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise InputError(f"{text!r} is not a local file URL (file:///path)", field="url")
        path = Path(url2pathname(parts.path))
        _existing_file(path, str(path))
        return text, path.stem
    raise InputError(
        f"{text!r} is not a feed address: use http(s)://, file:// or a file path", field="url"
    )


#: how long a feed's name may be (its column's length)


def feed_addresses(stored_url: str) -> list[str]:
    """Every way a feed's address could have been stored: a local file as its path and as
    its ``file://`` URLs (one file, one feed), a web address as itself."""
    if "://" in stored_url and not stored_url.lower().startswith("file://"):
        return [stored_url]
    path = (
        Path(url2pathname(urlsplit(stored_url).path))
        if stored_url.lower().startswith("file://")
        else Path(stored_url)
    )
    uri = path.as_uri()
    return [stored_url, str(path), uri, uri.replace("file://", "file://localhost", 1)]


def _poll_field(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POLL_MINUTES:
        raise InputError(
            f"poll every 1 to {MAX_POLL_MINUTES} minutes (got {value!r})", field="poll_minutes"
        )
    return value


def _feed_select() -> Select[tuple[Feed, str | None, OutletType | None, str | None, str | None]]:
    return (
        select(Feed, Outlet.name, Outlet.type, Outlet.language, Topic.name)
        .outerjoin(Outlet, Feed.outlet_id == Outlet.id)
        .outerjoin(Topic, Feed.topic_id == Topic.id)
    )


def resolve_topic_id(session: Session, name: str | None, *, field: str = "topic") -> int | None:
    """The id of the topic with this name (any case) or id; None for empty."""
    text = line_text(name, field=field, max_length=200)
    if not text:
        return None
    query = select(Topic.id).where(func.lower(Topic.name) == text.lower())
    found = session.scalar(query.limit(1))
    if found is None and text.isdigit():
        found = session.scalar(select(Topic.id).where(Topic.id == int(text)))
    if found is None:
        raise InputError(f"no topic {text!r} (see deskterm topics list)", field=field)
    return found


def _load(session: Session, feed_id: int) -> FeedRecord:
    found = session.execute(_feed_select().where(Feed.id == feed_id)).one_or_none()
    if found is None:
        raise NotFoundError("feeds", feed_id)
    return feed_record(*found)


def add_feed(
    db: Database,
    *,
    url: str,
    name: str | None = None,
    outlet: str | None = None,
    poll_minutes: int = 10,
    topic: str | None = None,
) -> FeedRecord:
    """Register a feed. ``name`` defaults to the URL's host or the file's stem; ``outlet``
    and ``topic`` name existing records."""
    stored_url, default_name = normalize_feed_url(url)
    name = (
        line_text(name, field="name", label="a feed's name", max_length=FEED_NAME_MAX)
        or default_name
    )
    outlet_name = line_text(outlet, field="outlet", max_length=200)
    poll_minutes = _poll_field(poll_minutes)
    with db.transaction() as session:
        taken = session.scalar(select(Feed.name).where(Feed.url.in_(feed_addresses(stored_url))))
        if taken is not None:
            raise InputError(f"that feed is already on the desk as {taken!r}", field="url")
        row = Feed(
            name=name,
            url=stored_url,
            outlet_id=resolve_outlet_id(session, outlet_name),
            topic_id=resolve_topic_id(session, topic),
            poll_minutes=poll_minutes,
        )
        session.add(row)
        session.flush()
        return _load(session, row.id)


def get_feed(db: Database, feed_id: int) -> FeedRecord:
    with db.read() as session:
        return _load(session, feed_id)


def list_feeds(db: Database, *, limit: int = 500) -> list[FeedRecord]:
    """Feeds by name (the first ``limit``), with their outlet's and topic's names."""
    limit = list_limit(limit)
    with db.read() as session:
        rows = session.execute(_feed_select().order_by(Feed.name, Feed.id).limit(limit))
        return [feed_record(*row) for row in rows]


def set_feed_enabled(db: Database, feed_id: int, enabled: bool) -> FeedRecord:
    """Stop fetching a feed (its clips stay) or start again. An idempotent switch."""
    with db.transaction() as session:
        row = session.get(Feed, feed_id)
        if row is None:
            raise NotFoundError("feeds", feed_id)
        if row.enabled != enabled:
            row.enabled = enabled
            if enabled:
                row.next_fetch_at = None  # due at the next run
            session.flush()
        return _load(session, feed_id)


@dataclass(frozen=True)
class FeedRemoval:
    """What removing a feed did with its clips."""

    deleted: int  # clips only this feed carried, deleted with it
    handed_over: int  # clips another feed also carries: now that feed's, with their state


def remove_feed(
    db: Database, feed_id: int, *, base_version: int | None = None, delete_clips: bool = False
) -> FeedRemoval:
    """Delete a feed.

    A story another feed also carries (that feed's entry with the same link was dropped as
    a copy: ``FeedCopy``) is not the feed's alone: its clip is handed over to that feed,
    with whatever the desk did with it (read, flagged, assigned, linked). The clips only
    this feed carried belong to it, so a feed that has any is only removed with
    ``delete_clips=True``; ``set_feed_enabled(False)`` keeps them. A syndicated story
    whose original is deleted keeps its other copies grouped under the earliest of them.
    With ``base_version``, refuse (ConflictError) if someone changed the feed since.
    """
    with db.transaction() as session:
        if base_version is not None:
            row = load_for_update(session, Feed, feed_id, base_version)
        else:
            row = session.get(Feed, feed_id)
            if row is None:
                raise NotFoundError("feeds", feed_id)
        heirs = _heirs(session, feed_id)
        own = select(Clip.id).where(Clip.feed_id == feed_id, Clip.id.not_in(list(heirs)))
        count = int(session.scalar(select(func.count()).select_from(own.subquery())) or 0)
        if count and not delete_clips:
            worked = _worked_on(session, own)
            kept = f" ({len(heirs)} more stay with other feeds that carry them)" if heirs else ""
            raise InputError(
                f"feed {feed_id} ({row.name}) has {count} clip{'s' if count != 1 else ''}"
                + kept
                + (f", {worked} of them flagged, assigned, marked or linked" if worked else "")
                + ": remove it with its clips (--delete-clips) or disable it to keep them",
                field="feed",
            )
        _hand_over(session, heirs)
        if count:
            doomed = select(Clip.id).where(Clip.feed_id == feed_id).scalar_subquery()
            _regroup_stories(session, feed_id, doomed)
            # links have no foreign key (they join four kinds of record): none may dangle
            dangling = either_end(EntityType.CLIP, lambda end: end.in_(doomed))
            session.execute(delete(Link).where(dangling))
            session.execute(delete(Clip).where(Clip.feed_id == feed_id))
            record(session, "clips", None, AuditAction.DELETE, {"feed_id": feed_id, "count": count})
        session.delete(row)
        session.flush()
        return FeedRemoval(deleted=count, handed_over=len(heirs))


@dataclass(frozen=True)
class _Heir:
    feed_id: int
    guid: str  # that feed's entry for the story
    outlet_id: int | None


def _heirs(session: Session, feed_id: int) -> dict[int, _Heir]:
    """The feed's clips that another feed also carries, each with the feed to take it: the
    one that carried it last (then the lowest id). A copy whose GUID is already one of
    that feed's clips cannot become the clip (GUIDs are unique within a feed)."""
    theirs = aliased(Clip)
    rows = session.execute(
        select(Clip.id, FeedCopy.feed_id, FeedCopy.guid, Feed.outlet_id)
        .join(FeedCopy, FeedCopy.url == Clip.url)
        .join(Feed, Feed.id == FeedCopy.feed_id)
        .where(Clip.feed_id == feed_id, FeedCopy.feed_id != feed_id)
        .where(
            ~select(theirs.id)
            .where(theirs.feed_id == FeedCopy.feed_id, theirs.guid == FeedCopy.guid)
            .exists()
        )
        .order_by(Clip.id, FeedCopy.seen_at.desc(), FeedCopy.feed_id)
    )
    heirs: dict[int, _Heir] = {}
    claimed: set[tuple[int, str]] = set()  # one feed entry becomes at most one clip
    for clip_id, other, guid, outlet_id in rows:
        if clip_id not in heirs and (other, guid) not in claimed:
            heirs[clip_id] = _Heir(other, guid, outlet_id)
            claimed.add((other, guid))
    return heirs


def _hand_over(session: Session, heirs: dict[int, _Heir]) -> None:
    """Make each clip its heir feed's, as if stored from that feed's entry (an edit: the
    clip's version moves on and the audit log has it); the entry is no longer a copy."""
    for clip_id, heir in heirs.items():
        clip = session.get(Clip, clip_id)
        assert clip is not None  # read in this transaction
        clip.feed_id = heir.feed_id
        clip.guid = heir.guid
        if heir.outlet_id is not None:
            clip.outlet_id = heir.outlet_id
        session.execute(
            delete(FeedCopy).where(FeedCopy.feed_id == heir.feed_id, FeedCopy.guid == heir.guid)
        )
    session.flush()


def _regroup_stories(session: Session, feed_id: int, doomed: ScalarSelect[int]) -> None:
    """Syndicated copies (other feeds' clips) of a story whose original is about to be
    deleted: the earliest becomes the original, the others its copies (deleting the
    original would otherwise leave each copy a story of its own)."""
    members = session.execute(
        select(Clip.story_id, Clip.id)
        .where(Clip.story_id.in_(doomed), Clip.feed_id != feed_id)
        .order_by(Clip.story_id, Clip.id)
    ).all()
    roots: dict[int, int] = {}  # old root -> new root
    for old_root, clip_id in members:
        roots.setdefault(old_root, clip_id)
    if not roots:
        return
    for old_root, new_root in roots.items():
        session.execute(update(Clip).where(Clip.id == new_root).values(story_id=None))
        session.execute(
            update(Clip)
            .where(Clip.story_id == old_root, Clip.id != new_root)
            .values(story_id=new_root)
        )
    record(
        session,
        "clips",
        None,
        AuditAction.UPDATE,
        {"story_roots": ",".join(f"{old}>{new}" for old, new in roots.items())},
    )


def _worked_on(session: Session, clips: Select[tuple[int]]) -> int:
    """How many of ``clips`` the desk has done something with (flagged, assigned, marked
    as needing a correction, linked to a request, task or event): what removing the feed
    with its clips would throw away."""
    linked = select(Link.id).where(either_end(EntityType.CLIP, lambda end: end == Clip.id))
    return int(
        session.scalar(
            select(func.count())
            .select_from(Clip)
            .where(
                Clip.id.in_(clips),
                or_(
                    Clip.flagged == true(),
                    Clip.needs_correction == true(),
                    Clip.assignee_id.is_not(None),
                    linked.exists(),
                ),
            )
        )
        or 0
    )


def _stale_after(poll_minutes: int) -> timedelta:
    return max(STALE_MIN, timedelta(minutes=poll_minutes * STALE_INTERVALS))


def _ago(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def _health(record: FeedRecord, now: datetime) -> FeedHealth | None:
    if record.consecutive_errors > 0 or record.last_status == "error":
        times = f"{record.consecutive_errors} time{'s' if record.consecutive_errors != 1 else ''}"
        problem, detail = "failing", f"{record.last_error or 'failed'} ({times} in a row)"
    elif record.last_fetch_at is None:
        problem, detail = "stale", "never fetched"
    elif now - record.last_fetch_at > _stale_after(record.poll_minutes):
        problem = "stale"
        detail = f"not fetched for {_ago(record.last_fetch_at, now)}"
    elif record.warning:
        problem, detail = "warning", record.warning
    else:
        return None
    return FeedHealth(**{**record.__dict__, "problem": problem, "detail": detail})


def feed_health(db: Database, *, now: datetime | None = None, limit: int = 500) -> list[FeedHealth]:
    """The enabled feeds that need a look: failing ones first (most errors first), then
    stale ones (never fetched, or not for ``STALE_INTERVALS`` poll intervals and at least
    ``STALE_MIN``), then ones whose last parse left a warning."""
    limit = list_limit(limit)
    now = now or utcnow()
    query = (
        _feed_select()
        .where(Feed.enabled == true())
        .where(
            or_(
                Feed.consecutive_errors > 0,
                Feed.last_status == "error",
                Feed.last_fetch_at.is_(None),
                Feed.last_fetch_at < now - STALE_MIN,
                Feed.warning != "",
            )
        )
        .order_by(Feed.consecutive_errors.desc(), Feed.name, Feed.id)
        .limit(limit)
    )
    found: list[FeedHealth] = []
    with db.read() as session:
        for row in session.execute(query):
            health = _health(feed_record(*row), now)
            if health is not None:
                found.append(health)
    order = {"failing": 0, "stale": 1, "warning": 2}
    found.sort(key=lambda h: (order[h.problem], -h.consecutive_errors, h.name.lower(), h.id))
    return found
