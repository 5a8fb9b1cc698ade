"""Who is editing what (deskterm.core.editing), read from other desks' presence rows."""

from __future__ import annotations

from datetime import timedelta

from db.base import utcnow
from db.engine import Actor, Database
from db.presence import STALE_AFTER, active_desks, heartbeat
from deskterm.core.editing import editors, editors_from_desks, start_editing, stop_editing


def desk(db: Database, user: str, host: str) -> Database:
    return Database(db.url, actor=Actor(user, host))


def test_other_desks_editing_are_listed_and_mine_is_not(db: Database) -> None:
    jl, mr = desk(db, "JL", "host-jl"), desk(db, "MR", "host-mr")
    try:
        assert editors(db, "requests") == {}
        start_editing(jl, "requests", 7)
        start_editing(mr, "requests", 7)
        start_editing(db, "requests", 7)  # this desk: never marked to itself
        start_editing(desk(db, "TN", "host-tn"), "tasks", 7)
        assert editors(db, "requests") == {7: ("JL", "MR")}
        assert editors(jl, "requests") == {7: ("AB", "MR")}
        assert editors(db, "tasks") == {7: ("TN",)}
        assert editors_from_desks(db, active_desks(db), "requests") == {7: ("JL", "MR")}
        stop_editing(jl)
        assert editors(db, "requests") == {7: ("MR",)}
    finally:
        jl.dispose()
        mr.dispose()


def test_a_desk_gone_quiet_no_longer_marks_anything(db: Database) -> None:
    jl = desk(db, "JL", "host-jl")
    try:
        long_ago = utcnow() - STALE_AFTER - timedelta(seconds=5)
        heartbeat(jl, editing=("requests", 3), now=long_ago)
        assert editors(db, "requests") == {}
        heartbeat(jl, editing=("requests", 3))
        assert editors(db, "requests") == {3: ("JL",)}
    finally:
        jl.dispose()
