"""Open, use and drop Database objects one after another, as a long-running process may.

Each new Database must audit its writes and refuse writes in read sessions, however many
Database objects were garbage-collected before it.

usage: recycle_databases.py DB_PATH ROUNDS
Prints one JSON line: {"rounds", "unaudited_rounds", "unguarded_rounds"}.
"""

from __future__ import annotations

import gc
import json
import sys

from sqlalchemy import func, select

from db.engine import Actor, Database
from db.enums import OutletType
from db.errors import ReadOnlySessionError
from db.models import AuditLog, Outlet


def main() -> None:
    db_path, rounds = sys.argv[1], int(sys.argv[2])
    unaudited: list[int] = []
    unguarded: list[int] = []
    for i in range(rounds):
        db = Database(db_path, actor=Actor("AB", "recycler"))
        with db.transaction() as session:
            outlet = Outlet(name=f"round {i}", type=OutletType.PRINT)
            session.add(outlet)
            session.flush()
            audited = session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity == "outlets", AuditLog.entity_id == outlet.id)
            )
        if audited != 1:
            unaudited.append(i)
        try:
            with db.read() as session:
                session.add(Outlet(name=f"sneaky {i}", type=OutletType.PRINT))
                session.flush()
            unguarded.append(i)
        except ReadOnlySessionError:
            pass
        db.dispose()
        del db, session, outlet
        gc.collect(1)  # frees the dropped Database's sessionmaker classes (cheaply)
    result = {"rounds": rounds, "unaudited_rounds": unaudited, "unguarded_rounds": unguarded}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
