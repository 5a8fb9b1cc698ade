"""The clip reader: outlet, time, topics, the text with matched terms highlighted, the link,
where else the story ran, and what the desk linked to it. Opening a clip marks it read; the
triage keys work here as in the News pane; ``[``/``]`` step to the previous/next clip.

Everything shown is literal: headlines and text from feeds go into ``rich.text.Text`` with
control characters made visible, and highlights are spans on that text (never markup).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from db.engine import Database
from deskterm.core import clips
from deskterm.core.clips import ClipRecord, ClipTopicMatch
from deskterm.core.links import LinkedItem, linked
from deskterm.core.text import one_line, visible
from deskterm.widgets.clip_triage import ClipTriage, reload_desk, triage_bindings
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.timefmt import stamp

HIGHLIGHT = "reverse bold"
READER_ENTITIES = frozenset({"clips", "clip_topics", "links", "staff"})

#: Given a clip id and -1/+1, the previous/next clip of the list the reader was opened from.
Neighbour = Callable[[int, int], ClipRecord | None]


@dataclass(frozen=True)
class ReaderView:
    clip: ClipRecord
    topics: tuple[ClipTopicMatch, ...]
    also_in: Sequence[ClipRecord] = ()
    linked: Sequence[LinkedItem] = ()
    terms: tuple[str, ...] = field(default=())


def load_view(
    db: Database, clip_id: int, *, mark_read: bool, search_terms: Sequence[str] = ()
) -> ReaderView:
    """Everything the reader shows, in a few queries (runs in a worker)."""
    from deskterm.core.stories import also_in

    clip = clips.set_read(db, clip_id, True) if mark_read else clips.get_clip(db, clip_id)
    topics = clips.topics_of(db, [clip_id]).get(clip_id, ())
    terms = tuple(dict.fromkeys([*(t for m in topics for t in m.terms), *search_terms]))
    return ReaderView(
        clip=clip,
        topics=topics,
        also_in=also_in(db, clip_id),
        linked=linked(db, "clip", clip_id),
        terms=terms,
    )


def highlighted(text: str, terms: Sequence[str], style: str = "") -> Text:
    """Literal text with every matched term highlighted (spans, never markup)."""
    from deskterm.core.topic_query import highlight_spans

    shown = Text(text, style=style)
    for start, end in highlight_spans(text, list(terms)) if terms else ():
        shown.stylize(HIGHLIGHT, start, end)
    return shown


LABEL_WIDTH = 12


def _field(fields: Text, label: str, value: Text | str) -> None:
    if fields.plain:
        fields.append("\n")
    fields.append(label.ljust(LABEL_WIDTH), style="bold")
    fields.append_text(value if isinstance(value, Text) else Text(value))


def render_view(view: ReaderView, tz: tzinfo) -> tuple[Text, Text, Text, Text]:
    """(headline, fields, body, also-in and linked sections), all literal ``Text``."""
    clip = view.clip
    headline = highlighted(one_line(clip.title), view.terms, "bold")
    fields = Text(overflow="fold")
    outlet = clip.outlet or clip.feed
    if clip.outlet_type is not None:
        outlet += f" ({clip.outlet_type.value.replace('_', ' ')})"
    _field(fields, "Outlet", one_line(outlet))
    _field(fields, "Published", stamp(clip.published_at, tz))
    if clip.author:
        _field(fields, "By", one_line(clip.author))
    topics = Text()
    for index, match in enumerate(view.topics):
        if index:
            topics.append("  ·  ")
        topics.append(f"P{match.priority} {one_line(match.name)}", style="bold")
        if match.terms:
            topics.append(f" ({one_line(', '.join(match.terms), 80)})")
    _field(fields, "Topics", topics if view.topics else "—")
    state = [
        "read" if clip.is_read else "● unread",
        *(["⚑ flagged for the report"] if clip.flagged else []),
        *(["hidden"] if clip.hidden else []),
        f"handled by {clip.assignee}" if clip.assignee else "nobody assigned",
    ]
    _field(fields, "State", " · ".join(state))
    if clip.needs_correction:
        note = one_line(clip.correction_note or "(no note)")
        _field(fields, "Correction", Text(f"✎ needed: {note}", style="bold"))
    _field(fields, "Link", one_line(clip.url) if clip.url else "—")
    body = highlighted(visible(clip.summary or "(no text in the feed)"), view.terms)

    sections = Text()
    sections.append("Also in\n", style="bold underline")
    for other in view.also_in or ():
        sections.append(
            f"  {one_line(other.outlet or other.feed, 40)} · {stamp(other.published_at, tz)} · "
            f"{one_line(other.title, 100)}\n"
        )
    if not view.also_in:
        sections.append("  (nowhere else yet)\n")
    sections.append("\nLinked\n", style="bold underline")
    for item in view.linked:
        sections.append(f"  {item.type.value}: {one_line(item.label, 100)}\n")
    if not view.linked:
        sections.append("  (nothing yet: m makes a media request, t a task)\n")
    return headline, fields, body, sections


class ReaderScreen(ClipTriage, Screen[None]):
    HELP_GROUP = "Reader"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        *triage_bindings(footer=True),
        Binding("right_square_bracket", "step(1)", "Next clip"),
        Binding("left_square_bracket", "step(-1)", "Previous clip", show=False),
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
    ]
    DEFAULT_CSS = """
    ReaderScreen > VerticalScroll { border: round $accent; padding: 0 1; }
    ReaderScreen #reader-headline { margin-bottom: 1; }
    ReaderScreen #reader-body { margin-top: 1; }
    ReaderScreen #reader-sections { margin-top: 1; }
    """

    def __init__(
        self,
        clip: ClipRecord,
        *,
        search_terms: Sequence[str] = (),
        neighbour: Neighbour | None = None,
    ) -> None:
        super().__init__()
        self.clip = clip
        self.search_terms = tuple(search_terms)
        self.neighbour = neighbour
        self.view: ReaderView | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reader") as scroll:
            scroll.border_title = Text(one_line(self.clip.outlet or self.clip.feed, 80))
            yield Static(Text(one_line(self.clip.title), style="bold"), id="reader-headline")
            yield Static(Text("Loading…"), id="reader-fields")
            yield Static(Text(""), id="reader-body")
            yield Static(Text(""), id="reader-sections")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.reload(mark_read=not self.clip.is_read)

    # loading ----------------------------------------------------------------------------
    def entities_changed(self, entities: frozenset[str]) -> None:
        """Another desk triaged or linked this clip (or any): show it as it is now."""
        if entities & READER_ENTITIES:
            self.reload()

    def reload(self, *, mark_read: bool = False) -> None:
        self._load_view(self.clip.id, mark_read)

    @work(thread=True, exclusive=True, group="reader")
    def _load_view(self, clip_id: int, mark_read: bool) -> None:
        db = self.app.db  # type: ignore[attr-defined]
        try:
            view = load_view(db, clip_id, mark_read=mark_read, search_terms=self.search_terms)
        except Exception as error:  # shown in place, never a crash
            self.app.call_from_thread(self._failed, error)
            return
        self.app.call_from_thread(self._show, view, mark_read and not self.clip.is_read)

    def _failed(self, error: Exception) -> None:
        self.query_one("#reader-fields", Static).update(
            Text(f"Could not load: {one_line(error, 200)}")
        )

    def _show(self, view: ReaderView, marked_read: bool) -> None:
        self.view = view
        self.clip = view.clip
        headline, grid, body, sections = render_view(view, self.app.tz)  # type: ignore[attr-defined]
        self.query_one(VerticalScroll).border_title = Text(
            one_line(view.clip.outlet or view.clip.feed, 80)
        )
        self.query_one("#reader-headline", Static).update(headline)
        self.query_one("#reader-fields", Static).update(grid)
        self.query_one("#reader-body", Static).update(body)
        self.query_one("#reader-sections", Static).update(sections)
        if marked_read:
            reload_desk(self.app, {"clips"})

    # triage -----------------------------------------------------------------------------
    def triage_clip(self) -> ClipRecord | None:
        return self.clip

    def after_conflict(self) -> None:
        self.reload()

    def _done(self, done: str, follow: str | None) -> None:
        self.notify(done, markup=False, timeout=3)
        self.reload()
        reload_desk(self.app)

    def action_step(self, delta: int) -> None:
        if self.neighbour is None:
            return
        other = self.neighbour(self.clip.id, delta)
        if other is None:
            self.notify("No more clips that way.", timeout=2)
            return
        self.clip = other
        self.query_one(VerticalScroll).scroll_home(animate=False)
        self.query_one("#reader-headline", Static).update(Text(one_line(other.title), style="bold"))
        self.reload(mark_read=not other.is_read)

    # scrolling --------------------------------------------------------------------------
    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up()
