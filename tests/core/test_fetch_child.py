"""The desk's fetch: the same run in a child process (``fetch_all_in_subprocess``)."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import Clip, Feed
from deskterm.core import feeds, fetcher
from deskterm.core.fetch import FetchLimits
from deskterm.core.fetcher import FetchError, fetch_all_in_subprocess
from tests.core.feedserver import (  # noqa: F401 - feed_server_fixture provides feed_server
    FeedServer,
    feed_server_fixture,
    numbered_rss,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = FetchLimits(timeout_s=1.5, connect_timeout_s=1.0, max_bytes=1024 * 1024)


class Stop(Exception):
    pass


def fetched_feeds(db) -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count()).select_from(Feed).where(Feed.last_fetch_at.is_not(None))
        )


def clip_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Clip))


def no_fetch_children() -> bool:
    return not [p for p in multiprocessing.active_children() if p.name == "deskterm-fetch"]


def test_the_child_stores_every_feed_and_reports_progress_here(db, feed_server: FeedServer):
    for i in range(4):
        url = feed_server.add(f"/c{i}.xml", numbered_rss(3, prefix=f"c{i}"))
        feeds.add_feed(db, url=url, name=f"c{i}")
    seen: list[tuple[int, int, str]] = []
    summary = fetch_all_in_subprocess(
        db, now=NOW, limits=LIMITS, topics=[], progress=lambda *a: seen.append(a)
    )
    assert (summary.fetched, summary.failed, summary.new_clips) == (4, 0, 12)
    assert clip_count(db) == 12
    assert [s[0] for s in seen] == [1, 2, 3, 4] and {s[1] for s in seen} == {4}
    assert no_fetch_children()


def test_stopping_from_progress_stops_the_child_and_keeps_what_was_stored(
    db, feed_server: FeedServer
):
    for i in range(6):
        url = feed_server.add(f"/s{i}.xml", numbered_rss(2, prefix=f"s{i}"))
        feeds.add_feed(db, url=url, name=f"s{i}")

    def progress(done: int, total: int, name: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        fetch_all_in_subprocess(
            db, now=NOW, limits=LIMITS, topics=[], progress=progress, concurrency=1
        )
    assert no_fetch_children()
    stored = fetched_feeds(db)
    assert 1 <= stored <= 6 and clip_count(db) == 2 * stored


def test_a_failure_of_the_whole_run_is_one_line_from_the_child(db, db_path):
    """The child checks the file as the desk did when it opened it: a file whose schema is
    not this deskterm's (here an older one) fails the run with the child's one-line reason."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    with pytest.raises(FetchError) as raised:
        fetch_all_in_subprocess(db, now=NOW, limits=LIMITS, topics=[])
    assert "\n" not in str(raised.value) and str(raised.value)
    assert no_fetch_children()


def test_a_bad_concurrency_fails_before_a_child_starts(db):
    with pytest.raises(ValueError, match="concurrency"):
        fetch_all_in_subprocess(db, concurrency=0)
    assert no_fetch_children()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_parser_processes_yield_to_the_writer() -> None:
    pool = fetcher.ParsePool(1)
    try:
        theirs = pool.executor().submit(os.nice, 0).result(timeout=30)
    finally:
        pool.close()
    assert theirs == min(os.nice(0) + fetcher.PARSER_NICE, 19)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_prepare_fetch_process_starts_the_forkserver_with_the_pipeline_loaded() -> None:
    """``prepare_fetch_process`` launches the forkserver (preloading the fetch pipeline)
    that ``fetch_all_in_subprocess`` forks its children from; a second call starts no
    second server."""
    script = (
        "import os, time\n"
        "from deskterm.core.fetcher import prepare_fetch_process\n"
        "prepare_fetch_process(); prepare_fetch_process()\n"
        "me = os.getpid()\n"
        "def cmdlines():\n"
        "    kids = open(f'/proc/{me}/task/{me}/children').read().split()\n"
        "    return [open(f'/proc/{k}/cmdline').read().replace(chr(0), ' ') for k in kids]\n"
        # a child just started shows an empty command line until its exec is done
        "for _ in range(200):\n"
        "    if any('forkserver' in line for line in cmdlines()): break\n"
        "    time.sleep(0.05)\n"
        "time.sleep(0.3)  # a second server, if one was started, has had its exec too\n"
        "print(chr(10).join(cmdlines()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    servers = [line for line in done.stdout.splitlines() if "multiprocessing.forkserver" in line]
    assert len(servers) == 1, done.stdout
    assert "deskterm.core.fetch_preload" in servers[0]  # the pipeline is its preload
