"""Staff of the press office: who can be assigned work and who may approve it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import StaffRole
from db.models import Staff
from deskterm.core.errors import InputError

_INITIALS = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


@dataclass(frozen=True)
class StaffRecord:
    id: int
    initials: str
    name: str
    role: StaffRole
    can_approve: bool
    email: str | None
    active: bool
    version: int


def to_record(row: Staff) -> StaffRecord:
    return StaffRecord(
        row.id,
        row.initials,
        row.name,
        row.role,
        row.can_approve,
        row.email,
        row.active,
        row.version,
    )


def parse_role(text: str) -> StaffRole:
    try:
        return StaffRole(text.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise InputError(f"unknown role {text!r}; choose one of {choices}", field="role") from None


def add_staff(
    db: Database,
    *,
    initials: str,
    name: str,
    role: StaffRole | str,
    can_approve: bool = False,
    email: str | None = None,
) -> StaffRecord:
    initials = initials.strip().upper()
    if not _INITIALS.match(initials):
        raise InputError(
            f"initials {initials!r} must be 1-8 letters or digits, starting with a letter",
            field="initials",
        )
    if not name.strip():
        raise InputError("a staff member needs a name", field="name")
    role = role if isinstance(role, StaffRole) else parse_role(role)
    with db.transaction() as session:
        if session.scalar(select(Staff.id).where(Staff.initials == initials)) is not None:
            raise InputError(f"initials {initials} are already taken", field="initials")
        row = Staff(
            initials=initials,
            name=name.strip(),
            role=role,
            can_approve=can_approve,
            email=(email or None),
        )
        session.add(row)
        session.flush()
        return to_record(row)


def list_staff(db: Database, *, include_inactive: bool = False) -> list[StaffRecord]:
    with db.read() as session:
        query = select(Staff).order_by(Staff.initials)
        if not include_inactive:
            query = query.where(Staff.active.is_(True))
        return [to_record(row) for row in session.scalars(query)]


def user_not_on_staff(db: Database) -> str | None:
    """A one-line note when the desk's user is not the initials of an active staff member
    (None when they are, or when the desk has no staff yet). Such a user can read and
    write, but "mine" finds nothing of theirs and what they take is not put in their name:
    usually a typo in ``--user`` or a login name where initials were meant."""
    user = db.actor.user.strip()
    with db.read() as session:
        active = list(
            session.scalars(
                select(Staff.initials).where(Staff.active.is_(True)).order_by(Staff.initials)
            )
        )
    if not active or user.upper() in active:
        return None
    shown = ", ".join(active[:12]) + (", ..." if len(active) > 12 else "")
    return (
        f"{user!r} is not on the staff list ({shown}): 'mine' finds nothing of yours and what "
        "you take is not put in your name. Start deskterm with --user and your initials, or "
        "set user in the config."
    )


def resolve_staff_id(session: Session, initials: str | None, *, field: str) -> int | None:
    """The id of the staff member with these initials (None for empty); InputError if unknown."""
    if initials is None or not initials.strip():
        return None
    wanted = initials.strip().upper()
    found = session.scalar(select(Staff.id).where(Staff.initials == wanted))
    if found is None:
        known = ", ".join(session.scalars(select(Staff.initials).order_by(Staff.initials)))
        hint = f" (known: {known})" if known else " (no staff yet: deskterm staff add)"
        raise InputError(f"unknown staff member {initials!r}{hint}", field=field)
    return found


def staff_initials(session: Session) -> dict[int, str]:
    """id -> initials for every staff member: one query, for labelling rows."""
    return {
        staff_id: initials
        for staff_id, initials in session.execute(select(Staff.id, Staff.initials))
    }
