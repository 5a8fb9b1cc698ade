"""The board's records and what builds them, with the standard library alone.

A card, a checklist item and a comment as the desk shows them (frozen dataclasses), the
board's columns and windows, the filter and the places a window is read from, and the
functions that build records from a row: an ORM row (``db.models.Task``...) or the same
columns read through ``sqlite3`` (``db.plain_rows.Values``, times as stored). The desk
paints the board from these before SQLAlchemy is imported (``deskterm.core.board_read``);
``deskterm.core.tasks`` re-exports every name, so its importers are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.enums import Priority, TaskKind, TaskStatus
from db.stored import stored_time
from deskterm.core.fields import split_list

BOARD_COLUMNS: tuple[TaskStatus, ...] = (
    TaskStatus.BACKLOG,
    TaskStatus.DRAFTING,
    TaskStatus.IN_REVIEW,
    TaskStatus.APPROVED,
    TaskStatus.PUBLISHED,
)
DONE_STATUSES: frozenset[TaskStatus] = frozenset({TaskStatus.PUBLISHED, TaskStatus.ARCHIVED})
#: Column names as people say them (messages, headings).
STATUS_LABELS: dict[TaskStatus, str] = {
    TaskStatus.BACKLOG: "Backlog",
    TaskStatus.DRAFTING: "Drafting",
    TaskStatus.IN_REVIEW: "In review",
    TaskStatus.APPROVED: "Approved",
    TaskStatus.PUBLISHED: "Published",
    TaskStatus.ARCHIVED: "Archived",
}


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
class ChecklistRecord:
    id: int
    label: str
    required: bool
    done: bool
    done_by: str | None  # initials
    done_at: datetime | None
    version: int
    task_id: int


@dataclass(frozen=True)
class CommentRecord:
    id: int
    task_id: int
    author: str | None  # initials; None when the desk user is not on the staff list
    body: str
    created_at: datetime
    version: int


@dataclass(frozen=True)
class BoardColumn:
    status: TaskStatus
    count: int
    cards: tuple[TaskRecord, ...]


Cursor = tuple[datetime | None, int]
"""A card's place in the board's order: its ``(due_at, id)``."""


@dataclass(frozen=True)
class CardFilter:
    """What narrows the board, all of it in SQL.

    ``text`` is the pane's filter, as ``deskterm.core.matching`` reads it: every typed word
    (or "quoted phrase") somewhere in the title, the kind's name (``press_release``) or the
    owner's initials, in any order, also inside a word, any case, any accents ("elan" finds
    "Élan", "STRASSE" "Straße"). Title and kind are read from the card's folded
    ``search_text``; the owner's initials are matched against the staff list (folded the same
    way), then an ``IN``. ``owner`` keeps one staff member's cards (initials). ``due_by``
    keeps the open cards due at or before it (the overdue ones too): not undated cards,
    nothing published.
    """

    text: str = ""
    owner: str | None = None
    due_by: datetime | None = None


@dataclass(frozen=True)
class WindowAt:
    """Where a column's window is read, by key; at most ``limit`` cards.

    * nothing given: from the column's first card;
    * ``after``: the cards after that place (exclusive), the next window going down;
    * ``before``: the cards before it (exclusive), the window above;
    * ``around``: the card at that place (or where it would be) with at most ``lead`` cards
      before it and the rest after it; where the column ends on one side, more from the
      other, so that the window is full whenever the column has ``limit`` cards.
      A window kept through a reload is read ``around`` its first card with ``lead=0``;
    * ``last``: the column's last ``limit`` cards.
    """

    limit: int = 100
    after: Cursor | None = None
    before: Cursor | None = None
    around: Cursor | None = None
    lead: int = 0
    last: bool = False


@dataclass(frozen=True)
class ColumnWindow:
    """Consecutive cards of one column (in the board's order) and where they are in it."""

    status: TaskStatus
    count: int  # the column's cards that match the filter
    offset: int  # how many of them come before ``cards[0]``
    cards: tuple[TaskRecord, ...]

    @property
    def more_before(self) -> bool:
        return self.offset > 0

    @property
    def more_after(self) -> bool:
        return self.offset + len(self.cards) < self.count


def to_record(row: Any, initials: dict[int, str]) -> TaskRecord:
    """A record of ``row``: a ``db.models.Task``, or the tasks table's columns as stored
    (``db.plain_rows.Values``: enums their value, times UTC text). ``initials`` maps staff
    ids to initials (``staff_initials``)."""
    return TaskRecord(
        id=row.id,
        title=row.title,
        kind=TaskKind(row.kind),
        status=TaskStatus(row.status),
        owner=initials_of(initials, row.owner_id),
        reviewer=initials_of(initials, row.reviewer_id),
        approved_by=initials_of(initials, row.approved_by_id),
        approved_at=_moment(row.approved_at),
        due_at=_moment(row.due_at),
        publish_at=_moment(row.publish_at),
        channels=split_list(row.channels),
        priority=Priority(row.priority),
        language=row.language,
        translations_owed=row.translations_owed,
        body=row.body,
        draft_link=row.draft_link,
        published_url=row.published_url,
        version=row.version,
    )


def _moment(value: datetime | str | None) -> datetime | None:
    """A time from an ORM row (a datetime, kept as it is) or as stored (UTC text)."""
    return stored_time(value) if isinstance(value, str) else value


def comment_record(row: Any, author: str | None) -> CommentRecord:
    return CommentRecord(row.id, row.task_id, author, row.body, row.created_at, row.version)


def checklist_record(row: Any, initials: dict[int, str]) -> ChecklistRecord:
    return ChecklistRecord(
        id=row.id,
        label=row.label,
        required=row.required,
        done=row.done,
        done_by=initials_of(initials, row.done_by_id),
        done_at=row.done_at,
        version=row.version,
        task_id=row.task_id,
    )


def initials_of(initials: dict[int, str], staff_id: int | None) -> str | None:
    return None if staff_id is None else initials.get(staff_id)
