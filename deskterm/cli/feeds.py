"""`deskterm feeds ...`: the desk's news sources.

add, list, remove, enable, disable, import (OPML or a plain list of URLs), export (OPML)
and health (the failing, stale and warned feeds). Fetching is `deskterm fetch`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from deskterm.cli.context import CliContext
from deskterm.core.errors import InputError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser("feeds", parents=[common], help="the news feeds the desk watches")
    actions = feeds.add_subparsers(
        dest="feeds_command", metavar="ACTION", required=True, parser_class=type(feeds)
    )
    p = actions.add_parser("add", parents=[common], help="add a feed by URL or file path")
    p.add_argument("url", metavar="URL_OR_PATH")
    p.add_argument("--name", help="what the desk calls it (default: the host or file name)")
    p.add_argument("--outlet", help="the outlet it belongs to (from the media list)")
    p.add_argument("--topic", help="the topic it belongs to (its category)")
    p.add_argument(
        "--poll", type=int, default=10, metavar="MINUTES", help="how often to fetch it (default 10)"
    )
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="list the feeds and their health")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("remove", parents=[common], help="delete a feed")
    p.add_argument("feed_id", type=int, metavar="ID")
    p.add_argument(
        "--delete-clips", action="store_true", help="also delete its clips (else refused if any)"
    )
    p.set_defaults(handler=cmd_remove)

    for action, enabled, text in (
        ("enable", True, "fetch a feed again"),
        ("disable", False, "stop fetching a feed (its clips stay)"),
    ):
        p = actions.add_parser(action, parents=[common], help=text)
        p.add_argument("feed_id", type=int, metavar="ID")
        p.set_defaults(handler=cmd_enable, enabled=enabled)

    p = actions.add_parser(
        "import", parents=[common], help="add feeds from OPML or a list of URLs (one a line)"
    )
    p.add_argument("file", metavar="FILE", help="the file ('-' reads standard input)")
    p.add_argument(
        "--poll", type=int, default=10, metavar="MINUTES", help="poll interval for new feeds"
    )
    p.set_defaults(handler=cmd_import)

    p = actions.add_parser("export", parents=[common], help="write the feeds as OPML")
    p.add_argument("--format", choices=["opml"], default="opml")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = actions.add_parser("health", parents=[common], help="failing, stale and warned feeds")
    p.set_defaults(handler=cmd_health)


def _when(moment: datetime | None, ctx: CliContext) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(ctx.settings.tz()).strftime("%Y-%m-%d %H:%M")


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.feeds import add_feed

    feed = add_feed(
        ctx.database(),
        url=args.url,
        name=args.name,
        outlet=args.outlet,
        topic=args.topic,
        poll_minutes=args.poll,
    )
    ctx.emit(feed, lambda: ctx.out(f"added feed {feed.id}: {feed.name} ({feed.url})"))
    return 0


def cmd_list(ctx: CliContext, _args: argparse.Namespace) -> int:
    from deskterm.core.feeds import list_feeds

    feeds = list_feeds(ctx.database())

    def status(feed) -> str:  # type: ignore[no-untyped-def]
        text = feed.last_status if feed.enabled else "disabled"
        if feed.consecutive_errors:
            text += f" x{feed.consecutive_errors}"
        return text

    ctx.emit(
        feeds,
        lambda: ctx.table(
            ["id", "name", "outlet", "topic", "every", "status", "last fetch", "url"],
            [
                (
                    f.id,
                    f.name,
                    f.outlet or "",
                    f.topic or "",
                    f"{f.poll_minutes}m",
                    status(f),
                    _when(f.last_fetch_at, ctx),
                    f.url,
                )
                for f in feeds
            ],
        ),
    )
    return 0


def cmd_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.feeds import get_feed, remove_feed

    db = ctx.database()
    feed = get_feed(db, args.feed_id)
    removal = remove_feed(db, feed.id, delete_clips=args.delete_clips)
    deleted, kept = removal.deleted, removal.handed_over
    result = {
        "removed": feed.id,
        "name": feed.name,
        "clips_deleted": deleted,
        "clips_handed_over": kept,
    }
    clips = f" and its {deleted} clip{'s' if deleted != 1 else ''}" if deleted else ""
    if kept:
        verb = "stays" if kept == 1 else "stay"
        clips += f"; {kept} clip{'s' if kept != 1 else ''} other feeds carry {verb} with them"
    ctx.emit(result, lambda: ctx.out(f"removed feed {feed.id}: {feed.name}{clips}"))
    return 0


def cmd_enable(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.feeds import set_feed_enabled

    feed = set_feed_enabled(ctx.database(), args.feed_id, args.enabled)
    word = "enabled" if feed.enabled else "disabled"
    ctx.emit(feed, lambda: ctx.out(f"{word} feed {feed.id}: {feed.name}"))
    return 0


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name).expanduser()
    if not path.is_file():
        raise InputError(f"no file at {name}", field="file")
    return path.read_bytes()


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.opml import import_feeds

    result = import_feeds(ctx.database(), _read_input(args.file), poll_minutes=args.poll)

    def human() -> None:
        for where, reason in result.skipped:
            ctx.info(f"skipped {where}: {reason}")
        ctx.out(result.line())

    ctx.emit(result, human)
    return 0


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.opml import export_opml

    text = export_opml(ctx.database())
    if args.output:
        Path(args.output).expanduser().write_text(text, encoding="utf-8")
        ctx.info(f"wrote {args.output}")
    else:
        ctx.stdout.write(text)
    return 0


def cmd_health(ctx: CliContext, _args: argparse.Namespace) -> int:
    from deskterm.core.feeds import feed_health

    found = feed_health(ctx.database())

    def human() -> None:
        if not found:
            ctx.out("every feed is fetching fine")
            return
        ctx.table(
            ["id", "name", "problem", "last fetch", "detail"],
            [(h.id, h.name, h.problem, _when(h.last_fetch_at, ctx), h.detail) for h in found],
        )

    ctx.emit(found, human)
    return 0
