"""One desk assigning request 1, started twice at once by test_two_desks.py.

usage: request_assigner.py DB_PATH TAG ROUNDS BASE_VERSION SYNC_DIR

Each round both desks hold the request as an editor loaded it (the same base version), say
they are ready, wait for the go file and save their assignment. Exactly one of the two saves
may land; the other must get ConflictError. Prints one JSON line: the outcome of each round.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rounds import wait_for  # tests/core/procs/rounds.py (this script's folder)

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core import requests

PICKS = {"A": ("AB", "EF"), "B": ("CD", "GH")}  # never the initials the request already has


def main() -> None:
    path, tag, rounds, base, sync = sys.argv[1:6]
    sync_dir = Path(sync)
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    outcomes = []
    for round_no in range(int(rounds)):
        version = int(base) + round_no  # one save per round lands, so the base moves by one
        loaded = requests.get_request(db, 1)  # the editor opens the request ...
        assert loaded.version == version, (loaded.version, version)
        (sync_dir / f"ready-{round_no}-{tag}").touch()
        wait_for(sync_dir / f"go-{round_no}")  # ... and both press save together
        who = PICKS[tag][round_no % 2]
        try:
            saved = requests.update_request(db, 1, version, assignee=who)
            outcomes.append({"ok": True, "assignee": saved.assignee, "version": saved.version})
        except ConflictError as error:
            outcomes.append(
                {"ok": False, "conflict": True, "current_version": error.current_version}
            )
        (sync_dir / f"done-{round_no}-{tag}").touch()
    db.dispose()
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
