"""db.schema: state detection, Alembic upgrade, newer/foreign/garbage files, backup, check."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from db import schema_state
from db.base import Base
from db.engine import Database
from db.enums import OutletType
from db.errors import (
    DatabaseUnavailableError,
    SchemaError,
    SchemaMissingError,
    SchemaOutdatedError,
    SchemaTooNewError,
)
from db.models import Outlet
from db.schema import (
    backup,
    check,
    is_search_index,
    require_current,
    schema_status,
    upgrade,
)
from db.schema_state import HEAD, KNOWN_REVISIONS, SchemaState, SchemaStatus


@pytest.fixture
def open_db(new_db):
    """Open Database objects on arbitrary files (pinned, disposed at teardown)."""
    return new_db


def table_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    finally:
        conn.close()


def add_outlets(database: Database, count: int) -> None:
    with database.transaction() as session:
        session.add_all(
            Outlet(name=f"Outlet {i} ✓", type=OutletType.PRINT, reach=i) for i in range(count)
        )


def outlet_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM outlets ORDER BY id").fetchall()
    finally:
        conn.close()


# --- upgrade --------------------------------------------------------------------------


def test_upgrade_of_an_empty_file_creates_every_table_and_stamps_head(
    tmp_path: Path, open_db
) -> None:
    path = tmp_path / "new.sqlite3"
    database = open_db(path)
    assert schema_status(database).state is SchemaState.EMPTY
    with pytest.raises(SchemaMissingError, match="deskterm init"):
        require_current(database)

    before, backup_path = upgrade(database)
    assert before.state is SchemaState.EMPTY
    assert backup_path is None
    assert table_names(path) >= set(Base.metadata.tables) | {"alembic_version"}
    assert schema_status(database) == SchemaStatus(SchemaState.CURRENT, HEAD)
    assert require_current(database).state is SchemaState.CURRENT
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    finally:
        conn.close()
    # Foreign keys were switched back on for the pooled connection that migrated.
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        conn.rollback()
    assert [p.name for p in tmp_path.iterdir()] == ["new.sqlite3"]


def test_second_upgrade_does_nothing(db: Database, db_path: Path) -> None:
    add_outlets(db, 3)
    before = db_path.read_bytes()
    status, backup_path = upgrade(db)
    assert status.state is SchemaState.CURRENT
    assert backup_path is None
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_known_revisions_match_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", "db:migrations")
    scripts = ScriptDirectory.from_config(config)
    heads = scripts.get_heads()
    assert heads == [HEAD], "one linear history ending at schema.HEAD"
    chain = []
    revision = scripts.get_revision(heads[0])
    while revision is not None:
        chain.append(revision.revision)
        down = revision.down_revision
        assert not isinstance(down, tuple | list), "no merge points"
        revision = scripts.get_revision(down) if down else None
    assert tuple(reversed(chain)) == KNOWN_REVISIONS
    assert [s.revision for s in scripts.walk_revisions()] == list(reversed(KNOWN_REVISIONS))


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, type_, _parent: not is_search_index(name, type_),
            },
        )
        differences = compare_metadata(context, Base.metadata)
        conn.rollback()
    assert differences == []


def test_migrated_schema_has_the_named_check_constraints(db: Database) -> None:
    """Enums are VARCHAR + named CHECK: the migration must carry every one."""
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        found = {
            (table, c["name"])
            for table in Base.metadata.tables
            for c in inspector.get_check_constraints(table)
        }
        conn.rollback()
    expected = {
        (table.name, constraint.name)
        for table in Base.metadata.sorted_tables
        for constraint in table.constraints
        if constraint.__class__.__name__ == "CheckConstraint"
    }
    assert len(expected) >= 19
    assert expected <= found


# --- a newer, foreign, older or broken file -------------------------------------------


def test_newer_schema_is_readable_but_never_written(db: Database, db_path: Path, open_db) -> None:
    add_outlets(db, 2)
    set_revision(db_path, "9999")
    desk = open_db(db_path)

    status = schema_status(desk)
    assert (status.state, status.revision) == (SchemaState.NEWER, "9999")
    assert require_current(desk) == status  # opening for reading succeeds

    with desk.read() as session:
        assert session.scalar(select(func.count()).select_from(Outlet)) == 2

    entered = False
    with pytest.raises(SchemaTooNewError) as caught, desk.transaction() as session:
        entered = True
        session.add(Outlet(name="Should not", type=OutletType.TV))
    assert not entered
    message = str(caught.value)
    assert "upgrade deskterm" in message
    assert "9999" in message
    assert "\n" not in message
    assert caught.value.revision == "9999"

    with pytest.raises(SchemaTooNewError):
        upgrade(desk)
    assert schema_status(desk).revision == "9999"
    with desk.read() as session:
        assert session.scalar(select(func.count()).select_from(Outlet)) == 2


def test_older_schema_asks_for_init(
    db: Database, db_path: Path, open_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema_state, "KNOWN_REVISIONS", ("0000", *KNOWN_REVISIONS))
    set_revision(db_path, "0000")
    desk = open_db(db_path)
    assert schema_status(desk) == SchemaStatus(SchemaState.OLDER, "0000")
    with pytest.raises(SchemaOutdatedError, match="deskterm init"):
        require_current(desk)


def test_tables_without_alembic_version_are_foreign(tmp_path: Path, open_db) -> None:
    path = tmp_path / "other-app.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.commit()
    conn.close()
    before = path.read_bytes()

    desk = open_db(path)
    assert schema_status(desk) == SchemaStatus(SchemaState.FOREIGN, None)
    with pytest.raises(SchemaError, match="not a deskterm database"):
        require_current(desk)
    with pytest.raises(SchemaError, match="not a deskterm database"):
        upgrade(desk)
    assert table_names(path) == {"invoices"}
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [random.Random(1).randbytes(16384), b"not a database, just some notes\n" * 10],
    ids=["random-bytes", "text"],
)
def test_non_database_file_is_unavailable_in_one_line(
    tmp_path: Path, open_db, content: bytes
) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(content)
    desk = open_db(path)
    for attempt in (schema_status, require_current, upgrade):
        with pytest.raises(DatabaseUnavailableError) as caught:
            attempt(desk)
        message = str(caught.value)
        assert "\n" not in message
        assert str(path) in message
        assert "not a database" in message
    assert path.read_bytes() == content  # never "repaired" or overwritten


# --- backup ---------------------------------------------------------------------------


def test_backup_is_a_complete_openable_copy(
    db: Database, db_path: Path, tmp_path: Path, open_db
) -> None:
    add_outlets(db, 25)
    dest = backup(db, tmp_path / "copies" / "desk-copy.sqlite3")
    assert dest == tmp_path / "copies" / "desk-copy.sqlite3"
    assert outlet_rows(dest) == outlet_rows(db_path)
    copy = open_db(dest)
    assert schema_status(copy).state is SchemaState.CURRENT
    assert check(copy).ok
    with copy.read() as session:
        assert session.scalar(select(func.count()).select_from(Outlet)) == 25
    with copy.engine.connect() as conn:
        audit_copy = conn.exec_driver_sql("SELECT * FROM audit_log ORDER BY id").fetchall()
        conn.rollback()
    with db.engine.connect() as conn:
        audit_live = conn.exec_driver_sql("SELECT * FROM audit_log ORDER BY id").fetchall()
        conn.rollback()
    assert audit_copy == audit_live
    assert len(audit_live) == 25


def test_backup_works_while_others_read_and_hold_the_write_lock(
    db: Database, db_path: Path, tmp_path: Path, raw
) -> None:
    add_outlets(db, 5)
    reader = raw()
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM outlets").fetchone() == (5,)  # SHARED held
    writer = raw()
    writer.execute("BEGIN IMMEDIATE")  # RESERVED held, with an uncommitted row
    writer.execute(
        "INSERT INTO outlets (name, type, language, notes, version, created_at, updated_at) "
        "VALUES ('uncommitted', 'tv', 'en', '', 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
    )
    with db.read() as session:  # and one of deskterm's own read sessions is open too
        session.execute(select(Outlet)).all()
        dest = backup(db, tmp_path / "during.sqlite3")
    reader.execute("COMMIT")
    writer.execute("ROLLBACK")
    rows = outlet_rows(dest)
    assert len(rows) == 5
    assert "uncommitted" not in {r[1] for r in rows}


def test_backup_refuses_to_overwrite(db: Database, tmp_path: Path) -> None:
    dest = tmp_path / "existing.sqlite3"
    dest.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        backup(db, dest)
    assert dest.read_bytes() == b"precious"


def test_backup_into_a_directory(db: Database, db_path: Path, tmp_path: Path) -> None:
    add_outlets(db, 3)
    folder = tmp_path / "backups"
    folder.mkdir()
    dest = backup(db, folder)
    assert dest.parent == folder
    assert dest.name.startswith(db_path.stem)
    assert dest.suffix == ".sqlite3"
    assert outlet_rows(dest) == outlet_rows(db_path)


# --- check ----------------------------------------------------------------------------


def test_check_is_ok_on_a_fresh_database(db: Database) -> None:
    result = check(db)
    assert result.integrity == ["ok"]
    assert result.foreign_keys == []
    assert result.ok


def test_check_reports_a_planted_foreign_key_violation(db: Database, raw) -> None:
    conn = raw()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(
        "INSERT INTO contacts (name, outlet_id, beat, language, do_not_contact, notes, version,"
        " created_at, updated_at, search_name, search_text) VALUES ('Ghost', 999, '', 'en', 0,"
        " '', 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'ghost', 'ghost')"
    )
    result = check(db)
    assert not result.ok
    assert result.integrity == ["ok"]
    assert len(result.foreign_keys) == 1
    assert "contacts" in result.foreign_keys[0]
    assert "outlets" in result.foreign_keys[0]


def test_check_reports_a_search_index_out_of_step_with_the_clips(db: Database, raw) -> None:
    from datetime import UTC, datetime

    from deskterm.core.clips import add_clip
    from deskterm.core.feeds import add_feed

    feed_file = db.path.parent / "feed.xml"
    feed_file.write_text("<rss/>")
    feed = add_feed(db, url=str(feed_file), name="Herald")
    when = datetime(2026, 11, 23, 9, tzinfo=UTC)
    add_clip(db, feed_id=feed.id, guid="a", title="Budget vote", url=None, published_at=when)
    assert check(db).ok
    conn = raw()
    conn.execute("DROP TRIGGER clips_fts_update")  # an edit that bypasses the index
    conn.execute("UPDATE clips SET title = 'Something else entirely'")
    conn.commit()
    result = check(db)
    assert not result.ok
    assert "search index" in result.integrity[-1]


def downgrade_to(db: Database, revision: str) -> None:
    """Take the schema back to an older revision (as a desk of that release left it)."""
    from alembic import command

    config = Config()
    config.set_main_option("script_location", "db:migrations")
    with db.engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def upgraded_from(db: Database, revision: str) -> None:
    """Upgrade a desk an older release left at ``revision``: backed up, then current."""
    db.dispose()
    before, backup_path = upgrade(db)
    assert before.revision == revision
    assert backup_path is not None and backup_path.exists()
    assert schema_status(db).state is SchemaState.CURRENT


def test_0006_keeps_when_already_flagged_clips_were_flagged(db: Database, db_path: Path) -> None:
    """Clips flagged before the desk kept flagged_at get their last change's time, so the
    clip report of that day still lists them; the others stay NULL."""

    from deskterm.core import clips, feeds

    feed = feeds.add_feed(db, url="https://news.example/rss", name="Herald")
    for guid in ("a", "b"):
        clips.add_clip(db, feed_id=feed.id, guid=guid, title=f"Story {guid}", url=None,
                       published_at=datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # fmt: skip
    downgrade_to(db, "0005")
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert "flagged_at" not in {r[1] for r in raw.execute("PRAGMA table_info(clips)")}
        raw.execute(
            "UPDATE clips SET flagged = 1, updated_at = '2026-11-24 12:00:00.000000' "
            "WHERE guid = 'a'"
        )
    finally:
        raw.close()
    db.dispose()
    upgrade(db)
    raw = sqlite3.connect(db_path)
    try:
        rows = raw.execute("SELECT guid, flagged_at FROM clips ORDER BY guid").fetchall()
        indexes = {r[1] for r in raw.execute("PRAGMA index_list(clips)")}
    finally:
        raw.close()
    assert rows == [("a", "2026-11-24 12:00:00.000000"), ("b", None)]
    assert "ix_clips_flagged_at" in indexes
    assert check(db).ok


def test_0007_fills_in_the_search_text_of_rows_stored_before_it(
    db: Database, db_path: Path
) -> None:
    """A desk at 0006 (no folded columns) is upgraded: its requests, reporters and outlets
    are found by the typed words at once, in any case and without accents."""

    from deskterm.core import contacts, requests

    contacts.add_outlet(db, name="Zürcher Tagblatt", type="print", website="https://zt.example")
    contacts.add_contact(db, name="Élodie Núñez", outlet="Zürcher Tagblatt", beat="Straße")
    requests.create_request(
        db, kind="media", subject="Budget der Parks", requester="Élodie Núñez", outlet="Zürcher"
    )
    downgrade_to(db, "0006")
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        for table in ("requests", "contacts", "outlets"):
            columns = {r[1] for r in raw.execute(f"PRAGMA table_info({table})")}
            assert not columns & {"search_text", "search_name"}, table
        # more rows than one batch of the fill, written as an older desk would
        raw.executemany(
            "INSERT INTO contacts (name, beat, language, do_not_contact, notes, version,"
            " created_at, updated_at) VALUES (?, '', 'en', 0, '', 1, '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00')",
            [(f"Reporter {i} Ñandú",) for i in range(1500)],
        )
    finally:
        raw.close()

    upgraded_from(db, "0006")

    assert [r.subject for r in requests.list_open_requests(db, text="PARKS elodie nunez")] == [
        "Budget der Parks"
    ]
    assert [c.name for c in contacts.search_contacts(db, "strasse ELODIE zurcher")] == [
        "Élodie Núñez"
    ]
    assert [o.name for o in contacts.search_outlets(db, "zurcher zt.example")] == [
        "Zürcher Tagblatt"
    ]
    found = contacts.search_contacts(db, "REPORTER 1499 nandu")
    assert [c.name for c in found] == ["Reporter 1499 Ñandú"]  # in the second batch
    assert check(db).ok  # every row's folded text agrees with its fields


def test_0008_fills_in_the_tasks_search_text_and_the_requests_questions(
    db: Database, db_path: Path
) -> None:
    """A desk at 0007 (no folded text on tasks; requests' without their questions) is
    upgraded: its cards are found by the board's filter in any case and without accents, and
    its requests by a word only in their questions."""

    from deskterm.core import requests, tasks

    requests.create_request(
        db, kind="media", subject="Bins", requester="Sam", questions="Warum die Müllgebühren?"
    )
    tasks.create_task(db, title="Élan vital: Straße", kind="statement")
    downgrade_to(db, "0007")
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert "search_text" not in {r[1] for r in raw.execute("PRAGMA table_info(tasks)")}
        # going down, the requests' text is again what 0007 made of it: no questions
        assert raw.execute("SELECT search_text FROM requests").fetchall() == [
            ("m-2026-0001\nbins\nsam",)
        ]
        # more cards than one batch of the fill, written as an older desk would
        raw.executemany(
            "INSERT INTO tasks (title, kind, status, channels, priority, language,"
            " translations_owed, body, position, version, created_at, updated_at)"
            " VALUES (?, 'other', 'backlog', '', 'normal', 'en', '', '', 0, 1,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            [(f"Card {i} Núñez",) for i in range(1500)],
        )
    finally:
        raw.close()

    upgraded_from(db, "0007")

    assert [r.subject for r in requests.list_open_requests(db, text="MULLGEBUHREN")] == ["Bins"]
    found = tasks.board(db, per_column=5, text="STRASSE elan")
    assert [c.title for col in found for c in col.cards] == ["Élan vital: Straße"]
    found = tasks.board(db, per_column=5, text="card 1499 NUNEZ")
    assert [c.title for col in found for c in col.cards] == ["Card 1499 Núñez"]  # 2nd batch
    assert check(db).ok  # every row's folded text agrees with its fields


def test_0009_spells_out_the_names_stored_before_it(db: Database, db_path: Path) -> None:
    """A desk at 0008 (names folded one way: "muller") is upgraded: "mueller" finds its
    "Müller" reporter, outlet, request and card; going down leaves the text as 0008 had it."""

    from deskterm.core import contacts, requests, tasks

    contacts.add_outlet(db, name="Göteborgs Blad", type="print")
    contacts.add_contact(db, name="Jürgen Müller", outlet="Göteborgs Blad")
    requests.create_request(db, kind="media", subject="Parks", requester="Jürgen Müller")
    tasks.create_task(db, title="Statement for Søren Ålund")
    downgrade_to(db, "0008")
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert raw.execute("SELECT search_text FROM contacts").fetchall() == [("jurgen muller",)]
        # more reporters than one batch of the fill, written as an older desk would
        raw.executemany(
            "INSERT INTO contacts (name, beat, language, do_not_contact, notes, version,"
            " created_at, updated_at, search_name, search_text) VALUES (?, '', 'en', 0, '', 1,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', ?, ?)",
            [(f"Reporter {i} Björk", f"reporter {i} bjork", f"reporter {i} bjork")
             for i in range(1500)],
        )  # fmt: skip
    finally:
        raw.close()
    assert contacts.search_contacts(db, "mueller") == []  # 0008's text: one spelling

    upgraded_from(db, "0008")

    assert [c.name for c in contacts.search_contacts(db, "juergen mueller")] == ["Jürgen Müller"]
    assert [o.name for o in contacts.search_outlets(db, "goeteborgs")] == ["Göteborgs Blad"]
    assert [r.subject for r in requests.list_open_requests(db, text="MUELLER")] == ["Parks"]
    found = tasks.board(db, per_column=5, text="soeren aalund")
    assert [c.title for col in found for c in col.cards] == ["Statement for Søren Ålund"]
    found = contacts.search_contacts(db, "reporter 1499 bjoerk")
    assert [c.name for c in found] == ["Reporter 1499 Björk"]  # in the second batch
    assert check(db).ok  # every row's folded text agrees with its fields

    downgrade_to(db, "0008")
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        row = raw.execute("SELECT search_text FROM contacts WHERE id = 1").fetchone()
    finally:
        raw.close()
    assert row == ("jurgen muller",)
