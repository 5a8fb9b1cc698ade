"""Keystroke-to-screen latency: j/k selection moves in the News pane of the 1M-clip desk,
idle and while the desk fetches 200 feeds.

Method
------
The real desk runs in tmux at 120x40 (as in ``bench/startup.py``), started by
``bench/launch.py --trace FILE --no-scheduled-fetch``, which instruments Textual in-process
before the app starts (``launch.install_trace``) and turns the desk's fetch schedule off (its
first run would come 5 s after start; ``F`` still fetches): the harness decides when a fetch
runs. Every stamp is ``time.monotonic()`` (CLOCK_MONOTONIC, shared by all processes):

- ``in``: ``XTermParser.feed`` receives the key's bytes, right after the driver's input
  thread ``os.read`` them from the terminal: the key press as the app first sees it;
- ``key``: ``App.on_event`` starts handling the Key on the main thread;
- ``act``: the table's ``action_cursor_down``/``_up`` ran, with the cursor row before and
  after (a press that did not move the selection is not counted);
- ``tick``: the screen's update timer fired (Textual paces frames: the desk asks for 120 fps);
- ``disp``: ``App._display`` queued a frame for the writer thread (its sequence number);
- ``flush``: Textual's writer thread wrote and flushed output to the terminal;
- ``fetch-start`` / ``fetch-end``: the desk's fetch worker (``DeskFetcher._work``) started /
  the fetch's end was handled on the main thread (``DeskFetcher._finished``: status bar,
  notification, pane reloads asked for); ``store-start``/``store-end``: a write batch of
  the fetch, when it runs in the desk's own process.

Recording an event costs no system call (a flusher thread writes the lines every 25 ms): an
``os.write`` per event released the GIL, and while a fetch kept other threads busy the
thread that wrote waited to get it back, so the trace itself added latency.

Presses are paired with their events in order (keys are handled in the order they arrive,
one cursor action each), so a press whose effect comes after the next press arrived still
counts. Latency of one press = ``in`` -> the ``flush`` that put on the terminal the first
frame queued after its ``act`` (a frame rendered after the move necessarily shows it). The
split into stages (input dispatch, key handling, frame pacing, render, write; medians and
99th percentiles) is reported too, and the trace's ``gc`` events (collections of 1 ms or
more) are counted.

Idle: on the cached 1M-clip database (``bench/data.py``), after the first full paint and
1.5 s of quiet, the harness presses ``j`` 100 times then ``k`` 100 times (repeating to the
requested count) with ``tmux send-keys``, one press every ``GAP_S`` (50 ms: each press meets
an idle app; a key repeat is ~30 ms). Each press moves the selection (the pane holds 300
rows), so every press has a visible effect. As a cross-check the harness also records the
tmux round trip: ``send-keys`` issued -> first ``%output`` from the pane (includes tmux's
own forwarding both ways and the control client's pipe).

During a fetch: a copy of the 1M-clip database (the cached file is never written) with its
200 generated feeds (unreachable ``outletN.example`` addresses) disabled and the 200 feeds x
50 items of ``bench/feeds.py`` registered (``deskterm.core.opml.import_feeds`` of their URLs
on that module's local HTTP server: its own process, told to ignore conditional headers so
that every fetch downloads and parses every feed again, and run at nice 19, as it stands in
for 200 remote hosts whose CPU time is not the desk machine's). The desk starts as above;
after the first paint and 1.5 s of quiet the harness presses ``F`` (fetch every enabled
feed), then j/k every 50 ms, turning after 100 presses or 2 rows from either end of the pane
(the cursor row is read back from the trace: the first fetch adds ~9,500 clips to today and
the pane reloads under the cursor). When the trace shows that a fetch ended the harness
presses ``F`` again: the first fetch stores new clips (the writer and the full-text index),
the others are re-fetches (download and parse, nothing new). It stops once the requested
number of presses was sent inside fetches (or after ``FETCH_BUDGET_S``), waits for the
running fetch to end and quits. Only presses whose ``in`` stamp falls between a
``fetch-start`` and its ``fetch-end`` count; the presses between fetches (the panes reload
after each) are reported apart, and so are the figures per fetch.

``python -m bench.keys`` runs the idle part, ``--during-fetch`` the fetch part alone, ``--all``
both; the 1-minute load average before and after each part is printed with its figures.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import contextlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.startup import Session, Variant, desk_env
from bench.tmux import TmuxError, TmuxServer

GAP_S = 0.05
BLOCK = 100  # presses in one direction before turning around
QUIET_S = 1.5
MATCH_WINDOW_S = 1.0  # an event more than this after the key belongs to something else
LAUNCH_OPTIONS = ("--no-scheduled-fetch",)
FETCH_BUDGET_S = 150.0  # stop pressing after this even if fewer presses fell inside fetches
FETCH_END_WAIT_S = 60.0  # after the presses: how long the running fetch may take to end
EDGE_ROWS = 2  # turn this many rows before either end of the pane
SERVER_NICE = 19  # the feed server stands in for 200 remote hosts, not the desk's machine


@dataclass
class FetchWindow:
    """One fetch as the trace saw it: worker start -> end handled on the main thread."""

    start: float
    end: float | None  # None: the desk quit before this fetch ended
    detail: str = ""  # the summary line (``FetchSummary.line()``)
    latencies_ms: list[float] = field(default_factory=list)  # counted presses inside it

    def holds(self, at: float) -> bool:
        return self.start <= at and (self.end is None or at <= self.end)


@dataclass
class KeyFigures:
    latencies_ms: list[float] = field(default_factory=list)
    matched_at: list[float] = field(default_factory=list)  # arrival of each matched press
    stages_ms: dict[str, list[float]] = field(default_factory=dict)
    tmux_round_trip_ms: list[float] = field(default_factory=list)
    presses: int = 0  # presses in the condition measured (matched or not)
    unmatched: int = 0
    excluded: int = 0  # presses outside the condition (idle: inside a fetch; fetch: outside)
    unmoved: int = 0  # presses that did not move the selection (at an end of the pane)
    gc_pauses_ms: dict[str, list[float]] = field(default_factory=dict)  # during the presses
    fetches: list[FetchWindow] = field(default_factory=list)
    store_ms: list[float] = field(default_factory=list)  # the fetch writer's batches
    outside: KeyFigures | None = None  # fetch run: the presses between fetches
    load: tuple[float, float] | None = None  # 1-min load average before, after
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.latencies_ms) if self.latencies_ms else None

    @property
    def p99(self) -> float | None:
        return percentile(self.latencies_ms, 99)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Event:
    kind: str
    at: float
    detail: str


def parse_line(line: str) -> Event | None:
    parts = line.split(" ", 2)
    if len(parts) < 2:
        return None
    try:
        return Event(parts[0], float(parts[1]), parts[2] if len(parts) > 2 else "")
    except ValueError:
        return None


def read_trace(path: Path) -> list[Event]:
    return [e for e in map(parse_line, path.read_text().splitlines()) if e is not None]


class TraceTail:
    """The trace's new complete lines since the last call (the desk appends as it runs)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def new_events(self) -> list[Event]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return []
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        events = (parse_line(line.decode("utf-8", "replace")) for line in lines)
        return [e for e in events if e is not None]


def fetch_windows(events: Sequence[Event]) -> list[FetchWindow]:
    """Pair each ``fetch-start`` with the ``fetch-end`` that follows it."""
    windows: list[FetchWindow] = []
    for event in events:
        if event.kind == "fetch-start":
            windows.append(FetchWindow(event.at, None))
        elif event.kind == "fetch-end" and windows and windows[-1].end is None:
            windows[-1].end = event.at
            windows[-1].detail = event.detail
    return windows


def _moved(act: Event) -> bool:
    """False when the ``act`` stamp says the cursor row stayed (older traces: True)."""
    parts = act.detail.split()
    return len(parts) < 4 or parts[2] != parts[3]


def _pair(
    by_kind: Mapping[str, list[Event]], keys: Sequence[str]
) -> list[tuple[float, Event | None, Event | None]]:
    """Each press of ``keys`` as (arrival, its ``key`` event, its ``act`` event).

    Keys are handled in the order they arrive, one cursor action each: the n-th press is
    paired with the n-th key event of those keys after it and the first action after that
    (in order, never reused), so a press still counts when the next one arrives before its
    effect (a slow press is not dropped). Bytes read together (``'jj'``, when the app is
    slow to read its input) are one press per key at that arrival. None: not found within
    ``MATCH_WINDOW_S``.
    """
    wanted = set(keys)
    arrivals: list[float] = []
    for event in by_kind.get("in", []):
        try:
            data = ast.literal_eval(event.detail)
        except (ValueError, SyntaxError):
            continue
        if isinstance(data, str) and data and set(data) <= wanted:
            arrivals.extend([event.at] * len(data))
    key_events = [e for e in by_kind.get("key", []) if e.detail in wanted]
    acts = by_kind.get("act", [])
    next_key = next_act = 0
    pairs: list[tuple[float, Event | None, Event | None]] = []
    for arrival in arrivals:
        while next_key < len(key_events) and key_events[next_key].at < arrival:
            next_key += 1
        key = None
        if next_key < len(key_events) and key_events[next_key].at - arrival <= MATCH_WINDOW_S:
            key = key_events[next_key]
            next_key += 1
        after = key.at if key is not None else arrival
        while next_act < len(acts) and acts[next_act].at < after:
            next_act += 1
        act = None
        if next_act < len(acts) and acts[next_act].at - arrival <= MATCH_WINDOW_S:
            act = acts[next_act]
            next_act += 1
        pairs.append((arrival, key, act))
    return pairs


def analyse(
    events: Sequence[Event],
    keys: Sequence[str] = ("j", "k"),
    *,
    counts: Callable[[float], bool] | None = None,
) -> KeyFigures:
    """Match each key's arrival to the flush that showed its effect (see module docstring).

    ``counts(arrival)`` chooses the presses measured (the others are ``excluded``).
    """
    figures = KeyFigures()
    by_kind: dict[str, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    times = {kind: [e.at for e in evs] for kind, evs in by_kind.items()}

    def next_event(kind: str, after: float) -> Event | None:
        stamps = times.get(kind, [])
        index = bisect.bisect_left(stamps, after)
        return by_kind[kind][index] if index < len(stamps) else None

    presses = _pair(by_kind, keys)
    stages: dict[str, list[float]] = {
        "input -> key event": [],
        "key event -> selection moved": [],
        "selection moved -> frame timer fires (frame pacing)": [],
        "frame timer -> frame rendered and queued": [],
        "frame queued -> on the terminal": [],
    }
    counted: list[float] = []
    for arrival, key, act in presses:
        if counts is not None and not counts(arrival):
            figures.excluded += 1
            continue
        if act is not None and not _moved(act):
            figures.unmoved += 1
            continue
        figures.presses += 1
        counted.append(arrival)
        if act is None:
            figures.unmatched += 1
            continue
        disp = next_event("disp", act.at)
        if disp is None:
            figures.unmatched += 1
            continue
        seq = int(disp.detail)
        flush = None
        start = bisect.bisect_left(times.get("flush", []), disp.at)
        for candidate in by_kind.get("flush", [])[start:]:
            if int(candidate.detail) >= seq:
                flush = candidate
                break
        if flush is None or flush.at - arrival > MATCH_WINDOW_S:
            figures.unmatched += 1
            continue
        figures.latencies_ms.append((flush.at - arrival) * 1000)
        figures.matched_at.append(arrival)
        if key is not None and key.at <= act.at:
            stages["input -> key event"].append((key.at - arrival) * 1000)
            stages["key event -> selection moved"].append((act.at - key.at) * 1000)
        tick = next_event("tick", act.at)
        if tick is not None and tick.at <= disp.at:
            stages["selection moved -> frame timer fires (frame pacing)"].append(
                (tick.at - act.at) * 1000
            )
            stages["frame timer -> frame rendered and queued"].append((disp.at - tick.at) * 1000)
        stages["frame queued -> on the terminal"].append((flush.at - disp.at) * 1000)
    figures.stages_ms = stages
    if counted:
        first, last = counted[0], counted[-1] + MATCH_WINDOW_S
        for event in by_kind.get("gc", []):
            if first <= event.at <= last and (counts is None or counts(event.at)):
                generation, _, took = event.detail.partition(" ")
                with contextlib.suppress(ValueError):
                    figures.gc_pauses_ms.setdefault(generation, []).append(
                        float(took.removesuffix("ms"))
                    )
    return figures


def news_rows(screen: Sequence[str]) -> int:
    """How many rows the News pane loaded, from its title ("1 News · 300+ today · ...")."""
    found = re.search(r"1 News · (\d+)", "\n".join(screen))
    return int(found.group(1)) if found else 0


def press_sequence(count: int, block: int = BLOCK) -> list[str]:
    return ["j" if (i // block) % 2 == 0 else "k" for i in range(count)]


def _round_trips(figures: KeyFigures, sends: Sequence[float], outputs: Sequence[float]) -> None:
    for index, sent in enumerate(sends):
        end = sends[index + 1] if index + 1 < len(sends) else sent + GAP_S
        position = bisect.bisect_right(outputs, sent)
        if position < len(outputs) and outputs[position] < end:
            figures.tmux_round_trip_ms.append((outputs[position] - sent) * 1000)


def _load() -> float:
    return os.getloadavg()[0]


Log = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(
    server: TmuxServer,
    big_db: Path,
    workdir: Path,
    env: Mapping[str, str],
    *,
    presses: int = 240,
    gap: float = GAP_S,
    log: Log = _stderr,
) -> KeyFigures:
    """Idle: j/k on the 1M desk, no fetch running."""
    trace = workdir / "keys.trace"
    trace.unlink(missing_ok=True)
    session = Session(
        server,
        Variant("keys1M", ["desk", "--db", str(big_db)]),
        workdir,
        env,
        trace=trace,
        options=LAUNCH_OPTIONS,
    )
    load_before = _load()
    try:
        session.start()
        _painted, screen = session.wait_for_marker()
        rows = news_rows(screen)
        if rows < 2:
            raise RuntimeError(f"the News pane shows {rows} rows: nothing to move through")
        block = min(BLOCK, rows - 1)  # every press must move the selection
        time.sleep(QUIET_S)
        sends: list[float] = []
        next_at = time.monotonic()
        for key in press_sequence(presses, block):
            while (wait := next_at - time.monotonic()) > 0:
                time.sleep(wait)
            sends.append(time.monotonic())
            server.send_keys(session.name, key)
            next_at = sends[-1] + gap
        time.sleep(0.3)
        outputs = list(server.output_times)
    except (TimeoutError, RuntimeError, TmuxError) as error:
        return KeyFigures(error=str(error))
    finally:
        session.stop()
    events = read_trace(trace)
    windows = fetch_windows(events)
    figures = analyse(events, counts=lambda at: not any(w.holds(at) for w in windows))
    figures.fetches = windows
    figures.load = (load_before, _load())
    _round_trips(figures, sends, outputs)
    seen = figures.presses + figures.excluded + figures.unmoved
    if seen < len(sends):
        figures.unmatched += len(sends) - seen
        figures.presses += len(sends) - seen
    if not figures.latencies_ms:
        figures.error = "no key press could be matched to a frame (see the trace)"
    log(f"  keys, idle: {len(figures.latencies_ms)} of {len(sends)} presses matched")
    return figures


def register_feeds(path: Path, urls: Sequence[str]) -> int:
    """On a desk copy: disable the feeds it has, register ``urls``; returns how many."""
    from db.engine import Actor, Database
    from deskterm.core import feeds, opml

    db = Database(str(path), actor=Actor("bench", "bench"))
    try:
        for record in feeds.list_feeds(db, limit=500):
            if record.enabled:
                feeds.set_feed_enabled(db, record.id, False)
        result = opml.import_feeds(db, ("\n".join(urls) + "\n").encode())
        return len(result.added)
    finally:
        db.dispose()


def measure_during_fetch(
    server: TmuxServer,
    big_db: Path,
    workdir: Path,
    env: Mapping[str, str],
    *,
    presses: int = 240,
    gap: float = GAP_S,
    budget_s: float = FETCH_BUDGET_S,
    log: Log = _stderr,
) -> KeyFigures:
    """j/k on a copy of the 1M desk while it fetches 200 local feeds (see the docstring)."""
    from bench import feeds as feeds_bench

    feed_dir = workdir / "feeds"
    desk_db = workdir / "keys-fetch.sqlite3"
    trace = workdir / "keys-fetch.trace"
    trace.unlink(missing_ok=True)
    served: feeds_bench.ServerProcess | None = None
    session: Session | None = None
    sends: list[float] = []
    outputs: list[float] = []
    load_before = _load()
    try:
        paths = sorted(feed_dir.glob("*.xml")) or feeds_bench.generate(feed_dir)
        served = feeds_bench.ServerProcess(feed_dir)
        with contextlib.suppress(OSError, AttributeError):  # threads it starts inherit it
            os.setpriority(os.PRIO_PROCESS, served.proc.pid, SERVER_NICE)
        served.mode("vary")  # every fetch downloads and parses every feed again (new bytes)
        log(f"  keys, during a fetch: copying {big_db.name}")
        shutil.copyfile(big_db, desk_db)
        added = register_feeds(desk_db, [served.url(f"/{p.name}") for p in paths])
        if added != len(paths):
            raise RuntimeError(f"registered {added} of {len(paths)} feeds")
        session = Session(
            server,
            Variant("keysfetch", ["desk", "--db", str(desk_db)]),
            workdir,
            env,
            trace=trace,
            options=LAUNCH_OPTIONS,
        )
        session.start()
        _painted, screen = session.wait_for_marker()
        rows = news_rows(screen)
        if rows < 2 * EDGE_ROWS + 2:
            raise RuntimeError(f"the News pane shows {rows} rows: nothing to move through")
        time.sleep(QUIET_S)
        load_before = _load()
        tail = TraceTail(trace)
        tail.new_events()
        server.send_keys(session.name, "F")
        asked, ended, running = 1, 0, False
        cursor, direction, run = 0, "j", 0
        inside = 0
        deadline = time.monotonic() + budget_s
        next_at = time.monotonic() + gap
        while inside < presses and time.monotonic() < deadline:
            while (wait := next_at - time.monotonic()) > 0:
                time.sleep(wait)
            for event in tail.new_events():
                if event.kind == "fetch-start":
                    running = True
                elif event.kind == "fetch-end":
                    running = False
                    ended += 1
                    log(f"    fetch {ended}: {event.detail}")
                elif event.kind == "act":
                    parts = event.detail.split()
                    with contextlib.suppress(IndexError, ValueError):
                        cursor, rows = int(parts[3]), int(parts[4])
            now = time.monotonic()
            next_at = now + gap
            if not running and ended == asked:
                server.send_keys(session.name, "F")  # the next fetch: a full re-fetch
                asked += 1
                continue
            limit = min(BLOCK, rows - 1)
            if direction == "j" and (run >= limit or cursor >= rows - 1 - EDGE_ROWS):
                direction, run = "k", 0
            elif direction == "k" and (run >= limit or cursor <= EDGE_ROWS):
                direction, run = "j", 0
            sends.append(now)
            server.send_keys(session.name, direction)
            run += 1
            if running:
                inside += 1
        if inside < presses:
            log(f"  keys, during a fetch: only {inside} presses within {budget_s:g} s")
        end_by = time.monotonic() + FETCH_END_WAIT_S
        while ended < asked and time.monotonic() < end_by:
            time.sleep(0.1)
            ended += sum(e.kind == "fetch-end" for e in tail.new_events())
        time.sleep(0.3)
        outputs = list(server.output_times)
    except (TimeoutError, RuntimeError, TmuxError, OSError) as error:
        return KeyFigures(error=str(error))
    finally:
        if session is not None:
            session.stop()
        if served is not None:
            served.close()
        desk_db.unlink(missing_ok=True)
        Path(f"{desk_db}-journal").unlink(missing_ok=True)
    events = read_trace(trace)
    windows = fetch_windows(events)
    figures = analyse(events, counts=lambda at: any(w.holds(at) for w in windows))
    figures.outside = analyse(events, counts=lambda at: not any(w.holds(at) for w in windows))
    figures.fetches = windows
    figures.load = (load_before, _load())
    for at, latency in zip(figures.matched_at, figures.latencies_ms, strict=True):
        for window in windows:
            if window.holds(at):
                window.latencies_ms.append(latency)
                break
    figures.store_ms = [
        float(e.detail.split()[1])
        for e in events
        if e.kind == "store-end" and len(e.detail.split()) == 2
    ]
    _round_trips(figures, sends, outputs)
    if not windows:
        figures.error = "no fetch ran (no fetch-start in the trace)"
    elif not figures.latencies_ms:
        figures.error = "no key press inside a fetch could be matched to a frame"
    log(
        f"  keys, during a fetch: {len(figures.latencies_ms)} presses matched inside "
        f"{len(windows)} fetches ({figures.excluded} outside)"
    )
    return figures


def describe(label: str, figures: KeyFigures) -> list[str]:
    """Lines for a human: the figures, the stage split, the fetches."""
    if figures.error:
        return [f"{label}: error: {figures.error}"]
    values = figures.latencies_ms
    load = f", load average {figures.load[0]:.2f} -> {figures.load[1]:.2f}" if figures.load else ""
    lines = [
        f"{label}: presses {figures.presses}, matched {len(values)}, "
        f"median {figures.median:.2f} ms, p99 {figures.p99:.2f} ms, max {max(values):.2f} ms"
        + (f" ({figures.unmoved} did not move the selection)" if figures.unmoved else "")
        + load
    ]
    for stage, stage_values in figures.stages_ms.items():
        if stage_values:
            lines.append(
                f"  {stage}: median {statistics.median(stage_values):.2f} ms, "
                f"p99 {percentile(stage_values, 99):.2f} ms"
            )
    for generation, pauses in sorted(figures.gc_pauses_ms.items()):
        lines.append(
            f"  {generation} collections during the presses: {len(pauses)}, "
            f"longest {max(pauses):.1f} ms"
        )
    if figures.tmux_round_trip_ms:
        lines.append(
            f"  tmux round trip: median {statistics.median(figures.tmux_round_trip_ms):.2f} ms, "
            f"p99 {percentile(figures.tmux_round_trip_ms, 99):.2f} ms"
        )
    for number, window in enumerate(figures.fetches, 1):
        took = f"{window.end - window.start:.1f} s" if window.end is not None else "unfinished"
        kind = "first fetch" if number == 1 else "re-fetch"
        inside = window.latencies_ms
        shown = (
            f"{len(inside)} presses, median {statistics.median(inside):.1f} ms, "
            f"p99 {percentile(inside, 99):.1f} ms"
            if inside
            else "no presses"
        )
        lines.append(f"  fetch {number} ({kind}, {took}): {shown}; {window.detail}")
    if figures.store_ms:
        lines.append(
            f"  writer batches: {len(figures.store_ms)}, median "
            f"{statistics.median(figures.store_ms):.0f} ms, longest {max(figures.store_ms):.0f} ms"
        )
    outside = figures.outside
    if outside is not None and outside.latencies_ms:
        lines.append(
            f"  presses between fetches (not counted): {len(outside.latencies_ms)}, median "
            f"{outside.median:.1f} ms, p99 {outside.p99:.1f} ms"
        )
    elif figures.excluded and outside is None:
        lines.append(f"  presses inside a fetch (not counted): {figures.excluded}")
    return lines


def main(argv: list[str] | None = None) -> int:
    from bench import data

    parser = argparse.ArgumentParser(prog="python -m bench.keys")
    parser.add_argument("--presses", type=int, default=240, help="per part (default 240)")
    parser.add_argument("--gap-ms", type=float, default=GAP_S * 1000)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--during-fetch", action="store_true", help="only the fetch part")
    which.add_argument("--all", action="store_true", help="idle, then during a fetch")
    args = parser.parse_args(argv)
    big = data.prepare(data.BIG_CLIPS)
    results: list[tuple[str, KeyFigures]] = []
    with tempfile.TemporaryDirectory(prefix="deskbench-keys-") as tmp:
        workdir = Path(tmp)
        env = desk_env(workdir)
        gap = args.gap_ms / 1000
        with TmuxServer(env) as server:
            if not args.during_fetch:
                figures = measure(server, big, workdir, env, presses=args.presses, gap=gap)
                results.append(("idle", figures))
            if args.during_fetch or args.all:
                figures = measure_during_fetch(
                    server, big, workdir, env, presses=args.presses, gap=gap
                )
                results.append(("during a fetch of 200 feeds", figures))
    for label, figures in results:
        print("\n".join(describe(label, figures)))
    return 1 if any(figures.error for _label, figures in results) else 0


if __name__ == "__main__":
    sys.exit(main())
