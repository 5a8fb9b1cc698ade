"""db.versioning: saves carry the version their editor loaded; stale saves are conflicts."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from db.engine import Database
from db.enums import AuditAction, OutletType
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog, Outlet
from db.versioning import delete_versioned, update_versioned


def add_outlet(database: Database, **values) -> int:
    with database.transaction() as session:
        outlet = Outlet(**{"name": "Gazette", "type": OutletType.PRINT, "reach": 100, **values})
        session.add(outlet)
    return outlet.id


def load(database: Database, outlet_id: int) -> dict:
    """What an editor keeps: plain values, including the version it loaded."""
    with database.read() as session:
        row = session.get(Outlet, outlet_id)
        assert row is not None
        return {c.key: getattr(row, c.key) for c in Outlet.__mapper__.column_attrs}


def audit_log(database: Database) -> list[tuple]:
    with database.read() as session:
        return [tuple(r) for r in session.execute(select(AuditLog.__table__))]


def test_update_with_the_loaded_version_applies_and_bumps_the_version(db: Database) -> None:
    outlet_id = add_outlet(db)
    v1 = load(db, outlet_id)
    assert v1["version"] == 1

    time.sleep(0.002)
    with db.transaction() as session:
        saved = update_versioned(session, Outlet, outlet_id, 1, name="The Gazette", reach=200)
        assert saved.version == 2  # flushed inside the transaction

    v2 = load(db, outlet_id)
    assert (v2["name"], v2["reach"], v2["version"]) == ("The Gazette", 200, 2)
    assert v2["created_at"] == v1["created_at"]
    assert v2["updated_at"] > v1["updated_at"]

    with db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 2, notes="third")
    assert load(db, outlet_id)["version"] == 3

    update = audit_log(db)[1]
    assert update[6] is AuditAction.UPDATE
    assert json.loads(update[7]) == {"name": ["Gazette", "The Gazette"], "reach": [100, 200]}


def test_stale_version_raises_conflict_and_changes_nothing(db: Database) -> None:
    outlet_id = add_outlet(db)
    with db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 1, name="Colleague's name")
    before_row = load(db, outlet_id)
    before_audit = audit_log(db)

    with pytest.raises(ConflictError) as caught, db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 1, name="My name", reach=1)

    error = caught.value
    assert error.entity == "outlets"
    assert error.entity_id == outlet_id
    assert error.base_version == 1
    assert error.current_version == 2
    assert error.current["name"] == "Colleague's name"
    assert error.current["version"] == 2
    assert error.current["reach"] == 100
    # every field a person edits; not the folded search copies (db.search_text)
    assert set(error.current) == {
        c.key for c in Outlet.__mapper__.column_attrs if not c.key.startswith("search_")
    }
    message = str(error)
    assert "\n" not in message
    assert "version 1" in message and "version 2" in message and "nothing was saved" in message

    assert load(db, outlet_id) == before_row
    assert audit_log(db) == before_audit


def test_newer_base_version_is_also_a_conflict(db: Database) -> None:
    outlet_id = add_outlet(db)
    with pytest.raises(ConflictError) as caught, db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 5, name="From the future")
    assert (caught.value.base_version, caught.value.current_version) == (5, 1)
    assert load(db, outlet_id)["name"] == "Gazette"


def test_conflict_after_earlier_writes_in_the_same_transaction_rolls_them_back(
    db: Database,
) -> None:
    first = add_outlet(db, name="First")
    second = add_outlet(db, name="Second")
    with db.transaction() as session:
        update_versioned(session, Outlet, second, 1, notes="moved on")
    audit_before = audit_log(db)

    with pytest.raises(ConflictError), db.transaction() as session:
        update_versioned(session, Outlet, first, 1, notes="applied, then undone")
        update_versioned(session, Outlet, second, 1, notes="stale")
    assert load(db, first)["notes"] == ""
    assert load(db, first)["version"] == 1
    assert audit_log(db) == audit_before


def test_missing_row_raises_not_found(db: Database) -> None:
    with pytest.raises(NotFoundError) as caught, db.transaction() as session:
        update_versioned(session, Outlet, 4242, 1, name="Nobody")
    assert (caught.value.entity, caught.value.entity_id) == ("outlets", 4242)
    # the desk showed this row a moment ago: it is gone, named as people know it
    assert str(caught.value) == "outlet 4242 no longer exists (deleted by someone else?)"
    assert caught.value.plainly() == "no outlet 4242"  # an id that was typed
    assert audit_log(db) == []


def test_every_table_has_a_noun_for_messages() -> None:
    """A NotFoundError or a conflict names a row as people call it, never by table name."""
    from db.base import Base
    from db.errors import NOUNS

    assert set(NOUNS) == set(Base.metadata.tables)
    assert all(noun and "_" not in noun for noun in NOUNS.values())


def test_unknown_field_is_refused_and_nothing_changes(db: Database) -> None:
    outlet_id = add_outlet(db)
    with pytest.raises(AttributeError), db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 1, name="Changed", circulation=5)
    assert load(db, outlet_id)["name"] == "Gazette"
    assert load(db, outlet_id)["version"] == 1


def test_editor_reloading_before_save_still_gets_a_conflict(db: Database, make_db) -> None:
    """design.md: version_id_col alone would let a reloading session overwrite silently."""
    outlet_id = add_outlet(db)
    editor_a = db
    editor_b = make_db("CD", "desk-b")

    # A opens the edit form: loads v1 and keeps the version with the form.
    form_a = load(editor_a, outlet_id)
    assert form_a["version"] == 1

    # B edits the same outlet and saves first.
    form_b = load(editor_b, outlet_id)
    with editor_b.transaction() as session:
        update_versioned(session, Outlet, outlet_id, form_b["version"], reach=999)

    # A saves: A's new session reloads the row (now v2, which version_id_col would accept)...
    with pytest.raises(ConflictError) as caught, editor_a.transaction() as session:
        reloaded = session.get(Outlet, outlet_id)
        assert reloaded.version == 2
        update_versioned(session, Outlet, outlet_id, form_a["version"], reach=5)
    # ...but the save carries base_version=1: a conflict with B's change, not an overwrite.
    assert caught.value.current["reach"] == 999
    assert caught.value.current_version == 2
    final = load(db, outlet_id)
    assert (final["reach"], final["version"]) == (999, 2)

    # A resolves the conflict on top of B's version and saves.
    with editor_a.transaction() as session:
        update_versioned(session, Outlet, outlet_id, caught.value.current_version, reach=5)
    assert load(db, outlet_id)["version"] == 3
    users = [row[2] for row in audit_log(db)]
    assert users == ["AB", "CD", "AB"]


def test_delete_versioned(db: Database) -> None:
    outlet_id = add_outlet(db)
    with db.transaction() as session:
        update_versioned(session, Outlet, outlet_id, 1, notes="edited")

    with pytest.raises(ConflictError), db.transaction() as session:
        delete_versioned(session, Outlet, outlet_id, 1)
    assert load(db, outlet_id)["version"] == 2

    with db.transaction() as session:
        delete_versioned(session, Outlet, outlet_id, 2)
    with db.read() as session:
        assert session.get(Outlet, outlet_id) is None
    last = audit_log(db)[-1]
    assert (last[5], last[6], json.loads(last[7])) == (
        outlet_id,
        AuditAction.DELETE,
        {"version": 2},
    )

    with pytest.raises(NotFoundError), db.transaction() as session:
        delete_versioned(session, Outlet, outlet_id, 2)
