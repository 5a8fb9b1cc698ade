"""The team board: tasks (press releases, statements, posts...), their columns and the rules
for moving a card between them.

Every product moves Backlog -> Drafting -> In review -> Approved -> Published (and Archived);
nothing goes out without a sign-off. ``check_move`` states the rules once (pure, so the UI
can explain a refusal before trying; ``publish_blockers`` reads a card and lists what would
refuse its publication, before a desk asks for the link); every status change
(``move_task``, ``step_task``, ``send_for_review``, ``approve_task``, ``publish_task`` and a
``status`` given to ``update_task``) applies them inside its write transaction, on the
freshly loaded row:

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

The records (``TaskRecord``, ``ColumnWindow``...) and ``to_record`` are
``deskterm.core.task_records``'s, re-exported here; ``deskterm.core.board_read`` reads the
board's first windows with ``sqlite3`` alone, for the desk's first paint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.enums import Priority, TaskKind, TaskStatus
from db.errors import NotFoundError
from db.models import ChecklistItem, Staff, Task, TaskComment
from db.search_text import fold
from db.versioning import load_for_update
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware,
    aware_or_none,
    boolean,
    free_text,
    join_list,
    language_tag,
    line_text,
    list_limit,
    parse_choice,
    web_url,
)
from deskterm.core.matching import every_word, search_words
from deskterm.core.records import children, require
from deskterm.core.staff import StaffRecord, resolve_staff_id, staff_initials
from deskterm.core.staff import to_record as staff_record

# The records and their builders live in ``task_records`` (no SQLAlchemy: the desk paints
# the board from them first); they are this module's names too, for its importers.
from deskterm.core.task_records import (
    BOARD_COLUMNS,
    DONE_STATUSES,
    STATUS_LABELS,
    BoardColumn,
    CardFilter,
    ChecklistRecord,
    ColumnWindow,
    CommentRecord,
    Cursor,
    TaskRecord,
    WindowAt,
    checklist_record,
    comment_record,
    initials_of,
    to_record,
)

E = TypeVar("E", bound=StrEnum)

#: Moving a card into one of these sends it back: its sign-off is cleared.
BEFORE_SIGN_OFF: frozenset[TaskStatus] = frozenset(
    {TaskStatus.BACKLOG, TaskStatus.DRAFTING, TaskStatus.IN_REVIEW}
)
COMMENT_MAX = 20_000

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


def checklist_label(text: str) -> str:
    """A checklist item's label as stored; ``InputError`` when empty or too long."""
    label = line_text(text, field="checklist", max_length=CHECKLIST_LABEL_MAX)
    if not label:
        raise InputError("a checklist item needs a label", field="checklist")
    return label


def _checklist(items: Sequence[tuple[str, bool]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for item in items:
        try:
            label, required = item
        except (TypeError, ValueError):
            raise InputError(
                f"checklist items are (label, required) pairs, not {item!r}", field="checklist"
            ) from None
        out.append((checklist_label(label), bool(required)))
    return out


# --- operations ---------------------------------------------------------------------------

NEW_CARD_STATUSES = (TaskStatus.BACKLOG, TaskStatus.DRAFTING, TaskStatus.IN_REVIEW)


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
    """Add a card; ``checklist`` holds ``(label, required)`` pairs, kept in order.

    A new card starts in Backlog, Drafting or (with a reviewer) In review: Approved and
    Published are reached only through a sign-off (``approve_task``, ``publish_task``).
    """
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
    if values["status"] not in NEW_CARD_STATUSES:
        raise InputError(
            f"a new card starts in Backlog, Drafting or In review, not "
            f"{STATUS_LABELS[values['status']]}: it gets there through review and sign-off",
            field="status",
        )
    if values["status"] is TaskStatus.IN_REVIEW and not reviewer:
        raise InputError("pick a reviewer first", field="reviewer")
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


def board(
    db: Database,
    *,
    per_column: int = 5,
    owner: str | None = None,
    text: str = "",
    due_by: datetime | None = None,
) -> list[BoardColumn]:
    """The board's columns (archived is not one): each column's count and its soonest cards.

    ``owner``, ``text`` and ``due_by`` narrow it as ``CardFilter`` says; the counts are then
    of the cards that match. One grouped query counts every column; each non-empty column
    then reads at most ``per_column`` cards along ``ix_tasks_status_due`` (a second, undated
    read only when the dated cards do not fill the column).
    """
    per_column = list_limit(per_column, field="per_column", minimum=0)
    wanted = CardFilter(text=text, owner=owner, due_by=due_by)
    with db.read() as session:
        filters = _filter_conditions(session, wanted)
        counts = _column_counts(session, filters)
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


def column_windows(
    db: Database,
    wanted: Mapping[TaskStatus | str, WindowAt],
    *,
    card_filter: CardFilter | None = None,
) -> dict[TaskStatus, ColumnWindow]:
    """Windows of board columns in the board's order, read by key, never by ``OFFSET``.

    ``wanted`` says where each column's window is read (``WindowAt``); every column is
    counted (and each window placed in it) under ``card_filter``, all in one read
    transaction, so the counts and the windows agree. A column of 5,000 cards costs the same
    as one of 50: each read walks ``ix_tasks_status_due`` from the key it starts at and
    stops after ``limit`` rows; an offset is a count along the same index.
    """
    card_filter = card_filter or CardFilter()
    places = {parse_status(status): at for status, at in wanted.items()}
    with db.read() as session:
        filters = _filter_conditions(session, card_filter)
        counts = _column_counts(session, filters)
        initials: dict[int, str] | None = None
        found: dict[TaskStatus, ColumnWindow] = {}
        for status, at in places.items():
            count = counts.get(status, 0)
            rows, offset = _window(session, [Task.status == status, *filters], at, count)
            if rows and initials is None:
                initials = staff_initials(session)
            cards = tuple(to_record(row, initials or {}) for row in rows)
            found[status] = ColumnWindow(status, count, offset, cards)
        return found


def column_window(
    db: Database,
    status: TaskStatus | str,
    at: WindowAt | None = None,
    *,
    card_filter: CardFilter | None = None,
) -> ColumnWindow:
    """One column's window (see ``column_windows``); from its first card when ``at`` is None."""
    status = parse_status(status)
    return column_windows(db, {status: at or WindowAt()}, card_filter=card_filter)[status]


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


def update_task(
    db: Database, task_id: int, base_version: int, *, now: datetime | None = None, **changes: Any
) -> TaskRecord:
    """Save the fields an editor changed, if nobody saved the task since ``base_version``.

    Editable: see ``EDITABLE_FIELDS``; ``owner``/``reviewer`` take initials (None clears).
    A ``status`` change is a move: the other changes are applied first, then the board
    rules of ``move_task`` (without self-approval). A stale ``base_version`` raises
    ``db.errors.ConflictError`` and saves nothing.
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
    target = values.pop("status", None)
    now = _now(now)
    with db.transaction() as session:
        for field in ("owner", "reviewer"):
            if field in changes:
                values[f"{field}_id"] = resolve_staff_id(session, changes[field], field=field)
        row = load_for_update(session, Task, task_id, base_version)
        for key, value in values.items():
            setattr(row, key, value)
        if target is not None:
            _apply_move(session, db, row, target, now=now, allow_self_approval=False)
        session.flush()
        return to_record(row, staff_initials(session))


# --- moving cards -------------------------------------------------------------------------


def check_move(
    task: TaskRecord,
    status: TaskStatus | str,
    *,
    approver: StaffRecord | None,
    open_required: int | Sequence[str],
    allow_self_approval: bool,
    published_url: str | None = None,
) -> str | None:
    """Why moving ``task`` to ``status`` is refused (one line), or None if it is allowed.

    Pure: the caller supplies the facts. ``approver`` is the desk user's staff record (None
    when the user is not on the staff list); it matters only for a move to Approved.
    ``open_required`` is the number, or better the labels, of the card's required checklist
    items not yet done; ``published_url`` the link a move to Published would record
    (default: the card's own). Moving a card to the column it is in is allowed (nothing
    happens).
    """
    refusals = _refusals(
        task,
        parse_status(status),
        approver=approver,
        open_required=open_required,
        allow_self_approval=allow_self_approval,
        published_url=published_url,
    )
    return refusals[0][0] if refusals else None


def move_task(
    db: Database,
    task_id: int,
    base_version: int,
    status: TaskStatus | str,
    *,
    now: datetime | None = None,
    allow_self_approval: bool = False,
    published_url: str | None = None,
) -> TaskRecord:
    """Move a card to ``status`` under the board rules (see the module docstring).

    Moving to Approved signs the card off as the desk user (``approve_task``); moving to
    Published records ``published_url`` (``publish_task``). A refused move raises
    ``InputError`` (one line saying why) and changes nothing; a stale ``base_version``
    raises ``ConflictError``. Moving to the current column changes nothing.
    """
    target = parse_status(status)
    allow_self_approval = boolean(allow_self_approval, field="allow_self_approval")
    link = web_url(published_url, field="published_url")
    now = _now(now)
    with db.transaction() as session:
        row = load_for_update(session, Task, task_id, base_version)
        _apply_move(
            session,
            db,
            row,
            target,
            now=now,
            allow_self_approval=allow_self_approval,
            published_url=link,
        )
        session.flush()
        return to_record(row, staff_initials(session))


def step_task(
    db: Database,
    task_id: int,
    base_version: int,
    direction: int,
    *,
    now: datetime | None = None,
    allow_self_approval: bool = False,
    published_url: str | None = None,
) -> TaskRecord:
    """Move a card one column right (``+1``) or left (``-1``) along ``BOARD_COLUMNS``.

    The same rules as ``move_task`` apply to the column it lands in (a step into Approved is
    a sign-off). Stepping past either end, or stepping an archived card, is an ``InputError``.
    """
    if isinstance(direction, bool) or direction not in (1, -1):
        raise InputError(
            f"a card steps +1 (right) or -1 (left), not {direction!r}", field="direction"
        )
    allow_self_approval = boolean(allow_self_approval, field="allow_self_approval")
    link = web_url(published_url, field="published_url")
    now = _now(now)
    with db.transaction() as session:
        row = load_for_update(session, Task, task_id, base_version)
        current = TaskStatus(row.status)
        if current not in BOARD_COLUMNS:
            raise InputError(
                "an archived card is off the board: move it back to Backlog first",
                field="status",
            )
        index = BOARD_COLUMNS.index(current) + direction
        if not 0 <= index < len(BOARD_COLUMNS):
            where = "first" if direction < 0 else "last"
            raise InputError(
                f"the card is already in {STATUS_LABELS[current]}, the {where} column",
                field="status",
            )
        _apply_move(
            session,
            db,
            row,
            BOARD_COLUMNS[index],
            now=now,
            allow_self_approval=allow_self_approval,
            published_url=link,
        )
        session.flush()
        return to_record(row, staff_initials(session))


def send_for_review(
    db: Database, task_id: int, base_version: int, reviewer: str, *, now: datetime | None = None
) -> TaskRecord:
    """Name the card's reviewer (staff initials) and move it to In review, in one save."""
    now = _now(now)
    with db.transaction() as session:
        reviewer_id = resolve_staff_id(session, reviewer, field="reviewer")
        if reviewer_id is None:
            raise InputError("pick a reviewer first", field="reviewer")
        row = load_for_update(session, Task, task_id, base_version)
        row.reviewer_id = reviewer_id
        _apply_move(session, db, row, TaskStatus.IN_REVIEW, now=now, allow_self_approval=False)
        session.flush()
        return to_record(row, staff_initials(session))


def approve_task(
    db: Database,
    task_id: int,
    base_version: int,
    *,
    now: datetime | None = None,
    allow_self_approval: bool = False,
) -> TaskRecord:
    """Sign the card off as the desk user (the staff member whose initials are the user name).

    The user must be on the staff list, active, allowed to approve and (unless
    ``allow_self_approval``) not the card's owner; the card must be in review.
    """
    return move_task(
        db,
        task_id,
        base_version,
        TaskStatus.APPROVED,
        now=now,
        allow_self_approval=allow_self_approval,
    )


def publish_task(
    db: Database,
    task_id: int,
    base_version: int,
    *,
    published_url: str | None,
    now: datetime | None = None,
    allow_self_approval: bool = False,
) -> TaskRecord:
    """Mark an approved card published, recording the link to what went out.

    Refused unless the card is Approved with a sign-off (not by its owner, unless
    ``allow_self_approval``: the owner may have changed since) and every required checklist
    item is done. ``publish_at`` is set to ``now`` if it was unset. On a card already
    published this only corrects the link.
    """
    return move_task(
        db,
        task_id,
        base_version,
        TaskStatus.PUBLISHED,
        now=now,
        published_url=published_url,
        allow_self_approval=allow_self_approval,
    )


def publish_blockers(db: Database, task_id: int, *, allow_self_approval: bool = False) -> list[str]:
    """Why ``publish_task`` would refuse the card as it is saved now, one line each (the
    first is the one ``publish_task`` says), leaving out its link, which a caller asks for
    next; empty when nothing but the link stands in the way.

    A cheap read a UI makes before asking for the link, so that a refusal costs nothing
    typed. It promises nothing: another desk may change the card meanwhile, and
    ``publish_task`` checks the rules again in its write transaction. A card already
    published has none (publishing it again corrects its link).
    """
    allow_self_approval = boolean(allow_self_approval, field="allow_self_approval")
    with db.read() as session:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFoundError(Task.__tablename__, task_id)
        task = to_record(row, staff_initials(session))
        open_required = _open_required(session, task_id)
    refusals = _refusals(
        task,
        TaskStatus.PUBLISHED,
        approver=None,
        open_required=open_required,
        allow_self_approval=allow_self_approval,
        published_url=None,
    )
    return [reason for reason, field in refusals if field != "published_url"]


def assign_owner(db: Database, task_id: int, base_version: int, owner: str | None) -> TaskRecord:
    """Give the card to a staff member (initials), or to nobody with None or ""."""
    with db.transaction() as session:
        owner_id = resolve_staff_id(session, owner, field="owner")
        row = load_for_update(session, Task, task_id, base_version)
        row.owner_id = owner_id
        session.flush()
        return to_record(row, staff_initials(session))


def current_staff(db: Database) -> StaffRecord | None:
    """The staff member the desk user is (initials equal to the user name), or None.

    This is the ``approver`` to hand to ``check_move``.
    """
    with db.read() as session:
        row = _desk_staff(session, db)
        return None if row is None else staff_record(row)


# --- comments and checklists --------------------------------------------------------------


def add_comment(
    db: Database, task_id: int, body: str, *, now: datetime | None = None
) -> CommentRecord:
    """Add a comment to a card, written by the staff member with the desk user's initials."""
    now = _now(now)
    body = free_text(body, field="body", max_length=COMMENT_MAX, label="comment")
    if not body:
        raise InputError("a comment needs some text", field="body")
    with db.transaction() as session:
        require(session, Task, task_id)
        author = _desk_staff(session, db)
        row = TaskComment(
            task_id=task_id,
            author_id=None if author is None else author.id,
            body=body,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return comment_record(row, None if author is None else author.initials)


def list_comments(db: Database, task_id: int) -> list[CommentRecord]:
    """A card's comments, oldest first; ``NotFoundError`` if the card does not exist."""
    with db.read() as session:
        rows = children(
            session,
            TaskComment,
            TaskComment.task_id,
            Task,
            task_id,
            (TaskComment.created_at, TaskComment.id),
        )
        initials = staff_initials(session)
        return [comment_record(row, initials_of(initials, row.author_id)) for row in rows]


def checklist(db: Database, task_id: int) -> list[ChecklistRecord]:
    """A card's checklist in its order; ``NotFoundError`` if the card does not exist."""
    with db.read() as session:
        rows = children(
            session,
            ChecklistItem,
            ChecklistItem.task_id,
            Task,
            task_id,
            (ChecklistItem.position, ChecklistItem.id),
        )
        initials = staff_initials(session)
        return [checklist_record(row, initials) for row in rows]


def checklist_item(db: Database, item_id: int) -> ChecklistRecord:
    """One checklist item; ``NotFoundError`` if there is none with this id."""
    with db.read() as session:
        row = session.get(ChecklistItem, item_id)
        if row is None:
            raise NotFoundError("checklist_items", item_id)
        return checklist_record(row, staff_initials(session))


def set_checklist_done(
    db: Database, item_id: int, base_version: int, done: bool, *, now: datetime | None = None
) -> ChecklistRecord:
    """Tick (or untick) a checklist item; a tick records who (the desk user) and when."""
    done = boolean(done, field="done")
    now = _now(now)
    with db.transaction() as session:
        author = _desk_staff(session, db)
        row = load_for_update(session, ChecklistItem, item_id, base_version)
        if row.done != done:
            row.done = done
            if done:
                row.done_by_id = None if author is None else author.id
                row.done_at = now
            else:
                row.done_by_id = None
                row.done_at = None
            session.flush()
        return checklist_record(row, staff_initials(session))


def add_checklist_item(
    db: Database, task_id: int, label: str, *, required: bool = False
) -> ChecklistRecord:
    """Add an item at the end of a card's checklist. A ``required`` item must be ticked
    before the card is published. A published or archived card's checklist is closed."""
    ((label, required),) = _checklist([(label, boolean(required, field="required"))])
    with db.transaction() as session:
        card = session.get(Task, task_id)
        if card is None:
            raise NotFoundError("tasks", task_id)
        if card.status in DONE_STATUSES:
            raise InputError(
                f"this card is {STATUS_LABELS[card.status]}: its checklist is closed",
                field="checklist",
            )
        last = session.scalar(
            select(func.max(ChecklistItem.position)).where(ChecklistItem.task_id == task_id)
        )
        row = ChecklistItem(
            task_id=task_id,
            label=label,
            required=required,
            position=0 if last is None else last + 1,
        )
        session.add(row)
        session.flush()
        return checklist_record(row, staff_initials(session))


def remove_checklist_item(db: Database, item_id: int, base_version: int) -> ChecklistRecord:
    """Take an item off its card's checklist; returns what was removed.

    A required item that is not ticked is what stops a card being published, so only a
    staff member who may approve can remove one (anyone else would sign the card past its
    own gate)."""
    with db.transaction() as session:
        row = load_for_update(session, ChecklistItem, item_id, base_version)
        if row.required and not row.done:
            me = _desk_staff(session, db)
            if me is None or not me.active or not me.can_approve:
                raise InputError(
                    f"{row.label!r} is required before publishing: only a staff member who "
                    "may approve can remove it (tick it instead)",
                    field="checklist",
                )
        removed = checklist_record(row, staff_initials(session))
        session.delete(row)
        session.flush()
        return removed


# --- helpers ------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return utcnow() if now is None else aware(now, field="now")


def _desk_staff(session: Session, db: Database) -> Staff | None:
    """The staff row whose initials are the desk user's name, if there is one."""
    return session.scalar(select(Staff).where(Staff.initials == db.actor.user.strip().upper()))


def _open_required(session: Session, task_id: int) -> list[str]:
    """Labels of the card's required checklist items not yet done, in checklist order."""
    return list(
        session.scalars(
            select(ChecklistItem.label)
            .where(
                ChecklistItem.task_id == task_id,
                ChecklistItem.required.is_(True),
                ChecklistItem.done.is_(False),
            )
            .order_by(ChecklistItem.position, ChecklistItem.id)
        )
    )


def _refusals(
    task: TaskRecord,
    target: TaskStatus,
    *,
    approver: StaffRecord | None,
    open_required: int | Sequence[str],
    allow_self_approval: bool,
    published_url: str | None,
) -> list[tuple[str, str]]:
    """Every (reason, field at fault) that refuses the move, the one said first first.

    Only a move to Published can have more than one: its sign-off, its required checklist
    items and its link are separate things to put right (``publish_blockers`` lists them).
    """
    current = TaskStatus(task.status)
    if target is current:
        return []
    if current is TaskStatus.ARCHIVED and target is not TaskStatus.BACKLOG:
        return [("an archived card can only go back to Backlog", "status")]
    if target is TaskStatus.ARCHIVED:
        return []
    if target is TaskStatus.IN_REVIEW and task.reviewer is None:
        return [("pick a reviewer first", "reviewer")]
    if target is TaskStatus.APPROVED:
        refused = _approval_refusal(task, current, approver, allow_self_approval)
        return [] if refused is None else [refused]
    if target is not TaskStatus.PUBLISHED:
        return []
    refusals: list[tuple[str, str]] = []
    if current is not TaskStatus.APPROVED:
        refusals.append(
            (
                f"only an approved card can be published (this one is in "
                f"{STATUS_LABELS[current]}): a card cannot skip review",
                "status",
            )
        )
    elif task.approved_by is None:
        reason = "this card has no sign-off: it must be approved before it is published"
        refusals.append((reason, "status"))
    elif task.approved_by == task.owner and not allow_self_approval:
        # the owner changed after the sign-off, to the one who signed it off
        refusals.append(
            (
                f"{task.owner} signed this card off and now owns it: send it back to review "
                "for someone else's sign-off",
                "status",
            )
        )
    if isinstance(open_required, int):
        count, labels = open_required, ""
    else:
        count, labels = len(open_required), ": " + ", ".join(open_required)
    if count:
        what = "item is" if count == 1 else "items are"
        refusals.append((f"{count} required checklist {what} open{labels}", "checklist"))
    if not (published_url or task.published_url):
        refusals.append(("published needs the link to what went out", "published_url"))
    return refusals


def _approval_refusal(
    task: TaskRecord,
    current: TaskStatus,
    approver: StaffRecord | None,
    allow_self_approval: bool,
) -> tuple[str, str] | None:
    if current not in (TaskStatus.IN_REVIEW, TaskStatus.PUBLISHED):
        return (
            f"a card goes to In review before it is approved (this one is in "
            f"{STATUS_LABELS[current]})",
            "status",
        )
    if approver is None:
        return "you are not on the staff list, so you cannot approve", "status"
    if not approver.active:
        return f"{approver.initials} is not an active staff member, so cannot approve", "status"
    if not approver.can_approve:
        return (
            "only a staff member who may approve can move a card to Approved "
            f"({approver.initials} cannot)",
            "status",
        )
    if task.owner == approver.initials and not allow_self_approval:
        return f"{approver.initials} owns this card: someone else must approve it", "status"
    return None


def _apply_move(
    session: Session,
    db: Database,
    row: Task,
    target: TaskStatus,
    *,
    now: datetime,
    allow_self_approval: bool,
    published_url: str | None = None,
) -> None:
    """Check the board rules on the loaded ``row`` and make the move (not flushed).

    Raises ``InputError`` with the reason when the move is refused; ``row`` is then left as it
    was loaded apart from changes the caller made, which the failed transaction discards.
    """
    current = TaskStatus(row.status)
    if target is current:
        if target is TaskStatus.PUBLISHED and published_url:
            row.published_url = published_url  # correcting the link of a published card
        return
    # The caller may have set fields on ``row`` already: reading must not flush them early
    # (each flush bumps the version and writes an audit row; the move is one change).
    with session.no_autoflush:
        approver = None
        if target is TaskStatus.APPROVED:
            found = _desk_staff(session, db)
            approver = None if found is None else staff_record(found)
        open_required = _open_required(session, row.id) if target is TaskStatus.PUBLISHED else []
        refusals = _refusals(
            to_record(row, staff_initials(session)),
            target,
            approver=approver,
            open_required=open_required,
            allow_self_approval=allow_self_approval,
            published_url=published_url,
        )
    if refusals:  # the first is the one to say
        message, field = refusals[0]
        raise InputError(message, field=field)
    row.status = target
    if target is TaskStatus.APPROVED:
        assert approver is not None  # _refusals refuses a move to Approved without one
        row.approved_by_id = approver.id
        row.approved_at = now
    elif target in BEFORE_SIGN_OFF:
        row.approved_by_id = None
        row.approved_at = None
    elif target is TaskStatus.PUBLISHED:
        if published_url:
            row.published_url = published_url
        if row.publish_at is None:
            row.publish_at = now


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
    session: Session,
    filters: list[Any],
    after: Cursor | None,
    limit: int,
    *,
    backward: bool = False,
) -> list[Task]:
    """Up to ``limit`` tasks matching ``filters`` in (due_at nulls last, id) order after
    ``after`` (from the first when None); ``backward``: the ones before it (from the last
    when None), nearest first.

    Two reads instead of one ``ORDER BY due_at IS NULL, ...``: each follows the
    ``(status, due_at, id)`` index order (backwards too), so SQLite stops after ``limit`` rows
    instead of sorting every match.
    """
    rows: list[Task] = []
    for dated in (False, True) if backward else (True, False):
        if len(rows) >= limit:
            break
        query = _part(filters, after, dated=dated, backward=backward)
        if query is not None:
            rows.extend(session.scalars(query.limit(limit - len(rows))))
    return rows


def _part(
    filters: list[Any], cursor: Cursor | None, *, dated: bool, backward: bool
) -> Select[tuple[Task]] | None:
    """The dated or the undated cards beyond ``cursor`` (past it, or before it going
    ``backward``) in index order; None when all of that part lies behind the cursor."""
    query = select(Task).where(
        *filters, Task.due_at.is_not(None) if dated else Task.due_at.is_(None)
    )
    if cursor is not None:
        due, key = cursor
        if dated and due is not None:
            # The range bound is what the index seeks to; the OR then drops the ties behind.
            if backward:
                query = query.where(Task.due_at <= due, or_(Task.due_at < due, Task.id < key))
            else:
                query = query.where(Task.due_at >= due, or_(Task.due_at > due, Task.id > key))
        elif not dated and due is None:
            query = query.where(Task.id < key if backward else Task.id > key)
        elif dated != backward:
            return None  # dated past an undated card, or undated before a dated one
    order = (Task.due_at, Task.id) if dated else (Task.id,)
    return query.order_by(*(column.desc() for column in order) if backward else order)


def _count_before(session: Session, filters: list[Any], cursor: Cursor) -> int:
    """How many cards matching ``filters`` come before ``cursor`` in the board's order."""
    due, key = cursor
    if due is None:
        before: ColumnElement[bool] = or_(Task.due_at.is_not(None), Task.id < key)
    else:  # the range is what the index seeks to, as in ``_part``
        before = and_(Task.due_at <= due, or_(Task.due_at < due, Task.id < key))
    return int(session.scalar(select(func.count()).select_from(Task).where(*filters, before)) or 0)


def _window(
    session: Session, filters: list[Any], at: WindowAt, count: int
) -> tuple[list[Task], int]:
    """The rows ``at`` asks for, in the board's order, and how many come before the first."""
    limit = list_limit(at.limit)
    places = [at.after, at.before, at.around, at.last or None]
    if sum(place is not None for place in places) > 1:
        raise InputError("a window starts after, before, around or at the last card", field="at")
    after, before, around = _cursor(at.after), _cursor(at.before), _cursor(at.around)
    lead = list_limit(at.lead, field="lead", minimum=0, maximum=limit - 1)
    if count == 0:
        return [], 0
    if at.last:
        rows = _due_order(session, filters, None, limit, backward=True)[::-1]
        return rows, count - len(rows)
    if before is not None:
        rows = _due_order(session, filters, before, limit, backward=True)[::-1]
        reached_first = len(rows) < limit
    elif around is not None:
        due, key = around
        # The card itself and those after it: the ones after the place one id before it.
        following = _due_order(session, filters, (due, key - 1), limit - lead)
        room = limit - len(following)
        leading = _due_order(session, filters, around, room, backward=True) if room else []
        reached_first = len(leading) < room
        if reached_first and following and len(following) == limit - lead:
            last = following[-1]  # near the first card: the rest of the window after it
            more = limit - len(leading) - len(following)
            following += _due_order(session, filters, (last.due_at, last.id), more)
        rows = leading[::-1] + following
    else:
        rows = _due_order(session, filters, after, limit)
        reached_first = after is None
        if not rows:  # nothing after it: the window is past the end
            return [], count
    if reached_first or not rows:
        return rows, 0
    return rows, _count_before(session, filters, (rows[0].due_at, rows[0].id))


def _filter_conditions(session: Session, card_filter: CardFilter) -> list[Any]:
    """``CardFilter`` as SQL conditions (the owner's initials looked up first)."""
    conditions: list[Any] = []
    if card_filter.owner is not None:
        owner_id = resolve_staff_id(session, card_filter.owner, field="owner")
        conditions.append(Task.owner_id == owner_id)
    due_by = aware_or_none(card_filter.due_by, field="due_by")
    if due_by is not None:
        conditions += [Task.due_at <= due_by, Task.status.not_in(DONE_STATUSES)]
    if search_words(card_filter.text, field="text"):
        staff = {key: fold(initials) for key, initials in staff_initials(session).items()}

        def owned_by(word: str) -> ColumnElement[bool] | None:
            owners = [key for key, initials in staff.items() if word in initials]
            return Task.owner_id.in_(owners) if owners else None

        conditions += every_word(card_filter.text, Task.search_text, field="text", also=owned_by)
    return conditions


def _column_counts(session: Session, filters: list[Any]) -> dict[TaskStatus, int]:
    """Each board column's cards matching ``filters``: one grouped query."""
    counted = session.execute(
        select(Task.status, func.count())
        .where(Task.status.in_(BOARD_COLUMNS), *filters)
        .group_by(Task.status)
    )
    return {TaskStatus(status): int(count) for status, count in counted}
