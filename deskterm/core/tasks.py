"""The team board: tasks (press releases, statements, posts...), their columns and the rules
for moving a card between them.

Every product moves Backlog -> Drafting -> In review -> Approved -> Published (and Archived);
nothing goes out without a sign-off. ``check_move`` states the rules once (pure, so the UI
can explain a refusal before trying); every status change (``move_task``, ``step_task``,
``send_for_review``, ``approve_task``, ``publish_task`` and a ``status`` given to
``update_task``) applies them inside its write transaction, on the freshly loaded row:

* In review needs a reviewer.
* Approved is a sign-off: reached from In review (or back from Published), by the desk's
  user, who must be an active staff member who may approve and, unless self-approval is
  allowed, not the card's owner. It records ``approved_by_id`` and ``approved_at``.
* Published only from Approved with a sign-off, with every required checklist item done and
  a link to what went out; ``publish_at`` is set to the moment of publishing if unset.
* Moving back to Backlog, Drafting or In review clears the sign-off.
* Archived from any column; from Archived only back to Backlog.

``create_task`` places a card in any column as given (seeding, the demo, imports): it is not
a move and checks no rule.

Ordering everywhere is "due soonest first, undated last, then by id". The due-dated part and
the undated part are read by two index-ordered queries (``ix_tasks_status_due`` holds
``(status, due_at, rowid)`` in exactly that order), so a board or a page never sorts a whole
status, let alone the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import Priority, TaskKind, TaskStatus
from db.errors import NotFoundError
from db.models import ChecklistItem, Task
from db.versioning import update_versioned
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware_or_none,
    free_text,
    join_list,
    language_tag,
    line_text,
    list_limit,
    parse_choice,
    split_list,
    web_url,
)
from deskterm.core.staff import resolve_staff_id, staff_initials

E = TypeVar("E", bound=StrEnum)


BOARD_COLUMNS: tuple[TaskStatus, ...] = (
    TaskStatus.BACKLOG,
    TaskStatus.DRAFTING,
    TaskStatus.IN_REVIEW,
    TaskStatus.APPROVED,
    TaskStatus.PUBLISHED,
)
DONE_STATUSES: frozenset[TaskStatus] = frozenset({TaskStatus.PUBLISHED, TaskStatus.ARCHIVED})

TITLE_MAX = 500
CHANNELS_MAX = 500
TRANSLATIONS_MAX = 200
CHECKLIST_LABEL_MAX = 300

# Fields a user may change with update_task (owner/reviewer are initials, resolved to ids).
EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "title",
        "kind",
        "status",
        "owner",
        "reviewer",
        "due_at",
        "publish_at",
        "channels",
        "priority",
        "language",
        "translations_owed",
        "body",
        "draft_link",
        "published_url",
    }
)


@dataclass(frozen=True)
class TaskRecord:
    id: int
    title: str
    kind: TaskKind
    status: TaskStatus
    owner: str | None  # initials
    reviewer: str | None
    approved_by: str | None
    approved_at: datetime | None
    due_at: datetime | None
    publish_at: datetime | None
    channels: tuple[str, ...]
    priority: Priority
    language: str
    translations_owed: str
    body: str
    draft_link: str | None
    published_url: str | None
    version: int

    def is_overdue(self, now: datetime) -> bool:
        """Due before ``now`` and not yet published or archived."""
        return self.due_at is not None and self.due_at < now and self.status not in DONE_STATUSES


@dataclass(frozen=True)
class BoardColumn:
    status: TaskStatus
    count: int
    cards: tuple[TaskRecord, ...]


def to_record(row: Task, initials: dict[int, str]) -> TaskRecord:
    """A record of ``row``; ``initials`` maps staff ids to initials (``staff_initials``)."""
    return TaskRecord(
        id=row.id,
        title=row.title,
        kind=row.kind,
        status=row.status,
        owner=_initials(initials, row.owner_id),
        reviewer=_initials(initials, row.reviewer_id),
        approved_by=_initials(initials, row.approved_by_id),
        approved_at=row.approved_at,
        due_at=row.due_at,
        publish_at=row.publish_at,
        channels=split_list(row.channels),
        priority=row.priority,
        language=row.language,
        translations_owed=row.translations_owed,
        body=row.body,
        draft_link=row.draft_link,
        published_url=row.published_url,
        version=row.version,
    )


# --- parsing and validation -------------------------------------------------------------


def parse_kind(value: TaskKind | str) -> TaskKind:
    return parse_choice(TaskKind, value, field="kind")


def parse_status(value: TaskStatus | str) -> TaskStatus:
    return parse_choice(TaskStatus, value, field="status")


def parse_priority(value: Priority | str) -> Priority:
    return parse_choice(Priority, value, field="priority")


_NORMALIZERS: dict[str, Any] = {
    "title": lambda v: line_text(v, field="title", max_length=TITLE_MAX, required=True),
    "kind": parse_kind,
    "status": parse_status,
    "due_at": lambda v: aware_or_none(v, field="due_at"),
    "publish_at": lambda v: aware_or_none(v, field="publish_at"),
    "channels": lambda v: join_list(v, field="channels", max_length=CHANNELS_MAX),
    "priority": parse_priority,
    "language": language_tag,
    "translations_owed": lambda v: join_list(
        v, field="translations_owed", max_length=TRANSLATIONS_MAX
    ),
    "body": lambda v: free_text(v, field="body"),
    # A draft lives on the web or on the office's shared drive: a URL or a path.
    "draft_link": lambda v: (
        line_text(v, field="draft_link", max_length=2000, collapse=False) or None
    ),
    "published_url": lambda v: web_url(v, field="published_url"),
}


def _checklist(items: Sequence[tuple[str, bool]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for item in items:
        try:
            label, required = item
        except (TypeError, ValueError):
            raise InputError(
                f"checklist items are (label, required) pairs, not {item!r}", field="checklist"
            ) from None
        label = line_text(label, field="checklist", max_length=CHECKLIST_LABEL_MAX)
        if not label:
            raise InputError("a checklist item needs a label", field="checklist")
        out.append((label, bool(required)))
    return out


# --- operations ---------------------------------------------------------------------------


def create_task(
    db: Database,
    *,
    title: str,
    kind: TaskKind | str = "other",
    status: TaskStatus | str = "backlog",
    owner: str | None = None,
    reviewer: str | None = None,
    due_at: datetime | None = None,
    publish_at: datetime | None = None,
    channels: Sequence[str] = (),
    priority: Priority | str = "normal",
    language: str = "en",
    translations_owed: str = "",
    body: str = "",
    draft_link: str | None = None,
    checklist: Sequence[tuple[str, bool]] = (),
) -> TaskRecord:
    """Add a card; ``checklist`` holds ``(label, required)`` pairs, kept in order."""
    given = {
        "title": title,
        "kind": kind,
        "status": status,
        "due_at": due_at,
        "publish_at": publish_at,
        "channels": channels,
        "priority": priority,
        "language": language,
        "translations_owed": translations_owed,
        "body": body,
        "draft_link": draft_link,
    }
    values = {key: _NORMALIZERS[key](value) for key, value in given.items()}
    items = _checklist(checklist)
    with db.transaction() as session:
        values["owner_id"] = resolve_staff_id(session, owner, field="owner")
        values["reviewer_id"] = resolve_staff_id(session, reviewer, field="reviewer")
        row = Task(**values)
        session.add(row)
        session.flush()
        for position, (label, required) in enumerate(items):
            session.add(
                ChecklistItem(task_id=row.id, label=label, required=required, position=position)
            )
        session.flush()
        return to_record(row, staff_initials(session))


def get_task(db: Database, task_id: int) -> TaskRecord:
    with db.read() as session:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFoundError(Task.__tablename__, task_id)
        return to_record(row, staff_initials(session))


def board(db: Database, *, per_column: int = 5, owner: str | None = None) -> list[BoardColumn]:
    """The board's columns (archived is not one): each column's count and its soonest cards.

    One grouped query counts every column; each non-empty column then reads at most
    ``per_column`` cards along ``ix_tasks_status_due`` (a second, undated read only when the
    dated cards do not fill the column).
    """
    per_column = list_limit(per_column, field="per_column", minimum=0)
    with db.read() as session:
        filters = []
        if owner is not None:
            filters.append(Task.owner_id == resolve_staff_id(session, owner, field="owner"))
        counted = session.execute(
            select(Task.status, func.count())
            .where(Task.status.in_(BOARD_COLUMNS), *filters)
            .group_by(Task.status)
        )
        counts = {TaskStatus(status): int(count) for status, count in counted}
        initials = staff_initials(session) if counts and per_column else {}
        columns = []
        for status in BOARD_COLUMNS:
            count = counts.get(status, 0)
            rows: list[Task] = []
            if count and per_column:
                rows = _due_order(
                    session, [Task.status == status, *filters], None, min(per_column, count)
                )
            columns.append(
                BoardColumn(status, count, tuple(to_record(row, initials) for row in rows))
            )
        return columns


def list_tasks(
    db: Database,
    *,
    status: TaskStatus | str | Iterable[TaskStatus | str] | None = None,
    owner: str | None = None,
    limit: int = 200,
    after: tuple[datetime | None, int] | None = None,
) -> list[TaskRecord]:
    """A window of tasks, due soonest first (undated last, then by id).

    ``after`` is the ``(due_at, id)`` of the last task of the previous window. ``status`` is
    one status or several; one status (or an owner) keeps the read on an index.
    """
    limit = list_limit(limit)
    filters = []
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        statuses = [parse_status(item) for item in wanted]
        filters.append(Task.status.in_(statuses))
    cursor = _cursor(after)
    with db.read() as session:
        if owner is not None:
            filters.append(Task.owner_id == resolve_staff_id(session, owner, field="owner"))
        rows = _due_order(session, filters, cursor, limit)
        initials = staff_initials(session) if rows else {}
        return [to_record(row, initials) for row in rows]


def update_task(db: Database, task_id: int, base_version: int, **changes: Any) -> TaskRecord:
    """Save the fields an editor changed, if nobody saved the task since ``base_version``.

    Editable: see ``EDITABLE_FIELDS``; ``owner``/``reviewer`` take initials (None clears).
    A stale ``base_version`` raises ``db.errors.ConflictError`` and saves nothing.
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(EDITABLE_FIELDS))
        raise InputError(
            f"cannot change {', '.join(unknown)} on a task; editable: {allowed}", field=unknown[0]
        )
    values = {
        key: _NORMALIZERS[key](value) for key, value in changes.items() if key in _NORMALIZERS
    }
    with db.transaction() as session:
        for field in ("owner", "reviewer"):
            if field in changes:
                values[f"{field}_id"] = resolve_staff_id(session, changes[field], field=field)
        row = update_versioned(session, Task, task_id, base_version, **values)
        return to_record(row, staff_initials(session))


# --- helpers ------------------------------------------------------------------------------


def _initials(initials: dict[int, str], staff_id: int | None) -> str | None:
    return None if staff_id is None else initials.get(staff_id)


def _cursor(after: tuple[datetime | None, int] | None) -> tuple[datetime | None, int] | None:
    if after is None:
        return None
    try:
        due, last_id = after
    except (TypeError, ValueError):
        raise InputError("after must be a (due_at, id) pair", field="after") from None
    if isinstance(last_id, bool) or not isinstance(last_id, int):
        raise InputError("after must be a (due_at, id) pair", field="after")
    return aware_or_none(due, field="after"), last_id


def _due_order(
    session: Session, filters: list[Any], after: tuple[datetime | None, int] | None, limit: int
) -> list[Task]:
    """Up to ``limit`` tasks matching ``filters`` in (due_at nulls last, id) order after ``after``.

    Two reads instead of one ``ORDER BY due_at IS NULL, ...``: each follows the
    ``(status, due_at, id)`` index order, so SQLite stops after ``limit`` rows instead of
    sorting every match.
    """
    rows: list[Task] = []
    if after is None or after[0] is not None:
        dated: Select[tuple[Task]] = select(Task).where(*filters, Task.due_at.is_not(None))
        if after is not None:
            due, last_id = after
            # The >= bound is a range the index can seek to; the OR then drops the ties before.
            dated = dated.where(Task.due_at >= due, or_(Task.due_at > due, Task.id > last_id))
        rows.extend(session.scalars(dated.order_by(Task.due_at, Task.id).limit(limit)))
    if len(rows) < limit:
        undated = select(Task).where(*filters, Task.due_at.is_(None))
        if after is not None and after[0] is None:
            undated = undated.where(Task.id > after[1])
        rows.extend(session.scalars(undated.order_by(Task.id).limit(limit - len(rows))))
    return rows
