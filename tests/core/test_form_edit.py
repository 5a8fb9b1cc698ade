"""An edit form's text against the stored record: what was changed, the conflict view's rows,
and "apply mine" on top of another desk's version (also by two desks in two processes)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from db.models import AuditLog
from deskterm.core import tasks
from deskterm.core.form_edit import Edit, Loaded, apply_mine, changed, compare, rebase
from deskterm.core.staff import add_staff
from tests.core.procs.rounds import run_rounds

EDITOR = Path(__file__).parent / "procs" / "card_editor.py"
ROUNDS = 8


def loaded(version: int, **texts: str) -> Loaded:
    return Loaded(record=None, version=version, name="card “X”", texts=texts)


BASE = loaded(1, title="Fares", owner="JL", due="")
THEIRS = loaded(2, title="Fares (JL)", owner="PS", due="")


def test_changed_is_what_differs_from_the_loaded_text():
    assert changed(BASE, {"title": "Fares", "owner": "JL", "due": "fri 9am"}) == {"due": "fri 9am"}


def test_rebase_puts_my_typed_fields_on_their_text():
    typed = {"title": "Fares frozen", "owner": "JL", "due": "fri 9am"}
    assert rebase(BASE, THEIRS, typed) == {"title": "Fares frozen", "owner": "PS", "due": "fri 9am"}


def test_compare_lists_mine_first_then_theirs_with_how_values_read():
    typed = {"title": "Fares frozen", "owner": "JL", "due": "fri 9am"}
    labels = {"title": "Title", "owner": "Owner", "due": "Due"}
    rows = compare(BASE, THEIRS, typed, labels, lambda key, text: text.upper())
    assert [(r.field, r.mine_changed, r.theirs_changed) for r in rows] == [
        ("title", True, True),
        ("due", True, False),
        ("owner", False, True),
    ]
    assert (rows[0].theirs, rows[0].mine) == ("FARES (JL)", "FARES FROZEN")
    assert rows[2].mine == "JL"  # unchanged by me: what I loaded


def test_apply_mine_writes_on_their_version():
    written: list[tuple[int, dict[str, str]]] = []
    edit = Edit(BASE, lambda: THEIRS, lambda base, typed: written.append((base.version, typed)))
    apply_mine(edit, BASE, THEIRS, {"title": "Fares", "owner": "JL", "due": "fri 9am"})
    assert written == [(2, {"title": "Fares (JL)", "owner": "PS", "due": "fri 9am"})]


def test_two_desks_saving_one_card_at_once_both_edits_land_through_apply_mine(
    db, db_path, tmp_path
):
    """Two desks edit the same card from the same version and save together, eight times:
    each time one save lands and the other gets the conflict, whose "apply mine" writes its
    typed field on top of the winner's version. Nothing typed is lost, nothing overwritten,
    and every write is its own audited version."""
    add_staff(db, initials="PS", name="Pat Sandoval", role="press_secretary")
    card = tasks.create_task(db, title="Statement on water main", kind="statement", owner="PS")
    sync = tmp_path / "sync"
    sync.mkdir()
    outcomes = run_rounds(
        EDITOR, lambda tag: [str(db_path), tag, str(ROUNDS), str(sync)], ROUNDS, sync
    )

    for round_no in range(ROUNDS):
        a, b = outcomes["A"][round_no], outcomes["B"][round_no]
        start = card.version + 2 * round_no
        assert a["base"] == b["base"] == start
        assert a["conflict"] != b["conflict"], (round_no, a, b)  # exactly one is refused
        won, lost = (a, b) if b["conflict"] else (b, a)
        assert won["saved"] == start + 1
        assert lost["theirs"] == start + 1 and lost["saved"] == start + 2  # mine on theirs

    final = tasks.get_task(db, card.id)
    last = ROUNDS - 1
    assert final.title == f"Statement, A's wording {last}"  # A's typing, never overwritten
    assert final.due_at is not None and final.due_at.day == ROUNDS  # B's typing too
    assert final.owner == "PS" and final.version == card.version + 2 * ROUNDS
    with db.read() as session:
        updates = session.execute(
            select(AuditLog.user, AuditLog.changes)
            .where(AuditLog.entity == "tasks", AuditLog.action == "update")
            .order_by(AuditLog.id)
        ).all()
    assert len(updates) == 2 * ROUNDS  # one audited write per save, the applied ones too
    for user, changes in updates:
        assert set(json.loads(changes)) == ({"title"} if user == "A" else {"due_at"})
