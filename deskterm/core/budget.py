"""The story budget for the planning meeting: the week's products, by column and owner.

A card is on the budget when its ``due_at`` or ``publish_at`` falls in the window
``[start, start + days)`` (midnights in the desk's zone), or when it waits for a decision
(In review or Approved) whatever its dates. Archived cards are never on it.

One query reads the cards: an OR of three indexed terms (``ix_tasks_status_due`` for the due
window and the waiting columns, ``ix_tasks_publish_at`` for the publish window), which
SQLite runs as a multi-index OR, so a week costs the same with 20,000 cards in the table as
with 20. A second, small query labels staff ids with initials.

Grouped by status in board order, then by owner initials (unassigned last); within an owner,
by publish time, else due time (undated last), then id.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.tz import resolve_imaginary
from sqlalchemy import and_, func, or_, select

from db.engine import Database
from db.enums import TaskStatus
from db.models import Task
from deskterm.core.errors import InputError
from deskterm.core.fields import MAX_LIST, list_limit
from deskterm.core.staff import staff_initials
from deskterm.core.tasks import BOARD_COLUMNS, STATUS_LABELS, TaskRecord, to_record
from deskterm.core.text import one_line

#: Columns whose open cards are on every budget: they wait for a reviewer or to go out.
WAITING: tuple[TaskStatus, ...] = (TaskStatus.IN_REVIEW, TaskStatus.APPROVED)
#: The longest window a budget covers, in days.
MAX_DAYS = 31
TITLE_WIDTH = 200


@dataclass(frozen=True)
class BudgetLine:
    task: TaskRecord
    carried: bool  # on the budget only because it waits in review/approved (no date in the week)


@dataclass(frozen=True)
class OwnerGroup:
    owner: str | None  # initials; None = unassigned
    count: int
    lines: tuple[BudgetLine, ...]


@dataclass(frozen=True)
class StatusGroup:
    status: TaskStatus
    count: int
    owners: tuple[OwnerGroup, ...]


@dataclass(frozen=True)
class Budget:
    start: date
    days: int
    starts_at: datetime  # UTC: midnight starting ``start`` in the desk's zone
    ends_at: datetime  # UTC: midnight after the last day (exclusive)
    total: int
    groups: tuple[StatusGroup, ...]  # every board column in order, empty ones included
    owner_counts: tuple[tuple[str | None, int], ...]  # per owner across columns
    truncated: bool  # more cards matched than ``limit``: the latest ones were left out

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def story_budget(
    db: Database, *, start: date, days: int = 7, tz: tzinfo, limit: int = MAX_LIST
) -> Budget:
    """The budget for the ``days`` days from ``start`` (dates in ``tz``): see the module doc."""
    if not isinstance(start, date) or isinstance(start, datetime):
        raise InputError(f"start must be a date, not {start!r}", field="start")
    days = list_limit(days, field="days", maximum=MAX_DAYS)
    limit = list_limit(limit)
    if not isinstance(tz, tzinfo):
        raise InputError(f"tz must be a time zone, not {tz!r}", field="tz")
    starts_at = _midnight(start, tz)
    ends_at = _midnight(start + timedelta(days=days), tz)

    dated = [status for status in BOARD_COLUMNS if status not in WAITING]
    # Each OR term is one index search; the publish term must not name a status, or the
    # planner prefers the status index and walks every card in those columns.
    in_week = or_(
        and_(Task.status.in_(dated), Task.due_at >= starts_at, Task.due_at < ends_at),
        and_(Task.publish_at >= starts_at, Task.publish_at < ends_at),
        Task.status.in_(WAITING),
    )
    when = func.coalesce(Task.publish_at, Task.due_at)
    query = (
        select(Task)
        .where(in_week, Task.status != TaskStatus.ARCHIVED)
        .order_by(when.is_(None), when, Task.id)
        .limit(limit + 1)
    )
    with db.read() as session:
        rows = list(session.scalars(query))
        initials = staff_initials(session) if rows else {}
        records = [to_record(row, initials) for row in rows[:limit]]
    lines = [BudgetLine(task, carried=not _in_window(task, starts_at, ends_at)) for task in records]
    groups = tuple(_status_group(status, lines) for status in BOARD_COLUMNS)
    per_owner: dict[str | None, int] = {}
    for line in lines:
        per_owner[line.task.owner] = per_owner.get(line.task.owner, 0) + 1
    return Budget(
        start=start,
        days=days,
        starts_at=starts_at,
        ends_at=ends_at,
        total=len(lines),
        groups=groups,
        owner_counts=tuple((owner, per_owner[owner]) for owner in _owner_order(per_owner)),
        truncated=len(rows) > limit,
    )


# --- rendering ----------------------------------------------------------------------------


def render_markdown(budget: Budget, *, tz: tzinfo) -> str:
    """The budget as Markdown: a heading per column, a sub-heading per owner, a line a card.

    Every piece of card text is escaped, so a title cannot add links, HTML or emphasis.
    """
    return _render_lines(budget, tz, markdown=True)


def render_text(budget: Budget, *, tz: tzinfo) -> str:
    """The budget as plain text for a screen (the desk shows it literally): the Markdown's
    layout with indents for headings, and no escapes."""
    return _render_lines(budget, tz, markdown=False)


def _render_lines(budget: Budget, tz: tzinfo, *, markdown: bool) -> str:
    esc = _md if markdown else one_line

    def heading(level: int, text: str) -> str:
        return f"{'#' * level} {text}" if markdown else f"{'  ' * (level - 1)}{text}"

    out = [
        heading(1, f"Story budget: {esc(_span(budget))}"),
        "",
        f"{esc(_zone_name(tz))} · {_plural(budget.total, 'product')}"
        + (f" · {esc(_owner_summary(budget))}" if budget.owner_counts else ""),
    ]
    if budget.truncated:
        note = f"Only the first {budget.total} cards are shown."
        out += ["", f"*{note}*" if markdown else note]
    for group in budget.groups:
        out += ["", heading(2, f"{STATUS_LABELS[group.status]} ({group.count})"), ""]
        if not group.count:
            out.append("Nothing in this column." if markdown else "    Nothing in this column.")
            continue
        for owner in group.owners:
            out += [heading(3, f"{esc(owner.owner or 'Unassigned')} ({owner.count})"), ""]
            for line in owner.lines:
                out.append(_card_line(line, tz, markdown=markdown))
            out.append("")
        if out[-1] == "":
            out.pop()
    return "\n".join(out) + "\n"


def render_html(budget: Budget, *, tz: tzinfo) -> str:
    """The budget as one self-contained HTML document (inline style, no scripts or fetches)
    that prints cleanly: a table per column, one row per card, grouped by owner.

    Every value is escaped with ``html.escape``."""
    title = f"Story budget: {_span(budget)}"
    summary = f"{_zone_name(tz)} · {_plural(budget.total, 'product')}"
    if budget.owner_counts:
        summary += f" · {_owner_summary(budget)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(title)}</h1>",
        f'<p class="summary">{_h(summary)}</p>',
    ]
    if budget.truncated:
        parts.append(f'<p class="note">Only the first {_h(budget.total)} cards are shown.</p>')
    for group in budget.groups:
        label = f"{STATUS_LABELS[group.status]} ({group.count})"
        parts += ["<section>", f"<h2>{_h(label)}</h2>"]
        if not group.count:
            parts += ['<p class="empty">Nothing in this column.</p>', "</section>"]
            continue
        parts += [
            "<table>",
            "<thead><tr>"
            + "".join(f"<th>{_h(name)}</th>" for name in _HTML_COLUMNS)
            + "</tr></thead>",
        ]
        for owner in group.owners:
            parts.append("<tbody>")
            who = f"{owner.owner or 'Unassigned'} ({owner.count})"
            parts.append(
                f'<tr class="owner"><th colspan="{len(_HTML_COLUMNS)}">{_h(who)}</th></tr>'
            )
            for line in owner.lines:
                parts.append(
                    "<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in _cells(line, tz)) + "</tr>"
                )
            parts.append("</tbody>")
        parts += ["</table>", "</section>"]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


# --- helpers ------------------------------------------------------------------------------

_HTML_COLUMNS = ("#", "Product", "Kind", "Due", "Publish", "Reviewer", "Sign-off", "Note")

_CSS = (
    "body{font-family:system-ui,sans-serif;font-size:11pt;margin:1.5em;color:#000}"
    "h1{font-size:16pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.2em 0 .4em}"
    ".summary,.note,.empty{margin:.2em 0;color:#333}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #888;padding:3px 6px;text-align:left;vertical-align:top}"
    "thead{display:table-header-group}tr{break-inside:avoid;page-break-inside:avoid}"
    "tr.owner th{background:#eee}"
    "@page{margin:1.5cm}@media print{body{margin:0}}"
)

_MD_SPECIAL = frozenset("\\`*_{}[]<>()#+!|~&")


def _midnight(day: date, tz: tzinfo) -> datetime:
    """The first moment of ``day`` in ``tz`` (a midnight lost to a clock change moves on)."""
    return resolve_imaginary(datetime.combine(day, time(0), tzinfo=tz)).astimezone(UTC)


def _in_window(task: TaskRecord, starts_at: datetime, ends_at: datetime) -> bool:
    return any(
        when is not None and starts_at <= when < ends_at for when in (task.due_at, task.publish_at)
    )


def _sort_key(line: BudgetLine) -> tuple[bool, datetime, int]:
    when = line.task.publish_at or line.task.due_at
    return (when is None, when or datetime.min.replace(tzinfo=UTC), line.task.id)


def _owner_order(owners: Iterable[str | None]) -> list[str | None]:
    return sorted(owners, key=lambda owner: (owner is None, owner or ""))


def _status_group(status: TaskStatus, lines: list[BudgetLine]) -> StatusGroup:
    mine = [line for line in lines if line.task.status is status]
    by_owner: dict[str | None, list[BudgetLine]] = {}
    for line in mine:
        by_owner.setdefault(line.task.owner, []).append(line)
    owners = tuple(
        OwnerGroup(owner, len(by_owner[owner]), tuple(sorted(by_owner[owner], key=_sort_key)))
        for owner in _owner_order(by_owner)
    )
    return StatusGroup(status, len(mine), owners)


def _when(value: datetime | None, tz: tzinfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _span(budget: Budget) -> str:
    if budget.days == 1:
        return _day(budget.start)
    return f"{_day(budget.start)} to {_day(budget.last_day)}"


def _zone_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    return str(key) if key else (datetime.now(tz).tzname() or str(tz))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _owner_summary(budget: Budget) -> str:
    return ", ".join(f"{owner or 'unassigned'} {count}" for owner, count in budget.owner_counts)


def _kind(line: BudgetLine) -> str:
    return line.task.kind.value.replace("_", " ")


def _sign_off(task: TaskRecord, tz: tzinfo) -> str:
    if task.approved_by is None:
        return ""
    return f"{task.approved_by} {_when(task.approved_at, tz)}".strip()


def _note(line: BudgetLine) -> str:
    notes = []
    if line.carried:
        notes.append("waiting, no date this week")
    if line.task.published_url:
        notes.append(line.task.published_url)
    return "; ".join(notes)


def _cells(line: BudgetLine, tz: tzinfo) -> tuple[object, ...]:
    task = line.task
    return (
        task.id,
        one_line(task.title, TITLE_WIDTH),
        _kind(line),
        _when(task.due_at, tz),
        _when(task.publish_at, tz),
        task.reviewer or "",
        _sign_off(task, tz),
        one_line(_note(line)),
    )


def _h(value: object) -> str:
    return html.escape(str(value), quote=True)


def _md(value: object) -> str:
    """One line of text with every Markdown-significant character backslash-escaped."""
    return "".join(f"\\{ch}" if ch in _MD_SPECIAL else ch for ch in one_line(value))


def _card_line(line: BudgetLine, tz: tzinfo, *, markdown: bool) -> str:
    task = line.task
    esc = _md if markdown else one_line
    title = esc(one_line(task.title, TITLE_WIDTH))
    bits = [
        f"- **{title}** \\#{task.id} ({esc(_kind(line))})"
        if markdown
        else f"      {title} #{task.id} ({esc(_kind(line))})"
    ]
    if task.due_at is not None:
        bits.append(f"due {_when(task.due_at, tz)}")
    if task.publish_at is not None:
        bits.append(f"publish {_when(task.publish_at, tz)}")
    if task.reviewer:
        bits.append(f"reviewer {esc(task.reviewer)}")
    if task.approved_by:
        bits.append(f"approved by {esc(_sign_off(task, tz))}")
    note = _note(line)
    if note:
        bits.append(esc(note))
    return " · ".join(bits)
