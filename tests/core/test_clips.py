"""Feeds, clips, plain_text, and the demo content they will be loaded from."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from db.engine import Database
from db.enums import (
    EventKind,
    EventStatus,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    StaffRole,
    TaskKind,
    TaskStatus,
)
from db.errors import NotFoundError
from db.models import AuditLog
from deskterm.core.clip_text import clean_line, plain_text
from deskterm.core.clips import (
    add_clip,
    count_unread,
    list_clips,
    set_read,
)
from deskterm.core.contacts import add_outlet
from deskterm.core.errors import InputError
from deskterm.core.feeds import add_feed, list_feeds
from deskterm.demo import FEEDS_DIR, content

T0 = datetime(2026, 1, 6, 14, 0, tzinfo=UTC)


# --- feeds ------------------------------------------------------------------------------


def test_add_http_feed_defaults_name_to_host(db: Database) -> None:
    add_outlet(db, name="KPAC News", type="tv")
    feed = add_feed(db, url="https://www.kpac.example/news/rss", outlet="kpac news")
    assert feed.url == "https://www.kpac.example/news/rss"
    assert feed.name == "www.kpac.example"
    assert feed.outlet == "KPAC News"
    assert feed.poll_minutes == 10
    assert feed.enabled is True
    assert feed.last_status == "never"
    assert feed.consecutive_errors == 0
    assert feed.version == 1
    assert list_feeds(db) == [feed]


def test_add_file_url_and_path_feeds(db: Database, tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "city-press.xml"
    data.write_text("<rss version='2.0'><channel><title>x</title></channel></rss>")
    by_url = add_feed(db, url=data.as_uri(), name="City press office")
    assert by_url.url == data.as_uri()  # stored as given
    assert by_url.name == "City press office"

    other = tmp_path / "sub" / "council-agenda.xml"
    other.parent.mkdir()
    other.write_text("<rss/>")
    monkeypatch.chdir(tmp_path)
    by_path = add_feed(db, url="sub/council-agenda.xml", poll_minutes=60)
    assert by_path.url == str(other)  # made absolute
    assert Path(by_path.url).is_absolute()
    assert by_path.name == "council-agenda"  # the file's stem
    assert by_path.poll_minutes == 60
    assert [f.name for f in list_feeds(db)] == ["City press office", "council-agenda"]
    for again in (str(data), other.as_uri(), "file://localhost" + str(other)):  # the same files
        with pytest.raises(InputError, match="already on the desk"):
            add_feed(db, url=again)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "javascript:alert(1)",
        "ftp://files.example/feed.xml",
        "http://",
        "https://exa mple.org/rss",
        "https://example.org:99999/rss",
        "file://otherhost/feed.xml",
        "https://example.org/\x1b[31m",
        "alderherald.example/rss",  # a web address without its scheme
        "/no/such/dir/feed.xml",
    ],
)
def test_add_feed_refuses_junk(db: Database, url: str) -> None:
    with pytest.raises(InputError) as excinfo:
        add_feed(db, url=url)
    assert excinfo.value.field == "url"
    assert "\n" not in str(excinfo.value)
    assert list_feeds(db) == []


def test_missing_scheme_gets_a_hint(db: Database) -> None:
    with pytest.raises(InputError, match=r"https://alderherald\.example/rss"):
        add_feed(db, url="alderherald.example/rss")


def test_duplicate_feed_url(db: Database) -> None:
    add_feed(db, url="https://alderherald.example/rss", name="Herald")
    with pytest.raises(InputError) as excinfo:
        add_feed(db, url="https://alderherald.example/rss", name="Herald again")
    assert excinfo.value.field == "url"
    assert "Herald" in str(excinfo.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outlet": "Nowhere Gazette"}, "outlet"),
        ({"poll_minutes": 0}, "poll_minutes"),
        ({"poll_minutes": 10_000}, "poll_minutes"),
        ({"name": "two\nlines"}, "name"),
    ],
)
def test_add_feed_validation(db: Database, kwargs, field) -> None:
    with pytest.raises(InputError) as excinfo:
        add_feed(db, url="https://alderherald.example/rss", **kwargs)
    assert excinfo.value.field == field


# --- clips ------------------------------------------------------------------------------


@pytest.fixture
def feed_id(db: Database) -> int:
    add_outlet(db, name="Alder Daily Herald", type="print")
    return add_feed(db, url="https://alderherald.example/rss", outlet="Alder Daily Herald").id


def _clip(db: Database, feed_id: int, n: int, at: datetime, title: str | None = None):
    return add_clip(
        db,
        feed_id=feed_id,
        guid=f"guid-{n}",
        title=title or f"Story {n}",
        url=f"https://alderherald.example/story/{n}",
        published_at=at,
    )


def test_add_clip(db: Database, feed_id: int) -> None:
    clip = add_clip(
        db,
        feed_id=feed_id,
        guid="https://alderherald.example/?p=1",
        title="  Council\nbacks   rent relief ",
        url="https://alderherald.example/rent-relief",
        summary="Line one.\n\nLine two.\x00",
        author="Ana Ruiz",
        published_at=T0,
        language="EN-us",
    )
    assert clip is not None
    assert clip.title == "Council backs rent relief"
    assert clip.summary == "Line one. Line two."
    assert clip.feed == "alderherald.example"
    assert clip.outlet == "Alder Daily Herald"
    assert clip.outlet_type is OutletType.PRINT
    assert clip.published_at == T0
    assert (clip.is_read, clip.flagged, clip.hidden, clip.needs_correction) == (
        False,
        False,
        False,
        False,
    )
    assert clip.assignee is None
    assert clip.story_id is None


def test_add_clip_duplicate_guid_returns_none(db: Database, feed_id: int) -> None:
    assert _clip(db, feed_id, 1, T0) is not None
    assert _clip(db, feed_id, 1, T0 + timedelta(hours=1), title="Changed") is None
    assert [c.title for c in list_clips(db)] == ["Story 1"]
    other = add_feed(db, url="https://kpac.example/rss").id
    assert _clip(db, other, 1, T0) is not None  # the same guid in another feed is another clip


def test_add_clip_drops_unsafe_links(db: Database, feed_id: int) -> None:
    clip = add_clip(
        db,
        feed_id=feed_id,
        guid="x",
        title="t",
        url="javascript:alert(1)",
        published_at=T0,
    )
    assert clip is not None and clip.url is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"guid": " "}, "guid"),
        ({"title": "\x1b[0m "}, "title"),
        ({"published_at": datetime(2026, 1, 6, 9, 0)}, "published_at"),
        ({"feed_id": 999}, "feed_id"),
    ],
)
def test_add_clip_validation(db: Database, feed_id: int, kwargs, field) -> None:
    args = {
        "feed_id": feed_id,
        "guid": "g",
        "title": "A title",
        "url": None,
        "published_at": T0,
        **kwargs,
    }
    with pytest.raises(InputError) as excinfo:
        add_clip(db, **args)
    assert excinfo.value.field == field


def test_list_clips_newest_first_with_keyset(db: Database, feed_id: int) -> None:
    # three clips share a timestamp: ids break the tie
    times = [T0, T0 - timedelta(hours=1), T0, T0 - timedelta(hours=2), T0]
    ids = [_clip(db, feed_id, n, at).id for n, at in enumerate(times)]
    everything = list_clips(db)
    assert [c.id for c in everything] == [ids[4], ids[2], ids[0], ids[1], ids[3]]
    pages, before = [], None
    while True:
        page = list_clips(db, limit=2, before=before)
        if not page:
            break
        pages.append([c.id for c in page])
        before = (page[-1].published_at, page[-1].id)
    assert pages == [[ids[4], ids[2]], [ids[0], ids[1]], [ids[3]]]
    assert [c.id for c in list_clips(db, since=T0 - timedelta(minutes=90))] == [
        ids[4],
        ids[2],
        ids[0],
        ids[1],
    ]
    # `before` given in another zone means the same instant
    eastern = (T0 - timedelta(hours=5)).replace(tzinfo=None)
    from zoneinfo import ZoneInfo

    local = eastern.replace(tzinfo=ZoneInfo("America/New_York"))
    assert [c.id for c in list_clips(db, before=(local, ids[2]))] == [ids[0], ids[1], ids[3]]


def test_list_clips_unread_hidden_and_text(db: Database, feed_id: int) -> None:
    a = _clip(db, feed_id, 1, T0, "Rent relief vote set for Tuesday")
    b = _clip(db, feed_id, 2, T0 - timedelta(minutes=5), "Transit levy: what 100% means")
    c = _clip(db, feed_id, 3, T0 - timedelta(minutes=10), "Water main break on Harbor St")
    set_read(db, b.id)
    assert [x.id for x in list_clips(db, unread_only=True)] == [a.id, c.id]
    assert count_unread(db) == 2
    assert count_unread(db, since=T0 - timedelta(minutes=1)) == 1
    assert [x.id for x in list_clips(db, text="RENT")] == [a.id]
    assert [x.id for x in list_clips(db, text="100%")] == [b.id]
    assert [x.id for x in list_clips(db, text="%")] == [b.id]  # wildcard is literal
    assert list_clips(db, text="budget") == []

    from db.models import Clip

    with db.transaction() as session:  # hiding has no operation yet
        session.get(Clip, c.id).hidden = True
    assert [x.id for x in list_clips(db)] == [a.id, b.id]
    assert [x.id for x in list_clips(db, include_hidden=True)] == [a.id, b.id, c.id]
    assert count_unread(db) == 1


def test_list_clips_limit_is_checked(db: Database) -> None:
    with pytest.raises(InputError) as excinfo:
        list_clips(db, limit=0)
    assert excinfo.value.field == "limit"
    with pytest.raises(InputError):
        list_clips(db, since=datetime(2026, 1, 6))


def test_set_read_is_audited_and_idempotent(db: Database, feed_id: int) -> None:
    clip = _clip(db, feed_id, 1, T0)
    read = set_read(db, clip.id)
    assert read.is_read is True
    assert set_read(db, clip.id).is_read is True  # again: nothing to change
    unread = set_read(db, clip.id, read=False)
    assert unread.is_read is False
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.changes, AuditLog.user)
            .where(AuditLog.entity == "clips", AuditLog.entity_id == clip.id)
            .order_by(AuditLog.id)
        ).all()
    assert [str(r.action) for r in rows] == ["insert", "update", "update"]
    assert json.loads(rows[1].changes) == {"is_read": [False, True]}
    assert json.loads(rows[2].changes) == {"is_read": [True, False]}
    assert {r.user for r in rows} == {"AB"}


def test_set_read_on_missing_clip(db: Database) -> None:
    with pytest.raises(NotFoundError):
        set_read(db, 12345)


# --- plain_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "<p>Council <b>approves</b> budget</p><p>Vote 7&ndash;2</p>",
            "Council approves budget Vote 7\u20132",
        ),
        ("Rents &amp; evictions &lt;rise&gt; &#8212; &#x41;", "Rents & evictions <rise> — A"),
        ("<script>alert('x')</script>Safe<style>p{color:red}</style> text", "Safe text"),
        ("\x1b[31mRED ALERT\x1b[0m", "RED ALERT"),
        ("bell\x07 nul\x00 del\x7f c1\x9b31m", "bell nul del c1"),
        ("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "click"),
        ("line\none\r\ntwo\tthree\u2028four", "line one two three four"),
        ("[bold]x[/bold] and [UPDATE] stay", "[bold]x[/bold] and [UPDATE] stay"),
        ("rent < $1,500 and > $900", "rent < $1,500 and > $900"),
        ("&lt;b&gt;escaped markup&lt;/b&gt;", "<b>escaped markup</b>"),
        ("\u202eevil\u202c text", "evil text"),
        ("  lots   of\u00a0 space  ", "lots of space"),
        ("unclosed <b", "unclosed <b"),
        ("", ""),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


def test_plain_text_truncates_with_ellipsis() -> None:
    text = "Budget " * 40
    cut = plain_text(text, limit=30)
    assert len(cut) <= 30
    assert cut.endswith("…")
    assert cut == "Budget Budget Budget Budget…"
    assert plain_text("short", limit=30) == "short"
    assert plain_text("abcdefghij", limit=5) == "abcd…"


def test_plain_text_very_long_and_hostile_input_is_fast() -> None:
    inputs = [
        "word " * 400_000,
        "<p>" + "x" * 1_000_000 + "</p>",
        "<a b='" * 50_000,
        "<!--x>" * 50_000,
        "<![CDATA[x>" * 30_000,
        "\x1b[" * 100_000,
    ]
    for raw in inputs:
        started = time.perf_counter()
        out = plain_text(raw, limit=200)
        assert time.perf_counter() - started < 5, raw[:10]
        assert len(out) <= 201
        assert "\x1b" not in out and "\x00" not in out


# --- demo content -----------------------------------------------------------------------

FEED_FILES = {
    "alder-daily-herald.xml": "rss20",
    "kpac-news.xml": "rss20",
    "alder-public-radio.xml": "atom10",
    "la-voz-del-puerto.xml": "rss20",
    "eastside-neighbors-blog.xml": "rss20",
    "city-press-releases.xml": "atom10",
    "council-agenda.xml": "rss20",
}


def _parsed(name: str):
    data = (FEEDS_DIR / name).read_bytes()
    return feedparser.parse(io.BytesIO(data))


@pytest.mark.parametrize("name", sorted(FEED_FILES))
def test_demo_feed_parses(name: str) -> None:
    parsed = _parsed(name)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == FEED_FILES[name]
    assert parsed.encoding.lower() == "utf-8"
    assert 8 <= len(parsed.entries) <= 15
    guids = [entry.id for entry in parsed.entries]
    assert len(set(guids)) == len(guids), "GUIDs must be unique per feed"
    for entry in parsed.entries:
        assert entry.title.strip()
        assert entry.link.startswith("https://")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        day = date(*stamp[:3])  # feedparser normalizes to UTC
        assert day in (date(2026, 1, 5), date(2026, 1, 6)), entry.title
        when = datetime(*stamp[:6], tzinfo=UTC)
        anchor_local_end = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)  # 09:30 at -05:00
        assert when <= anchor_local_end, entry.title


def test_demo_feed_set_is_complete() -> None:
    assert sorted(p.name for p in FEEDS_DIR.glob("*.xml")) == sorted(FEED_FILES)
    assert sorted(f["file"] for f in content.FEEDS) == sorted(FEED_FILES)


def test_demo_feeds_special_cases() -> None:
    voz = _parsed("la-voz-del-puerto.xml")
    assert voz.feed.language == "es"
    blog = _parsed("eastside-neighbors-blog.xml")
    titles = [e.title for e in blog.entries]
    assert any("[bold]" in t and "[/bold]" in t for t in titles)
    assert any("<" in e.summary for e in blog.entries), "one summary carries HTML"
    # a wire story syndicated by two outlets under the same title
    titles_by_feed = {name: {e.title for e in _parsed(name).entries} for name in FEED_FILES}
    counts = Counter(t for titles in titles_by_feed.values() for t in titles)
    assert any(n >= 2 for n in counts.values())
    # the anchor day is a Tuesday, as the demo loader assumes
    anchor = content.ANCHOR_DATE
    assert anchor == date(2026, 1, 6)
    assert anchor.weekday() == 1


def test_demo_feed_text_through_plain_text() -> None:
    for name in FEED_FILES:
        for entry in _parsed(name).entries:
            summary = plain_text(entry.get("summary", ""), limit=400)
            assert summary, (name, entry.title)
            assert "<p>" not in summary


def _values(enum_cls) -> set[str]:
    return {member.value for member in enum_cls}


def test_demo_content_is_consistent() -> None:
    staff = {s["initials"] for s in content.STAFF}
    assert len(content.STAFF) == 5
    assert sum(1 for s in content.STAFF if s["can_approve"]) >= 2
    assert all(s["role"] in _values(StaffRole) for s in content.STAFF)

    outlets = {o["name"]: o for o in content.OUTLETS}
    assert len(outlets) == len(content.OUTLETS) == 15
    assert all(o["type"] in _values(OutletType) for o in content.OUTLETS)
    assert {o["type"] for o in content.OUTLETS} == _values(OutletType)
    community = [o for o in content.OUTLETS if o["type"] == "community_ethnic"]
    assert len(community) >= 3
    assert {"es"} <= {o["language"] for o in community}
    assert {"vi", "zh"} & {o["language"] for o in community}

    assert len(content.CONTACTS) == 40
    for contact in content.CONTACTS:
        assert contact["outlet"] in outlets, contact["name"]
        assert contact["email"].endswith(".example")
    assert sum(1 for c in content.CONTACTS if c.get("do_not_contact")) >= 2
    contact_names = {c["name"] for c in content.CONTACTS}
    assert len(contact_names) == len(content.CONTACTS)

    for feed in content.FEEDS:
        assert feed["outlet"] in outlets
        assert (FEEDS_DIR / feed["file"]).is_file()

    assert 20 <= len(content.REQUESTS) <= 30
    assert {r["status"] for r in content.REQUESTS} == _values(RequestStatus)
    for request in content.REQUESTS:
        assert request["kind"] in _values(RequestKind)
        assert request["channel"] in _values(RequestChannel)
        assert request["priority"] in _values(Priority)
        assert request["assignee"] is None or request["assignee"] in staff
        assert request["received_minutes"] < 0
        if request["outlet"] is not None:
            assert request["outlet"] in outlets
        if request["kind"] == "media":
            assert request["requester"] in contact_names, request["requester"]
        if request["status"] in ("responded", "closed"):
            assert request["response"], request["subject"]
    deadlines = [r["deadline_minutes"] for r in content.REQUESTS]
    assert any(d is None for d in deadlines)
    assert any(d is not None and d < 0 for d in deadlines)
    assert any(d is not None and 0 < d <= 30 for d in deadlines)

    assert len(content.TASKS) == 30
    statuses = {t["status"] for t in content.TASKS}
    assert {"backlog", "drafting", "in_review", "approved", "published"} <= statuses
    for task in content.TASKS:
        assert task["status"] in _values(TaskStatus)
        assert task["kind"] in _values(TaskKind)
        assert task["priority"] in _values(Priority)
        assert task["owner"] is None or task["owner"] in staff
        assert task["reviewer"] is None or task["reviewer"] in staff
        assert all(
            isinstance(label, str) and isinstance(req, bool) for label, req in task["checklist"]
        )
    assert sum(1 for t in content.TASKS if "es" in t["translations_owed"]) >= 2

    kinds = {e["kind"] for e in content.EVENTS}
    assert {"radio", "council_meeting", "press_conference", "public_appearance", "tv"} <= kinds
    assert {"community_event", "scheduled_post", "embargo_lift"} <= kinds
    for event in content.EVENTS:
        assert event["kind"] in _values(EventKind)
        assert event["status"] in _values(EventStatus)
        assert event["timezone"] == "America/New_York"
        assert event["owner"] is None or event["owner"] in staff
        hours, minutes = (int(part) for part in event["start"].split(":"))
        assert 0 <= hours < 24 and 0 <= minutes < 60
        assert event["minutes"] >= 0
    statuses = [e["status"] for e in content.EVENTS]
    assert "tentative" in statuses and "cancelled" in statuses
    rules = [e["rrule"] for e in content.EVENTS if e["rrule"]]
    assert "FREQ=WEEKLY;BYDAY=TH" in rules
    assert "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" in rules

    assert 5 <= len(content.TOPICS) <= 6
    assert all(t["priority"] in (1, 2, 3) for t in content.TOPICS)
    assert len({t["name"] for t in content.TOPICS}) == len(content.TOPICS)


def _clean_line_reference(text: str) -> str:
    """clean_line as first written: every string through the escape and control filters."""
    from deskterm.core.clip_text import _CONTROLS, _ESCAPE_SEQUENCE

    return " ".join(_ESCAPE_SEQUENCE.sub("", text).translate(_CONTROLS).split())


def test_every_character_clean_line_removes_is_unprintable() -> None:
    """clean_line skips its filters for printable text: sound only while each character
    the filters act on (and each escape sequence's first character) is unprintable."""
    from deskterm.core.clip_text import _CONTROLS

    assert all(not chr(code).isprintable() for code in _CONTROLS)
    assert not any(ch.isprintable() for ch in "\x1b\x9b\x9d\t\n\r\x0b\x0c\xa0\u2028\u3000")


_LINE_PIECES = st.sampled_from(
    ["\x1b[31m", "\x1b]8;;http://x\x07", "\x9b1m", "\x9d0;t\x9c", "\x1b(B", "\x1b", "\u202e",
     "\u2066", "\ufeff", "\u2028", "\xa0", "\u3000", "\t", "\n\r", " ", "[b]x[/b]", "é", "mayor"]
)  # fmt: skip


@given(st.lists(st.one_of(st.text(max_size=12), _LINE_PIECES), max_size=12).map("".join))
def test_clean_line_fast_path_gives_the_reference_text(text: str) -> None:
    assert clean_line(text) == _clean_line_reference(text)
