"""The conflict view: someone saved a record while you were editing it.

Theirs (what is saved now) and mine (your edit) side by side, per changed field: first the
fields your edit changes, then those only they changed. ``r`` reloads theirs into the editor
(your edit is dropped), ``m`` applies your changes on top of theirs (saved again with their
version as the base, so only the fields you changed are written; anything else they changed
stays), ``escape`` goes back to the editor with your edit kept. Never a silent overwrite: if
the record moves on again before ``m`` lands, the view shows the newer version.

One view for every editor: the request editors compare parsed values (``for_request``), the
forms built on ``FormScreen`` compare the form's text (``deskterm.core.form_edit``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from db.engine import Database
from db.errors import ConflictError
from deskterm.core.requests import FieldChange, RequestRecord, compare_edit, get_request
from deskterm.core.text import one_line, visible
from deskterm.screens.modal import DeskModal
from deskterm.widgets.footer import DeskFooter


def shown(value: Any, tz: tzinfo) -> str:
    """A field's value as the view shows it (times in desk time)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%a %d %b %Y %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value).replace("_", " ")
    return visible(str(value), keep_newlines=True)


def conflict_table(rows: list[FieldChange], theirs: Any, tz: tzinfo) -> Table:
    """Field | theirs | mine | what ``m`` leaves: literal text only."""
    table = Table(expand=True, show_lines=True, padding=(0, 1))
    table.add_column(Text("Field"), ratio=1, min_width=9)  # a long label wraps, never cut
    table.add_column(Text(f"Theirs (v{theirs.version}, saved)"), ratio=3)
    table.add_column(Text("Mine (your edit)"), ratio=3)
    table.add_column(Text("after m"), no_wrap=True)
    for row in rows:
        mine = shown(row.mine, tz) if row.mine_changed else "(unchanged)"
        keeps = "mine" if row.mine_changed else "theirs"
        style = "bold" if row.mine_changed and row.theirs_changed else ""
        table.add_row(
            Text(row.label, style=style),
            Text(shown(row.theirs, tz)),
            Text(mine, style="" if row.mine_changed else "dim"),
            Text(keeps),
        )
    return table


class ConflictScreen(DeskModal[object]):
    """Dismisses with "reload", with the saved record (mine applied), or None (escape).

    ``base`` is the record as the editor loaded it and ``theirs`` as it is saved now (each
    with a ``version``); ``mine`` the edit. ``compare(base, theirs, mine)`` lists the
    changed fields, ``apply(theirs, mine)`` saves mine on top of theirs (``ConflictError``
    if it moved on again), ``load()`` reads the record anew and ``name(record)`` says which
    record it is the way people know it. ``apply`` and ``load`` run in a worker."""

    DEFAULT_CSS = """
    ConflictScreen { align: center middle; }
    ConflictScreen > Vertical {
        width: 110; max-width: 98%; height: auto; max-height: 94%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConflictScreen VerticalScroll { height: auto; max-height: 30; }
    ConflictScreen .error { color: $error; height: auto; }
    ConflictScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("r", "reload", "Reload theirs"),
        Binding("m", "apply_mine", "Apply mine on top"),
        Binding("escape", "back", "Back to my edit"),
    ]
    HELP_GROUP = "Conflict"

    def __init__(
        self,
        base: Any,
        theirs: Any,
        mine: Mapping[str, Any],
        *,
        compare: Callable[[Any, Any, Mapping[str, Any]], list[FieldChange]],
        apply: Callable[[Any, Mapping[str, Any]], object],
        load: Callable[[], Any],
        name: Callable[[Any], str],
        tz: tzinfo = UTC,
        on_theirs: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self._base = base
        self.theirs = theirs
        self._mine = dict(mine)
        self._compare = compare
        self._apply = apply
        self._load = load
        self._describe = name
        self._tz = tz
        self._on_theirs = on_theirs
        self._busy = False

    @classmethod
    def for_request(
        cls,
        base: RequestRecord,
        theirs: RequestRecord,
        mine: Mapping[str, Any],
        *,
        db: Database,
        tz: tzinfo,
        apply: Callable[[int, Mapping[str, Any]], RequestRecord],
        on_theirs: Callable[[RequestRecord], None] | None = None,
    ) -> ConflictScreen:
        """A request's conflict: ``mine`` are the parsed changes ``apply(base_version,
        changes)`` (``update_request``) takes."""
        return cls(
            base,
            theirs,
            mine,
            compare=compare_edit,
            apply=lambda record, changes: apply(record.version, changes),
            load=lambda: get_request(db, theirs.id),
            name=lambda record: record.number,
            tz=tz,
            on_theirs=on_theirs,
        )

    def rows(self) -> list[FieldChange]:
        return self._compare(self._base, self.theirs, self._mine)

    def _heading(self) -> str:
        return (
            f"{self._describe(self.theirs)} was saved by someone else while you edited it "
            f"(you opened v{self._base.version}, it is now v{self.theirs.version})"
        )

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Conflict: nothing was saved")
            yield Static(Text(one_line(self._heading(), 200)), id="heading")
            with VerticalScroll():
                yield Static(conflict_table(self.rows(), self.theirs, self._tz), id="fields")
            yield Static(Text(""), classes="error", id="error")
            yield Static(
                Text(
                    "r reload theirs (drop my edit) · m apply mine on top of theirs · "
                    "escape back to my edit"
                ),
                classes="hint",
            )
        yield DeskFooter()  # this screen's keys, not the desk's under it

    def _show_theirs(self, theirs: Any) -> None:
        self.theirs = theirs
        if self._on_theirs is not None:
            self._on_theirs(theirs)
        self.query_one("#heading", Static).update(Text(one_line(self._heading(), 200)))
        self.query_one("#fields", Static).update(conflict_table(self.rows(), theirs, self._tz))

    def _error(self, text: str) -> None:
        self._busy = False
        self.query_one("#error", Static).update(Text(one_line(text, 300)))

    def action_reload(self) -> None:
        self.dismiss("reload")

    def action_back(self) -> None:
        self.dismiss(None)

    def action_apply_mine(self) -> None:
        if self._busy:
            return
        self._busy = True
        self.query_one("#error", Static).update(Text("saving…"))
        self._save(self.theirs)

    @work(thread=True, exclusive=True, group="apply")
    def _save(self, theirs: Any) -> None:
        try:
            saved = self._apply(theirs, self._mine)
        except ConflictError:
            try:
                newer = self._load()
            except Exception as error:
                self.app.call_from_thread(self._error, str(error))
                return
            self.app.call_from_thread(self._show_theirs, newer)
            self.app.call_from_thread(
                self._error, f"it changed again (now v{newer.version}): look, then m again"
            )
            return
        except Exception as error:  # e.g. the workflow refuses my status on top of theirs
            self.app.call_from_thread(self._error, f"not saved: {error}")
            return
        self.app.call_from_thread(self.dismiss, saved)
