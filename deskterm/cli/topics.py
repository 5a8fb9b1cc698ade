"""`deskterm topics ...`: watch rules for the mayor's priorities.

add, list, update, remove and rematch. Adding a topic, or changing its rule (match, outlet
types, languages, on/off), re-matches the clips of the last ``REMATCH_DAYS`` days at once,
in short batches, with progress on stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from deskterm.cli.context import CliContext, clean_cell

if TYPE_CHECKING:
    from deskterm.core.topics import RematchResult, TopicRecord

ANY = "any"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    topics = sub.add_parser("topics", parents=[common], help="watch rules that tag clips")
    actions = topics.add_subparsers(
        dest="topics_command", metavar="ACTION", required=True, parser_class=type(topics)
    )
    query_help = 'words, "phrases", prefix*, AND, OR, NOT, ( ); e.g. \'rent* OR "fiscal year"\''

    p = actions.add_parser("add", parents=[common], help="add a topic and tag recent clips")
    p.add_argument("name")
    p.add_argument("--match", required=True, metavar="QUERY", help=query_help)
    _limits(p, priority_default=2)
    p.add_argument("--disabled", action="store_true", help="add it switched off")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="list topics, highest priority first")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("update", parents=[common], help="change a topic (re-matches clips)")
    p.add_argument("topic", metavar="ID_OR_NAME")
    p.add_argument("--name")
    p.add_argument("--match", metavar="QUERY", help=query_help)
    _limits(p, priority_default=None)
    onoff = p.add_mutually_exclusive_group()
    onoff.add_argument("--enable", dest="enabled", action="store_const", const=True)
    onoff.add_argument("--disable", dest="enabled", action="store_const", const=False)
    p.set_defaults(handler=cmd_update)

    p = actions.add_parser("remove", parents=[common], help="delete a topic (clips stay)")
    p.add_argument("topic", metavar="ID_OR_NAME")
    p.set_defaults(handler=cmd_remove)

    p = actions.add_parser("rematch", parents=[common], help="tag clips with a topic again")
    p.add_argument("topic", metavar="ID_OR_NAME")
    p.add_argument("--since", metavar="WHEN", help="from this date (default: 30 days ago)")
    p.set_defaults(handler=cmd_rematch)


def _limits(p: argparse.ArgumentParser, *, priority_default: int | None) -> None:
    p.add_argument(
        "--priority", type=int, default=priority_default, help="1 (highest) to 5; default 2"
    )
    p.add_argument(
        "--outlet-type",
        dest="outlet_types",
        action="append",
        metavar="TYPE",
        help="only clips from this outlet type (repeat or comma list; 'any' for all)",
    )
    p.add_argument(
        "--language",
        dest="languages",
        action="append",
        metavar="LANG",
        help="only clips in this language, e.g. es (repeat or comma list; 'any' for all)",
    )


def _list_option(values: list[str] | None) -> list[str] | None:
    """None (not given), [] ('any') or the items of repeated / comma-separated values."""
    if values is None:
        return None
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return [] if [item.lower() for item in items] == [ANY] else items


# --- handlers -----------------------------------------------------------------------------


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.topics import add_topic

    db = ctx.database()
    topic = add_topic(
        db,
        name=args.name,
        query=args.match,
        priority=args.priority,
        outlet_types=_list_option(args.outlet_types) or (),
        languages=_list_option(args.languages) or (),
        enabled=not args.disabled,
    )
    result = _rematch(ctx, topic.id, since=None)
    ctx.emit(
        {"topic": topic, "rematch": result},
        lambda: ctx.out(
            f"added topic {topic.id}: {clean_cell(topic.name)} (priority {topic.priority}); "
            + _tagged(result)
        ),
    )
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.topics import list_topics, match_counts

    db = ctx.database()
    found = list_topics(db)
    counts = match_counts(db)
    rows = [
        (
            t.id,
            t.priority,
            t.name,
            t.query,
            _limits_text(t),
            "on" if t.enabled else "off",
            counts.get(t.id, 0),
        )
        for t in found
    ]
    ctx.emit(
        [{**_as_dict(t), "clips": counts.get(t.id, 0)} for t in found],
        lambda: ctx.table(["id", "prio", "name", "match", "limits", "on", "clips"], rows),
    )
    return 0


def cmd_update(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.errors import InputError
    from deskterm.core.topics import MATCH_FIELDS, find_topic, update_topic

    db = ctx.database()
    current = find_topic(db, args.topic)
    changes: dict[str, Any] = {}
    for key, value in (
        ("name", args.name),
        ("query", args.match),
        ("priority", args.priority),
        ("outlet_types", _list_option(args.outlet_types)),
        ("languages", _list_option(args.languages)),
        ("enabled", args.enabled),
    ):
        if value is not None:
            changes[key] = value
    if not changes:
        raise InputError("nothing to change: give --name, --match, --priority, ... (see --help)")
    topic = update_topic(db, current.id, current.version, **changes)
    rule_changed = any(
        getattr(topic, key) != getattr(current, key) for key in MATCH_FIELDS & changes.keys()
    )
    result = _rematch(ctx, topic.id, since=None) if rule_changed else None
    ctx.emit(
        {"topic": topic, "rematch": result},
        lambda: ctx.out(
            f"updated topic {topic.id}: {clean_cell(topic.name)}, version {topic.version}"
            + (f"; {_tagged(result)}" if result is not None else "")
        ),
    )
    return 0


def cmd_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.topics import find_topic, remove_topic

    db = ctx.database()
    topic = find_topic(db, args.topic)
    remove_topic(db, topic.id, topic.version)
    ctx.emit(
        {"removed": topic},
        lambda: ctx.out(f"removed topic {topic.id}: {clean_cell(topic.name)}"),
    )
    return 0


def cmd_rematch(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.dates import parse_when
    from deskterm.core.topics import find_topic

    db = ctx.database()
    topic = find_topic(db, args.topic)
    since = None
    if args.since is not None:
        since = parse_when(
            args.since,
            now=datetime.now(UTC),
            tz=ctx.settings.tz(),
            field="since",
            default_time=time(0, 0),
        )
    result = _rematch(ctx, topic.id, since=since)
    ctx.emit(
        result, lambda: ctx.out(f"topic {topic.id}: {clean_cell(topic.name)}; {_tagged(result)}")
    )
    return 0


# --- helpers ------------------------------------------------------------------------------


def _rematch(ctx: CliContext, topic_id: int, *, since: datetime | None) -> RematchResult:
    from deskterm.core.topics import rematch_topic

    live = ctx.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if live:
            ctx.stderr.write(f"\rmatching clips: {done:,}/{total:,}")
            ctx.stderr.flush()

    result = rematch_topic(ctx.database(), topic_id, since=since, progress=progress)
    if live and result.scanned:
        ctx.stderr.write("\n")
    return result


def _tagged(result: RematchResult) -> str:
    text = f"tags {result.matched:,} of the {result.scanned:,} recent clips checked"
    if result.added or result.removed:
        text += f" (+{result.added:,}, -{result.removed:,})"
    if result.interrupted:
        text += "; stopped: someone changed the topic meanwhile (their change re-matches)"
    return text


def _limits_text(topic: TopicRecord) -> str:
    parts = [*topic.outlet_types, *topic.languages]
    return ", ".join(parts) if parts else "any"


def _as_dict(topic: TopicRecord) -> dict[str, Any]:
    return {k: getattr(topic, k) for k in topic.__dataclass_fields__}
