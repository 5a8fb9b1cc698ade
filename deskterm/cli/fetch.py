"""`deskterm fetch`: fetch the feeds now.

Every enabled feed (``--due``: only those whose poll interval or backoff has run out, for
a cron job), at most ``--concurrency`` at once. A progress bar goes to stderr when it is
a terminal (nothing otherwise); the run ends with one summary line on stdout (or the
summary as JSON with --json). Failing feeds are listed on stderr, one line each; they do
not change the exit status (see `deskterm feeds health`).
"""

from __future__ import annotations

import argparse
import shutil
from typing import TextIO

from deskterm.cli.context import CliContext, clean_cell
from deskterm.core.errors import InputError

#: What `deskterm.entry` imports before the run: the fetch pipeline, no SQLAlchemy.
PRELOAD = ("deskterm.core.fetcher",)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("fetch", parents=[common], help="fetch the feeds now")
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="feeds fetched at once (default 8)",
    )
    p.add_argument("--due", action="store_true", help="only the feeds due by their interval")
    p.add_argument(
        "--feed", dest="feed_ids", type=int, action="append", metavar="ID", help="only this feed"
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per feed (default 30)"
    )
    p.set_defaults(handler=cmd_fetch)


class ProgressBar:
    """``[#####.....] 12/200 Feed name`` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int, name: str) -> None:
        width = shutil.get_terminal_size((80, 24)).columns
        cells = 20
        filled = cells * done // max(total, 1)
        head = f"[{'#' * filled}{'.' * (cells - filled)}] {done}/{total} "
        room = max(0, width - len(head) - 1)
        label = clean_cell(name)
        if len(label) > room:
            label = label[: max(0, room - 1)] + "…" if room else ""
        self.stream.write("\r" + (head + label).ljust(width - 1))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            width = shutil.get_terminal_size((80, 24)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.flush()


def cmd_fetch(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.fetch import FetchLimits
    from deskterm.core.fetcher import MAX_CONCURRENCY, close_pools, fetch_all
    from deskterm.core.ingest import load_plans

    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise InputError(f"--concurrency must be 1 to {MAX_CONCURRENCY}", field="concurrency")
    if not 1 <= args.timeout <= 600:
        raise InputError("--timeout must be 1 to 600 seconds", field="timeout")
    db = ctx.desk_file()  # sqlite3 alone: the fetch path imports no SQLAlchemy
    if args.feed_ids:
        found = {plan.id for plan in load_plans(db, feed_ids=args.feed_ids)}
        for feed_id in args.feed_ids:
            if feed_id not in found:
                raise InputError(f"no feed {feed_id} (see deskterm feeds list)", field="feed")
    bar = ProgressBar(ctx.stderr) if ctx.stderr.isatty() else None
    try:
        summary = fetch_all(
            db,
            concurrency=args.concurrency,
            progress=bar,
            feed_ids=args.feed_ids,
            due_only=args.due,
            limits=FetchLimits(timeout_s=args.timeout, connect_timeout_s=min(10, args.timeout)),
        )
    finally:
        if bar is not None:
            bar.close()
        close_pools()  # the run is over: the command exits without waiting on them

    def human() -> None:
        for feed in summary.feeds:
            if feed.status == "error":
                ctx.info(f"failed: {clean_cell(feed.name)}: {clean_cell(feed.error)}")
        ctx.out(summary.line())

    ctx.emit(summary, human)
    return 0
