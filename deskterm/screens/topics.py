"""Topics: the mayor's priorities as watch rules. A list (priority, name, rule, limits, today's
matches) with an editor: ``n`` new, ``e``/``enter`` edit, ``space`` turns a topic on or off,
``x`` removes one (asks first), ``escape`` closes. A rule that cannot be read is refused at its
field and the form keeps what was typed. An edit saves only the fields whose text changed, on
the version it loaded; when another desk saved the topic since, the form opens the conflict
view (reload theirs, apply mine on top of theirs, or back to the form). A removal of a topic
another desk changed since is refused and said. After a change to what matches, the topic
re-matches the last 30 days of clips in a worker (short transactions) and says what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from deskterm.core.text import one_line
from deskterm.widgets.clip_triage import reload_desk
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.table import Column, Row, WindowTable, cell
from deskterm.widgets.timefmt import start_of_day

if TYPE_CHECKING:
    from deskterm.core.form_edit import Edit

ENTITIES = frozenset({"topics", "clip_topics"})
PRIORITIES = (
    ("1 (highest: announced when it matches)", "1"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5 (lowest)", "5"),
)
QUERY_HELP = 'Match rule (words, "phrases", prefix*, AND/OR/NOT, ( ))'


def topic_fields(topic: Any | None) -> list[Any]:
    from deskterm.screens.form import Field

    return [
        Field("name", "Name", topic.name if topic else ""),
        Field("query", QUERY_HELP, topic.query if topic else ""),
        Field("priority", "Priority", str(topic.priority) if topic else "2", options=PRIORITIES),
        Field(
            "outlet_types",
            "Only outlet types (print, tv, radio, online, …; empty: any)",
            ", ".join(topic.outlet_types) if topic else "",
        ),
        Field(
            "languages",
            "Only languages (en, es, …; empty: any)",
            ", ".join(topic.languages) if topic else "",
        ),
        Field(
            "enabled",
            "Watching",
            "yes" if (topic is None or topic.enabled) else "no",
            options=(("on", "yes"), ("off", "no")),
        ),
    ]


def topic_texts(topic: Any) -> dict[str, str]:
    """How a stored topic reads in the form."""
    return {spec.name: spec.value for spec in topic_fields(topic)}


#: how a field's text becomes the value ``add_topic``/``update_topic`` take (else the text)
PARSERS = {"priority": int, "enabled": lambda text: text == "yes"}


def form_changes(values: Mapping[str, str]) -> dict[str, Any]:
    """The form's text (all of it, or only the fields changed) as topic keywords."""
    return {key: PARSERS.get(key, str)(text) for key, text in values.items()}


def topic_edit(db: Any, topic: Any, touched: set[str]) -> Edit:
    """Editing a stored topic (an ``Edit``): only the fields whose text changed are saved, on
    the version loaded; a stale save opens the conflict view. ``touched`` is kept to the
    fields the last save wrote, so that the caller re-matches when one of them decides
    which clips match (after "apply mine" too: it is the same ``update_topic``)."""
    from deskterm.core.form_edit import Edit, Loaded, changed
    from deskterm.core.topics import get_topic, update_topic

    def loaded(current: Any) -> Loaded:
        return Loaded(current, current.version, f"topic “{current.name}”", topic_texts(current))

    def write(base: Loaded, typed: Mapping[str, str]) -> object:
        changes = form_changes(changed(base, typed))
        saved = (
            update_topic(db, base.record.id, base.version, **changes) if changes else base.record
        )
        touched.clear()
        touched.update(changes)
        return saved

    return Edit(loaded(topic), lambda: loaded(get_topic(db, topic.id)), write)


def removal_refused(topic: Any, error: Exception) -> str:
    """Why removing ``topic`` (as the list showed it) was refused, naming it as shown."""
    from db.errors import ConflictError, NotFoundError

    name = f"topic “{one_line(topic.name, 60)}”"
    if isinstance(error, ConflictError):
        now = error.current.get("name")
        renamed = f", renamed “{one_line(now, 60)}”" if now and now != topic.name else ""
        return (
            f"{name} not removed: someone else changed it since you loaded it "
            f"(v{error.base_version}, now v{error.current_version}{renamed}); "
            "look at it again, then x removes it"
        )
    if isinstance(error, NotFoundError):
        return f"{name} is already gone (removed by someone else?)"
    return f"{name} not removed: {error}"


class TopicsScreen(Screen[None]):
    HELP_GROUP = "Topics"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("n", "new_topic", "New topic"),
        Binding("e", "edit_topic", "Edit"),
        Binding("space", "toggle_topic", "On/off"),
        Binding("x", "remove_topic", "Remove"),
    ]
    DEFAULT_CSS = """
    TopicsScreen > Vertical { border: round $accent; padding: 0 1; }
    TopicsScreen #topics-summary { height: auto; margin-bottom: 1; }
    """
    COLUMNS = (
        Column("P", 2),
        Column("Topic", None, weight=2, min_width=12),
        Column("Rule", None, weight=4, min_width=16),
        Column("Only", 16, hide_below=90),
        Column("Today", 5, hide_below=60),
        Column("On", 3),
    )

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Topics")
            yield Static(Text("Loading…"), id="topics-summary")
            yield WindowTable(self.COLUMNS, id="topics-table")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(WindowTable).focus()
        self.reload()

    def reload_panes(self, entity_sets: Iterable[frozenset[str]] | None = None) -> None:
        changed = set().union(*entity_sets) if entity_sets is not None else None
        if changed is None or changed & ENTITIES:
            self.reload()

    def entities_changed(self, entities: frozenset[str]) -> None:
        """Another desk's change, from the live loop."""
        self.reload_panes([entities])

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="topics")
    def _load(self) -> None:
        from deskterm.core.topics import list_topics, match_counts

        app = self.app
        try:
            found = list_topics(app.db)  # type: ignore[attr-defined]
            today = match_counts(app.db, since=start_of_day(app.clock(), app.tz))  # type: ignore[attr-defined]
        except Exception as error:
            app.call_from_thread(
                self.query_one("#topics-summary", Static).update,
                Text(f"Could not load: {one_line(error, 200)}"),
            )
            return
        app.call_from_thread(self._show, found, today)

    def _show(self, found: list[Any], today: dict[int, int]) -> None:
        self.topics = found
        rows = [
            Row(
                key=f"topic-{t.id}",
                cells=(
                    cell(str(t.priority), "bold" if t.priority == 1 else ""),
                    cell(t.name),
                    cell(t.query, "" if t.enabled else "dim"),
                    cell(", ".join([*t.outlet_types, *t.languages]) or "any", "dim"),
                    cell(str(today.get(t.id, 0))),
                    cell("on" if t.enabled else "off"),
                ),
                item=t,
            )
            for t in found
        ]
        self.query_one(WindowTable).show(rows)
        summary = (
            f"{len(found)} topic{'s' if len(found) != 1 else ''}; priority 1 is announced on "
            "the desk when a fetch brings a match. n new · e edit · space on/off · x remove"
            if found
            else "No topics yet: n adds one (a name and a match rule such as budget OR levy)."
        )
        self.query_one("#topics-summary", Static).update(Text(summary))

    def _selected(self) -> Any:
        row = self.query_one(WindowTable).selected()
        if row is None:
            self.notify("Select a topic first (j/k).", severity="warning")
            return None
        return row.item

    # editing ------------------------------------------------------------------------------
    def action_new_topic(self) -> None:
        from deskterm.core.topics import add_topic
        from deskterm.screens.form import FormScreen

        db = self.app.db  # type: ignore[attr-defined]

        def save(values: dict[str, str]) -> Any:
            return add_topic(db, **form_changes(values))

        self.app.push_screen(
            FormScreen(heading="New topic", fields=topic_fields(None), save=save),
            lambda saved: self._saved(saved, "added", rematch=True),
        )

    def action_edit_topic(self) -> None:
        from deskterm.core.topics import MATCH_FIELDS
        from deskterm.screens.form import FormScreen

        topic = self._selected()
        if topic is None:
            return
        touched: set[str] = set()
        self.app.push_screen(
            FormScreen(
                heading=f"Edit topic: {one_line(topic.name, 40)}",
                fields=topic_fields(topic),
                edit=topic_edit(self.app.db, topic, touched),  # type: ignore[attr-defined]
            ),
            lambda saved: self._saved(saved, "saved", rematch=bool(touched & MATCH_FIELDS)),
        )

    @on(WindowTable.RowSelected)
    def _open(self, event: WindowTable.RowSelected) -> None:
        event.stop()
        self.action_edit_topic()

    def action_toggle_topic(self) -> None:
        from deskterm.core.topics import update_topic

        topic = self._selected()
        if topic is not None:
            self._write(
                f"{one_line(topic.name, 40)}: {'off' if topic.enabled else 'on'}",
                lambda: update_topic(
                    self.app.db,  # type: ignore[attr-defined]
                    topic.id,
                    topic.version,
                    enabled=not topic.enabled,
                ),
                rematch=topic.id,
            )

    def action_remove_topic(self) -> None:
        from deskterm.core.topics import remove_topic
        from deskterm.screens.pickers import Choice, PickScreen

        topic = self._selected()
        if topic is None:
            return

        def picked(value: str | None) -> None:
            if value == "remove":
                self._write(
                    f"removed {one_line(topic.name, 40)} (its clips stay)",
                    lambda: remove_topic(self.app.db, topic.id, topic.version),  # type: ignore[attr-defined]
                    refused=lambda error: removal_refused(topic, error),
                )

        self.app.push_screen(
            PickScreen(
                f"Remove the topic {one_line(topic.name, 30)}?",
                [Choice("keep", "No, keep it"), Choice("remove", "Yes, remove it and its tags")],
                current="keep",
            ),
            picked,
        )

    def _saved(self, saved: object, verb: str, *, rematch: bool) -> None:
        if saved is None:
            return
        self.notify(f"topic {verb}: {one_line(saved.name, 40)}", markup=False, timeout=3)  # type: ignore[attr-defined]
        self.reload()
        reload_desk(self.app, ENTITIES)
        if rematch:
            self._rematch(saved.id)  # type: ignore[attr-defined]

    @work(thread=True, group="topic-write")
    def _write(
        self,
        done: str,
        call: Any,
        rematch: int | None = None,
        refused: Callable[[Exception], str] = str,
    ) -> None:
        """``call()`` in a worker; ``done`` is said after it, ``refused(error)`` when the
        database or the rules refuse it (the list reloads either way)."""
        from db.errors import DatabaseError
        from deskterm.core.errors import InputError

        try:
            call()
        except (InputError, DatabaseError) as error:
            self.app.call_from_thread(
                self.notify, one_line(refused(error), 300), severity="warning", markup=False
            )
            self.app.call_from_thread(self.reload)
            return
        self.app.call_from_thread(self.notify, done, markup=False, timeout=3)
        self.app.call_from_thread(self.reload)
        self.app.call_from_thread(reload_desk, self.app, ENTITIES)
        if rematch is not None:
            self.app.call_from_thread(self._rematch, rematch)

    @work(thread=True, group="rematch")
    def _rematch(self, topic_id: int) -> None:
        """Tag (and untag) the last 30 days of clips by the topic's current rule."""
        from deskterm.core.topics import rematch_topic

        app = self.app
        try:
            result = rematch_topic(app.db, topic_id, now=app.clock())  # type: ignore[attr-defined]
        except Exception as error:
            app.call_from_thread(
                self.notify,
                f"could not re-match the topic: {one_line(error, 200)}",
                severity="error",
                markup=False,
            )
            return
        if result.interrupted:
            return  # the topic changed again meanwhile: that change re-matches
        app.call_from_thread(
            self.notify,
            f"re-matched {result.scanned} recent clips: {result.matched} tagged "
            f"(+{result.added}, -{result.removed})",
            markup=False,
            timeout=6,
        )
        app.call_from_thread(self.reload)
        app.call_from_thread(reload_desk, app, ENTITIES)
