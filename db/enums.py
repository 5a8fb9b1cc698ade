"""Closed vocabularies, stored as strings with CHECK constraints (portable to PostgreSQL)."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    PRESS_SECRETARY = "press_secretary"
    COMMS_DIRECTOR = "comms_director"
    PIO = "pio"
    SPOKESPERSON = "spokesperson"
    CONSTITUENT_ENGAGEMENT = "constituent_engagement"
    OTHER = "other"


class OutletType(StrEnum):
    PRINT = "print"
    TV = "tv"
    RADIO = "radio"
    ONLINE = "online"
    COMMUNITY_ETHNIC = "community_ethnic"
    TRADE = "trade"
    NATIONAL = "national"
    GOVERNMENT = "government"


class RequestKind(StrEnum):
    MEDIA = "media"
    CONSTITUENT = "constituent"
    RECORDS = "records"


class RequestChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    WEB_FORM = "web_form"


class RequestStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    DRAFTING = "drafting"
    IN_REVIEW = "in_review"
    RESPONDED = "responded"
    CLOSED = "closed"
    DECLINED = "declined"
    REOPENED = "reopened"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ResponseMethod(StrEnum):
    STATEMENT = "statement"
    INTERVIEW = "interview"
    BACKGROUND = "background"
    DECLINED = "declined"
    NO_COMMENT = "no_comment"


class Attribution(StrEnum):
    ON_THE_RECORD = "on_the_record"
    ON_BACKGROUND = "on_background"
    NOT_FOR_ATTRIBUTION = "not_for_attribution"


class Accuracy(StrEnum):
    CORRECT = "correct"
    NEEDS_CORRECTION = "needs_correction"


class NoteKind(StrEnum):
    INTERNAL = "internal"
    TO_REQUESTER = "to_requester"
    FROM_REQUESTER = "from_requester"


class TaskKind(StrEnum):
    PRESS_RELEASE = "press_release"
    STATEMENT = "statement"
    REMARKS = "remarks"
    SOCIAL_POST = "social_post"
    NEWSLETTER = "newsletter"
    OP_ED = "op_ed"
    TALKING_POINTS = "talking_points"
    WEB_UPDATE = "web_update"
    VIDEO = "video"
    MEDIA_ADVISORY = "media_advisory"
    OTHER = "other"


class TaskStatus(StrEnum):
    BACKLOG = "backlog"
    DRAFTING = "drafting"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class EventKind(StrEnum):
    PRESS_CONFERENCE = "press_conference"
    PUBLIC_APPEARANCE = "public_appearance"
    INTERVIEW = "interview"
    TV = "tv"
    RADIO = "radio"
    COUNCIL_MEETING = "council_meeting"
    COMMUNITY_EVENT = "community_event"
    INTERNAL_MEETING = "internal_meeting"
    SCHEDULED_POST = "scheduled_post"
    EMBARGO_LIFT = "embargo_lift"
    DEADLINE = "deadline"


class EventStatus(StrEnum):
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class EntityType(StrEnum):
    """Things a link can join."""

    CLIP = "clip"
    REQUEST = "request"
    TASK = "task"
    EVENT = "event"


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
