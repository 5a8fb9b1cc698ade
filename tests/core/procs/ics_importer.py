"""One desk working on the calendar, started twice at once by tests/core/test_ics.py.

usage: ics_importer.py DB_PATH TAG MODE COUNT BARRIER_FILE [ICS_FILE]

MODE ``import``: import ICS_FILE COUNT times. MODE ``edits``: COUNT "this" edits of dates of
series 1 (desk A the even weeks, desk B the odd ones), reloading on a conflict the way an
editor does. Prints one JSON line: {"done": n, "created": n, "updated": n, "unchanged": n,
"conflicts": n}.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core.calendar import get_event
from deskterm.core.calendar_edits import edit_occurrence
from deskterm.core.ics import import_ics


def main() -> None:
    path, tag, mode, count, barrier = sys.argv[1:6]
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    totals = {"done": 0, "created": 0, "updated": 0, "unchanged": 0, "conflicts": 0}
    for i in range(int(count)):
        if mode == "import":
            source = Path(sys.argv[6])
            result = import_ics(db, source.read_bytes(), source_name=source.name)
            totals["created"] += result.created
            totals["updated"] += result.updated
            totals["unchanged"] += result.unchanged
        elif mode == "edits":
            week = 2 * i + (0 if tag == "A" else 1)
            while True:
                series = get_event(db, 1)
                when = series.starts_at + timedelta(weeks=week)
                try:
                    edit_occurrence(db, 1, when, "this", series.version, notes=f"{tag}{i}")
                    break
                except ConflictError:
                    totals["conflicts"] += 1
        else:
            raise SystemExit(f"unknown mode {mode}")
        totals["done"] += 1
    db.dispose()
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
