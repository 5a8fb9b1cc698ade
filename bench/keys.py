"""Keystroke-to-screen latency: j/k selection moves in the News pane, 1M-clip desk, idle.

Method
------
The real desk runs in tmux at 120x40 (as in ``bench/startup.py``), started by
``bench/launch.py --trace FILE``, which instruments Textual in-process before the app
starts (``launch.install_trace``); every stamp is ``time.monotonic()`` (CLOCK_MONOTONIC,
shared by all processes):

- ``in``: ``XTermParser.feed`` receives the key's bytes, right after the driver's input
  thread ``os.read`` them from the terminal: the key press as the app first sees it;
- ``key``: ``App.on_event`` starts handling the Key on the main thread;
- ``act``: ``DataTable.action_cursor_down``/``_up`` ran: the selection moved;
- ``tick``: the screen's update timer fired (Textual paces frames at 60 fps);
- ``disp``: ``App._display`` queued a frame for the writer thread (its sequence number);
- ``flush``: Textual's writer thread wrote and flushed output to the terminal.

Latency of one press = ``in`` -> the ``flush`` that put on the terminal the first frame
queued after ``act`` (a frame rendered after the move necessarily shows it). The median
split into stages (input dispatch, key handling, frame pacing, render, write) is reported
too, and the trace's ``gc`` events (collections of 1 ms or more) are counted.

After the first full paint and 1.5 s of quiet, the harness presses ``j`` 100 times then ``k``
100 times (repeating to the requested count) with ``tmux send-keys``, one press every
``GAP_S`` (50 ms: each press meets an idle app; a key repeat is ~30 ms). Each press moves the
selection (the pane holds 300 rows), so every press has a visible effect. As a cross-check
the harness also records the tmux round trip: ``send-keys`` issued -> first ``%output``
from the pane (includes tmux's own forwarding both ways and the control client's pipe).

Latency during a fetch of 200 feeds is not measured yet: feed fetching lands with the news
issue; the table says so instead of showing a number.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.startup import Session, Variant, desk_env
from bench.tmux import TmuxError, TmuxServer

GAP_S = 0.05
BLOCK = 100  # presses in one direction before turning around
QUIET_S = 1.5
MATCH_WINDOW_S = 1.0  # an event more than this after the key belongs to something else


@dataclass
class KeyFigures:
    latencies_ms: list[float] = field(default_factory=list)
    stages_ms: dict[str, list[float]] = field(default_factory=dict)
    tmux_round_trip_ms: list[float] = field(default_factory=list)
    presses: int = 0
    unmatched: int = 0
    gc_pauses_ms: dict[str, list[float]] = field(default_factory=dict)  # during the presses
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


def read_trace(path: Path) -> list[Event]:
    events = []
    for line in path.read_text().splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 2:
            continue
        try:
            events.append(Event(parts[0], float(parts[1]), parts[2] if len(parts) > 2 else ""))
        except ValueError:
            continue
    return events


def analyse(events: Sequence[Event], keys: Sequence[str] = ("j", "k")) -> KeyFigures:
    """Match each key's arrival to the flush that showed its effect (see module docstring)."""
    figures = KeyFigures()
    wanted = {repr(k) for k in keys}
    by_kind: dict[str, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    times = {kind: [e.at for e in evs] for kind, evs in by_kind.items()}

    def next_event(kind: str, after: float) -> Event | None:
        stamps = times.get(kind, [])
        index = bisect.bisect_left(stamps, after)
        return by_kind[kind][index] if index < len(stamps) else None

    arrivals = [e for e in by_kind.get("in", []) if e.detail in wanted]
    stages = {
        "input -> key event": [],
        "key event -> selection moved": [],
        "selection moved -> frame timer fires (60 fps pacing)": [],
        "frame timer -> frame rendered and queued": [],
        "frame queued -> on the terminal": [],
    }
    for index, arrival in enumerate(arrivals):
        figures.presses += 1
        limit = arrival.at + MATCH_WINDOW_S
        if index + 1 < len(arrivals):
            limit = min(limit, arrivals[index + 1].at)
        key = next_event("key", arrival.at)
        act = next_event("act", arrival.at)
        if act is None or act.at > limit:
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
        if flush is None or flush.at - arrival.at > MATCH_WINDOW_S:
            figures.unmatched += 1
            continue
        figures.latencies_ms.append((flush.at - arrival.at) * 1000)
        if key is not None and key.at <= act.at:
            stages["input -> key event"].append((key.at - arrival.at) * 1000)
            stages["key event -> selection moved"].append((act.at - key.at) * 1000)
        tick = next_event("tick", act.at)
        if tick is not None and tick.at <= disp.at:
            stages["selection moved -> frame timer fires (60 fps pacing)"].append(
                (tick.at - act.at) * 1000
            )
            stages["frame timer -> frame rendered and queued"].append((disp.at - tick.at) * 1000)
        stages["frame queued -> on the terminal"].append((flush.at - disp.at) * 1000)
    figures.stages_ms = stages
    if arrivals:
        first, last = arrivals[0].at, arrivals[-1].at + MATCH_WINDOW_S
        for event in by_kind.get("gc", []):
            if first <= event.at <= last:
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


def measure(
    server: TmuxServer,
    big_db: Path,
    workdir: Path,
    env: Mapping[str, str],
    *,
    presses: int = 240,
    gap: float = GAP_S,
    log=lambda text: print(text, file=sys.stderr, flush=True),  # type: ignore[no-untyped-def]
) -> KeyFigures:
    trace = workdir / "keys.trace"
    trace.unlink(missing_ok=True)
    session = Session(
        server, Variant("keys1M", ["desk", "--db", str(big_db)]), workdir, env, trace=trace
    )
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
    figures = analyse(read_trace(trace))
    for index, sent in enumerate(sends):
        end = sends[index + 1] if index + 1 < len(sends) else sent + gap
        position = bisect.bisect_right(outputs, sent)
        if position < len(outputs) and outputs[position] < end:
            figures.tmux_round_trip_ms.append((outputs[position] - sent) * 1000)
    if figures.presses < len(sends):
        figures.unmatched += len(sends) - figures.presses
    if not figures.latencies_ms:
        figures.error = "no key press could be matched to a frame (see the trace)"
    log(f"  keys: {len(figures.latencies_ms)} of {len(sends)} presses matched")
    return figures


def main(argv: list[str] | None = None) -> int:
    from bench import data

    parser = argparse.ArgumentParser(prog="python -m bench.keys")
    parser.add_argument("--presses", type=int, default=240)
    parser.add_argument("--gap-ms", type=float, default=GAP_S * 1000)
    args = parser.parse_args(argv)
    big = data.prepare(data.BIG_CLIPS)
    with tempfile.TemporaryDirectory(prefix="deskbench-") as tmp:
        workdir = Path(tmp)
        env = desk_env(workdir)
        with TmuxServer(env) as server:
            figures = measure(
                server, big, workdir, env, presses=args.presses, gap=args.gap_ms / 1000
            )
    if figures.error:
        print("error:", figures.error)
        return 1
    print(
        f"presses {figures.presses}, matched {len(figures.latencies_ms)}, "
        f"median {figures.median:.2f} ms, p99 {figures.p99:.2f} ms, "
        f"max {max(figures.latencies_ms):.2f} ms"
    )
    for stage, values in figures.stages_ms.items():
        if values:
            print(f"  {stage}: median {statistics.median(values):.2f} ms")
    for generation, pauses in sorted(figures.gc_pauses_ms.items()):
        print(
            f"  {generation} collections during the presses: {len(pauses)}, "
            f"longest {max(pauses):.1f} ms"
        )
    if figures.tmux_round_trip_ms:
        print(
            f"  tmux round trip: median {statistics.median(figures.tmux_round_trip_ms):.2f} ms, "
            f"p99 {percentile(figures.tmux_round_trip_ms, 99):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
