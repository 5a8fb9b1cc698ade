"""Which clips a list shows: the triage states of ``deskterm clips list --state`` and a
window of clips filtered by state, time and topic (newest first, keyset paging)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, false, literal, select, true, tuple_

from db.engine import Database
from db.models import Clip, ClipTopic
from deskterm.core.clips import ClipRecord, _clip_select, clip_record
from deskterm.core.fields import aware, list_limit, parse_choice


class ClipState(StrEnum):
    VISIBLE = "visible"  # everything not hidden (the desk's normal view)
    UNREAD = "unread"
    FLAGGED = "flagged"  # flagged for the daily clip report
    HIDDEN = "hidden"
    CORRECTION = "correction"  # needs a correction
    ALL = "all"  # hidden ones too


def parse_state(value: ClipState | str) -> ClipState:
    return parse_choice(ClipState, value, field="state")


def state_conditions(state: ClipState | str) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``Clip`` for a state (hidden clips only in HIDDEN and ALL)."""
    state = parse_state(state)
    if state is ClipState.ALL:
        return []
    if state is ClipState.HIDDEN:
        return [Clip.hidden == true()]
    conditions = [Clip.hidden == false()]
    if state is ClipState.UNREAD:
        conditions.append(Clip.is_read == false())
    elif state is ClipState.FLAGGED:
        conditions.append(Clip.flagged == true())
    elif state is ClipState.CORRECTION:
        conditions.append(Clip.needs_correction == true())
    return conditions


def filter_conditions(
    *,
    state: ClipState | str = ClipState.VISIBLE,
    since: datetime | None = None,
    topic_id: int | None = None,
) -> list[ColumnElement[bool]]:
    conditions = state_conditions(state)
    if since is not None:
        conditions.append(Clip.published_at >= aware(since, field="since"))
    if topic_id is not None:
        conditions.append(
            Clip.id.in_(select(ClipTopic.clip_id).where(ClipTopic.topic_id == int(topic_id)))
        )
    return conditions


def browse_clips(
    db: Database,
    *,
    state: ClipState | str = ClipState.VISIBLE,
    since: datetime | None = None,
    topic_id: int | None = None,
    limit: int = 100,
    before: tuple[datetime, int] | None = None,
) -> list[ClipRecord]:
    """A window of clips in ``state``, newest first by (published_at, id); for the next
    window pass the last record's ``(published_at, id)`` as ``before``."""
    limit = list_limit(limit)
    query = _clip_select().where(*filter_conditions(state=state, since=since, topic_id=topic_id))
    if before is not None:
        before_at = aware(before[0], field="before")
        query = query.where(
            tuple_(Clip.published_at, Clip.id)
            < tuple_(literal(before_at, Clip.published_at.type), literal(int(before[1])))
        )
    query = query.order_by(Clip.published_at.desc(), Clip.id.desc()).limit(limit)
    with db.read() as session:
        return [clip_record(*found) for found in session.execute(query)]
