"""The desk's tables as typed SQLAlchemy models.

Every editable table carries ``version`` (checked on update, see ``db.versioning``) and
``created_at``/``updated_at`` in UTC. Enumerations are strings with CHECK constraints.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db import errors, search_text
from db.base import Base, UTCDateTime, utcnow
from db.enums import (
    Accuracy,
    Attribution,
    AuditAction,
    EntityType,
    EventKind,
    EventStatus,
    NoteKind,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
    StaffRole,
    TaskKind,
    TaskStatus,
)
from db.stored import FEED_NAME_MAX


def folded(table: str, column: str) -> Mapped[str]:
    """A stored, folded copy of searched fields (``db.search_text``): kept in step on every
    write, never edited, left out of audit rows, and not loaded with the row (only the
    searches' WHERE clauses read it)."""
    return mapped_column(
        Text,
        default=search_text.core_default(table, column),
        server_default=text("''"),
        deferred=True,
        info={search_text.DERIVED: True},
    )


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, stored by value."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda cls: [member.value for member in cls],
    )


class Versioned:
    """Mixin: optimistic-concurrency version plus creation/update times.

    ``describe()`` names a row the way people know it, for one-line messages (a conflict
    says which card, not "tasks 12"): ``db.errors.NOUNS`` says what they call a row of the
    table and ``NAMED_BY`` the column they know it by (without one: the id)."""

    NAMED_BY: ClassVar[str | None] = None
    NAME_LIMIT: ClassVar[int] = 60

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    def describe(self) -> str:
        noun = errors.noun(getattr(self, "__tablename__", type(self).__name__))
        name = getattr(self, self.NAMED_BY) if self.NAMED_BY else None
        if not name:
            return f"{noun} {getattr(self, 'id', '?')}"
        name = " ".join(str(name).split())  # one line; callers escape what they show
        if len(name) > self.NAME_LIMIT:
            name = name[: self.NAME_LIMIT - 1] + "…"
        return f"{noun} “{name}”"


class Staff(Versioned, Base):
    __tablename__ = "staff"
    NAMED_BY = "initials"

    id: Mapped[int] = mapped_column(primary_key=True)
    initials: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))
    can_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Outlet(Versioned, Base):
    __tablename__ = "outlets"
    NAMED_BY = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[OutletType] = mapped_column(str_enum(OutletType, "outlet_type"))
    language: Mapped[str] = mapped_column(String(16), default="en")
    reach: Mapped[int | None] = mapped_column(Integer)
    website: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str] = mapped_column(Text, default="")
    search_name: Mapped[str] = folded("outlets", "search_name")
    search_text: Mapped[str] = folded("outlets", "search_text")

    __mapper_args__ = {"version_id_col": Versioned.version}


class Contact(Versioned, Base):
    __tablename__ = "contacts"
    NAMED_BY = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))
    beat: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    social: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16), default="en")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    last_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_name: Mapped[str] = folded("contacts", "search_name")
    search_text: Mapped[str] = folded("contacts", "search_text")

    outlet: Mapped[Outlet | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": Versioned.version}


class Topic(Versioned, Base):
    """A watch rule: clips matching ``query`` are tagged with the topic."""

    __tablename__ = "topics"
    NAMED_BY = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 = highest
    outlet_types: Mapped[str] = mapped_column(String(200), default="")  # comma list, "" = any
    languages: Mapped[str] = mapped_column(String(200), default="")  # comma list, "" = any
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Feed(Versioned, Base):
    __tablename__ = "feeds"
    NAMED_BY = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(FEED_NAME_MAX))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    poll_minutes: Mapped[int] = mapped_column(Integer, default=10)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # health
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str] = mapped_column(String(32), default="never")
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    warning: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    #: digest of the last body parsed and stored without error: the same bytes again
    #: (a server that ignores conditional GET) are not parsed again
    body_hash: Mapped[str | None] = mapped_column(String(64))
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Clip(Versioned, Base):
    """One story from a feed. ``story_id`` groups syndicated copies under the original."""

    __tablename__ = "clips"
    NAMED_BY = "title"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid"),
        Index("ix_clips_published", "published_at"),
        Index(
            "ix_clips_unread_published",
            "published_at",
            # Partial on SQLite (a full index elsewhere): naming postgresql_where here
            # would import the PostgreSQL dialect at every start.
            sqlite_where=text("is_read = 0 AND hidden = 0"),
        ),
        Index("ix_clips_url", "url"),
        Index("ix_clips_title_key", "title_key", "published_at"),
        # the day's clip report: the few clips flagged that day (NULL for all others)
        Index("ix_clips_flagged_at", "flagged_at", sqlite_where=text("flagged_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))
    guid: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title_key: Mapped[str] = mapped_column(String(500), default="")
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id", ondelete="SET NULL"))
    # triage
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when it was flagged (the clip report of that day lists it); NULL when not flagged
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    needs_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_note: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": Versioned.version}


class ClipTopic(Base):
    __tablename__ = "clip_topics"

    clip_id: Mapped[int] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    matched_terms: Mapped[str] = mapped_column(Text, default="")


class FeedCopy(Base):
    """An entry of a feed that is not stored because its link is already a clip's
    (another feed's copy of that story). Remembered so that a re-fetch of the feed knows
    every entry it carries and need not normalise the document again
    (``ingest.recent_guids``); the memory holds only while a clip with ``url`` exists."""

    __tablename__ = "feed_copies"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    guid: Mapped[str] = mapped_column(String(2000), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Request(Versioned, Base):
    """A media, constituent or public-records request."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_open_urgency", "status", "deadline_at", "received_at"),
        Index("ix_requests_assignee", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, "request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "request_status"), default=RequestStatus.NEW
    )
    # intake
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[RequestChannel] = mapped_column(
        str_enum(RequestChannel, "request_channel"), default=RequestChannel.PHONE
    )
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # requester
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    requester_email: Mapped[str | None] = mapped_column(String(320))
    requester_phone: Mapped[str | None] = mapped_column(String(64))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id", ondelete="SET NULL"))
    outlet_name: Mapped[str] = mapped_column(String(200), default="")
    # substance
    subject: Mapped[str] = mapped_column(String(500))
    questions: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(Text, default="")
    also_talking_to: Mapped[str] = mapped_column(Text, default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    departments: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "priority"), default=Priority.NORMAL
    )
    # routing
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    spokesperson_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # approval
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_kind: Mapped[str] = mapped_column(String(32), default="")  # legal, leadership
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # response
    response_method: Mapped[ResponseMethod | None] = mapped_column(
        str_enum(ResponseMethod, "response_method")
    )
    attribution: Mapped[Attribution | None] = mapped_column(str_enum(Attribution, "attribution"))
    embargo_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_text: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # outcome
    published_url: Mapped[str | None] = mapped_column(String(2000))
    accuracy: Mapped[Accuracy | None] = mapped_column(str_enum(Accuracy, "accuracy"))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # statutory clock (public-records requests)
    statutory_days: Mapped[int | None] = mapped_column(Integer)
    clock_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_paused_business_days: Mapped[int] = mapped_column(Integer, default=0)
    search_text: Mapped[str] = folded("requests", "search_text")

    __mapper_args__ = {"version_id_col": Versioned.version}

    def describe(self) -> str:
        return self.number  # the tracking number people quote: M-2026-0006


class RequestNote(Versioned, Base):
    __tablename__ = "request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NoteKind] = mapped_column(str_enum(NoteKind, "note_kind"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": Versioned.version}


class ResponseTemplate(Versioned, Base):
    __tablename__ = "response_templates"
    NAMED_BY = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[RequestKind | None] = mapped_column(str_enum(RequestKind, "template_kind"))
    body: Mapped[str] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Task(Versioned, Base):
    """A card on the team board."""

    __tablename__ = "tasks"
    NAMED_BY = "title"
    __table_args__ = (
        Index("ix_tasks_status_due", "status", "due_at"),
        Index("ix_tasks_publish_at", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind, "task_kind"), default=TaskKind.OTHER)
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.BACKLOG
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channels: Mapped[str] = mapped_column(String(500), default="")  # comma list
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "task_priority"), default=Priority.NORMAL
    )
    language: Mapped[str] = mapped_column(String(16), default="en")
    translations_owed: Mapped[str] = mapped_column(String(200), default="")  # e.g. "es"
    body: Mapped[str] = mapped_column(Text, default="")
    draft_link: Mapped[str | None] = mapped_column(String(2000))
    published_url: Mapped[str | None] = mapped_column(String(2000))
    position: Mapped[float] = mapped_column(default=0.0)
    search_text: Mapped[str] = folded("tasks", "search_text")

    __mapper_args__ = {"version_id_col": Versioned.version}


class ChecklistItem(Versioned, Base):
    __tablename__ = "checklist_items"
    NAMED_BY = "label"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": Versioned.version}


class TaskComment(Versioned, Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": Versioned.version}


class Event(Versioned, Base):
    """A calendar entry: ``rrule`` makes a series, ``parent_id`` overrides one occurrence."""

    __tablename__ = "events"
    NAMED_BY = "title"
    __table_args__ = (
        Index("ix_events_starts", "starts_at"),
        Index("ix_events_recurring", "rrule", sqlite_where=text("rrule IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.CONFIRMED
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA, or "floating"
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(String(500), default="")
    leaders: Mapped[str] = mapped_column(String(500), default="")  # comma list of key leaders
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    rrule: Mapped[str | None] = mapped_column(Text)
    exdates: Mapped[str] = mapped_column(Text, default="")  # comma list of UTC ISO times
    rdates: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    __mapper_args__ = {"version_id_col": Versioned.version}


Index(
    "uq_events_uid_recurrence",
    Event.uid,
    Event.recurrence_id,
    unique=True,
)


class Link(Base):
    """A link between two records (clip, request, task, event), stored once per pair."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("from_type", "from_id", "to_type", "to_id"),
        Index("ix_links_to", "to_type", "to_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_type: Mapped[EntityType] = mapped_column(str_enum(EntityType, "link_from_type"))
    from_id: Mapped[int] = mapped_column(Integer)
    to_type: Mapped[EntityType] = mapped_column(str_enum(EntityType, "link_to_type"))
    to_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class AuditLog(Base):
    """Append-only record of every change; its ids never repeat, so it doubles as a change feed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field -> [old, new]


class Presence(Base):
    """One row per running desk, refreshed by a heartbeat."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("host", "pid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    editing_entity: Mapped[str | None] = mapped_column(String(64))
    editing_id: Mapped[int | None] = mapped_column(Integer)


EDITABLE_MODELS: tuple[type[Base], ...] = (
    Staff,
    Outlet,
    Contact,
    Topic,
    Feed,
    Clip,
    Request,
    RequestNote,
    ResponseTemplate,
    Task,
    ChecklistItem,
    TaskComment,
    Event,
)

for _model in (Outlet, Contact, Request, Task):
    search_text.install(_model)
