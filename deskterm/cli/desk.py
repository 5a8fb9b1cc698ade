"""`deskterm` with no subcommand: open the desk on the database in force."""

from __future__ import annotations

from deskterm.cli.context import CliContext


def open_desk(ctx: CliContext) -> int:
    from deskterm.core.desk import create_or_upgrade
    from deskterm.core.summary import summarize

    db, what = create_or_upgrade(ctx.settings)
    try:
        if not what.endswith("up to date"):
            ctx.info(what)
        summary = summarize(db)
        ctx.emit(summary, lambda: ctx.out(summary.describe(db.location)))
    finally:
        db.dispose()
    return 0
