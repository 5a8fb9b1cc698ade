"""The triage keys of a clip, shared by the News pane and the reader.

read/unread, flag for the clip report, hide, assign, "needs a correction" with a note, a
media request or a task prefilled from the clip and linked to it, open the link in the
browser, copy the link. Every write runs in a worker through ``deskterm.core``; a refusal or
a conflict with another desk is one line, and a conflict reloads what is shown.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work

from db.errors import ConflictError
from deskterm.core.errors import InputError
from deskterm.core.text import one_line
from deskterm.widgets.pane import ActionsMixin

if TYPE_CHECKING:  # the domain layer (SQLAlchemy) is imported by the keys that write
    from deskterm.core import triage
    from deskterm.core.clip_records import ClipRecord


def graphical_session() -> bool:
    """Can a browser window open here? (Not over SSH without X, not on a bare console.)"""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def system_browser(url: str) -> bool:
    """Open ``url`` in the desktop's browser; False when there is none.

    Without a graphical session ``webbrowser`` falls back to text browsers (lynx, w3m,
    www-browser) that run in the desk's own terminal and would take it over: refused.
    """
    if not graphical_session():
        return False
    return webbrowser.open(url)


#: How a link is opened; a test replaces it. Returns False when no browser could be started.
open_in_browser: Callable[[str], bool] = system_browser

#: The audit entities a triage write changes (panes showing them reload).
TRIAGE_ENTITIES = frozenset({"clips", "requests", "tasks", "links"})


def reload_desk(app: Any, entities: Iterable[str] = TRIAGE_ENTITIES) -> None:
    """Reload the dashboard panes showing these entities (the live loop does the same for
    other desks' changes; this covers our own writes at once)."""
    wanted = frozenset(entities)
    for screen in app.screen_stack:
        reload_panes = getattr(screen, "reload_panes", None)
        if reload_panes is not None:
            reload_panes([wanted])


class ClipTriage(ActionsMixin):
    """Subclasses say which clip the keys act on (``triage_clip``) and what to refresh after
    a write (``_done``, from ActionsMixin: notify, then reload keeping the clip selected)."""

    def triage_clip(self) -> ClipRecord | None:
        raise NotImplementedError

    def after_conflict(self) -> None:
        """Another desk changed the clip first: show it as it is now."""
        self.reload()  # type: ignore[attr-defined]

    def _clip_or_hint(self) -> ClipRecord | None:
        clip = self.triage_clip()
        if clip is None:
            self.notify("Select a clip first (j/k).", severity="warning")  # type: ignore[attr-defined]
        return clip

    def _triage(self, done: str, call: Callable[[], Any], clip: ClipRecord) -> None:
        def guarded() -> Any:
            try:
                return call()
            except ConflictError:
                self.app.call_from_thread(self.after_conflict)  # type: ignore[attr-defined]
                raise InputError(
                    "another desk changed this clip meanwhile: it is reloaded, press the key again"
                ) from None

        self._do(done, guarded, follow=f"clip-{clip.id}")

    # flags ------------------------------------------------------------------------------
    def action_toggle_read(self) -> None:
        from deskterm.core import clips

        clip = self._clip_or_hint()
        if clip is not None:
            self._triage(
                "marked unread" if clip.is_read else "marked read",
                partial(clips.set_read, self._db, clip.id, not clip.is_read),
                clip,
            )

    def action_toggle_flag(self) -> None:
        from deskterm.core import clips

        clip = self._clip_or_hint()
        if clip is not None:
            self._triage(
                "flag taken off" if clip.flagged else "flagged for the clip report",
                partial(
                    clips.set_flagged, self._db, clip.id, not clip.flagged, now=self.app.clock()
                ),
                clip,
            )

    def action_toggle_hidden(self) -> None:
        from deskterm.core import clips

        clip = self._clip_or_hint()
        if clip is not None:
            self._triage(
                "shown again" if clip.hidden else "hidden (X in News shows hidden clips)",
                partial(clips.set_hidden, self._db, clip.id, not clip.hidden),
                clip,
            )

    # edits ------------------------------------------------------------------------------
    def action_assign(self) -> None:
        from deskterm.core import clips

        clip = self._clip_or_hint()
        if clip is None:
            return
        self._pick_staff(
            f"Who handles “{one_line(clip.title, 40)}”?",
            clip.assignee,
            lambda who: self._triage(
                f"clip assigned to {who or 'nobody'}",
                partial(clips.assign_clip, self._db, clip.id, clip.version, who or None),
                clip,
            ),
            allow_nobody=True,
        )

    def action_correction(self) -> None:
        from deskterm.core import clips
        from deskterm.screens.pickers import PromptScreen

        clip = self._clip_or_hint()
        if clip is None:
            return

        def entered(text: str | None) -> None:
            if text is None:
                return
            if text.strip():
                self._triage(
                    "marked: needs a correction",
                    partial(clips.mark_correction, self._db, clip.id, clip.version, text),
                    clip,
                )
            elif clip.needs_correction:
                self._triage(
                    "correction mark cleared",
                    partial(clips.clear_correction, self._db, clip.id, clip.version),
                    clip,
                )

        self.app.push_screen(  # type: ignore[attr-defined]
            PromptScreen(
                "Needs a correction",
                label="What is wrong (the factual error to answer)? Empty clears the mark.",
                value=clip.correction_note,
            ),
            entered,
        )

    def action_make_request(self) -> None:
        """A media request about the story, prefilled from the clip and linked to it."""
        from db.enums import RequestChannel, RequestKind
        from deskterm.core import triage
        from deskterm.core.dates import parse_when
        from deskterm.core.requests import RequestRecord
        from deskterm.screens.form import Field, FormScreen

        clip = self._clip_or_hint()
        if clip is None:
            return
        app = self.app  # type: ignore[attr-defined]
        prefill = triage.request_prefill(clip)
        fields = [
            Field("requester", "From (reporter or caller)", prefill.requester),
            Field("outlet", "Outlet", prefill.outlet),
            Field("subject", "Subject", prefill.subject),
            Field("deadline", "Deadline (e.g. today 17:00, +2h; empty for none)"),
            Field(
                "kind",
                "Kind",
                prefill.kind.value,
                options=tuple((k.value, k.value) for k in RequestKind),
            ),
            Field(
                "channel",
                "How it came in",
                prefill.channel.value,
                options=tuple((c.value.replace("_", " "), c.value) for c in RequestChannel),
            ),
            Field("assignee", "Assign to (initials, optional)", prefill.assignee),
            Field("language", "Language (e.g. es, vi; empty: the outlet's, else the clip's)"),
        ]

        def save(values: dict[str, str]) -> triage.Created:
            now = app.clock()
            text = values["deadline"].strip()
            deadline = (
                parse_when(text, now=now, tz=app.tz, field="deadline", allow_past=False)
                if text
                else None
            )
            return triage.request_from_clip(
                self._db,
                clip.id,
                subject=values["subject"],
                requester=values["requester"],
                outlet=values["outlet"],
                deadline=deadline,
                assignee=values["assignee"],
                kind=values["kind"],
                channel=values["channel"],
                background=prefill.background,
                language=values["language"],
                now=now,
            )

        def saved(result: object) -> None:
            if isinstance(result, triage.Created) and isinstance(result.record, RequestRecord):
                record = result.record
                done = f"logged {record.number} from the clip"
                if record.language != "en":  # it may have come from the outlet, unasked
                    done += f" [{record.language}]"
                self._made(done, result, clip)

        app.push_screen(
            FormScreen(heading="Media request from a clip", fields=fields, save=save), saved
        )

    def action_make_task(self) -> None:
        """A card answering the story, prefilled from the clip and linked to it."""
        from db.enums import TaskKind
        from deskterm.core import triage
        from deskterm.core.dates import parse_when
        from deskterm.screens.form import Field, FormScreen

        clip = self._clip_or_hint()
        if clip is None:
            return
        app = self.app  # type: ignore[attr-defined]
        prefill = triage.task_prefill(clip)
        fields = [
            Field("title", "Title", prefill.title),
            Field(
                "kind",
                "Kind",
                prefill.kind.value,
                options=tuple((k.value.replace("_", " "), k.value) for k in TaskKind),
            ),
            Field("owner", "Owner (initials)", prefill.owner),
            Field(
                "due", "Due (e.g. today 17:00, fri 9am, +2h; empty for none)", aliases=("due_at",)
            ),
        ]

        def save(values: dict[str, str]) -> triage.Created:
            text = values["due"].strip()
            due = parse_when(text, now=app.clock(), tz=app.tz, field="due") if text else None
            return triage.task_from_clip(
                self._db,
                clip.id,
                title=values["title"],
                kind=values["kind"],
                owner=values["owner"],
                due_at=due,
                body=prefill.body,
            )

        def saved(result: object) -> None:
            if isinstance(result, triage.Created):
                title = one_line(result.record.title, 40)  # type: ignore[union-attr]
                self._made(f"new card: {title}", result, clip)

        app.push_screen(FormScreen(heading="Task from a clip", fields=fields, save=save), saved)

    def _made(self, done: str, result: triage.Created, clip: ClipRecord) -> None:
        if not result.linked:
            self.notify(  # type: ignore[attr-defined]
                f"{done}, but not linked to the clip: {one_line(result.link_error, 120)}",
                severity="warning",
                markup=False,
            )
        reload_desk(self.app)  # type: ignore[attr-defined]
        self._done(done + (" (linked)" if result.linked else ""), f"clip-{clip.id}")

    # the link ---------------------------------------------------------------------------
    def action_open_link(self) -> None:
        clip = self._clip_or_hint()
        if clip is None:
            return
        if not clip.url:
            self.notify("This clip has no link.", severity="warning")  # type: ignore[attr-defined]
            return
        self._open_link(clip.url)

    @work(thread=True, group="browser")
    def _open_link(self, url: str) -> None:
        """A browser can take seconds to start: never on the UI thread."""
        try:
            opened = open_in_browser(url)
        except Exception as error:  # webbrowser raises for broken BROWSER settings
            opened, why = False, one_line(error, 120)
        else:
            why = (
                "no browser could be started"
                if graphical_session()
                else "no graphical session for a browser here"
            )
        if opened:
            self.app.call_from_thread(  # type: ignore[attr-defined]
                self.notify, f"opened {one_line(url, 80)}", markup=False, timeout=3
            )
        else:
            self.app.call_from_thread(  # type: ignore[attr-defined]
                self.notify,
                f"could not open the link ({why}); y copies it",
                severity="warning",
                markup=False,
            )

    def action_copy_link(self) -> None:
        clip = self._clip_or_hint()
        if clip is None:
            return
        if not clip.url:
            self.notify("This clip has no link.", severity="warning")  # type: ignore[attr-defined]
            return
        self.app.copy_to_clipboard(clip.url)  # type: ignore[attr-defined]
        self.notify(f"copied {one_line(clip.url, 80)}", markup=False, timeout=3)  # type: ignore[attr-defined]


#: The triage bindings both the pane and the reader offer (descriptions feed help and palette).
def triage_bindings(*, footer: bool) -> list:  # type: ignore[type-arg]
    from textual.binding import Binding

    return [
        Binding("r", "toggle_read", "Read/unread", show=footer),
        Binding("f", "toggle_flag", "Flag"),
        Binding("x", "toggle_hidden", "Hide"),
        Binding("a", "assign", "Assign"),
        Binding("c", "correction", "Needs correction", show=footer),
        Binding("m", "make_request", "Media request", show=footer),
        Binding("t", "make_task", "Task", show=footer),
        Binding("o", "open_link", "Open link", show=footer),
        Binding("y", "copy_link", "Copy link", show=False),
    ]
