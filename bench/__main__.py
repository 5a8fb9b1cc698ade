"""``make bench``: build (or reuse) the data, measure, print the figures table.

    .venv/bin/python -m bench [--quick] [--runs N] [--presses N] [--skip-startup] [--skip-keys]
                               [--skip-fetch-keys] [--skip-board] [--skip-search] [--skip-calendar]
                               [--skip-requests] [--skip-calendar-view] [--skip-feeds] [--strict]

Steps: ``bench.data`` builds/refreshes the 10,000- and 1,000,000-clip databases (cached in
``bench/.data/``); ``bench.startup`` measures first paint in tmux (bare Textual app, desk on
10k, desk on 1M; median of 5 runs after a warm-up round, plus one traced run per desk for
the breakdown); ``bench.keys`` measures j/k latency on the 1M desk (240 presses), idle and
(240 presses inside fetches) while a copy of it fetches 200 local feeds (``F``, again as
needed);
``bench.board`` times card moves (``step_task``) and the Board pane's redraw after a move on a
copy of the 10k database (20,000 tasks); ``bench.search`` times full-text search (newest
first and ranked, common and rare terms) on the 1M database; ``bench.requests`` times the
Requests pane (open, filter as you type, open a request) on 50,000 requests;
``bench.calendar_view`` times the Calendar's zoomed week grid (load, layout, draw) on the 10k
database (20,000 events, 500 weekly series). The table goes
to stdout and, with the method and the breakdowns, to ``bench/results.md``.
``--quick``: 3 runs, 120 presses, 100 board redraws. Exit status 0 (with ``--strict``: 1 if a
target is missed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import board, calendar_list, calendar_view, data, keys, search, startup
from bench import feeds as feeds_bench
from bench import requests as requests_bench
from bench.tmux import TmuxError, TmuxServer

RESULTS = Path(__file__).resolve().parent / "results.md"
FIRST_PAINT_RATIO = 1.5
SCALE_RATIO = 1.10
KEY_MEDIAN_MS = 12.0
KEY_P99_MS = 33.0
BUILD_TARGET_S = 120.0


@dataclass
class Row:
    metric: str
    figure: str
    target: str
    verdict: str  # "pass", "FAIL", "—"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "FAIL"
    return "pass" if ok else "FAIL"


def table(rows: list[Row]) -> str:
    lines = ["| metric | figure | target | pass/fail |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.metric} | {r.figure} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def startup_rows(figures: startup.Figures) -> list[Row]:
    rows: list[Row] = []
    for name, label in (
        ("bare", "bare Textual app (4 panes + Footer)"),
        ("desk10k", "desk, 10,000 clips"),
        ("desk1M", "desk, 1,000,000 clips"),
        ("floor1M", "floor: the desk's table widget x4 filled by stdlib sqlite3, 1,000,000 clips"),
        ("imports", "the bare app after the desk's start-up imports (no database read)"),
    ):
        med = figures.median(name)
        values = figures.ok(name)
        spread = (
            f" (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})"
            if values
            else ""
        )
        errors = figures.errors(name)
        note = f"; {len(errors)} failed: {errors[0].splitlines()[0]}" if errors else ""
        rows.append(
            Row(
                f"first paint: {label}",
                ms(med) + spread + note,
                "—",
                "—" if figures.complete(name) else "FAIL",
            )
        )
    bare, small, big = (
        figures.median(n) if figures.complete(n) else None for n in ("bare", "desk10k", "desk1M")
    )

    def ratio_row(metric: str, num: float | None, den: float | None, target: float) -> Row:
        if num is None or den is None:
            return Row(metric, "n/a (a run failed)", f"≤ {target:.2f}x", "FAIL")
        value = num / den
        return Row(metric, f"{value:.2f}x", f"≤ {target:.2f}x", verdict(value <= target))

    rows.append(ratio_row("first paint ratio desk10k / bare", small, bare, FIRST_PAINT_RATIO))
    rows.append(ratio_row("first paint ratio desk1M / bare", big, bare, FIRST_PAINT_RATIO))
    rows.append(ratio_row("first paint ratio desk1M / desk10k", big, small, SCALE_RATIO))
    floor = figures.median("floor1M") if figures.complete("floor1M") else None
    if floor is not None and bare is not None:
        # not a target of its own: how much of the 1.5x any desk-like first paint leaves
        rows.append(Row("first paint ratio floor1M / bare", f"{floor / bare:.2f}x", "—", "—"))
    imported = figures.median("imports") if figures.complete("imports") else None
    if imported is not None and bare is not None:
        # not a target either: the part of the desk's first paint that is its imports
        rows.append(Row("first paint ratio imports / bare", f"{imported / bare:.2f}x", "—", "—"))
    return rows


def _latency_rows(figures: keys.KeyFigures, condition: str, note: str = "") -> list[Row]:
    metric = f"j/k latency, 1M, {condition}"
    if figures.error:
        first = figures.error.splitlines()[0]
        return [
            Row(f"{metric}: median", f"n/a ({first})", f"< {KEY_MEDIAN_MS:.0f} ms", "FAIL"),
            Row(f"{metric}: p99", "n/a", f"< {KEY_P99_MS:.0f} ms", "FAIL"),
        ]
    med, p99 = figures.median, figures.p99
    n = len(figures.latencies_ms)
    extra = f" (n={n}" + (f", {figures.unmatched} unmatched" if figures.unmatched else "")
    extra += note
    if figures.load is not None:
        extra += f"; load average {figures.load[0]:.2f}"
    extra += ")"
    return [
        Row(
            f"{metric}: median",
            f"{med:.1f} ms{extra}",
            f"< {KEY_MEDIAN_MS:.0f} ms",
            verdict(med is not None and med < KEY_MEDIAN_MS and n >= 100),
        ),
        Row(
            f"{metric}: p99",
            f"{p99:.1f} ms (max {max(figures.latencies_ms):.1f})",
            f"< {KEY_P99_MS:.0f} ms",
            verdict(p99 is not None and p99 < KEY_P99_MS and n >= 100),
        ),
    ]


def key_rows(figures: keys.KeyFigures) -> list[Row]:
    return _latency_rows(figures, "idle")


def fetch_key_rows(figures: keys.KeyFigures) -> list[Row]:
    fetches = len(figures.fetches)
    note = f" inside {fetches} fetch{'es' if fetches != 1 else ''}: the first, then re-fetches"
    return _latency_rows(figures, "during a fetch of 200 feeds", note if fetches else "")


def details(
    startup_figures: startup.Figures | None,
    breakdowns: list[startup.Breakdown],
    key_figures: keys.KeyFigures | None,
    builds: dict[int, str],
    imports: dict[str, startup.Imports],
    fetch_key_figures: keys.KeyFigures | None = None,
) -> str:
    out: list[str] = []
    out.append("## Data")
    for clips, text in builds.items():
        out.append(f"- {clips:,} clips: {text}")
    if imports:
        out.append("\n## Imports before the first frame (`python -X importtime`, best of 3)")
        for label, found in imports.items():
            if found.error:
                out.append(f"- {label}: failed ({found.error})")
                continue
            top = ", ".join(
                f"{name} {ms:.0f}" for name, ms in list(found.by_package_ms.items())[:6]
            )
            slow = ", ".join(f"{name} {ms:.0f}" for name, ms in found.slowest[:4])
            out.append(
                f"- {label}: {found.total_ms:.0f} ms; by package (ms): {top}; "
                f"slowest modules (self ms): {slow}"
            )
    if startup_figures is not None:
        out.append("\n## First paint runs (ms after launch.py's start stamp)")
        for name, runs in startup_figures.runs.items():
            values = ", ".join(f"{r.seconds * 1000:.0f}" for r in runs if r.seconds is not None)
            spawn = [r.spawn_to_stamp for r in runs if r.spawn_to_stamp is not None]
            extra = (
                f"; tmux spawn -> start stamp median {statistics.median(spawn) * 1000:.0f} ms"
                if spawn
                else ""
            )
            cpu = startup_figures.cpu_median(name)
            if cpu is not None:
                extra += f"; app CPU time at paint median {cpu * 1000:.0f} ms"
            out.append(f"- {name}: {values or 'none'}{extra}")
            for error in startup_figures.errors(name)[:1]:
                out.append("  ```\n  " + error.replace("\n", "\n  ") + "\n  ```")
    if startup_figures is not None:
        cpu = {n: startup_figures.cpu_median(n) for n in ("bare", "desk10k", "desk1M")}
        if all(cpu.values()):
            out.append(
                "- the same ratios in CPU time (less sensitive to other load on the machine): "
                f"desk10k / bare {cpu['desk10k'] / cpu['bare']:.2f}x, "
                f"desk1M / bare {cpu['desk1M'] / cpu['bare']:.2f}x, "
                f"desk1M / desk10k {cpu['desk1M'] / cpu['desk10k']:.2f}x"
            )
    for breakdown in breakdowns:
        out.append(f"\n## Where {breakdown.variant}'s first paint goes (one traced run)")
        if breakdown.error:
            out.append(f"- failed: {breakdown.error.splitlines()[0]}")
            continue
        out.append("| ms after start | event |\n| ---: | --- |")
        out.extend(f"| {at:.0f} | {label} |" for label, at in breakdown.events)
        if breakdown.paint is not None:
            out.append(f"| {breakdown.paint:.0f} | full paint seen in tmux |")
    if key_figures is not None and key_figures.latencies_ms:
        out.append("\n## Key latency stages (medians, ms)")
        for stage, values in key_figures.stages_ms.items():
            if values:
                out.append(f"- {stage}: {statistics.median(values):.2f}")
        slow = sum(1 for v in key_figures.latencies_ms if v >= KEY_P99_MS)
        out.append(
            f"- presses at or over {KEY_P99_MS:.0f} ms: {slow} of {len(key_figures.latencies_ms)}"
        )
        for generation, pauses in sorted(key_figures.gc_pauses_ms.items()):
            out.append(
                f"- {generation} garbage collections during the presses: {len(pauses)}, "
                f"longest {max(pauses):.1f} ms"
            )
        if key_figures.tmux_round_trip_ms:
            rt = key_figures.tmux_round_trip_ms
            out.append(
                f"- cross-check, tmux round trip (send-keys -> first %output): median "
                f"{statistics.median(rt):.2f}, p99 {keys.percentile(rt, 99):.2f}"
            )
    if fetch_key_figures is not None:
        out.append("\n## Key latency during a fetch of 200 feeds (bench/keys.py)")
        lines = keys.describe("presses inside a fetch", fetch_key_figures)
        out.extend(f"- {line.strip()}" for line in lines)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs, 120 key presses")
    parser.add_argument("--runs", type=int, help="first-paint runs per variant (default 5)")
    parser.add_argument("--presses", type=int, help="key presses (default 240)")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-keys", action="store_true")
    parser.add_argument("--skip-fetch-keys", action="store_true", help="no j/k during a fetch")
    parser.add_argument("--skip-board", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-calendar", action="store_true")
    parser.add_argument("--skip-requests", action="store_true")
    parser.add_argument("--skip-calendar-view", action="store_true")
    parser.add_argument("--skip-feeds", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    presses = args.presses or (120 if args.quick else 240)
    started = time.monotonic()
    load_start = os.getloadavg()

    rows: list[Row] = []
    builds: dict[int, str] = {}
    paths: dict[int, Path] = {}
    for clips in (data.SMALL_CLIPS, data.BIG_CLIPS):
        cached = data.db_path(clips).exists() and data.meta_path(clips).exists()
        t0 = time.monotonic()
        paths[clips] = data.prepare(clips, log=log)
        seconds = time.monotonic() - t0
        info = data.read_meta(data.meta_path(clips))
        built = float(info.get("built_in_s", seconds))
        builds[clips] = (
            f"{paths[clips].name}, {paths[clips].stat().st_size / 1e6:,.0f} MB, "
            f"built in {built:.0f} s" + (" (cached)" if cached else "")
        )
        if clips == data.BIG_CLIPS:
            rows.append(
                Row(
                    "build 1,000,000-clip database",
                    f"{built:.0f} s" + (" (cached)" if cached else ""),
                    f"< {BUILD_TARGET_S:.0f} s",
                    verdict(built < BUILD_TARGET_S),
                )
            )

    imports: dict[str, startup.Imports] = {}
    startup_figures: startup.Figures | None = None
    breakdowns: list[startup.Breakdown] = []
    key_figures: keys.KeyFigures | None = None
    fetch_key_figures: keys.KeyFigures | None = None
    with tempfile.TemporaryDirectory(prefix="deskbench-") as tmp:
        workdir = Path(tmp)
        env = startup.desk_env(workdir)
        try:
            with TmuxServer(env) as server:
                chosen = startup.variants(paths[data.SMALL_CLIPS], paths[data.BIG_CLIPS])
                if not args.skip_startup:
                    log("imports at start-up (python -X importtime)")
                    imports["bare app"] = startup.import_times(startup.BARE_IMPORTS, env)
                    imports["desk"] = startup.import_times(startup.DESK_IMPORTS, env)
                    log(f"first paint: {runs} runs per variant after a warm-up round")
                    startup_figures = startup.measure(
                        server, chosen, workdir, env, runs=runs, log=log
                    )
                    rows += startup_rows(startup_figures)
                    for variant in [v for v in chosen if v.program[0] == "desk"]:
                        breakdowns.append(startup.traced_breakdown(server, variant, workdir, env))
                if not args.skip_keys:
                    log(f"key latency: {presses} presses, {keys.GAP_S * 1000:.0f} ms apart")
                    key_figures = keys.measure(
                        server, paths[data.BIG_CLIPS], workdir, env, presses=presses, log=log
                    )
                    rows += key_rows(key_figures)
                if not args.skip_fetch_keys:
                    log(f"key latency during a fetch of 200 feeds: {presses} presses in fetches")
                    fetch_key_figures = keys.measure_during_fetch(
                        server, paths[data.BIG_CLIPS], workdir, env, presses=presses, log=log
                    )
                    rows += fetch_key_rows(fetch_key_figures)
        except TmuxError as error:
            rows.append(Row("tmux", f"n/a ({error})", "—", "FAIL"))
    board_figures: board.BoardFigures | None = None
    if not args.skip_board:
        board_figures = board.measure(paths[data.SMALL_CLIPS], quick=args.quick, log=log)
        rows += [Row(*row) for row in board.rows(board_figures)]
    search_figures: search.SearchFigures | None = None
    if not args.skip_search:
        search_figures = search.measure(paths[data.BIG_CLIPS], quick=args.quick, log=log)
        rows += [Row(*row) for row in search.rows(search_figures)]
    if not args.skip_calendar:
        log("calendar list: one month of a 20,000-event desk")
        rows += [Row(*row) for row in calendar_list.rows(calendar_list.measure(log=log))]
    requests_figures: requests_bench.RequestFigures | None = None
    if not args.skip_requests:
        requests_figures = requests_bench.measure(
            paths[data.SMALL_CLIPS], quick=args.quick, log=log
        )
        rows += [Row(*row) for row in requests_bench.rows(requests_figures)]
    view_figures: calendar_view.CalendarFigures | None = None
    if not args.skip_calendar_view:
        view_figures = calendar_view.measure(paths[data.SMALL_CLIPS], quick=args.quick, log=log)
        rows += [Row(*row) for row in calendar_view.rows(view_figures)]
    feed_figures: feeds_bench.FeedFigures | None = None
    if not args.skip_feeds:
        feed_figures = feeds_bench.measure(log=log)
        rows += [Row(*row) for row in feeds_bench.rows(feed_figures)]

    load = os.getloadavg()
    now = datetime.now(UTC)
    header = (
        f"# deskterm benchmark results\n\n"
        f"{now:%Y-%m-%d %H:%M} UTC · {platform.node()} · {os.cpu_count()} CPUs · "
        f"Python {platform.python_version()} · "
        f"{'quick: ' if args.quick else ''}{runs} first-paint runs, {presses} key presses · "
        f"took {time.monotonic() - started:.0f} s · 1-min load average {load_start[0]:.2f} at "
        f"the start, {load[0]:.2f} at the end (other work on the machine skews the figures)\n"
    )
    figures_table = table(rows)
    print(figures_table)
    method = (
        "## Method\n"
        "- First paint: see `bench/startup.py` (tmux 120x40, start stamp on launch.py's first "
        "line, all four pane titles show their loaded summary; median, runs interleaved after a "
        "warm-up round). The floor (`bench/floor_app.py`) is no desk: the desk's table widget "
        "in four panes, filled by one stdlib sqlite3 query each, no SQLAlchemy, no domain "
        "layer: what is left of 1.5x once any desk-like screen has painted its rows. "
        "`imports` is the bare app run after the desk's own start-up imports (no database "
        "read, no desk widget): what those imports alone cost.\n"
        "- Key latency: see `bench/keys.py` (in-process trace: key bytes read -> frame showing "
        "the moved selection flushed to the terminal; idle, and during a fetch of 200 local "
        "feeds x 50 items started with `F` on a copy of the 1M database, re-fetched until "
        "enough presses fell inside a fetch: only those count).\n"
        "- Board: see `bench/board.py` (a copy of the 10k database: `step_task` moves timed "
        "around the call; redraw = the zoomed Board pane under Textual's Pilot at 200x60, "
        "`reload()` -> first frame composed that shows the move).\n"
        "- Search: see `bench/search.py` (`search_clips` end to end on the 1M database, "
        "queries interleaved in rounds after a warm-up round).\n"
        "- Calendar: see `bench/calendar_list.py` (20,000 events, 500 weekly series; "
        "`occurrences()` and `calendar list` in-process for one month, median of 20).\n"
        "- Requests: see `bench/requests.py` (a copy of the 10k database: 50,000 requests, "
        "20,000 contacts; the zoomed Requests pane under Pilot at 200x60: open the pane, filter "
        "as you type, open a request; each to the first frame showing the result).\n"
        "- Calendar week view: see `bench/calendar_view.py` (the 10k database; the zoomed "
        "week grid under Pilot at 200x60: `reload()` -> first frame showing the new layout; "
        "`]` -> frame with the next week loaded ahead).\n"
        "- Feeds: see `bench/feeds.py` (200 feeds x 50 items from a local server process; "
        "`deskterm fetch` end to end against `newsboat -x reload`; ingest through `fetch_all` "
        "from local files).\n"
        "- Data: see `bench/data.py`.\n"
    )
    RESULTS.write_text(
        header
        + "\n"
        + figures_table
        + "\n\n"
        + method
        + "\n"
        + details(startup_figures, breakdowns, key_figures, builds, imports, fetch_key_figures)
        + "\n"
        + (f"\n{board.details(board_figures)}\n" if board_figures is not None else "")
        + (f"\n{search.details(search_figures)}\n" if search_figures is not None else "")
        + (
            f"\n{requests_bench.details(requests_figures)}\n"
            if requests_figures is not None
            else ""
        )
        + (f"\n{calendar_view.details(view_figures)}\n" if view_figures is not None else "")
        + (f"\n{feeds_bench.details(feed_figures)}\n" if feed_figures is not None else "")
    )
    log(f"wrote {RESULTS} in {time.monotonic() - started:.0f} s")
    missed = any(r.verdict == "FAIL" for r in rows)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
