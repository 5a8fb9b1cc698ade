"""Requests (deskterm.core.requests) against a real SQLite file, with a fixed clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from db.engine import Actor, Database
from db.enums import (
    Accuracy,
    AuditAction,
    NoteKind,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
)
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, Contact, Outlet, Request
from deskterm.core import contacts
from deskterm.core.errors import InputError
from deskterm.core.requests import (
    EDITABLE_FIELDS,
    FIELD_LABELS,
    OPEN_STATUSES,
    UNASSIGNED,
    RequestFilter,
    RequestRecord,
    add_note,
    compare_edit,
    count_open,
    create_request,
    get_request,
    list_notes,
    list_open_requests,
    list_requests,
    update_request,
)
from deskterm.core.staff import add_staff

# Tuesday 10 March 2026, 15:00 UTC.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def new(db: Database, **kwargs) -> RequestRecord:
    """A media request from a reporter, received at NOW unless told otherwise."""
    kwargs.setdefault("kind", "media")
    kwargs.setdefault("subject", "Budget shortfall")
    kwargs.setdefault("requester", "A. Reporter")
    kwargs.setdefault("now", NOW)
    return create_request(db, **kwargs)


def move_to(db: Database, record: RequestRecord, status: RequestStatus) -> RequestRecord:
    """Walk a new request to ``status`` along the workflow (AB assigned where one is needed)."""
    steps: dict[RequestStatus, list[dict]] = {
        RequestStatus.NEW: [],
        RequestStatus.ASSIGNED: [{"assignee": "AB"}],
        RequestStatus.DRAFTING: [{"assignee": "AB", "status": "drafting"}],
        RequestStatus.IN_REVIEW: [{"assignee": "AB"}, {"status": "in_review"}],
        RequestStatus.RESPONDED: [{"status": "responded", "response_method": "statement"}],
        RequestStatus.CLOSED: [
            {"status": "responded", "response_method": "statement"},
            {"status": "closed"},
        ],
        RequestStatus.DECLINED: [{"status": "declined"}],
        RequestStatus.REOPENED: [
            {"status": "responded", "response_method": "statement"},
            {"status": "reopened"},
        ],
    }
    for changes in steps[status]:
        record = update_request(db, record.id, record.version, now=NOW, **changes)
    assert record.status is status
    return record


def add_outlet(db: Database, name: str) -> int:
    with db.transaction() as session:
        outlet = Outlet(name=name, type=OutletType.PRINT)
        session.add(outlet)
        session.flush()
        return outlet.id


def add_contact(db: Database, name: str, outlet_id: int | None = None) -> int:
    with db.transaction() as session:
        contact = Contact(name=name, outlet_id=outlet_id)
        session.add(contact)
        session.flush()
        return contact.id


def input_error(excinfo: pytest.ExceptionInfo[InputError], field: str) -> str:
    """Assert the error names ``field`` and is one line; return its message."""
    message = str(excinfo.value)
    assert excinfo.value.field == field, message
    assert message and "\n" not in message
    return message


@contextmanager
def count_selects(db: Database) -> Iterator[list[str]]:
    """The SELECT statements sent to the database inside the block."""
    statements: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def staff(db: Database) -> Database:
    """The desk with staff AB (the actor), CD and EF."""
    add_staff(db, initials="AB", name="Ann Brown", role="press_secretary", can_approve=True)
    add_staff(db, initials="CD", name="Carl Diaz", role="pio")
    add_staff(db, initials="EF", name="Eva Fox", role="spokesperson")
    return db


# --- create and numbering -------------------------------------------------------------------


def test_create_media_request_has_all_fields(db: Database) -> None:
    deadline = NOW + 3 * HOUR
    record = new(
        db,
        subject="  Budget   shortfall ",
        outlet="Channel 5",
        deadline=deadline,
        channel="email",
        questions="How big is the gap?\nWho decided?",
        background="Council vote on Thursday",
        priority="HIGH",
        language="ES",
    )
    assert record.number == "M-2026-0001"
    assert record.kind is RequestKind.MEDIA
    assert record.status is RequestStatus.NEW
    assert record.subject == "Budget shortfall"
    assert record.requester == "A. Reporter" and record.outlet == "Channel 5"
    assert record.contact_id is None and record.outlet_id is None
    assert record.received_at == NOW and record.deadline_at == deadline
    assert record.channel is RequestChannel.EMAIL
    assert record.priority is Priority.HIGH
    assert record.language == "es"
    assert record.questions == "How big is the gap?\nWho decided?"
    assert record.background == "Council vote on Thursday"
    assert record.assignee is None and record.taken_by is None
    assert record.response_text == "" and record.responded_at is None
    assert record.closed_at is None
    assert record.version == 1
    assert record.created_at == NOW
    assert record.is_open() and not record.is_overdue(NOW)
    assert record.is_overdue(deadline + timedelta(seconds=1))
    assert get_request(db, record.id) == record


def test_numbers_per_kind_and_year(db: Database) -> None:
    assert new(db).number == "M-2026-0001"
    assert new(db).number == "M-2026-0002"
    assert new(db, kind="constituent").number == "C-2026-0001"
    assert new(db, kind=RequestKind.RECORDS).number == "PR-2026-0001"
    assert new(db, kind="Records").number == "PR-2026-0002"
    assert new(db).number == "M-2026-0003"
    next_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert new(db, now=next_year).number == "M-2027-0001"
    assert new(db, kind="constituent", now=next_year).number == "C-2027-0001"
    # A request logged late for last year continues last year's sequence.
    late = new(db, now=next_year, received_at=datetime(2026, 12, 30, 12, 0, tzinfo=UTC))
    assert late.number == "M-2026-0004"


def test_numbers_compare_as_numbers_past_9999(db: Database) -> None:
    with db.transaction() as session:
        session.add(
            Request(number="M-2026-9999", kind=RequestKind.MEDIA, subject="old", received_at=NOW)
        )
    assert new(db).number == "M-2026-10000"
    assert new(db).number == "M-2026-10001"


def test_numbers_unique_across_desks(db: Database, db_path: Path) -> None:
    """Two desks (own engines) and several threads each: every number taken exactly once."""
    other = Database(str(db_path), actor=Actor("CD", "other-host"))
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(desk: Database) -> None:
        try:
            for _ in range(5):
                number = new(desk).number
                with lock:
                    numbers.append(number)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(desk,)) for desk in (db, other) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert not errors
    assert sorted(numbers) == [f"M-2026-{n:04d}" for n in range(1, 31)]


def test_choices_accept_enum_or_text(db: Database) -> None:
    record = new(db, channel="In Person", priority=Priority.URGENT)
    assert record.channel is RequestChannel.IN_PERSON
    assert record.priority is Priority.URGENT
    assert new(db, channel="web-form").channel is RequestChannel.WEB_FORM
    assert new(db, channel=RequestChannel.SOCIAL).channel is RequestChannel.SOCIAL


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"kind": "podcast"}, "kind", "media, constituent, records"),
        ({"kind": 3}, "kind", "choose one of"),
        ({"channel": "fax"}, "channel", "phone, email, social, in_person, web_form"),
        ({"priority": "meh"}, "priority", "low, normal, high, urgent"),
        ({"subject": ""}, "subject", "subject"),
        ({"subject": "   \n "}, "subject", "subject"),
        ({"subject": "x" * 501}, "subject", "at most 500"),
        ({"requester": "", "outlet": ""}, "requester", "requester or an outlet"),
        ({"requester": "x" * 201}, "requester", "at most 200"),
        ({"outlet": "x" * 201}, "outlet", "at most 200"),
        ({"deadline": datetime(2026, 3, 11, 9, 0)}, "deadline", "time zone"),
        ({"deadline": date(2026, 3, 11)}, "deadline", "date and time"),
        ({"deadline": NOW - HOUR}, "deadline", "already passed"),
        ({"received_at": datetime(2026, 3, 10, 9, 0)}, "received_at", "time zone"),
        (
            {"received_at": NOW - 2 * HOUR, "deadline": NOW - 3 * HOUR},
            "deadline",
            "before the request was received",
        ),
        ({"language": "english!"}, "language", "language code"),
        ({"contact_id": 999}, "requester", "no contact 999"),
        ({"outlet_id": 999}, "outlet", "no outlet 999"),
        ({"contact_id": "7"}, "requester", "record id"),
        ({"assignee": "ZZ"}, "assignee", "unknown staff member 'ZZ'"),
        ({"taken_by": "ZZ"}, "taken_by", "unknown staff member 'ZZ'"),
    ],
)
def test_create_refuses_bad_input(db: Database, kwargs: dict, field: str, words: str) -> None:
    with pytest.raises(InputError) as excinfo:
        new(db, **kwargs)
    assert words in input_error(excinfo, field)
    assert count_open(db) == 0


def test_unknown_assignee_names_known_staff(staff: Database) -> None:
    with pytest.raises(InputError) as excinfo:
        new(staff, assignee="ZZ")
    assert "known: AB, CD, EF" in input_error(excinfo, "assignee")


def test_past_deadline_allowed_when_logged_late(db: Database) -> None:
    """Logged an hour after the call: a deadline already gone by is still after receipt."""
    record = new(db, received_at=NOW - 3 * HOUR, deadline=NOW - HOUR)
    assert record.received_at == NOW - 3 * HOUR
    assert record.is_overdue(NOW)


def test_aware_times_in_any_zone_are_stored_in_utc(db: Database) -> None:
    from zoneinfo import ZoneInfo

    deadline = datetime(2026, 3, 10, 17, 0, tzinfo=ZoneInfo("America/New_York"))
    record = new(db, deadline=deadline)
    assert record.deadline_at == deadline
    assert record.deadline_at.tzinfo is UTC


# --- staff -----------------------------------------------------------------------------------


def test_assignee_starts_assigned_and_taken_by_defaults_to_actor(staff: Database) -> None:
    record = new(staff, assignee="cd")
    assert record.status is RequestStatus.ASSIGNED
    assert record.assignee == "CD"
    assert record.taken_by == "AB"  # the fixture's actor user
    assert new(staff, taken_by="ef").taken_by == "EF"
    assert new(staff).status is RequestStatus.NEW


def test_taken_by_is_empty_without_matching_staff(db: Database) -> None:
    add_staff(db, initials="CD", name="Carl Diaz", role="pio")
    assert new(db).taken_by is None


# --- outlets and contacts --------------------------------------------------------------------


def test_outlet_text_links_a_known_outlet(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    record = new(db, outlet="city HERALD", requester="")
    assert record.outlet_id == herald
    assert record.outlet == "City Herald"
    assert record.outlet_name == "city HERALD"  # typed text kept as a fallback
    other = new(db, outlet="Weekly Bugle")
    assert other.outlet_id is None and other.outlet == "Weekly Bugle"


def test_requester_links_the_one_contact_of_that_name(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    jane = add_contact(db, "Jane Doe", herald)
    record = new(db, requester="jane doe")
    assert record.contact_id == jane
    assert record.requester == "Jane Doe"
    assert record.outlet_id == herald and record.outlet == "City Herald"


def test_typed_names_link_in_any_case_and_accents(db: Database) -> None:
    """Reporters' and outlets' names come typed without accents or in capitals; SQLite's
    lower() folds only A-Z, so "JOSÉ" did not find "José" and "opinion" not "Opinión"."""
    opinion = add_outlet(db, "La Opinión")
    jose = add_contact(db, "José Núñez", opinion)
    record = new(db, requester="JOSE NUNEZ", outlet="la opinion")
    assert record.contact_id == jose and record.outlet_id == opinion
    assert record.requester == "José Núñez" and record.outlet == "La Opinión"
    strasse = add_outlet(db, "Straße Zeitung")
    moved = update_request(db, record.id, 1, outlet_name="STRASSE ZEITUNG")
    assert moved.outlet_id == strasse


def test_an_exact_spelling_wins_over_a_look_alike(db: Database) -> None:
    add_outlet(db, "La Opinión")
    plain = add_outlet(db, "La Opinion")
    assert new(db, outlet="La Opinion").outlet_id == plain


def test_contact_outlet_not_used_when_an_outlet_is_typed(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    jane = add_contact(db, "Jane Doe", herald)
    record = new(db, requester="Jane Doe", outlet="Freelance")
    assert record.contact_id == jane
    assert record.outlet_id is None and record.outlet == "Freelance"


def test_ambiguous_or_unknown_requester_stays_text(db: Database) -> None:
    add_contact(db, "Sam Lee")
    add_contact(db, "Sam Lee")
    record = new(db, requester="Sam Lee")
    assert record.contact_id is None and record.requester == "Sam Lee"
    assert new(db, requester="Nobody Known").contact_id is None


def test_explicit_ids_are_used(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    jane = add_contact(db, "Jane Doe", herald)
    record = new(db, requester="", contact_id=jane)
    assert record.requester == "Jane Doe" and record.outlet == "City Herald"
    assert new(db, requester="", outlet_id=herald).outlet == "City Herald"


# --- the language: given, else the outlet's ---------------------------------------------------


def spanish_desk(db: Database) -> tuple[int, int]:
    """La Opinión (es) with its reporter José Núñez, and an English outlet."""
    opinion = contacts.add_outlet(db, name="La Opinión", type="community", language="es")
    contacts.add_outlet(db, name="City Herald", type="print", language="en")
    jose = contacts.add_contact(db, name="José Núñez", outlet="La Opinión")
    return opinion.id, jose.id


def test_language_defaults_to_the_outlet_given_by_id(db: Database) -> None:
    opinion, _ = spanish_desk(db)
    assert new(db, requester="", outlet_id=opinion).language == "es"


@pytest.mark.parametrize("typed", ["La Opinión", "la opinion", "LA OPINIÓN", "  La  Opinion "])
def test_language_defaults_to_the_outlet_named_in_any_case_and_accents(
    db: Database, typed: str
) -> None:
    opinion, _ = spanish_desk(db)
    record = new(db, requester="Someone New", outlet=typed)
    assert record.outlet_id == opinion
    assert record.language == "es"
    assert get_request(db, record.id).language == "es"  # stored, not only returned


def test_language_defaults_to_the_requesters_outlet(db: Database) -> None:
    """José of La Opinión, linked by name or id, with no outlet typed: es. Typed with another
    outlet, the request is that outlet's (the contact's outlet is linked only when no outlet
    is typed), and so is its language."""
    opinion, jose = spanish_desk(db)
    by_name = new(db, requester="jose nunez")
    assert (by_name.contact_id, by_name.outlet_id, by_name.language) == (jose, opinion, "es")
    by_id = new(db, requester="", contact_id=jose)
    assert by_id.language == "es"
    assert new(db, requester="José Núñez", outlet="City Herald").language == "en"
    assert new(db, requester="José Núñez", outlet="Freelance").language == "en"


@pytest.mark.parametrize("given", ["en", "EN", "vi", "zh_Hant"])
def test_a_language_given_wins_over_the_outlets(db: Database, given: str) -> None:
    _, jose = spanish_desk(db)
    assert new(db, requester="", outlet="La Opinión").language == "es"  # what it overrides
    expected = given.lower().replace("_", "-")
    assert new(db, requester="", outlet="La Opinión", language=given).language == expected
    assert new(db, requester="", contact_id=jose, language=given).language == expected


@pytest.mark.parametrize("none_given", [None, "", "   "])
def test_no_outlet_means_english(db: Database, none_given: str | None) -> None:
    spanish_desk(db)
    assert new(db, requester="Pat Caller", language=none_given).language == "en"
    assert new(db, requester="", outlet="Unknown Weekly", language=none_given).language == "en"
    assert new(db, requester="", outlet="La Opinión", language=none_given).language == "es"


def test_a_fallback_language_counts_only_without_a_linked_outlet(db: Database) -> None:
    """A request from a clip passes the clip's language: used when no outlet is linked."""
    spanish_desk(db)
    unlinked = new(db, requester="", outlet="Feed of no outlet", fallback_language="vi")
    assert unlinked.language == "vi"
    assert new(db, requester="", outlet="City Herald", fallback_language="vi").language == "en"
    assert new(db, requester="Pat", fallback_language="not a tag!").language == "en"


def test_an_edit_keeps_the_language_unless_it_clears_or_sets_it(db: Database) -> None:
    """The rule for edits: changing the outlet leaves the language alone (whether it was
    defaulted or chosen is not stored); an empty language takes the outlet's after the
    edit, else en; a language given is kept."""
    opinion, _ = spanish_desk(db)
    record = new(db, requester="", outlet="Weekly Typo")
    assert record.language == "en"
    moved = update_request(db, record.id, record.version, outlet_name="La Opinion", now=NOW)
    assert (moved.outlet_id, moved.language) == (opinion, "en")  # not silently changed
    cleared = update_request(db, record.id, moved.version, language="", now=NOW)
    assert cleared.language == "es"
    # the same edit can move the outlet and ask for its language
    both = update_request(
        db, record.id, cleared.version, outlet_name="City Herald", language=None, now=NOW
    )
    assert (both.outlet, both.language) == ("City Herald", "en")
    chosen = update_request(db, record.id, both.version, language="es", now=NOW)
    unlinked = update_request(db, record.id, chosen.version, outlet_name="", now=NOW)
    assert (unlinked.outlet_id, unlinked.language) == (None, "es")
    assert update_request(db, record.id, unlinked.version, language=" ", now=NOW).language == "en"


# --- the open-requests window ----------------------------------------------------------------


def open_desk(db: Database) -> dict[str, RequestRecord]:
    """Requests received two days ago with various deadlines, plus closed and declined ones."""
    earlier = NOW - timedelta(days=2)
    made = {
        "later": new(db, subject="later", received_at=earlier, deadline=NOW + timedelta(days=1)),
        "undated_2": new(db, subject="undated 2", received_at=NOW - HOUR),
        "overdue": new(db, subject="overdue", received_at=earlier, deadline=NOW - HOUR),
        "soon": new(db, subject="soon", received_at=earlier, deadline=NOW + timedelta(minutes=20)),
        "undated_1": new(db, subject="undated 1", received_at=NOW - 3 * HOUR),
        "closed": new(db, subject="closed", received_at=earlier, deadline=NOW - 2 * HOUR),
        "declined": new(db, subject="declined", received_at=earlier),
    }
    answered = update_request(
        db, made["closed"].id, 1, status="responded", response_method="statement", now=NOW
    )
    update_request(db, made["closed"].id, answered.version, status="closed", now=NOW)
    update_request(db, made["declined"].id, 1, status="declined", now=NOW)
    return made


def subjects(records: list[RequestRecord]) -> list[str]:
    return [r.subject for r in records]


def test_open_requests_most_urgent_first(db: Database) -> None:
    open_desk(db)
    records = list_open_requests(db, now=NOW)
    assert subjects(records) == ["overdue", "soon", "later", "undated 1", "undated 2"]
    assert [r.is_overdue(NOW) for r in records] == [True, False, False, False, False]
    assert count_open(db) == 5


def test_open_requests_limit(db: Database) -> None:
    open_desk(db)
    assert subjects(list_open_requests(db, now=NOW, limit=2)) == ["overdue", "soon"]
    with pytest.raises(InputError) as excinfo:
        list_open_requests(db, limit=0)
    input_error(excinfo, "limit")


def test_open_requests_every_open_status(staff: Database) -> None:
    made = {status: new(staff, subject=status.value) for status in RequestStatus}
    for status, record in made.items():
        move_to(staff, record, status)
    assert sorted(subjects(list_open_requests(staff))) == sorted(s.value for s in OPEN_STATUSES)
    assert count_open(staff) == len(OPEN_STATUSES)


def test_open_requests_assignee_filter(staff: Database) -> None:
    new(staff, subject="mine", assignee="AB")
    new(staff, subject="theirs", assignee="CD")
    new(staff, subject="nobody's")
    assert subjects(list_open_requests(staff, assignee="ab")) == ["mine"]
    assert [r.assignee for r in list_open_requests(staff, assignee="CD")] == ["CD"]
    assert len(list_open_requests(staff, assignee="  ")) == 3
    with pytest.raises(InputError) as excinfo:
        list_open_requests(staff, assignee="ZZ")
    input_error(excinfo, "assignee")


def test_open_requests_text_filter(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    jane = add_contact(db, "Jane Doe")
    new(db, subject="Potholes on Main St", requester="Bob")
    new(db, subject="Budget", requester="", outlet_id=herald)
    new(db, subject="Parks", requester="", contact_id=jane)
    new(db, subject="Snow 100% cleared?", requester="Kim", outlet="Radio North")
    assert subjects(list_open_requests(db, text="POTHOLE")) == ["Potholes on Main St"]
    assert subjects(list_open_requests(db, text="herald")) == ["Budget"]  # linked outlet
    assert subjects(list_open_requests(db, text="jane")) == ["Parks"]  # linked contact
    assert subjects(list_open_requests(db, text="radio")) == ["Snow 100% cleared?"]
    assert subjects(list_open_requests(db, text="kim")) == ["Snow 100% cleared?"]
    assert subjects(list_open_requests(db, text="m-2026-0002")) == ["Budget"]
    assert subjects(list_open_requests(db, text="100%")) == ["Snow 100% cleared?"]
    assert subjects(list_open_requests(db, text="%")) == ["Snow 100% cleared?"]
    assert list_open_requests(db, text="nothing like it") == []
    assert len(list_open_requests(db, text="  ")) == 4


def test_open_requests_use_a_fixed_number_of_queries(staff: Database) -> None:
    herald = add_outlet(staff, "City Herald")
    jane = add_contact(staff, "Jane Doe", herald)
    for n in range(30):
        new(staff, subject=f"r{n}", requester="Jane Doe", assignee=("AB", "CD", None)[n % 3])
    with count_selects(staff) as statements:
        records = list_open_requests(staff, now=NOW, text="jane")
    assert len(records) == 30
    assert {r.contact_id for r in records} == {jane}
    assert {r.outlet for r in records} == {"City Herald"}
    assert {r.assignee for r in records} == {"AB", "CD", None}
    assert len(statements) <= 2, statements


# --- list_requests ---------------------------------------------------------------------------


def test_list_requests_keyset_pages_newest_first(db: Database) -> None:
    ids = [new(db, subject=f"r{n}").id for n in range(5)]
    first = list_requests(db, limit=2)
    assert [r.id for r in first] == [ids[4], ids[3]]
    second = list_requests(db, limit=2, before_id=first[-1].id)
    assert [r.id for r in second] == [ids[2], ids[1]]
    third = list_requests(db, limit=2, before_id=second[-1].id)
    assert [r.id for r in third] == [ids[0]]
    assert list_requests(db, limit=2, before_id=third[-1].id) == []


def test_list_requests_filters(db: Database) -> None:
    media = new(db)
    constituent = new(db, kind="constituent")
    move_to(db, constituent, RequestStatus.CLOSED)
    assert [r.id for r in list_requests(db, kind=RequestKind.MEDIA)] == [media.id]
    assert [r.id for r in list_requests(db, status=RequestStatus.CLOSED)] == [constituent.id]
    assert list_requests(db, status=RequestStatus.CLOSED, kind=RequestKind.MEDIA) == []
    with pytest.raises(InputError) as excinfo:
        list_requests(db, status="finished")
    input_error(excinfo, "status")


def test_get_request_missing(db: Database) -> None:
    with pytest.raises(NotFoundError):
        get_request(db, 42)


# --- update_request --------------------------------------------------------------------------


def audit_rows(db: Database, request_id: int) -> list[tuple[AuditAction, str, dict]]:
    """(action, user, changes) of a request's audit rows, oldest first."""
    with db.read() as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.user, AuditLog.changes)
            .where(AuditLog.entity == "requests", AuditLog.entity_id == request_id)
            .order_by(AuditLog.id)
        ).all()
    return [(action, user, json.loads(changes)) for action, user, changes in rows]


def test_update_changes_fields_bumps_version_and_audits(staff: Database) -> None:
    record = new(staff)
    later = NOW + HOUR
    updated = update_request(
        staff,
        record.id,
        record.version,
        now=later,
        subject="Budget gap: follow-up",
        priority="high",
        assignee="cd",
        spokesperson="EF",
        approver="ab",
        deadline_at=NOW + timedelta(days=1),
        also_talking_to="Council member Ruiz",
        departments="Finance",
        needs_review=True,
        review_kind="legal",
        response_method="statement",
        follow_up_on=date(2026, 3, 20),
        published_url="https://herald.example/budget",
        accuracy="needs correction",
    )
    assert updated.version == record.version + 1
    assert updated.subject == "Budget gap: follow-up"
    assert updated.priority is Priority.HIGH
    assert (updated.assignee, updated.spokesperson, updated.approver) == ("CD", "EF", "AB")
    assert updated.status is RequestStatus.ASSIGNED  # assigning a new request
    assert updated.deadline_at == NOW + timedelta(days=1)
    assert updated.also_talking_to == "Council member Ruiz"
    assert updated.needs_review and updated.review_kind == "legal"
    assert updated.response_method is ResponseMethod.STATEMENT
    assert updated.follow_up_on == date(2026, 3, 20)
    assert updated.accuracy is Accuracy.NEEDS_CORRECTION
    assert updated.updated_at == later
    assert get_request(staff, record.id) == updated

    rows = audit_rows(staff, record.id)
    assert [action for action, _, _ in rows] == [AuditAction.INSERT, AuditAction.UPDATE]
    _, user, changes = rows[-1]
    assert user == "AB"
    assert changes["subject"] == ["Budget shortfall", "Budget gap: follow-up"]
    assert changes["status"] == ["new", "assigned"]
    assert changes["assignee_id"][1] is not None


def test_update_clears_staff_with_none(staff: Database) -> None:
    record = new(staff, assignee="CD")
    updated = update_request(staff, record.id, 1, assignee=None, spokesperson="EF")
    assert updated.assignee is None and updated.spokesperson == "EF"
    assert updated.status is RequestStatus.NEW  # unassigned again
    cleared = update_request(staff, record.id, updated.version, spokesperson=None)
    assert cleared.spokesperson is None


def test_stale_version_is_refused_and_changes_nothing(db: Database) -> None:
    record = new(db)
    update_request(db, record.id, 1, subject="First edit", now=NOW)
    with pytest.raises(ConflictError) as excinfo:
        update_request(db, record.id, 1, subject="Second edit", priority="urgent", now=NOW)
    error = excinfo.value
    assert (error.base_version, error.current_version) == (1, 2)
    assert error.current["subject"] == "First edit"
    current = get_request(db, record.id)
    assert current.subject == "First edit" and current.priority is Priority.NORMAL
    assert current.version == 2
    assert len(audit_rows(db, record.id)) == 2


def test_update_missing_request(db: Database) -> None:
    with pytest.raises(NotFoundError):
        update_request(db, 42, 1, subject="x")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "M-2026-0099"}, "number"),
        ({"kind": "records"}, "kind"),
        ({"closed_at": NOW}, "closed_at"),
        ({"assignee_id": 1}, "assignee_id"),
        ({"subject": " "}, "subject"),
        ({"subject": "x" * 501}, "subject"),
        ({"priority": "meh"}, "priority"),
        ({"status": None}, "status"),
        ({"status": "finished"}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"response_method": "shrug"}, "response_method"),
        ({"attribution": "anonymous"}, "attribution"),
        ({"deadline_at": datetime(2026, 3, 12, 9, 0)}, "deadline_at"),
        ({"deadline_at": NOW - HOUR}, "deadline_at"),
        ({"embargo_until": "tomorrow"}, "embargo_until"),
        ({"follow_up_on": NOW}, "follow_up_on"),
        ({"needs_review": "yes"}, "needs_review"),
        ({"published_url": "herald.example/x"}, "published_url"),
        ({"language": "?"}, "language"),
        ({"requester_name": "x" * 201}, "requester_name"),
        ({"contact_id": 999}, "contact_id"),
        ({"outlet_id": 999}, "outlet_id"),
        ({"topic_id": 999}, "topic_id"),
        ({"statutory_days": 0}, "statutory_days"),
        ({"assignee": "ZZ"}, "assignee"),
        ({"approver": 3}, "approver"),
        ({"questions": 3}, "questions"),
    ],
)
def test_update_refuses_bad_input(db: Database, changes: dict, field: str) -> None:
    record = new(db)
    with pytest.raises(InputError) as excinfo:
        update_request(db, record.id, 1, now=NOW, **changes)
    input_error(excinfo, field)
    assert get_request(db, record.id) == record


def test_editable_fields_are_model_columns_or_staff() -> None:
    columns = set(Request.__table__.columns.keys())
    staff_fields = {"assignee", "spokesperson", "approver", "taken_by"}
    assert EDITABLE_FIELDS - staff_fields <= columns
    assert not EDITABLE_FIELDS & {"id", "number", "kind", "version", "created_at", "closed_at"}


def test_closing_stamps_closed_at_and_reopening_clears_it(db: Database) -> None:
    record = new(db)
    answered = update_request(
        db, record.id, 1, status="responded", response_method="statement", now=NOW
    )
    closed = update_request(db, record.id, answered.version, status="closed", now=NOW + HOUR)
    assert closed.closed_at == NOW + HOUR and not closed.is_open()
    again = update_request(db, record.id, closed.version, status="closed", now=NOW + 2 * HOUR)
    assert again.version == closed.version and again.closed_at == NOW + HOUR  # nothing changed
    reopened = update_request(db, record.id, closed.version, status="reopened", now=NOW)
    assert reopened.closed_at is None and reopened.is_open()
    declined = update_request(db, record.id, reopened.version, status="declined", now=NOW)
    assert declined.closed_at == NOW


def test_response_text_alone_is_a_draft(db: Database) -> None:
    """Writing the response does not mark the request answered: entering responded does."""
    record = new(db)
    drafted = update_request(
        db, record.id, 1, response_text="  The mayor will speak at 3pm.  ", now=NOW + HOUR
    )
    assert drafted.response_text == "The mayor will speak at 3pm."
    assert drafted.responded_at is None and drafted.status is RequestStatus.NEW
    other = new(db)
    given = NOW - timedelta(minutes=5)
    explicit = update_request(
        db,
        other.id,
        1,
        response_text="Sent",
        response_method="statement",
        status="responded",
        responded_at=given,
        now=NOW,
    )
    assert explicit.responded_at == given


def test_noop_update_keeps_version(db: Database) -> None:
    record = new(db)
    same = update_request(db, record.id, 1, subject="Budget shortfall", priority="normal")
    assert same == record
    assert len(audit_rows(db, record.id)) == 1


def test_update_links_contact_and_outlet(db: Database) -> None:
    herald = add_outlet(db, "City Herald")
    jane = add_contact(db, "Jane Doe", herald)
    record = new(db, requester="J. D.")
    updated = update_request(db, record.id, 1, contact_id=jane, outlet_id=herald)
    assert updated.requester == "Jane Doe" and updated.outlet == "City Herald"
    unlinked = update_request(db, record.id, 2, contact_id=None, outlet_id=None)
    assert unlinked.requester == "J. D." and unlinked.outlet == ""


# --- notes -----------------------------------------------------------------------------------


def test_notes_oldest_first_with_author(staff: Database) -> None:
    record = new(staff)
    later = add_note(staff, record.id, kind="to requester", body="Called back", now=NOW + HOUR)
    first = add_note(staff, record.id, kind=NoteKind.INTERNAL, body=" Check with legal ", now=NOW)
    assert later.author == "AB" and later.kind is NoteKind.TO_REQUESTER
    assert first.body == "Check with legal" and first.created_at == NOW
    assert first.version == 1 and first.request_id == record.id
    assert [n.body for n in list_notes(staff, record.id)] == ["Check with legal", "Called back"]
    assert list_notes(staff, new(staff).id) == []


def test_note_without_matching_staff_has_no_author(db: Database) -> None:
    record = new(db)
    note = add_note(db, record.id, kind="from_requester", body="Any update?", now=NOW)
    assert note.author is None
    assert list_notes(db, record.id) == [note]


def test_note_validation(db: Database) -> None:
    record = new(db)
    with pytest.raises(InputError) as excinfo:
        add_note(db, record.id, kind="internal", body="  ")
    input_error(excinfo, "body")
    with pytest.raises(InputError) as excinfo:
        add_note(db, record.id, kind="gossip", body="x")
    assert "internal, to_requester, from_requester" in input_error(excinfo, "kind")
    with pytest.raises(NotFoundError):
        add_note(db, 42, kind="internal", body="x")
    with pytest.raises(NotFoundError):
        list_notes(db, 42)


# --- filters of the open window (kind, status, assignee, outlet type) -----------------------


def filter_desk(db: Database) -> dict[str, RequestRecord]:
    from deskterm.core.contacts import add_outlet as add_typed_outlet

    add_typed_outlet(db, name="KPAC News", type="tv")
    add_typed_outlet(db, name="City Herald", type="print")
    made = {
        "tv": new(db, subject="tv", outlet="KPAC News", deadline=NOW + HOUR, assignee="AB"),
        "print": new(db, subject="print", outlet="City Herald", deadline=NOW + 2 * HOUR),
        "constituent": new(db, kind="constituent", subject="constituent", assignee="CD"),
        "records": new(db, kind="records", subject="records"),
    }
    made["closed"] = move_to(
        db, new(db, subject="closed", outlet="KPAC News"), RequestStatus.CLOSED
    )
    made["closed_2"] = move_to(db, new(db, subject="closed 2"), RequestStatus.CLOSED)
    return made


def test_open_requests_kind_filter(staff: Database) -> None:
    filter_desk(staff)
    assert subjects(list_open_requests(staff, kind="media")) == ["tv", "print"]
    assert subjects(list_open_requests(staff, kind=RequestKind.RECORDS)) == ["records"]
    with pytest.raises(InputError) as excinfo:
        list_open_requests(staff, kind="haiku")
    input_error(excinfo, "kind")


def test_open_requests_status_filter(staff: Database) -> None:
    filter_desk(staff)
    assert subjects(list_open_requests(staff, status="assigned")) == ["tv", "constituent"]
    assert subjects(list_open_requests(staff, status="new")) == ["print", "records"]
    # a finished status lists those requests instead, newest first
    assert subjects(list_open_requests(staff, status="closed")) == ["closed 2", "closed"]
    with pytest.raises(InputError) as excinfo:
        list_open_requests(staff, status="done")
    input_error(excinfo, "status")


def test_open_requests_assignee_and_outlet_type_filters(staff: Database) -> None:
    filter_desk(staff)
    assert subjects(list_open_requests(staff, assignee=UNASSIGNED)) == ["print", "records"]
    assert subjects(list_open_requests(staff, outlet_type="tv")) == ["tv"]
    assert subjects(list_open_requests(staff, outlet_type=OutletType.PRINT)) == ["print"]
    assert list_open_requests(staff, outlet_type="radio") == []
    assert subjects(list_open_requests(staff, status="closed", outlet_type="tv")) == ["closed"]
    combined = list_open_requests(staff, kind="media", assignee="AB", outlet_type="tv", text="t")
    assert subjects(combined) == ["tv"]
    with pytest.raises(InputError) as excinfo:
        list_open_requests(staff, outlet_type="blog")
    input_error(excinfo, "outlet_type")


def test_filters_run_in_one_statement_with_a_limit(staff: Database) -> None:
    filter_desk(staff)
    with count_selects(staff) as statements:
        found = list_open_requests(staff, kind="media", status="new", outlet_type="print", limit=1)
    assert subjects(found) == ["print"]
    requests_selects = [s for s in statements if "FROM requests" in s]
    assert len(requests_selects) == 1 and "LIMIT" in requests_selects[0]
    assert len(statements) <= 2, statements  # the window, then staff initials


def test_request_filter_describes_itself() -> None:
    assert RequestFilter().describe() == "" and not RequestFilter().active()
    described = RequestFilter(
        status=RequestStatus.IN_REVIEW,
        kind=RequestKind.MEDIA,
        assignee=UNASSIGNED,
        outlet_type=OutletType.COMMUNITY_ETHNIC,
    )
    assert described.active()
    assert described.describe() == (
        "status: in review · kind: media · assignee: nobody · outlet: community ethnic"
    )


# --- comparing a stale edit with what is saved ------------------------------------------------


def test_compare_edit_lists_my_fields_then_theirs(staff: Database) -> None:
    base = new(staff, subject="Budget", deadline=NOW + HOUR)
    theirs = update_request(staff, base.id, 1, subject="Budget (theirs)", priority="high")
    mine = {"subject": "Budget (mine)", "assignee": "cd", "questions": "Why?", "language": "en"}
    rows = compare_edit(base, theirs, mine)
    assert [r.field for r in rows] == ["subject", "questions", "assignee", "priority"]
    subject, questions, assignee, priority = rows
    assert (subject.base, subject.theirs, subject.mine) == (
        "Budget",
        "Budget (theirs)",
        "Budget (mine)",
    )
    assert subject.mine_changed and subject.theirs_changed and subject.label == "Subject"
    assert questions.mine_changed and not questions.theirs_changed
    assert assignee.mine == "cd" and assignee.mine_changed  # compared as initials, any case
    assert priority.theirs is Priority.HIGH and not priority.mine_changed
    assert priority.mine is Priority.NORMAL  # unchanged by me: what I loaded
    assert compare_edit(base, base, {"subject": "Budget", "assignee": None}) == []


def test_field_labels_name_every_editable_field() -> None:
    assert set(FIELD_LABELS) == set(EDITABLE_FIELDS)
