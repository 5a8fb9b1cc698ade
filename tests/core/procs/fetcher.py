"""One desk fetching every feed, started twice at once by test_fetch.py.

usage: fetcher.py DB_PATH TAG BARRIER_FILE
Prints one JSON line: {"new_clips": n, "fetched": n, "failed": n, "errors": [...]}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from db.engine import Actor, Database
from deskterm.core.fetch import FetchLimits
from deskterm.core.fetcher import fetch_all


def main() -> None:
    path, tag, barrier = sys.argv[1:4]
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    summary = fetch_all(db, due_only=False, limits=FetchLimits(timeout_s=20), concurrency=4)
    print(
        json.dumps(
            {
                "new_clips": summary.new_clips,
                "fetched": summary.fetched,
                "failed": summary.failed,
                "errors": [r.error for r in summary.feeds if r.error],
            }
        )
    )
    db.dispose()


if __name__ == "__main__":
    main()
