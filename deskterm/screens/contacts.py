"""The media list: reporters and outlets, searchable, in windows of rows.

Opened with ``C`` or from the palette. Typing in the search box filters as you type (every
word must match); ``down``/``enter`` go to the list, ``/`` back to the search. ``o`` switches
between reporters and outlets; ``enter`` opens a reporter with their requests (or an outlet
with its reporters); ``n`` adds, ``e`` edits (version-checked: a stale save opens the
conflict view, what was typed is kept), ``D`` toggles do-not-contact, ``c`` stamps
"contacted now". Moving past the last (or first) row loads the next (or previous) window by
key: the screen never holds more than ``WINDOW`` rows. Every database call runs in a worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static, TextArea
from textual.worker import get_current_worker

from db.enums import OutletType
from deskterm.core import contacts
from deskterm.core.contacts import ContactRecord, Cursor, OutletRecord
from deskterm.core.form_edit import Edit, Loaded, changed
from deskterm.core.text import one_line
from deskterm.screens.form import Field, FormScreen
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.table import Column, Row, WindowTable, cell
from deskterm.widgets.timefmt import stamp

WINDOW = 200
REPORTERS, OUTLETS = "reporters", "outlets"
YES_NO = (("no", "no"), ("yes", "yes"))

REPORTER_COLUMNS = (
    Column("DNC", 3),
    Column("Name", None, weight=3, min_width=12),
    Column("Outlet", None, weight=2, hide_below=50, min_width=10),
    Column("Beat", None, weight=2, hide_below=90),
    Column("Email", None, weight=3, hide_below=70, min_width=12),
    Column("Phone", 14, hide_below=130),
    Column("Lang", 5, hide_below=110),
    Column("Last contacted", 17, hide_below=160),
)
OUTLET_COLUMNS = (
    Column("Name", None, weight=3, min_width=12),
    Column("Type", 16),
    Column("Lang", 5, hide_below=60),
    Column("Reach", 10, hide_below=80),
    Column("Website", None, weight=2, hide_below=100),
)


class ListTable(WindowTable):
    """A window of rows that asks for the next or previous window at its edges."""

    class Edge(Message):
        def __init__(self, table: ListTable, forward: bool) -> None:
            self.table = table
            self.forward = forward
            super().__init__()

    def action_cursor_down(self) -> None:
        if self.rows_shown and self.cursor_row >= len(self.rows_shown) - 1:
            self.post_message(self.Edge(self, True))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.rows_shown and self.cursor_row <= 0:
            self.post_message(self.Edge(self, False))
            return
        super().action_cursor_up()


@dataclass
class Window:
    """Where one list's window starts and whether there are rows beyond it."""

    after: Cursor | None = None
    before: Cursor | None = None
    more_after: bool = False
    more_before: bool = False
    count: int = 0


class DbSuggester(Suggester):
    """Completes an Input from ``suggest(prefix)`` (a database call, run in a thread)."""

    def __init__(self, suggest: Callable[[str], list[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._suggest = suggest

    async def get_suggestion(self, value: str) -> str | None:
        try:
            found = await asyncio.to_thread(self._suggest, value)
        except Exception:  # a suggestion is a nicety: never an error
            return None
        return next((name for name in found if name.casefold().startswith(value)), None)


class MediaForm(FormScreen):
    """The form for a reporter or an outlet: notes in a text area (they have line breaks),
    and the outlet field completed from the list."""

    DEFAULT_CSS = """
    MediaForm TextArea { height: 6; }
    """
    HINT = "ctrl+s saves (enter too, outside the notes) · escape cancels"

    def __init__(
        self,
        *,
        heading: str,
        fields: Sequence[Field],
        save: Callable[[dict[str, str]], object] | None = None,
        edit: Edit | None = None,
        text_areas: Sequence[str] = ("notes",),
        suggesters: dict[str, Suggester] | None = None,
    ) -> None:
        super().__init__(heading=heading, fields=fields, save=save, edit=edit)
        self._text_areas = frozenset(text_areas)
        self._suggesters = suggesters or {}

    def field_widget(self, spec: Field, value: str) -> Widget:
        if spec.options:
            return super().field_widget(spec, value)
        if spec.name in self._text_areas:
            return TextArea(value, id=spec.name, soft_wrap=True)
        return Input(value=value, id=spec.name, suggester=self._suggesters.get(spec.name))


# --- rows -------------------------------------------------------------------------------------


def reporter_row(c: ContactRecord, tz: Any) -> Row:
    return Row(
        key=f"contact-{c.id}",
        cells=(
            cell("DNC" if c.do_not_contact else "", "bold" if c.do_not_contact else ""),
            cell(c.name),
            cell(c.outlet or "—", "" if c.outlet else "dim"),
            cell(c.beat),
            cell(c.email or ""),
            cell(c.phone or ""),
            cell(c.language),
            cell(stamp(c.last_contacted_at, tz) if c.last_contacted_at else ""),
        ),
        item=c,
    )


def outlet_row(o: OutletRecord) -> Row:
    return Row(
        key=f"outlet-{o.id}",
        cells=(
            cell(o.name),
            cell(o.type.value.replace("_", "/")),
            cell(o.language),
            cell("" if o.reach is None else f"{o.reach:,}"),
            cell(o.website or ""),
        ),
        item=o,
    )


def _reporter_fields(c: ContactRecord | None) -> list[Field]:
    return [
        Field("name", "Name", c.name if c else ""),
        Field(
            "outlet", "Outlet (on the list; completes as you type)", (c.outlet or "") if c else ""
        ),
        Field("beat", "Beat", c.beat if c else ""),
        Field("email", "Email", (c.email or "") if c else ""),
        Field("phone", "Phone", (c.phone or "") if c else ""),
        Field("social", "Social handle", (c.social or "") if c else ""),
        Field("language", "Language (en, es, vi, zh, ...)", c.language if c else "en"),
        Field(
            "do_not_contact",
            "Do not contact",
            "yes" if c and c.do_not_contact else "no",
            options=YES_NO,
        ),
        Field("notes", "Notes", c.notes if c else ""),
    ]


def _outlet_fields(o: OutletRecord | None) -> list[Field]:
    types = tuple((t.value.replace("_", "/"), t.value) for t in OutletType)
    return [
        Field("name", "Name", o.name if o else ""),
        Field("type", "Type", o.type.value if o else OutletType.PRINT.value, options=types),
        Field("language", "Language", o.language if o else "en"),
        Field("reach", "Reach (readers, viewers, listeners)", str(o.reach or "") if o else ""),
        Field("website", "Website", (o.website or "") if o else ""),
        Field("notes", "Notes", o.notes if o else ""),
    ]


def _typed(values: dict[str, str]) -> dict[str, Any]:
    """Form text as the domain's values (the yes/no picker becomes a bool)."""
    out: dict[str, Any] = dict(values)
    if "do_not_contact" in out:
        out["do_not_contact"] = out["do_not_contact"] == "yes"
    return out


def media_edit(
    db: Any,
    record: ContactRecord | OutletRecord,
    fields: Callable[[Any], list[Field]],
    get: Callable[[Any, int], Any],
    update: Callable[..., Any],
) -> Edit:
    """Editing a stored reporter or outlet: only the fields whose text changed are saved, on
    the version loaded; a stale save opens the conflict view."""
    noun = "contact" if isinstance(record, ContactRecord) else "outlet"

    def loaded(current: Any) -> Loaded:
        texts = {spec.name: spec.value for spec in fields(current)}
        return Loaded(current, current.version, f"{noun} “{current.name}”", texts)

    def write(base: Loaded, typed: Mapping[str, str]) -> object:
        changes = _typed(changed(base, typed))
        if not changes:
            return base.record
        return update(db, base.record.id, base.version, **changes)

    return Edit(loaded(record), lambda: loaded(get(db, record.id)), write)


# --- the screen -------------------------------------------------------------------------------


class ContactsScreen(Screen[None]):
    HELP_GROUP = "Contacts"
    DEFAULT_CSS = """
    ContactsScreen > #media { border: round $accent; padding: 0 1; }
    ContactsScreen #contacts-search { margin-bottom: 1; }
    ContactsScreen ContentSwitcher { height: 1fr; }
    ContactsScreen ListTable { height: 1fr; }
    ContactsScreen #contacts-empty { color: $text-muted; display: none; }
    ContactsScreen.-empty #contacts-empty { display: block; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("slash", "search", "Search"),
        Binding("o", "switch", "Outlets ⇄ reporters"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("D", "toggle_dnc", "Do not contact"),
        Binding("c", "contacted", "Contacted now", show=False),
        Binding("down", "to_list", "To the list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._view = REPORTERS
        self._windows = {REPORTERS: Window(), OUTLETS: Window()}
        self._search = {REPORTERS: "", OUTLETS: ""}
        self._debounce: Timer | None = None
        self._follow: str | None = None

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.app.db  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical(id="media"):
            yield Input(placeholder="search: name, email, outlet, beat…", id="contacts-search")
            with ContentSwitcher(initial=REPORTERS):
                yield ListTable(REPORTER_COLUMNS, id=REPORTERS)
                yield ListTable(OUTLET_COLUMNS, id=OUTLETS)
            yield Static(Text("Nothing matches."), id="contacts-empty")
        yield DeskFooter()

    def on_mount(self) -> None:
        self._update_title()
        self.query_one("#contacts-search", Input).focus()
        self.reload()

    # state ------------------------------------------------------------------------------------
    @property
    def table(self) -> ListTable:
        return self.query_one(f"#{self._view}", ListTable)

    @property
    def search_text(self) -> str:
        return self._search[self._view]

    def selected_item(self) -> Any:
        row = self.table.selected()
        return row.item if row is not None else None

    def _update_title(self) -> None:
        window = self._windows[self._view]
        parts = ["Reporters" if self._view == REPORTERS else "Outlets"]
        parts.append(f"{window.count} shown" + (" · more ↓" if window.more_after else ""))
        if window.more_before:
            parts.append("more ↑")
        if self.search_text:
            parts.append(f"search: {self.search_text}")
        parts.append("o: outlets" if self._view == REPORTERS else "o: reporters")
        self.query_one("#media").border_title = Text(one_line(" · ".join(parts), 200))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_dnc", "contacted"):
            return self._view == REPORTERS
        return True

    # loading ----------------------------------------------------------------------------------
    def entities_changed(self, entities: frozenset[str]) -> None:
        """The app's live loop saw other desks change these tables."""
        if entities & {"contacts", "outlets"}:
            self.reload()

    def reload(self) -> None:
        """Load the current list's window again (where it starts now)."""
        window = self._windows[self._view]
        self._load(self._view, self.search_text, window.after, window.before, False)

    def _page(self, *, after: Cursor | None = None, before: Cursor | None = None) -> None:
        self._load(self._view, self.search_text, after, before, True)

    @work(thread=True, exclusive=True, group="contacts-load")
    def _load(
        self, view: str, text: str, after: Cursor | None, before: Cursor | None, edge: bool
    ) -> None:
        """``edge``: the user moved past the first or last row and wants the next window."""
        worker = get_current_worker()
        try:
            search = contacts.search_contacts if view == REPORTERS else contacts.search_outlets
            found: list[Any] = search(self.db, text, limit=WINDOW, after=after, before=before)
            if not found and not edge and (after or before):
                after = before = None  # the window's rows are gone: start from the top
                found = search(self.db, text, limit=WINDOW)
        except Exception as error:  # shown, never a crash
            if not worker.is_cancelled:
                self.app.call_from_thread(
                    self.notify, f"could not load: {one_line(error, 200)}", severity="error"
                )
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, view, text, after, before, edge, found)

    def _show(
        self,
        view: str,
        text: str,
        after: Cursor | None,
        before: Cursor | None,
        edge: bool,
        found: list[Any],
    ) -> None:
        if text != self._search[view]:
            return  # typed on since: a newer load is coming
        window = self._windows[view]
        if edge and not found:  # nothing beyond the edge after all: stay where we are
            if after is not None:
                window.more_after = False
            else:
                window.more_before = False
            self._update_title()
            return
        full = len(found) == WINDOW
        self._windows[view] = Window(
            after=after,
            before=before,
            more_after=full if before is None else True,
            more_before=after is not None or (before is not None and full),
            count=len(found),
        )
        tz = self.app.tz  # type: ignore[attr-defined]
        rows = [reporter_row(r, tz) if view == REPORTERS else outlet_row(r) for r in found]
        table = self.query_one(f"#{view}", ListTable)
        table.show(rows)
        follow, self._follow = self._follow, None
        keys = [row.key for row in rows]
        if follow in keys:
            table.move_cursor(row=keys.index(follow))
        elif edge and rows:  # forwards: the first new row; backwards: the last one
            table.move_cursor(row=0 if after is not None else len(rows) - 1)
        if view == self._view:
            self.set_class(not rows, "-empty")
            self._update_title()

    @on(ListTable.Edge)
    def _edge(self, message: ListTable.Edge) -> None:
        window = self._windows[self._view]
        rows = message.table.rows_shown
        if not rows:
            return
        if message.forward and window.more_after:
            last = rows[-1].item
            self._page(after=(last.name, last.id))
        elif not message.forward and window.more_before:
            first = rows[0].item
            self._page(before=(first.name, first.id))

    # search -----------------------------------------------------------------------------------
    @on(Input.Changed, "#contacts-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, lambda: self._apply_search(event.value))

    @on(Input.Submitted, "#contacts-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_search(event.value)
        self.set_focus(self.table)

    def _apply_search(self, text: str) -> None:
        text = " ".join(text.split())
        if text != self._search[self._view]:
            self._search[self._view] = text
            self._windows[self._view] = Window()
            self._update_title()
            self.reload()

    def action_search(self) -> None:
        # set_focus at once (focus() waits a turn), so the next key already goes to the box
        self.set_focus(self.query_one("#contacts-search", Input))

    def action_to_list(self) -> None:
        self.set_focus(self.table)

    # actions ----------------------------------------------------------------------------------
    def action_close(self) -> None:
        search = self.query_one("#contacts-search", Input)
        if search.value:
            search.value = ""
            self._apply_search("")
            return
        self.dismiss(None)

    def action_switch(self) -> None:
        self._view = OUTLETS if self._view == REPORTERS else REPORTERS
        self.query_one(ContentSwitcher).current = self._view
        search = self.query_one("#contacts-search", Input)
        with search.prevent(Input.Changed):
            search.value = self._search[self._view]
        search.placeholder = (
            "search: name, email, outlet, beat…"
            if self._view == REPORTERS
            else "search: name, type, language, website…"
        )
        self.refresh_bindings()
        self.table.focus()
        self._update_title()
        self.reload()

    @on(ListTable.RowSelected)
    def _open(self, event: ListTable.RowSelected) -> None:
        event.stop()
        item = self.selected_item()
        if item is None:
            return
        from deskterm.screens.detail import DetailScreen
        from deskterm.screens.detail_views import detail_for

        what, loader = detail_for(self.db, item, self.app.tz)  # type: ignore[attr-defined]
        self.app.push_screen(DetailScreen(what, loader))

    def action_new(self) -> None:
        if self._view == REPORTERS:
            self._open_reporter_form(None)
        else:
            self._open_outlet_form(None)

    def action_edit(self) -> None:
        item = self.selected_item()
        if item is None:
            self.notify("Select a row first (j/k).", severity="warning")
            return
        self._load_for_edit(item)

    @work(thread=True, group="contacts-edit")
    def _load_for_edit(self, item: Any) -> None:
        """Edit what is stored now (not the possibly older row on screen)."""
        try:
            if isinstance(item, ContactRecord):
                fresh: Any = contacts.get_contact(self.db, item.id)
                then: Callable[[Any], None] = self._open_reporter_form
            else:
                fresh = contacts.get_outlet(self.db, item.id)
                then = self._open_outlet_form
        except Exception as error:
            self.app.call_from_thread(
                self.notify, one_line(error, 200), severity="warning", markup=False
            )
            return
        self.app.call_from_thread(then, fresh)

    def _suggest_outlets(self, prefix: str) -> list[str]:
        return contacts.suggest_outlets(self.db, prefix, limit=1)

    def _open_reporter_form(self, current: ContactRecord | None) -> None:
        db = self.db
        suggesters: dict[str, Suggester] = {"outlet": DbSuggester(self._suggest_outlets)}
        if current is None:

            def save(values: dict[str, str]) -> object:
                return contacts.add_contact(db, **_typed(values))

            form = MediaForm(
                heading="New reporter",
                fields=_reporter_fields(None),
                save=save,
                suggesters=suggesters,
            )
        else:
            edit = media_edit(
                db, current, _reporter_fields, contacts.get_contact, contacts.update_contact
            )
            form = MediaForm(
                heading=f"Edit {current.name}",
                fields=_reporter_fields(current),
                edit=edit,
                suggesters=suggesters,
            )
        self.app.push_screen(form, self._saved)

    def _open_outlet_form(self, current: OutletRecord | None) -> None:
        db = self.db
        if current is None:

            def save(values: dict[str, str]) -> object:
                return contacts.add_outlet(db, **values)

            form = MediaForm(heading="New outlet", fields=_outlet_fields(None), save=save)
        else:
            edit = media_edit(
                db, current, _outlet_fields, contacts.get_outlet, contacts.update_outlet
            )
            form = MediaForm(
                heading=f"Edit {current.name}", fields=_outlet_fields(current), edit=edit
            )
        self.app.push_screen(form, self._saved)

    def _saved(self, record: object) -> None:
        if isinstance(record, ContactRecord):
            key = f"contact-{record.id}"
        elif isinstance(record, OutletRecord):
            key = f"outlet-{record.id}"
        else:
            return  # cancelled
        self.notify(f"Saved {one_line(record.name, 60)}", markup=False, timeout=3)
        self._follow = key
        self.set_focus(self.table)
        if key not in {row.key for row in self.table.rows_shown}:
            # A new (or renamed) row may lie outside the search or the window: show the
            # list from that row on, without the search, so the user sees what they saved.
            search = self.query_one("#contacts-search", Input)
            with search.prevent(Input.Changed):
                search.value = ""
            self._search[self._view] = ""
            self._windows[self._view] = Window(after=(record.name, record.id - 1))
        self.reload()

    def action_toggle_dnc(self) -> None:
        item = self.selected_item()
        if not isinstance(item, ContactRecord):
            return
        flag = not item.do_not_contact
        done = f"{one_line(item.name, 60)}: " + ("do not contact" if flag else "may be contacted")
        self._act(
            done,
            lambda: contacts.update_contact(self.db, item.id, item.version, do_not_contact=flag),
            f"contact-{item.id}",
        )

    def action_contacted(self) -> None:
        item = self.selected_item()
        if not isinstance(item, ContactRecord):
            return
        now = self.app.clock()  # type: ignore[attr-defined]
        self._act(
            f"{one_line(item.name, 60)}: contacted now",
            lambda: contacts.mark_contacted(self.db, item.id, now=now),
            f"contact-{item.id}",
        )

    @work(thread=True, group="contacts-action")
    def _act(self, done: str, call: Callable[[], object], follow: str) -> None:
        from db.errors import ConflictError

        try:
            call()
        except ConflictError:
            message = "Someone else changed this reporter just now: reloaded, try again."
            self.app.call_from_thread(self._after, message, follow, "warning")
            return
        except Exception as error:  # InputError, busy, gone: one line, never a crash
            self.app.call_from_thread(self._after, one_line(error, 200), follow, "warning")
            return
        self.app.call_from_thread(self._after, done, follow, "information")

    def _after(self, text: str, follow: str, severity: str) -> None:
        self.notify(text, severity=severity, markup=False, timeout=4)  # type: ignore[arg-type]
        self._follow = follow
        self.reload()
