"""The Requests pane at 50,000 requests and 20,000 contacts: open, filter as you type, open one.

Method
------
The data is the cached 10,000-clip database of ``bench.data`` (built once into
``bench/.data/`` and re-anchored to now): 50,000 requests (about 5% open, deadlines around
now) and 20,000 contacts, 15 outlets, 5 staff. Everything runs on a copy in a temporary
directory. The real desk (``make_app(settings, db, clock=fixed now, live=False)``) runs
headless under Textual's Pilot at 200x60 with the Requests pane focused and zoomed (``2``,
``z``). Each action is timed with ``perf_counter`` from its start to the first frame the
screen composes after the result is on screen (``App._display``, plus the conversion to
terminal output that headless mode skips); ``Pilot.pause()`` afterwards, untimed, so actions
never overlap. Medians (and p95) over the runs, after one untimed warm-up of each.

- **Open the pane**: the pane's table is emptied (untimed, one frame), then ``reload()``:
  the worker's SQL window (200 rows, most urgent first, with the "being edited" marks and
  the open count) and the rows built in the thread, ``present()`` on the UI thread, the
  frame. 40 runs.
- **Filter as you type**: ``/`` then a few letters of a surname (``garc``, ``nguy``,
  ``pate``, ...), one key at a time; for each key the clock runs from the moment the pane
  applies the filter (the 150 ms debounce timer fires ``_apply_filter``) to the first frame
  after the filtered rows are presented. ``escape`` between words. Also reported: key press
  to that frame, which includes the deliberate 150 ms debounce.
- **Open a request**: ``enter`` on a row (moving down the window) until the detail view
  shows the loaded fields (``DetailScreen._show`` done, then a frame); ``escape``, untimed.
  40 runs. Informational: ``e``, the full edit form with every field, until it is shown
  and focused.

``python -m bench.requests [--quick]`` runs this part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
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

TARGET_MS = 50.0
SIZE = (200, 60)
ACTOR = "AR"
FRAME_TIMEOUT_S = 5.0
WORDS = ("garc", "nguy", "pate", "lope", "tana", "silv", "walsh", "chen")

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
class RequestFigures:
    open_pane: Sample = field(default_factory=Sample)
    filter_key: Sample = field(default_factory=Sample)
    filter_key_with_debounce: Sample = field(default_factory=Sample)
    open_request: Sample = field(default_factory=Sample)
    edit_form: Sample = field(default_factory=Sample)
    query: Sample = field(default_factory=Sample)
    counts: dict[str, int] = field(default_factory=dict)
    shown_rows: int = 0
    seconds: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)


class Frames:
    """Stamps the first frame composed after ``ready()`` was called (see the docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._display = app._display
        self._ready = False
        self.frame_at: float | None = None
        self.done: asyncio.Event | None = None

    def install(self) -> None:
        clock = time.perf_counter

        def display(screen: Any, renderable: Any) -> None:
            self._display(screen, renderable)
            done = self.done
            if renderable is None or done is None or done.is_set() or not self._ready:
                return
            if self.app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(self.app.console)  # what a terminal would be sent
            self.frame_at = clock()
            done.set()

        self.app._display = display

    def uninstall(self) -> None:
        self.app._display = self._display

    def arm(self) -> None:
        self._ready = False
        self.frame_at = None
        self.done = asyncio.Event()

    def ready(self) -> None:
        self._ready = True

    async def wait(self, started: float) -> float | None:
        assert self.done is not None
        try:
            await asyncio.wait_for(self.done.wait(), FRAME_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            self.done = None
        assert self.frame_at is not None
        return (self.frame_at - started) * 1000


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        found = {
            "requests": conn.execute("SELECT count(*) FROM requests").fetchone()[0],
            "open requests": conn.execute(
                "SELECT count(*) FROM requests WHERE status IN "
                "('new','assigned','drafting','in_review','reopened')"
            ).fetchone()[0],
            "contacts": conn.execute("SELECT count(*) FROM contacts").fetchone()[0],
            "outlets": conn.execute("SELECT count(*) FROM outlets").fetchone()[0],
        }
    finally:
        conn.close()
    return found


async def _drive(app: Any, runs: int, figures: RequestFigures, log: Log) -> None:
    from deskterm.screens.detail import DetailScreen
    from deskterm.screens.request_form import RequestFormScreen

    clock = time.perf_counter
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            await pilot.pause()
            pane = app.screen.query("#requests")
            if pane and pane.first().loaded_once:
                break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("the Requests pane did not load")
        pane = app.screen.query_one("#requests")
        await pilot.press("2", "z")
        await asyncio.sleep(0.3)
        await pilot.pause()
        frames = Frames(app)
        frames.install()
        present = pane.present

        def presented(rows: Any) -> Any:
            try:
                return present(rows)
            finally:
                frames.ready()

        pane.present = presented
        try:
            # open the pane ------------------------------------------------------------
            log(f"requests: open the pane x{runs}")
            for index in range(runs + 1):
                pane.table.show([])
                await pilot.pause()
                frames.arm()
                started = clock()
                pane.reload()
                took = await frames.wait(started)
                await pilot.pause()
                if index == 0:
                    continue
                if took is None or not pane.table.rows_shown:
                    figures.open_pane.failures.append("no frame with rows")
                else:
                    figures.open_pane.values.append(took)
            figures.shown_rows = len(pane.table.rows_shown)

            # filter as you type -------------------------------------------------------
            log(f"requests: filter as you type, {len(WORDS)} words")
            applied: dict[str, float] = {}
            apply_filter = pane._apply_filter

            def timed_apply(text: str) -> None:
                applied["at"] = clock()
                apply_filter(text)

            pane._apply_filter = timed_apply
            for word_index, word in enumerate(WORDS):
                await pilot.press("slash")
                await pilot.pause()
                for key in word:
                    applied.clear()
                    frames.arm()
                    pressed = clock()
                    await pilot.press(key)
                    took = await frames.wait(pressed)
                    await pilot.pause()
                    if took is None or "at" not in applied:
                        figures.filter_key.failures.append(f"{word!r}: no filtered frame")
                        continue
                    if word_index == 0:
                        continue  # warm-up word
                    figures.filter_key_with_debounce.values.append(took)
                    figures.filter_key.values.append(took - (applied["at"] - pressed) * 1000)
                await pilot.press("escape")
                await asyncio.sleep(0.25)
                await pilot.pause()
            del pane._apply_filter

            # open a request -----------------------------------------------------------
            log(f"requests: open a request x{runs}")
            show = DetailScreen._show

            def shown(screen: Any, detail: Any) -> None:
                show(screen, detail)
                frames.ready()

            DetailScreen._show = shown  # type: ignore[method-assign]
            pane.focus_table()
            await pilot.pause()
            try:
                for index in range(runs + 1):
                    pane.table.move_cursor(row=index % max(1, len(pane.table.rows_shown)))
                    await pilot.pause()
                    frames.arm()
                    started = clock()
                    await pilot.press("enter")
                    took = await frames.wait(started)
                    await pilot.pause()
                    ok = isinstance(app.screen, DetailScreen)
                    if ok:
                        await pilot.press("escape")
                        await pilot.pause()
                    if index == 0:
                        continue
                    if took is None or not ok:
                        figures.open_request.failures.append("no detail frame")
                    else:
                        figures.open_request.values.append(took)
            finally:
                DetailScreen._show = show  # type: ignore[method-assign]

            # the edit form (informational) --------------------------------------------
            edit_runs = max(5, runs // 4)
            log(f"requests: open the edit form x{edit_runs}")
            mount = RequestFormScreen.on_mount

            def mounted(screen: Any) -> None:
                mount(screen)
                frames.ready()

            RequestFormScreen.on_mount = mounted  # type: ignore[method-assign]
            try:
                for index in range(edit_runs + 1):
                    pane.table.move_cursor(row=index)
                    await pilot.pause()
                    frames.arm()
                    started = clock()
                    await pilot.press("e")
                    took = await frames.wait(started)
                    await pilot.pause()
                    ok = isinstance(app.screen, RequestFormScreen)
                    if ok:
                        await pilot.press("escape")
                        await pilot.pause()
                    if index and took is not None and ok:
                        figures.edit_form.values.append(took)
            finally:
                RequestFormScreen.on_mount = mount  # type: ignore[method-assign]
        finally:
            frames.uninstall()
            pane.__dict__.pop("present", None)


def measure_query(db: Any, n: int, figures: RequestFigures) -> None:
    from deskterm.core.requests import list_open_requests

    for _ in range(3):
        list_open_requests(db, limit=200)
    for _ in range(n):
        started = time.perf_counter()
        list_open_requests(db, limit=200)
        figures.query.values.append((time.perf_counter() - started) * 1000)


def measure(small_db: Path, *, quick: bool = False, log: Log = _stderr) -> RequestFigures:
    """The three actions on a copy of ``small_db`` (never on the cache)."""
    from db.engine import Actor, Database
    from deskterm.app import make_app
    from deskterm.core.config import load_settings

    started = time.monotonic()
    figures = RequestFigures()
    runs = 15 if quick else 40
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="deskbench-requests-") as tmp:
        workdir = Path(tmp)
        copy = workdir / "requests.sqlite3"
        shutil.copyfile(small_db, copy)
        try:
            figures.counts = _counts(copy)
            config = workdir / "config.toml"
            config.write_text(f'user = "{ACTOR}"\ntheme = "textual-dark"\n')
            settings = load_settings(
                db=str(copy),
                user=ACTOR,
                env={"DESKTERM_TZ": "America/New_York"},
                config_path=config,
            )
            db = Database(str(copy), actor=Actor(ACTOR, "deskbench"))
            try:
                measure_query(db, 100, figures)
                app = make_app(settings, db, clock=lambda: now, live=False)
                asyncio.run(_drive(app, runs, figures, log))
            finally:
                db.dispose()
        except Exception as error:  # a broken part is a FAIL row, not a crashed bench
            import traceback

            figures.error = f"{type(error).__name__}: {error}"
            figures.notes.append(traceback.format_exc())
    figures.seconds = time.monotonic() - started
    return figures


# --- report ---------------------------------------------------------------------------------

RowTuple = tuple[str, str, str, str]


def _figure(sample: Sample) -> str:
    failed = f", {len(sample.failures)} failed" if sample.failures else ""
    return (
        f"{sample.median:.1f} ms (n={len(sample.values)}{failed}; "
        f"p95 {sample.p95:.1f}, max {max(sample.values):.1f})"
    )


def rows(figures: RequestFigures) -> list[RowTuple]:
    out: list[RowTuple] = []
    for metric, sample in (
        ("requests: open the pane (50k requests): median", figures.open_pane),
        ("requests: filter as you type, per key (after debounce): median", figures.filter_key),
        ("requests: open a request (enter -> detail shown): median", figures.open_request),
    ):
        if not sample.values:
            why = figures.error or (sample.failures[0] if sample.failures else "no samples")
            out.append((metric, f"n/a ({why.splitlines()[0]})", f"< {TARGET_MS:.0f} ms", "FAIL"))
            continue
        ok = sample.median is not None and sample.median < TARGET_MS and not sample.failures
        out.append((metric, _figure(sample), f"< {TARGET_MS:.0f} ms", "pass" if ok else "FAIL"))
    for metric, sample in (
        (
            "requests: filter key press -> frame (incl. 150 ms debounce)",
            figures.filter_key_with_debounce,
        ),
        ("requests: e -> full edit form shown", figures.edit_form),
        ("requests: list_open_requests alone (200 rows)", figures.query),
    ):
        if sample.values:
            out.append((metric, _figure(sample), "—", "—"))
    return out


def details(figures: RequestFigures) -> str:
    out = ["## Requests at 50,000 requests and 20,000 contacts (`bench/requests.py`)"]
    if figures.error:
        out.append(f"- failed: {figures.error}")
    if figures.counts:
        out.append("- on the copy: " + ", ".join(f"{v:,} {k}" for k, v in figures.counts.items()))
    if figures.shown_rows:
        out.append(f"- the pane shows a window of {figures.shown_rows} rows")
    for sample in (figures.open_pane, figures.filter_key, figures.open_request):
        for failure in sample.failures[:3]:
            out.append(f"- failed: {failure}")
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

    parser = argparse.ArgumentParser(prog="python -m bench.requests")
    parser.add_argument("--quick", action="store_true", help="15 runs per action instead of 40")
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
