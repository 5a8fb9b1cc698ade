"""`deskterm requests ...`: media, constituent and records requests from the command line.

add, list, update, export, letter and templates. Deadlines are read with ``parse_when`` in the
desk's zone and must lie ahead; a request is named by its tracking number (``M-2026-0007``,
any case) or its id; edits are made as the ``--user`` and follow the status workflow
(``deskterm.core.requests.TRANSITIONS``); ``--json`` prints records instead of text.
``export`` streams the whole log as CSV in keyset pages, for records retention; ``letter``
writes the response as a reply letter (Markdown or plain text); ``templates list|add`` keep
the response templates.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime, tzinfo
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from deskterm.cli.context import CliContext, clean_cell

if TYPE_CHECKING:
    from db.engine import Database
    from deskterm.core.requests import RequestRecord

LIST_DEFAULT = 100
SEARCH_HELP = (
    "words to find in the number, subject, requester, outlet or questions (every word, in any "
    'order, any case or accents; "a phrase" as written)'
)
LANGUAGE_HELP = (
    "the language to answer in, e.g. es or zh-hant (default: the outlet's language: --outlet "
    "when it is a known outlet, else the --from contact's outlet; else en)"
)
EXPORT_PAGE = 500
SOON_SECONDS = 30 * 60  # due within 30 minutes: marked "!"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    requests = sub.add_parser(
        "requests", parents=[common], help="media, constituent and records requests"
    )
    actions = requests.add_subparsers(
        dest="requests_command", metavar="ACTION", required=True, parser_class=type(requests)
    )

    p = actions.add_parser("add", parents=[common], help="log a new request")
    p.add_argument("--kind", required=True, help="media, constituent or records")
    p.add_argument("--from", dest="requester", required=True, metavar="NAME", help="who asks")
    p.add_argument("--outlet", default="", help="the outlet they write for")
    p.add_argument("--subject", required=True, help="what it is about, one line")
    p.add_argument("--deadline", metavar="WHEN", help="e.g. 'today 4pm' or 2026-11-24 15:00")
    p.add_argument("--assignee", metavar="INITIALS", help="who answers it")
    p.add_argument(
        "--channel", default="phone", help="phone (default), email, social, in_person, web_form"
    )
    p.add_argument("--question", default="", metavar="TEXT", help="the questions asked")
    p.add_argument("--language", metavar="CODE", help=LANGUAGE_HELP)
    p.add_argument(
        "--statutory-days",
        type=int,
        metavar="N",
        help="records requests: business days the law allows (sets the deadline)",
    )
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="list requests, most urgent first")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--open", action="store_true", help="open requests, most urgent first (the default)"
    )
    which.add_argument("--status", help="one status, newest first: new, assigned, closed, ...")
    p.add_argument("--kind", help="media, constituent or records")
    p.add_argument(
        "--assignee", metavar="INITIALS", help="open requests of one person ('-': nobody)"
    )
    p.add_argument("--outlet-type", metavar="TYPE", help="open requests from one type of outlet")
    p.add_argument("--search", metavar="TEXT", help=SEARCH_HELP)
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("update", parents=[common], help="change a request (as --user)")
    p.add_argument("ref", metavar="NUMBER_OR_ID", help="e.g. M-2026-0007 or 7")
    p.add_argument("--status", help="new, assigned, drafting, in_review, responded, closed, ...")
    p.add_argument("--assignee", metavar="INITIALS", help="who answers it ('' to clear)")
    p.add_argument("--deadline", metavar="WHEN", help="a new deadline")
    p.add_argument("--response", metavar="TEXT", help="the response given")
    p.add_argument(
        "--method",
        metavar="METHOD",
        help="how it was answered: statement, interview, background, declined, no_comment",
    )
    p.add_argument(
        "--statutory-days", type=int, metavar="N", help="records requests: sets the deadline"
    )
    p.add_argument(
        "--language",
        metavar="CODE",
        help="the language to answer in, e.g. es ('' takes the linked outlet's again, else en)",
    )
    p.set_defaults(handler=cmd_update)

    p = actions.add_parser("export", parents=[common], help="the whole log, for records retention")
    p.add_argument("--format", choices=("csv",), default="csv")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser(
        "letter", parents=[common], help="the response as a reply letter to the requester"
    )
    p.add_argument("ref", metavar="NUMBER_OR_ID", help="e.g. C-2026-0007 or 7")
    p.add_argument("--format", choices=("md", "txt"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_letter)

    p = actions.add_parser("templates", parents=[common], help="response templates")
    kinds = p.add_subparsers(
        dest="templates_command", metavar="ACTION", required=True, parser_class=type(p)
    )
    t = kinds.add_parser("list", parents=[common], help="the saved templates")
    t.add_argument("--kind", help="those offered for media, constituent or records requests")
    t.set_defaults(handler=cmd_templates_list)
    t = kinds.add_parser(
        "add", parents=[common], help="save a template ({requester}, {deadline}, ... filled in)"
    )
    t.add_argument("name", metavar="NAME")
    body = t.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="TEXT", help="the text, with placeholders")
    body.add_argument("--file", metavar="FILE", help="read the text from FILE")
    t.add_argument("--kind", help="offer it only for media, constituent or records requests")
    t.set_defaults(handler=cmd_templates_add)


# --- handlers -----------------------------------------------------------------------------


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.dates import parse_when
    from deskterm.core.requests import create_request

    tz, now = ctx.settings.tz(), datetime.now(UTC)
    deadline = (
        parse_when(args.deadline, now=now, tz=tz, field="deadline", allow_past=False)
        if args.deadline is not None
        else None
    )
    request = create_request(
        ctx.database(),
        statutory_days=args.statutory_days,
        tz=tz,
        holidays=ctx.settings.holidays,
        kind=args.kind,
        subject=args.subject,
        requester=args.requester,
        outlet=args.outlet,
        deadline=deadline,
        assignee=args.assignee,
        channel=args.channel,
        questions=args.question,
        language=args.language,
        now=now,
    )
    _warn_unknown_user(ctx, request.taken_by)
    due = f" (due {_when(request.deadline_at, tz)})" if request.deadline_at else ""
    # A language other than English is said: it may have come from the outlet, unasked.
    language = f" [{request.language}]" if request.language != "en" else ""
    ctx.emit(
        request,
        lambda: ctx.out(f"logged {request.number}: {clean_cell(request.subject)}{due}{language}"),
    )
    return 0


def _warn_unknown_user(ctx: CliContext, taken_by: str | None) -> None:
    """A request logged with no one in ``taken_by``: say so on stderr when that is because
    the user is not on the staff list (a typo in --user, a login name for initials); the
    desk says the same once it has loaded."""
    from deskterm.core.staff import user_not_on_staff

    if taken_by is None and (note := user_not_on_staff(ctx.database())):
        ctx.info(f"note: {note}")


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.errors import InputError
    from deskterm.core.requests import list_open_requests, list_requests

    db = ctx.database()
    if args.status is None:
        found = list_open_requests(
            db,
            limit=args.limit,
            kind=args.kind,
            assignee=args.assignee,
            outlet_type=args.outlet_type,
            text=args.search,
        )
    else:
        if args.assignee is not None or args.outlet_type is not None:
            raise InputError("--assignee and --outlet-type filter open requests, not --status")
        found = list_requests(
            db, status=args.status, kind=args.kind, limit=args.limit, text=args.search
        )
    tz, now = ctx.settings.tz(), datetime.now(UTC)
    ctx.emit(
        found,
        lambda: ctx.table(
            ["number", "due", "kind", "from/outlet", "subject", "assignee", "status"],
            [
                (
                    r.number,
                    _due(r, now, tz),
                    r.kind.value,
                    _who(r),
                    r.subject,
                    r.assignee or "",
                    r.status.value,
                )
                for r in found
            ],
        ),
    )
    return 0


def cmd_update(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.dates import parse_when
    from deskterm.core.errors import InputError
    from deskterm.core.requests import update_request

    changes: dict[str, object] = {}
    if args.status is not None:
        changes["status"] = args.status
    if args.assignee is not None:
        changes["assignee"] = args.assignee
    if args.deadline is not None:
        changes["deadline_at"] = parse_when(
            args.deadline,
            now=datetime.now(UTC),
            tz=ctx.settings.tz(),
            field="deadline",
            allow_past=False,
        )
    if args.response is not None:
        changes["response_text"] = args.response
    if args.method is not None:
        changes["response_method"] = args.method
    if args.statutory_days is not None:
        changes["statutory_days"] = args.statutory_days
    if args.language is not None:
        changes["language"] = args.language
    if not changes:
        raise InputError(
            "nothing to change: give --status, --assignee, --deadline, --response, --method, "
            "--statutory-days or --language"
        )
    db = ctx.database()
    current = _resolve(db, args.ref)
    request = update_request(
        db,
        current.id,
        current.version,
        tz=ctx.settings.tz(),
        holidays=ctx.settings.holidays,
        **changes,
    )
    ctx.emit(
        request,
        lambda: ctx.out(
            f"{request.number} is {request.status.value}"
            + (f", assigned to {request.assignee}" if request.assignee else "")
            + f", version {request.version}"
        ),
    )
    return 0


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.requests import RequestRecord

    db = ctx.database()
    names = [f.name for f in fields(RequestRecord)]
    if args.output is None:
        _write_csv(ctx.stdout, names, _all_requests(db))
        return 0
    path = Path(args.output)
    with path.open("w", encoding="utf-8", newline="") as handle:
        count = _write_csv(handle, names, _all_requests(db))
    ctx.emit(
        {"file": str(path), "format": args.format, "rows": count},
        lambda: ctx.out(f"{path} ({count} requests)"),
    )
    return 0


def cmd_letter(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.templates import letter, placeholder_values, write_letter

    db = ctx.database()
    request = _resolve(db, args.ref)
    tz = ctx.settings.tz()
    values = placeholder_values(db, request, now=datetime.now(UTC), tz=tz)
    text = letter(request, request.response_text, fmt=args.format, values=values)
    if args.output is None:
        ctx.stdout.write(text)
        return 0
    path = write_letter(Path(args.output), text)
    ctx.emit(
        {"file": str(path), "format": args.format, "request": request.number},
        lambda: ctx.out(f"{path} (letter for {request.number})"),
    )
    return 0


def cmd_templates_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.templates import list_templates

    found = list_templates(ctx.database(), kind=args.kind)
    ctx.emit(
        found,
        lambda: ctx.table(
            ["id", "name", "kind", "text"],
            [(t.id, t.name, t.kind.value if t.kind else "any", t.body[:60]) for t in found],
        ),
    )
    return 0


def cmd_templates_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.errors import InputError
    from deskterm.core.templates import add_template

    if args.file is not None:
        try:
            body = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read {args.file}: {error}", field="file") from error
    else:
        body = args.body
    template = add_template(ctx.database(), name=args.name, body=body, kind=args.kind)
    ctx.emit(template, lambda: ctx.out(f"template {template.id}: {clean_cell(template.name)}"))
    return 0


# --- helpers ------------------------------------------------------------------------------


def _resolve(db: Database, ref: str) -> RequestRecord:
    """The current version of a request named by tracking number or id (InputError if none)."""
    from deskterm.core.requests import find_request

    return find_request(db, ref)


def _all_requests(db: Database) -> Iterator[RequestRecord]:
    """Every request, newest first, one keyset page at a time."""
    from deskterm.core.requests import list_requests

    before: int | None = None
    while True:
        page = list_requests(db, limit=EXPORT_PAGE, before_id=before)
        yield from page
        if len(page) < EXPORT_PAGE:
            return
        before = page[-1].id


def _write_csv(out: TextIO, names: list[str], records: Iterator[RequestRecord]) -> int:
    from deskterm.core.spreadsheet import as_text_cell

    writer = csv.writer(out)
    writer.writerow(names)
    count = 0
    for record in records:
        writer.writerow([as_text_cell(_csv_value(getattr(record, name))) for name in names])
        count += 1
    return count


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _due(request: RequestRecord, now: datetime, tz: tzinfo) -> str:
    """A countdown for open requests (``‼`` overdue, ``!`` within 30 minutes), else the date."""
    from deskterm.core.dates import format_countdown

    if request.deadline_at is None:
        return ""
    if not request.is_open():
        return _when(request.deadline_at, tz)
    left = (request.deadline_at - now).total_seconds()
    mark = "‼ " if left < 0 else "! " if left <= SOON_SECONDS else ""
    return mark + format_countdown(request.deadline_at, now)


def _who(request: RequestRecord) -> str:
    if request.requester and request.outlet:
        return f"{request.requester} / {request.outlet}"
    return request.requester or request.outlet


def _when(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"
