"""`deskterm staff ...`: the press office's people, by initials.

Requests and clips are assigned to staff, cards are owned, reviewed and approved by them,
and a desk's user (``--user``, ``user =`` in the config) is one of them. ``add`` puts
someone on the list; ``list`` shows it.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from deskterm.cli.context import CliContext


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from db.enums import StaffRole

    staff = sub.add_parser("staff", parents=[common], help="the office's people, by initials")
    actions = staff.add_subparsers(
        dest="staff_command", metavar="ACTION", required=True, parser_class=type(staff)
    )
    p = actions.add_parser("add", parents=[common], help="put someone on the staff list")
    p.add_argument("initials", help="1-8 letters or digits, e.g. MP (what the desk shows)")
    p.add_argument("--name", required=True, help="full name")
    p.add_argument(
        "--role",
        default="pio",
        help=f"one of {', '.join(r.value for r in StaffRole)} (default pio)",
    )
    p.add_argument("--email", help="e-mail address")
    p.add_argument(
        "--can-approve", action="store_true", help="may sign off cards (releases, statements)"
    )
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", parents=[common], help="the staff list")
    p.add_argument("--all", action="store_true", help="people no longer active too")
    p.set_defaults(handler=cmd_list)


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.staff import add_staff

    made = add_staff(
        ctx.database(),
        initials=args.initials,
        name=args.name,
        role=args.role,
        can_approve=args.can_approve,
        email=args.email,
    )
    ctx.emit(_as_dict(made), lambda: ctx.out(f"added {made.initials}: {made.name}"))
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from deskterm.core.staff import list_staff

    found = list_staff(ctx.database(), include_inactive=args.all)
    rows = [
        (
            s.initials,
            s.name,
            s.role.value.replace("_", " "),
            "yes" if s.can_approve else "",
            s.email or "",
            "" if s.active else "no",
        )
        for s in found
    ]
    ctx.emit(
        [_as_dict(s) for s in found],
        lambda: ctx.table(["initials", "name", "role", "approves", "email", "active"], rows),
    )
    return 0


def _as_dict(record: object) -> dict:
    data = asdict(record)  # type: ignore[call-overload]
    data["role"] = str(data["role"])
    return data
