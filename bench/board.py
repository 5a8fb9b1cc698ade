"""The team board at 20,000 tasks: moving a card, and the Board pane showing the change.

Method
------
Everything runs on a copy of the cached 10,000-clip database (``bench.data``; it holds the
20,000 tasks), made in a temporary directory so the cache stays pristine. The desk acts as
``AR`` (Alex Rivera, press secretary, ``can_approve``): ``Database(copy, actor=Actor("AR"))``.

Set-up, untimed, with direct SQL on the copy: the cards used are backlog cards whose owner is
neither ``AR`` nor ``JC`` (so ``AR`` may approve them without self-approval) and they get
``JC`` as reviewer (a card needs a reviewer to go into review).

- **Move**: ``deskterm.core.tasks.step_task`` on the copy, one card at a time through a round
  trip along the board: backlog -> drafting -> in review -> approved, then back the same way
  (6 moves per card, each card used once; ``base_version`` is the version the previous move
  returned). How far forward the rules let a card go is found first on a probe card
  (untimed); a card never goes to ``published`` (that needs checklist sign-offs and cannot be
  undone). Each move is its own write transaction on the file (``BEGIN IMMEDIATE``, rollback
  journal, ``synchronous=FULL``: fsyncs included). Timed with ``perf_counter`` around the
  call, after one untimed warm-up round trip. Median and p95 (linear interpolation).
- **Redraw**: the real desk (``make_app(settings, db, clock=fixed, live=False)``) headless
  under Textual's Pilot at 200x60, every pane loaded, the Board pane zoomed (``3``, ``z``).
  Then, repeatedly: a card moves through ``step_task`` (untimed; the same round trips on the
  four soonest backlog cards, which the board shows), the clock starts, ``pane.reload()`` is
  called, and the clock stops at the first frame the screen composes (``App._display``; plus
  the conversion to terminal output that headless mode skips) while what the pane shows
  differs from before the move: the rows of every ``DataTable`` inside the pane and every
  border title in it (column counts change on every move, so a move always changes what is
  shown). The clock is fixed, so countdowns cannot change what is shown. After each frame,
  untimed: ``Pilot.pause()`` (runs never overlap) and a check that the pane shows the
  destination column's new count. Stages come from hooks on the pane instance: ``load`` (the
  worker thread's board query and row building) and ``present`` (filling the widgets on the
  UI thread). 100 redraws (``--quick``) or 200, after one untimed round trip.
- **L/H** (informational): the whole user path on the zoomed board: ``L``/``H`` pressed with
  Pilot on the selected card (the pane runs ``step_task`` in a worker, notifies, reloads)
  until the first frame that shows the move; 10 (``--quick``) or 40 presses.
- **Scroll** (a 5,000-card column): after the parts above, untimed direct SQL moves archived
  cards into Drafting until it holds ``SCROLL_CARDS``. The desk is opened again (200x60,
  zoomed, ``l`` to Drafting) and each key is timed from the press to the first frame composed
  once the column shows what the key asked for: ``j`` (300 with ``--quick``, else 1,000
  presses, a press every ``SCROLL_GAP_S``; the cards met must be the column's own, in order,
  each once), ``pagedown`` (40), then ``G`` (the column's last card, its last window read
  backwards from the end) and ``g`` (the first), 10 each. A key pressed past the held rows
  waits for the page it asked for: that wait is in its time. Also recorded: the most rows
  the column held, and the page query alone (``tasks.column_window`` after the column's
  first undated card, most of the column before it, and the last window), and the ``/``
  filter's query over every column with the counts, for a word in one title (set on one
  card of the column), one in about 20 titles, and one in none.
- **Board query**: ``tasks.board(db, per_column=N)`` alone, with the ``N`` the compact pane
  uses (``COMPACT_CARDS``), and ``tasks.column_windows`` with the windows the zoomed pane
  read during the redraws (recorded by wrapping both).

``python -m bench.board [--quick]`` runs this part alone.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.keys import percentile

MOVE_MEDIAN_MS = 50.0
REDRAW_MEDIAN_MS = 50.0
ACTOR = "AR"  # press secretary, can_approve (bench.data's staff)
REVIEWER = "JC"
SIZE = (200, 60)
FRAME_TIMEOUT_S = 5.0
DEPTH_MAX = 3  # backlog -> drafting -> in_review -> approved; never published
SCROLL_CARDS = 5_000  # cards in the column scrolled through
SCROLL_GAP_S = 0.005  # between two timed presses (after the frame of the first)

Log = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Sample:
    """Timed values in ms, plus what could not be measured."""

    values: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p95(self) -> float | None:
        return percentile(self.values, 95)


@dataclass
class BoardFigures:
    moves: Sample = field(default_factory=Sample)
    moves_by_step: dict[str, list[float]] = field(default_factory=dict)
    move_depth: int = 0
    redraws: Sample = field(default_factory=Sample)
    stages: dict[str, list[float]] = field(default_factory=dict)
    keys: Sample = field(default_factory=Sample)  # L/H pressed -> frame showing the move
    queries: dict[str, Sample] = field(default_factory=dict)  # query alone, by what it reads
    per_column: int | None = None  # the most cards a column window of the zoomed pane read
    pane_queries: list[tuple[int | None, float]] = field(default_factory=list)  # (per_column, ms)
    shown_rows: int = 0
    verified: int = 0  # redraws whose frame showed the destination column's new count
    tables_in_pane: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    filesystem: str = ""
    seconds: float = 0.0
    error: str = ""  # the whole part could not run
    notes: list[str] = field(default_factory=list)
    scroll: dict[str, Sample] = field(default_factory=dict)  # key -> key to frame (ms)
    scroll_column: int = 0  # cards in the scrolled column
    scroll_held: int = 0  # the most rows the column held meanwhile
    scroll_checked: str = ""  # what the j run met, against the column's order


# --- set-up ---------------------------------------------------------------------------------


def _filesystem(path: Path) -> str:
    """The filesystem type holding ``path`` (fsync costs differ: ext4 vs tmpfs)."""
    best, kind = "", "?"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def _prepare_cards(path: Path, count: int) -> tuple[list[int], dict[str, int]]:
    """Pick backlog cards AR may approve; give them a reviewer (direct SQL, untimed)."""
    conn = sqlite3.connect(path)
    try:
        ids = dict(conn.execute("SELECT initials, id FROM staff"))
        if ACTOR not in ids or REVIEWER not in ids:
            raise RuntimeError(f"the bench database has no staff {ACTOR} and {REVIEWER}")
        conn.execute("UPDATE staff SET can_approve = 1, active = 1 WHERE id = ?", (ids[ACTOR],))
        # Cards the board shows first (soonest due) come first: the redraw moves those.
        rows = conn.execute(
            "SELECT id FROM tasks WHERE status = 'backlog' AND owner_id NOT IN (?, ?) "
            "ORDER BY due_at IS NULL, due_at, id LIMIT ?",
            (ids[ACTOR], ids[REVIEWER], count),
        ).fetchall()
        cards = [row[0] for row in rows]
        conn.executemany(
            "UPDATE tasks SET reviewer_id = ? WHERE id = ?", [(ids[REVIEWER], c) for c in cards]
        )
        counts = dict(conn.execute("SELECT status, count(*) FROM tasks GROUP BY status"))
        conn.commit()
    finally:
        conn.close()
    return cards, counts


class Mover:
    """Round trips of cards along the board through ``step_task``."""

    def __init__(self, db: Any, now: datetime) -> None:
        from deskterm.core import tasks

        self.tasks = tasks
        self.step_task = tasks.step_task
        self.db = db
        self.now = now
        self.versions: dict[int, int] = {}

    def version(self, card: int) -> int:
        if card not in self.versions:
            self.versions[card] = self.tasks.get_task(self.db, card).version
        return self.versions[card]

    def step(self, card: int, direction: int) -> Any:
        record = self.step_task(self.db, card, self.version(card), direction, now=self.now)
        self.versions[card] = record.version
        return record

    def probe_depth(self, card: int) -> tuple[int, str]:
        """How many steps forward the rules allow from backlog (brought back after)."""
        depth, why = 0, ""
        while depth < DEPTH_MAX:
            try:
                self.step(card, +1)
            except Exception as error:  # the rules said no: that is the depth
                why = f"{type(error).__name__}: {error}"
                break
            depth += 1
        for _ in range(depth):
            self.step(card, -1)
        return depth, why


def round_trip(depth: int) -> list[int]:
    return [+1] * depth + [-1] * depth


STEP_NAMES = ("backlog", "drafting", "in_review", "approved")


def _step_name(position: int, direction: int) -> str:
    return f"{STEP_NAMES[position]} -> {STEP_NAMES[position + direction]}"


# --- move -----------------------------------------------------------------------------------


def measure_moves(
    db: Any, cards: Sequence[int], now: datetime, n: int, figures: BoardFigures, log: Log
) -> None:
    mover = Mover(db, now)
    depth, why = mover.probe_depth(cards[0])
    figures.move_depth = depth
    if depth == 0:
        figures.moves.failures.append(f"no forward move allowed from backlog ({why})")
        return
    if depth < DEPTH_MAX:
        figures.notes.append(f"moves stop at {STEP_NAMES[depth]}: {why}")
    trip = round_trip(depth)
    for direction in trip:  # warm-up, untimed
        mover.step(cards[1], direction)
    needed = -(-n // len(trip))
    usable = list(cards[2 : 2 + needed])
    if len(usable) < needed:
        figures.notes.append(f"only {len(usable)} cards for {needed} round trips")
    clock = time.perf_counter
    for card in usable:
        position = 0
        for direction in trip:
            started = clock()
            try:
                mover.step(card, direction)
            except Exception as error:
                figures.moves.failures.append(f"card {card}: {type(error).__name__}: {error}")
                break
            took = (clock() - started) * 1000
            figures.moves.values.append(took)
            figures.moves_by_step.setdefault(_step_name(position, direction), []).append(took)
            position += direction
    med = figures.moves.median
    log(
        f"  moves: {len(figures.moves.values)}, median {med or 0:.1f} ms, "
        f"p95 {figures.moves.p95 or 0:.1f} ms"
    )


# --- redraw ---------------------------------------------------------------------------------


def _tables(pane: Any) -> list[Any]:
    """The widgets in the pane that show rows (the desk's tables and board columns, or a
    ``DataTable``)."""
    from textual.widgets import DataTable

    return [w for w in pane.query("*") if hasattr(w, "rows_shown") or isinstance(w, DataTable)]


def shown_state(pane: Any) -> tuple[Any, ...]:
    """What the pane shows: every table's rows and every border title inside it."""
    parts: list[Any] = []
    for table in _tables(pane):
        rows = getattr(table, "rows_shown", None)
        if rows is not None:
            parts.append(tuple(tuple(c.plain for c in row.cells) for row in rows))
        else:
            parts.append(
                tuple(tuple(map(str, table.get_row_at(i))) for i in range(table.row_count))
            )
    for widget in (pane, *pane.query("*")):
        for title in (widget.border_title, widget.border_subtitle):
            if title:
                parts.append(str(title))
    return tuple(parts)


def _status_counts(db: Any) -> dict[str, int]:
    from sqlalchemy import text

    with db.read() as session:
        found = session.execute(text("SELECT status, count(*) FROM tasks GROUP BY status"))
        return {status: int(count) for status, count in found}


def _shows_count(pane: Any, status: str, counts: dict[str, int]) -> bool:
    """Whether the pane shows ``IN REVIEW · 425``-style text with the column's new count."""
    wanted = f"{status.replace('_', ' ').upper()} · {counts[status]}"

    def flat(value: Any) -> Any:
        if isinstance(value, tuple):
            for item in value:
                yield from flat(item)
        else:
            yield str(value)

    return any(wanted in piece for piece in flat(shown_state(pane)))


def _shown_rows(pane: Any) -> tuple[int, int]:
    tables = [t for t in _tables(pane) if t.display and t.parent.display]
    return sum(len(getattr(t, "rows_shown", ())) or t.row_count for t in tables), len(tables)


class FrameWatch:
    """Stamps the first frame composed while the pane shows something new (see the docstring)."""

    def __init__(self, app: Any, pane: Any) -> None:
        self.app = app
        self.pane = pane
        self.marks: dict[str, float] = {}
        self.before: tuple[Any, ...] | None = None
        self.until: Callable[[], bool] | None = None
        self.done: asyncio.Event | None = None
        self._display = app._display
        self._load = pane.load
        self._present = getattr(pane, "present", None)

    def install(self) -> None:
        clock = time.perf_counter
        marks = self.marks

        def display(screen: Any, renderable: Any) -> None:
            self._display(screen, renderable)
            composed = clock()
            done = self.done
            if renderable is None or done is None or done.is_set():
                return
            if self.until is not None:
                if not self.until():
                    return
            elif shown_state(self.pane) == self.before:
                return
            checking = clock() - composed  # the harness's own check: not the desk's time
            if self.app.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(self.app.console)  # what a terminal would be sent
            marks["composed"] = composed
            marks["frame"] = clock() - checking
            done.set()

        def load(context: Any) -> Any:
            marks["load_start"] = clock()
            try:
                return self._load(context)
            finally:
                marks["load_end"] = clock()

        def present(rows: Any) -> Any:
            marks["present_start"] = clock()
            try:
                return self._present(rows)  # type: ignore[misc]
            finally:
                marks["present_end"] = clock()

        self.app._display = display
        self.pane.load = load
        if self._present is not None:
            self.pane.present = present

    def uninstall(self) -> None:
        self.app._display = self._display
        for name in ("load", "present"):
            self.pane.__dict__.pop(name, None)

    def arm(self, until: Callable[[], bool] | None = None) -> asyncio.Event:
        """Wait for the first frame that shows something new (or once ``until()`` holds)."""
        self.until = until
        self.before = None if until is not None else shown_state(self.pane)
        self.marks.clear()
        self.done = asyncio.Event()
        return self.done

    async def wait(self, started: float) -> float | None:
        """ms from ``started`` to the frame, or None after ``FRAME_TIMEOUT_S``."""
        assert self.done is not None
        try:
            await asyncio.wait_for(self.done.wait(), FRAME_TIMEOUT_S)
        except TimeoutError:
            return None
        finally:
            self.done = None
        return (self.marks["frame"] - started) * 1000


REDRAW_STAGES = (
    ("load_start", "worker starts load()"),
    ("load_end", "load() returns (board query + rows)"),
    ("present_start", "Loaded handled, present() starts"),
    ("present_end", "present() returns (widgets filled)"),
    ("composed", "frame composed (layout, widgets rendered)"),
    ("frame", "frame encoded for the terminal"),
)


async def _drive(
    app: Any,
    db: Any,
    cards: Sequence[int],
    now: datetime,
    n: int,
    keys_n: int,
    figures: BoardFigures,
    log: Log,
) -> None:
    from deskterm.widgets.pane import Pane

    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            await pilot.pause()
            panes = list(app.screen.query(Pane))
            if panes and all(p.loaded_once for p in panes):
                break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("the desk's panes did not load")
        await pilot.press("3", "z")
        await pilot.pause()
        pane = app.screen.query_one("#board")
        if app.screen.maximized is not pane:
            figures.notes.append("the Board pane did not zoom with 3, z")
        await asyncio.sleep(0.2)
        await pilot.pause()

        clock = time.perf_counter
        watch = FrameWatch(app, pane)
        watch.install()
        try:
            mover = Mover(db, now)
            depth, why = mover.probe_depth(cards[0])
            if depth == 0:
                figures.redraws.failures.append(f"no forward move allowed ({why})")
                return
            counts = _status_counts(db)
            trip = round_trip(depth)
            trips = -(-n // len(trip))
            plan = [(cards[i % len(cards)], d) for i in range(trips) for d in trip][:n]
            warmup = [(cards[0], d) for d in trip]
            for index, (card, direction) in enumerate([*warmup, *plan]):
                timed = index >= len(warmup)
                watch.arm()
                moved = mover.step(card, direction)
                started = clock()
                pane.reload()
                took = await watch.wait(started)
                await pilot.pause()  # follow-up work (idle handlers, more frames): never overlap
                idle = clock()
                source = STEP_NAMES[STEP_NAMES.index(moved.status.value) - direction]
                counts[source] = counts.get(source, 0) - 1
                counts[moved.status.value] = counts.get(moved.status.value, 0) + 1
                if timed and took is not None:
                    figures.verified += _shows_count(pane, moved.status.value, counts)
                if took is None:
                    if timed:
                        figures.redraws.failures.append(
                            f"no frame showing the move within {FRAME_TIMEOUT_S:g} s"
                        )
                elif timed:
                    figures.redraws.values.append(took)
                    points = [("reload()", started)]
                    points += [
                        (label, watch.marks[k]) for k, label in REDRAW_STAGES if k in watch.marks
                    ]
                    points.append(("desk idle again (Pilot.pause returns)", idle))
                    for (a_label, a), (b_label, b) in itertools.pairwise(points):
                        figures.stages.setdefault(f"{a_label} -> {b_label}", []).append(
                            (b - a) * 1000
                        )
            figures.shown_rows, figures.tables_in_pane = _shown_rows(pane)
            if figures.pane_queries:
                figures.per_column = max(q[0] or 0 for q in figures.pane_queries) or None
            log(
                f"  redraws: {len(figures.redraws.values)}, "
                f"median {figures.redraws.median or 0:.1f} ms, "
                f"p95 {figures.redraws.p95 or 0:.1f} ms"
            )

            # The whole user path: L / H on the selected card of the zoomed board (the pane
            # runs step_task in a worker, then reloads) until the frame shows the move.
            pane.focus_table()
            await pilot.pause()
            for index in range(keys_n + 2):
                key = "L" if index % 2 == 0 else "H"
                watch.arm()
                started = clock()
                await pilot.press(key)
                took = await watch.wait(started)
                if index >= 2:
                    if took is None:
                        figures.keys.failures.append(f"{key}: no frame showing the move")
                    else:
                        figures.keys.values.append(took)
                await pilot.pause()
            if figures.keys.values:
                log(
                    f"  L/H to frame: {len(figures.keys.values)}, "
                    f"median {figures.keys.median or 0:.1f} ms"
                )
        finally:
            watch.uninstall()


def measure_redraws(
    path: Path,
    workdir: Path,
    cards: Sequence[int],
    now: datetime,
    n: int,
    keys_n: int,
    figures: BoardFigures,
    log: Log,
) -> None:
    from db.engine import Actor, Database
    from deskterm.app import make_app
    from deskterm.core import tasks

    settings = _settings(path, workdir)
    db = Database(str(path), actor=Actor(ACTOR, "deskbench"))

    # Record what the pane reads (the most cards a column window holds) and how long its
    # queries take: the compact list's tasks.board, the full board's tasks.column_windows.
    originals = {"board": tasks.board, "column_windows": tasks.column_windows}

    def recorded(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                if name == "board":
                    per_column = kwargs.get("per_column")
                else:
                    wanted = args[1] if len(args) > 1 else kwargs["wanted"]
                    per_column = max(at.limit for at in wanted.values())
                figures.pane_queries.append((per_column, (time.perf_counter() - started) * 1000))

        return call

    for name in originals:
        setattr(tasks, name, recorded(name))
    try:
        app = make_app(settings, db, clock=lambda: now, live=False)
        asyncio.run(_drive(app, db, cards, now, n, keys_n, figures, log))
    finally:
        for name, original in originals.items():
            setattr(tasks, name, original)
        db.dispose()


def _settings(path: Path, workdir: Path) -> Any:
    from deskterm.core.config import load_settings

    config = workdir / "config.toml"
    config.write_text(f'user = "{ACTOR}"\ntheme = "textual-dark"\n')
    return load_settings(
        db=str(path), user=ACTOR, env={"DESKTERM_TZ": "America/New_York"}, config_path=config
    )


# --- scrolling a long column ----------------------------------------------------------------


def _fill_column(path: Path, status: str, count: int) -> int:
    """Archived cards moved into ``status`` until it holds ``count`` (direct SQL, untimed)."""
    conn = sqlite3.connect(path)
    try:
        have = conn.execute("SELECT count(*) FROM tasks WHERE status = ?", (status,)).fetchone()[0]
        conn.execute(
            "UPDATE tasks SET status = ? WHERE id IN (SELECT id FROM tasks "
            "WHERE status = 'archived' ORDER BY id LIMIT ?)",
            (status, max(count - have, 0)),
        )
        # one card with a word no other title has, for the filter's query (its folded
        # search text with it: this write goes around the desk's hooks)
        from db.search_text import derived_values

        title = "Statement: ferry terminal lease"
        card, kind = conn.execute(
            "SELECT id, kind FROM tasks WHERE status = ? ORDER BY id DESC LIMIT 1", (status,)
        ).fetchone()
        conn.execute(
            "UPDATE tasks SET title = ?, search_text = ? WHERE id = ?",
            (title, derived_values("tasks", {"title": title, "kind": kind})["search_text"], card),
        )
        conn.commit()
        return int(
            conn.execute("SELECT count(*) FROM tasks WHERE status = ?", (status,)).fetchone()[0]
        )
    finally:
        conn.close()


async def _scroll(app: Any, db: Any, presses: int, figures: BoardFigures, log: Log) -> None:
    from deskterm.core import tasks

    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            await pilot.pause()
            if all(p.loaded_once for p in app.screen.query("Pane")):
                break
            await asyncio.sleep(0.01)
        await pilot.press("3", "z")
        pane = app.screen.query_one("#board")
        for _ in range(300):
            await pilot.pause()
            if pane.wide and any(c.rows_shown for c in pane.column_tables()):
                break
            await asyncio.sleep(0.01)
        await pilot.press("l")  # to Drafting
        column = pane.column_tables()[1]
        await pilot.pause()
        if app.focused is not column:
            raise RuntimeError("the Drafting column did not take the focus")
        total = column.total
        watch = FrameWatch(app, pane)
        watch.install()
        clock = time.perf_counter
        held = 0
        try:

            async def timed(key: str, name: str, until: Callable[[], bool]) -> None:
                nonlocal held
                watch.arm(until)
                started = clock()
                await pilot.press(key)
                took = await watch.wait(started)
                sample = figures.scroll.setdefault(name, Sample())
                if took is None:
                    sample.failures.append(f"{key}: no frame within {FRAME_TIMEOUT_S:g} s")
                else:
                    sample.values.append(took)
                await pilot.pause()
                held = max(held, len(column.rows_shown))
                await asyncio.sleep(SCROLL_GAP_S)

            met = [column.selected().item.id]
            for _ in range(presses):
                wanted = column.position + 1
                await timed("j", "j", lambda w=wanted: column.position == w)
                met.append(column.selected().item.id)
            expected: list[int] = []
            after = None
            while len(expected) < len(met):  # the column's order, read by key a page at a time
                page = tasks.column_window(db, "drafting", tasks.WindowAt(limit=500, after=after))
                if not page.cards:
                    break
                expected += [card.id for card in page.cards]
                after = (page.cards[-1].due_at, page.cards[-1].id)
            expected = expected[: len(met)]
            differ = [i for i, (a, b) in enumerate(zip(met, expected, strict=False)) if a != b]
            figures.scroll_checked = (
                f"the {len(met)} cards met with j are the column's first {len(met)} in its order"
                if met == expected
                else f"the cards met with j differ from the column's order from card "
                f"{(differ or [min(len(met), len(expected))])[0] + 1}"
            )
            for _ in range(40):
                wanted = min(column.position + column.scrollable_content_region.height - 1, total)
                await timed("pagedown", "pagedown", lambda w=wanted: column.position == w)
            for _ in range(10):
                await timed("G", "G", lambda: column.position == total)
                await timed("g", "g", lambda: column.position == 1)
        finally:
            watch.uninstall()
        figures.scroll_held = held
        figures.scroll_column = total
        for name, sample in figures.scroll.items():
            log(f"  {name}: {len(sample.values)} presses, median {sample.median or 0:.1f} ms, "
                f"p95 {sample.p95 or 0:.1f} ms")  # fmt: skip


def measure_scroll(
    path: Path, workdir: Path, now: datetime, presses: int, figures: BoardFigures, log: Log
) -> None:
    """Keys through a column of ``SCROLL_CARDS`` on the zoomed board (see the docstring)."""
    from db.engine import Actor, Database
    from deskterm.app import make_app

    count = _fill_column(path, "drafting", SCROLL_CARDS)
    db = Database(str(path), actor=Actor(ACTOR, "deskbench"))
    try:
        app = make_app(_settings(path, workdir), db, clock=lambda: now, live=False)
        asyncio.run(_scroll(app, db, presses, figures, log))
    finally:
        db.dispose()
    if figures.scroll_column != count:
        figures.notes.append(f"the column said {figures.scroll_column} cards, the file {count}")


# --- queries alone --------------------------------------------------------------------------


def _time_query(
    label: str, call: Callable[[], Any], n: int, figures: BoardFigures, log: Log
) -> None:
    for _ in range(5):
        call()
    sample = figures.queries.setdefault(label, Sample())
    clock = time.perf_counter
    for _ in range(n):
        started = clock()
        call()
        sample.values.append((clock() - started) * 1000)
    log(f"  {label}: median {sample.median or 0:.1f} ms")


def measure_queries(
    db: Any, per_column: int | None, n: int, figures: BoardFigures, log: Log
) -> None:
    """The compact list's query, the zoomed pane's windows, and (once a column is long) a
    page, the last window and the filter."""
    from deskterm.core import tasks
    from deskterm.widgets import board_pane

    compact = board_pane.COMPACT_CARDS
    _time_query(f"board query alone (tasks.board, per_column={compact})",
                lambda: tasks.board(db, per_column=compact), n, figures, log)  # fmt: skip
    if per_column is not None:
        first = {status: tasks.WindowAt(limit=per_column) for status in tasks.BOARD_COLUMNS}
        _time_query(f"full board windows alone (tasks.column_windows, {per_column} a column)",
                    lambda: tasks.column_windows(db, first), n, figures, log)  # fmt: skip


def measure_scroll_queries(db: Any, n: int, figures: BoardFigures, log: Log) -> None:
    from deskterm.core import tasks
    from deskterm.widgets.card_column import PAGE

    deep = tasks.column_window(  # the first undated card: most of the column before it
        db, "drafting", tasks.WindowAt(limit=1, after=(None, 0))
    )
    place = (deep.cards[0].due_at, deep.cards[0].id) if deep.cards else (None, 0)
    after = tasks.WindowAt(limit=PAGE, after=place)
    last = tasks.WindowAt(limit=PAGE, last=True)
    _time_query(f"a page of {PAGE} after the {deep.offset + 1:,}th of {deep.count:,} cards "
                "(tasks.column_window)",
                lambda: tasks.column_window(db, "drafting", after), n, figures, log)  # fmt: skip
    _time_query(f"the last {PAGE} of {deep.count:,} cards (tasks.column_window, last)",
                lambda: tasks.column_window(db, "drafting", last), n, figures, log)  # fmt: skip
    every = {status: tasks.WindowAt(limit=PAGE) for status in tasks.BOARD_COLUMNS}
    for word in ("ferry", "shelter", "zzqx"):  # one card, one title in 20, none
        wanted = tasks.CardFilter(text=word)
        matches = sum(w.count for w in tasks.column_windows(db, every, card_filter=wanted).values())
        _time_query(f'"/{word}" over every column, {matches:,} found (tasks.column_windows)',
                    lambda f=wanted: tasks.column_windows(db, every, card_filter=f),
                    n, figures, log)  # fmt: skip


# --- all ------------------------------------------------------------------------------------


def step_task_ready() -> bool:
    from deskterm.core import tasks

    return callable(getattr(tasks, "step_task", None))


def measure(small_db: Path, *, quick: bool = False, log: Log = _stderr) -> BoardFigures:
    """Moves, redraws and the board query on a copy of ``small_db`` (never on the cache)."""
    from db.engine import Actor, Database

    started = time.monotonic()
    figures = BoardFigures()
    moves_n = 240
    redraws_n = 100 if quick else 200
    keys_n = 10 if quick else 40
    query_n = 100 if quick else 300
    scroll_n = 300 if quick else 1000
    if not step_task_ready():
        figures.error = "deskterm.core.tasks.step_task does not exist yet"
        return figures
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="deskbench-board-") as tmp:
        workdir = Path(tmp)
        copy = workdir / "board.sqlite3"
        shutil.copyfile(small_db, copy)
        figures.filesystem = _filesystem(copy.resolve())
        try:
            redraw_cards = 4  # the soonest backlog cards: the ones the board shows
            cards, figures.counts = _prepare_cards(copy, redraw_cards + 2 + moves_n // 2)
            if len(cards) < redraw_cards + 10:
                raise RuntimeError(f"only {len(cards)} backlog cards to move")
            db = Database(str(copy), actor=Actor(ACTOR, "deskbench"))
            try:
                log(f"board: {moves_n} card moves (step_task) on a copy of {small_db.name}")
                measure_moves(db, cards[redraw_cards:], now, moves_n, figures, log)
            finally:
                db.dispose()
            log(
                f"board: {redraws_n} redraws of the zoomed Board pane (Pilot, {SIZE[0]}x{SIZE[1]})"
                f", then {keys_n} L/H presses"
            )
            measure_redraws(
                copy, workdir, cards[:redraw_cards], now, redraws_n, keys_n, figures, log
            )
            db = Database(str(copy), actor=Actor(ACTOR, "deskbench"))
            try:
                measure_queries(db, figures.per_column, query_n, figures, log)
            finally:
                db.dispose()
            log(f"board: keys through a column of {SCROLL_CARDS:,} cards ({scroll_n} j)")
            measure_scroll(copy, workdir, now, scroll_n, figures, log)
            db = Database(str(copy), actor=Actor(ACTOR, "deskbench"))
            try:
                measure_scroll_queries(db, query_n, figures, log)
            finally:
                db.dispose()
        except Exception as error:  # a broken part is a FAIL row, not a crashed bench
            import traceback

            figures.error = f"{type(error).__name__}: {error}"
            figures.notes.append(traceback.format_exc())
    figures.seconds = time.monotonic() - started
    return figures


# --- report ---------------------------------------------------------------------------------

RowTuple = tuple[str, str, str, str]  # metric, figure, target, verdict


def _figure(sample: Sample) -> str:
    failed = f", {len(sample.failures)} failed" if sample.failures else ""
    return (
        f"{sample.median:.1f} ms (n={len(sample.values)}{failed}; "
        f"p95 {sample.p95:.1f}, max {max(sample.values):.1f})"
    )


def rows(figures: BoardFigures) -> list[RowTuple]:
    """Table rows: (metric, figure, target, pass/fail)."""
    out: list[RowTuple] = []
    for metric, sample, target, minimum in (
        ("card move (step_task), 20,000 tasks: median", figures.moves, MOVE_MEDIAN_MS, 200),
        (
            f"board redraw after a move (zoomed, {SIZE[0]}x{SIZE[1]}): median",
            figures.redraws,
            REDRAW_MEDIAN_MS,
            100,
        ),
    ):
        if not sample.values:
            why = figures.error or (sample.failures[0] if sample.failures else "no samples")
            out.append((metric, f"n/a ({why.splitlines()[0]})", f"< {target:.0f} ms", "FAIL"))
            continue
        ok = sample.median < target and len(sample.values) >= minimum and not sample.failures
        out.append((metric, _figure(sample), f"< {target:.0f} ms", "pass" if ok else "FAIL"))
    if figures.keys.values:
        out.append(
            (
                "board: L/H pressed -> frame showing the move (zoomed)",
                _figure(figures.keys),
                "—",
                "—",
            )
        )
    names = {"j": "j", "pagedown": "pagedown", "G": "G (the last card)", "g": "g (the first)"}
    for key, sample in figures.scroll.items():
        if sample.values:
            metric = (
                f"board: {names.get(key, key)} in a {figures.scroll_column:,}-card column, "
                "pressed -> frame showing it (zoomed)"
            )
            out.append((metric, _figure(sample), "—", "—"))
    for label, sample in figures.queries.items():
        if sample.values:
            out.append((label, _figure(sample), "—", "—"))
    return out


def details(figures: BoardFigures) -> str:
    out = ["## Board at 20,000 tasks: moves, redraws, scrolling (`bench/board.py`)"]
    if figures.error:
        out.append(f"- failed: {figures.error}")
    if figures.counts:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(figures.counts.items()))
        out.append(f"- tasks by status on the copy: {counts}")
    if figures.filesystem:
        out.append(f"- the copy is on {figures.filesystem} (each move fsyncs: synchronous=FULL)")
    if figures.moves.values:
        out.append(
            f"- moves, as {ACTOR}, round trips backlog -> {STEP_NAMES[figures.move_depth]}"
            " -> backlog; median (p95) ms:"
        )
        for name, values in figures.moves_by_step.items():
            out.append(
                f"  - {name}: {statistics.median(values):.1f} "
                f"({percentile(values, 95):.1f}), n={len(values)}"
            )
    for failure in figures.moves.failures[:3]:
        out.append(f"- move failed: {failure}")
    if figures.stages:
        out.append(
            f"- redraw stages, median (p95) ms; the pane ends up showing "
            f"{figures.shown_rows} rows in {figures.tables_in_pane} tables, "
            f"per_column={figures.per_column}:"
        )
        for stage, values in figures.stages.items():
            out.append(
                f"  - {stage}: {statistics.median(values):.1f} ({percentile(values, 95):.1f})"
            )
    if figures.redraws.values:
        out.append(
            f"- check: {figures.verified} of {len(figures.redraws.values)} redraw frames show "
            "the destination column's new count (e.g. `DRAFTING · 635`)"
        )
    for failure in (*figures.redraws.failures[:3], *figures.keys.failures[:3]):
        out.append(f"- redraw failed: {failure}")
    if figures.scroll:
        out.append(
            f"- scrolling: the column of {figures.scroll_column:,} cards held at most "
            f"{figures.scroll_held} rows; {figures.scroll_checked or 'the j run was not checked'}"
        )
    for sample in figures.scroll.values():
        for failure in sample.failures[:3]:
            out.append(f"- scroll key failed: {failure}")
    timed = [ms for per_column, ms in figures.pane_queries if per_column == figures.per_column]
    if timed:
        out.append(
            f"- the zoomed pane's windows as it read them (worker thread, UI busy, "
            f"{len(timed)} calls): median {statistics.median(timed):.1f} ms, "
            f"p95 {percentile(timed, 95):.1f}"
        )
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

    parser = argparse.ArgumentParser(prog="python -m bench.board")
    parser.add_argument("--quick", action="store_true", help="100 redraws instead of 200")
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
