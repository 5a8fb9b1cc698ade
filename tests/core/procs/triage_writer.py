"""One desk triaging clips through the domain layer, started twice at once by test_triage.py.

usage: triage_writer.py DB_PATH TAG OPERATION COUNT BARRIER_FILE
Prints one JSON line: {"done": n, "conflicts": n, "outcome": "..."}.

Operations:
- flags: set flagged/hidden/read on clips 1-3 over and over (idempotent flags: never a
  conflict, every call lands).
- corrections: the editing loop of a desk on clip 1: load, write a new correction note and
  assignee, save with the loaded version; reload on conflict.
- assign_once: load clip 1, wait until the other desk has loaded it too, then assign it:
  exactly one of the two saves (the other gets ConflictError).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core import clips

STAFF = {"A": "AL", "B": "BO"}


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {path}")
        time.sleep(0.005)


def main() -> None:
    path, tag, operation, count, barrier_name = sys.argv[1:6]
    barrier = Path(barrier_name)
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    wait_for(barrier)
    done = conflicts = 0
    outcome = ""
    if operation == "flags":
        for i in range(int(count)):
            clips.set_flagged(db, 1 + i % 3, i % 2 == 0)
            clips.set_hidden(db, 1 + (i + 1) % 3, i % 3 == 0)
            clips.set_read(db, 1 + (i + 2) % 3, i % 2 == 1)
            done += 1
    elif operation == "corrections":
        for i in range(int(count)):
            while True:
                current = clips.get_clip(db, 1)
                try:
                    clips.mark_correction(db, 1, current.version, f"{tag}{i}")
                    break
                except ConflictError:
                    conflicts += 1
            while True:
                current = clips.get_clip(db, 1)
                who = STAFF[tag] if current.assignee != STAFF[tag] else None
                try:
                    clips.assign_clip(db, 1, current.version, who)
                    break
                except ConflictError:
                    conflicts += 1
            done += 1
    elif operation == "assign_once":
        loaded = clips.get_clip(db, 1)
        Path(f"{barrier}.{tag}.loaded").touch()
        wait_for(Path(f"{barrier}.{'B' if tag == 'A' else 'A'}.loaded"))
        try:
            clips.assign_clip(db, 1, loaded.version, STAFF[tag])
            outcome = "saved"
            done = 1
        except ConflictError:
            outcome = "conflict"
            conflicts = 1
    else:
        raise SystemExit(f"unknown operation {operation}")
    db.dispose()
    print(json.dumps({"done": done, "conflicts": conflicts, "outcome": outcome}))


if __name__ == "__main__":
    main()
