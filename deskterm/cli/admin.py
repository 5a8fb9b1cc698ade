"""Subcommands that look after the database itself: init, backup, check, config."""

from __future__ import annotations

import argparse
from pathlib import Path

from db.schema import backup, check
from deskterm.cli.context import CliContext


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[common], help="create or upgrade the database")
    p.add_argument("--demo", action="store_true", help="fill it with a day of sample data")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("backup", parents=[common], help="copy the live database safely")
    p.add_argument("dest", nargs="?", help="file or folder (default: beside the database)")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("check", parents=[common], help="integrity and foreign-key check")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("config", parents=[common], help="show the settings in force")
    p.set_defaults(handler=cmd_config)


def cmd_init(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.desk import create_or_upgrade

    db, what = create_or_upgrade(ctx.settings)
    try:
        ctx.info(what)
        loaded = None
        if args.demo:
            from deskterm.core.demo import load_demo

            loaded = load_demo(db)
            ctx.info(f"demo data: {loaded.describe()}")
        ctx.emit(
            {"database": db.location, "result": what, "demo": loaded},
            lambda: ctx.out(db.location),
        )
    finally:
        db.dispose()
    return 0


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    db = ctx.database()
    dest = Path(args.dest) if args.dest else (db.path.parent if db.path else Path.cwd())
    written = backup(db, dest)
    ctx.emit({"backup": str(written)}, lambda: ctx.out(str(written)))
    return 0


def cmd_check(ctx: CliContext, _args: argparse.Namespace) -> int:
    result = check(ctx.database())

    def human() -> None:
        if result.ok:
            ctx.out("ok: integrity and foreign keys")
        for line in result.integrity if result.integrity != ["ok"] else []:
            ctx.out(f"integrity: {line}")
        for line in result.foreign_keys:
            ctx.out(f"foreign key: {line}")

    ctx.emit(
        {"ok": result.ok, "integrity": result.integrity, "foreign_keys": result.foreign_keys},
        human,
    )
    if result.ok:
        return 0
    integrity = len([line for line in result.integrity if line != "ok"])
    ctx.info(
        f"deskterm: check failed: {integrity} integrity problem(s), "
        f"{len(result.foreign_keys)} foreign key violation(s) in {ctx.database().location}"
    )
    return 1


def cmd_config(ctx: CliContext, _args: argparse.Namespace) -> int:
    rows = ctx.settings.as_rows()
    ctx.emit(
        {
            "config_file": str(ctx.settings.config_path),
            "settings": {k: {"value": v, "source": s} for k, v, s in rows},
        },
        lambda: (
            ctx.out(f"config file: {ctx.settings.config_path}"),
            ctx.table(["setting", "value", "from"], rows),
        ),
    )
    return 0
