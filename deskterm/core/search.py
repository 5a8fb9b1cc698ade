"""Full-text search over clips: the one place that knows how the database searches.

On SQLite the query (``topic_query`` syntax) becomes an FTS5 MATCH on ``clips_fts`` (see
migration 0002): title, summary and the outlet. The outlet is indexed by id, so a typed word
is also looked up in the (small) outlets table and becomes ``outlet_id : "7"`` for each
outlet whose name matches; renaming an outlet therefore never touches the index.

- Newest first (the default) walks the index by rowid (= clip id, the order the desk got the
  clips) downwards and stops after ``limit`` rows: ``ORDER BY rowid DESC LIMIT n``. Page with
  ``before_id`` (the last id shown).
- ``ranked`` orders by bm25 (title weighs most) within the newest ``RANK_WINDOW`` clips:
  ranking every match of a common word in a million clips costs up to a second.

Other databases (PostgreSQL) get a portable fallback: each term is a case-insensitive
substring test on title, summary and outlet name, newest first, no ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Clip, Feed, Outlet, Staff
from deskterm.core.clip_filters import ClipState, filter_conditions
from deskterm.core.clips import ClipRecord, clip_record
from deskterm.core.errors import InputError
from deskterm.core.fields import list_limit
from deskterm.core.topic_query import (
    And,
    Matcher,
    Not,
    Or,
    QueryNode,
    Term,
    document,
    parse_query,
    terms_of,
    to_fts,
)

#: Ranked search looks at the newest RANK_WINDOW clips (about five weeks at 1M a year) and,
#: within them, ranks the newest RANK_CANDIDATES matches: bm25 costs a few microseconds per
#: row, and a word found in every clip would otherwise be scored 100,000 times.
RANK_WINDOW = 100_000
RANK_CANDIDATES = 5_000
TEXT_COLUMNS = ("title", "summary")
OUTLET_COLUMN = "outlet_id"
MAX_OUTLETS = 10_000

_FTS = sql_table("clips_fts", column("rowid", Integer), column("rank"))
_CLIPS = Clip.__table__
_MATCH = literal_column("clips_fts").op("MATCH")


def _record_select() -> Select[Any]:
    """The columns ``clips.clip_record`` reads, as plain rows (Core, no ORM identity map:
    a window of 50 records costs a fraction of loading 50 ORM objects)."""
    feed, outlet, staff = Feed.__table__, Outlet.__table__, Staff.__table__
    return (
        select(
            *_CLIPS.c,
            feed.c.name.label("feed_name"),
            outlet.c.name.label("outlet_name"),
            outlet.c.type.label("outlet_type"),
            staff.c.initials.label("assignee_initials"),
        )
        .select_from(_CLIPS)
        .join(feed, _CLIPS.c.feed_id == feed.c.id)
        .outerjoin(outlet, _CLIPS.c.outlet_id == outlet.c.id)
        .outerjoin(staff, _CLIPS.c.assignee_id == staff.c.id)
    )


def _records(session: Session, statement: Select[Any]) -> list[ClipRecord]:
    return [
        clip_record(row, row.feed_name, row.outlet_name, row.outlet_type, row.assignee_initials)
        for row in session.connection().execute(statement)
    ]


def search_clips(
    db: Database,
    query: str,
    *,
    ranked: bool = False,
    limit: int = 50,
    before_id: int | None = None,
    since: datetime | None = None,
    state: ClipState | str = ClipState.ALL,
    topic_id: int | None = None,
) -> list[ClipRecord]:
    """Clips matching ``query`` (InputError if it cannot be read), newest first or by
    relevance. ``state``, ``since`` and ``topic_id`` narrow the result like ``clips list``;
    by default hidden clips are found too (the caller decides whether to show them)."""
    node = parse_query(query)
    limit = list_limit(limit)
    if ranked and before_id is not None:
        raise InputError("a ranked search has no next page (before_id)", field="before_id")
    conditions = filter_conditions(state=state, since=since, topic_id=topic_id)
    with db.read() as session:
        if not _use_fts(db):
            return _fallback(session, node, conditions, limit, before_id)
        match = _MATCH(fts_expression(session, node))
        rowid = _FTS.c.rowid
        if ranked:
            newest = session.connection().execute(select(func.max(_CLIPS.c.id))).scalar() or 0
            candidates = (
                select(rowid.label("clip_id"), _FTS.c.rank.label("score"))
                .select_from(_FTS.join(_CLIPS, _CLIPS.c.id == rowid))
                .where(match, rowid > newest - RANK_WINDOW, *conditions)
                .order_by(rowid.desc())
                .limit(RANK_CANDIDATES)
                .subquery("candidates")
            )
            statement = (
                _record_select()
                .join(candidates, candidates.c.clip_id == _CLIPS.c.id)
                .order_by(candidates.c.score, _CLIPS.c.id.desc())
            )
        else:
            statement = _record_select().join(_FTS, rowid == _CLIPS.c.id).where(match, *conditions)
            if before_id is not None:
                statement = statement.where(rowid < int(before_id))
            statement = statement.order_by(rowid.desc())
        return _records(session, statement.limit(limit))


def _use_fts(db: Database) -> bool:
    return db.is_sqlite


def fts_expression(session: Session, node: QueryNode) -> str:
    """The MATCH expression for ``node``: terms limited to title and summary, each OR-ed with
    the ids of the outlets whose names it matches."""
    outlets = _outlets_matching(session, terms_of(node))

    def alternatives(term: Term) -> Sequence[str]:
        return [f'{OUTLET_COLUMN} : "{outlet_id}"' for outlet_id in outlets.get(term, ())]

    return to_fts(node, columns=TEXT_COLUMNS, alternatives=alternatives)


def _outlets_matching(session: Session, terms: list[Term]) -> dict[Term, list[int]]:
    if not terms:
        return {}
    table = Outlet.__table__
    names = session.connection().execute(
        select(table.c.id, table.c.name).order_by(table.c.id).limit(MAX_OUTLETS)
    )
    docs = [(outlet_id, document(name)) for outlet_id, name in names]
    found: dict[Term, list[int]] = {}
    for term in dict.fromkeys(terms):
        matcher = Matcher(term)
        ids = [outlet_id for outlet_id, doc in docs if matcher.match_document(doc)]
        if ids:
            found[term] = ids
    return found


# --- the portable fallback ----------------------------------------------------------------------


def like_condition(node: QueryNode) -> ColumnElement[bool]:
    """An approximate SQL condition for ``node``: each term a case-insensitive substring of
    title, summary or outlet name (words joined by spaces)."""
    if isinstance(node, Term):
        text = " ".join(node.tokens)
        columns = (Clip.title, Clip.summary, func.coalesce(Outlet.name, ""))
        return or_(*(col.icontains(text, autoescape=True) for col in columns))
    if isinstance(node, Not):
        return not_(like_condition(node.item))
    if isinstance(node, And):
        return and_(*(like_condition(item) for item in node.items))
    assert isinstance(node, Or)
    return or_(*(like_condition(item) for item in node.items))


def _fallback(
    session: Session,
    node: QueryNode,
    conditions: list[ColumnElement[bool]],
    limit: int,
    before_id: int | None,
) -> list[ClipRecord]:
    statement = _record_select().where(like_condition(node), *conditions)
    if before_id is not None:
        statement = statement.where(_CLIPS.c.id < int(before_id))
    return _records(session, statement.order_by(_CLIPS.c.id.desc()).limit(limit))
