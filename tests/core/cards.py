"""Seeding cards into any column for tests that are about display, not the rules.

New cards can only start in Backlog, Drafting or In review; tests of the board's layout,
paging and the budget need cards already in later columns, so they are put there
directly, the way an old import or another tool might have left them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from db.engine import Database
from db.enums import TaskStatus
from db.models import Task
from deskterm.core.tasks import NEW_CARD_STATUSES, TaskRecord, create_task, get_task


def seed_card(db: Database, *, status: TaskStatus | str, **fields: Any) -> TaskRecord:
    status = TaskStatus(str(status).replace("-", "_").lower())
    start = status if status in NEW_CARD_STATUSES else TaskStatus.BACKLOG
    if start is TaskStatus.IN_REVIEW and not fields.get("reviewer"):
        start = TaskStatus.DRAFTING
    card = create_task(db, status=start, **fields)
    if start is not status:
        with db.transaction() as session:
            session.execute(update(Task).where(Task.id == card.id).values(status=status.value))
    return get_task(db, card.id)


def seed_cards(db: Database, cards: list[dict[str, Any]]) -> list[TaskRecord]:
    """Many cards at once, in one transaction (audited as any write), placed directly in
    their columns; each dict holds ``title``, ``status`` and any other column, with
    ``owner`` as initials. Returns them in the order given."""
    from deskterm.core.staff import staff_initials
    from deskterm.core.tasks import to_record

    with db.transaction() as session:
        ids = {initials: key for key, initials in staff_initials(session).items()}
        rows = []
        for fields in cards:
            values = dict(fields)
            owner = values.pop("owner", None)
            values["status"] = TaskStatus(str(values["status"]).lower())
            rows.append(Task(owner_id=ids[owner] if owner else None, **values))
        session.add_all(rows)
        session.flush()
        initials = staff_initials(session)
        return [to_record(row, initials) for row in rows]
