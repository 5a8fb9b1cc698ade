"""Fetching the feeds from the desk: on a schedule (config ``fetch_interval_minutes``,
default 10) and on a key (``F``), with progress in the status bar. Never two at once: the
next scheduled fetch is armed only when the running one has finished (the loop re-arms; it
cannot overlap), and the key says so when a fetch is already running.

The fetch runs in a child process (``fetch_all_in_subprocess``: network, parser processes
and writes all there, at a lower CPU priority), watched by a thread worker. Run in the desk's
own process, the fetch's threads took the GIL from the UI thread: a j/k press during a fetch
of 200 feeds took 10-12 ms median and 41-89 ms at the 99th percentile (15-20 ms median while
re-fetching), against 7.5-8 and 38-42 ms now (``bench/keys.py``, 2 cores, load average 2-3;
a child at normal priority was no better than the thread). The thread never waits on the
UI: it writes the child's progress into a field the UI reads once a second (at four times a
second the redraws alone lifted the 99th percentile of j/k during a fetch from ~30 to ~37
ms), and hands the summary back once at the end. New matches of high-priority topics become
one notification per fetch (summarised when many). Other desks' fetches are not announced here:
their clips arrive through the live refresh.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from deskterm.core.text import one_line
from deskterm.widgets.clip_triage import reload_desk

if TYPE_CHECKING:
    from deskterm.app import DeskApp

HIGH_PRIORITY = 1  # topics.priority: 1 is the highest
MOST_ONE_BY_ONE = 3
FIRST_FETCH_AFTER = 5.0  # seconds after the desk opens: the first paint comes first
#: seconds after the desk opens: the fetch children's forkserver is started (and loads the
#: fetch pipeline, ~0.5 s of CPU in its own process) before the first scheduled fetch
PREPARE_AFTER = 2.0
PROGRESS_EVERY = 1.0  # seconds between status-bar updates (each redraw delays key frames)


def prepare_processes() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is the terminal.

    The fetch's child process (started by a forkserver) needs it, and it is started on first
    use by passing on ``sys.stderr.fileno()``; inside a running app Textual has replaced
    ``sys.stderr`` (its fileno is -1) and starting it from the fetch worker fails with "bad
    value(s) in fds_to_keep". Called by ``make_app`` before the app runs; cheap (it spawns
    one small process and does not wait for it).
    """
    if sys.platform == "win32":
        return  # no resource tracker there: spawn passes handles differently
    from multiprocessing import resource_tracker

    with contextlib.suppress(Exception):  # without it a fetch fails with one line, no worse
        resource_tracker.ensure_running()


def _start_fetch_server() -> None:
    """In a worker thread: the import (pycurl and the pipeline) stays off the UI thread."""
    from deskterm.core.fetcher import prepare_fetch_process

    prepare_fetch_process()


class FetchStopped(Exception):
    """Raised from the progress callback when the desk is closing."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    feed: str

    def text(self) -> str:
        if self.total == 0:
            return "fetching feeds…"
        return f"fetching {self.done}/{self.total} · {one_line(self.feed, 30)}"


def summary_line(summary: Any) -> str:
    """``fetched 7 feeds: 12 new clips, 2 unchanged, 1 failed``."""
    feeds = summary.fetched + summary.unchanged + summary.failed
    parts = [f"{summary.new_clips} new clip{'s' if summary.new_clips != 1 else ''}"]
    if summary.unchanged:
        parts.append(f"{summary.unchanged} unchanged")
    if summary.failed:
        parts.append(f"{summary.failed} failed (H: feed health)")
    return f"fetched {feeds} feed{'s' if feeds != 1 else ''}: " + ", ".join(parts)


def status_line(summary: Any, at: str) -> str:
    """The short form kept in the status bar: ``fetched 12:18: 3 new, 1 failing (H)``."""
    text = f"fetched {at}: {summary.new_clips} new"
    if summary.failed:
        text += f", {summary.failed} failing (H)"
    return text


def priority_alert(matches: Sequence[tuple[int, str, str, int]]) -> str | None:
    """One line for the new matches of high-priority topics, or None when there are none.

    ``matches`` are (clip id, headline, topic, priority); a clip counts once.
    """
    high: dict[int, tuple[str, str]] = {}
    for clip_id, title, topic, priority in matches:
        if priority <= HIGH_PRIORITY and clip_id not in high:
            high[clip_id] = (title, topic)
    if not high:
        return None
    if len(high) <= MOST_ONE_BY_ONE:
        lines = (f"{one_line(topic, 30)}: {one_line(title, 80)}" for title, topic in high.values())
        return "\n".join(lines)
    by_topic = Counter(topic for _title, topic in high.values())
    topics = ", ".join(f"{one_line(t, 30)} ({n})" for t, n in by_topic.most_common(4))
    more = "" if len(by_topic) <= 4 else f" and {len(by_topic) - 4} more topics"
    return f"{len(high)} new high-priority clips: {topics}{more}"


class DeskFetcher:
    """Owned by the app; all methods except ``_work`` run on the UI thread."""

    def __init__(self, app: DeskApp, *, every_minutes: int, scheduled: bool) -> None:
        self._app = app
        self._every = every_minutes * 60.0
        self._scheduled = scheduled
        self._next: Any = None  # the armed timer
        self._ticker: Any = None
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self.running = False
        self._by_schedule = False  # the running fetch was started by the schedule
        self.last_summary: Any = None

    def start(self) -> None:
        if self._scheduled:
            self._arm(FIRST_FETCH_AFTER)
            self._app.set_timer(PREPARE_AFTER, self._prepare, name="prepare fetch process")

    def _prepare(self) -> None:
        """Start the fetch children's forkserver now, so that the first fetch starts warm."""
        self._app.run_worker(
            _start_fetch_server,
            thread=True,
            group="fetch-prepare",
            name="prepare fetch process",
            exit_on_error=False,  # a fetch would start the server itself, and report why not
        )

    def _arm(self, delay: float) -> None:
        if self._next is not None:
            self._next.stop()
        self._next = self._app.set_timer(delay, self._on_schedule, name="scheduled fetch")

    def _on_schedule(self) -> None:
        self._next = None
        self.fetch_now(quiet=True, due_only=True)

    def fetch_now(
        self,
        *,
        quiet: bool = False,
        due_only: bool = False,
        feed_ids: Sequence[int] | None = None,
    ) -> bool:
        """Start a fetch; False (with a note unless ``quiet``) when one is already running.

        The key fetches every enabled feed; the schedule only the feeds that are due (each
        feed's poll interval, and a failing feed's backoff, are respected); ``feed_ids``
        fetches just those (the feed-health view).
        """
        if self.running:
            if not quiet:
                self._app.notify("A fetch is already running (see the status bar).", timeout=3)
            return False
        if self._next is not None:
            self._next.stop()
            self._next = None
        self.running = True
        self._by_schedule = due_only
        self._progress = Progress(0, 0, "")
        self._show(self._progress.text())
        self._ticker = self._app.set_interval(PROGRESS_EVERY, self._tick, name="fetch progress")
        self._app.run_worker(
            partial(self._work, due_only, feed_ids),
            thread=True,
            group="fetch",
            name="fetch feeds",
            exit_on_error=False,
        )
        return True

    # the worker thread ----------------------------------------------------------------------
    def _work(self, due_only: bool, feed_ids: Sequence[int] | None) -> None:
        from textual.worker import get_current_worker

        from deskterm.core.fetcher import fetch_all_in_subprocess

        worker = get_current_worker()

        def progress(done: int, total: int, feed: str) -> None:
            if worker.is_cancelled:
                raise FetchStopped
            with self._lock:
                self._progress = Progress(done, total, feed)

        try:
            summary = fetch_all_in_subprocess(
                self._app.db,
                progress=progress,
                now=self._app.clock(),
                due_only=due_only,
                feed_ids=feed_ids,
            )
        except FetchStopped:
            return
        except Exception as error:  # the network, the file, the database: one line
            if not worker.is_cancelled:
                self._app.call_from_thread(self._finished, None, error)
            return
        if not worker.is_cancelled:
            self._app.call_from_thread(self._finished, summary, None)

    # back on the UI thread -------------------------------------------------------------------
    def _tick(self) -> None:
        with self._lock:
            progress = self._progress
        if progress is not None:
            self._show(progress.text())

    def _show(self, text: str) -> None:
        status = self._app.status_bar
        if status is not None:
            status.progress = text

    def _finished(self, summary: Any, error: Exception | None) -> None:
        self.running = False
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        now = self._app.clock().astimezone(self._app.tz).strftime("%H:%M")
        if error is not None:
            self._show(f"fetch failed {now}")
            self._app.notify(
                f"could not fetch the feeds: {one_line(error, 200)}",
                severity="error",
                markup=False,
            )
        else:
            self.last_summary = summary
            line = summary_line(summary)
            self._show(status_line(summary, now))
            if self._worth_a_notification(summary):
                self._app.notify(
                    line,
                    title="Feeds",
                    severity="warning" if summary.failed else "information",
                    markup=False,
                    timeout=6,
                )
            alert = priority_alert(summary.new_priority_matches)
            if alert:
                self._app.notify(
                    alert, title="High-priority news", severity="warning", markup=False, timeout=30
                )
            if summary.new_clips:  # now, not at the live loop's next poll: our own clips
                reload_desk(self._app, {"clips", "clip_topics"})
        if self._scheduled:
            self._arm(self._every)

    def _worth_a_notification(self, summary: Any) -> bool:
        """A fetch someone asked for always reports; the schedule's only when it brought
        news or a feed failed (its result stays in the status bar either way)."""
        return not self._by_schedule or bool(summary.new_clips or summary.failed)
