"""Full-text search: the FTS5 index kept in step by triggers, outlet names found by id,
newest-first paging, ranking, filters, hostile input, the portable fallback and the migration
that creates and backfills the index."""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db import schema
from db.engine import Actor, Database, RetryPolicy
from db.errors import SchemaError
from db.models import Clip, Outlet
from deskterm.core import clips, contacts, feeds, search, topics
from deskterm.core.clip_filters import ClipState
from deskterm.core.errors import InputError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
NUMBERS = itertools.count(1)


def add(db, title, summary="", *, outlet="Alder Daily Herald", minutes=0, **flags):
    with_outlet = outlet is not None
    if with_outlet:
        with contextlib.suppress(InputError):
            contacts.add_outlet(db, name=outlet, type="print")
    n = next(NUMBERS)
    feed = feeds.add_feed(
        db, url=f"https://news.example/{n}.xml", outlet=outlet if with_outlet else None
    )
    clip = clips.add_clip(
        db,
        feed_id=feed.id,
        guid=str(n),
        title=title,
        summary=summary,
        url=f"https://news.example/{n}",
        published_at=NOW - timedelta(minutes=minutes),
    )
    for name, value in flags.items():
        with db.transaction() as session:
            setattr(session.get(Clip, clip.id), name, value)
    return clip


def ids(found) -> list[int]:
    return [c.id for c in found]


def fts_ok(db) -> None:
    """FTS5's own check of the index against the clips table (rank 1: compare contents)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO clips_fts(clips_fts, rank) VALUES ('integrity-check', 1)")
        conn.rollback()


def test_search_finds_title_summary_and_outlet(db):
    budget = add(db, "Budget gap widens", "The fiscal year ends in June", minutes=30)
    rent = add(db, "Rent cap passes", "Tenants cheer", outlet="KPAC News", minutes=20)
    cafe = add(db, "Café reopens", "", outlet="La Voz del Puerto", minutes=10)
    assert ids(search.search_clips(db, "budget")) == [budget.id]
    assert ids(search.search_clips(db, '"fiscal year"')) == [budget.id]
    assert ids(search.search_clips(db, "tenant*")) == [rent.id]
    assert ids(search.search_clips(db, "kpac")) == [rent.id]  # the outlet's name
    assert ids(search.search_clips(db, '"la voz"')) == [cafe.id]
    assert ids(search.search_clips(db, "cafe OR budget")) == [cafe.id, budget.id]
    assert ids(search.search_clips(db, "herald NOT budget")) == []
    assert ids(search.search_clips(db, "news NOT rent")) == []
    assert search.search_clips(db, "parks") == []
    fts_ok(db)


def test_outlet_renames_need_no_reindex(db):
    clip = add(db, "Water main break")
    with db.transaction() as session:
        outlet = session.query(Outlet).one()
        outlet.name = "Port Alder Tribune"
    assert ids(search.search_clips(db, "tribune")) == [clip.id]
    assert search.search_clips(db, "herald") == []
    fts_ok(db)


def test_numbers_do_not_match_outlet_ids(db):
    for i in range(3):
        add(db, f"Story {'xyz'[i]}", outlet=f"Outlet {'ABC'[i]}")
    assert ids(search.search_clips(db, "2")) == []  # outlet 2 is not the word "2"
    assert len(search.search_clips(db, "outlet")) == 3


def test_the_index_follows_edits_and_deletes(db):
    clip = add(db, "Budget gap", "levy")
    other = add(db, "Parks plan", outlet="KPAC News")
    with db.transaction() as session:
        row = session.get(Clip, clip.id)
        row.title = "Library hours"
        row.summary = "cuts"
    assert search.search_clips(db, "budget OR levy") == []
    assert ids(search.search_clips(db, "library cuts")) == [clip.id]
    clips.set_read(db, clip.id)  # other columns: the trigger does not fire, nothing breaks
    fts_ok(db)
    with db.transaction() as session:  # deleting the outlet sets clips.outlet_id to NULL
        session.delete(session.query(Outlet).filter_by(name="KPAC News").one())
    assert search.search_clips(db, "kpac") == []
    assert ids(search.search_clips(db, "parks")) == [other.id]
    fts_ok(db)
    feeds_of = {c.id: c.feed_id for c in (clips.get_clip(db, clip.id),)}
    with db.engine.begin() as conn:  # deleting a feed deletes its clips (cascade)
        conn.execute(text("DELETE FROM feeds WHERE id = :id"), {"id": feeds_of[clip.id]})
    assert search.search_clips(db, "library") == []
    fts_ok(db)


def test_newest_first_with_paging_and_filters(db):
    made = [add(db, f"Budget story {i}", minutes=100 - i) for i in range(7)]
    hidden = add(db, "Budget hidden", hidden=True)
    flagged = add(db, "Budget flagged", flagged=True, is_read=True)
    newest = ids(search.search_clips(db, "budget", limit=3))
    assert newest == [flagged.id, hidden.id, made[6].id]
    page = ids(search.search_clips(db, "budget", limit=3, before_id=newest[-1]))
    assert page == [made[5].id, made[4].id, made[3].id]
    assert hidden.id not in ids(search.search_clips(db, "budget", state="visible"))
    assert ids(search.search_clips(db, "budget", state=ClipState.HIDDEN)) == [hidden.id]
    assert ids(search.search_clips(db, "budget", state="flagged")) == [flagged.id]
    assert flagged.id not in ids(search.search_clips(db, "budget", state="unread"))
    assert ids(search.search_clips(db, "budget", since=NOW - timedelta(minutes=94.5))) == [
        flagged.id,
        hidden.id,
        made[6].id,
    ]
    topic = topics.add_topic(db, name="Six", query='"story 6" OR "story 5"')
    topics.rematch_topic(db, topic.id, now=NOW)
    assert ids(search.search_clips(db, "budget", topic_id=topic.id)) == [made[6].id, made[5].id]
    with pytest.raises(InputError, match="state"):
        search.search_clips(db, "budget", state="archived")
    with pytest.raises(InputError, match="limit"):
        search.search_clips(db, "budget", limit=0)
    with pytest.raises(InputError, match="no next page"):
        search.search_clips(db, "budget", ranked=True, before_id=3)


def test_ranked_puts_the_best_match_first_within_the_window(db, monkeypatch):
    old_title = add(db, "Budget budget budget", minutes=500)
    summary_only = add(db, "Council meets", "a word on the budget among many other words here")
    title = add(db, "Budget gap widens")
    assert ids(search.search_clips(db, "budget", ranked=True)) == [
        old_title.id,
        title.id,
        summary_only.id,
    ]
    monkeypatch.setattr(search, "RANK_WINDOW", 2)  # only the two newest clips are ranked
    assert ids(search.search_clips(db, "budget", ranked=True)) == [title.id, summary_only.id]
    monkeypatch.setattr(search, "RANK_WINDOW", 100)
    monkeypatch.setattr(search, "RANK_CANDIDATES", 1)  # only the newest match is ranked
    assert ids(search.search_clips(db, "budget", ranked=True)) == [title.id]
    # filters apply before the candidates are chosen
    assert ids(
        search.search_clips(
            db, "budget", ranked=True, since=NOW - timedelta(hours=1), state="visible"
        )
    ) == [title.id]


@pytest.mark.parametrize(
    "query",
    [
        "title:budget",
        "NEAR(budget levy)",
        "budget^",
        '{title} : "x"',
        "budget AND",
        '"unclosed',
        "- budget",
        "*",
        "a' OR 1=1 --",
        "\x00budget",
    ],
)
def test_hostile_queries_are_text_or_an_input_error(db, query):
    add(db, "Budget title", "levy near")
    try:
        found = search.search_clips(db, query)
    except InputError as error:
        assert "\n" not in str(error)
    else:
        assert all(isinstance(c, clips.ClipRecord) for c in found)


@given(st.text(max_size=40))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_typed_text_breaks_the_search(db, query):
    try:
        search.search_clips(db, query, limit=5)
        search.search_clips(db, query, limit=5, ranked=True)
    except InputError:
        pass


def test_the_portable_fallback_finds_the_same_simple_matches(db, monkeypatch):
    budget = add(db, "Budget gap", "fiscal year", minutes=3)
    rent = add(db, "Rental crisis", outlet="KPAC News", minutes=2)
    add(db, "Parks", minutes=1)
    queries = ["budget", "rent*", "kpac", "budget OR rent*", '"fiscal year"', "gap NOT rent*"]
    expected = {q: ids(search.search_clips(db, q)) for q in queries}
    monkeypatch.setattr(search, "_use_fts", lambda database: False)
    for query in queries:
        assert ids(search.search_clips(db, query)) == expected[query], query
    assert ids(search.search_clips(db, "budget OR rent*", before_id=rent.id)) == [budget.id]


# --- the migration -----------------------------------------------------------------------------


def _alembic(db, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", "db:migrations")
    with db.engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_upgrading_an_older_database_backfills_the_index(db, db_path):
    keep = add(db, "Budget before the upgrade", outlet="KPAC News")
    _alembic(db, "downgrade", "0001")
    conn = sqlite3.connect(db_path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert not any(name.startswith("clips_fts") for name in names)
    finally:
        conn.close()
    before, backup = schema.upgrade(db)
    assert before.revision == "0001" and backup is not None
    assert ids(search.search_clips(db, "budget")) == [keep.id]
    assert ids(search.search_clips(db, "kpac")) == [keep.id]
    fts_ok(db)


def _migration():
    path = Path(schema.__file__).parent / "migrations" / "versions" / "0002_clip_search.py"
    spec = importlib.util.spec_from_file_location("deskterm_migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_a_sqlite_without_fts5_gets_a_plain_message(db):
    migration = _migration()
    with db.engine.connect() as conn:
        migration.require_fts5(conn)  # this one has FTS5
        with pytest.raises(SchemaError) as caught:
            migration.require_fts5(conn, "CREATE VIRTUAL TABLE temp.x USING nosuchfts(x)")
        conn.rollback()
    message = str(caught.value)
    assert "has no FTS5 full-text search" in message
    assert "no such module: nosuchfts" in message
    assert "\n" not in message


# --- newest first: windows, the forward pass, relaxed phrases, prefix words ---------------------
#
# A corpus of a few hundred clips and small windows (monkeypatched) drive every path of
# search._newest; each answer is compared with the plain query (fts_expression, ORDER BY
# rowid DESC, no windows) run directly.

LONG = "alpha beta gamma delta"  # relaxed when RELAX_TOKENS <= 4: "alpha beta" AND "gamma delta"


def _corpus_text(i: int, rng) -> tuple[str, str]:
    """Title and summary of clip ``i`` (0 oldest): common words everywhere, rarer ones by
    age, the long phrase a few times and its halves apart (relaxed matches to reject)."""
    words = ["council", "budget", "vote", "park", "parks", "parking", "bus", "business", "2024"]
    title = " ".join(rng.sample(words, 3))
    summary = "officials said more"
    if i < 40 and i % 4 != 3:
        title += " oldword"  # 30 clips, all old: a sparse window, a dense rest
    if i >= 230:
        summary += " newword"
    if i % 29 == 5:
        title = f"{LONG} {title}"  # the phrase itself
    elif i % 29 == 11:
        title = f"alpha beta and gamma delta {title}"  # both halves, not the phrase
    elif i % 29 == 17:
        title, summary = f"gamma delta alpha beta {title}", summary
    elif i % 29 == 23:
        title, summary = f"alpha beta {title}", f"gamma delta {summary}"  # split over fields
    if i % 37 == 0:
        summary += " parkway busker"
    return title, summary


@pytest.fixture
def corpus(db):
    """240 clips over three outlets ("Parkside Radio" and "Alpha Beta Gamma Delta News"
    match by name only), some hidden; returns the ids, oldest first."""
    rng = random.Random(5)
    feed_ids = []
    for n, outlet in enumerate(["Harbor Gazette", "Parkside Radio", "Alpha Beta Gamma Delta News"]):
        contacts.add_outlet(db, name=outlet, type="print")
        feed = feeds.add_feed(db, url=f"https://news.example/corpus{n}.xml", outlet=outlet)
        feed_ids.append(feed.id)
    made = []
    for i in range(240):
        title, summary = _corpus_text(i, rng)
        clip = clips.add_clip(
            db,
            feed_id=feed_ids[i % 7 % 3],
            guid=f"c{i}",
            title=title,
            summary=summary,
            url=f"https://news.example/c{i}",
            published_at=NOW - timedelta(minutes=240 - i),
        )
        made.append(clip.id)
    with db.transaction() as session:
        for clip_id in made[::9]:
            session.get(Clip, clip_id).hidden = True
    return made


def plain_ids(db, query: str, *, before_id: int | None = None, where: str = "") -> list[int]:
    """Every match of the plain query, newest first: what search_clips must page through."""
    with db.read() as session:
        expression = search.fts_expression(session, search.parse_query(query))
    sql = "SELECT clips.id FROM clips_fts JOIN clips ON clips.id = clips_fts.rowid "
    sql += "WHERE clips_fts MATCH ?" + ("" if before_id is None else " AND clips.id < ?")
    with db.engine.connect() as conn:
        params = (expression,) if before_id is None else (expression, before_id)
        found = [row[0] for row in conn.exec_driver_sql(sql + where + " ORDER BY 1 DESC", params)]
        conn.rollback()
    return found


NEWEST_QUERIES = [
    "council",
    "oldword",
    "newword",
    "oldword OR newword",
    "zzznothing",
    "council NOT budget",
    "oldword budget",
    "park*",
    "bus*",
    "busi*",
    "parkside",  # an outlet's name only
    "2024",
    "2*",
    f'"{LONG}"',
    f'"{LONG}" council',
    f'"{LONG}" OR newword',
    f'council NOT "{LONG}"',
    '"gamma delta alpha beta"',
    '"alpha beta gamma"',
]


@pytest.mark.parametrize(
    ("window", "cap", "relax", "prefix_words"),
    [
        (1_000_000, 200, 7, 16),  # one backward statement, as before windows
        (15, 2, 4, 16),  # small window: forward passes that overflow their cap
        (15, 200, 3, 16),  # forward passes that keep every match; short phrases relaxed
        (1, 1, 2, 1),  # a one-id window; two-word phrases relaxed; prefixes kept
    ],
)
def test_newest_first_pages_like_the_plain_query(
    db, corpus, monkeypatch, window, cap, relax, prefix_words
):
    monkeypatch.setattr(search, "FIRST_WINDOW", window)
    monkeypatch.setattr(search, "SPARSE_CAP", cap)
    monkeypatch.setattr(search, "RELAX_TOKENS", relax)
    monkeypatch.setattr(search, "MAX_PREFIX_WORDS", prefix_words)
    calls: list[tuple[bool, bool]] = []
    rejected: list[int] = []
    matching, matches = search._matching, search._Plan.matches

    def spy_matching(*, records: bool, desc: bool):
        calls.append((records, desc))
        return matching(records=records, desc=desc)

    def spy_matches(plan, row):
        ok = matches(plan, row)
        if not ok:
            rejected.append(row.id)
        return ok

    monkeypatch.setattr(search, "_matching", spy_matching)
    monkeypatch.setattr(search._Plan, "matches", spy_matches)
    forward = overflowed = 0
    for query in NEWEST_QUERIES:
        expected = plain_ids(db, query)
        for limit in (1, 4, 50):
            del calls[:]
            assert ids(search.search_clips(db, query, limit=limit)) == expected[:limit], query
            forward += (False, False) in calls
            overflowed += (False, False) in calls and calls.count((True, True)) > 1
        pages, last = [], None
        while page := ids(search.search_clips(db, query, limit=3, before_id=last)):
            pages += page
            last = page[-1]
        assert pages == expected, query
        visible = plain_ids(db, query, before_id=corpus[200], where=" AND clips.hidden = 0")
        found = search.search_clips(db, query, limit=5, before_id=corpus[200], state="visible")
        assert ids(found) == visible[:5], query
    if window < 1_000:
        assert forward, "no forward pass was taken"
    if cap < 4:
        assert overflowed, "no forward pass overflowed its cap"
    if relax <= 4:
        assert rejected, "no relaxed match was rejected"


def test_relaxed_phrases_keep_outlet_matches_and_drop_the_rest(db, corpus, monkeypatch):
    monkeypatch.setattr(search, "FIRST_WINDOW", 5)
    monkeypatch.setattr(search, "RELAX_TOKENS", 4)
    with db.read() as session:
        plan = search._Plan(session, search.parse_query(f'"{LONG}" council'))
        assert plan.relaxable == [search.Term(tuple(LONG.split()))]
        relaxed = plan.expression(relaxed=True)
        assert '("alpha beta" AND "gamma delta")' in relaxed
        assert 'outlet_id : "3"' in relaxed  # "Alpha Beta Gamma Delta News"
        # under NOT, or twice, a phrase is never relaxed (that would drop rows)
        assert not search._Plan(session, search.parse_query(f'x NOT "{LONG}"')).relaxable
        twice = f'"{LONG}" ("{LONG}" OR council)'
        assert not search._Plan(session, search.parse_query(twice)).relaxable
    checked: dict[int, bool] = {}
    matches = search._Plan.matches

    def spy(plan, row):
        checked[row.id] = matches(plan, row)
        return checked[row.id]

    monkeypatch.setattr(search._Plan, "matches", spy)
    found = search.search_clips(db, f'"{LONG}"', limit=200)  # sparse for 200: forward pass
    assert ids(found) == plain_ids(db, f'"{LONG}"')
    outlet_only = [c.id for c in found if LONG not in f"{c.title} {c.summary}".lower()]
    relaxed_outlet_only = [clip_id for clip_id in outlet_only if clip_id in checked]
    assert relaxed_outlet_only and all(checked[clip_id] for clip_id in relaxed_outlet_only)
    assert not all(checked.values())  # both halves, but not the phrase: dropped


@pytest.mark.parametrize(
    ("query", "conjunction"),
    [
        ("oldword budget", True),  # two required terms
        (f'"{LONG}"', True),  # a phrase long enough to relax (RELAX_TOKENS = 4 here)
        ("oldword NOT budget", False),  # one required term
        ('"alpha beta"', False),
        ("oldword OR newword", False),
    ],
)
def test_conjunctions_skip_the_window_and_read_forwards_first(
    db, corpus, monkeypatch, query, conjunction
):
    """A conjunction starts with the forward pass over every id (no backward window, which
    would walk on below itself to the next match); anything else starts with the window."""
    monkeypatch.setattr(search, "FIRST_WINDOW", 15)
    monkeypatch.setattr(search, "RELAX_TOKENS", 4)
    calls: list[tuple[bool, bool]] = []
    matching = search._matching

    def spy_matching(*, records: bool, desc: bool):
        calls.append((records, desc))
        return matching(records=records, desc=desc)

    monkeypatch.setattr(search, "_matching", spy_matching)
    with db.read() as session:
        assert search._Plan(session, search.parse_query(query)).conjunction is conjunction
    for limit in (1, 50):
        del calls[:]
        assert ids(search.search_clips(db, query, limit=limit)) == plain_ids(db, query)[:limit]
        assert calls[0] == ((False, False) if conjunction else (True, True)), query


def test_prefix_terms_become_the_words_of_the_index(db, corpus, monkeypatch):
    with db.read() as session:
        expression = search.newest_expression(session, search.parse_query("bus* budget"))
    assert expression == '(("bus" OR "business" OR "busker") AND "budget")'
    with db.read() as session:
        digits = search.newest_expression(session, search.parse_query("2*"))
    assert digits == '({title summary} : "2" OR {title summary} : "2024")'  # "2": an id
    # a word first stored after the connection made its word table is found at once
    made = add(db, "Busway opens", outlet="Harbor Gazette")
    assert ids(search.search_clips(db, "busw*")) == [made.id]
    assert ids(search.search_clips(db, "bus*", limit=1)) == [made.id]
    monkeypatch.setattr(search, "MAX_PREFIX_WORDS", 2)  # too many words: stays a prefix
    with db.read() as session:
        kept = search.newest_expression(session, search.parse_query("bus*"))
    assert kept == '"bus"*'
    assert ids(search.search_clips(db, "bus*", limit=500)) == plain_ids(db, "bus*")


def test_without_fts5vocab_prefixes_stay_prefixes(db_path, monkeypatch):
    monkeypatch.setattr(search, "_CREATE_TERM_TABLE", "CREATE VIRTUAL TABLE temp.x USING nope(a)")
    database = Database(str(db_path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    try:
        schema.upgrade(database)
        made = add(database, "Business park opens", "parking")
        with database.read() as session:
            assert search.newest_expression(session, search.parse_query("park*")) == '"park"*'
        assert ids(search.search_clips(database, "park* busi*")) == [made.id]
    finally:
        database.dispose()


def test_the_outlet_column_filter_only_where_digits_could_match():
    term = search.Term
    assert search._scoped(term(("2",))) == '{title summary} : "2"'
    assert search._scoped(term(("20",), prefix=True)) == '{title summary} : "20"*'
    assert search._scoped(term(("budget",))) == '"budget"'
    assert search._scoped(term(("x2",))) == '"x2"'
    assert search._scoped(term(("2", "budget"))) == '"2 budget"'  # one token in that column
