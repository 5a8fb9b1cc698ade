"""`calendar list` for one month on a desk with 20,000 events (500 of them weekly series).

Method
------
Data: ``bench/.data/calendar-20000-schema<HEAD>-gen<GENERATOR>.sqlite3``, built once and
cached (keyed by schema head and ``GENERATOR``), like ``bench.data``: the schema through
``db.schema.upgrade``, then SQLAlchemy Core ``insert`` executemany on a private engine
(``bench.data._bulk_engine``/``_load``), then ``ANALYZE``. 20,000 events: 500 weekly series
(``FREQ=WEEKLY;BYDAY=..`` in America/New_York, begun 4-52 weeks before the anchor, a tenth
with an ``UNTIL``, a fifth with an EXDATE), 19,500 one-off events over [anchor - 400 days,
anchor + 200 days] (5% all-day), and 400 overrides (100 series: a date moved by an hour,
one cancelled, two retitled) around the anchor. The anchor is fixed in the file's meta
(the month measured is the anchor's month in New York), so the cache never needs moving.

Measured, on the file itself (reads only), each after one untimed warm-up, median and p95
of ``RUNS`` (20) runs, timed with ``perf_counter`` around the call:

- ``occurrences(db, month_start, month_end, limit=1000)``: the domain call (one window);
- ``all_occurrences(...)``: every occurrence of the month (pages of 1,000), what the
  command lists;
- ``main(["--db", FILE, "calendar", "list", "--from", D1, "--to", D2])`` in-process, its
  output captured in memory: parse, settings, open and schema check, the query, the
  overlap check and the table text.

``python -m bench.calendar_list`` runs this part alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import data

GENERATOR = 1
EVENTS = 20_000
SERIES = 500
OVERRIDDEN_SERIES = 100
RUNS = 20
TARGET_MS = 100.0
ANCHOR = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)
DESK_TZ = ZoneInfo("America/New_York")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
LEADERS = ("Mayor", "Deputy Mayor", "City Manager")

Log = Callable[[str], None]
RowTuple = tuple[str, str, str, str]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def db_path() -> Path:
    return data.DATA_DIR / f"calendar-{EVENTS}-schema{data.HEAD}-gen{GENERATOR}.sqlite3"


def meta_path() -> Path:
    return db_path().with_suffix(".json")


# --- data -----------------------------------------------------------------------------------


def _versioned(at: datetime) -> dict[str, Any]:
    return {"version": 1, "created_at": at, "updated_at": at}


def _event(i: int, **values: Any) -> dict[str, Any]:
    row = {
        "id": i,
        "uid": f"cal-bench-{i}@deskterm.example",
        "status": "confirmed",
        "ends_at": None,
        "timezone": "America/New_York",
        "all_day": False,
        "location": "",
        "leaders": "",
        "owner_id": None,
        "public": True,
        "notes": "",
        "rrule": None,
        "exdates": "",
        "rdates": "",
        "parent_id": None,
        "recurrence_id": None,
        "sequence": 0,
    }
    row.update(values)
    row.update(_versioned(row["starts_at"] - timedelta(days=30)))
    return row


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=DESK_TZ).astimezone(UTC)


def _series(rng: random.Random) -> list[dict[str, Any]]:
    from db.enums import EventKind

    out = []
    anchor_day = ANCHOR.astimezone(DESK_TZ).date()
    for i in range(1, SERIES + 1):
        weekday = i % len(WEEKDAYS)
        monday = anchor_day - timedelta(days=anchor_day.weekday())
        first = monday - timedelta(weeks=rng.randint(4, 52)) + timedelta(days=weekday)
        start = _local(first, rng.randint(7, 17), rng.choice((0, 15, 30, 45)))
        rule = f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}"
        if i % 10 == 0:  # a tenth end a few weeks after the anchor
            until = start + timedelta(weeks=rng.randint(10, 60))
            rule += f";UNTIL={until:%Y%m%dT%H%M%SZ}"
        exdates = ""
        if i % 5 == 0:
            skipped = start + timedelta(weeks=rng.randint(1, 8))
            exdates = skipped.isoformat()
        out.append(
            _event(
                i,
                title=f"Weekly slot {i}",
                kind=rng.choice((EventKind.RADIO, EventKind.TV, EventKind.INTERNAL_MEETING)).value,
                starts_at=start,
                ends_at=start + timedelta(minutes=rng.choice((30, 45, 60))),
                leaders=rng.choice(LEADERS),
                rrule=rule,
                exdates=exdates,
            )
        )
    return out


def _one_offs(rng: random.Random) -> Iterator[dict[str, Any]]:
    from db.enums import EventKind

    kinds = tuple(EventKind)
    for i in range(SERIES + 1, EVENTS + 1):
        day = (ANCHOR + timedelta(days=rng.uniform(-400, 200))).astimezone(DESK_TZ).date()
        all_day = rng.random() < 0.05
        start = _local(day, 0) if all_day else _local(day, rng.randint(7, 20), rng.choice((0, 30)))
        end = _local(day + timedelta(days=1), 0) if all_day else start + timedelta(hours=1)
        yield _event(
            i,
            title=f"{rng.choice(kinds).value.replace('_', ' ').title()} {i}",
            kind=rng.choice(kinds).value,
            starts_at=start,
            ends_at=end,
            all_day=all_day,
            leaders=",".join(rng.sample(LEADERS, rng.randint(0, 2))),
            public=rng.random() < 0.7,
        )


def _overrides(series: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Four changed dates around the anchor for each of the first OVERRIDDEN_SERIES series."""
    next_id = EVENTS + 1
    for row in series[:OVERRIDDEN_SERIES]:
        start: datetime = row["starts_at"]
        length = row["ends_at"] - start
        weeks = (ANCHOR - start).days // 7
        for k, change in enumerate(("moved", "cancelled", "retitled", "retitled")):
            original = start + timedelta(weeks=weeks - 1 + k)
            original = _local(original.astimezone(DESK_TZ).date(), *_hm(start))
            moved = original + timedelta(hours=1) if change == "moved" else original
            yield _event(
                next_id,
                uid=row["uid"],
                title=row["title"] + (" (changed)" if change == "retitled" else ""),
                kind=row["kind"],
                starts_at=moved,
                ends_at=moved + length,
                leaders=row["leaders"],
                status="cancelled" if change == "cancelled" else "confirmed",
                parent_id=row["id"],
                recurrence_id=original,
            )
            next_id += 1


def _hm(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(DESK_TZ)
    return local.hour, local.minute


def build(path: Path, *, log: Log = _stderr) -> Path:
    from db import models as m
    from db.engine import Database
    from db.schema import upgrade

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    for stale in (tmp, tmp.with_name(tmp.name + "-journal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    log(f"building {path.name} ({EVENTS:,} events) ...")
    database = Database(str(tmp))
    try:
        upgrade(database)
    finally:
        database.dispose()
    rng = random.Random(20261115)
    series = _series(rng)
    engine = data._bulk_engine(tmp)
    try:
        data._load(engine, m.Event.__table__, iter(series), log)
        data._load(engine, m.Event.__table__, _one_offs(rng), log)
        data._load(engine, m.Event.__table__, _overrides(series), log)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    os.replace(tmp, path)
    meta = {
        "events": EVENTS,
        "series": SERIES,
        "schema": data.HEAD,
        "generator": GENERATOR,
        "anchor": ANCHOR.isoformat(),
        "built_in_s": round(time.perf_counter() - started, 1),
    }
    meta_path().write_text(json.dumps(meta, indent=2))
    log(f"built {path} in {meta['built_in_s']}s ({path.stat().st_size / 1e6:,.1f} MB)")
    return path


def prepare(*, force: bool = False, log: Log = _stderr) -> Path:
    path = db_path()
    if force or not path.exists() or not meta_path().exists():
        build(path, log=log)
    return path


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Sample:
    values: list[float] = field(default_factory=list)  # ms

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p95(self) -> float | None:
        if len(self.values) < 2:
            return self.median
        return statistics.quantiles(self.values, n=20, method="inclusive")[-1]


@dataclass
class CalendarFigures:
    month: str = ""
    rows_listed: int = 0
    window_rows: int = 0
    domain: Sample = field(default_factory=Sample)
    whole_month: Sample = field(default_factory=Sample)
    cli: Sample = field(default_factory=Sample)
    error: str | None = None


def _timed(sample: Sample, runs: int, call: Callable[[], Any]) -> Any:
    result = call()  # warm-up, untimed
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        sample.values.append((time.perf_counter() - started) * 1000)
    return result


def measure(*, runs: int = RUNS, log: Log = _stderr) -> CalendarFigures:
    from db.engine import Actor, Database
    from deskterm.cli.main import main as cli_main
    from deskterm.core.calendar import all_occurrences, occurrences

    figures = CalendarFigures()
    try:
        path = prepare(log=log)
    except Exception as error:  # report, do not stop the other benchmarks
        figures.error = f"{type(error).__name__}: {error}"
        return figures
    anchor_local = ANCHOR.astimezone(DESK_TZ)
    first = anchor_local.date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    last = following - timedelta(days=1)
    start, end = _local(first, 0), _local(following, 0)
    figures.month = f"{first:%B %Y}"
    db = Database(str(path), actor=Actor("bench", "bench"))
    try:
        window = _timed(figures.domain, runs, lambda: occurrences(db, start, end, limit=1000))
        figures.window_rows = len(window)
        found, _ = _timed(figures.whole_month, runs, lambda: all_occurrences(db, start, end))
        figures.rows_listed = len(found)
    finally:
        db.dispose()
    argv = ["--db", str(path), "calendar", "list", "--from", f"{first}", "--to", f"{last}"]
    env = {"DESKTERM_TZ": "America/New_York", "DESKTERM_CONFIG": str(path.parent / "none.toml")}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)

    def run_cli() -> int:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = cli_main(argv)
        if code != 0:
            raise RuntimeError(f"calendar list exited {code}")
        return out.getvalue().count("\n") - 1

    try:
        lines = _timed(figures.cli, runs, run_cli)
    except Exception as error:
        figures.error = f"{type(error).__name__}: {error}"
    else:
        if lines != figures.rows_listed:
            figures.error = f"the command listed {lines} rows, the domain {figures.rows_listed}"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    log(
        f"  calendar {figures.month}: occurrences() median {figures.domain.median or 0:.1f} ms, "
        f"whole month median {figures.whole_month.median or 0:.1f} ms, "
        f"`calendar list` median {figures.cli.median or 0:.1f} ms ({figures.rows_listed} rows)"
    )
    return figures


def _figure(sample: Sample, extra: str) -> str:
    if sample.median is None:
        return "n/a"
    return (
        f"{sample.median:.1f} ms (n={len(sample.values)}; p95 {sample.p95:.1f}, "
        f"max {max(sample.values):.1f}; {extra})"
    )


def rows(figures: CalendarFigures) -> list[RowTuple]:
    """Table rows: (metric, figure, target, pass/fail)."""
    if figures.error and figures.cli.median is None:
        return [("calendar list, one month, 20,000 events", f"n/a ({figures.error})", "—", "FAIL")]
    cli_ok = figures.cli.median is not None and figures.cli.median < TARGET_MS and not figures.error
    note = f"; {figures.error}" if figures.error else ""
    return [
        (
            "calendar: occurrences() one month, 20,000 events (500 weekly)",
            _figure(figures.domain, f"{figures.window_rows} occurrences, limit 1000"),
            f"< {TARGET_MS:.0f} ms",
            "pass" if (figures.domain.median or TARGET_MS) < TARGET_MS else "FAIL",
        ),
        (
            "calendar: all_occurrences() the whole month",
            _figure(figures.whole_month, f"{figures.rows_listed} occurrences"),
            "—",
            "—",
        ),
        (
            "calendar list --from/--to one month (CLI in-process)",
            _figure(figures.cli, f"{figures.rows_listed} rows{note}"),
            f"< {TARGET_MS:.0f} ms",
            "pass" if cli_ok else "FAIL",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bench.calendar_list", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--force", action="store_true", help="rebuild the data")
    args = parser.parse_args(argv)
    if args.force:
        prepare(force=True)
    figures = measure(runs=args.runs)
    print("| metric | figure | target | pass/fail |\n| --- | --- | --- | --- |")
    for row in rows(figures):
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
