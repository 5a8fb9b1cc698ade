"""Fetching from a real local HTTP server and real files; fetch runs into a real SQLite file."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Clip, Feed, FeedCopy
from db.schema import check
from deskterm.core import feeds, fetcher
from deskterm.core.fetch import (
    Fetcher,
    FetchLimits,
    FetchRequest,
    describe_error,
    fetch_documents,
    read_file,
)
from deskterm.core.fetcher import fetch_all
from tests.core.feedserver import (  # noqa: F401 - feed_server_fixture provides feed_server
    FeedServer,
    feed_server_fixture,
    numbered_rss,
    rss,
    rss_item,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = FetchLimits(timeout_s=1.5, connect_timeout_s=1.0, max_bytes=1024 * 1024)


def one(url: str, **request) -> object:
    (result,) = fetch_documents([FetchRequest(1, url, **request)], limits=LIMITS)
    return result


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_conditional_get_costs_one_304(feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    first = one(urls["etag"])
    assert first.outcome == "ok" and first.etag == '"v1"' and b"etag-4" in first.body
    again = one(urls["etag"], etag=first.etag)
    assert (again.outcome, again.http_status, again.body, again.etag) == (
        "unchanged",
        304,
        b"",
        '"v1"',
    )
    assert feed_server.hits("/etag.xml")[-1].headers["If-None-Match"] == '"v1"'
    modified = one(urls["lastmod"])
    assert modified.last_modified == "Mon, 23 Nov 2026 08:00:00 GMT"
    assert one(urls["lastmod"], last_modified=modified.last_modified).outcome == "unchanged"


def test_requests_name_deskterm_and_accept_gzip(feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    result = one(urls["gzip"])
    assert result.outcome == "ok" and result.body.startswith(b"<?xml")
    headers = feed_server.hits("/gzip.xml")[0].headers
    assert headers["User-Agent"].startswith(f"deskterm/{version('deskterm')} (")
    assert "gzip" in headers["Accept-Encoding"]


def _only_proxy_settings(monkeypatch, **settings: str) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)


def test_a_proxy_in_the_environment_carries_the_requests(feed_server: FeedServer, monkeypatch):
    """http_proxy (or HTTP_PROXY, as Python's urllib reads the environment: libcurl alone
    would ignore the upper-case one) is honoured, an office network's proxy: the request
    goes to the proxy in absolute form; no_proxy still sends a host's requests directly."""
    monkeypatch.setenv("NETRC", str(Path(__file__).parent / "no-such-netrc"))
    for name, setting in (("p1", "http_proxy"), ("p2", "HTTP_PROXY")):
        address = f"http://feeds.example.invalid/{name}.xml"
        feed_server.add(address, rss([rss_item("Carried by the proxy", guid=name)]))
        _only_proxy_settings(monkeypatch, **{setting: feed_server.url("")})
        result = one(address)
        assert result.outcome == "ok" and b"Carried by the proxy" in result.body
        assert feed_server.hits(address)  # the proxy got it, in absolute form
    _only_proxy_settings(monkeypatch, http_proxy="http://127.0.0.1:9", no_proxy="127.0.0.1")
    direct = one(feed_server.add("/direct.xml", rss([rss_item("Direct", guid="d1")])))
    assert direct.outcome == "ok" and feed_server.hits("/direct.xml")
    _only_proxy_settings(monkeypatch)  # no proxy at all: straight to the host
    unproxied = one("http://feeds.example.invalid/p1.xml")
    assert unproxied.outcome == "error" and "feeds.example.invalid" in unproxied.error


def test_an_address_with_accents_is_sent_percent_encoded(feed_server: FeedServer) -> None:
    """A community paper's feed at ".../noticias/año.xml": sent as a browser sends it
    (UTF-8, percent-encoded; an internationalised host in IDNA), not refused."""
    feed_server.add("/noticias/a%C3%B1o.xml", numbered_rss(1))
    result = one(f"http://127.0.0.1:{feed_server.port}/noticias/año.xml")
    assert result.outcome == "ok" and result.body == numbered_rss(1)
    assert feed_server.hits("/noticias/a%C3%B1o.xml")
    feed_server.add("/with%20space.xml", numbered_rss(2))
    spaced = one(f"http://127.0.0.1:{feed_server.port}/with space.xml")
    assert spaced.outcome == "ok" and spaced.body == numbered_rss(2)
    idn = one("http://bücher.invalid/feed.xml")
    assert idn.error == "cannot resolve host bücher.invalid"  # as the user wrote it


def test_a_permanent_redirect_with_a_page_is_followed(feed_server: FeedServer) -> None:
    """Servers often send a small HTML page with a 301: the page is not the feed."""
    feed_server.add("/moved-home.xml", numbered_rss(2))
    feed_server.add(
        "/moved.xml", b"<html>Moved</html>", status=301, headers={"Location": "/moved-home.xml"}
    )
    result = one(feed_server.url("/moved.xml"))
    assert result.outcome == "ok" and result.body == numbered_rss(2)
    assert result.moved_to == feed_server.url("/moved-home.xml")


def test_redirects_up_to_five_are_followed(feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    ok = one(urls["redirect_ok"])
    assert ok.outcome == "ok" and ok.final_url == feed_server.url("/etag.xml")
    assert ok.moved_to is None  # temporary redirects: keep the address
    far = one(urls["redirect_far"])
    assert far.outcome == "error" and far.error == "more than 5 redirects"
    feed_server.add("/new-home.xml", numbered_rss(1))
    feed_server.add("/permanent.xml", b"", status=301, headers={"Location": "/new-home.xml"})
    moved = one(feed_server.url("/permanent.xml"))
    assert moved.outcome == "ok" and moved.moved_to == feed_server.url("/new-home.xml")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error500", "HTTP 500 Internal Server Error"),
        ("error404", "HTTP 404 Not Found"),
        ("huge", "the response is over the 1.0 MB limit"),
        ("huge_chunked", "the response is over the 1.0 MB limit"),
        ("gzip_bomb", "the response is over the 1.0 MB limit"),
        ("slow", "timed out after 1.5 s"),
    ],
)
def test_failures_are_one_line(feed_server: FeedServer, name: str, error: str) -> None:
    result = one(feed_server.standard()[name])
    assert (result.outcome, result.error) == ("error", error)


def test_a_server_dripping_bytes_hits_the_whole_request_deadline(feed_server: FeedServer) -> None:
    url = feed_server.add("/drip.xml", numbered_rss(50), drip_s=0.05)
    started = time.monotonic()
    result = one(url)
    assert result.error == "timed out after 1.5 s"
    assert time.monotonic() - started < 3


def test_an_error_page_is_not_read(feed_server: FeedServer) -> None:
    """A 404 whose page drips in for longer than the deadline: its status is the answer,
    so the page is not waited for (nor held in memory)."""
    url = feed_server.add("/gone.xml", b"x" * 200, status=404, drip_s=0.05)
    started = time.monotonic()
    result = one(url)
    assert (result.outcome, result.error) == ("error", "HTTP 404 Not Found")
    assert time.monotonic() - started < 1.0


def test_a_cancelled_request_leaves_the_client_usable(feed_server: FeedServer) -> None:
    """A desk that closes cancels its requests mid-transfer: libcurl lets go of them and
    the same client goes on with others."""
    slow = feed_server.add("/cancelled.xml", numbered_rss(5), drip_s=0.05)
    fast = feed_server.add("/after.xml", numbered_rss(1))

    async def scenario() -> object:
        async with Fetcher(LIMITS) as fetcher:
            task = asyncio.create_task(fetcher.fetch(FetchRequest(1, slow)))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not fetcher._curl._waiting  # taken out of libcurl's transfers
            return await fetcher.fetch(FetchRequest(2, fast))

    result = asyncio.run(scenario())
    assert result.outcome == "ok" and result.body == numbered_rss(1)


def test_unreachable_hosts_and_tls_errors(feed_server: FeedServer) -> None:
    refused = one(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert refused.outcome == "error" and refused.error.startswith(
        ("connection refused by 127.0.0.1", "cannot connect to 127.0.0.1")
    )
    tls = one(feed_server.url("/etag.xml").replace("http://", "https://"))
    assert tls.outcome == "error" and tls.error.startswith("TLS error with 127.0.0.1: ")
    reason = tls.error.removeprefix("TLS error with 127.0.0.1: ")
    assert reason and "error:" not in reason and "routines" not in reason  # OpenSSL's words only
    dns = one("http://no-such-host.invalid/feed.xml")
    assert dns.outcome == "error" and "no-such-host.invalid" in dns.error


def test_retry_after_is_passed_on(feed_server: FeedServer) -> None:
    url = feed_server.add("/busy.xml", b"", status=503, headers={"Retry-After": "120"})
    result = one(url)
    assert result.error == "HTTP 503 Service Unavailable" and result.retry_after_s == 120


def test_files_by_path_and_file_url_with_an_unchanged_validator(tmp_path: Path) -> None:
    path = tmp_path / "local feed.xml"
    path.write_bytes(numbered_rss(2))
    by_path = read_file(FetchRequest(1, str(path)), LIMITS)
    by_url = one(path.as_uri())
    assert by_path.outcome == by_url.outcome == "ok" and by_path.body == by_url.body
    assert by_path.etag and by_path.etag.startswith("file:")
    assert one(str(path), etag=by_path.etag).outcome == "unchanged"
    missing = one(str(tmp_path / "gone.xml"))
    assert missing.outcome == "error" and missing.error.startswith("no such file:")
    big = tmp_path / "big.xml"
    big.write_bytes(b" " * (LIMITS.max_bytes + 1))
    assert one(str(big)).error == "the file is 1.0 MB, over the 1.0 MB limit"


# --- fetch_all --------------------------------------------------------------------------------


def add_feeds(db, urls: dict[str, str]) -> dict[str, int]:
    return {name: feeds.add_feed(db, url=url, name=name).id for name, url in urls.items()}


def health(db, feed_id: int) -> Feed:
    with db.read() as session:
        row = session.get(Feed, feed_id)
        session.expunge(row)
        return row


def clip_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Clip))


def test_one_run_over_every_kind_of_feed(db, feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    ids = add_feeds(db, urls)
    seen: list[tuple[int, int, str]] = []
    started = time.monotonic()
    summary = fetch_all(
        db, now=NOW, limits=LIMITS, topics=[], progress=lambda *a: seen.append(a), concurrency=4
    )
    elapsed = time.monotonic() - started
    by_name = {r.name: r for r in summary.feeds}
    failing = {
        "slow", "error500", "error404", "redirect_far", "broken", "html", "huge", "huge_chunked",
        "gzip_bomb",
    }  # fmt: skip
    assert {name for name, r in by_name.items() if r.status == "error"} == failing
    assert summary.failed == len(failing) and summary.fetched == len(urls) - len(failing)
    assert elapsed < 6  # the slow feed cost its timeout, not the others' time
    assert [s[0] for s in seen] == list(range(1, len(urls) + 1))
    assert {s[1] for s in seen} == {len(urls)}
    # new clips: etag 5 + redirect_ok 0 (same URLs as etag) + lastmod 3 + gzip 4 + invalid 2
    # + bomb 1 + dupes 2 + nodates 2 + markup 3 + empty 0
    assert summary.new_clips == clip_count(db) == 22
    assert by_name["redirect_ok"].new_clips == 0 and by_name["redirect_ok"].status == "ok"
    assert "ill-formed XML" in by_name["invalid"].warning
    assert by_name["empty"].warning == "the feed has no entries"
    slow = health(db, ids["slow"])
    assert slow.last_status == "error" and slow.consecutive_errors == 1
    assert slow.last_error == "timed out after 1.5 s"
    assert slow.next_fetch_at == NOW + timedelta(minutes=10)
    assert health(db, ids["error404"]).last_http_status == 404
    ok = health(db, ids["etag"])
    assert (ok.last_status, ok.etag, ok.consecutive_errors) == ("ok", '"v1"', 0)
    assert ok.last_fetch_at == NOW and ok.next_fetch_at == NOW + timedelta(minutes=10)
    assert health(db, ids["invalid"]).warning.startswith("ill-formed XML")


def test_a_second_run_sees_304s_and_stores_nothing_new(db, feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    add_feeds(db, {k: urls[k] for k in ("etag", "lastmod", "error500", "gzip")})
    first = fetch_all(db, now=NOW, limits=LIMITS, topics=[])
    assert (first.fetched, first.failed, first.new_clips) == (3, 1, 12)
    later = NOW + timedelta(minutes=11)
    second = fetch_all(db, now=later, limits=LIMITS, topics=[])
    assert (second.unchanged, second.fetched, second.failed, second.new_clips) == (3, 0, 1, 0)
    assert feed_server.hits("/etag.xml")[-1].status == 304
    assert feed_server.hits("/lastmod.xml")[-1].status == 304
    # the gzip feed has no validators: sent again in full, the same bytes: unchanged
    assert feed_server.hits("/gzip.xml")[-1].status == 200
    assert clip_count(db) == 12


def test_the_same_bytes_again_are_not_parsed_again(db, feed_server: FeedServer, monkeypatch):
    """A server that ignores conditional GET: a body already stored counts as unchanged."""
    url = feed_server.add("/same.xml", numbered_rss(3))  # no ETag, no Last-Modified
    feed_id = add_feeds(db, {"same": url})["same"]
    parsed: list[str] = []
    real_parse = fetcher.parse_feed

    def counting_parse(body: bytes, **kwargs: object) -> object:
        parsed.append(body.decode()[-40:])
        return real_parse(body, **kwargs)

    monkeypatch.setattr(fetcher, "parse_feed", counting_parse)

    def run(minutes: int) -> fetcher.FetchSummary:
        at = NOW + timedelta(minutes=minutes)
        return fetch_all(db, now=at, limits=LIMITS, topics=[], workers=0, due_only=False)

    first = run(0)
    assert (first.fetched, first.new_clips, len(parsed)) == (1, 3, 1)
    second = run(11)
    assert (second.unchanged, second.fetched, len(parsed)) == (1, 0, 1)  # not parsed
    assert feed_server.hits("/same.xml")[-1].status == 200  # downloaded in full
    state = health(db, feed_id)
    assert (state.last_status, state.last_http_status) == ("unchanged", 200)
    assert state.last_fetch_at == NOW + timedelta(minutes=11)
    feed_server.add("/same.xml", numbered_rss(4))  # a new story: other bytes
    third = run(22)
    assert (third.fetched, third.new_clips, len(parsed)) == (1, 1, 2)
    # a document that gives nothing is an error every time, never "unchanged"
    feed_server.add("/same.xml", b"<html><body>moved</body></html>")
    assert run(33).failed == 1 and run(44).failed == 1
    assert len(parsed) == 4 and health(db, feed_id).consecutive_errors == 2
    assert health(db, feed_id).body_hash is None
    feed_server.add("/same.xml", numbered_rss(4))  # back: the same bytes as before the error
    back = run(55)
    assert (back.fetched, back.new_clips, len(parsed)) == (1, 0, 5)  # read again, nothing new
    assert health(db, feed_id).consecutive_errors == 0


def test_backoff_and_due_feeds(db, feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    ids = add_feeds(db, {"error500": urls["error500"], "etag": urls["etag"]})
    fetch_all(db, now=NOW, limits=LIMITS, topics=[])
    # nothing is due a minute later
    assert fetch_all(db, now=NOW + timedelta(minutes=1), limits=LIMITS, topics=[]).total == 0
    # at 10 minutes both are due; the failing one then waits twice as long
    at = NOW + timedelta(minutes=10)
    assert fetch_all(db, now=at, limits=LIMITS, topics=[]).total == 2
    failing = health(db, ids["error500"])
    assert failing.consecutive_errors == 2 and failing.next_fetch_at == at + timedelta(minutes=20)
    at2 = at + timedelta(minutes=10)
    assert [r.name for r in fetch_all(db, now=at2, limits=LIMITS, topics=[]).feeds] == ["etag"]
    # due_only=False (deskterm fetch) takes every enabled feed
    assert fetch_all(db, now=at2, limits=LIMITS, topics=[], due_only=False).total == 2
    feeds.set_feed_enabled(db, ids["error500"], False)
    assert fetch_all(db, now=at2, limits=LIMITS, topics=[], due_only=False).total == 1


def test_concurrency_is_bounded(db, feed_server: FeedServer) -> None:
    urls = {
        f"f{i}": feed_server.add(f"/c{i}.xml", numbered_rss(1, prefix=f"c{i}"), delay_s=0.2)
        for i in range(8)
    }
    add_feeds(db, urls)
    summary = fetch_all(db, now=NOW, limits=LIMITS, topics=[], concurrency=3)
    assert summary.fetched == 8
    assert feed_server.max_in_flight == 3


def stored_batches(db) -> list[list[int]]:
    """The feed ids of each write transaction of fetched feeds, in order (one audit row
    of the feeds' health per transaction)."""
    with db.read() as session:
        rows = session.scalars(
            select(AuditLog.changes)
            .where(AuditLog.entity == "feeds", AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    changes = [json.loads(row) for row in rows]
    return [sorted(int(i) for i in c["fetched"].split(",")) for c in changes if "fetched" in c]


def test_feeds_ready_within_the_batch_wait_share_one_transaction(
    db, feed_server: FeedServer, monkeypatch
) -> None:
    """Documents arrive one by one; the writer waits BATCH_WAIT_S for more before it
    stores, so a run costs a few commits (and turns of the shared file's lock), not one
    per feed."""
    monkeypatch.setattr(fetcher, "BATCH_WAIT_S", 3.0)
    urls = {
        f"s{i}": feed_server.add(f"/s{i}.xml", numbered_rss(2, prefix=f"s{i}"), delay_s=0.15 * i)
        for i in range(5)
    }
    ids = add_feeds(db, urls)
    summary = fetch_all(db, now=NOW, limits=LIMITS, topics=[], workers=0, due_only=False)
    assert (summary.fetched, summary.new_clips) == (5, 10)
    assert stored_batches(db) == [sorted(ids.values())]


def test_the_writer_does_not_wait_past_the_batch_wait(
    db, feed_server: FeedServer, monkeypatch
) -> None:
    monkeypatch.setattr(fetcher, "BATCH_WAIT_S", 0.05)
    quick = feed_server.add("/quick.xml", numbered_rss(1, prefix="q"))
    slow = feed_server.add("/slow.xml", numbered_rss(1, prefix="s"), delay_s=1.2)
    ids = add_feeds(db, {"quick": quick, "slow": slow})
    progress: list[tuple[float, int]] = []
    started = time.monotonic()
    fetch_all(
        db,
        now=NOW,
        limits=LIMITS,
        topics=[],
        workers=0,
        due_only=False,
        progress=lambda done, total, name: progress.append((time.monotonic() - started, done)),
    )
    assert stored_batches(db) == [[ids["quick"]], [ids["slow"]]]
    assert progress[0][1] == 1 and progress[0][0] < 1.0  # the quick feed was not held back


class Stop(Exception):
    pass


def test_an_exception_from_progress_stops_the_run_and_keeps_what_was_stored(
    db, feed_server: FeedServer
) -> None:
    urls = {
        f"f{i}": feed_server.add(f"/s{i}.xml", numbered_rss(2, prefix=f"s{i}")) for i in range(6)
    }
    add_feeds(db, urls)

    def progress(done: int, total: int, name: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        fetch_all(db, now=NOW, limits=LIMITS, topics=[], progress=progress, concurrency=1)
    with db.read() as session:
        fetched = session.scalar(
            select(func.count()).select_from(Feed).where(Feed.last_fetch_at.is_not(None))
        )
    assert 1 <= fetched < 6 and clip_count(db) == 2 * fetched


def test_parsing_in_this_process_gives_the_same_result(db, feed_server: FeedServer) -> None:
    urls = feed_server.standard()
    add_feeds(db, {k: urls[k] for k in ("etag", "markup", "invalid")})
    summary = fetch_all(db, now=NOW, limits=LIMITS, topics=[], workers=0)
    assert (summary.fetched, summary.new_clips) == (3, 10)


# --- two desks at once ---------------------------------------------------------------------

FETCHER = Path(__file__).parent / "procs" / "fetcher.py"
ROOT = Path(__file__).resolve().parents[2]


def two_desk_link(feed: int, item: int) -> str:
    """Every third story is carried by two feeds (1 and 2, 3 and 4, ...): one entry."""
    if item % 3 == 0:
        return f"https://shared.example/{(feed + 1) // 2}-{item}"
    return f"https://f{feed}.example/{item}"


def test_two_processes_fetching_at_once_store_each_entry_once(
    db, db_path: Path, tmp_path: Path, feed_server: FeedServer
) -> None:
    urls = {}
    for f in range(12):
        items = [
            rss_item(
                f"Feed {f} story {i} on the harbor budget",
                guid=f"f{f}-{i}",
                link=two_desk_link(f, i),
                published=NOW - timedelta(minutes=i),
            )
            for i in range(30)
        ]  # fmt: skip
        urls[f"feed {f}"] = feed_server.add(f"/two/{f}.xml", rss(items), delay_s=0.02)
    ids = add_feeds(db, urls)
    barrier = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(FETCHER), str(db_path), tag, str(barrier)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    barrier.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [(r["failed"], r["errors"]) for r in results] == [(0, []), (0, [])]
    with db.read() as session:
        rows = session.execute(select(Clip.feed_id, Clip.guid, Clip.url)).all()
        audited = [
            json.loads(changes)["count"]
            for (changes,) in session.execute(
                select(AuditLog.changes).where(
                    AuditLog.entity == "clips", AuditLog.action == "insert"
                )
            )
        ]
    expected = len({two_desk_link(f, i) for f in range(12) for i in range(30)})
    assert len(rows) == expected
    assert len({url for _f, _g, url in rows}) == len(rows)  # no link twice
    assert len({(f, g) for f, g, _u in rows}) == len(rows)
    assert sum(r["new_clips"] for r in results) == expected == sum(audited)
    # each shared entry is stored under one feed and remembered as a copy under the other
    with db.read() as session:
        copies = set(session.execute(select(FeedCopy.feed_id, FeedCopy.guid, FeedCopy.url)))
    shared = {
        (ids[f"feed {f}"], f"f{f}-{i}", two_desk_link(f, i))
        for f in range(12)
        for i in range(0, 30, 3)
    }
    assert copies == shared - set(rows) and len(copies) == 5 * 10  # feeds 1-10 pair up
    assert check(db).ok


def test_a_parse_past_its_deadline_is_recorded_and_the_next_run_recovers(
    db, feed_server: FeedServer
) -> None:
    url = feed_server.add("/big.xml", numbered_rss(1000, prefix="big"))
    ids = add_feeds(db, {"big": url})
    late = fetch_all(db, now=NOW, limits=LIMITS, topics=[], parse_timeout_s=0.001)
    (result,) = late.feeds
    assert (result.status, result.error) == (
        "error",
        "parsing took longer than 0.001 s: not read",
    )
    assert health(db, ids["big"]).last_error == "parsing took longer than 0.001 s: not read"
    assert clip_count(db) == 0
    again = fetch_all(db, now=NOW + timedelta(minutes=20), limits=LIMITS, topics=[])
    assert (again.fetched, again.new_clips) == (1, 1000)  # a fresh parser pool


def test_an_error_repeated_by_each_layer_is_said_once() -> None:
    inner = OSError("All connection attempts failed")
    try:
        try:
            raise inner
        except OSError as cause:
            raise RuntimeError("All connection attempts failed") from cause
    except RuntimeError as error:
        line = describe_error(error, "http://127.0.0.2:9/none", FetchLimits())
    assert line == "RuntimeError: All connection attempts failed"


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "http://[::1/feed.xml"])
def test_an_address_that_cannot_be_fetched_is_one_line(url: str) -> None:
    result = one(url)
    assert result.outcome == "error"
    assert result.error.startswith("not an address deskterm can fetch (http, https, file")


def test_a_document_sent_again_with_other_bytes_skips_its_stored_entries(
    db, feed_server: FeedServer, monkeypatch
) -> None:
    """The parsers get the feed's recently stored GUIDs: a re-sent document's known
    entries are not matched or prepared again; a new one is."""
    from deskterm.core import feed_parse

    first_doc = numbered_rss(3, at=NOW - timedelta(hours=2))
    url = feed_server.add("/vary.xml", first_doc)
    feed_id = add_feeds(db, {"vary": url})["vary"]
    prepared: list[list[str]] = []
    real_apply = feed_parse.EntryContext.apply

    def counting_apply(self, entries, language, now):  # type: ignore[no-untyped-def]
        prepared.append([e.guid for e in entries])
        return real_apply(self, entries, language, now)

    monkeypatch.setattr(feed_parse.EntryContext, "apply", counting_apply)

    def run(minutes: int) -> fetcher.FetchSummary:
        at = NOW + timedelta(minutes=minutes)
        return fetch_all(db, now=at, limits=LIMITS, topics=[], workers=0, due_only=False)

    assert run(0).new_clips == 3 and prepared == [["story-0", "story-1", "story-2"]]
    # the same entries in other bytes (a comment): parsed, nothing prepared, nothing stored
    feed_server.add("/vary.xml", first_doc.replace(b"<channel>", b"<channel><!-- 2 -->", 1))
    second = run(11)
    assert (second.fetched, second.new_clips) == (1, 0)
    assert len(prepared) == 1  # apply() was not even called: nothing left to prepare
    assert health(db, feed_id).last_status == "ok"
    # a new story among them: only it is prepared and stored
    feed_server.add("/vary.xml", numbered_rss(4, at=NOW - timedelta(hours=2)))
    third = run(22)
    assert third.new_clips == 1 and prepared[-1] == ["story-3"]


def test_a_feeds_copies_of_other_clips_are_remembered_and_inherit_the_clip(
    db, feed_server: FeedServer, monkeypatch
) -> None:
    """An entry whose link is another feed's clip is not stored, but remembered: a
    re-sent document with only known entries and such copies is not normalised again.
    When the feed of the clip it copies is removed, the clip becomes this feed's."""
    from deskterm.core import feed_parse

    at = NOW - timedelta(hours=2)
    herald_url = feed_server.add("/herald.xml", numbered_rss(2, prefix="harbor", at=at))
    herald = add_feeds(db, {"herald": herald_url})["herald"]

    def run(minutes: int) -> fetcher.FetchSummary:
        moment = NOW + timedelta(minutes=minutes)
        return fetch_all(db, now=moment, limits=LIMITS, topics=[], workers=0, due_only=False)

    assert run(0).new_clips == 2
    # the weekly's second item carries the herald's first link under its own GUID
    weekly_doc = numbered_rss(2, prefix="weekly", at=at).replace(
        b"https://news.example/weekly/1?", b"https://news.example/harbor/0?"
    )
    weekly = add_feeds(db, {"weekly": feed_server.add("/weekly.xml", weekly_doc)})["weekly"]
    assert run(11).new_clips == 1  # weekly-0; weekly-1 is the herald's story
    with db.read() as session:
        stamp = session.scalar(select(AuditLog.changes).order_by(AuditLog.id.desc()).limit(1))
    assert json.loads(stamp)["copies_seen"] == "1"

    normalised: list[str] = []
    real_entry = feed_parse._Normaliser.entry

    def counting_entry(self, raw):  # type: ignore[no-untyped-def]
        normalised.append(raw.guid)
        return real_entry(self, raw)

    monkeypatch.setattr(feed_parse._Normaliser, "entry", counting_entry)
    for minutes, comment in ((22, b"<!-- 2 -->"), (33, b"<!-- 3 -->")):
        feed_server.add("/weekly.xml", weekly_doc.replace(b"<channel>", b"<channel>" + comment))
        again = run(minutes)
        assert (again.new_clips, normalised) == (0, [])  # every entry known: nothing read
    assert health(db, weekly).last_status == "ok"

    with db.read() as session:
        shared = session.scalar(select(Clip.id).where(Clip.url == "https://news.example/harbor/0"))
    removal = feeds.remove_feed(db, herald, delete_clips=True)
    assert (removal.deleted, removal.handed_over) == (1, 1)  # harbor-1 was the herald's alone
    feed_server.add("/weekly.xml", weekly_doc.replace(b"<channel>", b"<channel><!-- 4 -->"))
    assert run(44).new_clips == 0  # the weekly's copy is the story's clip now, read or not
    assert normalised == []
    with db.read() as session:
        rows = set(
            session.execute(select(Clip.id, Clip.guid, Clip.url).where(Clip.feed_id == weekly))
        )
        copies = session.scalar(select(func.count()).select_from(FeedCopy))
    assert (shared, "weekly-1", "https://news.example/harbor/0") in rows and len(rows) == 2
    assert copies == 0


def test_a_response_that_is_not_http_is_one_plain_line(feed_server: FeedServer) -> None:
    def broken(request) -> bool:  # type: ignore[no-untyped-def]
        request.wfile.write(b"HTTP/1.0 200 OK\r\nHTTP/1.0 304 Not Modified\r\n\r\n")
        request.close_connection = True
        return True

    result = one(feed_server.add("/broken-http.xml", handler=broken))
    assert result.outcome == "error"
    # what was wrong follows (the line that is not a header), on the same line
    assert result.error.startswith("the server at 127.0.0.1 sent a response that is not valid")
    assert len(result.error) < 150 and "event loop" not in result.error


def test_a_chunked_gzip_response_is_read_whole(feed_server: FeedServer) -> None:
    document = numbered_rss(40)
    packed = gzip.compress(document)

    def chunked(request) -> bool:  # type: ignore[no-untyped-def]
        request.send_response(200)
        request.send_header("Transfer-Encoding", "chunked")
        request.send_header("Content-Encoding", "gzip")
        request.end_headers()
        for start in range(0, len(packed), 1000):
            piece = packed[start : start + 1000]
            request.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            request.wfile.flush()
        request.wfile.write(b"0\r\n\r\n")
        return True

    url = feed_server.add("/chunked.xml", handler=chunked)
    first, second = fetch_documents([FetchRequest(1, url), FetchRequest(2, url)], concurrency=1)
    assert first.outcome == second.outcome == "ok" and first.body == second.body == document


def test_a_body_that_stops_coming_ends_at_the_deadline(feed_server: FeedServer) -> None:
    """A server that sends the headers and part of the body, then nothing: the whole
    request's deadline ends it, not a read timeout per chunk."""

    def stalls(request) -> bool:  # type: ignore[no-untyped-def]
        request.send_response(200)
        request.send_header("Content-Length", "1000")
        request.end_headers()
        request.wfile.write(b"<rss>")
        request.wfile.flush()
        time.sleep(4)
        request.close_connection = True
        return True

    started = time.monotonic()
    result = one(feed_server.add("/stalls.xml", handler=stalls))
    assert result.error == "timed out after 1.5 s"
    assert 1.45 < time.monotonic() - started < 2.5


@pytest.mark.skipif(shutil.which("openssl") is None, reason="makes its certificate with openssl")
def test_https_checks_the_servers_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-days", "2", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = FeedServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(
        server.httpd.socket, server_side=True, do_handshake_on_connect=False
    )
    with server:
        url = server.add("/secure.xml", numbered_rss(2)).replace("http://", "https://")
        untrusted = one(url)
        assert untrusted.error == "TLS error with 127.0.0.1: self-signed certificate"
