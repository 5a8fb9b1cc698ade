"""`deskterm contacts ...`: the media list from the command line.

import (CSV with header mapping, vCard 3/4), export (CSV or vCard), list, show (with the
reporter's requests), add, and `contacts outlets list|add`. An import prints its summary on
stdout and each skipped row (``FILE line N: reason``) on stderr; with ``--strict`` a bad row
means nothing is written and exit 2. A file that is neither CSV nor vCard is one line, exit 2.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.cli.context import CliContext, clean_cell

if TYPE_CHECKING:
    from deskterm.core.contact_io import ImportReport

LIST_DEFAULT = 100


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `contacts` and its actions to the parser."""
    contacts = sub.add_parser(
        "contacts", parents=[common], help="the media list: reporters and outlets"
    )
    actions = contacts.add_subparsers(
        dest="contacts_command", metavar="ACTION", required=True, parser_class=type(contacts)
    )

    p = actions.add_parser(
        "import", parents=[common], help="add contacts from a CSV or vCard file (merged by email)"
    )
    p.add_argument("file", metavar="FILE", help="a .csv or .vcf file (UTF-8)")
    p.add_argument("--format", choices=("csv", "vcf"), help="csv or vcf (default: guessed)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read a CSV column as a field (name, email, phone, outlet, beat, social, "
        "language, notes, do_not_contact, first_name, last_name, ignore, ...); repeatable",
    )
    p.add_argument("--strict", action="store_true", help="write nothing if any row is bad (exit 2)")
    p.add_argument(
        "--outlet-type",
        default="online",
        metavar="TYPE",
        help="type for outlets the file names that do not exist yet (default online; "
        "print, tv, radio, online, community_ethnic, trade, national, government)",
    )
    p.set_defaults(handler=cmd_import)

    p = actions.add_parser("export", parents=[common], help="every contact as CSV or vCards")
    p.add_argument("--format", choices=("csv", "vcf"), default="csv")
    p.add_argument(
        "--vcard-version", choices=("3", "4"), default="4", help="vCard version (default 4)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser("list", parents=[common], help="reporters by name")
    p.add_argument(
        "--search",
        metavar="TEXT",
        help="words to find in name, email, outlet, beat, social (any case or accents)",
    )
    p.add_argument("--outlet", metavar="NAME", help="one outlet's reporters")
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("show", parents=[common], help="one reporter and their requests")
    p.add_argument("ref", metavar="ID_OR_EMAIL")
    p.set_defaults(handler=cmd_show)

    p = actions.add_parser("add", parents=[common], help="add a reporter")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--email")
    p.add_argument("--phone")
    p.add_argument("--outlet", metavar="NAME", help="an outlet on the list")
    p.add_argument("--beat", default="")
    p.add_argument("--social", metavar="HANDLE")
    p.add_argument("--language", default="en", metavar="CODE")
    p.add_argument("--notes", default="")
    p.add_argument("--do-not-contact", action="store_true")
    p.set_defaults(handler=cmd_add)

    outlets = actions.add_parser("outlets", parents=[common], help="the outlets on the list")
    outlet_actions = outlets.add_subparsers(
        dest="outlets_command", metavar="ACTION", required=True, parser_class=type(contacts)
    )
    p = outlet_actions.add_parser("list", parents=[common], help="outlets by name")
    p.add_argument(
        "--search",
        metavar="TEXT",
        help="words to find in name, type, language, website (any case or accents)",
    )
    p.add_argument("--type", metavar="TYPE", help="e.g. tv or community_ethnic")
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N")
    p.set_defaults(handler=cmd_outlets_list)
    p = outlet_actions.add_parser("add", parents=[common], help="add an outlet")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--type", required=True, metavar="TYPE")
    p.add_argument("--language", default="en", metavar="CODE")
    p.add_argument("--reach", metavar="N")
    p.add_argument("--website", metavar="URL")
    p.set_defaults(handler=cmd_outlets_add)


# --- import and export ----------------------------------------------------------------------


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contact_io import import_contacts, parse_mapping, read_contacts_file
    from deskterm.core.contacts import parse_outlet_type
    from deskterm.core.errors import InputError

    mapping = parse_mapping(args.map)
    outlet_type = parse_outlet_type(args.outlet_type)
    parsed = read_contacts_file(args.file, format=args.format, mapping=mapping)
    report = import_contacts(ctx.database(), parsed, strict=args.strict, outlet_type=outlet_type)
    name = Path(args.file).name
    for problem in report.skipped:
        ctx.info(f"{clean_cell(name)} line {problem.line}: skipped: {clean_cell(problem.reason)}")
    if not report.written:
        raise InputError(
            f"nothing imported: {len(report.skipped)} of {report.rows} rows are bad (--strict)"
        )
    if report.skipped and report.added == 0 and report.merged == 0:
        raise InputError(f"nothing imported: all {report.rows} rows are bad")
    ctx.emit(report, lambda: _print_report(ctx, name, report))
    return 0


def _print_report(ctx: CliContext, name: str, report: ImportReport) -> None:
    updated = f" ({report.updated} updated)" if report.merged else ""
    ctx.out(
        f"{clean_cell(name)}: {report.added} added, {report.merged} merged{updated}, "
        f"{len(report.skipped)} skipped" + (" (listed on stderr)" if report.skipped else "")
    )
    for conflict in report.conflicts:
        ctx.out(
            f"line {conflict.line}: kept existing {conflict.field} {clean_cell(conflict.kept)!r} "
            f"for {clean_cell(conflict.contact)} (the file has {clean_cell(conflict.offered)!r})"
        )
    if report.outlets_created:
        ctx.out("new outlets: " + ", ".join(clean_cell(o) for o in report.outlets_created))
    if report.ignored_columns:
        ctx.out("ignored columns: " + ", ".join(clean_cell(c) for c in report.ignored_columns))


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contact_io import write_csv, write_vcards

    db = ctx.database()
    version = f"{args.vcard_version}.0"

    def write(out) -> int:  # type: ignore[no-untyped-def]
        if args.format == "vcf":
            return write_vcards(db, out, version=version)
        return write_csv(db, out)

    if args.output is None:
        write(ctx.stdout)
        return 0
    path = Path(args.output)
    # A BOM lets spreadsheet programs read the CSV's names as UTF-8; the importer drops it.
    encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
    with path.open("w", encoding=encoding, newline="") as handle:
        count = write(handle)
    ctx.emit(
        {"file": str(path), "format": args.format, "contacts": count},
        lambda: ctx.out(f"{path} ({count} contacts)"),
    )
    return 0


# --- list, show, add ------------------------------------------------------------------------


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contacts import search_contacts

    found = search_contacts(ctx.database(), args.search, limit=args.limit, outlet=args.outlet)
    tz = ctx.settings.tz()

    def human() -> None:
        ctx.table(
            ["id", "name", "outlet", "beat", "email", "phone", "dnc", "last contacted"],
            [
                (
                    c.id,
                    c.name,
                    c.outlet or "",
                    c.beat,
                    c.email or "",
                    c.phone or "",
                    "DNC" if c.do_not_contact else "",
                    _day(c.last_contacted_at, tz),
                )
                for c in found
            ],
        )
        if len(found) == args.limit:
            ctx.info(f"(the first {args.limit}: narrow with --search or raise --limit)")

    ctx.emit(found, human)
    return 0


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contacts import contact_history, find_contact

    db = ctx.database()
    contact = find_contact(db, args.ref)
    history = contact_history(db, contact.id)
    tz = ctx.settings.tz()

    def human() -> None:
        rows = [
            ("name", contact.name),
            ("outlet", contact.outlet or "—"),
            ("beat", contact.beat or "—"),
            ("email", contact.email or "—"),
            ("phone", contact.phone or "—"),
            ("social", contact.social or "—"),
            ("language", contact.language),
            ("do not contact", "YES" if contact.do_not_contact else "no"),
            ("last contacted", _day(contact.last_contacted_at, tz) or "—"),
        ]
        for label, value in rows:
            ctx.out(f"{label + ':':<16}{clean_cell(value)}")
        if contact.notes:
            ctx.out("notes:")
            for line in contact.notes.splitlines():
                ctx.out(f"  {clean_cell(line)}")
        ctx.out(f"requests ({len(history)}):" if history else "requests: none")
        for r in history:
            ctx.out(
                f"  {r.number}  {_day(r.received_at, tz)}  {r.status.value:<10} "
                f"{clean_cell(r.subject)}"
            )

    ctx.emit({"contact": contact, "requests": history}, human)
    return 0


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contacts import add_contact

    contact = add_contact(
        ctx.database(),
        name=args.name,
        outlet=args.outlet,
        beat=args.beat,
        email=args.email,
        phone=args.phone,
        social=args.social,
        language=args.language,
        do_not_contact=args.do_not_contact,
        notes=args.notes,
    )
    where = f" ({clean_cell(contact.outlet)})" if contact.outlet else ""
    ctx.emit(contact, lambda: ctx.out(f"added {contact.id}: {clean_cell(contact.name)}{where}"))
    return 0


# --- outlets --------------------------------------------------------------------------------


def cmd_outlets_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contacts import search_outlets

    found = search_outlets(ctx.database(), args.search, type=args.type, limit=args.limit)
    ctx.emit(
        found,
        lambda: ctx.table(
            ["id", "name", "type", "language", "reach", "website"],
            [
                (
                    o.id,
                    o.name,
                    o.type.value,
                    o.language,
                    "" if o.reach is None else f"{o.reach:,}",
                    o.website or "",
                )
                for o in found
            ],
        ),
    )
    return 0


def cmd_outlets_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.contacts import add_outlet

    outlet = add_outlet(
        ctx.database(),
        name=args.name,
        type=args.type,
        language=args.language,
        reach=args.reach,
        website=args.website,
    )
    ctx.emit(
        outlet,
        lambda: ctx.out(f"added outlet {outlet.id}: {clean_cell(outlet.name)} ({outlet.type})"),
    )
    return 0


def _day(moment: datetime | None, tz) -> str:  # type: ignore[no-untyped-def]
    if moment is None:
        return ""
    return moment.astimezone(tz or UTC).strftime("%Y-%m-%d %H:%M")
