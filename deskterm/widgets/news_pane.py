"""News: today's clips, newest first (or grouped by topic), with the triage keys.

``enter`` opens the reader; r/f/x/a/c/m/t/o/y triage the selected clip (see
``clip_triage.py``); ``u`` shows unread only, ``v`` groups by topic or by time, ``X`` shows
hidden clips; ``/`` searches every clip (full text) and falls back to a headline filter
when the text is not a valid query. The feed-health view, the topic editor and the daily
clip report are reached from here (and from the palette).

Every load but a search reads with ``sqlite3`` alone (``core/clip_records.py``): the desk
paints News before SQLAlchemy is imported; a search and the triage keys import the domain
layer when they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding

from deskterm.core.clip_records import (
    ClipRecord,
    ClipTopicMatch,
    any_feed,
    count_unread,
    list_clips,
    topics_of,
)
from deskterm.core.errors import InputError
from deskterm.core.text import one_line
from deskterm.widgets.clip_triage import ClipTriage, triage_bindings
from deskterm.widgets.pane import Pane, PaneContext
from deskterm.widgets.table import Column, Row, cell
from deskterm.widgets.timefmt import clock, start_of_day, start_of_yesterday

WINDOW = 300
UNREAD_QUEUE = "unread since yesterday"  # what ``u`` shows: the triage queue, last night included
NO_TOPIC = "No topic"


@dataclass(frozen=True)
class TopicHeading:
    """A heading row when the pane is grouped by topic."""

    name: str
    priority: int | None
    count: int


@dataclass(frozen=True)
class DayHeading:
    """A heading row over each day's clips when a list in time order reaches back before
    today (the triage queue, a search): the Time column can then show times, not dates."""

    day: date
    count: int


def day_heading_label(day: date, today: date, count: str) -> str:
    """A day heading's text, e.g. "Yesterday · Mon 23 Nov · 59" (the year only when it is
    not this one's)."""
    shown = f"{day:%a %d %b}" if day.year == today.year else f"{day:%a %d %b %Y}"
    if day == today:
        shown = f"Today · {shown}"
    elif day == today - timedelta(days=1):
        shown = f"Yesterday · {shown}"
    return f"{shown} · {count}"


def heading_row(key: str, label: str, item: TopicHeading | DayHeading) -> Row:
    """A heading line over a group of clips: its label bold in the Headline column."""
    return Row(
        key=key, cells=(cell("▸"), cell(""), cell(""), cell(label, "bold"), cell("")), item=item
    )


def marks(clip: ClipRecord) -> Text:
    """Unread ●, flagged ⚑, needs a correction ✎: symbols, never colour alone."""
    return cell(
        ("●" if not clip.is_read else " ")
        + ("⚑" if clip.flagged else " ")
        + ("✎" if clip.needs_correction else " ")
    )


def _query_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a search (the character at fault), or None."""
    from deskterm.core.topic_query import parse_query

    try:
        parse_query(text)
    except InputError as error:
        return str(error)
    return None


def search_terms(text: str) -> tuple[str, ...]:
    """The words a search looked for (not those after NOT), to highlight in the reader."""
    from deskterm.core.topic_query import parse_query, terms_of

    try:
        return tuple(t.label() for t in terms_of(parse_query(text), positive_only=True))
    except InputError:
        return tuple(text.split())


class NewsPane(ClipTriage, Pane):
    TITLE = "News"
    NUMBER = "1"
    ENTITIES = frozenset({"clips", "feeds", "clip_topics", "topics", "staff"})
    EMPTY = "No stories yet. Add a feed with: deskterm feeds add URL (then F fetches)"
    COLUMNS = (
        Column("", 3),
        Column("Time", 6),  # "17:42"; "22 Nov" for an older clip under a topic heading
        Column("Outlet", None, hide_below=50, weight=1, min_width=12),
        Column("Headline", None, weight=4),
        Column("Who", 3, hide_below=56),  # shown in the 2x2 grid from 120 columns
    )
    BINDINGS = [
        *triage_bindings(footer=False),
        Binding("u", "unread_only", "Unread only"),
        Binding("v", "group", "Group by topic/time", show=False),
        Binding("X", "show_hidden", "Show hidden", show=False),
        Binding("H", "feed_health", "Feed health", show=False),
        Binding("T", "topics", "Topics", show=False),
        Binding("D", "clip_report", "Clip report", show=False),
    ]

    def __init__(self, context, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context, **kwargs)
        self.unread_only = False
        self.by_topic = False
        self.show_hidden = False
        # what an empty window says (``empty_text``), found by the load that came up empty
        self._newest_at: str | None = None  # when the newest clip of any day came out
        self._has_feeds = True
        self._unread_earlier = 0  # unread clips from yesterday (what ``u`` adds to today's)
        self._how = "today"  # what the last load showed: today, found, or a headline filter

    # loading ----------------------------------------------------------------------------
    def load(self, context: PaneContext) -> tuple[list[Row], str]:
        today = start_of_day(context.now, context.tz)
        yesterday = start_of_yesterday(context.now, context.tz)
        # Unread only is the triage queue: at 7 a.m. last night's stories are still in it.
        found, how = self._find(context, yesterday if self.unread_only else today)
        self._how = how
        if not found and not context.text:
            self._newest_at, self._has_feeds = self._before_today(context)
        topics = topics_of(context.db, [c.id for c in found]) if self.by_topic else {}
        full = "+" if len(found) == WINDOW else ""
        rows = (
            self._grouped(found, topics, context, today)
            if self.by_topic
            else self._by_day(found, context, today, full)
        )
        parts = [f"{len(found)}{full} {how}"]
        self._unread_earlier = 0
        if how != UNREAD_QUEUE:  # the queue's own count is its length: no count to run
            unread = count_unread(context.db, since=today)
            parts.append(f"{unread} unread today")
            if not self.unread_only:  # (with u, yesterday's unread are in the list already)
                earlier = count_unread(context.db, since=yesterday) - unread
                self._unread_earlier = earlier
                if earlier:
                    parts.append(f"{earlier} unread yesterday (u)")
        parts += [
            name
            for on, name in (
                (self.unread_only and how != UNREAD_QUEUE, "unread only"),
                (self.by_topic, "by topic"),
                (self.show_hidden, "with hidden"),
            )
            if on
        ]
        return rows, " · ".join(parts)

    def _before_today(self, context: PaneContext) -> tuple[str | None, bool]:
        """When the newest clip of any day (this window's filters) came out, and whether
        the desk has feeds: what an empty window should point to."""
        newest = list_clips(
            context.db, limit=1, unread_only=self.unread_only, include_hidden=self.show_hidden
        )
        if newest:
            return newest[0].published_at.astimezone(context.tz).strftime("%d %b %H:%M"), True
        return None, any_feed(context.db)

    def empty_text(self) -> str:
        """An empty window says why: a search found nothing, nothing unread, nothing since
        midnight (at 7 a.m. last night's stories are not "today": u or / finds them), no
        feeds."""
        if self.filter_text and "headline" in self._how:  # the query cannot be read yet
            where = self._how.removesuffix(" (headline filter)")
            return (
                f"No headline {where} contains {self.quoted_filter()}; as a search of "
                f"every clip it cannot be read: {_query_problem(self.filter_text)}."
            )
        if self.filter_text:
            return (
                f"No clip matches {self.quoted_filter()} (every clip searched). "
                "escape clears the search."
            )
        if self.unread_only:
            if self._newest_at is not None:
                return (
                    "No unread stories since yesterday; the newest unread one is from "
                    f"{self._newest_at}. / searches every clip, F fetches now."
                )
            return "No unread stories. u shows the read ones too."
        if self._newest_at is not None:
            queue = "u shows yesterday's unread, " if self._unread_earlier else ""
            return (
                f"No stories since midnight; the newest is from {self._newest_at}. "
                f"{queue}/ searches every clip, F fetches now."
            )
        if self._has_feeds:
            return "No stories yet. F fetches the feeds now (H shows their health)."
        return self.EMPTY

    def _find(self, context: PaneContext, since: Any) -> tuple[list[ClipRecord], str]:
        """The window since ``since``; with filter text, a full-text search of every clip
        (a half-typed query filters the headlines since ``since`` meanwhile)."""
        common = {"unread_only": self.unread_only, "include_hidden": self.show_hidden}
        if not context.text:
            how = UNREAD_QUEUE if self.unread_only else "today"
            return list_clips(context.db, since=since, limit=WINDOW, **common), how
        from deskterm.core.clip_filters import ClipState
        from deskterm.core.search import search_clips

        state = (
            ClipState.UNREAD
            if self.unread_only
            else ClipState.ALL
            if self.show_hidden
            else ClipState.VISIBLE
        )
        try:
            found = search_clips(context.db, context.text, limit=WINDOW, state=state)
            # the newest matches by arrival, shown by publication time like the rest
            found.sort(key=lambda c: (c.published_at, c.id), reverse=True)
        except InputError:  # half-typed query ("budget AND"): a headline filter meanwhile
            return (
                list_clips(context.db, since=since, text=context.text, limit=WINDOW, **common),
                "since yesterday (headline filter)"
                if self.unread_only
                else "today (headline filter)",
            )
        return found, "found"

    def filter_problem(self, text: str) -> str | None:
        """A search that cannot be read (``(water``, ``budget AND``): what is wrong and
        where, as ``clips list --search`` says it. Typing meanwhile filters headlines."""
        problem = _query_problem(text)
        return f"This search cannot be read: {problem}" if problem else None

    def _clip_row(
        self, clip: ClipRecord, context: PaneContext, today: datetime, *, under_day: bool = False
    ) -> Row:
        """A clip's line. Its Time is the time of day, unless it is from before ``today``
        (midnight) and no day heading stands over it: then the date ("22 Nov")."""
        when = (
            clock(clip.published_at, context.tz)
            if under_day or clip.published_at >= today
            else clip.published_at.astimezone(context.tz).strftime("%d %b")
        )
        return Row(
            key=f"clip-{clip.id}",
            cells=(
                marks(clip),
                cell(when, "dim"),
                cell(clip.outlet or clip.feed, "italic"),
                # a hidden clip (X shows them) says so: x on it shows it again
                cell(f"hidden · {clip.title}", "dim")
                if clip.hidden
                else cell(clip.title, "" if clip.is_read else "bold"),
                cell(clip.assignee or "", "dim"),
            ),
            item=clip,
        )

    def _by_day(
        self, found: list[ClipRecord], context: PaneContext, today: datetime, full: str
    ) -> list[Row]:
        """The clips in time order (newest first); under a heading for each day when any of
        them came out before today. ``full`` ("+") marks the last day's count when the
        window was cut short: more of that day's clips lie beyond it."""
        if all(clip.published_at >= today for clip in found):
            return [self._clip_row(clip, context, today) for clip in found]
        days: dict[date, list[ClipRecord]] = {}
        for clip in found:
            days.setdefault(clip.published_at.astimezone(context.tz).date(), []).append(clip)
        rows: list[Row] = []
        last = next(reversed(days))
        for day, members in days.items():
            count = f"{len(members)}{full if day == last else ''}"
            label = day_heading_label(day, today.date(), count)
            rows.append(heading_row(f"day-{day.isoformat()}", label, DayHeading(day, len(members))))
            rows.extend(self._clip_row(clip, context, today, under_day=True) for clip in members)
        return rows

    def _grouped(
        self,
        found: list[ClipRecord],
        topics: dict[int, tuple[ClipTopicMatch, ...]],
        context: PaneContext,
        today: datetime,
    ) -> list[Row]:
        """Each clip under its most important topic (the reader lists all of them)."""
        groups: dict[tuple[int, str], list[ClipRecord]] = {}
        for clip in found:
            matches = topics.get(clip.id)
            key = (matches[0].priority, matches[0].name) if matches else (1 << 30, NO_TOPIC)
            groups.setdefault(key, []).append(clip)
        rows: list[Row] = []
        for (priority, name), members in sorted(groups.items()):
            heading = TopicHeading(name, None if name == NO_TOPIC else priority, len(members))
            label = f"{name} · {len(members)}"
            if heading.priority is not None:
                label = f"P{priority} {label}"
            rows.append(heading_row(f"topic-{name}", label, heading))
            rows.extend(self._clip_row(clip, context, today) for clip in members)
        return rows

    # what the triage keys act on --------------------------------------------------------
    def triage_clip(self) -> ClipRecord | None:
        item = self.selected_item()
        return item if isinstance(item, ClipRecord) else None

    def action_open(self) -> None:
        """The reader (outlet, time, topics, text, link, also-in); it marks the clip read.
        On a heading, the first clip under it."""
        from deskterm.screens.reader import ReaderScreen

        clip = self.triage_clip()
        if clip is None and self.selected_item() is not None:  # a heading: its first clip
            clip = self._clip_from(self.table.cursor_row, 1)
        if clip is None:
            return
        terms = search_terms(self._filter_text) if self._filter_text else ()
        self.app.push_screen(ReaderScreen(clip, search_terms=terms, neighbour=self.neighbour))

    def neighbour(self, clip_id: int, delta: int) -> ClipRecord | None:
        """The clip before/after ``clip_id`` in the list (headings skipped); the cursor
        follows, so closing the reader leaves the pane where the reading stopped. If the
        clip has left the list meanwhile (read, with unread only on), the cursor already
        stands on what came after it."""
        keys = [row.key for row in self.table.rows_shown]
        here = f"clip-{clip_id}"
        if here in keys:
            index = keys.index(here) + delta
        else:
            index = self.table.cursor_row + (0 if delta > 0 else delta)
        return self._clip_from(index, 1 if delta > 0 else -1, skip=clip_id)

    def _clip_from(self, index: int, step: int, skip: int | None = None) -> ClipRecord | None:
        """The first clip from row ``index`` on in direction ``step`` (headings passed
        over); the cursor moves to it."""
        rows = self.table.rows_shown
        while 0 <= index < len(rows):
            item = rows[index].item
            if isinstance(item, ClipRecord) and item.id != skip:
                self.table.move_cursor(row=index)
                return item
            index += step
        return None

    # view keys --------------------------------------------------------------------------
    def action_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self.reload()

    def action_group(self) -> None:
        self.by_topic = not self.by_topic
        self.reload()

    def action_show_hidden(self) -> None:
        self.show_hidden = not self.show_hidden
        self.reload()

    # screens reached from News ----------------------------------------------------------
    def action_feed_health(self) -> None:
        from deskterm.screens.feed_health import FeedHealthScreen

        self.app.push_screen(FeedHealthScreen())

    def action_topics(self) -> None:
        from deskterm.screens.topics import TopicsScreen

        self.app.push_screen(TopicsScreen())

    def action_clip_report(self) -> None:
        """Write today's clip report (Markdown, HTML, e-mail) and say where."""
        self._write_report()

    @work(thread=True, exclusive=True, group="clip-report")
    def _write_report(self) -> None:
        from deskterm.core.report_files import write_day_report

        app = self.app
        try:
            written = write_day_report(
                self._db,
                app.settings,  # type: ignore[attr-defined]
                now=app.clock(),  # type: ignore[attr-defined]
                tz=app.tz,  # type: ignore[attr-defined]
            )
        except Exception as error:  # a full disk, a folder we may not write: one line
            app.call_from_thread(
                self.notify,
                f"could not write the clip report: {one_line(error, 200)}",
                severity="error",
                markup=False,
            )
            return
        app.call_from_thread(
            self.notify,
            written.summary(),  # and, with no report_recipients, that the e-mail has no To:
            title="Clip report",
            severity="information" if written.warning is None else "warning",
            markup=False,
            timeout=15,
        )
