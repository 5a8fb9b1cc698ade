"""The calendar's week view at 20,000 events with 500 weekly recurrences.

Method
------
Data: the cached 10,000-clip desk of ``bench.data`` (built and re-anchored by
``data.prepare``; nothing here writes to it): 20,000 events, 500 of them weekly series
(``FREQ=WEEKLY;BYDAY=TU``, America/New_York) begun 4 to 52 weeks ago, the rest one-off
events over [now - 400 days, now + 200 days]; 50,000 requests (about 5% open, deadlines
around now) and 20,000 tasks give the markers. A week holds all 500 series' Tuesdays plus
about 230 one-off events.

- **Week view, cold** (the target): the real desk (``make_app(settings, db, clock=fixed,
  live=False)``) headless under Textual's Pilot at 200x60, every pane loaded, the Calendar
  zoomed on the week grid (``4``, ``z``), markers on. Then, repeatedly: the clock starts,
  ``pane.reload()`` is called (which also drops the periods loaded ahead, so nothing is
  reused), and the clock stops at the first frame the screen composes (``App._display``,
  plus the conversion to terminal output that headless mode skips) showing the new layout.
  That covers the worker's load (``all_occurrences`` reading the week and expanding the
  500 series, the overlaps, the markers, the layout), ``present()`` and ``render_line``
  for every visible line of the grid. Stages come from hooks on the pane (``load``,
  ``present``). Between rounds, untimed: ``Pilot.pause()``, a 0.4 s pause and the end of
  the pane's read-ahead of the neighbouring weeks (so that no other load competes with the
  one measured). 2 untimed rounds first, then 40 (``--quick``: 20).
- **]** (informational): the same, but ``]`` pressed to go a week further each time; the
  pane loads the neighbouring weeks ahead after showing one, so this is what a user
  stepping through weeks sees (a reload from the screen, no database read).
- **Load alone** (informational): ``calendar_pane.load_view`` for the current week in this
  process (what the worker does), 30 runs after 3 warm-ups.
- **Month** (informational): a cold redraw of the month overview (its 6 weeks hold about
  4,400 occurrences), 10 rounds (``--quick``: 6).

``python -m bench.calendar_view [--quick]`` runs this part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.keys import percentile

WEEK_MEDIAN_MS = 100.0
SIZE = (200, 60)
FRAME_TIMEOUT_S = 10.0
READ_PAUSE_S = 0.4  # between rounds: a reader's glance (the view loads ahead meanwhile)

Log = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Sample:
    values: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p95(self) -> float | None:
        return percentile(self.values, 95)


@dataclass
class CalendarFigures:
    week: Sample = field(default_factory=Sample)  # cold: reload() to frame
    week_keys: Sample = field(default_factory=Sample)  # ] to frame, neighbours loaded ahead
    month: Sample = field(default_factory=Sample)
    load_alone: Sample = field(default_factory=Sample)
    stages: dict[str, list[float]] = field(default_factory=dict)
    week_occurrences: int = 0
    week_series: int = 0
    week_markers: int = 0
    week_overlaps: int = 0
    month_occurrences: int = 0
    events: int = 0
    series: int = 0
    seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)


STAGES = (
    ("load_start", "worker starts load()"),
    ("load_end", "load() returns (occurrences, overlaps, markers, layout)"),
    ("present_start", "Loaded handled, present() starts"),
    ("present_end", "present() returns (grid filled)"),
    ("composed", "frame composed (grid lines rendered)"),
    ("frame", "frame encoded for the terminal"),
)


class FrameWatch:
    """Stamps the first frame composed while the pane's grid shows the period wanted."""

    def __init__(self, app: Any, pane: Any) -> None:
        self.app = app
        self.pane = pane
        self.marks: dict[str, float] = {}
        self.wanted: Any = None
        self.before: Any = None
        self.done: asyncio.Event | None = None
        self._display = app._display

    def _grid(self) -> Any:
        from deskterm.core.calendar_views import View

        return self.pane.month_grid if self.wanted.view is View.MONTH else self.pane.week_grid

    def _shows(self) -> bool:
        """A new layout (not the one shown when armed) of the period wanted."""
        shown = self._grid().layout_shown
        return shown is not None and shown is not self.before and shown.period == self.wanted

    def install(self) -> None:
        clock = time.perf_counter
        marks = self.marks
        pane = self.pane
        load, present = pane.load, pane.present

        def display(screen: Any, renderable: Any) -> None:
            self._display(screen, renderable)
            composed = clock()
            done = self.done
            if renderable is None or done is None or done.is_set() or not self._shows():
                return
            checking = clock() - composed  # the harness's own check: not the desk's time
            if self.app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(self.app.console)  # what a terminal would be sent
            marks["composed"] = composed
            marks["frame"] = clock() - checking
            done.set()

        def timed_load(context: Any) -> Any:
            marks["load_start"] = clock()
            try:
                return load(context)
            finally:
                marks["load_end"] = clock()

        def timed_present(rows: Any) -> Any:
            marks["present_start"] = clock()
            try:
                return present(rows)
            finally:
                marks["present_end"] = clock()

        self.app._display = display
        pane.load = timed_load
        pane.present = timed_present

    def uninstall(self) -> None:
        self.app._display = self._display
        for name in ("load", "present"):
            self.pane.__dict__.pop(name, None)

    def arm(self, wanted: Any) -> None:
        self.wanted = wanted
        self.before = self._grid().layout_shown
        self.marks.clear()
        self.done = asyncio.Event()

    async def wait(self, started: float) -> float | None:
        assert self.done is not None
        try:
            await asyncio.wait_for(self.done.wait(), FRAME_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            self.done = None
        return (self.marks["frame"] - started) * 1000


async def _until(pilot: Any, check: Callable[[], bool], what: str, tries: int = 1000) -> None:
    for _ in range(tries):
        await pilot.pause()
        if check():
            return
        await asyncio.sleep(0.01)
    raise RuntimeError(f"{what} did not happen")


def _reading_ahead(pane: Any) -> bool:
    from textual.worker import WorkerState

    return any(
        worker.group == "ahead" and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        for worker in pane.app.workers
        if worker.node is pane
    )


async def _steps(
    pilot: Any,
    pane: Any,
    watch: FrameWatch,
    n: int,
    sample: Sample,
    figures: CalendarFigures,
    *,
    cold: bool,
    label: str = "",
) -> None:
    """``cold``: ``pane.reload()`` on the period shown (nothing loaded ahead: the database
    read, the layout and the drawing); else ``]`` pressed, a week or month further each
    time, after a pause a reader would take (the view loads its neighbours meanwhile)."""
    from deskterm.core.calendar_views import step

    clock = time.perf_counter
    for index in range(n + 2):  # two untimed rounds first
        watch.arm(pane.period if cold else step(pane.period, 1))
        started = clock()
        if cold:
            pane.reload()
        else:
            await pilot.press("right_square_bracket")
        took = await watch.wait(started)
        await pilot.pause()  # follow-up work: rounds never overlap
        await asyncio.sleep(READ_PAUSE_S)
        await _until(pilot, lambda: not _reading_ahead(pane), "the read-ahead")
        if index < 2:
            continue
        if took is None:
            sample.failures.append("no frame showing the period")
            continue
        sample.values.append(took)
        if cold:
            points = [("reload()", started)]
            points += [(label, watch.marks[k]) for k, label in STAGES if k in watch.marks]
            for (a_label, a), (b_label, b) in itertools.pairwise(points):
                stage = f"{label}: {a_label} -> {b_label}"
                figures.stages.setdefault(stage, []).append((b - a) * 1000)


async def _drive(app: Any, figures: CalendarFigures, week_n: int, month_n: int, log: Log) -> None:
    from deskterm.core.calendar_views import View
    from deskterm.widgets.calendar_pane import CalendarPane
    from deskterm.widgets.pane import Pane

    async with app.run_test(size=SIZE) as pilot:
        await _until(
            pilot,
            lambda: (
                bool(list(app.screen.query(Pane)))
                and all(p.loaded_once for p in app.screen.query(Pane))
            ),
            "the first load of every pane",
        )
        await pilot.press("4", "z")
        pane = app.screen.query_one(CalendarPane)

        def week_shown() -> bool:
            shown = pane.week_grid.layout_shown
            return pane.view is View.WEEK and shown is not None and shown.period == pane.period

        await _until(pilot, week_shown, "the zoomed week grid")
        layout = pane.week_grid.layout_shown
        figures.week_occurrences = layout.count
        figures.week_overlaps = layout.overlaps
        figures.week_markers = layout.markers
        figures.week_series = sum(1 for o in pane._found if o.recurring)
        watch = FrameWatch(app, pane)
        watch.install()
        try:
            log(f"calendar: {week_n} cold redraws of the week grid ({SIZE[0]}x{SIZE[1]})")
            await _steps(pilot, pane, watch, week_n, figures.week, figures, cold=True, label="week")
            log(
                f"  week: median {figures.week.median or 0:.1f} ms, p95 {figures.week.p95 or 0:.1f}"
            )
            log(f"calendar: {week_n} presses of ] on the week grid")
            await _steps(pilot, pane, watch, week_n, figures.week_keys, figures, cold=False)
            log(f"  ]: median {figures.week_keys.median or 0:.1f} ms")
            await pilot.press("t")
            today = layout.today
            await _until(
                pilot,
                lambda: week_shown() and pane.period.contains(today),
                "the week of today again",
            )
            await pilot.press("v")

            def month_shown() -> bool:
                shown = pane.month_grid.layout_shown
                return pane.view is View.MONTH and shown is not None and shown.period == pane.period

            await _until(pilot, month_shown, "the month overview")
            figures.month_occurrences = pane.month_grid.layout_shown.count
            log(f"calendar: {month_n} cold redraws of the month overview")
            await _steps(
                pilot, pane, watch, month_n, figures.month, figures, cold=True, label="month"
            )
        finally:
            watch.uninstall()


def measure_load(db: Any, settings: Any, now: datetime, n: int, figures: CalendarFigures) -> None:
    from deskterm.core.calendar_views import Filter, View, lanes_for, period_for
    from deskterm.widgets.calendar_pane import Want, load_view

    tz = settings.tz()
    want = Want(
        period=period_for(View.WEEK, now.astimezone(tz).date()),
        chosen=Filter(),
        markers=True,
        lanes=lanes_for(settings.leaders),
        pane=False,
    )
    clock = time.perf_counter
    for index in range(n + 3):
        started = clock()
        load_view(db, want, now=now, tz=tz)
        if index >= 3:
            figures.load_alone.values.append((clock() - started) * 1000)


def _counts(db: Any) -> tuple[int, int]:
    from sqlalchemy import text

    with db.read() as session:
        events = session.execute(text("SELECT count(*) FROM events")).scalar_one()
        series = session.execute(
            text("SELECT count(*) FROM events WHERE rrule IS NOT NULL")
        ).scalar_one()
    return int(events), int(series)


def measure(small_db: Path, *, quick: bool = False, log: Log = _stderr) -> CalendarFigures:
    """The week view's key-to-frame time (and the month's, and the load alone)."""
    from db.engine import Actor, Database
    from deskterm.app import make_app
    from deskterm.core.config import load_settings

    started = time.monotonic()
    figures = CalendarFigures()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="deskbench-calendar-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text('user = "AR"\ntheme = "textual-dark"\n')
        settings = load_settings(
            db=str(small_db),
            user="AR",
            env={"DESKTERM_TZ": "America/New_York"},
            config_path=config,
        )
        db = Database(str(small_db), actor=Actor("AR", "deskbench"))
        try:
            figures.events, figures.series = _counts(db)
            log(f"calendar: load_view alone, {10 if quick else 30} runs")
            measure_load(db, settings, now, 10 if quick else 30, figures)
            app = make_app(settings, db, clock=lambda: now, live=False)
            asyncio.run(_drive(app, figures, 20 if quick else 40, 6 if quick else 10, log))
        except Exception as error:  # a broken part is a FAIL row, not a crashed bench
            import traceback

            figures.error = f"{type(error).__name__}: {error}"
            figures.notes.append(traceback.format_exc())
        finally:
            db.dispose()
    figures.seconds = time.monotonic() - started
    return figures


RowTuple = tuple[str, str, str, str]


def _figure(sample: Sample) -> str:
    failed = f", {len(sample.failures)} failed" if sample.failures else ""
    return (
        f"{sample.median:.1f} ms (n={len(sample.values)}{failed}; "
        f"p95 {sample.p95:.1f}, max {max(sample.values):.1f})"
    )


def rows(figures: CalendarFigures) -> list[RowTuple]:
    metric = (
        f"calendar week view, {figures.events or 20_000:,} events / "
        f"{figures.series or 500} weekly series: load + layout + draw ({SIZE[0]}x{SIZE[1]}): "
        "median"
    )
    sample = figures.week
    if not sample.values:
        why = figures.error or (sample.failures[0] if sample.failures else "no samples")
        return [(metric, f"n/a ({why.splitlines()[0]})", f"< {WEEK_MEDIAN_MS:.0f} ms", "FAIL")]
    ok = sample.median < WEEK_MEDIAN_MS and len(sample.values) >= 20 and not sample.failures
    out = [(metric, _figure(sample), f"< {WEEK_MEDIAN_MS:.0f} ms", "pass" if ok else "FAIL")]
    for label, extra in (
        ("calendar week: ] to frame (next week loaded ahead)", figures.week_keys),
        ("calendar week: load_view alone (the worker's part)", figures.load_alone),
        ("calendar month overview: load + layout + draw", figures.month),
    ):
        if extra.values:
            out.append((label, _figure(extra), "—", "—"))
    return out


def details(figures: CalendarFigures) -> str:
    out = ["## Calendar week view (`bench/calendar_view.py`)"]
    if figures.error:
        out.append(f"- failed: {figures.error}")
    out.append(
        f"- data: {figures.events:,} events, {figures.series} of them series; the measured weeks "
        f"show {figures.week_occurrences} occurrences ({figures.week_series} from series), "
        f"{figures.week_overlaps} flagged as overlapping, {figures.week_markers} markers; "
        f"a month shows {figures.month_occurrences}"
    )
    if figures.stages:
        out.append("- stages of a cold redraw (week, then month), median (p95) ms:")
        for stage, values in figures.stages.items():
            out.append(
                f"  - {stage}: {statistics.median(values):.1f} ({percentile(values, 95):.1f})"
            )
    for failure in (
        *figures.week.failures[:3],
        *figures.week_keys.failures[:3],
        *figures.month.failures[:3],
    ):
        out.append(f"- failed press: {failure}")
    for note in figures.notes:
        first, *rest = note.rstrip().splitlines()
        out.append(f"- note: {first}")
        if rest:
            out.append("  ```\n  " + "\n  ".join(rest) + "\n  ```")
    if figures.seconds:
        out.append(f"- this part took {figures.seconds:.0f} s")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from bench import data

    parser = argparse.ArgumentParser(prog="python -m bench.calendar_view")
    parser.add_argument("--quick", action="store_true", help="20 week presses instead of 40")
    args = parser.parse_args(argv)
    small = data.prepare(data.SMALL_CLIPS)
    figures = measure(small, quick=args.quick)
    print("| metric | figure | target | pass/fail |\n| --- | --- | --- | --- |")
    for row in rows(figures):
        print("| " + " | ".join(row) + " |")
    print()
    print(details(figures))
    return 0 if not figures.error else 1


if __name__ == "__main__":
    os.environ.setdefault("DESKTERM_TZ", "America/New_York")
    sys.exit(main())
