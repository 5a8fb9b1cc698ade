"""Storing feeds: dedupe, story grouping, topics, health, audit; nothing stored is lost."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Clip, ClipTopic, Feed, FeedCopy
from db.schema import check
from deskterm.core import feeds, topics
from deskterm.core.errors import InputError
from deskterm.core.feed_parse import Entry, ParsedFeed, parse_feed
from deskterm.core.fetch import FetchResult
from deskterm.core.fetcher import fetch_all
from deskterm.core.ingest import (
    KNOWN_WINDOW,
    FeedOutcome,
    backoff,
    load_plans,
    recent_guids,
    store_outcomes,
)
from deskterm.core.stories import also_in
from tests.core.feedserver import DUPLICATE_GUIDS, rss, rss_item
from tests.core.test_search import fts_ok

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WIRE = (
    "The council voted seven to two on Monday night to approve the harbor redevelopment "
    "plan after four hours of public comment from residents and business owners."
)


def add(db, name: str, tmp_path: Path, data: bytes = b"<rss/>", **options) -> int:
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    return feeds.add_feed(db, url=str(path), name=name, **options).id


def outcome(db, feed_id: int, data: bytes, *, now: datetime = NOW) -> FeedOutcome:
    (plan,) = load_plans(db, feed_ids=[feed_id])
    parsed = parse_feed(data, fetched_at=now)
    return FeedOutcome(plan, FetchResult(feed_id, plan.url, "ok"), parsed)


def store(db, *pairs: tuple[int, bytes], now: datetime = NOW, compiled=()) -> list:
    return store_outcomes(
        db, [outcome(db, fid, data, now=now) for fid, data in pairs], topics=compiled, now=now
    )


def clips(db) -> list[Clip]:
    with db.read() as session:
        rows = list(session.scalars(select(Clip).order_by(Clip.id)))
        for row in rows:
            session.expunge(row)
        return rows


def feed_row(db, feed_id: int) -> Feed:
    with db.read() as session:
        row = session.get(Feed, feed_id)
        session.expunge(row)
        return row


def item(title: str, guid: str, link: str, *, at: datetime = NOW, text: str = "") -> str:
    return rss_item(title, guid=guid, link=link, published=at, description=text)


def test_the_same_entry_is_never_stored_twice(db, tmp_path: Path) -> None:
    herald = add(db, "herald", tmp_path)
    weekly = add(db, "weekly", tmp_path)
    doc = rss(
        [
            item("Harbor plan approved by council", "h-1", "https://herald.example/1"),
            item("Library hours cut in budget", "h-2", "https://herald.example/2?utm_source=rss"),
        ]
    )
    first = store(db, (herald, doc))
    assert [r.new_clips for r in first] == [2]
    assert store(db, (herald, doc))[0].new_clips == 0  # same GUIDs in the same feed
    # another feed carrying the same canonical link is the same entry
    other = rss([item("Library hours cut", "w-9", "https://HERALD.example/2#comments")])
    assert store(db, (weekly, other))[0].new_clips == 0
    assert store(db, (herald, DUPLICATE_GUIDS))[0].new_clips == 2  # "same" once, "other"
    assert len(clips(db)) == 4
    assert {c.url for c in clips(db)} >= {"https://herald.example/2"}


def test_copies_are_remembered_while_seen_and_forgotten_after_the_window(
    db, tmp_path: Path
) -> None:
    herald = add(db, "herald", tmp_path)
    weekly = add(db, "weekly", tmp_path)
    store(db, (herald, rss([item("Harbor plan approved", "h-1", "https://herald.example/1")])))
    copy = rss([item("Harbor plan approved", "w-1", "https://herald.example/1?utm_source=x")])

    def remembered() -> list[tuple[int, str, str, datetime]]:
        with db.read() as session:
            rows = session.execute(
                select(FeedCopy.feed_id, FeedCopy.guid, FeedCopy.url, FeedCopy.seen_at)
            )
            return [tuple(row) for row in rows]

    since = NOW - KNOWN_WINDOW
    assert store(db, (weekly, copy))[0].new_clips == 0
    assert remembered() == [(weekly, "w-1", "https://herald.example/1", NOW)]
    assert recent_guids(db, since)[weekly] == frozenset({"w-1"})
    later = NOW + timedelta(days=10)
    store(db, (weekly, copy), now=later)  # seen again: the same row, a new time
    assert remembered() == [(weekly, "w-1", "https://herald.example/1", later)]
    store(db, (herald, rss([])), now=later + KNOWN_WINDOW + timedelta(minutes=1))
    assert remembered() == []  # not seen within the window: forgotten by the next write


def test_syndicated_copies_become_one_story(db, tmp_path: Path) -> None:
    herald, kpac, radio, blog = (add(db, n, tmp_path) for n in ("herald", "kpac", "radio", "blog"))
    store(db, (herald, rss([item("Harbor plan approved by council", "h1", "https://h.example/1")])))
    # the same title (case and punctuation aside) a day later: a copy
    later = NOW + timedelta(hours=20)
    store(
        db,
        (
            kpac,
            rss([item("HARBOR PLAN APPROVED BY COUNCIL!", "k1", "https://k.example/1", at=later)]),
        ),
        now=later,
    )
    # the same title three days later: another story
    much_later = NOW + timedelta(days=3)
    store(
        db,
        (radio, rss([item("Harbor plan approved by council", "r1", "https://r.example/1",
                          at=much_later)])),
        now=much_later,
    )  # fmt: skip
    # different title, the same body text from another feed: a copy by content hash
    store(
        db, (blog, rss([item("Neighbors react to vote", "b1", "https://b.example/1", text=WIRE)]))
    )
    store(db, (kpac, rss([item("Council says yes to harbor", "k2", "https://k.example/2",
                                text=WIRE.upper())])))  # fmt: skip
    by_guid = {c.guid: c for c in clips(db)}
    assert by_guid["h1"].story_id is None
    assert by_guid["k1"].story_id == by_guid["h1"].id
    assert by_guid["r1"].story_id is None
    assert by_guid["b1"].story_id is None and by_guid["k2"].story_id == by_guid["b1"].id
    assert [c.id for c in also_in(db, by_guid["h1"].id)] == [by_guid["k1"].id]
    assert [c.feed for c in also_in(db, by_guid["k1"].id)] == ["herald"]
    assert also_in(db, by_guid["r1"].id) == []


def test_copies_within_one_run_and_one_document_are_grouped(db, tmp_path: Path) -> None:
    a, b = add(db, "a", tmp_path), add(db, "b", tmp_path)
    title = "Water main break floods Harborview streets"
    doc_a = rss(
        [
            item(title, "a1", "https://a.example/1"),
            item(title + " (update)", "a2", "https://a.example/2", at=NOW + timedelta(hours=1)),
            item(title, "a3", "https://a.example/3", at=NOW + timedelta(hours=2)),
        ]
    )
    doc_b = rss([item(title, "b1", "https://b.example/1", at=NOW + timedelta(minutes=30))])
    store(db, (a, doc_a), (b, doc_b))
    by_guid = {c.guid: c for c in clips(db)}
    root = by_guid["a1"].id
    assert by_guid["a1"].story_id is None
    assert by_guid["a3"].story_id == root and by_guid["b1"].story_id == root
    assert by_guid["a2"].story_id is None  # a different title
    assert sorted(c.id for c in also_in(db, root)) == sorted([by_guid["b1"].id, by_guid["a3"].id])


def test_one_transaction_dedupes_against_its_own_clips(db, tmp_path: Path, caplog) -> None:
    """A run's clips reach the file at the end of its write transaction: until then the
    transaction's own clips must count for every rule (a link another feed of the run
    stored, a feed stored twice, a copy of a story or text that starts in the run)."""
    herald, weekly, blog = (add(db, n, tmp_path) for n in ("herald", "weekly", "blog"))
    first = rss(
        [
            item("Harbor plan approved by council", "h-1", "https://herald.example/1"),
            item("Neighbors react to the vote", "h-2", "https://herald.example/2", text=WIRE),
        ]
    )
    same_link = rss([item("Harbor plan approved", "w-1", "https://HERALD.example/1?utm_source=x")])
    again = rss(
        [
            item("Harbor plan approved by council", "h-1", "https://herald.example/1-moved"),
            item("Bridge closes for repairs", "h-3", "https://herald.example/3"),
        ]
    )
    copy = rss(
        [
            item("HARBOR PLAN APPROVED BY COUNCIL", "b-1", "https://blog.example/1"),
            item("What the council decided", "b-2", "https://blog.example/2", text=WIRE.upper()),
        ]
    )
    results = store(db, (herald, first), (weekly, same_link), (herald, again), (blog, copy))
    assert [r.new_clips for r in results] == [2, 0, 1, 2]
    assert not caplog.records  # in one transaction, not after a failure feed by feed
    by_guid = {c.guid: c for c in clips(db)}
    assert sorted(by_guid) == ["b-1", "b-2", "h-1", "h-2", "h-3"]
    assert by_guid["b-1"].story_id == by_guid["h-1"].id  # the same title
    assert by_guid["b-2"].story_id == by_guid["h-2"].id  # the same text, another feed
    assert [c.id for c in also_in(db, by_guid["h-1"].id)] == [by_guid["b-1"].id]
    fts_ok(db)


def test_generic_titles_are_not_grouped(db, tmp_path: Path) -> None:
    a, b = add(db, "a", tmp_path), add(db, "b", tmp_path)
    store(db, (a, rss([item("Update", "a1", "https://a.example/1")])))
    store(db, (b, rss([item("Update", "b1", "https://b.example/1")])))
    assert [c.story_id for c in clips(db)] == [None, None]


def test_topics_tag_new_clips_and_priority_one_is_announced(db, tmp_path: Path) -> None:
    urgent = topics.add_topic(db, name="Water", query='"water main" OR boil*', priority=1)
    budget = topics.add_topic(db, name="Budget", query="budget", priority=2)
    feed = add(
        db,
        "herald",
        tmp_path,
        rss(
            [
                item("Water main break floods streets", "w1", "https://h.example/w1"),
                item("Budget gap grows", "b1", "https://h.example/b1"),
                item("Boil-water advisory and budget talks", "x1", "https://h.example/x1"),
                item("Parade route announced", "p1", "https://h.example/p1"),
            ]
        ),
    )
    summary = fetch_all(db, now=NOW, due_only=False)
    assert summary.new_clips == 4
    by_guid = {c.guid: c.id for c in clips(db)}
    with db.read() as session:
        tags = {
            (clip_id, topic_id): terms
            for clip_id, topic_id, terms in session.execute(
                select(ClipTopic.clip_id, ClipTopic.topic_id, ClipTopic.matched_terms)
            )
        }
    assert set(tags) == {
        (by_guid["w1"], urgent.id),
        (by_guid["b1"], budget.id),
        (by_guid["x1"], urgent.id),
        (by_guid["x1"], budget.id),
    }
    assert tags[(by_guid["w1"], urgent.id)] == topics.encode_terms(["water main"])
    assert sorted(summary.new_priority_matches) == sorted(
        [
            (by_guid["w1"], "Water main break floods streets", "Water", 1),
            (by_guid["x1"], "Boil-water advisory and budget talks", "Water", 1),
        ]
    )
    # a re-match by the topics module sees the same stored terms: nothing to change
    result = topics.rematch_topic(db, urgent.id, now=NOW + timedelta(minutes=1))
    assert (result.added, result.removed, result.changed) == (0, 0, 0)
    assert feed == 1


def test_health_on_success_failure_warning_and_move(db, tmp_path: Path) -> None:
    feed_id = add(db, "herald", tmp_path)
    plan_doc = rss([item("Harbor plan approved by council", "h1", "https://h.example/1")])
    (plan,) = load_plans(db, feed_ids=[feed_id])
    failed = FetchResult(feed_id, plan.url, "error", http_status=503, error="HTTP 503",
                         retry_after_s=7200)  # fmt: skip
    for attempt in (1, 2):
        (result,) = store_outcomes(db, [FeedOutcome(plan, failed)], now=NOW)
        assert result.status == "error"
        row = feed_row(db, feed_id)
        assert row.consecutive_errors == attempt and row.last_error == "HTTP 503"
        assert row.next_fetch_at == NOW + timedelta(hours=2)  # Retry-After beats 10/20 min
    moved = FetchResult(feed_id, plan.url, "ok", http_status=200, etag='"e1"',
                        moved_to="https://new.example/rss")  # fmt: skip
    parsed = parse_feed(plan_doc, fetched_at=NOW)
    (result,) = store_outcomes(db, [FeedOutcome(plan, moved, parsed)], now=NOW)
    row = feed_row(db, feed_id)
    assert (row.consecutive_errors, row.last_error, row.last_status, row.etag) == (
        0,
        "",
        "ok",
        '"e1"',
    )
    assert row.warning == "moved permanently to https://new.example/rss; update the feed's address"
    assert row.version == 1  # health is bookkeeping: an open editor does not go stale


def test_a_web_feed_named_after_its_host_takes_its_own_title(db, tmp_path: Path) -> None:
    """A plain list of URLs names every feed of a site after the host; the first fetch
    that brings the feed's title names it after that. A typed name, or a file's (its
    stem), stays."""
    doc = rss([item("Harbor plan approved", "h1", "https://h.ex/1")],
              title="Alder Daily Herald — [b]Local[/b]\x1b[31m")  # fmt: skip
    by_host = feeds.add_feed(db, url="https://alder.example/local.rss").id  # "alder.example"
    typed = feeds.add_feed(db, url="https://alder.example/city.rss", name="City desk").id
    by_file = add(db, "herald-local", tmp_path, doc)
    store(db, (by_host, doc), (typed, doc), (by_file, doc))
    names = {fid: feed_row(db, fid).name for fid in (by_host, typed, by_file)}
    assert names == {
        by_host: "Alder Daily Herald — [b]Local[/b]",  # one plain line, markup kept literal
        typed: "City desk",
        by_file: "herald-local",
    }
    with db.read() as session:
        health = [
            json.loads(c)
            for c in session.scalars(
                select(AuditLog.changes).where(AuditLog.entity == "feeds").order_by(AuditLog.id)
            )
        ][-1]
    assert health[f"feed_{by_host}_name"].startswith("name 'alder.example' -> 'Alder Daily")
    store(db, (by_host, rss([], title="Renamed upstream")))
    assert feed_row(db, by_host).name.startswith("Alder Daily Herald")  # named once only


def test_a_failing_feed_keeps_what_it_stored(db, tmp_path: Path) -> None:
    feed_id = add(db, "herald", tmp_path)
    store(db, (feed_id, rss([item("Harbor plan approved", "h1", "https://h.example/1")])))
    (plan,) = load_plans(db, feed_ids=[feed_id])
    for data in (b"<html><body>gone</body></html>", b""):
        parsed = parse_feed(data, fetched_at=NOW)
        store_outcomes(
            db, [FeedOutcome(plan, FetchResult(feed_id, plan.url, "ok"), parsed)], now=NOW
        )
    assert len(clips(db)) == 1
    assert feed_row(db, feed_id).last_error == "empty document"


def test_one_feeds_bad_data_does_not_cost_the_others(db, tmp_path: Path) -> None:
    good, bad = add(db, "good", tmp_path), add(db, "bad", tmp_path)
    good_outcome = outcome(db, good, rss([item("Harbor plan approved", "g1", "https://g.ex/1")]))
    poisoned = Entry(
        guid="p1", url=None, url_key=None, title=None,  # type: ignore[arg-type]
        summary="", author="", published_at=NOW, dated=True, title_key="", content_hash=None,
    )  # fmt: skip
    bad_outcome = outcome(db, bad, rss([]))
    bad_outcome = FeedOutcome(bad_outcome.plan, bad_outcome.fetch, ParsedFeed((poisoned,)))
    results = store_outcomes(db, [bad_outcome, good_outcome], now=NOW)
    assert [(r.name, r.status, r.new_clips) for r in results] == [
        ("bad", "error", 0),
        ("good", "ok", 1),
    ]
    assert feed_row(db, bad).last_error.startswith("could not store the feed's entries")


def test_a_removed_feed_is_reported_not_stored(db, tmp_path: Path) -> None:
    feed_id = add(db, "gone", tmp_path)
    pending = outcome(db, feed_id, rss([item("Harbor plan approved", "g1", "https://g.ex/1")]))
    feeds.remove_feed(db, feed_id)
    (result,) = store_outcomes(db, [pending], now=NOW)
    assert (result.status, result.error) == ("error", "the feed was removed")


def test_bulk_writes_are_audited(db, tmp_path: Path) -> None:
    a, b = add(db, "a", tmp_path), add(db, "b", tmp_path)
    store(
        db,
        (a, rss([item("Harbor plan approved", "a1", "https://a.ex/1")])),
        (b, rss([item("Library hours cut", "b1", "https://b.ex/1")])),
    )
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.entity, AuditLog.action, AuditLog.changes)
            .where(AuditLog.entity.in_(["clips", "feeds"]))
            .order_by(AuditLog.id)
        ).all()
    inserts = [json.loads(changes) for entity, _, changes in rows if entity == "clips"]
    assert [(c["feed_id"], c["count"], c["first_id"], c["last_id"]) for c in inserts] == [
        (a, 1, 1, 1),
        (b, 1, 2, 2),
    ]
    health = [
        json.loads(changes)
        for entity, action, changes in rows
        if entity == "feeds" and action == "update"
    ]
    assert health[-1]["fetched"] == f"{a},{b}"
    assert "last_status 'never' -> 'ok'" in health[-1][f"feed_{a}"]
    assert check(db).ok


def test_backoff_doubles_and_stops_at_a_day() -> None:
    assert [backoff(10, n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff(10, 30) == timedelta(hours=24)
    assert backoff(10, 1, retry_after_s=3600) == timedelta(hours=1)


# --- the registry's health view and removal -------------------------------------------------


def test_feed_health_lists_failing_then_stale_then_warned(db, tmp_path: Path) -> None:
    ok, failing, stale, warned, never = (
        add(db, n, tmp_path) for n in ("ok", "failing", "stale", "warned", "never")
    )
    with db.transaction() as session:
        for feed_id, values in (
            (ok, {"last_fetch_at": NOW, "last_status": "ok"}),
            (failing, {"last_fetch_at": NOW, "last_status": "error", "consecutive_errors": 3,
                       "last_error": "HTTP 500"}),
            (stale, {"last_fetch_at": NOW - timedelta(hours=2), "last_status": "ok"}),
            (warned, {"last_fetch_at": NOW, "last_status": "ok", "warning": "ill-formed XML"}),
        ):  # fmt: skip
            row = session.get(Feed, feed_id)
            for key, value in values.items():
                setattr(row, key, value)
    found = feeds.feed_health(db, now=NOW)
    assert [(h.id, h.problem) for h in found] == [
        (failing, "failing"),
        (never, "stale"),
        (stale, "stale"),
        (warned, "warning"),
    ]
    assert found[0].detail == "HTTP 500 (3 times in a row)"
    assert found[2].detail == "not fetched for 2 h"
    feeds.set_feed_enabled(db, failing, False)
    assert failing not in {h.id for h in feeds.feed_health(db, now=NOW)}


def test_removing_a_feed_with_clips_needs_consent(db, tmp_path: Path) -> None:
    feed_id = add(db, "herald", tmp_path)
    store(db, (feed_id, rss([item("Harbor plan approved", "h1", "https://h.example/1")])))
    with pytest.raises(InputError, match="has 1 clip"):
        feeds.remove_feed(db, feed_id)
    assert len(clips(db)) == 1
    assert feeds.remove_feed(db, feed_id, delete_clips=True) == feeds.FeedRemoval(1, 0)
    assert clips(db) == []
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Feed)) == 0


def test_removing_a_feed_names_the_clips_the_desk_worked_on_and_leaves_no_link(
    db, tmp_path: Path
) -> None:
    from db.models import Link
    from deskterm.core import clips as clip_ops
    from deskterm.core import links, tasks

    feed_id = add(db, "herald", tmp_path)
    store(db, (feed_id, rss([item(f"Story {i}", f"s{i}", f"https://h.example/{i}")
                             for i in range(4)])))  # fmt: skip
    first, second, *_ = clips(db)
    clip_ops.set_flagged(db, first.id, True)
    card = tasks.create_task(db, title="Respond to the story")
    links.add_link(db, "task", card.id, "clip", second.id)
    with pytest.raises(InputError, match=r"has 4 clips, 2 of them flagged, assigned, marked or"):
        feeds.remove_feed(db, feed_id)
    assert feeds.remove_feed(db, feed_id, delete_clips=True) == feeds.FeedRemoval(4, 0)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Link)) == 0  # none dangles


def test_removing_a_feed_hands_a_story_another_feed_carries_to_that_feed(
    db, tmp_path: Path
) -> None:
    """The herald and the weekly both carry the harbor story (the weekly's entry was
    dropped as a copy). Removing the herald keeps the story, with what the desk did with
    it, as the weekly's clip; only the herald's own story goes."""
    from db.models import Link
    from deskterm.core import clips as clip_ops
    from deskterm.core import links, tasks

    herald = add(db, "herald", tmp_path)
    weekly = add(db, "weekly", tmp_path)
    store(db, (herald, rss([item("Harbor plan approved", "h-1", "https://h.example/1"),
                            item("Library hours cut", "h-2", "https://h.example/2")])))  # fmt: skip
    store(
        db, (weekly, rss([item("Harbor plan approved", "w-7", "https://h.example/1?utm_source=w")]))
    )
    harbor, library = clips(db)
    flagged = clip_ops.set_flagged(db, harbor.id, True)
    card = tasks.create_task(db, title="Answer the harbor story")
    links.add_link(db, "task", card.id, "clip", harbor.id)

    with pytest.raises(InputError, match=r"has 1 clip \(1 more stay with other feeds that carry"):
        feeds.remove_feed(db, herald)
    assert feeds.remove_feed(db, herald, delete_clips=True) == feeds.FeedRemoval(1, 1)

    (kept,) = clips(db)
    assert (kept.id, kept.feed_id, kept.guid, kept.url) == (
        harbor.id, weekly, "w-7", "https://h.example/1"
    )  # fmt: skip
    assert kept.flagged and kept.version == flagged.version + 1
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Link)) == 1  # the card's link
        assert session.scalar(select(func.count()).select_from(FeedCopy)) == 0
        changes = session.scalar(
            select(AuditLog.changes).where(
                AuditLog.entity == "clips", AuditLog.entity_id == harbor.id
            ).order_by(AuditLog.id.desc()).limit(1)
        )  # fmt: skip
    assert json.loads(changes)["feed_id"] == [herald, weekly]
    # the weekly's next fetch knows the entry as its own clip: nothing new
    again = rss([item("Harbor plan approved", "w-7", "https://h.example/1")])
    assert store(db, (weekly, again))[0].new_clips == 0
    assert library.id not in {c.id for c in clips(db)}


def test_a_feed_whose_stories_other_feeds_all_carry_goes_without_consent(
    db, tmp_path: Path
) -> None:
    herald, weekly, daily = (add(db, name, tmp_path) for name in ("herald", "weekly", "daily"))
    store(db, (herald, rss([item("Harbor plan approved", "h-1", "https://h.example/1")])))
    copy = rss([item("Harbor plan approved", "x-1", "https://h.example/1")])
    store(db, (daily, copy), now=NOW)
    store(db, (weekly, copy), now=NOW + timedelta(hours=1))  # carried last: the heir
    assert feeds.remove_feed(db, herald) == feeds.FeedRemoval(0, 1)
    (kept,) = clips(db)
    assert (kept.feed_id, kept.guid) == (weekly, "x-1")
    with db.read() as session:  # the daily's entry is still a copy of that clip
        assert list(session.execute(select(FeedCopy.feed_id, FeedCopy.guid))) == [(daily, "x-1")]


def test_removing_the_original_of_a_syndicated_story_keeps_its_copies_together(
    db, tmp_path: Path
) -> None:
    herald, weekly, daily = (add(db, name, tmp_path) for name in ("herald", "weekly", "daily"))
    title = "Harbor plan approved by council"
    store(db, (herald, rss([item(title, "h-1", "https://h.example/1", at=NOW)])))
    store(
        db, (weekly, rss([item(title, "w-1", "https://w.example/1", at=NOW + timedelta(hours=1))]))
    )
    store(
        db, (daily, rss([item(title, "d-1", "https://d.example/1", at=NOW + timedelta(hours=2))]))
    )
    original, first_copy, second_copy = clips(db)
    assert first_copy.story_id == second_copy.story_id == original.id
    assert feeds.remove_feed(db, herald, delete_clips=True) == feeds.FeedRemoval(1, 0)
    by_id = {c.id: c for c in clips(db)}
    assert by_id[first_copy.id].story_id is None  # the earliest copy is the original now
    assert by_id[second_copy.id].story_id == first_copy.id
    assert [c.id for c in also_in(db, first_copy.id)] == [second_copy.id]


def test_rows_prepared_by_the_parser_match_rows_built_by_the_writer(db, tmp_path: Path) -> None:
    """fetch_all has the parser processes build each clip's SQLite row; store_outcomes
    without them builds rows itself. Both must store exactly the same values."""
    from db.engine import Actor, Database
    from db.schema import upgrade

    doc = rss(
        [
            item("Water main break floods streets", "w1", "https://h.example/w1?utm_source=x",
                 text=WIRE),
            item("Budget gap grows", "b1", "https://h.example/b1", at=NOW - timedelta(days=1)),
            item("Water main break floods streets", "w2", "https://h.example/w2"),
        ]
    )  # fmt: skip
    other = Database(str(tmp_path / "other.sqlite3"), actor=Actor("AB", "test-host"))
    upgrade(other)
    try:
        for desk in (db, other):
            topics.add_topic(desk, name="Water", query='"water main"', priority=1)
            topics.add_topic(desk, name="Budget", query="budget")
            add(desk, "herald", tmp_path, doc)
        fetch_all(db, now=NOW, due_only=False)  # prepared rows
        store(other, (1, doc), compiled=compiled_topics(other))  # the writer's own rows

        def dump(desk) -> tuple[list, list]:
            with desk.read() as session:
                clip_rows = session.execute(select(Clip.__table__).order_by(Clip.id)).all()
                tag_rows = session.execute(
                    select(ClipTopic.__table__).order_by(ClipTopic.clip_id, ClipTopic.topic_id)
                ).all()
            return [tuple(r) for r in clip_rows], [tuple(r) for r in tag_rows]

        assert dump(db) == dump(other)
        assert len(dump(db)[0]) == 3 and len(dump(db)[1]) == 3
    finally:
        other.dispose()


def test_rows_are_prepared_right_by_threads_starting_at_once() -> None:
    """``fetch_all(workers=0)`` parses in threads: several can build their first row at
    once, before the per-process column processors exist. Each must get whole rows (a
    cache filled in place was once read half-built: "zip() argument 2 is shorter")."""
    from deskterm.core import ingest

    entry = parse_feed(rss([item("Budget gap grows", "b1", "https://h.example/b1")]),
                       fetched_at=NOW).entries[0]  # fmt: skip
    values = ingest.clip_values(entry, None, "en", NOW, feed_id=1, outlet_id=None)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often: the race shows if it is there
    try:
        _build_rows_in_threads_at_once(ingest, values)
    finally:
        sys.setswitchinterval(interval)


def _build_rows_in_threads_at_once(ingest, values: dict) -> None:
    for _ in range(5):
        rows, errors = _rows_from_threads(ingest, values, threads=8)
        assert errors == []
        assert len(rows) == 8 and len(set(rows)) == 1
        assert rows[0][ingest.ROW_COLUMNS.index("published_at")] == "2026-11-23 12:00:00.000000"


def _rows_from_threads(ingest, values: dict, *, threads: int) -> tuple[list, list]:
    """``sqlite_row`` from ``threads`` threads released at the same moment."""
    import threading

    start = threading.Barrier(threads)
    rows: list[tuple] = []
    errors: list[BaseException] = []

    def build() -> None:
        start.wait()
        try:
            rows.append(ingest.sqlite_row(values, {}))
        except BaseException as error:
            errors.append(error)

    running = [threading.Thread(target=build) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return rows, errors


def compiled_topics(desk) -> list:
    with desk.read() as session:
        return topics.compile_topics(session)


def test_bulk_rows_store_values_exactly_as_the_orm_does(db, tmp_path: Path) -> None:
    """Times are compared as text in SQLite (keyset windows): a bulk row must hold the
    same text the ORM writes for the same time ("... 12:00:00.000000", not "12:00:00")."""
    from sqlalchemy import text

    from deskterm.core import clips as clip_ops

    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # no microseconds: the telling case
    orm_feed = feeds.add_feed(db, url="https://orm.example/rss", name="orm").id
    clip_ops.add_clip(db, feed_id=orm_feed, guid="o1", title="By the ORM", url=None,
                      published_at=at)  # fmt: skip
    fetched = add(db, "fetched", tmp_path, rss([item("Fetched story one", "f1", "https://f.ex/1",
                                                     at=at)]))  # fmt: skip
    fetch_all(db, now=at, due_only=False)  # rows prepared in the parser process
    written_doc = rss([item("Written story two", "w1", "https://w.ex/1", at=at)])
    written = add(db, "written", tmp_path, written_doc)
    store(db, (written, written_doc), now=at)  # rows built by the writer
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT feed_id, published_at, fetched_at, typeof(is_read), is_read FROM clips"
                " ORDER BY id"
            )
        ).all()
    by_feed = {row[0]: row[1:] for row in rows}
    assert set(by_feed) == {orm_feed, fetched, written}
    published = {values[0] for values in by_feed.values()}
    assert published == {"2026-11-23 09:00:00.000000"}
    assert by_feed[fetched][1] == by_feed[written][1] == "2026-11-23 09:00:00.000000"
    assert {values[2:] for values in by_feed.values()} == {("integer", 0)}


@pytest.mark.parametrize("variables", [None, 100])
def test_many_clips_in_multi_row_statements_all_land_indexed(
    tmp_path: Path, variables: int | None
) -> None:
    """The writer inserts a feed's clips (and their topic rows) as multi-row statements,
    as many rows a statement as SQLite's cap on bound variables allows: with the cap as
    shipped and with a cap of 100 (four clips a statement), every clip lands once, with
    its id, story, topics and full-text index entry."""
    import sqlite3

    from sqlalchemy import event

    from db.engine import Actor, Database
    from db.schema import upgrade
    from deskterm.core.search import search_clips

    desk = Database(str(tmp_path / "cap.sqlite3"), actor=Actor("AB", "test-host"))
    if variables is not None:

        @event.listens_for(desk.engine, "connect")
        def _cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)

    try:
        upgrade(desk)
        topics.add_topic(desk, name="Harbor", query="harbor", priority=1)
        count = 250
        doc = rss(
            [
                item(f"Harbor story number {n} zebra{n}", f"g{n}", f"https://h.example/{n}",
                     at=NOW - timedelta(minutes=n))
                for n in range(count)
            ]
            + [item("Harbor story number 0 zebra0", "copy", "https://h.example/copy")]
        )  # fmt: skip
        feed_id = add(desk, "herald", tmp_path, doc)
        (result,) = store(desk, (feed_id, doc), compiled=compiled_topics(desk))
        assert result.new_clips == count + 1
        stored = clips(desk)
        assert [c.id for c in stored] == list(range(1, count + 2))
        assert sorted(c.guid for c in stored) == sorted([f"g{n}" for n in range(count)] + ["copy"])
        copy = next(c for c in stored if c.guid == "copy")
        first = next(c for c in stored if c.guid == "g0")
        assert copy.story_id == first.id and first.story_id is None
        with desk.read() as session:
            tagged = session.scalar(select(func.count()).select_from(ClipTopic))
        assert tagged == count + 1
        assert result.priority_matches and len(result.priority_matches) == count + 1
        fts_ok(desk)
        for n in (0, 3, 4, 133, count - 1):
            hits = search_clips(desk, f"zebra{n}")
            assert [c.title for c in hits] == [f"Harbor story number {n} zebra{n}"] * (
                1 + (n == 0)
            ), n
    finally:
        desk.dispose()
