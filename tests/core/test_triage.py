"""Triage of clips: flags, assignment, corrections, topics of clips, clip -> request/task.

Real SQLite files; the concurrency tests run two real processes on one file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.enums import EntityType, RequestKind, RequestStatus, TaskKind
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, ClipTopic, Link, Request, Task, Topic
from db.schema import check
from deskterm.core import clips, requests, tasks, triage
from deskterm.core.contacts import add_outlet
from deskterm.core.errors import InputError
from deskterm.core.feeds import add_feed
from deskterm.core.links import linked
from deskterm.core.staff import add_staff

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
WRITER = Path(__file__).parent / "procs" / "triage_writer.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(db: Database) -> Database:
    """Two staff, one outlet with a feed, three clips (newest first: 3, 2, 1)."""
    add_staff(db, initials="AL", name="Ann Lee", role="pio")
    add_staff(db, initials="BO", name="Ben Ortiz", role="press_secretary", can_approve=True)
    add_outlet(db, name="Alder Daily Herald", type="print")
    feed = add_feed(
        db, url="https://herald.example/rss", name="Herald RSS", outlet="Alder Daily Herald"
    )
    for i in range(3):
        clips.add_clip(
            db,
            feed_id=feed.id,
            guid=f"g{i}",
            title=f"Story {i}: council budget vote",
            url=f"https://herald.example/{i}",
            summary=f"The council voted on the budget. Paragraph {i}.",
            author="Rita Ames" if i == 0 else "",
            published_at=NOW - timedelta(hours=3 - i),
        )
    return db


def audit_count(db: Database, entity: str = "clips", action: str = "update") -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == entity, AuditLog.action == action)
        )


def audit_changes(db: Database, entity_id: int) -> list[dict]:
    with db.read() as session:
        rows = session.scalars(
            select(AuditLog.changes)
            .where(AuditLog.entity == "clips", AuditLog.entity_id == entity_id)
            .where(AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    return [json.loads(r) for r in rows]


# --- flags ------------------------------------------------------------------------------------


def test_flag_and_hide_are_idempotent_and_audited(desk):
    before = clips.get_clip(desk, 1)
    flagged = clips.set_flagged(desk, 1, True)
    assert flagged.flagged is True
    assert flagged.version == before.version + 1
    assert clips.set_flagged(desk, 1, True).version == flagged.version  # no change, no version
    hidden = clips.set_hidden(desk, 1, True)
    assert hidden.hidden is True
    assert clips.set_flagged(desk, 1, False).flagged is False
    changes = audit_changes(desk, 1)
    assert [sorted(c) for c in changes] == [
        ["flagged", "flagged_at"],  # when it was flagged decides its clip report's day
        ["hidden"],
        ["flagged", "flagged_at"],
    ]
    assert changes[0]["flagged"] == [False, True]
    assert changes[0]["flagged_at"][0] is None and changes[2]["flagged_at"][1] is None


def test_flagging_keeps_when_and_taking_the_flag_off_forgets_it(desk):
    from db.models import Clip

    moment = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    clips.set_flagged(desk, 1, True, now=moment)
    clips.set_flagged(desk, 1, True, now=moment + timedelta(hours=3))  # already: kept as is
    with desk.read() as session:
        assert session.get(Clip, 1).flagged_at == moment
    clips.set_flagged(desk, 1, False)
    with desk.read() as session:
        assert session.get(Clip, 1).flagged_at is None


def test_flags_refuse_non_booleans_and_missing_clips(desk):
    with pytest.raises(InputError) as error:
        clips.set_flagged(desk, 1, "yes")  # type: ignore[arg-type]
    assert error.value.field == "flagged"
    with pytest.raises(NotFoundError):
        clips.set_hidden(desk, 999, True)


def test_hidden_clips_leave_the_lists_and_the_unread_count(desk):
    assert clips.count_unread(desk) == 3
    clips.set_hidden(desk, 2, True)
    assert [c.id for c in clips.list_clips(desk)] == [3, 1]
    assert [c.id for c in clips.list_clips(desk, include_hidden=True)] == [3, 2, 1]
    assert clips.count_unread(desk) == 2


def test_unread_only_and_flagged_only_filters(desk):
    clips.set_read(desk, 3, True)
    clips.set_flagged(desk, 1, True)
    assert [c.id for c in clips.list_clips(desk, unread_only=True)] == [2, 1]
    assert [c.id for c in clips.list_clips(desk, flagged_only=True)] == [1]


# --- edits (versioned) --------------------------------------------------------------------------


def test_assign_and_unassign(desk):
    clip = clips.get_clip(desk, 2)
    assigned = clips.assign_clip(desk, 2, clip.version, "al")
    assert assigned.assignee == "AL"
    again = clips.assign_clip(desk, 2, assigned.version, "AL")
    assert again.version == assigned.version  # the same person: nothing written
    nobody = clips.assign_clip(desk, 2, again.version, None)
    assert nobody.assignee is None
    assert audit_changes(desk, 2)[-1]["assignee_id"][1] is None


def test_assign_refuses_unknown_staff_and_stale_versions(desk):
    clip = clips.get_clip(desk, 2)
    with pytest.raises(InputError) as error:
        clips.assign_clip(desk, 2, clip.version, "ZZ")
    assert error.value.field == "assignee"
    clips.set_flagged(desk, 2, True)  # another desk's change moves the version on
    with pytest.raises(ConflictError) as conflict:
        clips.assign_clip(desk, 2, clip.version, "AL")
    assert conflict.value.current_version == clip.version + 1
    assert clips.get_clip(desk, 2).assignee is None


def test_mark_and_clear_a_correction(desk):
    clip = clips.get_clip(desk, 1)
    marked = clips.mark_correction(desk, 1, clip.version, "  The vote was 5-2, not 4-3.\n")
    assert marked.needs_correction is True
    assert marked.correction_note == "The vote was 5-2, not 4-3."
    cleared = clips.clear_correction(desk, 1, marked.version)
    assert (cleared.needs_correction, cleared.correction_note) == (False, "")
    with pytest.raises(ConflictError):
        clips.mark_correction(desk, 1, marked.version, "stale")
    assert clips.get_clip(desk, 1).correction_note == ""


def test_a_correction_needs_a_note(desk):
    clip = clips.get_clip(desk, 1)
    for note in ("", "   ", "\n\t"):
        with pytest.raises(InputError) as error:
            clips.mark_correction(desk, 1, clip.version, note)
        assert error.value.field == "note"
    with pytest.raises(InputError):
        clips.mark_correction(desk, 1, clip.version, "x" * (clips.CORRECTION_NOTE_MAX + 1))
    assert clips.get_clip(desk, 1).version == clip.version


# --- topics of clips ------------------------------------------------------------------------------


def add_topic_rows(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        budget = Topic(name="Budget", query="budget OR levy", priority=1)
        transit = Topic(name="Transit", query="bus", priority=2)
        session.add_all([budget, transit])
        session.flush()
        session.add_all(
            [
                ClipTopic(clip_id=1, topic_id=transit.id, matched_terms="bus"),
                ClipTopic(clip_id=1, topic_id=budget.id, matched_terms="budget\ncouncil vote"),
                ClipTopic(clip_id=2, topic_id=transit.id, matched_terms="bus, fares, bus"),
            ]
        )
        return budget.id, transit.id


def test_topics_of_clips_most_important_first(desk):
    budget, transit = add_topic_rows(desk)
    found = clips.topics_of(desk, [1, 2, 3, 2])
    assert set(found) == {1, 2}
    assert [(m.name, m.priority) for m in found[1]] == [("Budget", 1), ("Transit", 2)]
    assert found[1][0].terms == ("budget", "council vote")
    assert found[2][0].terms == ("bus", "fares")
    assert clips.topics_of(desk, []) == {}
    assert [c.id for c in clips.list_clips(desk, topic_id=transit)] == [2, 1]
    assert [c.id for c in clips.list_clips(desk, topic_id=budget)] == [1]


def test_topics_of_many_clips_is_chunked(desk):
    add_topic_rows(desk)
    found = clips.topics_of(desk, range(1, 1300))  # past one query's worth of ids
    assert set(found) == {1, 2}


# --- clip -> request / task ---------------------------------------------------------------------


def test_request_prefill_from_the_clip(desk):
    clip = clips.get_clip(desk, 1)
    prefill = triage.request_prefill(clip)
    assert prefill.kind is RequestKind.MEDIA
    assert prefill.outlet == "Alder Daily Herald"
    assert prefill.requester == "Rita Ames"
    assert prefill.subject == clip.title
    assert "https://herald.example/0" in prefill.background


def test_request_from_clip_is_created_and_linked(desk):
    created = triage.request_from_clip(
        desk,
        1,
        subject="Budget vote story: figures",
        requester="Rita Ames",
        outlet="Alder Daily Herald",
        deadline=NOW + timedelta(hours=4),
        assignee="BO",
        now=NOW,
    )
    assert created.linked
    record = created.record
    assert isinstance(record, requests.RequestRecord)
    assert record.number == "M-2026-0001"
    assert record.status is RequestStatus.ASSIGNED
    assert record.outlet_id is not None  # typed outlet matched the known one
    assert "https://herald.example/0" in record.background
    assert [(i.type, i.id) for i in linked(desk, "clip", 1)] == [(EntityType.REQUEST, record.id)]
    assert [(i.type, i.id) for i in linked(desk, "request", record.id)] == [(EntityType.CLIP, 1)]


def test_request_from_clip_takes_the_outlets_language_else_the_clips(desk):
    """No language given: the linked outlet's (La Opinión: es, though its feed says en);
    a feed with no outlet: the clip's own (its feed's); a language given wins."""
    add_outlet(desk, name="La Opinión", type="community", language="es")
    opinion = add_feed(desk, url="https://opinion.example/rss", outlet="La Opinión")
    lone = add_feed(desk, url="https://saigon.example/rss", name="Saigon Nho")
    for guid, feed, language in (("es1", opinion, "en"), ("vi1", lone, "vi")):
        clips.add_clip(
            desk, feed_id=feed.id, guid=guid, title=f"Story {guid}", url=None,
            published_at=NOW - timedelta(hours=1), language=language,
        )  # fmt: skip
    by_guid = {c.title: c for c in clips.list_clips(desk, limit=10)}
    es_clip, vi_clip = by_guid["Story es1"], by_guid["Story vi1"]
    prefill = triage.request_prefill(es_clip)
    made = triage.request_from_clip(
        desk, es_clip.id, subject=prefill.subject, outlet=prefill.outlet, now=NOW
    ).record
    assert (made.outlet, made.language) == ("La Opinión", "es")
    prefill = triage.request_prefill(vi_clip)
    assert prefill.outlet == "Saigon Nho"
    made = triage.request_from_clip(
        desk, vi_clip.id, subject=prefill.subject, outlet=prefill.outlet, now=NOW
    ).record
    assert (made.outlet_id, made.language) == (None, "vi")
    chosen = triage.request_from_clip(
        desk, vi_clip.id, subject="x", outlet="Saigon Nho", language="en", now=NOW
    ).record
    assert chosen.language == "en"
    herald = triage.request_from_clip(desk, 1, subject="x", outlet="Alder Daily Herald", now=NOW)
    assert herald.record.language == "en"


def test_a_refused_request_from_a_clip_leaves_nothing(desk):
    with pytest.raises(InputError) as error:
        triage.request_from_clip(desk, 1, subject="   ", outlet="Herald", now=NOW)
    assert error.value.field == "subject"
    with pytest.raises(InputError):
        triage.request_from_clip(desk, 1, subject="x", requester="", outlet="", now=NOW)
    with pytest.raises(NotFoundError):
        triage.request_from_clip(desk, 99, subject="x", outlet="Herald", now=NOW)
    with desk.read() as session:
        assert session.scalar(select(func.count()).select_from(Request)) == 0
        assert session.scalar(select(func.count()).select_from(Link)) == 0


def test_task_from_clip_is_created_and_linked(desk):
    clip = clips.get_clip(desk, 2)
    marked = clips.mark_correction(desk, 2, clip.version, "Wrong date for the vote")
    prefill = triage.task_prefill(marked)
    assert prefill.title.startswith("Correction request: Story 1")
    assert "Needs a correction: Wrong date for the vote" in prefill.body
    created = triage.task_from_clip(
        desk, 2, title=prefill.title, kind=prefill.kind, owner="al", due_at=NOW + timedelta(days=1)
    )
    record = created.record
    assert isinstance(record, tasks.TaskRecord)
    assert (record.owner, record.kind) == ("AL", TaskKind.OTHER)
    assert "https://herald.example/1" in record.body
    assert [(i.type, i.id) for i in linked(desk, "task", record.id)] == [(EntityType.CLIP, 2)]
    plain = triage.task_prefill(clips.get_clip(desk, 3))
    assert plain.title.startswith("Respond: ") and plain.kind is TaskKind.STATEMENT


def test_a_refused_task_from_a_clip_leaves_nothing(desk):
    with pytest.raises(InputError) as error:
        triage.task_from_clip(desk, 1, title="Respond", owner="ZZ")
    assert error.value.field == "owner"
    with desk.read() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 0
        assert session.scalar(select(func.count()).select_from(Link)) == 0


def test_hostile_clip_text_is_prefilled_clean(desk):
    feed_id = clips.get_clip(desk, 1).feed_id
    hostile = clips.add_clip(
        desk,
        feed_id=feed_id,
        guid="hostile",
        title="[bold]Vote[/bold] \x1b[31mtonight\x07",
        url="https://herald.example/h",
        author="\x1b]0;pwned\x07Reporter",
        published_at=NOW,
    )
    prefill = triage.request_prefill(hostile)
    assert "\x1b" not in prefill.subject + prefill.requester + prefill.background
    assert prefill.subject == "[bold]Vote[/bold] tonight"
    assert prefill.requester == "Reporter"


# --- two desks at once ----------------------------------------------------------------------


def run_two_desks(db_path: Path, operation: str, tmp_path: Path, count: int) -> list[dict]:
    barrier = tmp_path / f"go-{operation}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(db_path), tag, operation, str(count), str(barrier)],
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


def test_two_desks_flipping_flags_on_the_same_clips(desk, db_path, tmp_path):
    results = run_two_desks(db_path, "flags", tmp_path, 30)
    assert [r["done"] for r in results] == [30, 30]
    assert [r["conflicts"] for r in results] == [0, 0]  # flags never conflict
    # every audit row is a real change of one flag, and the last write of each flag won
    with desk.read() as session:
        rows = session.execute(
            select(AuditLog.changes, AuditLog.user).where(
                AuditLog.entity == "clips", AuditLog.action == "update"
            )
        ).all()
    assert rows
    for changes, user in rows:
        changed = set(json.loads(changes))
        assert changed in ({"flagged", "flagged_at"}, {"hidden"}, {"is_read"})
        assert user in ("A", "B")
    final = {c.id: c for c in clips.list_clips(desk, include_hidden=True)}
    for clip in final.values():
        assert clip.version == 1 + len(audit_changes(desk, clip.id))
    assert check(desk).ok


def test_two_desks_editing_one_clip_never_lose_an_edit(desk, db_path, tmp_path):
    per_desk = 15
    results = run_two_desks(db_path, "corrections", tmp_path, per_desk)
    assert [r["done"] for r in results] == [per_desk, per_desk]
    final = clips.get_clip(desk, 1)
    # every note and every assignment saved once: conflicts were reloaded, never lost
    assert final.version == 1 + 4 * per_desk
    notes = [c["correction_note"][1] for c in audit_changes(desk, 1) if "correction_note" in c]
    assert sorted(notes) == sorted(f"{t}{i}" for t in "AB" for i in range(per_desk))
    assert final.needs_correction
    print("conflicts seen:", [r["conflicts"] for r in results])


def test_two_desks_assigning_from_the_same_version_one_is_told(desk, db_path, tmp_path):
    results = run_two_desks(db_path, "assign_once", tmp_path, 1)
    assert sorted(r["outcome"] for r in results) == ["conflict", "saved"]
    winner = next(r for r, tag in zip(results, "AB", strict=True) if r["outcome"] == "saved")
    expected = {"A": "AL", "B": "BO"}["AB"[results.index(winner)]]
    clip = clips.get_clip(desk, 1)
    assert clip.assignee == expected
    assert clip.version == 2
    assert audit_count(desk) == 1
