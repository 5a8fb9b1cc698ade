"""One desk adding or editing topics through the domain layer, started twice at once by
tests/core/test_topics.py.

usage: topic_writer.py DB_PATH TAG OPERATION COUNT BARRIER_FILE
Prints one JSON line: {"done": n, "conflicts": n, "duplicates": n, "interrupted": n}.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core import topics
from deskterm.core.errors import InputError

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def main() -> None:
    path, tag, operation, count, barrier = sys.argv[1:6]
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    done = conflicts = duplicates = interrupted = 0
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
            }
        )
    )


if __name__ == "__main__":
    main()
