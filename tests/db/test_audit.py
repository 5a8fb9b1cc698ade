"""db.audit: every flushed change writes an audit row in the same transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Row, insert, select
from sqlalchemy.exc import IntegrityError

from db import audit
from db.base import utcnow
from db.engine import Database
from db.enums import AuditAction, OutletType
from db.errors import ReadOnlySessionError
from db.models import AuditLog, Clip, ClipTopic, Contact, Feed, Outlet, Presence, Topic
from db.presence import heartbeat, leave

NEW_YORK = ZoneInfo("America/New_York")


def audit_rows(database: Database) -> list[Row]:
    """All audit rows as plain rows (ORM objects expire when the read session ends)."""
    with database.read() as session:
        return list(session.execute(select(AuditLog.__table__).order_by(AuditLog.id)))


def changes_of(row: Row) -> dict:
    return json.loads(row.changes)


def assert_aware_utc(value: datetime) -> None:
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


def test_insert_writes_an_audit_row_with_actor_entity_and_new_id(db: Database) -> None:
    before = utcnow()
    with db.transaction() as session:
        outlet = Outlet(name="Gazette «Ünï» [bold]x[/bold]", type=OutletType.PRINT, reach=5000)
        session.add(outlet)
    after = utcnow()

    [row] = audit_rows(db)
    assert row.user == "AB"
    assert row.host == "test-host"
    assert row.entity == "outlets"
    assert row.entity_id == outlet.id
    assert row.action is AuditAction.INSERT
    assert_aware_utc(row.at)
    assert before <= row.at <= after
    assert changes_of(row) == {
        "id": outlet.id,
        "name": "Gazette «Ünï» [bold]x[/bold]",
        "type": "print",
        "reach": 5000,
        "language": "en",
        "notes": "",
        "version": 1,
    }
    # Stored as readable UTF-8 JSON, not \\u escapes.
    assert "«Ünï»" in row.changes


def test_insert_of_related_rows_in_one_flush_audits_each_with_its_own_id(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="Radio One", type=OutletType.RADIO)
        session.add(outlet)
        session.flush()
        contacts = [Contact(name=f"Reporter {i}", outlet_id=outlet.id) for i in range(3)]
        session.add_all(contacts)

    rows = audit_rows(db)
    assert [(r.entity, r.entity_id, r.action) for r in rows] == [
        ("outlets", outlet.id, AuditAction.INSERT),
        *[("contacts", c.id, AuditAction.INSERT) for c in contacts],
    ]
    assert len({c.id for c in contacts}) == 3
    assert all(changes_of(r)["outlet_id"] == outlet.id for r in rows[1:])


def test_update_records_only_changed_fields_as_old_new_pairs(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="Gazette", type=OutletType.PRINT, reach=100, notes="keep")
        session.add(outlet)

    with db.transaction() as session:
        row = session.get(Outlet, outlet.id)
        row.name = "The Gazette"
        row.reach = 250
        row.type = OutletType.ONLINE
        row.notes = "keep"  # same value: not a change

    insert_row, update_row = audit_rows(db)
    assert update_row.action is AuditAction.UPDATE
    assert update_row.entity == "outlets"
    assert update_row.entity_id == outlet.id
    assert update_row.user == "AB" and update_row.host == "test-host"
    assert changes_of(update_row) == {
        "name": ["Gazette", "The Gazette"],
        "reach": [100, 250],
        "type": ["print", "online"],
    }
    # version and updated_at move on every update; they are not reported as changes
    with db.read() as session:
        assert session.get(Outlet, outlet.id).version == 2
    assert update_row.id > insert_row.id


def test_setting_a_field_to_its_current_value_writes_no_audit_row(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="Gazette", type=OutletType.PRINT)
        session.add(outlet)
    with db.transaction() as session:
        session.get(Outlet, outlet.id).name = "Gazette"
    assert len(audit_rows(db)) == 1
    with db.read() as session:
        assert session.get(Outlet, outlet.id).version == 1


def test_two_flushes_in_one_transaction_audit_each_step(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="A", type=OutletType.PRINT)
        session.add(outlet)
    with db.transaction() as session:
        row = session.get(Outlet, outlet.id)
        row.name = "B"
        session.flush()
        row.name = "C"
    rows = audit_rows(db)
    assert [changes_of(r) for r in rows[1:]] == [{"name": ["A", "B"]}, {"name": ["B", "C"]}]


def test_update_of_a_timestamp_records_aware_times(db: Database) -> None:
    first = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    second = datetime(2024, 7, 1, 9, 30, tzinfo=NEW_YORK)
    with db.transaction() as session:
        contact = Contact(name="Ann", last_contacted_at=first)
        session.add(contact)
    with db.transaction() as session:
        session.get(Contact, contact.id).last_contacted_at = second
    update_row = audit_rows(db)[-1]
    old, new = changes_of(update_row)["last_contacted_at"]
    assert datetime.fromisoformat(old) == first
    assert datetime.fromisoformat(new) == second
    assert datetime.fromisoformat(old).tzinfo is not None
    assert datetime.fromisoformat(new).tzinfo is not None


def test_audited_timestamps_are_normalised_to_utc(db: Database) -> None:
    set_in_new_york = datetime(2024, 7, 1, 9, 30, tzinfo=NEW_YORK)
    with db.transaction() as session:
        contact = Contact(name="Ann", last_contacted_at=set_in_new_york)
        session.add(contact)
    with db.transaction() as session:
        session.get(Contact, contact.id).last_contacted_at = set_in_new_york + timedelta(days=1)
    insert_row, update_row = audit_rows(db)
    values = [changes_of(insert_row)["last_contacted_at"]]
    values += changes_of(update_row)["last_contacted_at"]
    for value in values:
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0), value


def test_delete_writes_a_delete_row_with_the_version(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="Gone", type=OutletType.TV)
        session.add(outlet)
    with db.transaction() as session:
        session.get(Outlet, outlet.id).name = "Going"
    with db.transaction() as session:
        session.delete(session.get(Outlet, outlet.id))

    delete_row = audit_rows(db)[-1]
    assert delete_row.action is AuditAction.DELETE
    assert delete_row.entity == "outlets"
    assert delete_row.entity_id == outlet.id
    assert changes_of(delete_row) == {"version": 2}
    with db.read() as session:
        assert session.get(Outlet, outlet.id) is None


def test_composite_key_rows_are_audited_without_an_entity_id(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="O", type=OutletType.ONLINE)
        topic = Topic(name="Budget", query="budget")
        session.add_all([outlet, topic])
        session.flush()
        feed = Feed(name="F", url="https://example.org/rss", outlet_id=outlet.id)
        session.add(feed)
        session.flush()
        clip = Clip(feed_id=feed.id, guid="g1", title="T", published_at=utcnow())
        session.add(clip)
        session.flush()
        session.add(ClipTopic(clip_id=clip.id, topic_id=topic.id, matched_terms="budget"))
    row = audit_rows(db)[-1]
    assert row.entity == "clip_topics"
    assert row.entity_id is None
    assert changes_of(row) == {"clip_id": clip.id, "topic_id": topic.id, "matched_terms": "budget"}


def test_audit_ids_strictly_increase_and_are_never_reused(db: Database, raw) -> None:
    for i in range(3):
        with db.transaction() as session:
            session.add(Outlet(name=f"Outlet {i}", type=OutletType.PRINT))
    with db.transaction() as session:
        for outlet in session.scalars(select(Outlet)):
            outlet.reach = 7
    ids = [r.id for r in audit_rows(db)]
    assert len(ids) == 6
    assert all(a < b for a, b in pairwise(ids))
    times = [r.at for r in audit_rows(db)]
    assert times == sorted(times)

    # AUTOINCREMENT: deleting the newest audit row does not let its id come back.
    conn = raw()
    conn.execute("DELETE FROM audit_log WHERE id = ?", (ids[-1],))
    with db.transaction() as session:
        session.add(Outlet(name="Later", type=OutletType.PRINT))
    assert audit_rows(db)[-1].id > ids[-1]


def test_presence_writes_are_not_audited(db: Database) -> None:
    heartbeat(db)
    heartbeat(db, editing=("outlets", 1))
    with db.read() as session:
        [presence] = session.scalars(select(Presence)).all()
        assert presence.editing_entity == "outlets"
    leave(db)
    with db.read() as session:
        assert session.scalars(select(Presence)).all() == []
    assert audit_rows(db) == []


def test_record_audits_core_writes(db: Database) -> None:
    published = datetime(2024, 5, 4, 12, 0, tzinfo=UTC)
    with db.transaction() as session:
        session.add(feed := Feed(name="F", url="https://example.org/feed"))
        session.flush()
        rows_before = len(session.scalars(select(AuditLog)).all())
        clip_id = session.execute(
            insert(Clip)
            .values(
                feed_id=feed.id,
                guid="urn:1",
                title="Mayor opens bridge",
                published_at=published,
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .returning(Clip.id)
        ).scalar_one()
        # The Core insert bypassed the ORM hooks: nothing audited yet.
        assert len(session.scalars(select(AuditLog)).all()) == rows_before
        audit.record(
            session,
            "clips",
            clip_id,
            AuditAction.INSERT,
            {"title": "Mayor opens bridge", "published_at": published, "type": OutletType.TV},
        )
    row = audit_rows(db)[-1]
    assert (row.user, row.host, row.entity, row.entity_id) == ("AB", "test-host", "clips", clip_id)
    assert row.action is AuditAction.INSERT
    assert_aware_utc(row.at)
    assert changes_of(row) == {
        "title": "Mayor opens bridge",
        "published_at": "2024-05-04T12:00:00+00:00",
        "type": "tv",
    }


def test_record_outside_a_transaction_is_refused(db: Database) -> None:
    with pytest.raises(ReadOnlySessionError), db.read() as session:
        audit.record(session, "clips", 1, AuditAction.DELETE, {})
    assert audit_rows(db) == []


def test_audit_rows_roll_back_with_the_change(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Outlet(name="X", type=OutletType.PRINT))
        session.flush()
        raise RuntimeError
    assert audit_rows(db) == []


def test_failed_flush_in_a_savepoint_leaves_no_phantom_audit_row(db: Database) -> None:
    with db.transaction() as session:
        session.add(Outlet(name="Gazette", type=OutletType.PRINT))
    with db.transaction() as session:
        try:
            with session.begin_nested():
                session.add(Outlet(name="Gazette", type=OutletType.TV))  # duplicate name
                session.flush()
        except IntegrityError:
            pass  # "insert unless it exists": the savepoint is rolled back
        session.add(Outlet(name="Courier", type=OutletType.RADIO))
    rows = audit_rows(db)
    with db.read() as session:
        ids = set(session.scalars(select(Outlet.id)))
    assert [(r.action, r.entity_id) for r in rows] == [
        (AuditAction.INSERT, entity_id) for entity_id in sorted(ids)
    ]


def test_update_of_an_expired_attribute_records_the_real_old_value(db: Database) -> None:
    with db.transaction() as session:
        outlet = Outlet(name="Gazette", type=OutletType.PRINT)
        session.add(outlet)
    with db.transaction() as session:
        row = session.get(Outlet, outlet.id)
        session.expire(row)  # e.g. after a Core statement, to resync the identity map
        row.name = "Herald"
    update_row = audit_rows(db)[-1]
    assert changes_of(update_row) == {"name": ["Gazette", "Herald"]}


def test_every_new_database_gets_the_audit_hooks(
    db: Database, db_path, spawn, proc_script, finish
) -> None:
    """A process that opens and drops Database objects (reconnects, tools, tests)."""
    db.dispose()
    proc = spawn(proc_script("recycle_databases.py"), str(db_path), "200")
    result = finish(proc, timeout=60)
    assert result["rounds"] == 200
    assert result["unaudited_rounds"] == []
    assert result["unguarded_rounds"] == []
