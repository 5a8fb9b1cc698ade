"""`deskterm` with no subcommand: open the desk on the database in force."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from deskterm.cli.context import CliContext

#: Frames a second the desk may draw (Textual's default is 60). A moved selection is
#: drawn at the next frame slot: during a fetch, waiting for it was up to 30 ms of the
#: slowest key presses at 60 (bench/keys.py); at 120 about half that.
DESK_FPS = 120
#: What opening the desk imports before its first paint (``deskterm.cli.main.preload``):
#: not the ORM. The panes' first windows are read with ``sqlite3`` alone and SQLAlchemy is
#: imported in the background after the first paint (``deskterm.app.DeskApp._warm_up``).
PRELOAD = ("db.engine", "deskterm.core.desk", "deskterm.core.desk_file")


def prefer_desk_frame_rate() -> None:
    """Let Textual draw at ``DESK_FPS`` unless the user set TEXTUAL_FPS. Textual reads it
    once, when ``textual.screen`` is imported, so this runs before the app is."""
    os.environ.setdefault("TEXTUAL_FPS", str(DESK_FPS))


def will_draw(argv: Sequence[str]) -> bool:
    """Whether this run opens the desk in a terminal (not a summary for a pipe or --json)."""
    return "--json" not in argv and sys.stdin.isatty() and sys.stdout.isatty()


def preload_more(argv: Sequence[str]) -> None:
    """When the desk will be drawn, import it with the rest of start-up (``deskterm.entry``
    holds collections off meanwhile and freezes what was imported: Textual and the desk's
    widgets are ~60,000 objects that live as long as the desk); its frame rate is set
    first, as Textual reads it on import."""
    if will_draw(argv):
        prefer_desk_frame_rate()
        import deskterm.app  # noqa: F401


def open_desk(ctx: CliContext) -> int:
    """Create or upgrade the database if needed, then run the desk (or print a summary
    when there is no terminal to draw on, e.g. in a pipe or with --json)."""
    from deskterm.core.desk import create_or_upgrade
    from deskterm.core.desk_file import is_empty

    db, what = create_or_upgrade(ctx.settings, allow_newer=True)
    try:
        if not what.endswith("up to date"):
            ctx.info(what)
        if ctx.as_json or not will_draw([]):
            from deskterm.core.summary import summarize

            summary = summarize(db)
            ctx.emit(summary, lambda: ctx.out(summary.describe(db.location)))
            return 0
        prefer_desk_frame_rate()
        from deskterm.app import make_app

        # the welcome's text is the empty summary's (no counts to run for a full desk)
        welcome = None
        if is_empty(db):
            from deskterm.core.summary import summarize

            welcome = summarize(db).describe(db.location)
        make_app(ctx.settings, db, welcome=welcome).run()
    finally:
        db.dispose()
    return 0
