"""Topics: validation, edits with versions, matching on ingest (compile_topics), re-matching
recent clips in batches when a topic is added or changed, removal, and two desks at once."""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.enums import AuditAction
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, ClipTopic, Topic
from db.schema import check
from deskterm.core import clips, contacts, feeds, topic_match, topic_query, topics
from deskterm.core.errors import InputError
from deskterm.core.topic_query import QuerySyntaxError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
WRITER = Path(__file__).parent / "procs" / "topic_writer.py"
ROOT = Path(__file__).resolve().parents[2]
FEED_NUMBERS = itertools.count(1)


def add_clips(db, titles, *, outlet="Alder Daily Herald", kind="print", language=None, hours=0):
    """Clips with these titles (and summaries after " | "), one per minute before NOW."""
    with contextlib.suppress(InputError):
        contacts.add_outlet(db, name=outlet, type=kind, language=language or "en")
    feed = feeds.add_feed(db, url=f"https://news.example/{next(FEED_NUMBERS)}.xml", outlet=outlet)
    out = []
    for i, text in enumerate(titles):
        title, _, summary = text.partition(" | ")
        out.append(
            clips.add_clip(
                db,
                feed_id=feed.id,
                guid=f"{feed.id}-{i}",
                title=title,
                summary=summary,
                url=None,
                published_at=NOW - timedelta(hours=hours, minutes=i + 1),
                language=language,
            )
        )
    return out


def tags(db) -> dict[int, dict[int, str]]:
    """topic id -> {clip id: stored matched terms}."""
    with db.read() as session:
        found: dict[int, dict[int, str]] = {}
        for clip_id, topic_id, terms in session.execute(
            select(ClipTopic.clip_id, ClipTopic.topic_id, ClipTopic.matched_terms)
        ):
            found.setdefault(topic_id, {})[clip_id] = terms
    return found


# --- records and validation ---------------------------------------------------------------


def test_add_list_find_update_remove(db):
    housing = topics.add_topic(
        db, name=" Housing ", query="rent* OR housing", priority=1, outlet_types=["print", "TV"],
        languages="en, es",
    )  # fmt: skip
    assert (housing.name, housing.priority, housing.version) == ("Housing", 1, 1)
    assert housing.outlet_types == ("print", "tv")
    assert housing.languages == ("en", "es")
    assert housing.enabled
    budget = topics.add_topic(db, name="Budget", query='"fiscal year"', priority=2)
    schools = topics.add_topic(db, name="Schools", query="school*", priority=1)
    assert [t.name for t in topics.list_topics(db)] == ["Housing", "Schools", "Budget"]
    assert topics.find_topic(db, "budget") == budget
    assert topics.find_topic(db, str(budget.id)) == budget
    with pytest.raises(InputError, match="no topic 'Parks'"):
        topics.find_topic(db, "Parks")

    changed = topics.update_topic(db, budget.id, 1, priority=1, outlet_types=[], name="Budget 2027")
    assert (changed.priority, changed.name, changed.version) == (1, "Budget 2027", 2)
    with pytest.raises(ConflictError):
        topics.update_topic(db, budget.id, 1, priority=3)
    with pytest.raises(ConflictError):
        topics.remove_topic(db, budget.id, 1)
    topics.remove_topic(db, budget.id, 2)
    topics.remove_topic(db, schools.id)
    assert [t.name for t in topics.list_topics(db)] == ["Housing"]
    with pytest.raises(NotFoundError):
        topics.remove_topic(db, schools.id)
    with db.read() as session:
        audited = session.execute(
            select(AuditLog.entity, AuditLog.action).where(AuditLog.entity == "topics")
        ).all()
    assert [a for _, a in audited].count("insert") == 3
    assert [a for _, a in audited].count("delete") == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "a topic's name is required"),
        ({"query": ""}, "query", "the match rule is required"),
        (
            {"query": "budget AND"},
            "query",
            "AND needs something to match on both sides (character 8)",
        ),
        ({"query": "NOT levy"}, "query", "NOT needs something to match first"),
        ({"priority": 0}, "priority", "priority runs from 1 (highest) to 5, not 0"),
        ({"priority": 6}, "priority", "priority runs from 1"),
        ({"priority": True}, "priority", "priority must be a whole number"),
        ({"outlet_types": ["blog"]}, "outlet_types", "unknown outlet type"),
        ({"languages": ["english!"]}, "languages", "is not a language code"),
        ({"enabled": "yes"}, "enabled", "enabled must be true or false"),
    ],
)
def test_bad_fields_name_the_field(db, fields, field, message):
    base = {"name": "Housing", "query": "rent*"}
    with pytest.raises(InputError) as caught:
        topics.add_topic(db, **{**base, **fields})
    assert caught.value.field == field
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Topic)) == 0


def test_names_are_unique_in_any_case_and_unknown_fields_are_refused(db):
    topics.add_topic(db, name="Housing", query="rent")
    other = topics.add_topic(db, name="Budget", query="levy")
    with pytest.raises(InputError, match="already a topic named 'Housing'"):
        topics.add_topic(db, name="HOUSING", query="x")
    with pytest.raises(InputError, match="already a topic named 'Housing'"):
        topics.update_topic(db, other.id, other.version, name="housing")
    with pytest.raises(InputError, match="has no field 'colour'"):
        topics.update_topic(db, other.id, other.version, colour="red")
    assert topics.update_topic(db, other.id, other.version, name="budget").name == "budget"


def test_a_bad_query_error_carries_its_position(db):
    with pytest.raises(QuerySyntaxError) as caught:
        topics.add_topic(db, name="X", query='budget OR "levy')
    assert caught.value.position == 10


# --- matching on ingest -------------------------------------------------------------------


def test_compile_topics_matches_with_limits(db):
    topics.add_topic(db, name="Housing", query="rent* OR vivienda", priority=1)
    topics.add_topic(db, name="TV housing", query="rent*", outlet_types=["tv"], priority=2)
    topics.add_topic(db, name="Spanish", query="vivienda", languages=["es"], priority=3)
    topics.add_topic(db, name="Off", query="rent*", enabled=False)
    with db.read() as session:
        compiled = topics.compile_topics(session)
    assert [t.name for t in compiled] == ["Housing", "TV housing", "Spanish"]
    housing, tv, spanish = compiled
    assert housing.match("Rental crisis", "", "Herald", "print", "en") == ("rent*",)
    assert tv.match("Rental crisis", "", "Herald", "print", "en") == ()
    assert tv.match("Rental crisis", "", "KPAC", "tv", None) == ("rent*",)
    assert spanish.match("Vivienda", "", "La Voz", "community_ethnic", "es-MX") == ("vivienda",)
    assert spanish.match("Vivienda", "", "La Voz", "community_ethnic", None) == ()
    assert spanish.match("Vivienda", "", "La Voz", "community_ethnic", "en") == ()
    found = topic_match.match_topics(compiled, "Rent and vivienda", "", "KPAC", "tv", "es")
    assert [(t.name, terms) for t, terms in found] == [
        ("Housing", ("rent*", "vivienda")),
        ("TV housing", ("rent*",)),
        ("Spanish", ("vivienda",)),
    ]


def test_one_clip_is_split_into_words_once_for_all_topics(db, monkeypatch):
    for i in range(5):
        topics.add_topic(db, name=f"T{i}", query=f"word{i} OR rent*")
    calls = []
    real = topic_query.document

    def counting(*fields):
        calls.append(fields)
        return real(*fields)

    monkeypatch.setattr(topic_match, "document", counting)
    with db.read() as session:
        compiled = topics.compile_topics(session)
    for title in ("Rent", "Word3", "Rent"):
        topic_match.match_topics(compiled, title, "summary", "Herald", "print", "en")
    assert len(calls) == 3


def test_a_stored_rule_that_no_longer_parses_is_skipped(db):
    topics.add_topic(db, name="Good", query="rent")
    bad = topics.add_topic(db, name="Bad", query="levy")
    with db.transaction() as session:
        session.get(Topic, bad.id).query = "levy AND"
    with db.read() as session:
        assert [t.name for t in topics.compile_topics(session)] == ["Good"]


def test_matching_is_fast_enough_for_ingest(db):
    """Ingest's target is 5,000 entries/s with topic matching on: matching must take a
    small part of the 200 microseconds each entry has."""
    for i, spec in enumerate(
        [
            "housing OR rent* OR eviction* OR tenant* OR vivienda OR alquiler*",
            'budget OR levy OR "fiscal year" OR tax*',
            'police OR "public safety" OR oversight OR 911 OR fire*',
            'transit OR bus* OR "Route 12" OR PATA OR "light rail" OR fare*',
            '"water main" OR "boil-water" OR bridge OR pothole*',
            "school* OR student* OR escuela*",
        ]
        * 2
    ):
        topics.add_topic(db, name=f"T{i}", query=spec)
    with db.read() as session:
        compiled = topics.compile_topics(session)
    words = ["mayor", "budget", "transit", "housing", "café", "the", "of", "in", "to", "and"]
    entries = [
        (" ".join(words[(i + j) % len(words)] for j in range(10)), " ".join(words * 4))
        for i in range(2000)
    ]
    started = time.perf_counter()
    for title, summary in entries:
        topic_match.match_topics(compiled, title, summary, "Alder Daily Herald", "print", "en")
    per_entry = (time.perf_counter() - started) / len(entries)
    assert per_entry < 400e-6, f"{per_entry * 1e6:.0f} us per entry for 12 topics"


# --- re-matching ----------------------------------------------------------------------------


def test_rematch_on_add_and_on_change(db):
    made = add_clips(
        db,
        [
            "Budget gap widens | the fiscal year ends in June",
            "Rental crisis deepens",
            "Lost cat found",
            "Levy vote Tuesday | property tax levy",
        ],
    )
    old = add_clips(db, ["Budget of 2025"], hours=24 * 40)  # outside the 30-day window
    topic = topics.add_topic(db, name="Budget", query='budget OR "fiscal year" OR levy')
    seen = []
    result = topics.rematch_topic(
        db, topic.id, now=NOW, batch=2, progress=lambda d, n: seen.append((d, n))
    )
    assert (result.scanned, result.matched, result.added, result.removed) == (4, 2, 2, 0)
    assert seen == [(2, 4), (4, 4)]
    stored = tags(db)[topic.id]
    assert stored == {made[0].id: "budget\nfiscal year", made[3].id: "levy"}
    assert old[0].id not in stored
    assert clips.topics_of(db, [made[0].id])[made[0].id][0].terms == ("budget", "fiscal year")

    topic = topics.update_topic(db, topic.id, topic.version, query="rent* OR levy OR tax")
    result = topics.rematch_topic(db, topic.id, now=NOW)
    assert (result.added, result.removed, result.changed, result.matched) == (1, 1, 1, 2)
    assert tags(db)[topic.id] == {made[1].id: "rent*", made[3].id: "levy\ntax"}

    again = topics.rematch_topic(db, topic.id, now=NOW)
    assert (again.added, again.removed, again.changed) == (0, 0, 0)  # nothing left to do

    everything = topics.rematch_topic(db, topic.id, now=NOW, since=NOW - timedelta(days=400))
    assert everything.scanned == 5

    topic = topics.update_topic(db, topic.id, topic.version, enabled=False)
    off = topics.rematch_topic(db, topic.id, now=NOW)
    assert (off.removed, off.matched) == (2, 0)
    assert topic.id not in tags(db)
    assert check(db).ok


def test_rematch_writes_an_audit_row_per_batch_that_changed(db):
    add_clips(db, [f"Budget story {i}" for i in range(5)])
    topic = topics.add_topic(db, name="Budget", query="budget")
    topics.rematch_topic(db, topic.id, now=NOW, batch=2)
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.entity_id, AuditLog.action, AuditLog.changes).where(
                AuditLog.entity == "clip_topics"
            )
        ).all()
    assert len(rows) == 3
    assert {r[0] for r in rows} == {topic.id}
    changes = [json.loads(r[2]) for r in rows]
    assert sum(c["tagged"] for c in changes) == 5
    assert ",".join(c["clips"] for c in changes) == "1,2,3,4,5"  # newest first


def test_rematch_stops_when_the_topic_changes_meanwhile(db):
    add_clips(db, [f"Budget story {i}" for i in range(6)])
    topic = topics.add_topic(db, name="Budget", query="budget")

    def someone_edits(done: int, total: int) -> None:
        if done == 2:
            current = topics.get_topic(db, topic.id)
            topics.update_topic(db, topic.id, current.version, query="levy")

    result = topics.rematch_topic(db, topic.id, now=NOW, batch=2, progress=someone_edits)
    assert result.interrupted
    assert result.scanned == 2
    assert len(tags(db)[topic.id]) == 2  # the first batch only; the editor re-matches
    assert not topics.rematch_topic(db, topic.id, now=NOW).interrupted
    assert topic.id not in tags(db)


def test_remove_deletes_matches_in_batches(db, monkeypatch):
    made = add_clips(db, [f"Budget story {i}" for i in range(5)])
    topic = topics.add_topic(db, name="Budget", query="budget")
    topics.rematch_topic(db, topic.id, now=NOW)
    assert len(tags(db)[topic.id]) == 5
    monkeypatch.setattr(topics, "REMOVE_BATCH", 2)
    topics.remove_topic(db, topic.id, topic.version)
    assert tags(db) == {}
    assert clips.get_clip(db, made[0].id).title == "Budget story 0"  # clips stay
    with db.read() as session:
        batches = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "clip_topics", AuditLog.action == "delete")
        )
    assert batches == 3
    assert check(db).ok


class SavesBetweenBatches:
    """The desk's database, except that another desk's ``save()`` lands just before the
    ``before``-th write transaction (a removal's second batch, say)."""

    def __init__(self, db, before: int, save) -> None:
        self._db, self._before, self._save, self._begun = db, before, save, 0

    def read(self):
        return self._db.read()

    def transaction(self):
        self._begun += 1
        if self._begun == self._before:
            self._save()
        return self._db.transaction()


def test_another_desks_save_during_a_removal_is_refused_and_the_removal_completes(
    db, db_path, monkeypatch
):
    """A desk that loaded the topic before the removal began cannot save it in the middle
    of the removal (the first step turned it off: a new version), so no topic is left with
    part of its tags gone; the removal completes."""
    from db.engine import Actor, Database

    add_clips(db, [f"Budget story {i}" for i in range(5)])
    topic = topics.add_topic(db, name="Budget", query="budget")
    topics.rematch_topic(db, topic.id, now=NOW)
    monkeypatch.setattr(topics, "REMOVE_BATCH", 2)
    jl = Database(str(db_path), actor=Actor("JL", "other-host"))
    refused = []

    def their_save() -> None:
        try:
            topics.update_topic(jl, topic.id, topic.version, priority=1)
        except ConflictError as error:
            refused.append(error)

    try:
        desk = SavesBetweenBatches(db, 3, their_save)  # before the removal's second batch
        topics.remove_topic(desk, topic.id, topic.version)
    finally:
        jl.dispose()
    assert [(e.base_version, e.current_version) for e in refused] == [(1, 2)]
    assert "topic “Budget” was changed by someone else" in str(refused[0])
    assert topics.list_topics(db) == []
    assert tags(db) == {}
    assert check(db).ok


def test_a_removal_stops_when_another_desk_saves_on_top_of_it_midway(db, db_path, monkeypatch):
    """A save made on top of the turned-off topic (the other desk's "apply mine" after its
    conflict) stops the removal at the next batch: their newer version stays, not deleted
    under them."""
    from db.engine import Actor, Database

    add_clips(db, [f"Budget story {i}" for i in range(5)])
    topic = topics.add_topic(db, name="Budget", query="budget")
    topics.rematch_topic(db, topic.id, now=NOW)
    monkeypatch.setattr(topics, "REMOVE_BATCH", 2)
    jl = Database(str(db_path), actor=Actor("JL", "other-host"))
    try:
        desk = SavesBetweenBatches(
            db, 3, lambda: topics.update_topic(jl, topic.id, 2, priority=1, enabled=True)
        )
        with pytest.raises(ConflictError) as refused:
            topics.remove_topic(desk, topic.id, topic.version)
    finally:
        jl.dispose()
    assert (refused.value.base_version, refused.value.current_version) == (2, 3)
    kept = topics.get_topic(db, topic.id)
    assert (kept.priority, kept.enabled) == (1, True)
    assert len(tags(db).get(topic.id, {})) == 3  # the first batch went before their save; no more
    assert check(db).ok


def test_a_removal_turns_the_topic_off_first_in_the_audit_trail(db) -> None:
    topic = topics.add_topic(db, name="Budget", query="budget")
    topics.remove_topic(db, topic.id, topic.version)
    with db.read() as session:
        actions = session.execute(
            select(AuditLog.action, AuditLog.changes)
            .where(AuditLog.entity == "topics")
            .order_by(AuditLog.id)
        ).all()
    assert [a for a, _ in actions] == [AuditAction.INSERT, AuditAction.UPDATE, AuditAction.DELETE]
    assert "enabled" in actions[1][1]


def test_match_counts(db):
    add_clips(db, ["Budget one", "Budget two", "Rent"])
    a = topics.add_topic(db, name="Budget", query="budget")
    b = topics.add_topic(db, name="Rent", query="rent")
    topics.rematch_topic(db, a.id, now=NOW)
    topics.rematch_topic(db, b.id, now=NOW)
    assert topics.match_counts(db) == {a.id: 2, b.id: 1}
    assert topics.match_counts(db, since=NOW + timedelta(hours=1)) == {}


# --- two desks at once ------------------------------------------------------------------------

PER_DESK = 12


def run_two_desks(
    db_path: Path, operation: str, tmp_path: Path, other: str | None = None, opened=None
) -> list[dict]:
    """Desks A and B run ``operation`` (B runs ``other`` when given) at once, with the
    ``opened`` topics (id -> [version, tags]) as loaded before either started."""
    barrier = tmp_path / f"go-{operation}"
    opened_file = tmp_path / "opened.json"
    opened_file.write_text(json.dumps(opened or {}))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                str(db_path),
                tag,
                does,
                str(PER_DESK),
                barrier,
                opened_file,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag, does in (("A", operation), ("B", other or operation))
    ]
    barrier.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_desks_adding_topics_at_once(db, db_path, tmp_path):
    add_clips(db, ["a story", "b story", "word3 story", "budget story"])
    results = run_two_desks(db_path, "add", tmp_path)
    assert [r["done"] for r in results] == [PER_DESK, PER_DESK]
    assert sum(r["duplicates"] for r in results) == PER_DESK  # each shared name once
    names = [t.name for t in topics.list_topics(db)]
    assert len(names) == len(set(n.lower() for n in names)) == 3 * PER_DESK
    stored = tags(db)
    for topic in topics.list_topics(db):
        if topic.name.startswith("Shared"):
            continue  # added without a re-match
        expected = topics.rematch_topic(db, topic.id, now=NOW)
        assert (expected.added, expected.removed, expected.changed) == (0, 0, 0), topic.name
        assert len(stored.get(topic.id, {})) == expected.matched
    assert check(db).ok


def test_a_desk_saving_a_topic_another_desk_is_removing_leaves_no_topic_half_untagged(
    db, db_path, tmp_path
):
    """Desk B saves each topic (with the version it opened) while desk A is in the middle of
    removing it: B's save is refused and A's removal completes. (Before removals turned the
    topic off first, B's save landed, A's removal stopped, and B's topic kept only the tags
    A had not deleted yet.)"""
    add_clips(db, [f"budget story {i}" for i in range(8)])
    for i in range(PER_DESK):
        topic = topics.add_topic(db, name=f"Budget {i}", query="budget")
        topics.rematch_topic(db, topic.id, now=NOW)
    counts = topics.match_counts(db)
    opened = {t.id: [t.version, counts[t.id]] for t in topics.list_topics(db)}
    assert [tags for _version, tags in opened.values()] == [8] * PER_DESK
    remover, saver = run_two_desks(
        db_path, "remove", tmp_path, other="save-mid-removal", opened=opened
    )
    assert remover["conflicts"] == 0, (remover, saver)
    assert saver["conflicts"] + saver["gone"] == PER_DESK
    assert topics.list_topics(db) == []
    assert tags(db) == {}
    assert check(db).ok


def test_two_desks_editing_one_topic_lose_no_edit(db, db_path, tmp_path):
    add_clips(db, [f"{tag}{i} story" for tag in "ab" for i in range(PER_DESK)] + ["start"])
    topic = topics.add_topic(db, name="Shared", query="start")
    topics.rematch_topic(db, topic.id, now=NOW)
    results = run_two_desks(db_path, "edit", tmp_path)
    final = topics.get_topic(db, topic.id)
    assert final.version == 1 + 2 * PER_DESK  # every edit saved once
    words = set(final.query.split(" OR "))
    assert words == {"start"} | {f"{tag}{i}" for tag in "ab" for i in range(PER_DESK)}
    # whatever order the re-matches ran in, the tags end up those of the final rule
    settled = topics.rematch_topic(db, topic.id, now=NOW)
    assert (settled.added, settled.removed, settled.changed) == (0, 0, 0), results
    assert len(tags(db)[topic.id]) == 2 * PER_DESK + 1
    print(
        "conflicts:",
        [r["conflicts"] for r in results],
        "interrupted:",
        [r["interrupted"] for r in results],
    )
    assert check(db).ok
