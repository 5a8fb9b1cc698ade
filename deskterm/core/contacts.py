"""The media list: outlets and the reporters who work for them.

Outlets are looked up by name (case-insensitively), so forms, the command line and
imports can name them the way people do. CSV and vCard import/export build on the
operations here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import OutletType
from db.models import Contact, Outlet
from db.versioning import update_versioned
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware_or_none,
    boolean,
    free_text,
    language_tag,
    line_text,
    list_limit,
    web_url,
)

MAX_NOTES = 20_000
MAX_WEBSITE = 500

_OUTLET_TYPE_ALIASES = {
    "community": OutletType.COMMUNITY_ETHNIC,
    "ethnic": OutletType.COMMUNITY_ETHNIC,
    "community/ethnic": OutletType.COMMUNITY_ETHNIC,
    "ethnic/community": OutletType.COMMUNITY_ETHNIC,
}


@dataclass(frozen=True)
class OutletRecord:
    id: int
    name: str
    type: OutletType
    language: str
    reach: int | None
    website: str | None
    notes: str
    version: int


@dataclass(frozen=True)
class ContactRecord:
    id: int
    name: str
    outlet: str | None  # the outlet's name
    outlet_id: int | None
    beat: str
    email: str | None
    phone: str | None
    social: str | None
    language: str
    do_not_contact: bool
    notes: str
    last_contacted_at: datetime | None
    version: int


def outlet_record(row: Outlet) -> OutletRecord:
    return OutletRecord(
        row.id,
        row.name,
        row.type,
        row.language,
        row.reach,
        row.website,
        row.notes,
        row.version,
    )


def contact_record(row: Contact, outlet_name: str | None) -> ContactRecord:
    return ContactRecord(
        row.id,
        row.name,
        outlet_name,
        row.outlet_id,
        row.beat,
        row.email,
        row.phone,
        row.social,
        row.language,
        row.do_not_contact,
        row.notes,
        row.last_contacted_at,
        row.version,
    )


# --- validation helpers ----------------------------------------------------------------


def email_field(value: str | None, *, field: str = "email") -> str | None:
    text = line_text(value, field=field, max_length=320)
    if not text:
        return None
    local, at, domain = text.partition("@")
    labels = domain.split(".")
    if (
        not at
        or "@" in domain
        or not local
        or any(ch.isspace() for ch in text)
        or len(labels) < 2
        or not all(labels)
    ):
        raise InputError(
            f"email {text!r} does not look like an address (name@example.org)", field=field
        )
    return text


def parse_outlet_type(value: OutletType | str) -> OutletType:
    """An outlet type from its value in any case, or community/ethnic aliases."""
    if isinstance(value, OutletType):
        return value
    text = str(value).strip().lower()
    if text in _OUTLET_TYPE_ALIASES:
        return _OUTLET_TYPE_ALIASES[text]
    try:
        return OutletType(text.replace(" ", "_").replace("-", "_"))
    except ValueError:
        choices = ", ".join(t.value for t in OutletType)
        raise InputError(
            f"unknown outlet type {value!r}; choose one of {choices}", field="type"
        ) from None


def _reach_field(value: int | str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        if not text:
            return None
        if not text.isdigit():
            raise InputError(f"reach {value!r} must be a whole number", field="reach")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError("reach must be a whole number, 0 or more", field="reach")
    return value


def _website_field(value: str | None) -> str | None:
    """An http(s) address; a bare domain (``example.org``) gets ``https://``."""
    text = line_text(value, field="website", max_length=MAX_WEBSITE, collapse=False)
    if text and "://" not in text:
        text = f"https://{text}"
    return web_url(text, field="website", max_length=MAX_WEBSITE)


def _phone_field(value: str | None) -> str | None:
    text = line_text(value, field="phone", max_length=64)
    if not text:
        return None
    if not any(ch.isdigit() for ch in text):
        raise InputError(f"phone {text!r} has no digits", field="phone")
    return text


# --- outlets ------------------------------------------------------------------------------


def _outlet_by_name(session: Session, name: str) -> Outlet | None:
    wanted = name.strip()
    exact = session.scalar(select(Outlet).where(Outlet.name == wanted))
    if exact is not None:
        return exact
    return session.scalar(
        select(Outlet).where(func.lower(Outlet.name) == func.lower(wanted)).order_by(Outlet.id)
    )


def resolve_outlet_id(session: Session, name: str | None, *, field: str = "outlet") -> int | None:
    """The id of the outlet with this name (any case); None for empty; InputError if unknown."""
    if name is None or not name.strip():
        return None
    found = _outlet_by_name(session, name)
    if found is None:
        raise InputError(f"unknown outlet {name.strip()!r}; add the outlet first", field=field)
    return found.id


def add_outlet(
    db: Database,
    *,
    name: str,
    type: OutletType | str,
    language: str = "en",
    reach: int | None = None,
    website: str | None = None,
    notes: str = "",
) -> OutletRecord:
    name = line_text(name, field="name", label="an outlet's name", max_length=200, required=True)
    outlet_type = parse_outlet_type(type)
    language = language_tag(language)
    reach = _reach_field(reach)
    website = _website_field(website)
    notes = free_text(notes, field="notes", max_length=MAX_NOTES)
    with db.transaction() as session:
        existing = _outlet_by_name(session, name)
        if existing is not None:
            raise InputError(f"an outlet named {existing.name!r} already exists", field="name")
        row = Outlet(
            name=name,
            type=outlet_type,
            language=language,
            reach=reach,
            website=website,
            notes=notes,
        )
        session.add(row)
        session.flush()
        return outlet_record(row)


def list_outlets(db: Database, *, limit: int = 500) -> list[OutletRecord]:
    """Outlets by name (the first ``limit``)."""
    limit = list_limit(limit)
    with db.read() as session:
        rows = session.scalars(select(Outlet).order_by(Outlet.name, Outlet.id).limit(limit))
        return [outlet_record(row) for row in rows]


def find_outlet(db: Database, name: str) -> OutletRecord | None:
    """The outlet with this name, compared case-insensitively; None if there is none."""
    if not name or not name.strip():
        return None
    with db.read() as session:
        row = _outlet_by_name(session, name)
        return outlet_record(row) if row is not None else None


# --- contacts -----------------------------------------------------------------------------


def _contact_select() -> Select[tuple[Contact, str | None]]:
    return select(Contact, Outlet.name).outerjoin(Outlet, Contact.outlet_id == Outlet.id)


def _load_contact(session: Session, contact_id: int) -> ContactRecord:
    row, outlet_name = session.execute(_contact_select().where(Contact.id == contact_id)).one()
    return contact_record(row, outlet_name)


def add_contact(
    db: Database,
    *,
    name: str,
    outlet: str | None = None,
    beat: str = "",
    email: str | None = None,
    phone: str | None = None,
    social: str | None = None,
    language: str = "en",
    do_not_contact: bool = False,
    notes: str = "",
) -> ContactRecord:
    """Add a reporter; ``outlet`` names an existing outlet (InputError on field "outlet")."""
    name = line_text(name, field="name", label="a contact's name", max_length=200, required=True)
    outlet_name = line_text(outlet, field="outlet", max_length=200)
    beat = line_text(beat, field="beat", max_length=200)
    email = email_field(email)
    phone = _phone_field(phone)
    social = line_text(social, field="social", max_length=200) or None
    language = language_tag(language)
    do_not_contact = boolean(do_not_contact, field="do_not_contact")
    notes = free_text(notes, field="notes", max_length=MAX_NOTES)
    with db.transaction() as session:
        row = Contact(
            name=name,
            outlet_id=resolve_outlet_id(session, outlet_name),
            beat=beat,
            email=email,
            phone=phone,
            social=social,
            language=language,
            do_not_contact=do_not_contact,
            notes=notes,
        )
        session.add(row)
        session.flush()
        return _load_contact(session, row.id)


def list_contacts(
    db: Database,
    *,
    text: str | None = None,
    limit: int = 200,
    after_name: tuple[str, int] | None = None,
) -> list[ContactRecord]:
    """Contacts by (name, id), ``limit`` at a time; pass the last row's (name, id) as
    ``after_name`` for the next window. ``text`` matches name, outlet, beat or email
    (case-insensitive substring)."""
    limit = list_limit(limit)
    query = _contact_select()
    if text is not None and text.strip():
        needle = text.strip()
        query = query.where(
            or_(
                Contact.name.icontains(needle, autoescape=True),
                Outlet.name.icontains(needle, autoescape=True),
                Contact.beat.icontains(needle, autoescape=True),
                Contact.email.icontains(needle, autoescape=True),
            )
        )
    if after_name is not None:
        last_name, last_id = after_name
        query = query.where(
            tuple_(Contact.name, Contact.id) > tuple_(literal(last_name), literal(int(last_id)))
        )
    query = query.order_by(Contact.name, Contact.id).limit(limit)
    with db.read() as session:
        return [contact_record(row, outlet_name) for row, outlet_name in session.execute(query)]


_CONTACT_FIELDS = (
    "name",
    "outlet",
    "beat",
    "email",
    "phone",
    "social",
    "language",
    "do_not_contact",
    "notes",
    "last_contacted_at",
)


def _contact_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validated column values for the whitelisted fields (outlet stays a name here)."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            clean[key] = line_text(
                value, field="name", label="a contact's name", max_length=200, required=True
            )
        elif key == "outlet":
            clean[key] = line_text(value, field="outlet", max_length=200)
        elif key == "beat":
            clean[key] = line_text(value, field="beat", max_length=200)
        elif key == "email":
            clean[key] = email_field(value)
        elif key == "phone":
            clean[key] = _phone_field(value)
        elif key == "social":
            clean[key] = line_text(value, field="social", max_length=200) or None
        elif key == "language":
            clean[key] = language_tag(value)
        elif key == "do_not_contact":
            clean[key] = boolean(value, field="do_not_contact")
        elif key == "notes":
            clean[key] = free_text(value, field="notes", max_length=MAX_NOTES)
        elif key == "last_contacted_at":
            clean[key] = aware_or_none(value, field="last_contacted_at")
        else:
            allowed = ", ".join(_CONTACT_FIELDS)
            raise InputError(f"cannot change {key!r} of a contact (only {allowed})", field=key)
    return clean


def update_contact(
    db: Database, contact_id: int, base_version: int, **changes: Any
) -> ContactRecord:
    """Change a contact loaded at ``base_version``; ConflictError if someone saved since.

    Fields: name, outlet (a name, "" or None to clear), beat, email, phone, social,
    language, do_not_contact, notes, last_contacted_at.
    """
    clean = _contact_changes(changes)
    with db.transaction() as session:
        if "outlet" in clean:
            clean["outlet_id"] = resolve_outlet_id(session, clean.pop("outlet"))
        update_versioned(session, Contact, contact_id, base_version, **clean)
        return _load_contact(session, contact_id)
