"""The request status workflow (deskterm.core.requests): every allowed and refused move, what
each status needs, what each move stamps, and the statutory deadline of records requests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.enums import RequestStatus, ResponseMethod
from db.models import AuditLog
from deskterm.core.errors import InputError
from deskterm.core.requests import (
    CLOSED_STATUSES,
    NEEDS_ASSIGNEE,
    NEEDS_METHOD,
    OPEN_STATUSES,
    TRANSITIONS,
    RequestRecord,
    check_status_move,
    create_request,
    get_request,
    next_statuses,
    update_request,
)
from deskterm.core.staff import add_staff
from deskterm.core.statutory import pause_clock

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday
HOUR = timedelta(hours=1)
TZ = ZoneInfo("America/New_York")
S = RequestStatus


@pytest.fixture
def desk(db: Database) -> Database:
    add_staff(db, initials="AB", name="Ann Brown", role="press_secretary")
    add_staff(db, initials="CD", name="Carl Diaz", role="pio")
    return db


def new(db: Database, **kwargs) -> RequestRecord:
    kwargs.setdefault("kind", "media")
    kwargs.setdefault("subject", "Budget shortfall")
    kwargs.setdefault("requester", "A. Reporter")
    kwargs.setdefault("now", NOW)
    return create_request(db, **kwargs)


# The shortest way from new to each status (the moves themselves are checked below).
PATHS: dict[RequestStatus, list[dict]] = {
    S.NEW: [],
    S.ASSIGNED: [{"assignee": "AB"}],
    S.DRAFTING: [{"assignee": "AB", "status": "drafting"}],
    S.IN_REVIEW: [{"assignee": "AB"}, {"status": "in_review"}],
    S.RESPONDED: [{"status": "responded", "response_method": "statement"}],
    S.CLOSED: [{"status": "responded", "response_method": "statement"}, {"status": "closed"}],
    S.DECLINED: [{"status": "declined"}],
    S.REOPENED: [
        {"status": "responded", "response_method": "statement"},
        {"status": "reopened"},
    ],
}


def at(db: Database, status: RequestStatus) -> RequestRecord:
    record = new(db)
    for step in PATHS[status]:
        record = update_request(db, record.id, record.version, now=NOW, **step)
    assert record.status is status
    return record


def audit_count(db: Database, request_id: int) -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "requests", AuditLog.entity_id == request_id)
        )


def needs_for(target: RequestStatus, record: RequestRecord) -> dict:
    """What a move to ``target`` must bring along for the rules to be met."""
    extra: dict = {}
    if target in NEEDS_ASSIGNEE and not record.assignee:
        extra["assignee"] = "AB"
    if target is S.NEW and record.assignee:
        extra["assignee"] = None
    if target in NEEDS_METHOD and not record.response_method:
        extra["response_method"] = "statement"
    return extra


# --- the transition table --------------------------------------------------------------------


def test_the_table_covers_every_status_and_never_lists_itself() -> None:
    assert set(TRANSITIONS) == set(RequestStatus)
    for status, targets in TRANSITIONS.items():
        assert status not in targets
        assert next_statuses(status) == targets
    # the happy path of the issue, step by step
    path = [S.NEW, S.ASSIGNED, S.DRAFTING, S.IN_REVIEW, S.RESPONDED, S.CLOSED]
    for before, after in itertools.pairwise(path):
        assert after in TRANSITIONS[before]
    # declined from every open status; reopened from every finished one
    assert all(S.DECLINED in TRANSITIONS[s] for s in OPEN_STATUSES)
    assert all(S.REOPENED in TRANSITIONS[s] for s in (*CLOSED_STATUSES, S.RESPONDED))


@pytest.mark.parametrize("start", list(RequestStatus))
@pytest.mark.parametrize("target", list(RequestStatus))
def test_every_move_is_allowed_or_refused_by_the_table(
    desk: Database, start: RequestStatus, target: RequestStatus
) -> None:
    record = at(desk, start)
    extra = needs_for(target, record)
    if target is start or target in TRANSITIONS[start]:
        moved = update_request(desk, record.id, record.version, status=target, now=NOW, **extra)
        assert moved.status is target
        return
    audits = audit_count(desk, record.id)
    with pytest.raises(InputError) as caught:
        update_request(desk, record.id, record.version, status=target, now=NOW, **extra)
    message = str(caught.value)
    assert caught.value.field == "status" and "\n" not in message
    assert message.startswith(f"a request cannot go from {start.value.replace('_', ' ')} to")
    assert get_request(desk, record.id) == record  # nothing written
    assert audit_count(desk, record.id) == audits


# --- what each status needs ------------------------------------------------------------------


@pytest.mark.parametrize("target", sorted(NEEDS_ASSIGNEE))
def test_working_statuses_need_an_assignee(desk: Database, target: RequestStatus) -> None:
    record = at(desk, S.REOPENED)
    with pytest.raises(InputError, match="needs someone assigned") as caught:
        update_request(desk, record.id, record.version, status=target)
    assert caught.value.field == "assignee"
    assert get_request(desk, record.id).status is S.REOPENED


def test_clearing_the_assignee_of_a_working_request_is_refused(desk: Database) -> None:
    drafting = at(desk, S.DRAFTING)
    with pytest.raises(InputError, match="drafting needs someone assigned"):
        update_request(desk, drafting.id, drafting.version, assignee=None)
    assigned = at(desk, S.ASSIGNED)
    back = update_request(desk, assigned.id, assigned.version, assignee=None)
    assert back.status is S.NEW and back.assignee is None  # unassigning: new again


def test_assigning_a_new_request_makes_it_assigned(desk: Database) -> None:
    record = new(desk)
    assert update_request(desk, record.id, 1, assignee="cd").status is S.ASSIGNED
    reopened = at(desk, S.REOPENED)
    same = update_request(desk, reopened.id, reopened.version, assignee="CD")
    assert same.status is S.REOPENED  # only a new request moves by being assigned


def test_new_means_nobody_assigned(desk: Database) -> None:
    record = at(desk, S.ASSIGNED)
    with pytest.raises(InputError, match="clear the assignee") as caught:
        update_request(desk, record.id, record.version, status="new")
    assert caught.value.field == "assignee"
    back = update_request(desk, record.id, record.version, status="new", assignee=None)
    assert back.status is S.NEW


@pytest.mark.parametrize("start", [S.NEW, S.ASSIGNED, S.DRAFTING, S.IN_REVIEW])
def test_responded_needs_a_response_method(desk: Database, start: RequestStatus) -> None:
    record = at(desk, start)
    with pytest.raises(InputError, match="responded needs a response method") as caught:
        update_request(desk, record.id, record.version, status="responded", response_text="Hi")
    assert caught.value.field == "response_method"
    assert get_request(desk, record.id) == record


def test_an_answered_request_keeps_its_method(desk: Database) -> None:
    for status in (S.RESPONDED, S.CLOSED):
        record = at(desk, status)
        with pytest.raises(InputError, match="needs a response method"):
            update_request(desk, record.id, record.version, response_method=None)
        other = update_request(desk, record.id, record.version, response_method="interview")
        assert other.response_method is ResponseMethod.INTERVIEW


def test_check_status_move_states_the_rules_without_writing() -> None:
    assert check_status_move(S.NEW, "assigned", assignee="AB") is S.ASSIGNED
    assert check_status_move(S.CLOSED, S.CLOSED, response_method="statement") is S.CLOSED
    with pytest.raises(InputError, match="from closed it can go to reopened"):
        check_status_move(S.CLOSED, "drafting", assignee="AB")
    with pytest.raises(InputError, match="assigned, drafting, responded or declined"):
        check_status_move(S.NEW, "in review", assignee="AB")
    with pytest.raises(InputError) as caught:
        check_status_move(S.NEW, "finished")
    # the moves open from here, as the form's label words them: not every status there is
    assert str(caught.value) == (
        "unknown status 'finished'; from new it can go to assigned, drafting, responded or declined"
    )
    with pytest.raises(InputError) as caught:
        check_status_move(S.DRAFTING, "bogus")
    assert str(caught.value).endswith(
        "from drafting it can go to assigned, in review, responded or declined"
    )


# --- what each move stamps -------------------------------------------------------------------


def test_responding_stamps_responded_at(desk: Database) -> None:
    record = at(desk, S.IN_REVIEW)
    answered = update_request(
        desk,
        record.id,
        record.version,
        status="responded",
        response_method="statement",
        response_text="The mayor will speak at 3pm.",
        now=NOW + HOUR,
    )
    assert answered.responded_at == NOW + HOUR and answered.closed_at is None
    explicit = at(desk, S.ASSIGNED)
    given = NOW - HOUR
    said = update_request(
        desk,
        explicit.id,
        explicit.version,
        status="responded",
        response_method="interview",
        responded_at=given,
        now=NOW,
    )
    assert said.responded_at == given  # when it really happened, if the desk says so


def test_closing_keeps_the_response_and_stamps_closed_at(desk: Database) -> None:
    record = at(desk, S.RESPONDED)
    closed = update_request(desk, record.id, record.version, status="closed", now=NOW + HOUR)
    assert closed.closed_at == NOW + HOUR and closed.responded_at == record.responded_at
    assert not closed.is_open()


def test_declining_stamps_closed_at_and_records_the_method(desk: Database) -> None:
    record = at(desk, S.ASSIGNED)
    declined = update_request(desk, record.id, record.version, status="declined", now=NOW)
    assert declined.closed_at == NOW and declined.response_method is ResponseMethod.DECLINED
    other = at(desk, S.NEW)
    quiet = update_request(
        desk, other.id, other.version, status="declined", response_method="no_comment", now=NOW
    )
    assert quiet.response_method is ResponseMethod.NO_COMMENT  # a method given is kept


def test_reopening_clears_closed_at_and_a_new_answer_is_stamped_again(desk: Database) -> None:
    record = at(desk, S.CLOSED)
    assert record.closed_at is not None
    reopened = update_request(desk, record.id, record.version, status="reopened", now=NOW + HOUR)
    assert reopened.closed_at is None and reopened.is_open()
    assert reopened.responded_at == record.responded_at  # the earlier answer stays on file
    again = update_request(
        desk, record.id, reopened.version, status="responded", now=NOW + 2 * HOUR
    )
    assert again.responded_at == NOW + 2 * HOUR and again.response_method is not None


def test_every_status_change_is_audited(desk: Database) -> None:
    record = at(desk, S.CLOSED)
    assert audit_count(desk, record.id) == 1 + len(PATHS[S.CLOSED])


# --- the statutory deadline of records requests -----------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


def test_statutory_days_at_intake_set_the_deadline(desk: Database) -> None:
    received = local(2026, 3, 6, 15, 0)  # a Friday
    record = create_request(
        desk,
        kind="records",
        subject="Police overtime 2025",
        requester="B. Citizen",
        statutory_days=10,
        received_at=received,
        now=received,
        tz=TZ,
    )
    assert record.statutory_days == 10
    assert record.deadline_at == local(2026, 3, 20, 17, 0)  # ten business days, 17:00 desk time
    holiday = create_request(
        desk,
        kind="records",
        subject="Contracts",
        requester="B. Citizen",
        statutory_days=10,
        received_at=received,
        now=received,
        tz=TZ,
        holidays=[date(2026, 3, 16)],
    )
    assert holiday.deadline_at == local(2026, 3, 23, 17, 0)


def test_setting_statutory_days_moves_the_deadline(desk: Database) -> None:
    received = local(2026, 3, 6, 15, 0)
    record = create_request(
        desk, kind="records", subject="Permits", requester="C", received_at=received, now=received
    )
    assert record.deadline_at is None
    ten = update_request(desk, record.id, record.version, statutory_days=10, tz=TZ, now=NOW)
    assert ten.deadline_at == local(2026, 3, 20, 17, 0)
    twenty = update_request(desk, record.id, ten.version, statutory_days=20, tz=TZ, now=NOW)
    assert twenty.deadline_at == local(2026, 4, 3, 17, 0)


def test_a_paused_clock_counts_when_the_days_change(desk: Database) -> None:
    received = local(2026, 3, 6, 15, 0)
    record = create_request(
        desk,
        kind="records",
        subject="Permits",
        requester="C",
        statutory_days=10,
        received_at=received,
        now=received,
        tz=TZ,
    )
    paused = pause_clock(desk, record.id, record.version, now=local(2026, 3, 9, 10, 0))
    # Paused Monday; on Thursday the desk extends the clock to 15 days: 3 days paused so far.
    longer = update_request(
        desk, record.id, paused.version, statutory_days=15, tz=TZ, now=local(2026, 3, 12, 10, 0)
    )
    assert longer.deadline_at == local(2026, 4, 1, 17, 0)  # 15 + 3 business days after 6 March


def test_a_clocked_records_deadline_is_not_typed(desk: Database) -> None:
    record = create_request(
        desk, kind="records", subject="Permits", requester="C", statutory_days=10, now=NOW, tz=TZ
    )
    with pytest.raises(InputError, match="statutory clock") as caught:
        update_request(desk, record.id, record.version, deadline_at=NOW + 30 * HOUR)
    assert caught.value.field == "deadline_at"
    with pytest.raises(InputError, match="change the statutory days, not the deadline"):
        update_request(
            desk, record.id, record.version, statutory_days=12, deadline_at=NOW + 30 * HOUR
        )
    with pytest.raises(InputError, match="leave the deadline empty") as caught:
        create_request(
            desk,
            kind="records",
            subject="X",
            requester="C",
            statutory_days=10,
            deadline=NOW + HOUR,
            now=NOW,
        )
    assert caught.value.field == "deadline"
    assert get_request(desk, record.id) == record


def test_only_records_requests_have_statutory_days(desk: Database) -> None:
    media = new(desk)
    with pytest.raises(InputError, match="only public-records requests") as caught:
        update_request(desk, media.id, media.version, statutory_days=10)
    assert caught.value.field == "statutory_days"
    with pytest.raises(InputError, match="only public-records requests"):
        new(desk, statutory_days=10)
    with pytest.raises(InputError, match="1-365"):
        new(desk, kind="records", statutory_days=0)


def test_a_changed_requester_or_outlet_is_linked_anew(desk: Database) -> None:
    from deskterm.core.contacts import add_contact, add_outlet

    herald = add_outlet(desk, name="City Herald", type="print")
    jane = add_contact(desk, name="Jane Doe", outlet="City Herald")
    record = new(desk, requester="J. D.")
    assert record.contact_id is None
    linked = update_request(
        desk, record.id, 1, requester_name="jane doe", outlet_name="city herald"
    )
    assert (linked.contact_id, linked.outlet_id) == (jane.id, herald.id)
    assert linked.requester == "Jane Doe" and linked.outlet == "City Herald"
    unlinked = update_request(desk, record.id, linked.version, requester_name="Someone Else")
    assert unlinked.contact_id is None and unlinked.requester == "Someone Else"
    assert unlinked.outlet_id == herald.id  # the outlet text did not change


def test_an_edit_to_an_unknown_status_names_this_requests_moves(desk: Database) -> None:
    record = at(desk, RequestStatus.DRAFTING)
    with pytest.raises(InputError) as caught:
        update_request(desk, record.id, record.version, status="bogus", now=NOW)
    assert str(caught.value) == (
        "unknown status 'bogus'; from drafting it can go to assigned, in review, responded or "
        "declined"
    )
    assert caught.value.field == "status"
    assert get_request(desk, record.id).version == record.version  # nothing written


def test_a_new_request_refuses_every_bad_field_at_once(desk: Database) -> None:
    """A form's one save shows each field's error: the assignee (read in the write
    transaction) as well as the language and the deadline text; nothing is written."""
    from deskterm.core.errors import InputErrors

    with pytest.raises(InputErrors) as caught:
        create_request(
            desk,
            kind="media",
            subject="Bridge closure",
            requester="Dana Reyes",
            deadline="31/13/2026",
            assignee="ZZ",
            language="klingon!!",
            tz=TZ,
            now=NOW,
        )
    fields = [error.field for error in caught.value.errors]
    assert fields == ["deadline", "language", "assignee"]
    assert caught.value.field == "deadline" and "\n" not in str(caught.value)
    assert "ZZ" in str(caught.value.errors[2]) and "klingon" in str(caught.value.errors[1])
    assert not any(r.subject == "Bridge closure" for r in _all_requests(desk))


def _all_requests(db: Database) -> list[RequestRecord]:
    from deskterm.core.requests import list_open_requests

    return list_open_requests(db, now=NOW)
