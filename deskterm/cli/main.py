"""Parse the command line, run one subcommand, map failures to exit codes.

Exit 0 on success, 2 on bad input (one line on stderr), 1 on any other failure (one
line too). ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from db.errors import DatabaseError, NotFoundError, SchemaMissingError
from deskterm.cli.context import CliContext, clean_cell
from deskterm.core.config import load_settings
from deskterm.core.errors import InputError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
# Each top-level command and the module (of deskterm.cli) that registers it. Only the module
# of the command being run is imported and registered (building every subcommand's parser
# cost ~28 ms per run; importing every module pulled in SQLAlchemy for `deskterm fetch`).
COMMANDS: dict[str, str] = {
    "init": "admin",
    "backup": "admin",
    "check": "admin",
    "config": "admin",
    "feeds": "feeds",
    "fetch": "fetch",
    "clips": "clips",
    "topics": "topics",
    "tasks": "tasks",
    "requests": "requests",
    "contacts": "contacts",
    "calendar": "calendar",
    "staff": "staff",
}
_OPTIONS_WITH_VALUES = frozenset({"--db", "--user"})
#: What a command module needs imported before it runs, unless it names its own
#: (``PRELOAD``): the ORM. `deskterm fetch` names the fetch pipeline, which has none.
DEFAULT_PRELOAD = ("db.engine", "db.models")


class UsageError(Exception):
    """argparse found the command line malformed."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting (we print one line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def package_version() -> str:
    from deskterm import __version__

    return __version__


class VersionAction(argparse.Action):
    """--version."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[no-untyped-def]
        print(f"deskterm {package_version()}")
        parser.exit()


def global_options() -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database file or URL")
    common.add_argument("--user", default=argparse.SUPPRESS, help="your initials or name")
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text"
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    return common


def command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            return next(tokens, None)
        if token in _OPTIONS_WITH_VALUES:
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The parser; given ``argv``, with only the subcommand it names (all when unknown)."""
    common = global_options()
    parser = Parser(
        prog="deskterm",
        description="The press desk of a mayor's office, in a terminal. "
        "Without a subcommand, opens the desk.",
        parents=[common],
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in _modules_to_register(argv):
        module.register(sub, common)
    return parser


def _modules_to_register(argv: Sequence[str] | None) -> list[ModuleType]:
    """The command modules a parser for ``argv`` needs: the named command's; none when the
    line opens the desk (no command, no help asked: every subparser cost ~25 ms of the
    desk's start); all of them when unknown (for --help and "invalid choice")."""
    every = list(dict.fromkeys(COMMANDS.values()))
    command = command_in(argv) if argv is not None else None
    if argv is None:
        names = every
    elif command is None:
        names = every if _asks_for_help(argv) else []
    else:
        named = COMMANDS.get(command)
        names = [named] if named else every
    return [importlib.import_module(f"deskterm.cli.{name}") for name in names]


def preload(argv: Sequence[str]) -> None:
    """Import what the command in ``argv`` will use (``deskterm.entry`` does it with the
    garbage collector held off); the desk's modules when it names none."""
    modules = _modules_to_register(argv)
    if not modules and command_in(argv) is None:
        modules = [importlib.import_module("deskterm.cli.desk")]
    for name in dict.fromkeys(
        name for module in modules for name in getattr(module, "PRELOAD", DEFAULT_PRELOAD)
    ):
        importlib.import_module(name)
    for module in modules:
        extra = getattr(module, "preload_more", None)
        if extra is not None:
            extra(argv)


def _asks_for_help(argv: Sequence[str]) -> bool:
    """``-h``, ``--help`` or an abbreviation argparse would take for it (``--he``)."""
    return any(t == "-h" or (len(t) >= 3 and "--help".startswith(t)) for t in argv)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    ctx: CliContext | None = None
    try:
        args = build_parser(args_list).parse_args(args_list)
        settings = load_settings(db=getattr(args, "db", None), user=getattr(args, "user", None))
        ctx = CliContext(settings, as_json=getattr(args, "json", False))
        handler = getattr(args, "handler", None)
        if handler is None:
            from deskterm.cli.desk import open_desk

            return open_desk(ctx)
        return int(handler(ctx, args) or EXIT_OK)
    except (UsageError, InputError, SchemaMissingError, FileExistsError) as error:
        return _fail(EXIT_BAD_INPUT, str(error), debug)
    except NotFoundError as error:  # an id or number that names nothing: bad input
        return _fail(EXIT_BAD_INPUT, not_found(error), debug)
    except (IsADirectoryError, NotADirectoryError) as error:  # -o naming a folder, say
        return _fail(EXIT_BAD_INPUT, f"{error.strerror or error}: {error.filename or ''}", debug)
    except DatabaseError as error:
        return _fail(EXIT_FAILURE, str(error), debug)
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        return _fail(EXIT_FAILURE, f"{error.strerror or error}: {error.filename or ''}", debug)
    except Exception as error:
        return _fail(
            EXIT_FAILURE,
            f"internal error ({type(error).__name__}: {error}); run with --debug for details",
            debug,
        )
    finally:
        if ctx is not None:
            ctx.close()


#: Where the command line lists a table's rows and their ids, for "no feed 9 (see ...)".
LISTED_BY = {
    "feeds": "deskterm feeds list",
    "topics": "deskterm topics list",
    "clips": "deskterm clips list",
    "requests": "deskterm requests list",
    "response_templates": "deskterm requests templates list",
    "tasks": "deskterm tasks list",
    "checklist_items": "deskterm tasks show CARD",
    "contacts": "deskterm contacts list",
    "outlets": "deskterm contacts outlets list",
    "events": "deskterm calendar list",
    "staff": "deskterm staff list",
}


def not_found(error: NotFoundError) -> str:
    """An id typed on the command line that names nothing: ``no card 12 (see ...)``. Not
    the error's own message, which is for a record shown a moment ago that has gone."""
    listed = LISTED_BY.get(error.entity)
    return error.plainly() + (f" (see {listed})" if listed else "")


def _fail(code: int, message: str, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    first_line = clean_cell(message.strip().splitlines()[0] if message.strip() else "failed")
    print(f"deskterm: {first_line}", file=sys.stderr)
    return code
