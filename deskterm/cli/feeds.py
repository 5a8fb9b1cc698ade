"""`deskterm feeds add|list`: the desk's news sources.

(Fetching them, import/export and removal arrive with the news-monitoring work.)
"""

from __future__ import annotations

import argparse

from deskterm.cli.context import CliContext


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser("feeds", parents=[common], help="the news feeds the desk watches")
    actions = feeds.add_subparsers(
        dest="feeds_command", metavar="ACTION", required=True, parser_class=type(feeds)
    )
    p = actions.add_parser("add", parents=[common], help="add a feed by URL or file path")
    p.add_argument("url", metavar="URL_OR_PATH")
    p.add_argument("--name", help="what the desk calls it (default: the host or file name)")
    p.add_argument("--outlet", help="the outlet it belongs to (from the media list)")
    p.add_argument(
        "--poll", type=int, default=10, metavar="MINUTES", help="how often to fetch it (default 10)"
    )
    p.set_defaults(handler=cmd_add)
    p = actions.add_parser("list", parents=[common], help="list the feeds and their health")
    p.set_defaults(handler=cmd_list)


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.feeds import add_feed

    feed = add_feed(
        ctx.database(), url=args.url, name=args.name, outlet=args.outlet, poll_minutes=args.poll
    )
    ctx.emit(feed, lambda: ctx.out(f"added feed {feed.id}: {feed.name} ({feed.url})"))
    return 0


def cmd_list(ctx: CliContext, _args: argparse.Namespace) -> int:
    from deskterm.core.feeds import list_feeds

    feeds = list_feeds(ctx.database())
    ctx.emit(
        feeds,
        lambda: ctx.table(
            ["id", "name", "outlet", "every", "status", "url"],
            [
                (f.id, f.name, f.outlet or "", f"{f.poll_minutes}m", f.last_status, f.url)
                for f in feeds
            ],
        ),
    )
    return 0
