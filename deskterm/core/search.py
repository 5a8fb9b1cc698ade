"""Full-text search over clips: the one place that knows how the database searches.

On SQLite the query (``topic_query`` syntax) becomes an FTS5 MATCH on ``clips_fts`` (see
migration 0002): title, summary and the outlet. The outlet is indexed by id, so a typed word
is also looked up in the (small) outlets table and becomes ``outlet_id : "7"`` for each
outlet whose name matches; renaming an outlet therefore never touches the index.

- Newest first (the default) reads the index by rowid (= clip id, the order the desk got the
  clips) downwards: ``ORDER BY rowid DESC LIMIT n``. Page with ``before_id`` (the last id
  shown). ``_newest`` reads the newest ``FIRST_WINDOW`` ids first, which ends every query
  with common words. FTS5 (3.40) cannot stop a query with few matches early: it applies a
  rowid bound only to rows it has found, so such a query walks its words' doclists over the
  whole table whatever the window. Reading forwards costs a third less than backwards, so
  when the window predicts few rows below it the rest is read in one forward pass; there a
  phrase of ``RELAX_TOKENS`` words or more becomes the AND of its two halves (FTS5 then steps
  from one rare half-phrase match to the next instead of through every common word, 20-30%
  less) and the rows found are checked with ``Matcher``. A conjunction (two required
  terms, or such a phrase) skips the window and starts with that forward pass: the
  window's backward read would walk on below it to the next match, all the way for none.
- The newest-first expression (``newest_expression``) finds the same rows as
  ``fts_expression`` faster: a prefix term becomes the OR of the index's words that start
  with it, read from an fts5vocab table (FTS5 without a prefix index merges a prefix's
  whole doclist before its first row); the title-and-summary filter stays only on a term
  of digits, the only kind the outlet_id column can hold.
- ``ranked`` orders by bm25 (title weighs most) within the newest ``RANK_WINDOW`` clips:
  ranking every match of a common word in a million clips costs up to a second. It keeps
  ``fts_expression`` (bm25 scores a prefix as one phrase, not as its words).

Measured on the bench's 1,000,000 clips (SQLite 3.40.1, end to end, p50): ``bus*`` 11.2 ->
2.3 ms, ``park*`` 8.4 -> 2.5, a seven-word phrase with 12 matches 12.7 -> 7.5, common words
2.0 -> 1.7. Left as they are: a query with few matches still costs one forward walk over
its words (a nine-word headline of common words, ~8-11 ms of SQL); a conjunction no
longer pays the window first (``pension AND waterfront``, no match, 7.2 -> 3.5 ms; the
seven-word phrase 9.3 -> 8.0, in paired runs). Not taken: a prefix
index (``prefix='3 4'``: 72 -> 195 us to store a clip, an index 2.8 times the size), a table
of words written on ingest (fts5vocab reads the index's own), an fts5vocab 'row' table
(it counts each word's doclist: 4-170 ms), windows alone (see above), and 'optimize' (one
index segment instead of twelve: about 10% on a long phrase, for a rewrite of the index).

Other databases (PostgreSQL) get a portable fallback: each term is a case-insensitive
substring test on title, summary and outlet name, newest first, no ranking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection, Result, Row
from sqlalchemy.exc import OperationalError
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
    fts_phrase,
    parse_query,
    terms_of,
    to_fts,
)

#: Newest-first search (see ``_newest``): how far below the top the backward walk goes
#: before it may stop, how sparse the rest must look to be read forwards instead, and the
#: row limit of that forward pass.
FIRST_WINDOW = 20_000
SPARSE_FACTOR = 1.5
SPARSE_CAP = 200
#: A prefix term becomes its words if it has at most MAX_PREFIX_WORDS of them (each word
#: costs about 0.1 ms to find and 0.04 ms to search), at most MAX_EXPANDED_WORDS a query.
MAX_PREFIX_WORDS = 16
MAX_EXPANDED_WORDS = 48
#: A phrase of RELAX_TOKENS words or more is read as its two halves in the forward pass.
RELAX_TOKENS = 7
#: Ranked search looks at the newest RANK_WINDOW clips (about five weeks at 1M a year) and,
#: within them, ranks the newest RANK_CANDIDATES matches: bm25 costs a few microseconds per
#: row, and a word found in every clip would otherwise be scored 100,000 times.
RANK_WINDOW = 100_000
RANK_CANDIDATES = 5_000
TEXT_COLUMNS = ("title", "summary")
OUTLET_COLUMN = "outlet_id"
MAX_OUTLETS = 10_000

_TERM_TABLE = "deskterm_clip_words"
_TERM_TABLE_KEY = "deskterm.search.term_table"
_CREATE_TERM_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_TERM_TABLE} "
    "USING fts5vocab(main, clips_fts, instance)"
)
_NEXT_WORDS = (
    "WITH RECURSIVE words(term) AS ("
    f" SELECT (SELECT term FROM temp.{_TERM_TABLE} WHERE term >= ?1 LIMIT 1)"
    " UNION ALL"
    f" SELECT (SELECT term FROM temp.{_TERM_TABLE} WHERE term >= words.term || char(1) LIMIT 1)"
    " FROM words WHERE substr(words.term, 1, length(?1)) = ?1"
    " LIMIT ?2"
    ") SELECT term FROM words"
)
_DIGITS = re.compile("[0-9]+")
_FTS = sql_table("clips_fts", column("rowid", Integer), column("rank"))
_CLIPS = Clip.__table__
_MATCH = literal_column("clips_fts").op("MATCH")


@cache
def _record_select() -> Select[Any]:
    """The columns ``clips.clip_record`` reads, as plain rows (Core, no ORM identity map:
    a window of 50 records costs a fraction of loading 50 ORM objects). Built once: a
    Select is immutable, and building this one costs about 0.2 ms."""
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
    return [_record(row) for row in session.connection().execute(statement)]


def _record(row: Row[Any]) -> ClipRecord:
    return clip_record(row, row.feed_name, row.outlet_name, row.outlet_type, row.assignee_initials)


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
        if not ranked:
            return _newest(session, node, conditions, limit, before_id)
        match = _MATCH(fts_expression(session, node))
        rowid = _FTS.c.rowid
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
        return _records(session, statement.limit(limit))


def _use_fts(db: Database) -> bool:
    return db.is_sqlite


def fts_expression(session: Session, node: QueryNode) -> str:
    """The MATCH expression for ``node``: terms limited to title and summary, each OR-ed with
    the ids of the outlets whose names it matches. Ranked search uses it as it is (bm25
    scores a prefix as one phrase, so expanding it would change the order)."""
    outlets = _outlets_matching(session, terms_of(node))
    return to_fts(node, columns=TEXT_COLUMNS, alternatives=_outlet_alternatives(outlets))


def newest_expression(session: Session, node: QueryNode) -> str:
    """The MATCH expression newest-first search runs: the same rows as ``fts_expression``,
    written so that FTS5 finds them faster (prefix terms as their words, see
    ``_prefix_words``; the column filter only where it changes anything, see ``_scoped``)."""
    return _Plan(session, node).expression()


class _Plan:
    """How newest-first search writes ``node`` for FTS5: the outlets each term names, the
    words of its prefix terms, and the long phrases it may relax (``relaxable``)."""

    def __init__(self, session: Session, node: QueryNode) -> None:
        self.node = node
        self.words = _prefix_words(session, node)  # first: it may commit (see _has_term_table)
        terms = terms_of(node)
        self.outlets = _outlets_matching(session, terms)
        required = [node] if isinstance(node, Term) else []
        if isinstance(node, And):
            required = [item for item in node.items if isinstance(item, Term)]
        self.relaxable = [
            term
            for term in dict.fromkeys(required)
            if len(term.tokens) >= RELAX_TOKENS and not term.prefix and terms.count(term) == 1
        ]
        positive = (
            [item for item in node.items if not isinstance(item, Not)]
            if isinstance(node, And)
            else []
        )
        #: Few matches expected: two terms (or groups) that must both occur, or a phrase
        #: long enough to relax (see ``_newest``).
        self.conjunction = len(positive) >= 2 or bool(self.relaxable)
        self._checks: list[tuple[Matcher, set[int]]] | None = None

    def expression(self, *, relaxed: bool = False) -> str:
        """The exact expression, or with each relaxable phrase split in two halves that must
        both occur (more rows: the caller checks them with ``matches``)."""
        split = set(self.relaxable) if relaxed else set()

        def render(term: Term) -> str:
            if term in split:
                half = len(term.tokens) // 2
                first, second = Term(term.tokens[:half]), Term(term.tokens[half:])
                return f"({_scoped(first)} AND {_scoped(second)})"
            parts = [_scoped(word) for word in self.words.get(term, (term,))]
            return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

        return to_fts(self.node, alternatives=_outlet_alternatives(self.outlets), render=render)

    def matches(self, row: Row[Any]) -> bool:
        """Whether a clip found with the relaxed expression matches the query. The relaxed
        phrases were the only difference, and each is a required term, so each must be in
        the title or summary (as ``Matcher`` reads them, which is how FTS5 reads them:
        tests/core/test_topic_query.py) or name the clip's outlet."""
        if self._checks is None:
            self._checks = [(Matcher(t), set(self.outlets.get(t, ()))) for t in self.relaxable]
        return all(
            row.outlet_id in outlets or bool(matcher.match(row.title or "", row.summary or ""))
            for matcher, outlets in self._checks
        )


def _outlet_alternatives(outlets: dict[Term, list[int]]) -> Callable[[Term], Sequence[str]]:
    def alternatives(term: Term) -> Sequence[str]:
        return [f'{OUTLET_COLUMN} : "{outlet_id}"' for outlet_id in outlets.get(term, ())]

    return alternatives


def _scoped(term: Term) -> str:
    """A term limited to title and summary only if it could match the outlet_id column.

    That column holds one token, an outlet id (ASCII digits), so only a single word of
    digits (or a digit prefix) can match there; for any other term the filter changes
    nothing, and it costs FTS5 a position-list check per row (about 12% of a long phrase).
    """
    phrase = fts_phrase(term)
    if len(term.tokens) == 1 and _DIGITS.fullmatch(term.tokens[0]):
        return "{" + " ".join(TEXT_COLUMNS) + "} : " + phrase
    return phrase


# --- prefix terms as words --------------------------------------------------------------------


def _prefix_words(session: Session, node: QueryNode) -> dict[Term, list[Term]]:
    """For each prefix term, the exact terms that together match the same rows: its last
    word replaced by each word of the index that starts with it (``bus*``: ``bus``,
    ``business``). FTS5 without a prefix index merges the whole doclist of every such word
    before its first row (``bus*``: 150,000 rows, 9-13 ms); an OR of the words walks them
    lazily like any other OR (0.1 ms). A prefix with more than ``MAX_PREFIX_WORDS`` words,
    or none, or past ``MAX_EXPANDED_WORDS`` in the query, stays a prefix."""
    prefixes = [term for term in dict.fromkeys(terms_of(node)) if term.prefix]
    if not prefixes or not _has_term_table(session):
        return {}
    conn = session.connection()
    budget = MAX_EXPANDED_WORDS
    expanded: dict[Term, list[Term]] = {}
    for term in prefixes:
        if budget <= 0:
            break
        words = _words_starting(conn, term.tokens[-1], min(MAX_PREFIX_WORDS, budget))
        if words:
            budget -= len(words)
            expanded[term] = [Term((*term.tokens[:-1], word)) for word in words]
    return expanded


def _words_starting(conn: Connection, prefix: str, most: int) -> list[str] | None:
    """The index's words that start with ``prefix``, in order, or None if more than ``most``.

    Each step asks the fts5vocab table for the first word after the last one found
    (``word || char(1)``: no word holds a control character): a seek in each segment of
    the index, about 0.1 ms, plus a skip over the previous word's doclist pages. A range
    (``term >= 'bus' AND term < 'but'``) would read every instance instead, and an
    fts5vocab 'row' table counts each word's doclist (4-170 ms).
    """
    rows = conn.exec_driver_sql(_NEXT_WORDS, (prefix, most + 1)).scalars().all()
    words = [word for word in rows if word is not None and word.startswith(prefix)]
    return None if len(words) > most else words


def _has_term_table(session: Session) -> bool:
    """Whether this connection has the fts5vocab table of the index's words (made once per
    connection, in the temp schema: nothing is written to the database file).

    Temp DDL is transactional and a read session always rolls back, so the table is made
    and committed before this search reads anything (its snapshot starts after that).
    """
    info = session.connection().connection.info
    ready = info.get(_TERM_TABLE_KEY)
    if ready is None:
        try:
            session.connection().exec_driver_sql(_CREATE_TERM_TABLE)
            session.commit()
            ready = True
        except OperationalError:  # no fts5vocab, or a read-only connection: keep prefixes
            session.rollback()
            ready = False
        info[_TERM_TABLE_KEY] = ready
    return bool(ready)


# --- newest first -----------------------------------------------------------------------------


def _newest(
    session: Session,
    node: QueryNode,
    conditions: list[ColumnElement[bool]],
    limit: int,
    before_id: int | None,
) -> list[ClipRecord]:
    """The newest ``limit`` matches below ``before_id``, newest first.

    FTS5 (3.40) applies a rowid bound only to rows it has found: it reads every doclist
    from the end it starts at up to the first match, and on to the first match past the
    bound, however narrow the window. Windows of ids therefore cannot stop a query with
    few matches from walking the whole table; what can be chosen is the direction, and a
    forward walk costs about a third less than a backward one.

    1. The newest ``FIRST_WINDOW`` ids, backwards, ``LIMIT n``: a query with ``n`` rows
       there (every common word) is done, in one statement.
    2. If the window's rows predict more than ``SPARSE_FACTOR`` times the rows still
       wanted below it, the rest is read backwards too, ``LIMIT`` what is missing.
    3. Otherwise the rest is read in one forward pass that keeps all its matches (the
       newest are used), with long phrases relaxed (``_Plan.expression``) and checked.
       That pass stops after ``SPARSE_CAP`` rows (or four times the rows wanted) in case
       the window misled; the newest rows above its last one are then read backwards.

    A conjunction (``_Plan.conjunction``: two required terms, or a long phrase) skips the
    window and starts with that forward pass over every id: such queries are where few
    matches are found, and for them the window's backward read walks on below it to the
    next match (all the way, when there is none) before the forward pass walks again. On
    the bench's million clips, paired runs: ``pension AND waterfront`` (no match) 7.2 ->
    3.5 ms, a seven-word headline (12 matches) 9.3 -> 8.0. A dense conjunction overflows
    the pass's cap at once and is read backwards from the top, one statement more than the
    window (``mayor budget`` 1.8 -> 2.5 ms).
    """
    plan = _Plan(session, node)
    exact = plan.expression()
    conn = session.connection()
    newest = conn.execute(_newest_id(), {"before": _NO_ID if before_id is None else before_id})
    top = newest.scalar() or 0
    edge = top if plan.conjunction else max(top - FIRST_WINDOW, 0)  # (edge, top]: the window

    def find(match: str, lo: int, hi: int, limit: int, *, records: bool = True) -> Result[Any]:
        """Records of matches with ``lo < id <= hi``, newest first; or only ids, oldest first."""
        statement = _matching(records=records, desc=records)
        if conditions:
            statement = statement.where(*conditions)
        return conn.execute(statement, {"match": match, "lo": lo, "hi": hi, "limit": limit})

    rows = list(find(exact, edge, top, limit)) if top > edge else []
    need = limit - len(rows)
    if need and edge > 0:
        if len(rows) * edge > SPARSE_FACTOR * need * (top - edge):
            rows += find(exact, 0, edge, need)
        else:  # one forward pass keeps every match up to the edge, oldest first
            cap = max(SPARSE_CAP, 4 * need)
            match = plan.expression(relaxed=True) if plan.relaxable else exact
            older = list(find(match, 0, edge, cap, records=False).scalars())
            if len(older) == cap:  # denser than the window said: the newest may be above
                rows += find(exact, older[-1], edge, need)
            while (need := limit - len(rows)) > 0 and older:
                chunk, older = older[-need:], older[:-need]
                rows += filter(plan.matches, conn.execute(_records_of(), {"ids": chunk}))
    return [_record(row) for row in rows]


#: Newest-first search's statements, built once (building a Select costs about 0.2 ms):
#: the highest clip id below ``before``; records (backwards) or ids (forwards) of the
#: matches of ``match`` with ``lo < id <= hi``; the records of ``ids``, newest first.
_NO_ID = 2**62


@cache
def _newest_id() -> Select[Any]:
    id_ = _CLIPS.c.id
    return select(func.coalesce(func.max(id_), 0)).where(id_ < bindparam("before"))


@cache
def _matching(*, records: bool, desc: bool) -> Select[Any]:
    rowid = _FTS.c.rowid
    if records:
        base = _record_select().join(_FTS, rowid == _CLIPS.c.id)
    else:
        base = select(rowid).select_from(_FTS.join(_CLIPS, _CLIPS.c.id == rowid))
    return (
        base.where(_MATCH(bindparam("match")), rowid > bindparam("lo"), rowid <= bindparam("hi"))
        .order_by(rowid.desc() if desc else rowid.asc())
        .limit(bindparam("limit"))
    )


@cache
def _records_of() -> Select[Any]:
    id_ = _CLIPS.c.id
    return _record_select().where(id_.in_(bindparam("ids", expanding=True))).order_by(id_.desc())


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
