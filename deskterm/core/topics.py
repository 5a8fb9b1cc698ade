"""Topics: the mayor's priorities as watch rules that tag matching clips.

A topic has a query in the language of ``topic_query`` (AND, OR, NOT, "phrases", prefix*),
a priority (1 = highest, up to 5) and optional limits to outlet types and languages.
Ingest calls ``compile_topics`` once per fetch and ``CompiledTopic.match`` per new clip;
when a topic is added or its rule changes, the caller runs ``rematch_topic`` (in a worker:
it reads recent clips in batches and writes each batch in its own short transaction).

Adding, updating and removing a topic do not re-match by themselves, so that a form's save
stays one short transaction: call ``rematch_topic`` after ``add_topic``, and after
``update_topic`` when a field in ``MATCH_FIELDS`` changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from db import audit
from db.base import utcnow
from db.engine import Database
from db.enums import AuditAction, OutletType
from db.errors import NotFoundError
from db.models import Clip, ClipTopic, Outlet, Topic
from db.versioning import load_for_update, update_versioned
from deskterm.core.contacts import parse_outlet_type
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware,
    boolean,
    join_list,
    language_tag,
    line_text,
    list_limit,
    split_list,
)
from deskterm.core.topic_match import (
    CompiledTopic,
    TopicRecord,
    _Documents,
    encode_terms,
)
from deskterm.core.topic_query import MAX_QUERY_LENGTH, parse_query

MIN_PRIORITY, MAX_PRIORITY = 1, 5
NAME_MAX = 200
#: How far back a re-match looks by default (clips published in the last 30 days).
REMATCH_DAYS = 30
#: Clips per re-match batch: one read, then (if anything changed) one short write.
REMATCH_BATCH = 500
#: Matches deleted per transaction when a topic is removed.
REMOVE_BATCH = 5000
#: Changing one of these fields changes which clips match: re-match afterwards.
MATCH_FIELDS = frozenset({"query", "outlet_types", "languages", "enabled"})
EDITABLE = frozenset({"name", "priority"}) | MATCH_FIELDS


def topic_record(row: Topic) -> TopicRecord:
    return TopicRecord(
        row.id,
        row.name,
        row.query,
        row.priority,
        split_list(row.outlet_types),
        split_list(row.languages),
        row.enabled,
        row.version,
        row.created_at,
        row.updated_at,
    )


# --- validation -------------------------------------------------------------------------------


def _name(value: object) -> str:
    return line_text(
        value, field="name", label="a topic's name", max_length=NAME_MAX, required=True
    )


def _query(value: object) -> str:
    text = line_text(
        value, field="query", label="the match rule", max_length=MAX_QUERY_LENGTH, required=True
    )
    parse_query(text, field="query")
    return text


def _priority(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"priority must be a whole number, not {value!r}", field="priority")
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise InputError(
            f"priority runs from {MIN_PRIORITY} (highest) to {MAX_PRIORITY}, not {value}",
            field="priority",
        )
    return value


def _items(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part) for part in value if str(part).strip()]
    raise InputError(f"{field.replace('_', ' ')} must be a list, not {value!r}", field=field)


def _outlet_types(value: object) -> str:
    types: list[str] = []
    for item in _items(value, "outlet_types"):
        try:
            types.append(parse_outlet_type(item.strip()).value)
        except InputError as error:
            raise InputError(str(error), field="outlet_types") from None
    return join_list(types, field="outlet_types", max_length=200)


def _languages(value: object) -> str:
    tags = [language_tag(item, field="languages") for item in _items(value, "languages")]
    return join_list(tags, field="languages", max_length=200)


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "query": _query,
    "priority": _priority,
    "outlet_types": _outlet_types,
    "languages": _languages,
    "enabled": lambda value: boolean(value, field="enabled"),
}


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise InputError(f"a topic has no field {unknown[0]!r}", field=unknown[0])
    return {key: _CLEANERS[key](value) for key, value in changes.items()}


def _name_taken(session: Session, name: str, *, other_than: int | None = None) -> str | None:
    query = select(Topic.name).where(func.lower(Topic.name) == name.lower())
    if other_than is not None:
        query = query.where(Topic.id != other_than)
    return session.scalar(query.limit(1))


# --- operations -------------------------------------------------------------------------------


def add_topic(
    db: Database,
    *,
    name: str,
    query: str,
    priority: int = 2,
    outlet_types: Sequence[OutletType | str] | str = (),
    languages: Sequence[str] | str = (),
    enabled: bool = True,
) -> TopicRecord:
    """Add a topic (then run ``rematch_topic`` to tag recent clips)."""
    clean = _clean(
        {
            "name": name,
            "query": query,
            "priority": priority,
            "outlet_types": outlet_types,
            "languages": languages,
            "enabled": enabled,
        }
    )
    with db.transaction() as session:
        taken = _name_taken(session, clean["name"])
        if taken is not None:
            raise InputError(f"there is already a topic named {taken!r}", field="name")
        row = Topic(**clean)
        session.add(row)
        session.flush()
        return topic_record(row)


def get_topic(db: Database, topic_id: int) -> TopicRecord:
    with db.read() as session:
        row = session.get(Topic, topic_id)
        if row is None:
            raise NotFoundError("topics", topic_id)
        return topic_record(row)


def find_topic(db: Database, id_or_name: str | int) -> TopicRecord:
    """A topic by id (digits) or by name (any case); InputError if there is none."""
    text = str(id_or_name).strip()
    with db.read() as session:
        if text.isdigit():
            row = session.get(Topic, int(text))
        else:
            row = session.scalar(select(Topic).where(func.lower(Topic.name) == text.lower()))
        if row is None:
            raise InputError(f"no topic {text!r} (see deskterm topics list)", field="topic")
        return topic_record(row)


def list_topics(db: Database, *, limit: int = 1000) -> list[TopicRecord]:
    """Topics by priority (highest first), then name."""
    limit = list_limit(limit)
    with db.read() as session:
        rows = session.scalars(select(Topic).order_by(Topic.priority, Topic.name).limit(limit))
        return [topic_record(row) for row in rows]


def match_counts(db: Database, *, since: datetime | None = None) -> dict[int, int]:
    """How many clips each topic tags (published at or after ``since``, if given)."""
    query = select(ClipTopic.topic_id, func.count()).group_by(ClipTopic.topic_id)
    if since is not None:
        query = query.join(Clip, Clip.id == ClipTopic.clip_id).where(
            Clip.published_at >= aware(since, field="since")
        )
    with db.read() as session:
        return {topic_id: int(count) for topic_id, count in session.execute(query)}


def update_topic(db: Database, topic_id: int, base_version: int, **changes: Any) -> TopicRecord:
    """Change a topic loaded at ``base_version`` (ConflictError if someone saved since).

    Fields: name, query, priority, outlet_types, languages, enabled. Re-match afterwards
    when a field in ``MATCH_FIELDS`` changed.
    """
    clean = _clean(changes)
    with db.transaction() as session:
        if "name" in clean:
            taken = _name_taken(session, clean["name"], other_than=topic_id)
            if taken is not None:
                raise InputError(f"there is already a topic named {taken!r}", field="name")
        row = update_versioned(session, Topic, topic_id, base_version, **clean)
        return topic_record(row)


def remove_topic(db: Database, topic_id: int, base_version: int | None = None) -> None:
    """Delete a topic and its matches (clips stay). With ``base_version``, refuse
    (ConflictError) if someone changed the topic since it was loaded.

    The matches go ``REMOVE_BATCH`` per short transaction, so a topic tagging many clips
    never holds the write lock for long; then the topic itself. The first transaction turns
    the topic off (a new version, audited), so from then on another desk's save of the
    version it loaded is refused as a conflict instead of landing in the middle of the
    removal and leaving its topic without part of its tags; ingest stops tagging with it at
    once. Every later transaction checks that version: only a save made on top of the
    turned-off topic (a desk's "apply mine" after that conflict) stops the removal; that
    topic stays, off unless that save turned it on (turning it on re-matches recent clips).
    """
    with db.read() as session:
        _current(session, topic_id, base_version)  # before the write lock: refused at once
    with db.transaction() as session:
        row = _current(session, topic_id, base_version)
        row.enabled = False
        row.updated_at = utcnow()  # an UPDATE, so a new version, even if it was off already
        session.flush()
        retired = row.version
    while True:
        with db.transaction() as session:
            _current(session, topic_id, retired)
            ids = session.scalars(
                select(ClipTopic.clip_id).where(ClipTopic.topic_id == topic_id).limit(REMOVE_BATCH)
            ).all()
            if not ids:
                break
            session.execute(
                delete(ClipTopic).where(ClipTopic.topic_id == topic_id, ClipTopic.clip_id.in_(ids))
            )
            audit.record(
                session, "clip_topics", topic_id, AuditAction.DELETE, {"removed": len(ids)}
            )
    with db.transaction() as session:
        session.delete(_current(session, topic_id, retired))
        session.flush()


def _current(session: Session, topic_id: int, version: int | None) -> Topic:
    """The topic, checked to be at ``version`` (any version when None)."""
    if version is not None:
        return load_for_update(session, Topic, topic_id, version)
    row = session.get(Topic, topic_id)
    if row is None:
        raise NotFoundError("topics", topic_id)
    return row


# --- matching ---------------------------------------------------------------------------------


def compile_topics(session: Session) -> list[CompiledTopic]:
    """The enabled topics, compiled, highest priority first. A stored rule that no longer
    parses (written by another version) is skipped rather than stopping ingest."""
    documents = _Documents()
    compiled: list[CompiledTopic] = []
    for row in session.scalars(
        select(Topic).where(Topic.enabled.is_(True)).order_by(Topic.priority, Topic.name)
    ):
        try:
            compiled.append(CompiledTopic(topic_record(row), documents))
        except InputError:
            continue
    return compiled


# --- re-matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RematchResult:
    topic_id: int
    scanned: int  # clips looked at
    matched: int  # of those, how many the topic now tags
    added: int
    removed: int
    changed: int  # still tagged, with other matched terms
    interrupted: bool  # the topic changed or was removed meanwhile: that edit re-matches


Progress = Callable[[int, int], None]


def rematch_topic(
    db: Database,
    topic_id: int,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    batch: int = REMATCH_BATCH,
    progress: Progress | None = None,
) -> RematchResult:
    """Match the topic's current rule against clips published since ``since`` (default
    ``REMATCH_DAYS`` ago), newest first, adding and removing its tags.

    Each batch is read, matched in Python, then written in its own short transaction that
    first checks the topic is still the version that was matched (if another desk changed
    or removed it meanwhile, this stops: that desk's own re-match takes over).
    ``progress(done, total)`` is called after each batch.
    """
    now = now or utcnow()
    since = aware(since, field="since") if since is not None else now - timedelta(days=REMATCH_DAYS)
    batch = list_limit(batch, field="batch", maximum=10_000)
    with db.read() as session:
        row = session.get(Topic, topic_id)
        if row is None:
            raise NotFoundError("topics", topic_id)
        record = topic_record(row)
        total = int(
            session.scalar(select(func.count()).select_from(Clip).where(Clip.published_at >= since))
            or 0
        )
    compiled = CompiledTopic(record) if record.enabled else None
    scanned = matched = added = removed = changed = 0
    cursor: tuple[datetime, int] | None = None
    while True:
        rows = _rematch_window(db, topic_id, since, cursor, batch)
        if not rows:
            break
        inserts: list[dict[str, Any]] = []
        deletes: list[int] = []
        for clip_id, _published, title, summary, outlet, outlet_type, language, stored in rows:
            terms = (
                compiled.match(title, summary, outlet, outlet_type, language) if compiled else ()
            )
            wanted = encode_terms(terms) if terms else None
            matched += wanted is not None
            if wanted == stored:
                continue
            if stored is not None:
                deletes.append(clip_id)
            if wanted is not None:
                inserts.append({"b_clip": clip_id, "b_terms": wanted})
            if stored is None:
                added += 1
            elif wanted is None:
                removed += 1
            else:
                changed += 1
        if (inserts or deletes) and not _write_batch(db, record, inserts, deletes):
            return RematchResult(topic_id, scanned, matched, added, removed, changed, True)
        scanned += len(rows)
        if progress is not None:
            progress(scanned, max(total, scanned))
        if len(rows) < batch:
            break
        cursor = (rows[-1][1], rows[-1][0])
    return RematchResult(topic_id, scanned, matched, added, removed, changed, False)


def _rematch_window(
    db: Database, topic_id: int, since: datetime, cursor: tuple[datetime, int] | None, size: int
) -> list[Any]:
    """One batch of clips (newest first by published_at, id) with the topic's stored terms."""
    query = (
        select(
            Clip.id,
            Clip.published_at,
            Clip.title,
            Clip.summary,
            Outlet.name,
            Outlet.type,
            func.coalesce(Clip.language, Outlet.language),
            ClipTopic.matched_terms,
        )
        .outerjoin(Outlet, Clip.outlet_id == Outlet.id)
        .outerjoin(ClipTopic, and_(ClipTopic.clip_id == Clip.id, ClipTopic.topic_id == topic_id))
        .where(Clip.published_at >= since)
    )
    if cursor is not None:
        query = query.where(
            tuple_(Clip.published_at, Clip.id)
            < tuple_(literal(cursor[0], Clip.published_at.type), literal(int(cursor[1])))
        )
    query = query.order_by(Clip.published_at.desc(), Clip.id.desc()).limit(size)
    with db.read() as session:
        return list(session.execute(query))


def _write_batch(
    db: Database, record: TopicRecord, inserts: list[dict[str, Any]], deletes: list[int]
) -> bool:
    """Apply one batch; False (nothing written) if the topic changed since it was matched."""
    with db.transaction() as session:
        version = session.scalar(select(Topic.version).where(Topic.id == record.id))
        if version != record.version:
            return False
        # Every clip whose tag changes loses its old row first (also a row ingest added
        # meanwhile). INSERT ... SELECT skips a clip deleted since the batch was read.
        session.execute(
            delete(ClipTopic).where(
                ClipTopic.topic_id == record.id,
                ClipTopic.clip_id.in_([*deletes, *(item["b_clip"] for item in inserts)]),
            )
        )
        if inserts:
            session.connection().execute(
                insert(ClipTopic.__table__).from_select(
                    ["clip_id", "topic_id", "matched_terms"],
                    select(Clip.id, literal(record.id), bindparam("b_terms")).where(
                        Clip.id == bindparam("b_clip")
                    ),
                ),
                inserts,
            )
        audit.record(
            session,
            "clip_topics",
            record.id,
            AuditAction.UPDATE,
            {
                "tagged": len(inserts),
                "untagged": len(set(deletes) - {i["b_clip"] for i in inserts}),
                "clips": ",".join(
                    str(i) for i in sorted({*deletes, *(i["b_clip"] for i in inserts)})
                ),
            },
        )
    return True
