"""One desk editing card 1 in the card form, started twice at once by test_form_edit.py.

usage: card_editor.py DB_PATH TAG ROUNDS SYNC_DIR

Each round both desks open the card's editor (the same version), type into their own field
(A the title, B the due time), say they are ready, wait for the go file and save together.
One save lands; the other is refused with ConflictError and takes the conflict view's
"apply mine": its typed text on top of the version the other desk saved, a new versioned
write. The form's own write path runs (``card_edit``, ``form_edit.apply_mine``), only the
terminal is missing. Prints one JSON line: the outcome of each round.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rounds import wait_for  # tests/core/procs/rounds.py (this script's folder)

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core import tasks
from deskterm.core.form_edit import apply_mine
from deskterm.screens.task_form import card_edit

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TZ = ZoneInfo("America/New_York")


def typed_text(tag: str, round_no: int, texts: dict[str, str]) -> dict[str, str]:
    if tag == "A":
        return {**texts, "title": f"Statement, A's wording {round_no}"}
    return {**texts, "due": f"2026-12-{round_no + 1:02d} 16:00"}


def main() -> None:
    path, tag, rounds, sync = sys.argv[1:5]
    sync_dir = Path(sync)
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    outcomes = []
    for round_no in range(int(rounds)):
        for other in ("A", "B"):  # both saves of the last round have landed
            if round_no:
                wait_for(sync_dir / f"done-{round_no - 1}-{other}")
        edit = card_edit(db, tasks.get_task(db, 1), now=lambda: NOW, tz=TZ)  # the form opens
        base = edit.loaded
        typed = typed_text(tag, round_no, dict(base.texts))
        (sync_dir / f"ready-{round_no}-{tag}").touch()
        wait_for(sync_dir / f"go-{round_no}")  # both press ctrl+s together
        outcome: dict[str, object] = {"base": base.version}
        try:
            outcome["saved"] = edit.write(base, typed).version
            outcome["conflict"] = False
        except ConflictError:
            outcome["conflict"] = True
            (sync_dir / f"lost-{round_no}-{tag}").touch()
            theirs = edit.load()  # the conflict view shows their version ...
            outcome["theirs"] = theirs.version
            outcome["saved"] = apply_mine(edit, base, theirs, typed).version  # ... m
        (sync_dir / f"done-{round_no}-{tag}").touch()
        outcomes.append(outcome)
    db.dispose()
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
