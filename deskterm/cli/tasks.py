"""`deskterm tasks ...`: the team board from the command line.

add, list, show, move, approve, review, comment, checklist, link and budget. Moves follow the
board rules of ``deskterm.core.tasks`` as the ``--user`` (a refused move exits 2 with the
reason); dates are read with ``parse_when`` in the desk's zone; ``--json`` prints records
instead of text.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.cli.context import CliContext, clean_cell, to_json

if TYPE_CHECKING:
    from deskterm.core.tasks import TaskRecord

LIST_DEFAULT = 100


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    tasks = sub.add_parser("tasks", parents=[common], help="the team board: cards, review, budget")
    actions = tasks.add_subparsers(
        dest="tasks_command", metavar="ACTION", required=True, parser_class=type(tasks)
    )

    p = actions.add_parser("add", parents=[common], help="add a card to the backlog")
    p.add_argument("title")
    p.add_argument("--kind", default="other", help="press_release, statement, social_post, ...")
    p.add_argument("--owner", metavar="INITIALS", help="who writes it")
    p.add_argument("--reviewer", metavar="INITIALS", help="who reviews it")
    p.add_argument("--due", metavar="WHEN", help="draft due, e.g. 'fri 3pm' or 2026-11-24 15:00")
    p.add_argument("--publish", metavar="WHEN", help="when it goes out")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="list cards, due soonest first")
    p.add_argument("--status", help="one column: backlog, drafting, in_review, ...")
    p.add_argument("--owner", metavar="INITIALS")
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("show", parents=[common], help="one card with checklist and comments")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_show)

    p = actions.add_parser("move", parents=[common], help="move a card to another column")
    p.add_argument("id", type=int)
    p.add_argument("status")
    p.add_argument("--link", metavar="URL", help="for published: the link to what went out")
    p.set_defaults(handler=cmd_move)

    p = actions.add_parser("approve", parents=[common], help="sign a card off (as --user)")
    p.add_argument("id", type=int)
    p.set_defaults(handler=cmd_approve)

    p = actions.add_parser("review", parents=[common], help="send a card to a reviewer")
    p.add_argument("id", type=int)
    p.add_argument("reviewer", metavar="REVIEWER")
    p.set_defaults(handler=cmd_review)

    p = actions.add_parser("comment", parents=[common], help="comment on a card (as --user)")
    p.add_argument("id", type=int)
    p.add_argument("text")
    p.set_defaults(handler=cmd_comment)

    p = actions.add_parser(
        "checklist", parents=[common], help="add, tick or remove checklist items"
    )
    steps = p.add_subparsers(
        dest="checklist_command", metavar="STEP", required=True, parser_class=type(tasks)
    )
    q = steps.add_parser("add", parents=[common], help="add an item to the end of a card's list")
    q.add_argument("id", type=int, metavar="CARD")
    q.add_argument("label")
    q.add_argument("--required", action="store_true", help="must be ticked before publishing")
    q.set_defaults(handler=cmd_checklist_add)
    for step, help_text in (
        ("done", "tick an item"),
        ("undo", "untick an item"),
        ("remove", "take an item off its card's list"),
    ):
        q = steps.add_parser(step, parents=[common], help=help_text)
        q.add_argument("item", type=int, metavar="ITEM", help="the item's number (tasks show)")
        q.set_defaults(handler=cmd_checklist_step)

    p = actions.add_parser("link", parents=[common], help="link a card to what it serves")
    p.add_argument("id", type=int)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--request", metavar="NUMBER_OR_ID", help="e.g. M-2026-0007")
    what.add_argument("--clip", type=int, metavar="ID")
    what.add_argument("--event", type=int, metavar="ID")
    p.set_defaults(handler=cmd_link)

    p = actions.add_parser("budget", parents=[common], help="the story budget for a week")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--week", action="store_true", help="this week from Monday (the default)")
    when.add_argument("--from", dest="start", metavar="DATE", help="first day, e.g. mon or 24 nov")
    p.add_argument("--days", type=int, default=7, help="how many days (default 7)")
    p.add_argument("--format", choices=("md", "html"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_budget)


# --- handlers -----------------------------------------------------------------------------


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.dates import parse_when
    from deskterm.core.tasks import create_task

    tz, now = ctx.settings.tz(), datetime.now(UTC)
    due = parse_when(args.due, now=now, tz=tz, field="due") if args.due is not None else None
    publish = (
        parse_when(args.publish, now=now, tz=tz, field="publish")
        if args.publish is not None
        else None
    )
    task = create_task(
        ctx.database(),
        title=args.title,
        kind=args.kind,
        owner=args.owner,
        reviewer=args.reviewer,
        due_at=due,
        publish_at=publish,
    )
    ctx.emit(task, lambda: ctx.out(f"added task {task.id}: {clean_cell(task.title)}"))
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import STATUS_LABELS, list_tasks

    found = list_tasks(ctx.database(), status=args.status, owner=args.owner, limit=args.limit)
    tz = ctx.settings.tz()
    ctx.emit(
        found,
        lambda: ctx.table(
            ["id", "status", "kind", "owner", "reviewer", "due", "publish", "title"],
            [
                (
                    t.id,
                    STATUS_LABELS[t.status],
                    t.kind.value,
                    t.owner or "",
                    t.reviewer or "",
                    _when(t.due_at, tz),
                    _when(t.publish_at, tz),
                    t.title,
                )
                for t in found
            ],
        ),
    )
    return 0


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import STATUS_LABELS, checklist, get_task, list_comments

    db = ctx.database()
    task = get_task(db, args.id)
    items = checklist(db, args.id)
    comments = list_comments(db, args.id)
    tz = ctx.settings.tz()

    def human() -> None:
        ctx.out(f"task {task.id}: {clean_cell(task.title)}")
        fields = [
            ("status", STATUS_LABELS[task.status]),
            ("kind", task.kind.value),
            ("owner", task.owner or ""),
            ("reviewer", task.reviewer or ""),
            ("approved", _sign_off(task.approved_by, task.approved_at, tz)),
            ("due", _when(task.due_at, tz)),
            ("publish", _when(task.publish_at, tz)),
            ("link", task.published_url or ""),
            ("version", task.version),
        ]
        for name, value in fields:
            if value != "":
                ctx.out(f"  {name:<9}{clean_cell(value)}")
        for item in items:
            mark = "x" if item.done else " "
            extra = " (required)" if item.required else ""
            by = f" - {item.done_by}" if item.done and item.done_by else ""
            ctx.out(f"  [{mark}] {clean_cell(item.label)}{extra}{by}  (item {item.id})")
        for comment in comments:
            who = comment.author or "?"
            ctx.out(f"  {_when(comment.created_at, tz)} {who}: {clean_cell(comment.body)}")

    ctx.emit({"task": task, "checklist": items, "comments": comments}, human)
    return 0


def cmd_move(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import get_task, move_task

    db = ctx.database()
    current = get_task(db, args.id)
    task = move_task(
        db,
        args.id,
        current.version,
        args.status,
        allow_self_approval=ctx.settings.allow_self_approval,
        published_url=args.link,
    )
    _report(ctx, task)
    return 0


def cmd_approve(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import approve_task, get_task

    db = ctx.database()
    current = get_task(db, args.id)
    task = approve_task(
        db, args.id, current.version, allow_self_approval=ctx.settings.allow_self_approval
    )
    _report(ctx, task)
    return 0


def cmd_review(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import get_task, send_for_review

    db = ctx.database()
    current = get_task(db, args.id)
    task = send_for_review(db, args.id, current.version, args.reviewer)
    _report(ctx, task)
    return 0


def cmd_comment(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import add_comment

    comment = add_comment(ctx.database(), args.id, args.text)
    ctx.emit(comment, lambda: ctx.out(f"added comment {comment.id} to task {comment.task_id}"))
    return 0


def cmd_checklist_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.tasks import add_checklist_item

    item = add_checklist_item(ctx.database(), args.id, args.label, required=args.required)
    extra = " (required before publishing)" if item.required else ""
    ctx.emit(
        item,
        lambda: ctx.out(
            f"added item {item.id} to task {item.task_id}{extra}: {clean_cell(item.label)}"
        ),
    )
    return 0


def cmd_checklist_step(ctx: CliContext, args: argparse.Namespace) -> int:
    """Tick, untick or remove one item (at its current version: a change another desk
    makes in between is a conflict, not overwritten)."""
    from deskterm.core.tasks import checklist_item, remove_checklist_item, set_checklist_done

    db = ctx.database()
    item = checklist_item(db, args.item)
    if args.checklist_command == "remove":
        item, what = remove_checklist_item(db, item.id, item.version), "removed"
    else:
        item = set_checklist_done(db, item.id, item.version, args.checklist_command == "done")
        what = "ticked" if item.done else "unticked"
    line = f"{what} item {item.id} of task {item.task_id}: {clean_cell(item.label)}"
    ctx.emit(item, lambda: ctx.out(line))
    return 0


def cmd_link(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.links import link_card

    item = link_card(
        ctx.database(), args.id, request=args.request, clip=args.clip, event=args.event
    )
    ctx.emit(item, lambda: ctx.out(f"linked task {args.id} to {item.type.value} {item.label}"))
    return 0


def cmd_budget(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.budget import render_html, render_markdown, story_budget
    from deskterm.core.dates import parse_date

    tz = ctx.settings.tz()
    today = _today(tz)
    if args.start is not None:
        start = parse_date(args.start, today=today, field="from")
    else:
        start = today - timedelta(days=today.weekday())  # this week's Monday
    budget = story_budget(ctx.database(), start=start, days=args.days, tz=tz)
    if args.output is None and ctx.as_json:
        ctx.out(to_json(budget))
        return 0
    render = render_html if args.format == "html" else render_markdown
    text = render(budget, tz=tz)
    if args.output is None:
        ctx.stdout.write(text)
        return 0
    path = Path(args.output)
    path.write_text(text, encoding="utf-8")
    ctx.emit(
        {"file": str(path), "format": args.format, "start": start, "total": budget.total},
        lambda: ctx.out(str(path)),
    )
    return 0


# --- helpers ------------------------------------------------------------------------------


def _report(ctx: CliContext, task: TaskRecord) -> None:
    from deskterm.core.tasks import STATUS_LABELS

    tz = ctx.settings.tz()
    extra = ""
    if task.approved_by:
        extra = f" (approved by {_sign_off(task.approved_by, task.approved_at, tz)})"
    elif task.reviewer and task.status.value == "in_review":
        extra = f" (reviewer {task.reviewer})"
    ctx.emit(
        task,
        lambda: ctx.out(
            f"task {task.id} is in {STATUS_LABELS[task.status]}{extra}, version {task.version}"
        ),
    )


def _when(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def _sign_off(who: str | None, at: datetime | None, tz: tzinfo) -> str:
    if who is None:
        return ""
    return f"{who} {_when(at, tz)}".strip()


def _today(tz: tzinfo) -> date:
    return datetime.now(UTC).astimezone(tz).date()
