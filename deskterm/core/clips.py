"""Clips: the stories the desk's feeds bring in, and the read/unread state of the office.

The base the dashboard needs: store a clip, list a window of them newest first, mark
one read, count unread. Fetching, full-text search, topics and de-duplication come with
the ingest pipeline. ``clip_text.plain_text`` turns feed HTML into one line of safe text.

The records and the reads News paints with (``list_clips``, ``count_unread``,
``topics_of``) are plain SQL in ``clip_records`` (no SQLAlchemy) and re-exported here; the
writes below go through the ORM and its audit hooks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.enums import OutletType
from db.errors import NotFoundError
from db.models import Clip, Feed, Outlet, Staff
from db.versioning import load_for_update
from deskterm.core.clip_records import ClipRecord as ClipRecord
from deskterm.core.clip_records import ClipTopicMatch as ClipTopicMatch
from deskterm.core.clip_records import clip_record as clip_record
from deskterm.core.clip_records import count_unread as count_unread
from deskterm.core.clip_records import list_clips as list_clips
from deskterm.core.clip_records import matched_terms as matched_terms
from deskterm.core.clip_records import topics_of as topics_of
from deskterm.core.clip_text import clean_line, truncate
from deskterm.core.errors import InputError
from deskterm.core.fields import aware, boolean, free_text, language_tag, web_url
from deskterm.core.staff import resolve_staff_id

# --- records (their classes and the reads without SQLAlchemy: clip_records.py) ---------------


def _clip_select() -> Select[tuple[Clip, str, str | None, OutletType | None, str | None]]:
    """Clips with their feed, outlet and assignee labels: one query, no lazy loads."""
    return (
        select(Clip, Feed.name, Outlet.name, Outlet.type, Staff.initials)
        .join(Feed, Clip.feed_id == Feed.id)
        .outerjoin(Outlet, Clip.outlet_id == Outlet.id)
        .outerjoin(Staff, Clip.assignee_id == Staff.id)
    )


def _load_clip(session: Session, clip_id: int) -> ClipRecord:
    found = session.execute(_clip_select().where(Clip.id == clip_id)).one_or_none()
    if found is None:
        raise NotFoundError("clips", clip_id)
    return clip_record(*found)


# --- operations -------------------------------------------------------------------------------


def add_clip(
    db: Database,
    *,
    feed_id: int,
    guid: str,
    title: str,
    url: str | None,
    summary: str = "",
    author: str = "",
    published_at: datetime,
    language: str | None = None,
) -> ClipRecord | None:
    """Store a story from a feed; None if the feed already has this ``guid``.

    Title, summary and author are stored as one line each without control characters
    (pass HTML through ``plain_text`` first). A link that is not http(s) and a language
    tag that is not one are dropped rather than refused: they come from outside.
    """
    guid = (guid or "").strip()
    if not guid:
        raise InputError("a clip needs a guid", field="guid")
    if len(guid) > 2000:
        raise InputError("guid is longer than 2000 characters", field="guid")
    title = clean_line(title or "")
    if not title:
        raise InputError("a clip needs a title", field="title")
    published_at = aware(published_at, field="published_at")
    # Feed data comes from outside: a bad link or language tag is dropped, not refused.
    try:
        url = web_url(url, field="url")
    except InputError:
        url = None
    try:
        language = language_tag(language)
    except InputError:
        language = None
    with db.transaction() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise InputError(f"feed {feed_id} does not exist", field="feed_id")
        duplicate = session.scalar(
            select(Clip.id).where(Clip.feed_id == feed_id, Clip.guid == guid)
        )
        if duplicate is not None:
            return None
        row = Clip(
            feed_id=feed_id,
            outlet_id=feed.outlet_id,
            guid=guid,
            url=url,
            title=title,
            summary=clean_line(summary or ""),
            author=truncate(clean_line(author or ""), 500) if author else "",
            language=language,
            published_at=published_at,
        )
        session.add(row)
        session.flush()
        return _load_clip(session, row.id)


def set_read(db: Database, clip_id: int, read: bool = True) -> ClipRecord:
    """Mark a clip read (or unread) for the whole office.

    An idempotent flag, so no ``base_version``; audited like any write. Setting the value
    it already has changes nothing (no audit row, no new version).
    """
    with db.transaction() as session:
        row = session.get(Clip, clip_id)
        if row is None:
            raise NotFoundError("clips", clip_id)
        if row.is_read != read:
            row.is_read = read
            session.flush()
        return _load_clip(session, clip_id)


def get_clip(db: Database, clip_id: int) -> ClipRecord:
    """One clip as it is now (NotFoundError if it was deleted)."""
    with db.read() as session:
        return _load_clip(session, clip_id)


# --- triage ---------------------------------------------------------------------------------
#
# Read, flagged and hidden are idempotent flags: the desk sets the value the user asked for
# (no base_version), so two desks flagging the same clip both land and agree. Who handles a
# clip and the correction note are edits: they carry the version the desk showed and a
# stale save raises ConflictError. Every change is audited by the ORM flush hooks.

CORRECTION_NOTE_MAX = 2000


def _set_flag(
    db: Database, clip_id: int, name: str, value: bool, now: datetime | None = None
) -> ClipRecord:
    value = boolean(value, field=name)
    with db.transaction() as session:
        row = session.get(Clip, clip_id)
        if row is None:
            raise NotFoundError("clips", clip_id)
        if getattr(row, name) != value:
            setattr(row, name, value)
            if name == "flagged":  # the clip report of the day it is flagged lists it
                row.flagged_at = (now or utcnow()) if value else None
            session.flush()
        return _load_clip(session, clip_id)


def set_flagged(
    db: Database, clip_id: int, flagged: bool = True, *, now: datetime | None = None
) -> ClipRecord:
    """Flag a clip for the daily clip report (or take the flag off). The report of the day
    it is flagged (``now``, default the clock) lists it, whenever it was published: last
    night's stories flagged at 7 a.m. are in the morning's report."""
    return _set_flag(db, clip_id, "flagged", flagged, now)


def set_hidden(db: Database, clip_id: int, hidden: bool = True) -> ClipRecord:
    """Hide a clip from the desk's lists (or show it again); nothing is deleted."""
    return _set_flag(db, clip_id, "hidden", hidden)


def assign_clip(db: Database, clip_id: int, base_version: int, assignee: str | None) -> ClipRecord:
    """Give a clip to a staff member (initials; None or "" for nobody)."""
    assignee = (assignee or "").strip() or None
    with db.transaction() as session:
        staff_id = resolve_staff_id(session, assignee, field="assignee")
        row = load_for_update(session, Clip, clip_id, base_version)
        if row.assignee_id != staff_id:
            row.assignee_id = staff_id
            session.flush()
        return _load_clip(session, clip_id)


def mark_correction(db: Database, clip_id: int, base_version: int, note: str) -> ClipRecord:
    """Mark a clip as needing a correction, with the factual error to answer."""
    note = free_text(note, field="note", max_length=CORRECTION_NOTE_MAX)
    if not note:
        raise InputError("say what is wrong in the story (the error to answer)", field="note")
    with db.transaction() as session:
        row = load_for_update(session, Clip, clip_id, base_version)
        if not row.needs_correction or row.correction_note != note:
            row.needs_correction = True
            row.correction_note = note
            session.flush()
        return _load_clip(session, clip_id)


def clear_correction(db: Database, clip_id: int, base_version: int) -> ClipRecord:
    """The correction was answered (or was not needed): clear the mark and its note."""
    with db.transaction() as session:
        row = load_for_update(session, Clip, clip_id, base_version)
        if row.needs_correction or row.correction_note:
            row.needs_correction = False
            row.correction_note = ""
            session.flush()
        return _load_clip(session, clip_id)
