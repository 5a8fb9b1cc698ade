"""Stories: syndicated copies of one report grouped under its first clip.

Ingest (``deskterm.core.ingest``) sets ``story_id`` on a copy to the id of the story's
first clip; the first clip keeps ``story_id`` NULL. The reader shows the others as
"also in".

``clips.story_id`` has no index of its own (schema 0001), and scanning a million clips
for it takes over a second. But every copy joined its story because it shares a
``title_key`` or a ``content_hash`` (both indexed) with a clip already in the story, so
the members are found by following those keys from the first clip, a few indexed
lookups per hop.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select

from db.engine import Database
from db.errors import NotFoundError
from db.models import Clip
from deskterm.core.clips import ClipRecord, _clip_select, clip_record

MAX_ALSO_IN = 100
MAX_HOPS = 8
#: Copies join within 48 h of a member (ingest.TITLE_WINDOW), so a story spans days, not
#: months: the title lookups stay inside this window around the first clip.
STORY_SPAN = timedelta(days=30)


def also_in(db: Database, clip_id: int, *, limit: int = MAX_ALSO_IN) -> list[ClipRecord]:
    """The other clips of ``clip_id``'s story (the first clip and its copies, without
    ``clip_id`` itself), oldest first; [] for a clip that is nobody's copy and has none."""
    limit = max(1, min(limit, MAX_ALSO_IN))
    with db.read() as session:
        found = session.execute(select(Clip.story_id).where(Clip.id == clip_id)).one_or_none()
        if found is None:
            raise NotFoundError("clips", clip_id)
        root_id = found[0] or clip_id
        root = session.execute(
            select(Clip.title_key, Clip.content_hash, Clip.published_at).where(Clip.id == root_id)
        ).one_or_none()
        if root is None:
            return []
        low, high = root[2] - STORY_SPAN, root[2] + STORY_SPAN
        members = {root_id}
        titles, hashes = {root[0]} - {""}, {root[1]} - {None}
        seen_titles: set[str] = set()
        seen_hashes: set[str] = set()
        for _hop in range(MAX_HOPS):
            new_titles, new_hashes = titles - seen_titles, hashes - seen_hashes
            if not (new_titles or new_hashes) or len(members) > limit:
                break
            seen_titles |= new_titles
            seen_hashes |= new_hashes
            rows = session.execute(
                select(Clip.id, Clip.title_key, Clip.content_hash).where(
                    Clip.story_id == root_id,
                    or_(
                        and_(
                            Clip.title_key.in_(sorted(new_titles)),
                            Clip.published_at >= low,
                            Clip.published_at <= high,
                        ),
                        Clip.content_hash.in_(sorted(new_hashes)),
                    ),
                )
            )
            for member_id, title_key, content_hash in rows:
                members.add(member_id)
                if title_key:
                    titles.add(title_key)
                if content_hash:
                    hashes.add(content_hash)
        members.discard(clip_id)
        if not members:
            return []
        rows = session.execute(
            _clip_select()
            .where(Clip.id.in_(sorted(members)))
            .order_by(Clip.published_at, Clip.id)
            .limit(limit)
        )
        return [clip_record(*row) for row in rows]
