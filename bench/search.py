"""Full-text search over 1,000,000 clips: newest first and ranked, rare and common terms.

Method
------
The cached 1,000,000-clip database of ``bench.data`` (built at the current schema, so it has
the ``clips_fts`` index of migration 0002, filled by the insert trigger during the bulk
load). Read only: nothing is written.

Each query goes through ``deskterm.core.search.search_clips`` as the desk's ``/`` and
``deskterm clips list --search`` call it (parse, outlet-name lookup, the FTS5 query with its
joins, 50 ``ClipRecord`` rows built), timed with ``perf_counter`` around the call; the SQL
alone (the same MATCH expression, ``SELECT rowid ... LIMIT 50``) is timed too, to show
what the database costs (for ranked: bm25 over the newest ``RANK_CANDIDATES`` matches in the
newest ``RANK_WINDOW`` clips, as ``search_clips`` does). Queries run interleaved in rounds
(every query once per round, in a shuffled order) after one untimed warm-up round; 20 rounds
(``--quick``: 8).

The generated headlines come from a small vocabulary, so every single word is common
(tens of thousands of clips each). "Rare" queries are therefore phrases and combinations
that few or no clips match, which are the hard case for a newest-first search that must
stop early: phrases of common words with about 180 and about 15 matches, two common words
that never occur together (zero matches: both posting lists are read to the end), and a word
that is in no clip. Prefix terms are reported apart: without a prefix index FTS5 merges the
whole posting lists of every word with the prefix before the first row. p95 by linear
interpolation.

``python -m bench.search [--quick]`` runs this part alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from db.engine import Database
from deskterm.core.search import RANK_CANDIDATES, RANK_WINDOW, fts_expression, search_clips
from deskterm.core.topic_query import parse_query

NEWEST_P95_MS = 10.0
RANKED_P95_MS = 150.0
LIMIT = 50

Log = Callable[[str], None]
RowTuple = tuple[str, str, str, str]

QUERIES: dict[str, tuple[str, ...]] = {
    "common": (
        "mayor",  # 55,000 clips
        "budget",
        "officials",  # every clip's summary
        "police OR fire",
        '"city council"',
        "gazette",  # an outlet's name
        "approves NOT budget",
    ),
    "rare": (
        '"mayor rejects stadium subsidy"',  # 181 clips
        '"police chief postpones pension reform"',  # 188
        '"mayor rejects stadium subsidy after resident complaints"',  # about 15
        "pension AND waterfront",  # never in one clip
        "zyzzyva",  # in no clip
    ),
    "prefix": (
        "bus*",  # bus, business: 150,000 clips
        "park*",  # 103,000
        "pens*",  # 50,000
    ),
}


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@dataclass
class Timing:
    values_ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.values_ms)

    @property
    def p95(self) -> float:
        return percentile(self.values_ms, 95)


@dataclass
class QueryFigures:
    query: str
    kind: str  # common / rare
    matches_shown: int = 0  # rows the newest-first search returned (at most LIMIT)
    newest: Timing = field(default_factory=Timing)
    ranked: Timing = field(default_factory=Timing)
    newest_sql: Timing = field(default_factory=Timing)
    ranked_sql: Timing = field(default_factory=Timing)


@dataclass
class SearchFigures:
    clips: int = 0
    rounds: int = 0
    queries: list[QueryFigures] = field(default_factory=list)
    error: str = ""

    def pooled(self, kind: str, attr: str) -> Timing:
        pooled = Timing()
        for q in self.queries:
            if q.kind == kind:
                pooled.values_ms.extend(getattr(q, attr).values_ms)
        return pooled


def _time_ms(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def measure(big_db: Path, *, quick: bool = False, log: Log = _stderr) -> SearchFigures:
    figures = SearchFigures(rounds=8 if quick else 20)
    db = Database(str(big_db))
    try:
        with db.engine.connect() as conn:
            figures.clips = int(conn.exec_driver_sql("SELECT max(id) FROM clips").scalar() or 0)
            conn.exec_driver_sql("SELECT count(*) FROM clips_fts_config").scalar()
            conn.rollback()
        figures.queries = [QueryFigures(q, kind) for kind, qs in QUERIES.items() for q in qs]
        expressions = {}
        with db.read() as session:
            for q in figures.queries:
                expressions[q.query] = fts_expression(session, parse_query(q.query))
        floor = figures.clips - RANK_WINDOW
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()

            def sql_newest(expr: str) -> list:
                return cursor.execute(
                    "SELECT rowid FROM clips_fts WHERE clips_fts MATCH ? ORDER BY rowid DESC "
                    "LIMIT ?",
                    (expr, LIMIT),
                ).fetchall()

            def sql_ranked(expr: str) -> list:
                return cursor.execute(
                    "SELECT clip_id FROM (SELECT rowid AS clip_id, rank AS score FROM clips_fts "
                    "WHERE clips_fts MATCH ? AND rowid > ? ORDER BY rowid DESC LIMIT ?) "
                    "ORDER BY score LIMIT ?",
                    (expr, floor, RANK_CANDIDATES, LIMIT),
                ).fetchall()

            rng = random.Random(7)
            log(
                f"search: {len(figures.queries)} queries x {figures.rounds} rounds on "
                f"{figures.clips:,} clips"
            )
            for round_number in range(figures.rounds + 1):
                order = list(figures.queries)
                rng.shuffle(order)
                for q in order:
                    expr = expressions[q.query]
                    newest_ms, found = _time_ms(lambda q=q: search_clips(db, q.query, limit=LIMIT))
                    ranked_ms, _ = _time_ms(
                        lambda q=q: search_clips(db, q.query, limit=LIMIT, ranked=True)
                    )
                    newest_sql_ms, _ = _time_ms(lambda expr=expr: sql_newest(expr))
                    ranked_sql_ms, _ = _time_ms(lambda expr=expr: sql_ranked(expr))
                    if round_number == 0:  # warm-up
                        q.matches_shown = len(found)  # type: ignore[arg-type]
                        continue
                    q.newest.values_ms.append(newest_ms)
                    q.ranked.values_ms.append(ranked_ms)
                    q.newest_sql.values_ms.append(newest_sql_ms)
                    q.ranked_sql.values_ms.append(ranked_sql_ms)
        finally:
            raw.close()
    except Exception as error:  # report, do not crash the whole benchmark run
        figures.error = f"{type(error).__name__}: {error}"
    finally:
        db.dispose()
    return figures


def rows(figures: SearchFigures) -> list[RowTuple]:
    """Table rows: (metric, figure, target, pass/fail)."""
    label = f"{figures.clips:,}" if figures.clips else "1,000,000"
    if figures.error or not figures.queries:
        why = (figures.error or "no samples").splitlines()[0]
        return [
            (f"search {label} clips, newest first: p95", f"n/a ({why})", "—", "FAIL"),
        ]
    out: list[RowTuple] = []
    for kind in QUERIES:
        for attr, title, target in (
            ("newest", "newest first", NEWEST_P95_MS),
            ("ranked", "ranked (bm25)", RANKED_P95_MS),
        ):
            pooled = figures.pooled(kind, attr)
            sql = figures.pooled(kind, f"{attr}_sql")
            n = len(pooled.values_ms)
            out.append(
                (
                    f"search {label} clips, {kind} terms, {title}: p95",
                    f"{pooled.p95:.1f} ms (median {pooled.p50:.1f}, "
                    f"max {max(pooled.values_ms):.1f}, n={n}; SQL alone p95 {sql.p95:.1f})",
                    f"< {target:.0f} ms",
                    "pass" if pooled.p95 < target else "FAIL",
                )
            )
    return out


def details(figures: SearchFigures) -> str:
    out = ["## Search (`bench/search.py`)"]
    if figures.error:
        out.append(f"- failed: {figures.error}")
        return "\n".join(out)
    out.append(
        f"{figures.clips:,} clips, {figures.rounds} rounds, limit {LIMIT}; milliseconds "
        "(search_clips end to end / SQL alone: one FTS5 statement with the plain expression, "
        "`fts_expression`, as a reference; newest-first search itself plans its statements, "
        "see deskterm/core/search.py)."
    )
    out.append(
        "| query | kind | rows | newest p50 | newest p95 | ranked p50 | ranked p95 | "
        "SQL newest p95 | SQL ranked p95 |"
    )
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for q in figures.queries:
        shown = q.query.replace("|", "\\|")
        out.append(
            f"| `{shown}` | {q.kind} | {q.matches_shown} | {q.newest.p50:.1f} | "
            f"{q.newest.p95:.1f} | {q.ranked.p50:.1f} | {q.ranked.p95:.1f} | "
            f"{q.newest_sql.p95:.1f} | {q.ranked_sql.p95:.1f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from bench import data

    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="8 rounds instead of 20")
    args = parser.parse_args(argv)
    path = data.prepare(data.BIG_CLIPS)
    figures = measure(path, quick=args.quick)
    for row in rows(figures):
        print(" | ".join(row))
    print()
    print(details(figures))
    return 1 if any(row[3] == "FAIL" for row in rows(figures)) else 0


if __name__ == "__main__":
    sys.exit(main())
