"""Media inquiries, constituent inquiries and public-records requests.

The base the dashboard, the command line and the demo data build on: intake with validation
and tracking numbers (``M-2026-0001``), the open-requests window (most urgent first, filtered
in SQL by text, status, kind, assignee and outlet type), keyset listing, versioned edits and
notes.

The status workflow (``TRANSITIONS``) is enforced inside the write transaction on the freshly
loaded row: new -> assigned -> drafting -> in review -> responded -> closed, with declined
from any open status and reopened from responded, closed or declined. Assigned, drafting and
in review need an assignee; responded (and closed) need a response method. Entering
responded stamps ``responded_at``, entering closed or declined stamps ``closed_at`` and
reopening clears it. ``check_status_move`` states the same rules without writing, so a UI can
offer only the moves that are allowed.

A public-records request with statutory days is due when its statutory clock says
(``deskterm.core.statutory``): setting the days sets ``deadline_at`` to 17:00 desk time on
the due date, and its deadline cannot be set by hand.

A request logged with no language takes its outlet's (``La Opinión`` is ``es``), else
``en``; a language given always wins. Edits never change the language by themselves: an
edit that clears it asks for the outlet's again (see ``update_request``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, cast, func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.enums import (
    Accuracy,
    Attribution,
    NoteKind,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
)
from db.errors import NotFoundError
from db.models import Contact, Outlet, Request, RequestNote, Staff, Topic
from db.plain_rows import values_of
from db.versioning import load_for_update, update_versioned
from deskterm.core.contacts import contact_ids_named, outlet_id_named
from deskterm.core.dates import parse_when
from deskterm.core.errors import Checks, InputError
from deskterm.core.fields import (
    aware,
    aware_or_none,
    boolean,
    free_text,
    language_tag,
    line_text,
    list_limit,
    optional_choice,
    parse_choice,
    web_url,
)
from deskterm.core.matching import every_word
from deskterm.core.open_requests import RECORD_COLUMNS
from deskterm.core.open_requests import count_open as count_open
from deskterm.core.records import children, require
from deskterm.core.request_records import (
    OPEN_STATUSES,
    UNASSIGNED,
    RequestFilter,
    RequestRecord,
    status_label,
    to_record,
)
from deskterm.core.staff import resolve_staff_id, staff_initials

__all__ = [
    "CLOSED_STATUSES",
    "EDITABLE_FIELDS",
    "FIELD_LABELS",
    "NUMBER_PREFIX",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "UNASSIGNED",
    "FieldChange",
    "NoteRecord",
    "RequestFilter",
    "RequestRecord",
    "add_note",
    "check_status_move",
    "compare_edit",
    "count_open",
    "create_request",
    "find_request",
    "get_request",
    "list_notes",
    "list_open_requests",
    "list_requests",
    "next_statuses",
    "parse_choice",
    "status_label",
    "to_record",
    "update_request",
]

# Statuses that end a request: entering one stamps ``closed_at``, leaving one clears it.
CLOSED_STATUSES: tuple[RequestStatus, ...] = (RequestStatus.CLOSED, RequestStatus.DECLINED)

NUMBER_PREFIX: dict[RequestKind, str] = {
    RequestKind.MEDIA: "M",
    RequestKind.CONSTITUENT: "C",
    RequestKind.RECORDS: "PR",
}

SUBJECT_MAX = 500
NAME_MAX = 200

E = TypeVar("E", bound=StrEnum)


# --- the status workflow ---------------------------------------------------------------------

_S = RequestStatus
#: Where a request may go from each status (moving to the status it has is no move at all).
TRANSITIONS: Mapping[RequestStatus, tuple[RequestStatus, ...]] = {
    _S.NEW: (_S.ASSIGNED, _S.DRAFTING, _S.RESPONDED, _S.DECLINED),
    _S.ASSIGNED: (_S.NEW, _S.DRAFTING, _S.IN_REVIEW, _S.RESPONDED, _S.DECLINED),
    _S.DRAFTING: (_S.ASSIGNED, _S.IN_REVIEW, _S.RESPONDED, _S.DECLINED),
    _S.IN_REVIEW: (_S.DRAFTING, _S.RESPONDED, _S.DECLINED),
    _S.RESPONDED: (_S.CLOSED, _S.REOPENED),
    _S.CLOSED: (_S.REOPENED,),
    _S.DECLINED: (_S.REOPENED,),
    _S.REOPENED: (_S.ASSIGNED, _S.DRAFTING, _S.IN_REVIEW, _S.RESPONDED, _S.DECLINED),
}
#: Statuses that need someone assigned (a new request has nobody).
NEEDS_ASSIGNEE: frozenset[RequestStatus] = frozenset({_S.ASSIGNED, _S.DRAFTING, _S.IN_REVIEW})
#: Statuses that need a response method (how the desk answered).
NEEDS_METHOD: frozenset[RequestStatus] = frozenset({_S.RESPONDED, _S.CLOSED})


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def next_statuses(status: RequestStatus) -> tuple[RequestStatus, ...]:
    """The statuses a request in ``status`` may move to, in workflow order."""
    return TRANSITIONS[status]


def _parse_status(current: RequestStatus, value: object) -> RequestStatus:
    """A status word; an unknown one is refused naming the moves a request in ``current``
    may make, in the words the form shows (``in review``), not every status there is."""
    try:
        return parse_choice(RequestStatus, value, field="status")
    except InputError:
        allowed = _or_list([status_label(s) for s in TRANSITIONS[current]])
        raise InputError(
            f"unknown status {value!r}; from {status_label(current)} it can go to {allowed}",
            field="status",
        ) from None


def check_status_move(
    current: RequestStatus,
    target: RequestStatus | str,
    *,
    assignee: object = None,
    response_method: ResponseMethod | str | None = None,
) -> RequestStatus:
    """Refuse (``InputError``, one line) a move the workflow does not allow.

    ``assignee`` and ``response_method`` are what the request will have after the edit (any
    truthy value counts as set). Returns the target status. Writes nothing: the UI asks this
    to explain a refusal before saving, and ``update_request`` applies the same rules inside
    its write transaction.
    """
    target = _parse_status(current, target)
    if target is not current and target not in TRANSITIONS[current]:
        allowed = _or_list([status_label(s) for s in TRANSITIONS[current]])
        raise InputError(
            f"a request cannot go from {status_label(current)} to {status_label(target)}; "
            f"from {status_label(current)} it can go to {allowed}",
            field="status",
        )
    if target in NEEDS_ASSIGNEE and not assignee:
        raise InputError(
            f"{status_label(target)} needs someone assigned: pick an assignee first",
            field="assignee",
        )
    if target is _S.NEW and assignee:
        raise InputError(
            "a new request has nobody assigned: clear the assignee to move it back to new",
            field="assignee",
        )
    if target in NEEDS_METHOD and not response_method:
        methods = ", ".join(m.value for m in ResponseMethod)
        raise InputError(
            f"{status_label(target)} needs a response method ({methods})",
            field="response_method",
        )
    return target


# --- records ---------------------------------------------------------------------------------
# ``RequestRecord`` and ``to_record`` live in ``deskterm.core.request_records`` (standard
# library only: the desk's first paint builds them without SQLAlchemy) and are re-exported.


@dataclass(frozen=True)
class NoteRecord:
    id: int
    request_id: int
    kind: NoteKind
    author: str | None  # staff initials
    body: str
    created_at: datetime
    version: int


def _note_record(row: RequestNote, initials: Mapping[int, str]) -> NoteRecord:
    author = initials.get(row.author_id) if row.author_id is not None else None
    return NoteRecord(
        row.id, row.request_id, row.kind, author, row.body, row.created_at, row.version
    )


# --- validation ------------------------------------------------------------------------------


def _optional_id(value: object, *, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(
            f"{field.replace('_', ' ')} must be a record id, not {value!r}", field=field
        )
    return value


def _check_exists(session: Session, model: type, entity_id: int | None, *, field: str) -> None:
    if entity_id is not None and session.get(model, entity_id) is None:
        label = model.__tablename__.rstrip("s")
        raise InputError(f"there is no {label} {entity_id}", field=field)


def _check_deadline(
    deadline: datetime | None, received: datetime, *, new: bool, field: str
) -> None:
    if deadline is not None and deadline < received:
        message = (
            "the deadline has already passed; give a later one"
            if new
            else "the deadline is before the request was received"
        )
        raise InputError(message, field=field)


# --- the statutory clock's deadline ---------------------------------------------------------


def _statutory_deadline(
    row: Request | None,
    *,
    received_at: datetime,
    days: int,
    now: datetime,
    tz: tzinfo,
    holidays: Collection[date],
) -> datetime:
    """17:00 desk time on the day ``days`` business days (plus the days paused so far) after
    receipt: the deadline of a public-records request with statutory days."""
    from deskterm.core.statutory import add_business_days, business_days_between, due_deadline

    paused = (row.clock_paused_business_days or 0) if row is not None else 0
    if row is not None and row.clock_paused_at is not None:
        paused += max(
            0,
            business_days_between(
                row.clock_paused_at.astimezone(tz).date(), now.astimezone(tz).date(), holidays
            ),
        )
    due_on = add_business_days(received_at.astimezone(tz).date(), days + paused, holidays)
    return due_deadline(due_on, tz)


def _require_records(kind: RequestKind) -> None:
    if kind is not RequestKind.RECORDS:
        raise InputError(
            "only public-records requests have a statutory clock", field="statutory_days"
        )


# --- intake ----------------------------------------------------------------------------------


def _next_number(session: Session, kind: RequestKind, received_at: datetime) -> str:
    """The next tracking number for this kind and year (call inside the write transaction)."""
    stem = f"{NUMBER_PREFIX[kind]}-{received_at.year:04d}-"
    # A range on the unique index instead of LIKE: "." sorts right after "-".
    highest = session.scalar(
        select(func.max(cast(func.substr(Request.number, len(stem) + 1), Integer))).where(
            Request.number >= stem, Request.number < stem[:-1] + "."
        )
    )
    return f"{stem}{(highest or 0) + 1:04d}"


def _actor_staff_id(session: Session, db: Database) -> int | None:
    """The staff member whose initials are the desk user's name, if there is one."""
    return session.scalar(select(Staff.id).where(Staff.initials == db.actor.user.strip().upper()))


def _chosen_language(value: object) -> str | None:
    """A language the user gave, as a tag (``InputError`` if it is not one), or None when
    none was given (None or blank text): then the request's outlet decides."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return language_tag(value)


def _known_tag(value: str | None) -> str | None:
    """``value`` as a language tag, or None when it is empty or not one (stored data)."""
    try:
        return language_tag(value) if value else None
    except InputError:
        return None


def _default_language(session: Session, outlet_id: int | None, fallback: str | None) -> str:
    """The language of a request given none: its linked outlet's, else ``fallback``, else en."""
    if outlet_id is not None:
        found = _known_tag(session.scalar(select(Outlet.language).where(Outlet.id == outlet_id)))
        if found is not None:
            return found
    return _known_tag(fallback) or "en"


def create_request(
    db: Database,
    *,
    kind: RequestKind | str,
    subject: str,
    requester: str = "",
    outlet: str = "",
    deadline: datetime | str | None = None,
    assignee: str | None = None,
    channel: RequestChannel | str = "phone",
    received_at: datetime | None = None,
    questions: str = "",
    background: str = "",
    priority: Priority | str = "normal",
    language: str | None = None,
    contact_id: int | None = None,
    outlet_id: int | None = None,
    taken_by: str | None = None,
    statutory_days: int | None = None,
    tz: tzinfo = UTC,
    holidays: Collection[date] = (),
    now: datetime | None = None,
    fallback_language: str | None = None,
) -> RequestRecord:
    """Log a new request and give it the next tracking number of its kind and year.

    Typed ``outlet``/``requester`` text is linked to a known outlet (same name, any case) or
    to the one contact of that name; the text is kept as well. With an ``assignee`` the
    request starts as ``assigned``. A public-records request with ``statutory_days`` is due
    when its statutory clock says (business days counted in ``tz`` without ``holidays``), so
    it takes no ``deadline`` of its own. A ``deadline`` may be text as typed (read in ``tz``,
    not in the past; blank for none).

    Every field is checked before one is refused: several bad fields are one
    ``InputErrors`` (a form shows each at its field), and nothing is written.

    A ``language`` given wins. With none (None or blank text) the request takes the language
    of the outlet it is linked to: the outlet given by id, the known outlet the typed outlet
    name links to, or (no outlet typed) the linked requester's outlet; with no linked outlet,
    ``fallback_language`` (a request made from a clip passes the clip's language) if it is a
    language tag, else ``en``. This happens at intake only: an edit keeps the stored
    language unless it sets one (see ``update_request``).
    """
    now = utcnow() if now is None else aware(now, field="now")
    checks = Checks()  # every field's error at once
    check = checks.check
    kind = check(parse_choice, RequestKind, kind, field="kind")
    channel = check(parse_choice, RequestChannel, channel, field="channel")
    priority = check(parse_choice, Priority, priority, field="priority")
    subject = check(line_text, subject, field="subject", max_length=SUBJECT_MAX, required=True)
    requester = check(line_text, requester, field="requester", max_length=NAME_MAX)
    outlet = check(line_text, outlet, field="outlet", max_length=NAME_MAX)
    contact_id = check(_optional_id, contact_id, field="requester")
    outlet_id = check(_optional_id, outlet_id, field="outlet")
    unread = any(error.field in ("requester", "outlet") for error in checks.errors)
    if not (requester or outlet or contact_id or outlet_id) and not unread:
        checks.errors.append(
            InputError("say who is asking: a requester or an outlet", field="requester")
        )
    defaulted_receipt = received_at is None
    received = now if received_at is None else aware(received_at, field="received_at")
    if isinstance(deadline, str):
        text = deadline.strip()
        deadline = (
            check(parse_when, text, now=now, tz=tz, field="deadline", allow_past=False)
            if text
            else None
        )
    deadline_at = aware_or_none(deadline, field="deadline")
    check(_check_deadline, deadline_at, received, new=defaulted_receipt, field="deadline")
    statutory_days = _clean("statutory_days", statutory_days)
    questions = check(free_text, questions, field="questions")
    background = check(free_text, background, field="background")
    language = check(_chosen_language, language)
    if statutory_days is not None and not checks.errors:
        assert kind is not None
        _require_records(kind)
        if deadline_at is not None:
            raise InputError(
                "a records request with statutory days is due when its clock says; "
                "leave the deadline empty",
                field="deadline",
            )
        deadline_at = _statutory_deadline(
            None, received_at=received, days=statutory_days, now=now, tz=tz, holidays=holidays
        )

    with db.transaction() as session:
        assignee_id = check(resolve_staff_id, session, assignee, field="assignee")
        if taken_by is None or not taken_by.strip():
            taken_by_id = _actor_staff_id(session, db)
        else:
            taken_by_id = check(resolve_staff_id, session, taken_by, field="taken_by")
        check(_check_exists, session, Contact, contact_id, field="requester")
        check(_check_exists, session, Outlet, outlet_id, field="outlet")
        checks.done()  # nothing was written
        assert kind is not None and channel is not None and priority is not None
        if outlet_id is None and outlet:
            outlet_id = outlet_id_named(session, outlet)
        if contact_id is None and requester:
            matches = contact_ids_named(session, requester)
            if len(matches) == 1:
                contact_id = matches[0]
        if contact_id is not None and outlet_id is None and not outlet:
            outlet_id = session.scalar(select(Contact.outlet_id).where(Contact.id == contact_id))
        if language is None:
            language = _default_language(session, outlet_id, fallback_language)
        row = Request(
            number=_next_number(session, kind, received),
            kind=kind,
            status=RequestStatus.ASSIGNED if assignee_id else RequestStatus.NEW,
            received_at=received,
            channel=channel,
            taken_by_id=taken_by_id,
            contact_id=contact_id,
            requester_name=requester,
            outlet_id=outlet_id,
            outlet_name=outlet,
            subject=subject,
            questions=questions,
            background=background,
            language=language,
            deadline_at=deadline_at,
            statutory_days=statutory_days,
            priority=priority,
            assignee_id=assignee_id,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return _record_in(session, row)


# --- reading ---------------------------------------------------------------------------------


def _with_linked_names(query: Select[Any]) -> Select[Any]:
    return query.outerjoin(Contact, Request.contact_id == Contact.id).outerjoin(
        Outlet, Request.outlet_id == Outlet.id
    )


def _rows_query() -> Select[Any]:
    """Requests with their linked contact's and outlet's names, in one statement.

    Plain columns rather than ORM objects: a record only needs the values, and building
    200 records from rows costs about a third of loading 200 entities into a session.
    """
    return _with_linked_names(
        select(
            *(Request.__table__.c[name] for name in RECORD_COLUMNS),
            Contact.name.label("linked_contact_name"),
            Outlet.name.label("linked_outlet_name"),
        ).select_from(Request)
    )


def _records(session: Session, query: Select[Any]) -> list[RequestRecord]:
    rows = session.execute(query).all()
    if not rows:
        return []
    initials = staff_initials(session)
    return [
        to_record(
            row,
            initials,
            contact_name=row.linked_contact_name,
            outlet_name=row.linked_outlet_name,
        )
        # plain attribute objects: reading ~50 columns off a SQLAlchemy ``Row`` by name
        # costs more than building the record (8.6 ms against 3.6 ms for 200)
        for row in values_of(rows[0]._fields, rows)
    ]


def _record_in(session: Session, row: Request) -> RequestRecord:
    records = _records(session, _rows_query().where(Request.id == row.id))
    return records[0]


def get_request(db: Database, request_id: int) -> RequestRecord:
    """One request; ``NotFoundError`` if it does not exist."""
    with db.read() as session:
        records = _records(session, _rows_query().where(Request.id == request_id))
    if not records:
        raise NotFoundError(Request.__tablename__, request_id)
    return records[0]


def find_request(db: Database, ref: str | int) -> RequestRecord:
    """A request named the way people name it: its tracking number (any case) or its id.

    InputError (not NotFoundError) when there is none: the name was typed by someone.
    """
    text = str(ref).strip()
    with db.read() as session:
        if text.isdigit():
            row = session.get(Request, int(text))
        else:
            row = session.scalars(select(Request).where(Request.number == text.upper())).first()
        if row is None:
            raise InputError(f"no request {text!r}", field="request")
        return _record_in(session, row)


def _text_filter(text: str | None) -> list[ColumnElement[bool]]:
    """Every typed word in the request's number, subject, requester or outlet as typed, its
    questions, or the name of the contact or outlet it is linked to (which the desk shows
    instead):
    ``deskterm.core.matching`` (any case, any accents, any order)."""
    return every_word(
        text, Request.search_text, Contact.search_name, Outlet.search_name, field="text"
    )


def list_open_requests(
    db: Database,
    *,
    now: datetime | None = None,
    limit: int = 200,
    assignee: str | None = None,
    text: str | None = None,
    kind: RequestKind | str | None = None,
    status: RequestStatus | str | None = None,
    outlet_type: OutletType | str | None = None,
) -> list[RequestRecord]:
    """Open requests, most urgent first: by deadline (overdue first), then undated by receipt.

    Filters, all in the one SQL statement: ``text``: every typed word is in the subject,
    requester, outlet, number or questions (any case, any accents, any order:
    ``_text_filter``);
    ``kind``; ``assignee`` (initials, or ``UNASSIGNED`` for nobody); ``outlet_type`` (of the
    linked outlet); ``status`` picks one status instead of every open one (a closed,
    declined or responded status lists newest first instead). ``now`` is accepted for
    symmetry with the panes' clock; the order does not depend on it.
    """
    del now  # ordering by deadline already puts the overdue ones first
    # The window's ids are picked first (on the index alone when no filter needs the
    # linked contact or outlet), then only those rows are read and joined.
    window = select(Request.id).limit(list_limit(limit))
    wanted = parse_choice(RequestStatus, status, field="status") if status is not None else None
    if wanted is None or wanted in OPEN_STATUSES:
        statuses = (wanted,) if wanted is not None else OPEN_STATUSES
        window = window.where(Request.status.in_(statuses))
        order: tuple[Any, ...] = (
            Request.deadline_at.is_(None),
            Request.deadline_at,
            Request.received_at,
            Request.id,
        )
    else:
        window = window.where(Request.status == wanted)
        order = (Request.received_at.desc(), Request.id.desc())
    window = window.order_by(*order)
    if kind is not None:
        window = window.where(Request.kind == parse_choice(RequestKind, kind, field="kind"))
    words = _text_filter(text)
    if outlet_type is not None or words:
        window = _with_linked_names(window)
    if outlet_type is not None:
        window = window.where(
            Outlet.type == parse_choice(OutletType, outlet_type, field="outlet_type")
        )
    window = window.where(*words)
    with db.read() as session:
        if assignee is not None and assignee.strip() == UNASSIGNED:
            window = window.where(Request.assignee_id.is_(None))
        elif assignee is not None and assignee.strip():
            assignee_id = resolve_staff_id(session, assignee, field="assignee")
            window = window.where(Request.assignee_id == assignee_id)
        picked = window.subquery("picked")
        query = _rows_query().join(picked, Request.id == picked.c.id).order_by(*order)
        return _records(session, query)


def list_requests(
    db: Database,
    *,
    status: RequestStatus | str | None = None,
    kind: RequestKind | str | None = None,
    limit: int = 200,
    before_id: int | None = None,
    text: str | None = None,
) -> list[RequestRecord]:
    """Requests newest first; pass the last id seen as ``before_id`` for the next page.
    ``text`` as in ``list_open_requests``."""
    query = (
        _rows_query()
        .where(*_text_filter(text))
        .order_by(Request.id.desc())
        .limit(list_limit(limit))
    )
    if status is not None:
        query = query.where(Request.status == parse_choice(RequestStatus, status, field="status"))
    if kind is not None:
        query = query.where(Request.kind == parse_choice(RequestKind, kind, field="kind"))
    if before_id is not None:
        query = query.where(Request.id < before_id)
    with db.read() as session:
        return _records(session, query)


# --- editing ---------------------------------------------------------------------------------

_STAFF_FIELDS: dict[str, str] = {
    "assignee": "assignee_id",
    "spokesperson": "spokesperson_id",
    "approver": "approver_id",
    "taken_by": "taken_by_id",
}
_REFERENCE_FIELDS: dict[str, type] = {"contact_id": Contact, "outlet_id": Outlet, "topic_id": Topic}
_TEXT_FIELDS = ("questions", "background", "also_talking_to", "response_text")
_LINE_FIELDS: dict[str, int] = {
    "requester_name": NAME_MAX,
    "outlet_name": NAME_MAX,
    "departments": 500,
    "review_kind": 32,
}
_OPTIONAL_LINE_FIELDS: dict[str, int] = {"requester_email": 320, "requester_phone": 64}
_CHOICE_FIELDS: dict[str, type[StrEnum]] = {
    "status": RequestStatus,
    "priority": Priority,
    "channel": RequestChannel,
}
_OPTIONAL_CHOICE_FIELDS: dict[str, type[StrEnum]] = {
    "response_method": ResponseMethod,
    "attribution": Attribution,
    "accuracy": Accuracy,
}
_TIME_FIELDS = ("deadline_at", "embargo_until", "responded_at", "approved_at")

EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "subject",
        "language",
        "published_url",
        "follow_up_on",
        "needs_review",
        "statutory_days",
        *_STAFF_FIELDS,
        *_REFERENCE_FIELDS,
        *_TEXT_FIELDS,
        *_LINE_FIELDS,
        *_OPTIONAL_LINE_FIELDS,
        *_CHOICE_FIELDS,
        *_OPTIONAL_CHOICE_FIELDS,
        *_TIME_FIELDS,
    }
)


def _clean(key: str, value: Any) -> Any:
    """Validate one edited value (no database needed); staff initials pass through."""
    if key == "subject":
        return line_text(value, field=key, max_length=SUBJECT_MAX, required=True)
    if key == "language":
        return _chosen_language(value)  # None: the outlet's (update_request)
    if key == "published_url":
        return web_url(value, field=key)
    if key == "needs_review":
        return boolean(value, field=key)
    if key == "follow_up_on":
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            raise InputError(f"follow up on must be a date, not {value!r}", field=key)
        return value
    if key == "statutory_days":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 365
        ):
            raise InputError(f"statutory days must be 1-365, not {value!r}", field=key)
        return value
    if key in _STAFF_FIELDS:
        if value is not None and not isinstance(value, str):
            raise InputError(f"{key.replace('_', ' ')} takes staff initials", field=key)
        return value
    if key in _REFERENCE_FIELDS:
        return _optional_id(value, field=key)
    if key in _TEXT_FIELDS:
        return free_text(value, field=key)
    if key in _LINE_FIELDS:
        return line_text(value, field=key, max_length=_LINE_FIELDS[key])
    if key in _OPTIONAL_LINE_FIELDS:
        return line_text(value, field=key, max_length=_OPTIONAL_LINE_FIELDS[key]) or None
    if key in _CHOICE_FIELDS:
        return parse_choice(_CHOICE_FIELDS[key], value, field=key)
    if key in _OPTIONAL_CHOICE_FIELDS:
        return optional_choice(_OPTIONAL_CHOICE_FIELDS[key], value, field=key)
    if key in _TIME_FIELDS:
        return aware_or_none(value, field=key)
    raise AssertionError(key)  # pragma: no cover - EDITABLE_FIELDS lists exactly these


def _workflow(row: Request, changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Check the edit against the workflow; return the fields that follow from it.

    Assigning a new request makes it assigned and clearing the assignee of an assigned one
    makes it new (unless the edit sets a status). Entering responded stamps ``responded_at``
    (unless the edit gives one); entering closed or declined stamps ``closed_at``, and
    declining without a method records the method ``declined``; reopening clears
    ``closed_at``. The rules are checked when the status moves or when the edit touches
    what the status needs (the assignee, the response method).
    """
    derived: dict[str, Any] = {}
    if "assignee_id" in changes and "status" not in changes:
        if changes["assignee_id"] is not None and row.status is RequestStatus.NEW:
            derived["status"] = RequestStatus.ASSIGNED
        elif changes["assignee_id"] is None and row.status is RequestStatus.ASSIGNED:
            derived["status"] = RequestStatus.NEW
    target = derived.get("status", changes.get("status", row.status))
    moving = target is not row.status
    method = changes.get("response_method", row.response_method)
    if moving and target is RequestStatus.DECLINED and method is None:
        method = derived["response_method"] = ResponseMethod.DECLINED
    if moving or "assignee_id" in changes or "response_method" in changes:
        check_status_move(
            row.status,
            target,
            assignee=changes.get("assignee_id", row.assignee_id),
            response_method=method,
        )
    if moving and target is RequestStatus.RESPONDED and "responded_at" not in changes:
        derived["responded_at"] = now
    if target in CLOSED_STATUSES:
        if row.status not in CLOSED_STATUSES or row.closed_at is None:
            derived["closed_at"] = now
    elif row.closed_at is not None:
        derived["closed_at"] = None
    return derived


def _relink(session: Session, row: Request, columns: dict[str, Any]) -> None:
    """Typed requester/outlet text that changed is linked anew, as at intake: to the one
    contact of that name, to the outlet of that name (any case), or to nothing."""
    if "requester_name" in columns and "contact_id" not in columns:
        name = columns["requester_name"]
        if name != (row.requester_name or ""):
            matches = contact_ids_named(session, name) if name else []
            columns["contact_id"] = matches[0] if len(matches) == 1 else None
    if "outlet_name" in columns and "outlet_id" not in columns:
        name = columns["outlet_name"]
        if name != (row.outlet_name or ""):
            columns["outlet_id"] = outlet_id_named(session, name) if name else None


def _statutory(
    row: Request,
    columns: dict[str, Any],
    *,
    now: datetime,
    tz: tzinfo,
    holidays: Collection[date],
) -> None:
    """Statutory days set the deadline of a records request; its deadline is not typed."""
    if "statutory_days" in columns:
        days = columns["statutory_days"]
        if days is None:
            return
        _require_records(row.kind)
        if "deadline_at" in columns:
            raise InputError(
                "a records request with statutory days is due when its clock says; "
                "change the statutory days, not the deadline",
                field="deadline_at",
            )
        columns["deadline_at"] = _statutory_deadline(
            row, received_at=row.received_at, days=days, now=now, tz=tz, holidays=holidays
        )
    elif "deadline_at" in columns and row.kind is RequestKind.RECORDS and row.statutory_days:
        raise InputError(
            f"this records request is due when its statutory clock says "
            f"({row.statutory_days} business days): change the statutory days instead",
            field="deadline_at",
        )


def _uneditable(changes: Mapping[str, Any]) -> InputError | None:
    """The refusal of fields a request's edit cannot touch, if the edit names any."""
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if not unknown:
        return None
    return InputError(f"cannot edit {', '.join(unknown)} on a request", field=unknown[0])


def _edit_columns(
    session: Session, row: Request, changes: Mapping[str, Any], checks: Checks
) -> dict[str, Any]:
    """The edit's columns, every field checked (each refusal kept in ``checks``)."""
    # the status is read against the request's own (an unknown word: where it can go)
    cleaned = {
        key: checks.check(_clean, key, value) for key, value in changes.items() if key != "status"
    }
    if "status" in changes:
        cleaned["status"] = checks.check(_parse_status, row.status, changes["status"])
    columns: dict[str, Any] = {}
    for key, value in cleaned.items():
        if key in _STAFF_FIELDS:
            columns[_STAFF_FIELDS[key]] = checks.check(resolve_staff_id, session, value, field=key)
        else:
            if key in _REFERENCE_FIELDS:
                checks.check(_check_exists, session, _REFERENCE_FIELDS[key], value, field=key)
            columns[key] = value
    return columns


def edit_problems(db: Database, request_id: int, **changes: Any) -> list[InputError]:
    """What ``update_request`` would refuse in ``changes``, every field at once; nothing is
    written. The edit form asks it about the fields it could read when others it could
    not (a date): the user then sees every field's error after one save, not in two rounds.
    """
    checks = Checks()
    uneditable = _uneditable(changes)
    if uneditable is not None:
        return [uneditable]
    with db.read() as session:
        row = session.get(Request, request_id)
        if row is None:
            raise NotFoundError(Request.__tablename__, request_id)
        _edit_columns(session, row, changes, checks)
    return checks.errors


def update_request(
    db: Database,
    request_id: int,
    base_version: int,
    *,
    now: datetime | None = None,
    tz: tzinfo = UTC,
    holidays: Collection[date] = (),
    **changes: Any,
) -> RequestRecord:
    """Apply edits to a request loaded at ``base_version``; ``ConflictError`` if it moved on.

    Editable: ``EDITABLE_FIELDS`` (columns by name; ``assignee``, ``spokesperson``,
    ``approver`` and ``taken_by`` take staff initials, None clears). The status follows the
    workflow (see the module docstring and ``check_status_move``); an illegal move is an
    ``InputError`` and nothing is written. Changed ``requester_name``/``outlet_name`` text is
    linked anew to a contact/outlet of that name. Statutory days on a records request set
    its deadline (business days in ``tz`` without ``holidays``). An edit that changes
    nothing returns the record unchanged.

    The language: an edit that gives one sets it; an edit that gives none (None or blank
    text) sets it to the language of the outlet the request is linked to after the edit
    (the new one, when the same edit changes the outlet), else ``en``; an edit that leaves
    it out keeps it, also when it changes the outlet. Whether a stored language was
    defaulted from the old outlet or chosen by someone is not recorded, so following the
    new outlet by itself could silently overwrite a language a person chose: clearing the
    field is how an editor asks for the new outlet's.
    """
    now = utcnow() if now is None else aware(now, field="now")
    uneditable = _uneditable(changes)
    if uneditable is not None:
        raise uneditable
    checks = Checks()  # every field's error at once
    with db.transaction() as session:
        row = load_for_update(session, Request, request_id, base_version)
        columns = _edit_columns(session, row, changes, checks)
        checks.done()  # nothing was written
        _relink(session, row, columns)
        if "language" in columns and columns["language"] is None:
            outlet_id = columns.get("outlet_id", row.outlet_id)
            columns["language"] = _default_language(session, outlet_id, None)
        _statutory(row, columns, now=now, tz=tz, holidays=holidays)
        if "deadline_at" in columns:
            _check_deadline(columns["deadline_at"], row.received_at, new=False, field="deadline_at")
        # Only what really changes counts (re-sending a value is no move and no edit).
        columns = {key: value for key, value in columns.items() if getattr(row, key) != value}
        columns.update(_workflow(row, columns, now))
        effective = {key: value for key, value in columns.items() if getattr(row, key) != value}
        if effective:
            effective["updated_at"] = now
            row = update_versioned(session, Request, request_id, base_version, **effective)
        return _record_in(session, row)


# --- comparing an edit with what is saved (the conflict view) --------------------------------

#: Every editable field, in the order the edit form shows them, with its label.
FIELD_LABELS: Mapping[str, str] = {
    "subject": "Subject",
    "status": "Status",
    "priority": "Priority",
    "channel": "Received by",
    "language": "Language",
    "requester_name": "From",
    "outlet_name": "Outlet",
    "requester_email": "E-mail",
    "requester_phone": "Phone",
    "contact_id": "Contact (id)",
    "outlet_id": "Outlet (id)",
    "questions": "Questions",
    "background": "Background",
    "also_talking_to": "Also talking to",
    "departments": "Departments",
    "topic_id": "Topic (id)",
    "deadline_at": "Deadline",
    "statutory_days": "Statutory days",
    "follow_up_on": "Follow up on",
    "assignee": "Assigned to",
    "spokesperson": "Spokesperson",
    "taken_by": "Taken by",
    "needs_review": "Needs review",
    "review_kind": "Review by",
    "approver": "Approver",
    "approved_at": "Approved at",
    "response_method": "Response method",
    "attribution": "Attribution",
    "embargo_until": "Embargo until",
    "responded_at": "Responded at",
    "response_text": "Response",
    "published_url": "Published at",
    "accuracy": "Accuracy",
}


@dataclass(frozen=True)
class FieldChange:
    """One field of a stale edit: what the editor loaded, what is saved now, what it wants."""

    field: str
    label: str
    base: Any
    theirs: Any
    mine: Any  # the edit's value, or the loaded one when the edit leaves the field alone
    mine_changed: bool
    theirs_changed: bool


def _same(key: str, a: Any, b: Any) -> bool:
    if key in _STAFF_FIELDS:
        return (a or "").strip().upper() == (b or "").strip().upper()
    return bool(a == b)


def compare_edit(
    base: RequestRecord, theirs: RequestRecord, mine: Mapping[str, Any]
) -> list[FieldChange]:
    """The fields an edit made from ``base`` and someone else's save (``theirs``) touched.

    ``mine`` is what ``update_request`` was given (validated here, so the values compare
    with the records'). Rows come in form order: the fields this edit changes (applying it
    on top of theirs sets them) and then the fields only they changed (kept either way).
    """
    cleaned = {key: _clean(key, value) for key, value in mine.items() if key in EDITABLE_FIELDS}
    rows: list[FieldChange] = []
    for key, label in FIELD_LABELS.items():
        before, now_saved = getattr(base, key), getattr(theirs, key)
        theirs_changed = not _same(key, before, now_saved)
        mine_changed = key in cleaned and not _same(key, before, cleaned[key])
        if mine_changed or theirs_changed:
            rows.append(
                FieldChange(
                    field=key,
                    label=label,
                    base=before,
                    theirs=now_saved,
                    mine=cleaned[key] if mine_changed else before,
                    mine_changed=mine_changed,
                    theirs_changed=theirs_changed,
                )
            )
    rows.sort(key=lambda row: not row.mine_changed)
    return rows


# --- notes -----------------------------------------------------------------------------------


def add_note(
    db: Database,
    request_id: int,
    *,
    kind: NoteKind | str,
    body: str,
    now: datetime | None = None,
) -> NoteRecord:
    """Add a note to a request, written by the staff member with the desk user's initials."""
    now = utcnow() if now is None else aware(now, field="now")
    kind = parse_choice(NoteKind, kind, field="kind")
    body = free_text(body, field="body")
    if not body:
        raise InputError("a note needs some text", field="body")
    with db.transaction() as session:
        require(session, Request, request_id)
        row = RequestNote(
            request_id=request_id,
            kind=kind,
            author_id=_actor_staff_id(session, db),
            body=body,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        initials = staff_initials(session) if row.author_id is not None else {}
        return _note_record(row, initials)


def list_notes(db: Database, request_id: int) -> list[NoteRecord]:
    """A request's notes, oldest first; ``NotFoundError`` if the request does not exist."""
    with db.read() as session:
        rows = children(
            session,
            RequestNote,
            RequestNote.request_id,
            Request,
            request_id,
            (RequestNote.created_at, RequestNote.id),
        )
        initials = staff_initials(session)
        return [_note_record(row, initials) for row in rows]
