"""One desk adding, editing or removing topics through the domain layer, started twice at
once by tests/core/test_topics.py.

usage: topic_writer.py DB_PATH TAG OPERATION COUNT BARRIER_FILE [OPENED_JSON]
Prints one JSON line: {"done": n, "conflicts": n, "duplicates": n, "interrupted": n, "gone": n}.

"remove" removes topics 1..COUNT one tag per transaction; "save-mid-removal" waits until
each of them has begun to lose its tags, then saves it. Both use the topics as the test
opened them before either desk started (OPENED_JSON: id -> [version, tags]), as editors
that opened them before the removal began.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from db.engine import Actor, Database
from db.errors import ConflictError, NotFoundError
from deskterm.core import topics
from deskterm.core.errors import InputError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class SlowDrive:
    """The database, with a pause before each write transaction, as over a slow network
    drive: a removal's batches leave room for the other desk's save between them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def read(self):
        return self._db.read()

    def transaction(self):
        time.sleep(0.01)
        return self._db.transaction()


def main() -> None:
    path, tag, operation, count, barrier = sys.argv[1:6]
    opened = json.loads(Path(sys.argv[6]).read_text()) if len(sys.argv) > 6 else {}
    loaded = {int(i): version for i, (version, _tags) in opened.items()}
    full = {int(i): tags for i, (_version, tags) in opened.items()}
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    topics.REMOVE_BATCH = 1  # a removal of many short transactions: a wide window
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    done = conflicts = duplicates = interrupted = gone = 0
    for i in range(int(count)):
        if operation == "add":
            topic = topics.add_topic(db, name=f"{tag} topic {i}", query=f"word{i} OR {tag.lower()}")
            interrupted += topics.rematch_topic(db, topic.id, now=NOW, batch=3).interrupted
            try:  # both desks try the same name: exactly one wins
                topics.add_topic(db, name=f"Shared {i}", query="budget")
            except InputError:
                duplicates += 1
        elif operation == "edit":
            while True:  # the editor's loop: load, change, save; reload on conflict
                current = topics.get_topic(db, 1)
                query = f"{current.query} OR {tag.lower()}{i}"
                try:
                    topics.update_topic(db, 1, current.version, query=query)
                    break
                except ConflictError:
                    conflicts += 1
            interrupted += topics.rematch_topic(db, 1, now=NOW, batch=3).interrupted
        elif operation == "remove":
            try:
                topics.remove_topic(SlowDrive(db), i + 1, loaded[i + 1])
            except ConflictError:
                conflicts += 1
        elif operation == "save-mid-removal":
            deadline = time.monotonic() + 10
            while topics.match_counts(db).get(i + 1, 0) == full[i + 1]:
                if time.monotonic() > deadline:
                    raise SystemExit(f"topic {i + 1} was never removed")
                time.sleep(0.001)
            try:
                topics.update_topic(db, i + 1, loaded[i + 1], priority=1)
            except ConflictError:
                conflicts += 1
            except NotFoundError:
                gone += 1
        else:
            raise SystemExit(f"unknown operation {operation}")
        done += 1
    db.dispose()
    print(
        json.dumps(
            {
                "done": done,
                "conflicts": conflicts,
                "duplicates": duplicates,
                "interrupted": interrupted,
                "gone": gone,
            }
        )
    )


if __name__ == "__main__":
    main()
