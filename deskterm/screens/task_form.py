"""The card editor (new, in a prefilled column, or edit), built on FormScreen.

An edit saves only the fields whose text was changed, on the version it loaded; when another
desk saved the card since, the form opens the conflict view (reload theirs, apply mine on top
of theirs, or back to the form)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from db.engine import Database
from db.enums import TaskKind, TaskStatus
from deskterm.core import tasks
from deskterm.core.dates import parse_when
from deskterm.core.form_edit import Edit, Loaded, changed
from deskterm.core.tasks import TaskRecord
from deskterm.screens.form import Field, FormScreen

#: form field -> the keyword ``create_task``/``update_task`` take
KEYWORDS = {"title": "title", "kind": "kind", "owner": "owner", "due": "due_at"}


@dataclass(frozen=True)
class TaskDraft:
    """What the form collected, already parsed (times aware)."""

    title: str
    kind: TaskKind
    owner: str | None
    due_at: datetime | None
    status: TaskStatus


def card_texts(task: TaskRecord | None, tz: tzinfo) -> dict[str, str]:
    """How a card reads in the form (a new card's defaults without one)."""
    if task is None:
        return {"title": "", "kind": TaskKind.PRESS_RELEASE.value, "owner": "", "due": ""}
    due = task.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if task.due_at else ""
    return {"title": task.title, "kind": task.kind.value, "owner": task.owner or "", "due": due}


def parse_texts(texts: Mapping[str, str], *, now: datetime, tz: tzinfo) -> dict[str, Any]:
    """The form's text as the keywords of ``create_task``/``update_task``."""
    out: dict[str, Any] = {}
    for key, text in texts.items():
        if key == "kind":
            out["kind"] = TaskKind(text)
        elif key == "owner":
            out["owner"] = text.strip() or None
        elif key == "due":
            text = text.strip()
            out["due_at"] = parse_when(text, now=now, tz=tz, field="due") if text else None
        elif key in KEYWORDS:
            out[KEYWORDS[key]] = text
    return out


def card_edit(db: Database, task: TaskRecord, *, now: Callable[[], datetime], tz: tzinfo) -> Edit:
    """Editing a stored card: the changed fields on the version loaded."""

    def loaded(card: TaskRecord) -> Loaded:
        return Loaded(card, card.version, f"card “{card.title}”", card_texts(card, tz))

    def write(base: Loaded, typed: Mapping[str, str]) -> object:
        changes = parse_texts(changed(base, typed), now=now(), tz=tz)
        if not changes:
            return base.record
        return tasks.update_task(db, base.record.id, base.version, **changes)

    return Edit(loaded(task), lambda: loaded(tasks.get_task(db, task.id)), write)


def task_form(
    *,
    heading: str,
    status: TaskStatus,
    now: Callable[[], datetime],
    tz: tzinfo,
    save: Callable[[TaskDraft], object] | None = None,
    task: TaskRecord | None = None,
    edit: Edit | None = None,
) -> FormScreen:
    """A new card (``save`` gets the parsed draft) or a stored one (``edit``)."""
    texts = card_texts(task, tz)
    fields = [
        Field("title", "Title", texts["title"]),
        Field(
            "kind",
            "Kind",
            texts["kind"],
            options=tuple((k.value.replace("_", " "), k.value) for k in TaskKind),
        ),
        Field("owner", "Owner (initials)", texts["owner"]),
        Field(
            "due",
            "Due (e.g. today 17:00, fri 9am, +2h; empty for none)",
            texts["due"],
            aliases=("due_at",),
        ),
    ]
    if edit is not None:
        return FormScreen(heading=heading, fields=fields, edit=edit)
    assert save is not None

    def parse_and_save(values: dict[str, str]) -> object:
        parsed = parse_texts(values, now=now(), tz=tz)
        return save(TaskDraft(status=task.status if task else status, **parsed))

    return FormScreen(heading=heading, fields=fields, save=parse_and_save)
