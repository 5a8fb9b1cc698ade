"""The card editor (new, in a prefilled column, or edit), built on FormScreen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from db.enums import TaskKind, TaskStatus
from deskterm.core.dates import parse_when
from deskterm.core.tasks import TaskRecord
from deskterm.screens.form import Field, FormScreen


@dataclass(frozen=True)
class TaskDraft:
    """What the form collected, already parsed (times aware)."""

    title: str
    kind: TaskKind
    owner: str | None
    due_at: datetime | None
    status: TaskStatus


def task_form(
    *,
    heading: str,
    status: TaskStatus,
    now: Callable[[], datetime],
    tz: tzinfo,
    save: Callable[[TaskDraft], object],
    task: TaskRecord | None = None,
) -> FormScreen:
    due = task.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if task and task.due_at else ""
    fields = [
        Field("title", "Title", task.title if task else ""),
        Field(
            "kind",
            "Kind",
            task.kind.value if task else TaskKind.PRESS_RELEASE.value,
            options=tuple((k.value.replace("_", " "), k.value) for k in TaskKind),
        ),
        Field("owner", "Owner (initials)", (task.owner or "") if task else ""),
        Field(
            "due", "Due (e.g. today 17:00, fri 9am, +2h; empty for none)", due, aliases=("due_at",)
        ),
    ]

    def parse_and_save(values: dict[str, str]) -> object:
        text = values["due"].strip()
        return save(
            TaskDraft(
                title=values["title"],
                kind=TaskKind(values["kind"]),
                owner=values["owner"].strip() or None,
                due_at=parse_when(text, now=now(), tz=tz, field="due") if text else None,
                status=task.status if task else status,
            )
        )

    return FormScreen(heading=heading, fields=fields, save=parse_and_save)
