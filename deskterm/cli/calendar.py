"""`deskterm calendar ...`: the communications calendar from the command line.

import and export iCalendar files, list occurrences in a range (series expanded), add an
event, and report a leader's public appearances. Dates are read in the desk's zone:
``--from``/``--to`` take a day (``2026-11-01``, ``today``, ``mon``; ``--to`` includes that
day) or a moment (``tomorrow 15:00``); ``--start``/``--end`` of ``add`` take a moment
(a day with ``--all-day``, where ``--end`` names the last day). ``--json`` prints records.
Times a file gives without a zone are read in the desk's zone (see ``deskterm.core.ics``).
"""

from __future__ import annotations

import argparse
import functools
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm.cli.context import CliContext, clean_cell

if TYPE_CHECKING:
    from deskterm.core.calendar import Occurrence

LIST_DEFAULT = 5000
LIST_DAYS = 7
APPEARANCE_DAYS = 30
EXPORT_DAYS = 366


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    calendar = sub.add_parser(
        "calendar", parents=[common], help="the communications calendar, iCalendar files"
    )
    actions = calendar.add_subparsers(
        dest="calendar_command", metavar="ACTION", required=True, parser_class=type(calendar)
    )

    p = actions.add_parser("import", parents=[common], help="import an iCalendar (.ics) file")
    p.add_argument("file", metavar="FILE.ics")
    p.add_argument(
        "--default-kind",
        default="internal_meeting",
        metavar="KIND",
        help="kind of an event whose file names none (default internal_meeting)",
    )
    p.set_defaults(handler=cmd_import)

    p = actions.add_parser("export", parents=[common], help="write events as iCalendar")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--leader", metavar="NAME", help="only events naming this leader")
    p.add_argument("--kind", help="only events of this kind")
    p.add_argument("--from", dest="start", metavar="DATE", help="events on or after this day")
    p.add_argument("--to", dest="end", metavar="DATE", help="events up to this day (included)")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser("list", parents=[common], help="occurrences in a range, by start")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day (default today)")
    p.add_argument("--to", dest="end", metavar="DATE", help=f"last day (default +{LIST_DAYS - 1})")
    p.add_argument("--leader", metavar="NAME", help="only occurrences naming this leader")
    p.add_argument("--kind", help="press_conference, interview, tv, radio, ...")
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("add", parents=[common], help="add an event or a series")
    p.add_argument("title")
    p.add_argument("--kind", required=True, help="press_conference, interview, tv, radio, ...")
    p.add_argument("--start", required=True, metavar="WHEN", help="e.g. 'fri 9am' or a day")
    p.add_argument("--end", metavar="WHEN", help="when it ends (with --all-day: the last day)")
    p.add_argument("--tz", metavar="ZONE", help="its zone, e.g. America/New_York (default desk)")
    p.add_argument("--all-day", action="store_true", help="whole days")
    p.add_argument(
        "--leader", action="append", default=[], metavar="NAME", help="a leader (repeatable)"
    )
    p.add_argument("--rrule", metavar="RULE", help="repeat, e.g. FREQ=WEEKLY;BYDAY=TU")
    p.add_argument("--location", default="", metavar="WHERE")
    p.add_argument("--owner", metavar="INITIALS", help="who on staff handles it")
    p.add_argument("--status", default="confirmed", help="tentative, confirmed, postponed, ...")
    p.add_argument("--notes", default="", metavar="TEXT")
    p.add_argument("--private", action="store_true", help="not a public event")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser(
        "appearances", parents=[common], help="a leader's public appearances and media slots"
    )
    p.add_argument("leader", metavar="LEADER")
    p.add_argument("--from", dest="start", metavar="DATE", help=f"default {APPEARANCE_DAYS}d ago")
    p.add_argument("--to", dest="end", metavar="DATE", help=f"default in {APPEARANCE_DAYS}d")
    p.set_defaults(handler=cmd_appearances)


# --- handlers -----------------------------------------------------------------------------


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.calendar import desk_zone_name
    from deskterm.core.errors import InputError
    from deskterm.core.ics import import_ics

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    result = import_ics(
        ctx.database(),
        data,
        source_name=path.name,
        floating_zone=desk_zone_name(ctx.settings.timezone),
        default_kind=args.default_kind,
        known_leaders=ctx.settings.leaders,
    )

    def human() -> None:
        ctx.out(
            f"imported {clean_cell(path.name)}: {result.created} created, {result.updated} "
            f"updated, {result.unchanged} unchanged, {len(result.skipped)} skipped"
        )
        for label, reason in result.skipped:
            ctx.out(f"  skipped {clean_cell(label)}: {clean_cell(reason)}")
        for label, note in result.notes:
            ctx.out(f"  note {clean_cell(label)}: {clean_cell(note)}")

    ctx.emit(result, human)
    if result.skipped and not (result.created or result.updated or result.unchanged):
        # the report above names each event and why; the file as a whole is bad input
        ctx.info(
            f"deskterm: no event in {clean_cell(path.name)} could be imported "
            f"({len(result.skipped)} skipped)"
        )
        return 2
    return 0


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.ics import export_ics

    tz, now = ctx.settings.tz(), datetime.now(UTC)
    start = end = None
    if args.start is not None or args.end is not None:
        start = _bound(args.start, tz=tz, now=now, field="from") if args.start else None
        end = _bound(args.end, tz=tz, now=now, field="to", end=True) if args.end else None
        if start is None:
            assert end is not None
            start = end - timedelta(days=EXPORT_DAYS)
        if end is None:
            end = start + timedelta(days=EXPORT_DAYS)
        _check_range(start, end)
    data = export_ics(ctx.database(), leader=args.leader, kind=args.kind, start=start, end=end)
    count = data.count(b"BEGIN:VEVENT")
    if args.output is None:
        ctx.stdout.write(data.decode("utf-8"))
        return 0
    path = Path(args.output)
    path.write_bytes(data)
    ctx.emit(
        {"file": str(path), "events": count},
        lambda: ctx.out(f"{clean_cell(path)} ({count} events)"),
    )
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.appearances import leader_overlaps
    from deskterm.core.calendar import all_occurrences
    from deskterm.core.fields import list_limit

    limit = list_limit(args.limit, maximum=100_000)
    tz, now = ctx.settings.tz(), datetime.now(UTC)
    start = _bound(args.start or "today", tz=tz, now=now, field="from")
    if args.end is not None:
        end = _bound(args.end, tz=tz, now=now, field="to", end=True)
    else:
        end = _day_start(start.astimezone(tz).date() + timedelta(days=LIST_DAYS), tz)
    _check_range(start, end)
    found, truncated = all_occurrences(
        ctx.database(), start, end, leader=args.leader, kind=args.kind, cap=limit
    )
    clashes = leader_overlaps(found)
    if truncated:
        ctx.info(f"showing the first {len(found)} occurrences; narrow the range or raise --limit")
    rows = [_occurrence_json(occ, occ.key in clashes) for occ in found] if ctx.as_json else []
    ctx.emit(
        rows,
        lambda: ctx.table(
            ["when", "title", "kind", "leaders", "where", "status", "notes"],
            [
                (
                    _span(occ, tz),
                    occ.title,
                    occ.kind.value,
                    ", ".join(occ.leaders),
                    occ.location,
                    "" if occ.status.value == "confirmed" else occ.status.value,
                    _flags(occ, occ.key in clashes),
                )
                for occ in found
            ],
        ),
    )
    return 0


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.calendar import create_event, desk_zone_name, read_event_times, zone_named

    zone_name = args.tz if args.tz is not None else desk_zone_name(ctx.settings.timezone)
    zone = zone_named(zone_name)
    now = datetime.now(UTC)
    starts_at, ends_at = read_event_times(
        args.start, args.end or "", zone=zone, now=now, all_day=args.all_day
    )
    event = create_event(
        ctx.database(),
        title=args.title,
        kind=args.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        all_day=args.all_day,
        location=args.location,
        leaders=args.leader,
        owner=args.owner,
        status=args.status,
        public=not args.private,
        notes=args.notes,
        rrule=args.rrule,
    )
    tz = ctx.settings.tz()
    when = _moment(event.starts_at, tz) if not event.all_day else _day(event.starts_at, zone)
    repeats = f", repeats {event.rrule}" if event.rrule else ""
    ctx.emit(
        event,
        lambda: ctx.out(f"added event {event.id}: {clean_cell(event.title)} ({when}{repeats})"),
    )
    return 0


def cmd_appearances(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.appearances import appearance_report

    tz, now = ctx.settings.tz(), datetime.now(UTC)
    today = now.astimezone(tz).date()
    if args.start is not None:
        start = _bound(args.start, tz=tz, now=now, field="from")
    else:
        start = _day_start(today - timedelta(days=APPEARANCE_DAYS), tz)
    if args.end is not None:
        end = _bound(args.end, tz=tz, now=now, field="to", end=True)
    else:
        end = _day_start(today + timedelta(days=APPEARANCE_DAYS + 1), tz)
    _check_range(start, end)
    known = {" ".join(name.split()).casefold() for name in ctx.settings.leaders}
    if " ".join(args.leader.split()).casefold() not in known and not ctx.as_json:
        ctx.info(f"note: {clean_cell(args.leader)} is not one of the key leaders in the config")
    report = appearance_report(ctx.database(), args.leader, start, end, now=now)
    data: dict[str, Any] = {
        "leader": report.leader,
        "start": report.start,
        "end": report.end,
        "now": report.now,
        "total": report.total,
        "by_kind": {kind.value: count for kind, count in report.by_kind.items()},
        "appearances": [_occurrence_json(occ, False) for occ in report.appearances],
        "clashes": [_occurrence_json(occ, True) for occ in report.clashes],
        "slots": report.slots,
        "warnings": report.warnings,
        "truncated": report.truncated,
    }

    def human() -> None:
        last_day = (report.end - timedelta(microseconds=1)).astimezone(tz)
        ctx.out(
            f"{clean_cell(report.leader)}: {report.total} public appearance"
            f"{'' if report.total == 1 else 's'}, "
            f"{_day(report.start, tz)} to {_day(last_day, tz)}"
        )
        if report.by_kind:
            ctx.out(
                "  "
                + ", ".join(
                    f"{kind.value.replace('_', ' ')} {count}"
                    for kind, count in report.by_kind.items()
                )
            )
        if report.clashes:
            ctx.out("clashes:")
            for occ in report.clashes:
                ctx.out(f"  ‼ {_span(occ, tz)}  {clean_cell(occ.title)}")
        if report.slots:
            ctx.out("media slots:")
        for slot in report.slots:
            last = _moment(slot.last.start, tz) if slot.last else "none"
            following = _moment(slot.next.start, tz) if slot.next else "none"
            ctx.out(
                f"  {clean_cell(slot.title)} ({slot.kind.value}, {clean_cell(slot.rrule or '')}): "
                f"last {last}, next {following}; held {slot.held}, upcoming {slot.upcoming}"
            )
            for missed in slot.missed:
                ctx.out(f"    ! missed {_moment(missed.scheduled, tz)} ({missed.reason})")
        if report.truncated:
            ctx.out("(the range held more occurrences than were read; narrow it)")

    ctx.emit(data, human)
    return 0


# --- helpers ------------------------------------------------------------------------------


def _day_start(day: date, tz: tzinfo) -> datetime:
    from deskterm.core.calendar import day_start  # imported when a command runs

    return day_start(day, tz)


def _bound(text: str, *, tz: tzinfo, now: datetime, field: str, end: bool = False) -> datetime:
    """A day (its midnight; with ``end`` the next midnight, so the day is included) or,
    failing that, a moment."""
    from deskterm.core.dates import parse_date, parse_when
    from deskterm.core.errors import InputError

    try:
        day = parse_date(text, today=now.astimezone(tz).date(), field=field)
    except InputError:
        return parse_when(text, now=now, tz=tz, field=field)
    return _day_start(day + timedelta(days=1) if end else day, tz)


def _check_range(start: datetime, end: datetime) -> None:
    from deskterm.core.errors import InputError

    if end <= start:
        raise InputError("--to is before --from", field="to")


def _occurrence_json(occ: Occurrence, clash: bool) -> dict[str, Any]:
    return {
        **{name: getattr(occ, name) for name in occ.__dataclass_fields__},
        "clash": clash,
    }


@functools.lru_cache(maxsize=1024)
def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _moment(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{_day_label(local.date())} {local.hour:02d}:{local.minute:02d}"


def _day(moment: datetime, tz: tzinfo) -> str:
    return _day_label(moment.astimezone(tz).date())


def _span(occ: Occurrence, tz: tzinfo) -> str:
    start = occ.start.astimezone(tz)
    if occ.all_day:
        days = ""
        if occ.end is not None:
            last = (occ.end - timedelta(seconds=1)).astimezone(tz)
            if last.date() != start.date():
                days = f" to {_day_label(last.date())}"
        return f"{_day_label(start.date())} all day{days}"
    text = f"{_day_label(start.date())} {start.hour:02d}:{start.minute:02d}"
    if occ.end is not None:
        end = occ.end.astimezone(tz)
        if end.date() == start.date():
            text += f"-{end.hour:02d}:{end.minute:02d}"
        else:
            text += f" to {_day_label(end.date())} {end.hour:02d}:{end.minute:02d}"
    return text


def _flags(occ: Occurrence, clash: bool) -> str:
    flags = []
    if clash:
        flags.append("‼ clash")
    if occ.overridden:
        flags.append("changed")
    elif occ.recurring:
        flags.append("repeats")
    return ", ".join(flags)
