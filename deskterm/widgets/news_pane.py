"""News: today's clips, newest first, unread marked."""

from __future__ import annotations

from deskterm.core.clips import count_unread, list_clips
from deskterm.widgets.pane import Pane, PaneContext
from deskterm.widgets.table import Column, Row, cell
from deskterm.widgets.timefmt import clock, start_of_day

WINDOW = 300


class NewsPane(Pane):
    TITLE = "News"
    NUMBER = "1"
    ENTITIES = frozenset({"clips", "feeds", "clip_topics", "topics"})
    EMPTY = "No stories today yet. Add a feed with: deskterm feeds add URL"
    COLUMNS = (
        Column("", 2),
        Column("Time", 5),
        Column("Outlet", None, hide_below=50, weight=1, min_width=12),
        Column("Headline", None, weight=4),
    )

    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        since = start_of_day(context.now, context.tz)
        clips = list_clips(context.db, since=since, text=context.text or None, limit=WINDOW)
        unread = count_unread(context.db, since=since)
        rows = [
            Row(
                key=f"clip-{clip.id}",
                cells=(
                    cell(("⚑" if clip.flagged else "") + ("●" if not clip.is_read else " ")),
                    cell(clock(clip.published_at, context.tz), "dim"),
                    cell(clip.outlet or clip.feed, "italic"),
                    cell(clip.title, "" if clip.is_read else "bold"),
                ),
                item=clip,
            )
            for clip in clips
        ]
        shown = f"{len(rows)}{'+' if len(rows) == WINDOW else ''} today"
        return rows, f"{shown} · {unread} unread"
