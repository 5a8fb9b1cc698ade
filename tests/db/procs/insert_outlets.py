"""Insert N outlets named ``{tag}-{i}``, one ``Database.transaction()`` per row.

usage: insert_outlets.py DB_PATH TAG N [BARRIER_DIR]
Prints one JSON line: {"tag", "pid", "inserted", "seconds", "max_wait", "busy_retries"}:
``max_wait`` is the longest single transaction in seconds, ``busy_retries`` how often
``Database.transaction()`` had to retry BEGIN IMMEDIATE after SQLite's busy_timeout ran out.
"""

from __future__ import annotations

import json
import os
import sys
import time

from barrier import wait_at_barrier
from sqlalchemy import event

from db.engine import Actor, Database
from db.enums import OutletType
from db.models import Outlet


def main() -> None:
    db_path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = Database(db_path, actor=Actor(f"U{tag}", f"host-{tag}"))
    begins = 0

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _many) -> None:
        nonlocal begins
        begins += statement == "BEGIN IMMEDIATE"

    if len(sys.argv) > 4:
        wait_at_barrier(sys.argv[4], tag)
    start = time.monotonic()
    max_wait = 0.0
    for i in range(count):
        began = time.monotonic()
        with db.transaction() as session:
            session.add(Outlet(name=f"{tag}-{i}", type=OutletType.PRINT, reach=i))
        max_wait = max(max_wait, time.monotonic() - began)
    seconds = time.monotonic() - start
    db.dispose()
    result = {
        "tag": tag,
        "pid": os.getpid(),
        "inserted": count,
        "seconds": round(seconds, 3),
        "max_wait": round(max_wait, 3),
        "busy_retries": begins - count,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
