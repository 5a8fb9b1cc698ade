"""News's reads in ``sqlite3`` alone (``deskterm.core.clip_records``) against the SQLAlchemy
queries they replaced.

``list_clips``, ``count_unread`` and ``topics_of`` used to be SQLAlchemy queries; they are
plain SQL now so that the desk paints News before SQLAlchemy is imported. The ``orm_*``
functions below are those queries as they were (the ORM select ``clips._clip_select`` the
other clip reads still use, and ``clip_record``): on a database of varied rows, written
through the ORM and through plain SQL as the fetch path writes them, every option and
every page must give the same records in the same order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import false, func, literal, select, true, tuple_

from db.engine import Database
from db.enums import OutletType
from db.models import Clip, ClipTopic, Topic
from db.stored import time_text
from deskterm.core import clip_records, clips
from deskterm.core.clip_records import ClipRecord, ClipTopicMatch, matched_terms
from deskterm.core.clips import _clip_select, clip_record
from deskterm.core.contacts import add_outlet
from deskterm.core.errors import InputError
from deskterm.core.feeds import add_feed
from deskterm.core.fields import aware, list_limit
from deskterm.core.staff import add_staff

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # New York's, in UTC

TITLES = [
    "Council budget vote tonight",
    "council BUDGET hearing",
    "[bold]Budget[/bold] vote <b>tonight</b> [link=http://x]click[/link]",
    "Müller says MÜLLER is not müller",
    "Água em São Paulo: 100% of wells tested",
    "a_b test of the water_main",
    "path/to/the 50/50 deal",
    "Back\\slash and 'quotes' and \"double\"",
    "100 percent, not 100%",
    "Transit fares rise 5%",
    "ümlaut first and Ünïcode",
    "plain story",
]


# --- the queries as they were (SQLAlchemy) ------------------------------------------------


def orm_list_clips(
    db: Database,
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
    limit = list_limit(limit)
    query = _clip_select()
    if since is not None:
        query = query.where(Clip.published_at >= aware(since, field="since"))
    if unread_only:
        query = query.where(Clip.is_read == false())
    if not include_hidden:
        query = query.where(Clip.hidden == false())
    if flagged_only:
        query = query.where(Clip.flagged == true())
    if topic_id is not None:
        query = query.where(
            Clip.id.in_(select(ClipTopic.clip_id).where(ClipTopic.topic_id == int(topic_id)))
        )
    if text is not None and text.strip():
        query = query.where(Clip.title.icontains(text.strip(), autoescape=True))
    if before is not None:
        before_at, before_id = before
        before_at = aware(before_at, field="before")
        query = query.where(
            tuple_(Clip.published_at, Clip.id)
            < tuple_(literal(before_at, Clip.published_at.type), literal(int(before_id)))
        )
    query = query.order_by(Clip.published_at.desc(), Clip.id.desc()).limit(limit)
    with db.read() as session:
        return [clip_record(*found) for found in session.execute(query)]


def orm_count_unread(db: Database, *, since: datetime | None = None) -> int:
    query = (
        select(func.count())
        .select_from(Clip)
        .where(Clip.is_read == false(), Clip.hidden == false())
    )
    if since is not None:
        query = query.where(Clip.published_at >= aware(since, field="since"))
    with db.read() as session:
        return int(session.scalar(query) or 0)


def orm_topics_of(db: Database, clip_ids: Iterable[int]) -> dict[int, tuple[ClipTopicMatch, ...]]:
    found: dict[int, list[ClipTopicMatch]] = {}
    with db.read() as session:
        rows = session.execute(
            select(ClipTopic.clip_id, Topic.id, Topic.name, Topic.priority, ClipTopic.matched_terms)
            .join(Topic, ClipTopic.topic_id == Topic.id)
            .where(ClipTopic.clip_id.in_(sorted(set(clip_ids))))
            .order_by(ClipTopic.clip_id, Topic.priority, Topic.name)
        )
        for clip_id, topic_id, name, priority, terms in rows:
            found.setdefault(clip_id, []).append(
                ClipTopicMatch(topic_id, name, priority, matched_terms(terms or ""))
            )
    return {clip_id: tuple(matches) for clip_id, matches in found.items()}


# --- a desk with every kind of clip ---------------------------------------------------------


def insert_as_fetched(db: Database, feed_id: int, title: str, published_at: datetime) -> int:
    """A clip written with ``sqlite3`` as the fetch path writes it (times via ``time_text``,
    no outlet, no language), not through the ORM."""
    stamp = time_text(published_at)
    with db.file.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO clips (feed_id, outlet_id, guid, url, title, summary, author, "
            "language, published_at, fetched_at, title_key, is_read, flagged, hidden, "
            "needs_correction, correction_note, version, created_at, updated_at) "
            "VALUES (?, NULL, ?, NULL, ?, '', '', NULL, ?, ?, '', 0, 0, 0, 0, '', 1, ?, ?)",
            (feed_id, f"raw-{title}", title, stamp, stamp, stamp, stamp),
        )
        return int(cursor.lastrowid or 0)


@pytest.fixture
def varied(db: Database) -> dict[str, int]:
    """~40 clips over four days: ties in published_at, read/unread, flagged, hidden,
    corrections, assignees, outlets of different types and none, links and none, stories,
    topics; hostile, non-ASCII and LIKE-wildcard titles. Returns the topic ids."""
    add_staff(db, initials="AL", name="Ann Lee", role="pio")
    add_staff(db, initials="EO", name="Éva Olár", role="press_secretary")
    add_outlet(db, name="Alder Daily Herald", type="print")
    add_outlet(db, name="KPAC [News]", type="tv", language="es")
    feeds = [
        add_feed(db, url="https://herald.example/rss", name="Herald", outlet="Alder Daily Herald"),
        add_feed(db, url="https://kpac.example/rss", name="KPAC RSS", outlet="KPAC [News]"),
        add_feed(db, url="https://blog.example/feed", name="A blog <no outlet>"),
    ]
    made: list[ClipRecord] = []
    tie = NOW - timedelta(hours=2)
    for i, title in enumerate(TITLES * 3):
        day = i % 4  # today, yesterday, two and three days ago
        at = NOW - timedelta(days=day, minutes=7 * i, microseconds=0 if i % 5 else 123456)
        if i % 6 == 0:
            at = tie - timedelta(days=day)  # ties on the keyset's first column
        clip = clips.add_clip(
            db,
            feed_id=feeds[i % 3].id,
            guid=f"g{i}",
            title=f"{title} #{i}" if i >= len(TITLES) else title,
            url=None if i % 4 == 3 else f"https://news.example/{i}",
            summary="" if i % 2 else f"Summary {i} with <i>markup</i>",
            author="Rita Ames" if i % 3 == 0 else "",
            published_at=at,
            language=None if i % 2 else "en",
        )
        assert clip is not None
        made.append(clip)
    for clip in made[::2]:
        clips.set_read(db, clip.id)
    for clip in made[1::5]:
        clips.set_flagged(db, clip.id, now=NOW)
    for clip in made[2::7]:
        clips.set_hidden(db, clip.id)
    for n, clip in enumerate(made[3::6]):
        current = clips.get_clip(db, clip.id)
        clips.assign_clip(db, clip.id, current.version, "AL" if n % 2 else "EO")
    for clip in made[4::9]:
        current = clips.get_clip(db, clip.id)
        clips.mark_correction(db, clip.id, current.version, "The date is wrong [sic]")
    for i in range(4):  # from the fetch path, one a day, one of them tied with ORM rows
        insert_as_fetched(db, feeds[2].id, f"fetched story {i} 100%", tie - timedelta(days=i))
    with db.transaction() as session:
        budget = Topic(name="Budget", query="budget", priority=1)
        water = Topic(name="water", query="water", priority=2)
        also_p1 = Topic(name="Aardvark", query="aardvark", priority=1)
        session.add_all([budget, water, also_p1])
        session.flush()
        session.get(Clip, made[1].id).story_id = made[0].id
        for n, clip in enumerate(made):
            if n % 3 == 0:
                session.add(ClipTopic(clip_id=clip.id, topic_id=budget.id, matched_terms="budget"))
            if n % 4 == 0:
                terms = "water\nmain\nwater" if n % 8 else "water, main"
                session.add(ClipTopic(clip_id=clip.id, topic_id=water.id, matched_terms=terms))
            if n % 6 == 0:
                session.add(ClipTopic(clip_id=clip.id, topic_id=also_p1.id, matched_terms=""))
        return {"budget": budget.id, "water": water.id}


# --- equivalence ------------------------------------------------------------------------------


def typed(records: list[ClipRecord]) -> list[tuple[object, ...]]:
    """Each record's values with their types (``==`` alone takes 1 for True, "tv" for
    ``OutletType.TV`` and any zone's same instant for UTC)."""
    return [
        (*((value, type(value)) for value in astuple(record)), record.published_at.tzinfo)
        for record in records
    ]


def assert_same(mine: list[ClipRecord], theirs: list[ClipRecord], options: object) -> None:
    assert typed(mine) == typed(theirs), options


def test_the_varied_desk_has_what_the_comparisons_need(db, varied) -> None:
    everything = orm_list_clips(db, include_hidden=True, limit=500)
    assert len(everything) == 3 * len(TITLES) + 4
    times = [c.published_at for c in everything]
    assert len(set(times)) < len(times)  # ties
    assert {c.outlet_type for c in everything} == {None, OutletType.PRINT, OutletType.TV}
    assert any(c.outlet is None for c in everything) and any(c.outlet for c in everything)
    assert any(c.url is None for c in everything) and any(c.language is None for c in everything)
    assert any(c.hidden for c in everything) and any(c.flagged for c in everything)
    assert any(c.is_read for c in everything) and any(not c.is_read for c in everything)
    assert any(c.needs_correction for c in everything) and any(c.story_id for c in everything)
    assert {c.assignee for c in everything} == {None, "AL", "EO"}
    assert len({c.published_at.date() for c in everything}) == 4


SINCES = (None, MIDNIGHT - timedelta(days=1), MIDNIGHT, NOW - timedelta(hours=2))


@pytest.mark.parametrize("since", SINCES)
def test_every_option_and_every_page_as_the_orm_query(db, varied, since) -> None:
    """Every combination of the filters, read in pages of 3 through ``before`` to the end
    (and whole): the same records, in the same order, as the SQLAlchemy query."""
    for unread_only, include_hidden, flagged_only, topic in itertools.product(
        (False, True), (False, True), (False, True), (None, "budget", "water")
    ):
        options = {
            "since": since,
            "unread_only": unread_only,
            "include_hidden": include_hidden,
            "flagged_only": flagged_only,
            "topic_id": None if topic is None else varied[topic],
        }
        whole = clip_records.list_clips(db, limit=500, **options)
        assert_same(whole, orm_list_clips(db, limit=500, **options), options)
        pages: list[ClipRecord] = []
        before = None
        while True:
            page = clip_records.list_clips(db, limit=3, before=before, **options)
            assert_same(page, orm_list_clips(db, limit=3, before=before, **options), options)
            if not page:
                break
            pages += page
            before = (page[-1].published_at, page[-1].id)
        assert pages == whole


TEXTS = [
    "budget",
    "BUDGET",
    "  vote  ",
    "",
    "   ",
    "%",
    "100%",
    "_",
    "a_b",
    "/",
    "50/50",
    "//",
    "/%",
    "\\",
    "'",
    '"double"',
    "[bold]",
    "<b>",
    "müller",
    "MÜLLER",
    "Müller",
    "são",
    "ü",
    "Ü",
    "no such words",
]


@pytest.mark.parametrize("include_hidden", [False, True])
def test_the_headline_filter_as_sqlalchemys_icontains(db, varied, include_hidden) -> None:
    """Case folding (SQLite's: ASCII only), wildcards and the escape character matched
    literally, as ``icontains(autoescape=True)``; with a window and a page too."""
    for text in TEXTS:
        for since, limit in ((None, 500), (MIDNIGHT - timedelta(days=1), 2)):
            options = {"text": text, "include_hidden": include_hidden, "since": since}
            mine = clip_records.list_clips(db, limit=limit, **options)
            assert_same(mine, orm_list_clips(db, limit=limit, **options), options)
    assert clip_records.list_clips(db, text="100%", limit=500)  # the filter can match
    assert not clip_records.list_clips(db, text="1000", limit=500)  # and can refuse


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet="aAbBüÜs%_/\\' 0", max_size=4))
def test_any_headline_filter_as_sqlalchemys_icontains(db, varied, text) -> None:
    mine = clip_records.list_clips(db, text=text, limit=500, include_hidden=True)
    assert_same(mine, orm_list_clips(db, text=text, limit=500, include_hidden=True), text)


def test_unread_counts_as_the_orm_query(db, varied) -> None:
    for since in (*SINCES, NOW + timedelta(days=1)):
        assert clip_records.count_unread(db, since=since) == orm_count_unread(db, since=since)
    assert 0 < clip_records.count_unread(db, since=MIDNIGHT) < clip_records.count_unread(db)


def test_topics_of_as_the_orm_query(db, varied) -> None:
    ids = [c.id for c in orm_list_clips(db, include_hidden=True, limit=500)]
    found = clip_records.topics_of(db, [*ids, *ids[:5], 10**9])  # repeats, an unknown id
    assert found == orm_topics_of(db, ids)
    assert {len(m) for m in found.values()} >= {1, 2, 3}  # priority, then name, decide
    assert clip_records.topics_of(db, []) == {}


def test_topics_of_more_ids_than_one_query_takes(db, varied, monkeypatch) -> None:
    monkeypatch.setattr(clip_records, "_IDS_PER_QUERY", 4)
    ids = [c.id for c in orm_list_clips(db, include_hidden=True, limit=500)]
    assert clip_records.topics_of(db, ids) == orm_topics_of(db, ids)


def test_any_feed(db) -> None:
    assert clip_records.any_feed(db) is False
    add_feed(db, url="https://herald.example/rss", name="Herald")
    assert clip_records.any_feed(db) is True


def test_bad_arguments_are_refused_as_before(db) -> None:
    naive = datetime(2026, 11, 24, 15, 0)
    for call in (
        lambda: clip_records.list_clips(db, limit=0),
        lambda: clip_records.list_clips(db, limit=True),
        lambda: clip_records.list_clips(db, since=naive),
        lambda: clip_records.list_clips(db, before=(naive, 3)),
        lambda: clip_records.count_unread(db, since=naive),
    ):
        with pytest.raises(InputError):
            call()


def test_clips_re_exports_one_implementation() -> None:
    for name in ("ClipRecord", "ClipTopicMatch", "clip_record", "list_clips", "count_unread"):
        assert getattr(clips, name) is getattr(clip_records, name)
    assert clips.topics_of is clip_records.topics_of
    assert clips.matched_terms is clip_records.matched_terms
