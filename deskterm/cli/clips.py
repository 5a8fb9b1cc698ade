"""`deskterm clips ...`: list and search clips, and the daily clip report.

``clips list`` shows a window of clips newest first, narrowed by state, time and topic; with
``--search`` it is a full-text search in the query language of topics (newest first, or
``--ranked`` by relevance). ``clips report`` writes the day's flagged clips as Markdown, HTML
or an e-mail message.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm.cli.context import CliContext

if TYPE_CHECKING:
    from deskterm.core.clips import ClipRecord

LIST_DEFAULT = 50
DEFAULT_STATE = "visible"  # deskterm.core.clip_filters.ClipState.VISIBLE (not imported at start)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    clips = sub.add_parser("clips", parents=[common], help="news clips: list, search, report")
    actions = clips.add_subparsers(
        dest="clips_command", metavar="ACTION", required=True, parser_class=type(clips)
    )

    p = actions.add_parser("list", parents=[common], help="list or search clips, newest first")
    p.add_argument("--since", metavar="WHEN", help="published from, e.g. today, mon, 2026-11-20")
    p.add_argument(
        "--state",
        default=DEFAULT_STATE,
        metavar="STATE",
        help="unread, flagged, hidden, correction, all (default: all but hidden)",
    )
    p.add_argument("--topic", metavar="ID_OR_NAME", help="only clips tagged with this topic")
    p.add_argument(
        "--search", metavar="QUERY", help='full-text search: words, "phrases", prefix*, AND/OR/NOT'
    )
    p.add_argument("--ranked", action="store_true", help="with --search: most relevant first")
    p.add_argument("--limit", type=int, default=LIST_DEFAULT, metavar="N", help="default 50")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("report", parents=[common], help="the day's flagged clips by topic")
    p.add_argument("--date", metavar="DATE", help="the day (default today), e.g. yesterday, mon")
    p.add_argument("--format", choices=("md", "html", "eml"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=cmd_report)


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.clip_filters import browse_clips, parse_state
    from deskterm.core.errors import InputError

    db = ctx.database()
    tz = ctx.settings.tz()
    state = parse_state(args.state)
    since = _since(args.since, tz) if args.since is not None else None
    topic_id = None
    if args.topic is not None:
        from deskterm.core.topics import find_topic

        topic_id = find_topic(db, args.topic).id
    if args.search is not None:
        from deskterm.core.search import search_clips

        found = search_clips(
            db,
            args.search,
            ranked=args.ranked,
            limit=args.limit,
            since=since,
            state=state,
            topic_id=topic_id,
        )
    else:
        if args.ranked:
            raise InputError("--ranked orders a --search by relevance; give --search too")
        found = browse_clips(db, state=state, since=since, topic_id=topic_id, limit=args.limit)
    ctx.emit(
        found,
        lambda: ctx.table(
            ["id", "published", "outlet", "state", "title"],
            [
                (c.id, _when(c.published_at, tz), c.outlet or c.feed, _marks(c), c.title)
                for c in found
            ],
        ),
    )
    return 0


def cmd_report(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.clip_report import build_report, render_report
    from deskterm.core.dates import parse_date

    tz = ctx.settings.tz()
    today = datetime.now(UTC).astimezone(tz).date()
    day = parse_date(args.date, today=today, field="date") if args.date is not None else today
    report = build_report(ctx.database(), day, settings=ctx.settings, tz=tz)
    if args.format == "eml" and report.warning:  # written all the same, a draft without To:
        ctx.info(f"warning: {report.warning}")
    if args.output is None and ctx.as_json:
        ctx.emit(report, lambda: None)
        return 0
    content = render_report(report, args.format)
    if args.output is None:
        if isinstance(content, bytes):
            buffer = getattr(ctx.stdout, "buffer", None)
            if buffer is not None:
                ctx.stdout.flush()
                buffer.write(content)
                buffer.flush()
            else:
                ctx.stdout.write(content.decode("utf-8"))
        else:
            ctx.stdout.write(content)
        return 0
    path = Path(args.output)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    ctx.emit(
        {"file": str(path), "format": args.format, "date": day, "clips": report.total},
        lambda: ctx.out(str(path)),
    )
    return 0


# --- helpers ------------------------------------------------------------------------------


def _since(text: str, tz: tzinfo) -> datetime:
    from deskterm.core.dates import parse_when

    return parse_when(text, now=datetime.now(UTC), tz=tz, field="since", default_time=time(0, 0))


def _when(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def _marks(clip: ClipRecord) -> str:
    marks = [
        name
        for name, on in (
            ("unread", not clip.is_read),
            ("flagged", clip.flagged),
            ("correction", clip.needs_correction),
            ("hidden", clip.hidden),
        )
        if on
    ]
    return ",".join(marks)
