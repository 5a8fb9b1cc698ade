"""One desk writing through the domain layer, started twice at once by test_two_desks.py.

usage: desk_writer.py DB_PATH TAG OPERATION COUNT BARRIER_FILE
Prints one JSON line: {"done": n, "conflicts": n}.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.engine import Actor, Database
from db.errors import ConflictError
from deskterm.core import calendar, clips, contacts, feeds, requests, tasks

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def main() -> None:
    path, tag, operation, count, barrier = sys.argv[1:6]
    db = Database(path, actor=Actor(tag, f"host-{tag}"))
    while not Path(barrier).exists():  # start together
        time.sleep(0.005)
    done = conflicts = 0
    for i in range(int(count)):
        if operation == "requests":
            requests.create_request(
                db,
                kind="media",
                subject=f"{tag} inquiry {i}",
                requester=f"Reporter {tag}",
                deadline=NOW + timedelta(hours=2),
                now=NOW,
            )
        elif operation == "request_edits":
            while True:  # the editing loop of a desk: load, change, save; reload on conflict
                current = requests.get_request(db, 1)
                try:
                    requests.update_request(
                        db, 1, current.version, questions=current.questions + f"{tag}{i};"
                    )
                    break
                except ConflictError:
                    conflicts += 1
        elif operation == "search_edits":
            # the request's subject and its linked reporter's name, in accented words that
            # the other desk's searches must find as they are now (db.search_text)
            while True:
                current = requests.get_request(db, 1)
                try:
                    requests.update_request(
                        db, 1, current.version, subject=f"Straße {tag}{i} Ausschuss"
                    )
                    break
                except ConflictError:
                    conflicts += 1
            while True:
                reporter = contacts.get_contact(db, 1)
                try:
                    contacts.update_contact(db, 1, reporter.version, name=f"Élodie {tag}{i}")
                    break
                except ConflictError:
                    conflicts += 1
        elif operation == "notes":
            requests.add_note(db, 1, kind="internal", body=f"{tag} note {i}")
        elif operation == "tasks":
            tasks.create_task(db, title=f"{tag} card {i}", kind="statement")
        elif operation == "task_moves":
            while True:  # a desk dragging card 1 back and forth; reload on conflict
                card = tasks.get_task(db, 1)
                target = "drafting" if card.status == "backlog" else "backlog"
                try:
                    tasks.move_task(db, 1, card.version, target, now=NOW)
                    break
                except ConflictError:
                    conflicts += 1
        elif operation == "task_comments":
            tasks.add_comment(db, 1, f"{tag} comment {i}", now=NOW)
        elif operation == "checklist_items":  # added, then every other one ticked
            item = tasks.add_checklist_item(db, 1, f"{tag} item {i}", required=i % 2 == 0)
            if i % 2 == 0:
                tasks.set_checklist_done(db, item.id, item.version, True)
        elif operation == "events":
            calendar.create_event(
                db,
                title=f"{tag} event {i}",
                kind="interview",
                starts_at=NOW + timedelta(hours=i),
                timezone="America/New_York",
            )
        elif operation == "contacts":
            contacts.add_contact(db, name=f"{tag} reporter {i}", email=f"{tag}{i}@news.example")
        elif operation == "feeds":
            feeds.add_feed(db, url=f"https://{tag}.example/feed{i}.xml")
        elif operation == "clips":
            clips.add_clip(
                db,
                feed_id=1,
                guid=f"{tag}-{i}",
                title=f"{tag} story {i}",
                url=f"https://news.example/{tag}/{i}",
                published_at=NOW,
            )
        elif operation == "read_flags":
            clips.set_read(db, 1 + i % 5, read=(i % 2 == 0))
        else:
            raise SystemExit(f"unknown operation {operation}")
        done += 1
    db.dispose()
    print(json.dumps({"done": done, "conflicts": conflicts}))


if __name__ == "__main__":
    main()
