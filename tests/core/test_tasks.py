"""Tasks on the team board: creation, validation, board columns, paging and versioned edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.enums import AuditAction, Priority, TaskKind, TaskStatus
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, ChecklistItem, Task
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff
from deskterm.core.tasks import (
    BOARD_COLUMNS,
    board,
    create_task,
    get_task,
    list_tasks,
    update_task,
)
from tests.core.cards import seed_card

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def staff(db):
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    add_staff(db, initials="CD", name="Cy Dunn", role="comms_director", can_approve=True)
    return db


def test_create_task_stores_every_field_and_the_checklist(staff):
    db = staff
    due = datetime(2026, 5, 4, 17, 0, tzinfo=ZoneInfo("America/New_York"))
    task = create_task(
        db,
        title="  Budget   statement ",
        kind="Press Release",
        status="in-review",
        owner="ab",
        reviewer="CD",
        due_at=due,
        publish_at=at(30),
        channels=["web", "X", " newsletter "],
        priority="URGENT",
        language="en",
        translations_owed="es",
        body="Line one\nLine two",
        draft_link="https://docs.example/d/1",
        checklist=[("Legal review", True), ("Spanish version", False)],
    )
    assert task.title == "Budget statement"
    assert task.kind is TaskKind.PRESS_RELEASE
    assert task.status is TaskStatus.IN_REVIEW
    assert (task.owner, task.reviewer, task.approved_by) == ("AB", "CD", None)
    assert task.due_at == due and task.due_at.tzinfo is UTC
    assert task.channels == ("web", "X", "newsletter")
    assert task.priority is Priority.URGENT
    assert task.translations_owed == "es"
    assert task.body == "Line one\nLine two"
    assert task.published_url is None
    assert task.version == 1
    assert get_task(db, task.id) == task

    with db.read() as session:
        items = session.execute(
            select(ChecklistItem.label, ChecklistItem.required, ChecklistItem.position)
            .where(ChecklistItem.task_id == task.id)
            .order_by(ChecklistItem.position)
        ).all()
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.entity == "tasks", AuditLog.entity_id == task.id)
        ).all()
    assert [tuple(item) for item in items] == [
        ("Legal review", True, 0),
        ("Spanish version", False, 1),
    ]
    assert actions == [AuditAction.INSERT]


def test_create_task_defaults(db):
    task = create_task(db, title="Weekly newsletter")
    assert task.kind is TaskKind.OTHER
    assert task.status is TaskStatus.BACKLOG
    assert task.priority is Priority.NORMAL
    assert (task.owner, task.reviewer, task.due_at, task.channels) == (None, None, None, ())
    assert task.language == "en"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"kind": "haiku"}, "kind"),
        ({"status": "done"}, "status"),
        ({"priority": "meh"}, "priority"),
        ({"due_at": datetime(2026, 5, 4, 9, 0)}, "due_at"),
        ({"publish_at": datetime(2026, 5, 4, 9, 0)}, "publish_at"),
        ({"owner": "ZZ"}, "owner"),
        ({"reviewer": "QQ"}, "reviewer"),
        ({"channels": ["web,print"]}, "channels"),
        ({"language": ""}, "language"),
        ({"checklist": [("", True)]}, "checklist"),
    ],
)
def test_create_task_rejects_bad_input_naming_the_field(staff, changes, field):
    given = {"title": "A task", **changes}
    with pytest.raises(InputError) as caught:
        create_task(staff, **given)
    assert caught.value.field == field
    assert "\n" not in str(caught.value)
    with staff.read() as session:
        assert session.scalar(select(Task.id)) is None


def test_unknown_choice_lists_the_choices(db):
    with pytest.raises(InputError, match=r"choose one of .*press_release"):
        create_task(db, title="x", kind="tweetstorm")


def test_unknown_staff_lists_known_initials(staff):
    with pytest.raises(InputError, match=r"known: AB, CD"):
        create_task(staff, title="x", owner="ZZ")


def test_get_missing_task(db):
    with pytest.raises(NotFoundError):
        get_task(db, 999)


def test_is_overdue():
    from deskterm.core.tasks import TaskRecord

    def record(status: TaskStatus, due: datetime | None) -> TaskRecord:
        return TaskRecord(
            1, "t", TaskKind.OTHER, status, None, None, None, None, due, None, (),
            Priority.NORMAL, "en", "", "", None, None, 1,
        )  # fmt: skip

    assert record(TaskStatus.DRAFTING, at(-1)).is_overdue(T0)
    assert not record(TaskStatus.DRAFTING, at(1)).is_overdue(T0)
    assert not record(TaskStatus.DRAFTING, None).is_overdue(T0)
    assert not record(TaskStatus.PUBLISHED, at(-1)).is_overdue(T0)
    assert not record(TaskStatus.ARCHIVED, at(-1)).is_overdue(T0)


def test_board_counts_columns_and_shows_the_soonest_cards(staff):
    db = staff
    made = {}
    for name, status, due, owner in [
        ("b-late", "backlog", at(50), None),
        ("b-none-1", "backlog", None, "AB"),
        ("b-soon", "backlog", at(2), "AB"),
        ("b-none-2", "backlog", None, None),
        ("b-mid", "backlog", at(10), "CD"),
        ("d-1", "drafting", at(5), "AB"),
        ("r-1", "in_review", None, "CD"),
        ("p-1", "published", at(-5), "AB"),
        ("x-1", "archived", at(1), "AB"),
        ("x-2", "archived", None, None),
    ]:
        made[name] = seed_card(db, title=name, status=status, due_at=due, owner=owner)

    columns = board(db, per_column=2)
    assert [column.status for column in columns] == list(BOARD_COLUMNS)
    assert TaskStatus.ARCHIVED not in [column.status for column in columns]
    by_status = {column.status: column for column in columns}
    assert {s.value: c.count for s, c in by_status.items()} == {
        "backlog": 5,
        "drafting": 1,
        "in_review": 1,
        "approved": 0,
        "published": 1,
    }
    assert [card.title for card in by_status[TaskStatus.BACKLOG].cards] == ["b-soon", "b-mid"]
    assert by_status[TaskStatus.APPROVED].cards == ()

    # All five: dated soonest first, then undated by id.
    backlog = board(db, per_column=10)[0]
    assert [card.title for card in backlog.cards] == [
        "b-soon",
        "b-mid",
        "b-late",
        "b-none-1",
        "b-none-2",
    ]

    mine = {column.status: column for column in board(db, per_column=5, owner="ab")}
    assert mine[TaskStatus.BACKLOG].count == 2
    assert [card.title for card in mine[TaskStatus.BACKLOG].cards] == ["b-soon", "b-none-1"]
    assert mine[TaskStatus.DRAFTING].count == 1
    assert mine[TaskStatus.IN_REVIEW].count == 0
    assert mine[TaskStatus.PUBLISHED].cards[0].owner == "AB"

    counts_only = board(db, per_column=0)
    assert sum(column.count for column in counts_only) == 8
    assert all(column.cards == () for column in counts_only)

    with pytest.raises(InputError) as caught:
        board(db, owner="ZZ")
    assert caught.value.field == "owner"


def test_list_tasks_pages_with_a_keyset(db):
    dues = [at(3), None, at(1), at(3), None, at(2), at(-4), None]
    for number, due in enumerate(dues):
        seed_card(
            db, title=f"t{number}", due_at=due, status="archived" if number == 6 else "drafting"
        )

    everything = list_tasks(db)
    assert [task.title for task in everything] == ["t6", "t2", "t5", "t0", "t3", "t1", "t4", "t7"]

    pages, after = [], None
    while True:
        page = list_tasks(db, limit=3, after=after)
        pages.append([task.title for task in page])
        if len(page) < 3:
            break
        after = (page[-1].due_at, page[-1].id)
    assert pages == [["t6", "t2", "t5"], ["t0", "t3", "t1"], ["t4", "t7"]]

    drafting = list_tasks(db, status="Drafting", limit=2)
    assert [task.title for task in drafting] == ["t2", "t5"]
    second = list_tasks(db, status=TaskStatus.DRAFTING, limit=10, after=(at(3), drafting[-1].id))
    assert [task.title for task in second] == ["t1", "t4", "t7"]  # past every dated task
    assert [task.title for task in list_tasks(db, status=["archived"])] == ["t6"]

    with pytest.raises(InputError) as caught:
        list_tasks(db, limit=0)
    assert caught.value.field == "limit"
    with pytest.raises(InputError) as caught:
        list_tasks(db, after=(datetime(2026, 5, 4), 1))
    assert caught.value.field == "after"


def test_update_task_saves_changes_bumps_the_version_and_audits(staff):
    db = staff
    task = create_task(db, title="Draft remarks", owner="AB", channels=["web"])
    updated = update_task(
        db,
        task.id,
        task.version,
        title="Remarks for the ribbon cutting",
        status="drafting",
        kind="remarks",
        owner="cd",
        reviewer="AB",
        due_at=at(4),
        channels=("web", "print"),
        priority=Priority.HIGH,
        published_url="https://city.example/remarks",
    )
    assert updated.version == task.version + 1
    assert updated.title == "Remarks for the ribbon cutting"
    assert updated.status is TaskStatus.DRAFTING
    assert updated.kind is TaskKind.REMARKS
    assert (updated.owner, updated.reviewer) == ("CD", "AB")
    assert updated.due_at == at(4)
    assert updated.channels == ("web", "print")
    assert updated.priority is Priority.HIGH
    assert get_task(db, task.id) == updated

    with db.read() as session:
        audit = session.execute(
            select(AuditLog.action, AuditLog.user, AuditLog.changes)
            .where(AuditLog.entity == "tasks", AuditLog.entity_id == task.id)
            .order_by(AuditLog.id)
        ).all()
    assert [row.action for row in audit] == [AuditAction.INSERT, AuditAction.UPDATE]
    changed = json.loads(audit[-1].changes)
    assert changed["title"] == ["Draft remarks", "Remarks for the ribbon cutting"]
    assert changed["channels"] == ["web", "web,print"]
    assert changed["owner_id"][1] != changed["owner_id"][0]
    assert audit[-1].user == "AB"

    cleared = update_task(db, task.id, updated.version, owner=None, due_at=None)
    assert (cleared.owner, cleared.due_at, cleared.version) == (None, None, updated.version + 1)


def test_update_task_with_a_stale_version_saves_nothing(db):
    task = create_task(db, title="Op-ed")
    first = update_task(db, task.id, task.version, title="Op-ed on transit")
    with pytest.raises(ConflictError) as caught:
        update_task(db, task.id, task.version, title="Op-ed on housing", status="drafting")
    assert (caught.value.base_version, caught.value.current_version) == (1, 2)
    assert caught.value.current["title"] == "Op-ed on transit"
    assert get_task(db, task.id) == first


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"approved_by": "AB"}, "approved_by"),
        ({"version": 7}, "version"),
        ({"status": "finished"}, "status"),
        ({"title": ""}, "title"),
        ({"due_at": datetime(2026, 1, 1)}, "due_at"),
        ({"owner": "nobody"}, "owner"),
    ],
)
def test_update_task_rejects_bad_fields(db, changes, field):
    task = create_task(db, title="Talking points")
    with pytest.raises(InputError) as caught:
        update_task(db, task.id, task.version, **changes)
    assert caught.value.field == field
    assert get_task(db, task.id) == task


def test_update_missing_task(db):
    with pytest.raises(NotFoundError):
        update_task(db, 404, 1, title="gone")


def test_a_draft_can_live_on_the_shared_drive(db) -> None:
    from deskterm.core.tasks import create_task

    task = create_task(db, title="Remarks", draft_link=r"\\press-share\drafts\remarks v2.docx")
    assert task.draft_link == r"\\press-share\drafts\remarks v2.docx"
