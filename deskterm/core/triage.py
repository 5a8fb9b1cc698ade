"""From a clip to work: a media request or a task prefilled from the clip and linked to it.

The prefill is what a person would otherwise retype (the outlet, the reporter, the headline,
the link); they confirm or change it in a form, then ``request_from_clip`` /
``task_from_clip`` create the record and link it to the clip (``core/links.py``), so the
request's or card's detail view shows the story it answers and the clip shows its follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db.engine import Database
from db.enums import EntityType, RequestChannel, RequestKind, TaskKind, TaskStatus
from db.errors import DatabaseError
from deskterm.core import clips, requests, tasks
from deskterm.core.clip_text import truncate
from deskterm.core.clips import ClipRecord
from deskterm.core.errors import InputError
from deskterm.core.links import add_link

SUBJECT_LIMIT = requests.SUBJECT_MAX
TITLE_LIMIT = 300
EXCERPT_LIMIT = 1500


@dataclass(frozen=True)
class RequestPrefill:
    kind: RequestKind
    requester: str
    outlet: str
    subject: str
    background: str
    assignee: str
    channel: RequestChannel


@dataclass(frozen=True)
class TaskPrefill:
    title: str
    kind: TaskKind
    owner: str
    body: str


def _clip_context(clip: ClipRecord) -> str:
    """The story the record answers, as a block for a request's background or a card's body."""
    lines = [
        f"From the clip: {clip.title}",
        f"Outlet: {clip.outlet or clip.feed}",
        f"Published: {clip.published_at:%Y-%m-%d %H:%M} UTC",
    ]
    if clip.author:
        lines.append(f"By: {clip.author}")
    if clip.url:
        lines.append(f"Link: {clip.url}")
    if clip.needs_correction and clip.correction_note:
        lines.append(f"Needs a correction: {clip.correction_note}")
    if clip.summary:
        lines.extend(["", truncate(clip.summary, EXCERPT_LIMIT)])
    return "\n".join(lines)


def request_prefill(clip: ClipRecord) -> RequestPrefill:
    """A media request about this story: its outlet and reporter, its headline as subject."""
    return RequestPrefill(
        kind=RequestKind.MEDIA,
        requester=truncate(clip.author, requests.NAME_MAX) if clip.author else "",
        outlet=truncate(clip.outlet or clip.feed, requests.NAME_MAX),
        subject=truncate(clip.title, SUBJECT_LIMIT),
        background=_clip_context(clip),
        assignee=clip.assignee or "",
        channel=RequestChannel.EMAIL,
    )


def task_prefill(clip: ClipRecord) -> TaskPrefill:
    """A card to answer the story: a correction request when one is needed, else a statement."""
    if clip.needs_correction:
        title, kind = f"Correction request: {clip.title}", TaskKind.OTHER
    else:
        title, kind = f"Respond: {clip.title}", TaskKind.STATEMENT
    return TaskPrefill(
        title=truncate(title, TITLE_LIMIT),
        kind=kind,
        owner=clip.assignee or "",
        body=_clip_context(clip),
    )


@dataclass(frozen=True)
class Created:
    """What was made from a clip, and whether the link to the clip was saved."""

    record: requests.RequestRecord | tasks.TaskRecord
    linked: bool
    link_error: str = ""


def _link(db: Database, kind: EntityType, record_id: int, clip_id: int) -> tuple[bool, str]:
    # The record is already committed (create_* owns its transaction); a link that fails
    # (busy past the retries, the clip deleted meanwhile) is reported, never hidden.
    try:
        add_link(db, kind, record_id, EntityType.CLIP, clip_id)
    except (InputError, DatabaseError) as error:
        return False, str(error)
    return True, ""


def request_from_clip(
    db: Database,
    clip_id: int,
    *,
    subject: str,
    requester: str = "",
    outlet: str = "",
    deadline: datetime | None = None,
    assignee: str | None = None,
    kind: RequestKind | str = RequestKind.MEDIA,
    channel: RequestChannel | str = RequestChannel.EMAIL,
    background: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> Created:
    """Log a request about the clip (validated by ``create_request``) and link the two.

    ``background`` defaults to the clip's headline, outlet, link and excerpt. With no
    ``language`` the request takes its linked outlet's, as any new request does; when the
    outlet typed is no known outlet (a feed with no outlet), the clip's own language (its
    feed's), else ``en``.
    """
    clip = clips.get_clip(db, clip_id)
    record = requests.create_request(
        db,
        kind=kind,
        subject=subject,
        requester=requester,
        outlet=outlet,
        deadline=deadline,
        assignee=(assignee or "").strip() or None,
        channel=channel,
        background=_clip_context(clip) if background is None else background,
        language=language,
        fallback_language=clip.language,
        now=now,
    )
    linked, error = _link(db, EntityType.REQUEST, record.id, clip.id)
    return Created(record, linked, error)


def task_from_clip(
    db: Database,
    clip_id: int,
    *,
    title: str,
    kind: TaskKind | str = TaskKind.STATEMENT,
    owner: str | None = None,
    due_at: datetime | None = None,
    status: TaskStatus | str = TaskStatus.BACKLOG,
    body: str | None = None,
) -> Created:
    """Add a card answering the clip (validated by ``create_task``) and link the two.

    ``body`` defaults to the clip's headline, outlet, link and excerpt.
    """
    clip = clips.get_clip(db, clip_id)
    record = tasks.create_task(
        db,
        title=title,
        kind=kind,
        status=status,
        owner=(owner or "").strip() or None,
        due_at=due_at,
        body=_clip_context(clip) if body is None else body,
        draft_link=None,
    )
    linked, error = _link(db, EntityType.TASK, record.id, clip.id)
    return Created(record, linked, error)
