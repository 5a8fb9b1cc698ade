"""One fetch run: the feeds to fetch -> network -> parser processes -> short write transactions.

``fetch_all`` is what ``deskterm fetch`` and the desk's scheduled fetch worker call. The
pipeline keeps each stage off the others' backs:

- the network: an asyncio loop in the calling thread, at most ``concurrency`` requests at
  once (``deskterm.core.fetch``: deadlines, size limits, conditional GET);
- parsing: a small process pool (``deskterm.core.feed_parse``), so a desk's UI thread never
  competes with the parser for the GIL (design notes: parsing in a thread raised keystroke
  latency from 9 to 30 ms, in a process it stayed at 12-15 ms). The pool is kept between
  runs; a parse that overruns its deadline is recorded on its feed and the pool replaced;
- storing: one writer thread takes whatever feeds are ready and stores them in one short
  transaction (``deskterm.core.ingest``), so a run of 200 feeds costs a handful of
  commits, not 200, while the network keeps going.

One failing feed never stops the others: every failure ends as a line on its feed.
Call it from a thread without a running event loop (a CLI, a Textual thread worker); from
inside a running loop it runs its own loop in a helper thread.

``fetch_all_in_subprocess`` runs the same ``fetch_all`` in a child process (the desk's
fetch): in the desk's own process the run cost its UI thread the GIL. The network loop, the
pickling of bodies to the parsers and the unpickling of their entries, and the writer's row
building hold it in turns, and every time the UI thread released it (a system call, a wait)
it queued behind them for up to the switch interval (``bench/keys.py``: j/k during a fetch
of 200 feeds, 41-89 ms at the 99th percentile in the desk's process, 38-42 ms from the
child). The child and its parser processes run at a lower CPU priority (nice 10), so on a
2-core machine the desk's UI thread gets a core first: at normal priority the child was no
better than the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from db.connection import DeskFile, desk_file
from db.errors import DatabaseError
from db.stored import stored_time
from deskterm.core.feed_parse import EntryContext, ParsedFeed, compile_records, parse_feed
from deskterm.core.fetch import Fetcher, FetchLimits, FetchRequest, FetchResult, body_digest
from deskterm.core.fields import split_list
from deskterm.core.ingest import (
    BATCH_ENTRIES,
    BATCH_FEEDS,
    KNOWN_WINDOW,
    FeedOutcome,
    FeedPlan,
    StoreResult,
    load_plans,
    recent_guids,
    store_outcomes,
)
from deskterm.core.topic_match import CompiledTopic, TopicRecord

if TYPE_CHECKING:
    from db.engine import Database

log = logging.getLogger(__name__)
T = TypeVar("T")

Progress = Callable[[int, int, str], None]
PARSE_TIMEOUT_S = 60.0
MAX_CONCURRENCY = 64
BACKGROUND_NICE = 10  # fetch_all_in_subprocess: the child's (and its parsers') niceness
STOP_WAIT_S = 5.0  # how long a stopped child may take to end before it is terminated
#: How long the writer waits for more feeds to store with the first one ready. Documents
#: parsed one by one arrive a few milliseconds apart, and each transaction costs a commit
#: (a few ms of fsync on a local disk, far more on a network drive) and a turn of the
#: shared file's write lock: a re-fetch of 200 feeds went from ~55 transactions to 3 and
#: from 0.40 to 0.33 s (bench/feeds.py's data, in one process).
BATCH_WAIT_S = 0.05


@dataclass(frozen=True)
class FetchSummary:
    fetched: int  # feeds fetched and stored (new content or not)
    unchanged: int  # feeds that answered 304 / files not modified
    failed: int
    new_clips: int
    #: (clip id, title, topic name, priority) for new clips matching a priority-1 topic
    new_priority_matches: list[tuple[int, str, str, int]]
    feeds: list[StoreResult]
    elapsed_s: float

    @property
    def total(self) -> int:
        return self.fetched + self.unchanged + self.failed

    def line(self) -> str:
        """The one-line summary ``deskterm fetch`` ends with."""
        return (
            f"{self.total} feed{'s' if self.total != 1 else ''}: {self.fetched} fetched, "
            f"{self.unchanged} unchanged, {self.failed} failed, "
            f"{self.new_clips} new clip{'s' if self.new_clips != 1 else ''} "
            f"({self.elapsed_s:.1f} s)"
        )


# --- the parser processes ---------------------------------------------------------------------


class ParsePool:
    """A process pool for ``parse_feed``, kept between runs and replaced when broken.

    Start method: ``fork`` while this process has one thread (the CLI: cheapest, ~10 ms),
    else ``forkserver`` (a desk has threads; forking a threaded process can copy a held
    lock into the child), ``spawn`` where neither exists.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                executor = ProcessPoolExecutor(
                    self.workers, mp_context=_mp_context(), initializer=_lower_priority
                )
                # Start the workers now, before the run starts its threads (with "fork"
                # they are all forked at the first submit).
                executor.submit(_ready).result()
                self._executor = executor
            return self._executor

    def replaced(self, executor: Executor) -> bool:
        """Was ``executor`` discarded (its jobs cancelled) since it was handed out?"""
        with self._lock:
            return self._executor is not executor

    def close(self) -> None:
        """Shut the pool down and wait for its processes."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def discard(self, executor: Executor) -> None:
        """Drop a broken or stuck pool (its processes are stopped); the next run makes one."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        # No public API before Python 3.14 (terminate_workers): stop the processes
        # ourselves so a parse stuck on hostile input cannot outlive the run.
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)


def _ready() -> bool:
    return True


#: How much nicer the parser processes run than the run itself. On a first fetch one
#: writer thread (the critical path: the full-text index) and two parsers share two cores;
#: parsers that yield to the writer finished a 200-feed ingest 13% sooner (5 of 5 paired
#: runs, bench/feeds.py's data). A fetch with nothing to write is unaffected.
PARSER_NICE = 5


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):  # no os.nice on Windows
        os.nice(PARSER_NICE)


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["deskterm.core.feed_parse"])
        return context
    return multiprocessing.get_context("spawn")


_POOLS: dict[int, ParsePool] = {}
_POOLS_LOCK = threading.Lock()


def parse_pool(workers: int) -> ParsePool:
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ParsePool(workers)
        return _POOLS[workers]


def close_pools() -> None:
    """Shut every parser pool down and wait for its processes: a fetch child's last act
    (a process joins its children at exit before its threads are told to stop, so a pool
    left running would hold the child forever)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


def default_workers() -> int:
    """Parser processes: as many as cores, at most two (the run itself is one more).

    Measured in bench/feeds.py on 2 cores: a re-fetch (every entry already stored) is
    parser-bound, and two parsers cut it by a third; a first fetch is writer-bound (the
    FTS index), where one parser or two made no clear difference.
    """
    return max(1, min(2, os.cpu_count() or 1))


# --- the run -----------------------------------------------------------------------------------


_TOPICS = """
SELECT id, name, query, priority, outlet_types, languages, enabled, version, created_at,
       updated_at
FROM topics WHERE enabled = 1 ORDER BY priority, name
"""


def topic_records(db: Database | DeskFile) -> list[TopicRecord]:
    """The enabled topics, highest priority first, as plain records: they travel to the
    parser processes, which match new entries (compiled topics hold generated code and
    do not pickle)."""
    with desk_file(db).read() as connection:
        rows = connection.execute(_TOPICS).fetchall()
    return [
        TopicRecord(
            id=row[0],
            name=row[1],
            query=row[2],
            priority=row[3],
            outlet_types=split_list(row[4] or ""),
            languages=split_list(row[5] or ""),
            enabled=bool(row[6]),
            version=row[7],
            created_at=stored_time(row[8]),  # type: ignore[arg-type]
            updated_at=stored_time(row[9]),  # type: ignore[arg-type]
        )
        for row in rows
    ]


def _run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(1, thread_name_prefix="deskterm-fetch") as helper:
        return helper.submit(lambda: asyncio.run(factory())).result()


class _Run:
    def __init__(
        self,
        db: DeskFile,
        plans: Sequence[FeedPlan],
        *,
        topics: Sequence[CompiledTopic],
        records: Sequence[TopicRecord],
        now: datetime,
        concurrency: int,
        limits: FetchLimits,
        pool: ParsePool | None,
        parse_timeout_s: float,
        progress: Progress | None,
    ) -> None:
        self.db = db
        self.plans = plans
        self.topics = topics
        self.records = tuple(records)
        self.now = now
        self.concurrency = concurrency
        self.limits = limits
        self.pool = pool
        self.parse_timeout_s = parse_timeout_s
        self.progress = progress
        self.results: list[StoreResult] = []
        self._known: dict[int, frozenset[str]] | None = None

    def _known_guids(self, feed_id: int) -> frozenset[str]:
        """The feed's recently stored GUIDs (read once a run, when the first document
        needs parsing; a 304 run never reads them). Nothing if the read fails: a hint.

        Read here, in the loop's thread, holding up the network for its ~12 ms: from a
        worker thread the same read took ~75 ms, trading the GIL with the loop, and every
        parse waited for it."""
        if self._known is None:
            try:
                self._known = recent_guids(self.db, self.now - KNOWN_WINDOW)
            except Exception:
                log.warning("could not read the stored GUIDs; parsing every entry", exc_info=True)
                self._known = {}
        return self._known.get(feed_id, frozenset())

    async def _parse(self, plan: FeedPlan, fetched: FetchResult) -> ParsedFeed:
        kwargs = {
            "url": fetched.final_url or fetched.url,
            "content_type": fetched.content_type,
            "fetched_at": self.now,
            "match": EntryContext(
                self.records,
                plan.outlet or "",
                plan.outlet_type,
                plan.language,
                feed_id=plan.id,
                outlet_id=plan.outlet_id,
                known_guids=self._known_guids(plan.id),
            ),
        }
        if self.pool is None:
            return await asyncio.to_thread(parse_feed, fetched.body, **kwargs)
        for attempt in (1, 2):
            executor = self.pool.executor()
            try:
                future = executor.submit(parse_feed, fetched.body, **kwargs)
                return await asyncio.wait_for(asyncio.wrap_future(future), self.parse_timeout_s)
            except TimeoutError:
                self.pool.discard(executor)
                return ParsedFeed(
                    (), error=f"parsing took longer than {self.parse_timeout_s:g} s: not read"
                )
            except (BrokenProcessPool, RuntimeError):
                if attempt == 1 and self.pool.replaced(executor):
                    continue  # another feed's overrun stopped that pool: try the new one
                self.pool.discard(executor)
        return ParsedFeed((), error="the parser process stopped on this feed (out of memory?)")

    async def _one(self, plan: FeedPlan, semaphore: asyncio.Semaphore, fetcher: Fetcher) -> None:
        request = FetchRequest(plan.id, plan.url, plan.etag, plan.last_modified)
        try:
            async with semaphore:
                fetched = await fetcher.fetch(request)
            parsed = None
            if fetched.outcome == "ok":
                digest = body_digest(fetched.body)
                if digest == plan.body_hash:
                    # The server ignored the validators but sent the same bytes: as a 304.
                    fetched = replace(fetched, outcome="unchanged", body=b"")
                else:
                    parsed = await self._parse(plan, fetched)
                    fetched = replace(fetched, body=b"", body_hash=digest)
        except Exception as error:  # a bug here must cost one feed, not the run
            log.exception("fetching feed %s failed", plan.id)
            fetched_error = f"could not fetch: {type(error).__name__}: {error}"
            fetched = FetchResult(plan.id, plan.url, "error", error=fetched_error[:300])
            parsed = None
        await self.queue.put(FeedOutcome(plan, fetched, parsed))

    def _store(self, batch: list[FeedOutcome]) -> list[StoreResult]:
        try:
            return store_outcomes(self.db, batch, topics=self.topics, now=self.now)
        except DatabaseError as error:  # busy past the retries, or the file went away
            text = str(error).splitlines()[0] if str(error) else type(error).__name__
            return [
                StoreResult(o.plan.id, o.plan.name, "error", error=f"not stored: {text}")
                for o in batch
            ]
        except Exception as error:
            log.exception("storing %d feeds failed", len(batch))
            return [
                StoreResult(o.plan.id, o.plan.name, "error", error=f"not stored: {error}")
                for o in batch
            ]

    async def _batch(self, left: int) -> list[FeedOutcome]:
        """The next feeds to store together: the first ready one, then whatever else is
        ready within ``BATCH_WAIT_S`` (at most ``BATCH_ENTRIES`` entries, ``BATCH_FEEDS``
        feeds, ``left`` outcomes still to come)."""
        loop = asyncio.get_running_loop()
        batch = [await self.queue.get()]
        size = _entries(batch[0])
        deadline = loop.time() + BATCH_WAIT_S
        while size < BATCH_ENTRIES and len(batch) < min(BATCH_FEEDS, left):
            if self.queue.empty():
                wait = deadline - loop.time()
                if wait <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), wait))
                except TimeoutError:
                    break
            else:
                batch.append(self.queue.get_nowait())
            size += _entries(batch[-1])
        return batch

    async def _writer(self, store_thread: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        total = len(self.plans)
        done = 0
        while done < total:
            batch = await self._batch(total - done)
            stored = await loop.run_in_executor(store_thread, self._store, batch)
            for result in stored:
                done += 1
                self.results.append(result)
                if self.progress is not None:
                    # May raise to stop the run (a desk closing): the feeds stored so far
                    # stay stored, the rest are left for the next run.
                    self.progress(done, total, result.name)

    async def run(self) -> list[StoreResult]:
        self.queue: asyncio.Queue[FeedOutcome] = asyncio.Queue()
        semaphore = asyncio.Semaphore(self.concurrency)
        with ThreadPoolExecutor(1, thread_name_prefix="deskterm-store") as store_thread:
            async with Fetcher(self.limits, connections=self.concurrency) as fetcher:
                try:
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._writer(store_thread))
                        for plan in self.plans:
                            group.create_task(self._one(plan, semaphore, fetcher))
                except BaseExceptionGroup as failed:  # the progress callback stopped the run
                    raise failed.exceptions[0] from None
        return self.results


def _entries(outcome: FeedOutcome) -> int:
    return len(outcome.parsed.entries) if outcome.parsed is not None else 0


def _concurrency(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("concurrency must be a whole number of at least 1")
    return min(value, MAX_CONCURRENCY)


def fetch_all(
    db: Database | DeskFile,
    *,
    concurrency: int = 8,
    progress: Progress | None = None,
    now: datetime | None = None,
    feed_ids: Iterable[int] | None = None,
    due_only: bool = True,
    limits: FetchLimits | None = None,
    workers: int | None = None,
    parse_timeout_s: float = PARSE_TIMEOUT_S,
    topics: Sequence[TopicRecord] | None = None,
) -> FetchSummary:
    """Fetch feeds, store what is new, record each feed's health.

    Which feeds: ``feed_ids`` if given (enabled or not), else every enabled feed that is
    due (``next_fetch_at`` unset or past: the poll interval and a failing feed's backoff
    are respected); ``due_only=False`` takes every enabled feed (``deskterm fetch``).
    ``progress(done, total, feed_name)`` is called in this thread as each feed is stored;
    an exception it raises stops the run and propagates (what was stored stays).
    ``workers=0`` parses in a thread of this process instead of the process pool.
    ``topics`` defaults to the desk's enabled topics (``topic_records``).
    """
    concurrency = _concurrency(concurrency)
    started = time.monotonic()
    now = now or datetime.now(UTC)
    file = desk_file(db)
    plans = load_plans(
        file,
        feed_ids=list(feed_ids) if feed_ids is not None else None,
        due_at=now if due_only and feed_ids is None else None,
    )
    if not plans:
        return FetchSummary(0, 0, 0, 0, [], [], time.monotonic() - started)
    records = list(topics) if topics is not None else topic_records(file)
    compiled = compile_records(records)
    workers = default_workers() if workers is None else workers
    pool = parse_pool(workers) if workers > 0 else None
    if pool is not None:
        pool.executor()  # started before this run's threads
    run = _Run(
        file,
        plans,
        topics=compiled,
        records=records,
        now=now,
        concurrency=concurrency,
        limits=limits or FetchLimits(),
        pool=pool,
        parse_timeout_s=parse_timeout_s,
        progress=progress,
    )
    results = _run_coroutine(run.run)
    order = {plan.id: index for index, plan in enumerate(plans)}
    results.sort(key=lambda r: order.get(r.feed_id, 0))
    return FetchSummary(
        fetched=sum(r.status == "ok" for r in results),
        unchanged=sum(r.status == "unchanged" for r in results),
        failed=sum(r.status == "error" for r in results),
        new_clips=sum(r.new_clips for r in results),
        new_priority_matches=[
            (m.clip_id, m.title, m.topic, m.priority) for r in results for m in r.priority_matches
        ],
        feeds=results,
        elapsed_s=time.monotonic() - started,
    )


# --- the same run in a child process (the desk) -----------------------------------------------


class FetchError(Exception):
    """The fetch child failed as a whole; the message is its error's (shown as is)."""


class _Stopped(Exception):
    pass


def _child_context() -> Any:
    """``forkserver`` (the desk has threads: never ``fork`` it), with the fetch pipeline
    loaded once by the server (``fetch_preload``) so that each fetch's child starts warm;
    ``spawn`` where there is no forkserver."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["deskterm.core.fetch_preload"])
        return context
    return multiprocessing.get_context("spawn")


def prepare_fetch_process() -> None:
    """Start the forkserver the fetch children come from, so that a desk's first fetch
    starts warm: the server imports the fetch pipeline (~0.5 s of CPU, in its own
    process), which the first ``fetch_all_in_subprocess`` otherwise waits for. Returns
    once the server is launched, not loaded. Nothing to do where there is no forkserver.
    """
    context = _child_context()
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _child(
    conn: Any,
    path: str,
    actor: Any,
    retry: Any,
    nice: int,
    options: dict[str, Any],
) -> None:
    """The fetch child: ``fetch_all`` on its own connection (``DeskFile``: the child
    imports no SQLAlchemy), progress up the pipe.

    The parent sends anything down the pipe to stop the run at the next stored batch (as a
    progress callback raising does in ``fetch_all``). The child's output goes nowhere: it
    would land on the desk's terminal; failures travel up the pipe instead.
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(devnull, fd)
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)
    db: DeskFile | None = None
    try:
        from db.schema_state import file_status, guard

        db = DeskFile(path, actor=actor, retry=retry)
        guard(db, file_status(db))  # the parent's write guard (a newer schema) holds here too

        def progress(done: int, total: int, feed: str) -> None:
            if conn.poll():
                raise _Stopped
            conn.send(("progress", done, total, feed))

        summary = fetch_all(db, progress=progress, **options)
        conn.send(("done", summary))
    except (_Stopped, BrokenPipeError, EOFError):
        pass  # asked to stop, or the desk is gone
    except BaseException as error:  # one line for the desk, as fetch_all's own errors
        with contextlib.suppress(Exception):
            conn.send(("error", str(error) or type(error).__name__))
    finally:
        close_pools()
        if db is not None:
            db.close()
        conn.close()


def fetch_all_in_subprocess(
    db: Database,
    *,
    progress: Progress | None = None,
    nice: int = BACKGROUND_NICE,
    **options: Any,
) -> FetchSummary:
    """``fetch_all(db, progress=progress, **options)`` run in a child process.

    The child opens its own connection to the same file (same actor and retry policy;
    ``options`` travel to it pickled) and, ``nice`` permitting, runs at a lower CPU
    priority with its parser processes. ``progress`` is called in this thread for each feed
    stored, and an exception it raises stops the child at its next stored batch and
    propagates (what was stored stays), as with ``fetch_all``. A failure of the whole run
    raises ``FetchError`` with the child's message.
    """
    _concurrency(options.get("concurrency", 8))  # a bad value fails here, not in the child
    path = desk_file(db).path  # not a SQLite file: refused here, in one line
    context = _child_context()
    conn, child_conn = context.Pipe()
    process = context.Process(
        target=_child,
        args=(child_conn, str(path), db.actor, db.retry, nice, options),
        name="deskterm-fetch",
    )
    process.start()
    child_conn.close()
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                process.join(STOP_WAIT_S)
                raise FetchError(
                    f"the fetch process stopped (exit status {process.exitcode})"
                ) from None
            if message[0] == "progress":
                if progress is not None:
                    progress(*message[1:])
            elif message[0] == "done":
                summary: FetchSummary = message[1]
                return summary
            else:
                raise FetchError(message[1])
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send("stop")
        raise
    finally:
        process.join(STOP_WAIT_S)
        if process.is_alive():
            process.terminate()
            process.join(1.0)
        conn.close()
