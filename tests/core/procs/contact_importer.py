"""One desk importing contact files, started twice at once by test_contact_import_two_desks.py.

usage: contact_importer.py DB_PATH TAG BARRIER_FILE FILE...
Imports each FILE in turn (one transaction each); prints one JSON line with the totals.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from db.engine import Actor, Database
from deskterm.core.contact_io import import_contacts, read_contacts_file


def main() -> None:
    path, tag, barrier, *files = sys.argv[1:]
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    totals = {"added": 0, "merged": 0, "updated": 0, "skipped": 0}
    for name in files:
        report = import_contacts(db, read_contacts_file(name))
        totals["added"] += report.added
        totals["merged"] += report.merged
        totals["updated"] += report.updated
        totals["skipped"] += len(report.skipped)
    db.dispose()
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
