"""Every domain write path, run by two desks (two real processes) on one file at once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import (
    AuditLog,
    ChecklistItem,
    Clip,
    Contact,
    Event,
    Feed,
    Request,
    RequestNote,
    Task,
    TaskComment,
)
from db.schema import check
from deskterm.core import clips, feeds, requests, tasks
from tests.core.procs.rounds import run_rounds

WRITER = Path(__file__).parent / "procs" / "desk_writer.py"
ROOT = Path(__file__).resolve().parents[2]
PER_DESK = 40


def run_two_desks(db_path: Path, operation: str, tmp_path: Path) -> list[dict]:
    barrier = tmp_path / f"go-{operation}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(db_path), tag, operation, str(PER_DESK), barrier],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    barrier.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def shared_request(db, requester: str = "Someone") -> requests.RequestRecord:
    """The one request both desks work on."""
    return requests.create_request(
        db,
        kind="media",
        subject="Shared",
        requester=requester,
        now=datetime(2026, 11, 24, 15, tzinfo=UTC),
    )


def seed_feed_and_clips(db) -> None:
    feed = feeds.add_feed(db, url="https://news.example/rss")
    for i in range(5):
        clips.add_clip(
            db,
            feed_id=feed.id,
            guid=f"seed-{i}",
            title=f"Seed {i}",
            url=None,
            published_at=datetime(2026, 11, 24, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    ("operation", "model", "expected"),
    [
        ("requests", Request, 2 * PER_DESK),
        ("tasks", Task, 2 * PER_DESK),
        ("events", Event, 2 * PER_DESK),
        ("contacts", Contact, 2 * PER_DESK),
        ("feeds", Feed, 2 * PER_DESK),
        ("clips", Clip, 2 * PER_DESK + 5),
    ],
)
def test_two_desks_creating_at_once_lose_nothing(db, db_path, tmp_path, operation, model, expected):
    if operation == "clips":
        seed_feed_and_clips(db)
    results = run_two_desks(db_path, operation, tmp_path)
    assert [r["done"] for r in results] == [PER_DESK, PER_DESK]
    assert count(db, model) == expected
    with db.read() as session:
        audited = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == model.__tablename__, AuditLog.action == "insert")
        )
    assert audited == expected
    assert check(db).ok


def test_tracking_numbers_stay_unique_across_desks(db, db_path, tmp_path):
    run_two_desks(db_path, "requests", tmp_path)
    with db.read() as session:
        numbers = session.scalars(select(Request.number)).all()
    assert len(numbers) == len(set(numbers)) == 2 * PER_DESK
    assert sorted(numbers)[-1] == f"M-2026-{2 * PER_DESK:04d}"


def test_two_desks_editing_one_request_never_lose_an_edit(db, db_path, tmp_path):
    shared_request(db)
    results = run_two_desks(db_path, "request_edits", tmp_path)
    final = requests.get_request(db, 1)
    edits = [part for part in final.questions.split(";") if part]
    assert len(edits) == 2 * PER_DESK  # every edit is there: conflicts were reloaded, not lost
    assert {e[0] for e in edits} == {"A", "B"}
    assert final.version == 1 + 2 * PER_DESK
    print("conflicts seen:", [r["conflicts"] for r in results])


def test_two_desks_editing_searched_fields_keep_the_search_text_in_step(db, db_path, tmp_path):
    """Both desks rename the request's subject and its reporter at once, in accented words:
    afterwards the last names written are what a search finds (any case, no accents), the
    first ones are not, and every row's folded text agrees with its fields."""
    from deskterm.core import contacts

    contacts.add_contact(db, name="Élodie Núñez")
    shared_request(db, requester="Élodie Núñez")
    run_two_desks(db_path, "search_edits", tmp_path)
    final = requests.get_request(db, 1)
    assert final.version == 1 + 2 * PER_DESK
    subject_word = final.subject.split()[1].upper()  # e.g. "B39"
    name_word = final.requester.split()[1].lower()
    found = requests.list_open_requests(db, text=f"STRASSE {subject_word} elodie {name_word}")
    assert [r.id for r in found] == [1]
    assert requests.list_open_requests(db, text="shared") == []  # the first subject
    assert [c.name for c in contacts.search_contacts(db, f"ELODIE {name_word}")] == [
        final.requester
    ]
    assert contacts.search_contacts(db, "nunez") == []  # the reporter's first name
    assert check(db).ok


def test_two_desks_adding_notes_and_flipping_read_flags(db, db_path, tmp_path):
    shared_request(db)
    run_two_desks(db_path, "notes", tmp_path)
    assert count(db, RequestNote) == 2 * PER_DESK
    seed_feed_and_clips(db)
    run_two_desks(db_path, "read_flags", tmp_path)
    assert check(db).ok


def test_two_desks_moving_and_commenting_on_one_card(db, db_path, tmp_path):
    tasks.create_task(db, title="Shared card")
    results = run_two_desks(db_path, "task_moves", tmp_path)
    final = tasks.get_task(db, 1)
    assert final.version == 1 + 2 * PER_DESK  # every move saved once, none lost or doubled
    with db.read() as session:
        moves = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "tasks", AuditLog.entity_id == 1, AuditLog.action == "update")
        )
    assert moves == 2 * PER_DESK
    assert final.status == ("backlog" if PER_DESK % 2 == 0 else "drafting")
    print("conflicts seen:", [r["conflicts"] for r in results])

    run_two_desks(db_path, "task_comments", tmp_path)
    assert count(db, TaskComment) == 2 * PER_DESK
    assert len(tasks.list_comments(db, 1)) == 2 * PER_DESK
    assert check(db).ok


def test_two_desks_adding_checklist_items_to_one_card_keep_every_one_in_order(
    db, db_path, tmp_path
):
    tasks.create_task(db, title="Shared card")
    run_two_desks(db_path, "checklist_items", tmp_path)
    items = tasks.checklist(db, 1)
    assert len(items) == 2 * PER_DESK
    for tag in ("A", "B"):  # each desk's items in the order it added them
        mine = [i.label for i in items if i.label.startswith(tag)]
        assert mine == [f"{tag} item {n}" for n in range(PER_DESK)]
    with db.read() as session:
        positions = list(session.scalars(select(ChecklistItem.position).order_by(ChecklistItem.id)))
    assert len(set(positions)) == 2 * PER_DESK  # no two items share a place
    assert sum(i.done for i in items) == PER_DESK and all(i.done == i.required for i in items)
    assert check(db).ok


ASSIGNER = Path(__file__).parent / "procs" / "request_assigner.py"
ASSIGN_ROUNDS = 10


def test_two_desks_assigning_one_request_one_wins_one_sees_the_conflict(db, db_path, tmp_path):
    """Both desks assign the same request from the same base version, ten times: each time
    exactly one save lands and the other desk gets ConflictError (its editor then shows the
    conflict view); nothing is overwritten silently."""
    from deskterm.core.staff import add_staff

    for initials in ("AB", "CD", "EF", "GH"):
        add_staff(db, initials=initials, name=f"Staff {initials}", role="pio")
    created = shared_request(db)
    sync = tmp_path / "sync"
    sync.mkdir()
    outcomes = run_rounds(
        ASSIGNER,
        lambda tag: [str(db_path), tag, str(ASSIGN_ROUNDS), str(created.version), str(sync)],
        ASSIGN_ROUNDS,
        sync,
    )

    winners = []
    for round_no in range(ASSIGN_ROUNDS):
        a, b = outcomes["A"][round_no], outcomes["B"][round_no]
        assert a["ok"] != b["ok"], (round_no, a, b)  # exactly one lands
        won, lost = (a, b) if a["ok"] else (b, a)
        assert lost["conflict"] and lost["current_version"] == won["version"]
        assert won["version"] == created.version + round_no + 1
        winners.append(won["assignee"])
    final = requests.get_request(db, created.id)
    assert final.assignee == winners[-1] and final.version == created.version + ASSIGN_ROUNDS
    with db.read() as session:
        updates = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "requests", AuditLog.action == "update")
        )
    assert updates == ASSIGN_ROUNDS  # one audited write per round, never two
    print("winners:", "".join("A" if w in ("AB", "EF") else "B" for w in winners))
