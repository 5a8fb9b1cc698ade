"""Increment ``Outlet.reach`` of one row N times the way an editor saves.

Each increment loads the row in a read session (value and version), then saves with
``update_versioned(base_version=loaded)`` in a write transaction; on ConflictError it
reloads and tries again.

usage: increment_counter.py DB_PATH TAG OUTLET_ID N BARRIER_DIR [THINK_SECONDS]
THINK_SECONDS (default 0.001) passes between load and save, like an editor typing.
Prints one JSON line: {"tag", "increments", "attempts", "conflicts", "seconds"}.
"""

from __future__ import annotations

import json
import sys
import time

from barrier import wait_at_barrier

from db.engine import Actor, Database
from db.errors import ConflictError
from db.models import Outlet
from db.versioning import update_versioned


def main() -> None:
    db_path, tag = sys.argv[1], sys.argv[2]
    outlet_id, count, barrier_dir = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    think = float(sys.argv[6]) if len(sys.argv) > 6 else 0.001
    db = Database(db_path, actor=Actor(f"U{tag}", f"host-{tag}"))
    wait_at_barrier(barrier_dir, tag)
    attempts = conflicts = 0
    start = time.monotonic()
    for _ in range(count):
        while True:
            attempts += 1
            with db.read() as session:
                row = session.get(Outlet, outlet_id)
                assert row is not None
                loaded_version, loaded_reach = row.version, row.reach or 0
            time.sleep(think)
            try:
                with db.transaction() as session:
                    update_versioned(
                        session, Outlet, outlet_id, loaded_version, reach=loaded_reach + 1
                    )
            except ConflictError:
                conflicts += 1
                continue
            break
    seconds = time.monotonic() - start
    db.dispose()
    print(
        json.dumps(
            {
                "tag": tag,
                "increments": count,
                "attempts": attempts,
                "conflicts": conflicts,
                "seconds": seconds,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
