"""The board's rules: who may approve, what publishing needs, which moves are refused, and
the versioned edits around a card (owner, comments, checklist)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from db.engine import Actor, Database
from db.enums import AuditAction, TaskStatus
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, Staff, Task
from deskterm.core.errors import InputError
from deskterm.core.staff import StaffRecord, add_staff
from deskterm.core.tasks import (
    BOARD_COLUMNS,
    TaskRecord,
    add_checklist_item,
    add_comment,
    approve_task,
    assign_owner,
    check_move,
    checklist,
    checklist_item,
    create_task,
    current_staff,
    get_task,
    list_comments,
    move_task,
    publish_blockers,
    publish_task,
    remove_checklist_item,
    send_for_review,
    set_checklist_done,
    step_task,
    update_task,
)
from tests.core.cards import seed_card

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
LINK = "https://city.example/news/budget"


@pytest.fixture
def desks(db: Database, db_path: Path) -> Iterator[Callable[[str], Database]]:
    """Staff on the file, and a factory for the same file as another desk user."""
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    add_staff(db, initials="CD", name="Cy Dunn", role="comms_director", can_approve=True)
    add_staff(db, initials="EF", name="Eve Fox", role="press_secretary", can_approve=True)
    add_staff(db, initials="MR", name="Mo Ruiz", role="pio")
    opened: list[Database] = []

    def as_user(user: str) -> Database:
        desk = Database(str(db_path), actor=Actor(user, f"host-{user.lower()}"))
        opened.append(desk)
        return desk

    yield as_user
    for desk in opened:
        desk.dispose()


def in_review(db: Database, *, owner: str = "AB", **extra) -> TaskRecord:
    """A card owned by ``owner``, drafted and sent to CD for review."""
    task = create_task(db, title="Budget statement", kind="statement", owner=owner, **extra)
    task = move_task(db, task.id, task.version, "drafting", now=T0)
    return send_for_review(db, task.id, task.version, "cd", now=T0)


def approved(db: Database, desks, **extra) -> TaskRecord:
    task = in_review(db, **extra)
    return approve_task(desks("CD"), task.id, task.version, now=T0 + timedelta(hours=1))


def audit_rows(db: Database, entity: str, entity_id: int) -> list:
    """(action, user, host, changes) of an entity's audit rows, oldest first."""
    with db.read() as session:
        return session.execute(
            select(AuditLog.action, AuditLog.user, AuditLog.host, AuditLog.changes)
            .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.id)
        ).all()


def audit_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


def refused(call: Callable[[], object], db: Database, task_id: int) -> InputError:
    """Run a move that must be refused: one-line InputError, card and audit untouched."""
    before, audited = get_task(db, task_id), audit_count(db)
    with pytest.raises(InputError) as caught:
        call()
    assert "\n" not in str(caught.value)
    assert get_task(db, task_id) == before
    assert audit_count(db) == audited
    return caught.value


# --- approval rights ----------------------------------------------------------------------


def test_a_staff_member_who_may_approve_signs_off(db, desks):
    task = in_review(db)
    cd = desks("CD")
    signed = approve_task(cd, task.id, task.version, now=T0 + timedelta(hours=1))
    assert signed.status is TaskStatus.APPROVED
    assert (signed.approved_by, signed.approved_at) == ("CD", T0 + timedelta(hours=1))
    assert signed.version == task.version + 1
    assert get_task(db, task.id) == signed

    last = audit_rows(db, "tasks", task.id)[-1]
    assert (last.action, last.user, last.host) == (AuditAction.UPDATE, "CD", "host-cd")
    changes = json.loads(last.changes)
    with db.read() as session:
        cd_id = session.scalar(select(Staff.id).where(Staff.initials == "CD"))
    assert changes["approved_by_id"] == [None, cd_id]
    assert changes["approved_at"] == [None, (T0 + timedelta(hours=1)).isoformat()]
    assert changes["status"] == ["in_review", "approved"]


def test_moving_to_approved_is_approving(db, desks):
    task = in_review(db)
    error = refused(lambda: move_task(desks("MR"), task.id, task.version, "Approved"), db, task.id)
    assert str(error) == (
        "only a staff member who may approve can move a card to Approved (MR cannot)"
    )
    moved = move_task(desks("ef"), task.id, task.version, "approved", now=T0)
    assert (moved.status, moved.approved_by, moved.approved_at) == (TaskStatus.APPROVED, "EF", T0)


def test_the_owner_cannot_approve_their_own_card_unless_allowed(db, desks):
    task = in_review(db, owner="EF")
    ef = desks("EF")
    error = refused(lambda: approve_task(ef, task.id, task.version), db, task.id)
    assert str(error) == "EF owns this card: someone else must approve it"
    assert error.field == "status"
    signed = approve_task(ef, task.id, task.version, now=T0, allow_self_approval=True)
    assert (signed.status, signed.approved_by) == (TaskStatus.APPROVED, "EF")


def test_an_approver_who_takes_the_card_over_cannot_publish_their_own_sign_off(db, desks):
    """CD signs off AB's card, then becomes its owner: the sign-off is now the owner's
    own, so publishing waits for someone else's (unless self-approval is allowed)."""
    task = approved(db, desks)
    taken = assign_owner(db, task.id, task.version, "CD")
    error = refused(
        lambda: publish_task(desks("CD"), task.id, taken.version, published_url=LINK), db, task.id
    )
    assert str(error) == (
        "CD signed this card off and now owns it: send it back to review for someone else's "
        "sign-off"
    )
    back = move_task(db, task.id, taken.version, "in_review", now=T0)
    again = approve_task(desks("EF"), task.id, back.version, now=T0)
    published = publish_task(db, task.id, again.version, published_url=LINK, now=T0)
    assert (published.status, published.approved_by) == (TaskStatus.PUBLISHED, "EF")
    other = approved(db, desks)
    other = assign_owner(db, other.id, other.version, "CD")
    allowed = publish_task(
        db, other.id, other.version, published_url=LINK, now=T0, allow_self_approval=True
    )
    assert allowed.status is TaskStatus.PUBLISHED


def test_staff_without_the_right_to_approve_are_refused(db, desks):
    task = in_review(db)
    for user in ("MR", "AB"):  # AB also owns it: the missing right is the reason given
        error = refused(
            lambda user=user: approve_task(desks(user), task.id, task.version), db, task.id
        )
        assert f"({user} cannot)" in str(error)
        assert str(error).startswith("only a staff member who may approve")


def test_a_desk_user_not_on_the_staff_list_cannot_approve(db, desks):
    task = in_review(db)
    error = refused(lambda: approve_task(desks("ZZ"), task.id, task.version), db, task.id)
    assert "you are not on the staff list" in str(error)
    assert current_staff(desks("ZZ")) is None
    assert current_staff(desks("cd")).initials == "CD"


def test_an_inactive_approver_is_refused(db, desks):
    task = in_review(db)
    with db.transaction() as session:
        session.execute(update(Staff).where(Staff.initials == "CD").values(active=False))
    error = refused(lambda: approve_task(desks("CD"), task.id, task.version), db, task.id)
    assert "CD is not an active staff member" in str(error)


def test_a_card_is_approved_only_from_review(db, desks):
    task = create_task(db, title="Op-ed", owner="AB", status="drafting")
    error = refused(lambda: approve_task(desks("CD"), task.id, task.version), db, task.id)
    assert str(error) == "a card goes to In review before it is approved (this one is in Drafting)"


# --- sending back and publishing ----------------------------------------------------------


def test_sending_an_approved_card_back_clears_its_sign_off(db, desks):
    task = approved(db, desks)
    back = move_task(db, task.id, task.version, "drafting")
    assert (back.status, back.approved_by, back.approved_at) == (TaskStatus.DRAFTING, None, None)
    changes = json.loads(audit_rows(db, "tasks", task.id)[-1].changes)
    assert changes["approved_by_id"][1] is None and changes["approved_at"][1] is None

    again = approved(db, desks)
    stepped = step_task(db, again.id, again.version, -1)
    assert (stepped.status, stepped.approved_by) == (TaskStatus.IN_REVIEW, None)

    third = approved(db, desks)
    published = publish_task(db, third.id, third.version, published_url=LINK, now=T0)
    pulled = move_task(db, published.id, published.version, "backlog")
    assert (pulled.status, pulled.approved_by, pulled.approved_at) == (
        TaskStatus.BACKLOG,
        None,
        None,
    )


def test_publish_waits_for_required_checklist_items_and_names_them(db, desks):
    task = approved(
        db,
        desks,
        checklist=[("Facts checked", True), ("Spanish version", False), ("Legal review", True)],
    )
    error = refused(
        lambda: publish_task(db, task.id, task.version, published_url=LINK), db, task.id
    )
    assert str(error) == "2 required checklist items are open: Facts checked, Legal review"
    assert error.field == "checklist"

    items = checklist(db, task.id)
    assert [(i.label, i.required, i.done) for i in items] == [
        ("Facts checked", True, False),
        ("Spanish version", False, False),
        ("Legal review", True, False),
    ]
    set_checklist_done(desks("CD"), items[0].id, items[0].version, True, now=T0)
    error = refused(
        lambda: publish_task(db, task.id, task.version, published_url=LINK), db, task.id
    )
    assert str(error) == "1 required checklist item is open: Legal review"

    set_checklist_done(db, items[2].id, items[2].version, True, now=T0)  # optional item open
    when = T0 + timedelta(hours=3)
    out = publish_task(db, task.id, task.version, published_url=f"  {LINK} ", now=when)
    assert (out.status, out.published_url, out.publish_at) == (TaskStatus.PUBLISHED, LINK, when)
    assert out.approved_by == "CD"  # publishing keeps the sign-off


def test_publish_blockers_say_beforehand_what_publish_task_would_refuse(db, desks):
    """The check a desk makes before asking for the link: the same lines as the refusal,
    every one of them, the link left out (it is asked for next); the domain still refuses."""
    drafting = create_task(
        db, title="Post", owner="AB", status="drafting", checklist=[("Spanish subtitles", True)]
    )
    assert publish_blockers(db, drafting.id) == [
        "only an approved card can be published (this one is in Drafting): "
        "a card cannot skip review",
        "1 required checklist item is open: Spanish subtitles",
    ]
    task = approved(db, desks, checklist=[("Spanish subtitles", True), ("Alt text", False)])
    (blocker,) = publish_blockers(db, task.id)
    error = refused(
        lambda: publish_task(db, task.id, task.version, published_url=LINK), db, task.id
    )
    assert blocker == str(error) == "1 required checklist item is open: Spanish subtitles"

    item = checklist(db, task.id)[0]
    set_checklist_done(db, item.id, item.version, True, now=T0)
    assert publish_blockers(db, task.id) == []  # no link yet: asked for next, not a blocker
    error = refused(
        lambda: publish_task(db, task.id, task.version, published_url=None), db, task.id
    )
    assert str(error) == "published needs the link to what went out"

    taken = assign_owner(db, task.id, task.version, "CD")  # CD signed it off and owns it now
    assert publish_blockers(db, task.id) == [
        "CD signed this card off and now owns it: send it back to review for someone "
        "else's sign-off"
    ]
    assert publish_blockers(db, task.id, allow_self_approval=True) == []
    out = publish_task(
        db, task.id, taken.version, published_url=LINK, now=T0, allow_self_approval=True
    )
    assert publish_blockers(db, out.id) == []  # published: p corrects the link
    archived = move_task(db, out.id, out.version, "archived")
    assert publish_blockers(db, archived.id) == ["an archived card can only go back to Backlog"]
    with pytest.raises(NotFoundError):
        publish_blockers(db, 10_000)


def test_publish_keeps_a_planned_publish_time_and_needs_a_link(db, desks):
    planned = T0 + timedelta(days=1)
    task = approved(db, desks, publish_at=planned)
    error = refused(
        lambda: publish_task(db, task.id, task.version, published_url=None), db, task.id
    )
    assert str(error) == "published needs the link to what went out"
    assert error.field == "published_url"
    error = refused(lambda: move_task(db, task.id, task.version, "published"), db, task.id)
    assert str(error) == "published needs the link to what went out"
    with pytest.raises(InputError) as caught:
        publish_task(db, task.id, task.version, published_url="javascript:alert(1)")
    assert caught.value.field == "published_url"

    out = move_task(db, task.id, task.version, "published", published_url=LINK, now=T0)
    assert (out.publish_at, out.published_url) == (planned, LINK)
    fixed = publish_task(db, out.id, out.version, published_url=LINK + "-2")
    assert (fixed.status, fixed.published_url) == (TaskStatus.PUBLISHED, LINK + "-2")


def test_a_card_cannot_skip_review_or_sign_off(db, desks):
    drafting = create_task(db, title="Post", owner="AB", status="drafting")
    error = refused(
        lambda: move_task(db, drafting.id, drafting.version, "published", published_url=LINK),
        db,
        drafting.id,
    )
    assert str(error) == (
        "only an approved card can be published (this one is in Drafting): "
        "a card cannot skip review"
    )
    review = in_review(db)
    error = refused(
        lambda: publish_task(db, review.id, review.version, published_url=LINK), db, review.id
    )
    assert "this one is in In review" in str(error)

    # A card cannot be created in Approved; one put there by other means (an old import,
    # raw SQL) without a sign-off still cannot go out.
    with pytest.raises(InputError, match="gets there through review and sign-off"):
        create_task(db, title="Shortcut", status="approved")
    with pytest.raises(InputError, match="pick a reviewer first"):
        create_task(db, title="Shortcut", status="in_review")
    unsigned = create_task(db, title="Imported", status="backlog")
    with db.transaction() as session:
        session.execute(update(Task).where(Task.id == unsigned.id).values(status="approved"))
    unsigned = get_task(db, unsigned.id)
    error = refused(
        lambda: publish_task(db, unsigned.id, unsigned.version, published_url=LINK),
        db,
        unsigned.id,
    )
    assert str(error) == "this card has no sign-off: it must be approved before it is published"


def test_in_review_needs_a_reviewer(db, desks):
    task = create_task(db, title="Remarks", owner="AB", status="drafting")
    error = refused(lambda: move_task(db, task.id, task.version, "in_review"), db, task.id)
    assert str(error) == "pick a reviewer first"
    assert error.field == "reviewer"
    error = refused(lambda: step_task(db, task.id, task.version, +1), db, task.id)
    assert str(error) == "pick a reviewer first"
    error = refused(lambda: send_for_review(db, task.id, task.version, "  "), db, task.id)
    assert str(error) == "pick a reviewer first"
    with pytest.raises(InputError) as caught:
        send_for_review(db, task.id, task.version, "QQ")
    assert caught.value.field == "reviewer"

    sent = send_for_review(db, task.id, task.version, "ef")
    assert (sent.status, sent.reviewer, sent.version) == (TaskStatus.IN_REVIEW, "EF", 2)
    # One change, one version, one audit row (reviewer and status together).
    changes = json.loads(audit_rows(db, "tasks", task.id)[-1].changes)
    assert set(changes) == {"reviewer_id", "status"}
    assert len(audit_rows(db, "tasks", task.id)) == 2


def test_step_task_walks_the_columns_and_stops_at_both_ends(db, desks):
    task = create_task(db, title="Newsletter", owner="AB", reviewer="CD")
    error = refused(lambda: step_task(db, task.id, task.version, -1), db, task.id)
    assert str(error) == "the card is already in Backlog, the first column"
    with pytest.raises(InputError):
        step_task(db, task.id, task.version, 2)
    with pytest.raises(InputError):
        step_task(db, task.id, task.version, True)

    task = step_task(db, task.id, task.version, +1)
    assert task.status is TaskStatus.DRAFTING
    task = step_task(db, task.id, task.version, +1)
    assert task.status is TaskStatus.IN_REVIEW
    error = refused(lambda: step_task(db, task.id, task.version, +1), db, task.id)  # AB: no
    assert "(AB cannot)" in str(error)
    task = step_task(desks("CD"), task.id, task.version, +1, now=T0)
    assert (task.status, task.approved_by) == (TaskStatus.APPROVED, "CD")
    error = refused(lambda: step_task(db, task.id, task.version, +1), db, task.id)
    assert str(error) == "published needs the link to what went out"
    task = step_task(db, task.id, task.version, +1, published_url=LINK, now=T0)
    assert task.status is TaskStatus.PUBLISHED
    error = refused(lambda: step_task(db, task.id, task.version, +1), db, task.id)
    assert str(error) == "the card is already in Published, the last column"
    assert [s for s in BOARD_COLUMNS][-1] is task.status


def test_archive_from_any_column_and_back_to_backlog_only(db, desks):
    for status in ("backlog", "drafting", "in_review"):
        task = create_task(db, title=f"from {status}", status=status, reviewer="CD")
        archived = move_task(db, task.id, task.version, "archived")
        assert archived.status is TaskStatus.ARCHIVED
    signed = approved(db, desks)
    archived = move_task(db, signed.id, signed.version, "archived")
    assert (archived.status, archived.approved_by) == (TaskStatus.ARCHIVED, "CD")

    for target in ("drafting", "in_review", "approved", "published"):
        error = refused(
            lambda target=target: move_task(
                desks("CD"), archived.id, archived.version, target, published_url=LINK
            ),
            db,
            archived.id,
        )
        assert str(error) == "an archived card can only go back to Backlog"
    error = refused(lambda: step_task(db, archived.id, archived.version, -1), db, archived.id)
    assert "off the board" in str(error)

    back = move_task(db, archived.id, archived.version, "backlog")
    assert (back.status, back.approved_by, back.approved_at) == (TaskStatus.BACKLOG, None, None)


def test_a_move_to_the_current_column_changes_nothing(db, desks):
    task = create_task(db, title="Talking points", status="drafting")
    same = move_task(db, task.id, task.version, "drafting")
    assert same == task
    with pytest.raises(InputError) as caught:
        move_task(db, task.id, task.version, "done")
    assert caught.value.field == "status"


def test_a_stale_version_changes_nothing(db, desks):
    task = in_review(db)
    renamed = update_task(db, task.id, task.version, title="Budget statement, final")
    audited = audit_count(db)
    for call in (
        lambda: approve_task(desks("CD"), task.id, task.version),
        lambda: move_task(db, task.id, task.version, "drafting"),
        lambda: step_task(db, task.id, task.version, -1),
        lambda: send_for_review(db, task.id, task.version, "EF"),
        lambda: assign_owner(db, task.id, task.version, "MR"),
        lambda: publish_task(db, task.id, task.version, published_url=LINK),
    ):
        with pytest.raises(ConflictError) as caught:
            call()
        assert (caught.value.base_version, caught.value.current_version) == (
            task.version,
            renamed.version,
        )
    assert get_task(db, task.id) == renamed
    assert audit_count(db) == audited
    with pytest.raises(NotFoundError):
        move_task(db, 999, 1, "drafting")


def test_update_task_status_goes_through_the_rules(db, desks):
    task = create_task(db, title="Video script", owner="AB", status="drafting")
    error = refused(lambda: update_task(db, task.id, task.version, status="in_review"), db, task.id)
    assert str(error) == "pick a reviewer first"
    sent = update_task(db, task.id, task.version, reviewer="CD", status="in_review")
    assert (sent.status, sent.reviewer, sent.version) == (TaskStatus.IN_REVIEW, "CD", 2)
    error = refused(
        lambda: update_task(db, sent.id, sent.version, status="published", published_url=LINK),
        db,
        sent.id,
    )
    assert "cannot skip review" in str(error)
    signed = update_task(desks("CD"), sent.id, sent.version, status="approved", now=T0)
    assert (signed.approved_by, signed.approved_at) == ("CD", T0)


# --- the pure rule check ------------------------------------------------------------------


def _card(status: str, **changes) -> TaskRecord:
    task = TaskRecord(
        1, "t", "other", TaskStatus(status), "AB", "CD", None, None, None, None, (),
        "normal", "en", "", "", None, None, 1,
    )  # fmt: skip
    return replace(task, **changes)


CD = StaffRecord(2, "CD", "Cy Dunn", "comms_director", True, None, True, 1)
MR = StaffRecord(4, "MR", "Mo Ruiz", "pio", False, None, True, 1)


@pytest.mark.parametrize(
    ("card", "target", "approver", "open_required", "link", "reason"),
    [
        (_card("in_review"), "approved", CD, 0, None, None),
        (_card("in_review"), "approved", MR, 0, None, "(MR cannot)"),
        (_card("in_review"), "approved", None, 0, None, "not on the staff list"),
        (_card("in_review", owner="CD"), "approved", CD, 0, None, "CD owns this card"),
        (_card("drafting", reviewer=None), "in_review", None, 0, None, "pick a reviewer first"),
        (_card("approved", approved_by="CD"), "published", None, 2, LINK, "2 required"),
        (_card("approved", approved_by="CD"), "published", None, ["Legal"], LINK, ": Legal"),
        (_card("approved", approved_by="CD"), "published", None, 0, None, "needs the link"),
        (_card("approved", approved_by="CD"), "published", None, 0, LINK, None),
        (_card("approved", approved_by="CD", published_url=LINK), "published", None, 0, None, None),
        (_card("approved"), "published", None, 0, LINK, "no sign-off"),
        (_card("drafting"), "published", None, 0, LINK, "cannot skip review"),
        (_card("published"), "archived", None, 0, None, None),
        (_card("archived"), "drafting", None, 0, None, "only go back to Backlog"),
        (_card("archived"), "backlog", None, 0, None, None),
        (_card("approved", approved_by="CD"), "drafting", None, 0, None, None),
    ],
)
def test_check_move_explains_without_touching_the_database(
    card, target, approver, open_required, link, reason
):
    said = check_move(
        card,
        target,
        approver=approver,
        open_required=open_required,
        allow_self_approval=False,
        published_url=link,
    )
    if reason is None:
        assert said is None
    else:
        assert said is not None and reason in said and "\n" not in said


def test_check_move_allows_self_approval_when_asked():
    card = _card("in_review", owner="CD")
    assert (
        check_move(card, "approved", approver=CD, open_required=0, allow_self_approval=True) is None
    )


# --- owner, comments, checklist -----------------------------------------------------------


def test_assign_owner_sets_and_clears(db, desks):
    task = create_task(db, title="Statement")
    mine = assign_owner(db, task.id, task.version, "mr")
    assert (mine.owner, mine.version) == ("MR", 2)
    nobody = assign_owner(db, mine.id, mine.version, None)
    assert nobody.owner is None
    with pytest.raises(InputError) as caught:
        assign_owner(db, nobody.id, nobody.version, "QQ")
    assert caught.value.field == "owner"


def test_comments_are_written_by_the_desk_user_and_listed_oldest_first(db, desks):
    task = create_task(db, title="Remarks")
    first = add_comment(desks("CD"), task.id, "  Tighten the lede.\r\nAnd cite the audit. ", now=T0)
    assert (first.author, first.body, first.created_at) == (
        "CD",
        "Tighten the lede.\nAnd cite the audit.",
        T0,
    )
    stranger = add_comment(desks("zz"), task.id, "Looks fine", now=T0 - timedelta(minutes=5))
    assert stranger.author is None
    third = add_comment(db, task.id, "Done", now=T0 + timedelta(minutes=5))
    assert [c.id for c in list_comments(db, task.id)] == [stranger.id, first.id, third.id]
    assert list_comments(db, create_task(db, title="quiet").id) == []

    with pytest.raises(InputError) as caught:
        add_comment(db, task.id, "   ")
    assert caught.value.field == "body"
    with pytest.raises(NotFoundError):
        add_comment(db, 999, "hello")
    with pytest.raises(NotFoundError):
        list_comments(db, 999)
    with pytest.raises(NotFoundError):
        checklist(db, 999)
    assert [r.action for r in audit_rows(db, "task_comments", first.id)] == [AuditAction.INSERT]


def test_checklist_items_are_ticked_with_versions(db, desks):
    task = create_task(db, title="Release", checklist=[("Facts checked", True)])
    (item,) = checklist(db, task.id)
    assert (item.done, item.done_by, item.done_at, item.version, item.task_id) == (
        False,
        None,
        None,
        1,
        task.id,
    )
    ticked = set_checklist_done(desks("EF"), item.id, item.version, True, now=T0)
    assert (ticked.done, ticked.done_by, ticked.done_at, ticked.version) == (True, "EF", T0, 2)
    assert checklist(db, task.id) == [ticked]
    audited = audit_count(db)
    with pytest.raises(ConflictError):
        set_checklist_done(db, item.id, item.version, False)
    assert checklist(db, task.id) == [ticked] and audit_count(db) == audited
    with pytest.raises(InputError) as caught:
        set_checklist_done(db, item.id, ticked.version, "yes")
    assert caught.value.field == "done"

    same = set_checklist_done(db, item.id, ticked.version, True)
    assert same == ticked  # already done: nothing to save
    cleared = set_checklist_done(db, item.id, ticked.version, False, now=T0)
    assert (cleared.done, cleared.done_by, cleared.done_at, cleared.version) == (
        False,
        None,
        None,
        3,
    )
    changes = json.loads(audit_rows(db, "checklist_items", item.id)[-1].changes)
    assert changes["done"] == [True, False]


def test_checklist_items_are_added_at_the_end_ticked_and_removed(db, desks):
    task = create_task(db, title="Statement", checklist=[("Facts checked", True)])
    pio = desks("AB")
    legal = add_checklist_item(pio, task.id, "  Legal   review ", required=True)
    spanish = add_checklist_item(pio, task.id, "Spanish [i]version[/i]")
    assert [(i.label, i.required) for i in checklist(db, task.id)] == [
        ("Facts checked", True),
        ("Legal review", True),
        ("Spanish [i]version[/i]", False),  # kept as typed
    ]
    assert checklist_item(db, legal.id) == legal
    with pytest.raises(InputError) as refused:
        add_checklist_item(pio, task.id, "   ")
    assert refused.value.field == "checklist"
    with pytest.raises(NotFoundError):
        add_checklist_item(pio, 999, "Anything")
    # an optional item goes for anyone; a required one that is not ticked only for an approver
    remove_checklist_item(pio, spanish.id, spanish.version)
    with pytest.raises(InputError) as refused:
        remove_checklist_item(pio, legal.id, legal.version)
    assert "only a staff member who may approve can remove it" in str(refused.value)
    ticked = set_checklist_done(pio, legal.id, legal.version, True, now=T0)
    remove_checklist_item(pio, ticked.id, ticked.version)  # done: no longer a gate
    facts = checklist(db, task.id)[0]
    with pytest.raises(ConflictError):
        remove_checklist_item(desks("CD"), facts.id, facts.version - 1)
    remove_checklist_item(desks("CD"), facts.id, facts.version)
    assert checklist(db, task.id) == []
    with db.read() as session:
        removed = session.scalars(
            select(AuditLog.entity_id).where(
                AuditLog.entity == "checklist_items", AuditLog.action == AuditAction.DELETE
            )
        ).all()
    assert sorted(removed) == sorted([spanish.id, legal.id, facts.id])


def test_a_published_cards_checklist_is_closed(db):
    card = seed_card(db, status="published", title="Out already")
    with pytest.raises(InputError) as refused:
        add_checklist_item(db, card.id, "Late thought")
    assert str(refused.value) == "this card is Published: its checklist is closed"
