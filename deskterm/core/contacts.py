"""The media list: outlets and the reporters who work for them.

Outlets are looked up by name (case-insensitively), so forms, the command line and
imports can name them the way people do. CSV and vCard import/export
(``deskterm.core.contact_io``) build on the operations here. Lists are keyset windows
ordered by (name, id); searches match every typed word somewhere in the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.enums import OutletType
from db.errors import NotFoundError
from db.models import Contact, Outlet, Request
from db.search_text import fold
from db.versioning import update_versioned
from deskterm.core.errors import InputError
from deskterm.core.fields import (
    aware,
    aware_or_none,
    boolean,
    free_text,
    language_tag,
    line_text,
    list_limit,
    web_url,
)
from deskterm.core.matching import every_word

if TYPE_CHECKING:
    from deskterm.core.requests import RequestRecord

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


def phone_field(value: str | None) -> str | None:
    """A phone number as typed (one line with at least one digit); None for empty."""
    text = line_text(value, field="phone", max_length=64)
    if not text:
        return None
    if not any(ch.isdigit() for ch in text):
        raise InputError(f"phone {text!r} has no digits", field="phone")
    return text


# --- outlets ------------------------------------------------------------------------------


def outlet_named(session: Session, name: str) -> Outlet | None:
    """The outlet of this name: spelt exactly, else in any case and accents ("la opinion"
    for "La Opinión": ``fold``, as the media list's search compares)."""
    wanted = name.strip()
    exact = session.scalar(select(Outlet).where(Outlet.name == wanted))
    if exact is not None:
        return exact
    return session.scalar(
        select(Outlet).where(Outlet.search_name == fold(wanted)).order_by(Outlet.id)
    )


def outlet_id_named(session: Session, name: str) -> int | None:
    """The id of ``outlet_named``'s outlet, or None."""
    found = outlet_named(session, name)
    return found.id if found is not None else None


def contact_ids_named(session: Session, name: str, *, limit: int = 2) -> list[int]:
    """Up to ``limit`` contacts of this name in any case and accents, oldest first (a
    typed requester is linked only when exactly one contact has the name)."""
    query = select(Contact.id).where(Contact.search_name == fold(name)).order_by(Contact.id)
    return list(session.scalars(query.limit(limit)))


def resolve_outlet_id(session: Session, name: str | None, *, field: str = "outlet") -> int | None:
    """The id of the outlet with this name (any case); None for empty; InputError if unknown."""
    if name is None or not name.strip():
        return None
    found = outlet_id_named(session, name)
    if found is None:
        raise InputError(f"unknown outlet {name.strip()!r}; add the outlet first", field=field)
    return found


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
        existing = outlet_named(session, name)
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
        row = outlet_named(session, name)
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
    phone = phone_field(phone)
    social = line_text(social, field="social", max_length=200) or None
    language = language_tag(language)
    do_not_contact = boolean(do_not_contact, field="do_not_contact")
    notes = free_text(notes, field="notes", max_length=MAX_NOTES)
    with db.transaction() as session:
        _refuse_taken_email(session, email)
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
    ``after_name`` for the next window. ``text`` as in ``search_contacts``."""
    limit = list_limit(limit)
    query = _contact_select().where(*_contact_words(text))
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


def clean_contact_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """Validated column values for the whitelisted fields (outlet stays a name here).

    The one validator of a contact's fields: edits, imports and forms all go through it.
    """
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
            clean[key] = phone_field(value)
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
    clean = clean_contact_fields(changes)
    with db.transaction() as session:
        if clean.get("email"):
            _refuse_taken_email(session, clean["email"], contact_id=contact_id)
        if "outlet" in clean:
            clean["outlet_id"] = resolve_outlet_id(session, clean.pop("outlet"))
        update_versioned(session, Contact, contact_id, base_version, **clean)
        return _load_contact(session, contact_id)


def _refuse_taken_email(
    session: Session, email: str | None, *, contact_id: int | None = None
) -> None:
    """One person, one contact: an address (any case) another contact has is refused, as
    import merges people by it and ``find_contact`` names them by it. Checked inside the
    write transaction, so two desks adding one address at once cannot both pass."""
    if not email:
        return
    query = select(Contact.id, Contact.name).where(func.lower(Contact.email) == email.lower())
    if contact_id is not None:
        query = query.where(Contact.id != contact_id)
    taken = session.execute(query.order_by(Contact.id).limit(1)).first()
    if taken is not None:
        raise InputError(
            f"{email} is already the address of {taken.name} (contact {taken.id}): "
            "edit that contact instead",
            field="email",
        )


# --- finding and searching ------------------------------------------------------------------

Cursor = tuple[str, int]
"""A keyset position in a list ordered by (name, id): the last (or first) row's name and id."""


def _contact_words(text: str | None) -> list[ColumnElement[bool]]:
    """Every typed word in the reporter's name, email, beat or social handle, or in their
    outlet's name (``deskterm.core.matching``: any case, any accents, any order)."""
    return every_word(text, Contact.search_text, Outlet.search_name)


def _window(
    query: Select[Any], name: Any, key: Any, after: Cursor | None, before: Cursor | None
) -> Select[Any]:
    """Keyset paging on (name, id): ``after`` a row forwards, or the rows just ``before`` one
    (fetched backwards; the caller reverses them)."""
    if after is not None and before is not None:
        raise InputError("give either after or before, not both", field="after")
    if after is not None:
        return query.where(tuple_(name, key) > tuple_(literal(after[0]), literal(int(after[1]))))
    if before is not None:
        return (
            query.where(tuple_(name, key) < tuple_(literal(before[0]), literal(int(before[1]))))
            .order_by(None)
            .order_by(name.desc(), key.desc())
        )
    return query


def get_contact(db: Database, contact_id: int) -> ContactRecord:
    """One contact; ``NotFoundError`` if it does not exist (deleted by someone else)."""
    with db.read() as session:
        found = session.execute(_contact_select().where(Contact.id == contact_id)).first()
        if found is None:
            raise NotFoundError(Contact.__tablename__, contact_id)
        return contact_record(found[0], found[1])


def find_contact(db: Database, ref: str | int) -> ContactRecord:
    """A contact named the way people name one: its id or its email (any case).

    InputError when there is none, or when an email belongs to more than one contact.
    """
    text = str(ref).strip()
    query = _contact_select()
    if text.isdigit():
        query = query.where(Contact.id == int(text))
    else:
        query = query.where(func.lower(Contact.email) == text.lower()).order_by(Contact.id)
    with db.read() as session:
        found = [contact_record(row, name) for row, name in session.execute(query.limit(2))]
    if not found:
        raise InputError(f"no contact {text!r} (give an id or an email)", field="contact")
    if len(found) > 1:
        raise InputError(f"{text!r} belongs to more than one contact; give the id", field="contact")
    return found[0]


def search_contacts(
    db: Database,
    text: str | None = None,
    *,
    limit: int = 200,
    after: Cursor | None = None,
    before: Cursor | None = None,
    outlet: str | None = None,
) -> list[ContactRecord]:
    """Reporters by (name, id), a window of ``limit``: every word of ``text`` must appear
    (any case, any accents, any order) in the name, email, outlet, beat or social handle; a
    "quoted phrase" as written. ``outlet``
    keeps one outlet's reporters (named in any case; InputError if unknown). Pass the last
    row as ``after`` for the next window, or the first row as ``before`` for the previous."""
    limit = list_limit(limit)
    query = _contact_select().where(*_contact_words(text))
    query = _window(
        query.order_by(Contact.name, Contact.id), Contact.name, Contact.id, after, before
    )
    with db.read() as session:
        if outlet is not None and outlet.strip():
            query = query.where(Contact.outlet_id == resolve_outlet_id(session, outlet))
        rows = [contact_record(row, name) for row, name in session.execute(query.limit(limit))]
    return rows[::-1] if before is not None else rows


def contact_history(db: Database, contact_id: int, *, limit: int = 50) -> list[RequestRecord]:
    """The reporter's requests (linked to this contact), newest first, as ``RequestRecord``s.

    ``NotFoundError`` if the contact does not exist.
    """
    from deskterm.core.requests import to_record  # requests is heavier; load it when asked
    from deskterm.core.staff import staff_initials

    limit = list_limit(limit)
    query = (
        select(Request, Contact.name, Outlet.name)
        .outerjoin(Contact, Request.contact_id == Contact.id)
        .outerjoin(Outlet, Request.outlet_id == Outlet.id)
        .where(Request.contact_id == contact_id)
        .order_by(Request.received_at.desc(), Request.id.desc())
        .limit(limit)
    )
    with db.read() as session:
        if session.get(Contact, contact_id) is None:
            raise NotFoundError(Contact.__tablename__, contact_id)
        rows = session.execute(query).all()
        initials = staff_initials(session) if rows else {}
        return [
            to_record(row, initials, contact_name=contact, outlet_name=outlet_name)
            for row, contact, outlet_name in rows
        ]


def mark_contacted(db: Database, contact_id: int, *, now: datetime | None = None) -> ContactRecord:
    """Record that someone on the desk reached the reporter at ``now`` (default: the time).

    Not version-checked on purpose: the stamp only ever moves forward (an older ``now`` than
    the stored one changes nothing), so two desks marking at once cannot lose anything.
    """
    when = utcnow() if now is None else aware(now, field="now")
    with db.transaction() as session:
        row = session.get(Contact, contact_id, populate_existing=True)
        if row is None:
            raise NotFoundError(Contact.__tablename__, contact_id)
        if row.last_contacted_at is None or row.last_contacted_at < when:
            row.last_contacted_at = when
            session.flush()
        return _load_contact(session, contact_id)


# --- outlets: search and edit ---------------------------------------------------------------


def get_outlet(db: Database, outlet_id: int) -> OutletRecord:
    """One outlet; ``NotFoundError`` if it does not exist."""
    with db.read() as session:
        row = session.get(Outlet, outlet_id)
        if row is None:
            raise NotFoundError(Outlet.__tablename__, outlet_id)
        return outlet_record(row)


def search_outlets(
    db: Database,
    text: str | None = None,
    *,
    type: OutletType | str | None = None,
    limit: int = 200,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> list[OutletRecord]:
    """Outlets by (name, id), a window of ``limit``: every word of ``text`` must appear (any
    case, any accents, any order) in the name, type, language or website; ``type`` keeps
    one type (aliases as ``parse_outlet_type``). ``after``/``before`` page as in
    ``search_contacts``."""
    limit = list_limit(limit)
    query = select(Outlet).where(*every_word(text, Outlet.search_text))
    if type is not None and str(type).strip():
        query = query.where(Outlet.type == parse_outlet_type(type))
    query = _window(query.order_by(Outlet.name, Outlet.id), Outlet.name, Outlet.id, after, before)
    with db.read() as session:
        rows = [outlet_record(row) for row in session.scalars(query.limit(limit))]
    return rows[::-1] if before is not None else rows


_OUTLET_FIELDS = ("name", "type", "language", "reach", "website", "notes")


def _outlet_changes(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            clean[key] = line_text(
                value, field="name", label="an outlet's name", max_length=200, required=True
            )
        elif key == "type":
            clean[key] = parse_outlet_type(value)
        elif key == "language":
            clean[key] = language_tag(value)
        elif key == "reach":
            clean[key] = _reach_field(value)
        elif key == "website":
            clean[key] = _website_field(value)
        elif key == "notes":
            clean[key] = free_text(value, field="notes", max_length=MAX_NOTES)
        else:
            allowed = ", ".join(_OUTLET_FIELDS)
            raise InputError(f"cannot change {key!r} of an outlet (only {allowed})", field=key)
    return clean


def update_outlet(db: Database, outlet_id: int, base_version: int, **changes: Any) -> OutletRecord:
    """Change an outlet loaded at ``base_version``; ConflictError if someone saved since.

    Fields: name (unique in any case), type, language, reach, website, notes.
    """
    clean = _outlet_changes(changes)
    with db.transaction() as session:
        if "name" in clean:
            other = _other_outlet_named(session, outlet_id, clean["name"])
            if other is not None:
                raise InputError(f"an outlet named {other.name!r} already exists", field="name")
        row = update_versioned(session, Outlet, outlet_id, base_version, **clean)
        return outlet_record(row)


def _other_outlet_named(session: Session, outlet_id: int, name: str) -> Outlet | None:
    """Another outlet that renaming ``outlet_id`` to ``name`` would clash with: one spelt
    exactly so, or one of the same folded name when the rename leaves the outlet's own
    (outlets that differ only in accents from before 0007 can still be edited)."""
    wanted = name.strip()
    others = select(Outlet).where(Outlet.id != outlet_id).order_by(Outlet.id)
    exact = session.scalar(others.where(Outlet.name == wanted))
    if exact is not None:
        return exact
    own = session.scalar(select(Outlet.search_name).where(Outlet.id == outlet_id))
    if own == fold(wanted):
        return None
    return session.scalar(others.where(Outlet.search_name == fold(wanted)))


# --- completion for forms -------------------------------------------------------------------


def _suggest(db: Database, column: Any, order: list[Any], prefix: str, limit: int) -> list[str]:
    text = " ".join(prefix.split())
    if not text:
        return []
    limit = list_limit(limit, maximum=50)
    query = (
        select(column)
        .where(column.istartswith(text, autoescape=True))
        .order_by(*order)
        .limit(limit * 3)  # room for repeated names
    )
    with db.read() as session:
        names = session.scalars(query).all()
    return list(dict.fromkeys(names))[:limit]


def suggest_requesters(db: Database, prefix: str, *, limit: int = 8) -> list[str]:
    """Reporters' names starting with ``prefix`` (any case), the most recently contacted
    first, each name once: completions for the request form's requester field."""
    order = [Contact.last_contacted_at.desc().nulls_last(), Contact.name, Contact.id]
    return _suggest(db, Contact.name, order, prefix, limit)


def suggest_outlets(db: Database, prefix: str, *, limit: int = 8) -> list[str]:
    """Outlet names starting with ``prefix`` (any case), by name: completions for forms."""
    return _suggest(db, Outlet.name, [Outlet.name, Outlet.id], prefix, limit)


def contact_label(contact: ContactRecord) -> str:
    """How a contact is named in messages: ``Name <email>`` (or the name alone)."""
    return f"{contact.name} <{contact.email}>" if contact.email else contact.name


__all__ = [
    "ContactRecord",
    "Cursor",
    "OutletRecord",
    "add_contact",
    "add_outlet",
    "clean_contact_fields",
    "contact_history",
    "contact_label",
    "contact_record",
    "email_field",
    "find_contact",
    "find_outlet",
    "get_contact",
    "get_outlet",
    "list_contacts",
    "list_outlets",
    "mark_contacted",
    "outlet_record",
    "parse_outlet_type",
    "phone_field",
    "resolve_outlet_id",
    "search_contacts",
    "search_outlets",
    "suggest_outlets",
    "suggest_requesters",
    "update_contact",
    "update_outlet",
]
