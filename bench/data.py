"""Benchmark databases: a realistic desk at 1,000,000 clips (and a 10,000-clip twin).

Volumes (both files): staff 5, outlets 15, feeds 200, contacts 20,000, requests 50,000
(about 5% open, deadlines around now), tasks 20,000, events 20,000 (500 of them weekly
series ``FREQ=WEEKLY;BYDAY=TU`` in America/New_York). Clips: 1,000,000 or 10,000, spread
over the last 365 days, plus a block of ``TODAY_CLIPS`` (300, 250 of them unread) on the
desk's "today" in America/New_York.

How it is built: ``db.schema.upgrade(Database(path))`` creates the schema (Alembic, as a desk
would), then every table is filled with SQLAlchemy Core ``insert(table)`` executemany in
batches, one transaction per table, on a plain engine with the journal off (the file is
built under a temporary name and renamed into place when complete, so a crash never leaves
a half-built cache). Values go through the models' column types: aware UTC datetimes through
``UTCDateTime``, enum strings checked against ``db.enums``.

Files are cached in ``bench/.data/`` keyed by clip count, schema head and ``GENERATOR``
(bump it when the generator changes). Because a cached file outlives the day it was built
on, ``prepare()`` re-anchors it to the current time before each benchmark: it re-spreads
the "today" clip block over today so far, moves open requests' deadlines, one-off events
and task dates by the time elapsed since the last anchor, and clears stale presence rows.

``python -m bench.data [--clips N] [--force]`` builds (or refreshes) one file by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, create_engine, event, insert, select, update

from db import models as m
from db.engine import Database
from db.enums import (
    EventKind,
    EventStatus,
    OutletType,
    Priority,
    RequestChannel,
    RequestKind,
    RequestStatus,
    ResponseMethod,
    StaffRole,
    TaskKind,
    TaskStatus,
)
from db.schema import upgrade
from db.schema_state import HEAD

GENERATOR = 1  # bump when the generated data changes shape
DATA_DIR = Path(__file__).resolve().parent / ".data"
DESK_TZ = ZoneInfo("America/New_York")
SEED = 20260101

BIG_CLIPS = 1_000_000
SMALL_CLIPS = 10_000
TODAY_CLIPS = 300
TODAY_UNREAD = 250
STAFF = 5
OUTLETS = 15
FEEDS = 200
CONTACTS = 20_000
REQUESTS = 50_000
OPEN_SHARE = 0.05
TASKS = 20_000
EVENTS = 20_000
RECURRING_EVENTS = 500
RRULE = "FREQ=WEEKLY;BYDAY=TU"
BATCH = 20_000
REANCHOR_AFTER = timedelta(minutes=10)

OPEN_REQUEST_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.ASSIGNED,
    RequestStatus.DRAFTING,
    RequestStatus.IN_REVIEW,
    RequestStatus.REOPENED,
)

Log = Callable[[str], None]


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- cache ----------------------------------------------------------------------------------


def db_path(clips: int) -> Path:
    return DATA_DIR / f"desk-{clips}-schema{HEAD}-gen{GENERATOR}.sqlite3"


def meta_path(clips: int) -> Path:
    return db_path(clips).with_suffix(".json")


def prepare(
    clips: int, *, now: datetime | None = None, force: bool = False, log: Log = _stderr
) -> Path:
    """The cached database for ``clips``, built if missing, re-anchored to ``now``."""
    now = now or datetime.now(UTC)
    path, meta = db_path(clips), meta_path(clips)
    if force or not path.exists() or not meta.exists():
        build(clips, path, now=now, log=log)
    else:
        reanchor(path, meta, now=now, log=log)
    return path


def read_meta(meta: Path) -> dict[str, Any]:
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(meta: Path, data: dict[str, Any]) -> None:
    tmp = meta.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(meta)


# --- engine for bulk loading ----------------------------------------------------------------


def _bulk_engine(path: Path, journal: str = "OFF"):  # type: ignore[no-untyped-def]
    """A plain engine for loading a private file: no journal, no fsync, big cache.

    Only the schema is created through the desk's ``Database``; the bulk load does not need
    the shared-file rules (nobody else can see the file until it is renamed into place).
    """
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode = {journal}")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -400000")  # 400 MB: index builds stay in memory
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.execute("PRAGMA foreign_keys = OFF")  # rows are generated consistent
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")

    return engine


def _load(
    engine, table: Table, rows: Iterable[dict[str, Any]], log: Log, batch: int = BATCH
) -> int:  # type: ignore[no-untyped-def]
    """Insert ``rows`` with executemany in batches inside ONE transaction."""
    started = time.perf_counter()
    count = 0
    statement = insert(table)
    with engine.begin() as conn:
        # Secondary indexes are dropped and re-created from their own schema SQL after the
        # load (a sorted build beats a million random B-tree inserts); same names, same SQL.
        indexes = [
            (name, sql)
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table.name,),
            )
        ]
        for name, _sql in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                conn.execute(statement, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            conn.execute(statement, chunk)
            count += len(chunk)
        for _name, sql in indexes:
            conn.exec_driver_sql(sql)
    seconds = time.perf_counter() - started
    rate = count / seconds if seconds else 0.0
    log(f"  {table.name:<9} {count:>9,} rows in {seconds:6.1f}s ({rate:,.0f} rows/s)")
    return count


# --- vocabularies ---------------------------------------------------------------------------

# fmt: off
FIRST = [
    "Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kara",
    "Luis", "Mei", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe",
]
LAST = [
    "Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Johnson", "Kim", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Silva",
    "Tanaka", "Ueda", "Vargas", "Walsh", "Xu", "Young", "Zhang",
]
SUBJECTS = (
    "Mayor", "City council", "Transit authority", "Parks department", "Police chief",
    "School board", "Housing office", "Water utility", "Budget office", "Fire department",
    "Health department", "Planning commission", "Library board", "Port authority",
    "Sanitation crews", "Neighborhood groups", "Downtown business district", "Residents",
)
VERBS = (
    "unveils", "delays", "approves", "rejects", "defends", "questions", "expands", "cuts",
    "reviews", "announces", "postpones", "funds", "audits", "debates", "launches", "pauses",
)
OBJECTS = (
    "bike lane plan", "property tax increase", "bus route changes", "snow removal budget",
    "affordable housing tower", "police overtime policy", "stadium subsidy", "library hours",
    "lead pipe replacement", "homeless shelter expansion", "zoning overhaul",
    "summer jobs program", "bridge repairs", "recycling contract", "climate action plan",
    "school bus shortage", "noise ordinance", "street tree program", "pension reform",
    "waterfront park design",
)
TAILS = (
    "", "", "", " after heated hearing", " amid budget gap", " ahead of vote",
    " despite objections", " as costs climb", " in split decision", " following audit",
    " for second time", " after resident complaints",
)
OUTLET_NAMES = (
    ("City Gazette", OutletType.PRINT), ("Channel 7 News", OutletType.TV),
    ("WMET Radio", OutletType.RADIO), ("Metro Daily", OutletType.PRINT),
    ("The Civic Ledger", OutletType.ONLINE), ("El Tiempo Local", OutletType.COMMUNITY_ETHNIC),
    ("Harbor Weekly", OutletType.PRINT), ("News 12", OutletType.TV),
    ("Public Radio 88.5", OutletType.RADIO), ("Urban Wire", OutletType.ONLINE),
    ("Municipal Review", OutletType.TRADE), ("National Times", OutletType.NATIONAL),
    ("State Bulletin", OutletType.GOVERNMENT), ("Eastside Voice", OutletType.COMMUNITY_ETHNIC),
    ("Daily Dispatch", OutletType.ONLINE),
)
SECTIONS = ("city", "politics", "transit", "housing", "schools", "business", "opinion", "crime")
LOCATIONS = ("City Hall", "Council Chambers", "Room 201", "Central Library", "Harbor Park", "")
LEADERS = ("Mayor", "Deputy Mayor", "City Manager")
# fmt: on


def _headline(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"


def _title_key(title: str) -> str:
    return " ".join(title.lower().split())[:200]


# --- rows -----------------------------------------------------------------------------------


def _staff(now: datetime) -> Iterator[dict[str, Any]]:
    people = (
        ("AR", "Alex Rivera", StaffRole.PRESS_SECRETARY, True),
        ("JC", "Jordan Cole", StaffRole.COMMS_DIRECTOR, True),
        ("MP", "Maya Patel", StaffRole.PIO, False),
        ("SL", "Sam Lee", StaffRole.SPOKESPERSON, False),
        ("TK", "Taylor Kim", StaffRole.CONSTITUENT_ENGAGEMENT, False),
    )
    for i, (initials, name, role, approve) in enumerate(people[:STAFF], start=1):
        yield {
            "id": i,
            "initials": initials,
            "name": name,
            "role": role.value,
            "can_approve": approve,
            "email": f"{initials.lower()}@city.example",
            "active": True,
            **_versioned(now),
        }


def _versioned(at: datetime) -> dict[str, Any]:
    return {"version": 1, "created_at": at, "updated_at": at}


def _outlets(now: datetime) -> Iterator[dict[str, Any]]:
    for i, (name, kind) in enumerate(OUTLET_NAMES[:OUTLETS], start=1):
        yield {
            "id": i,
            "name": name,
            "type": kind.value,
            "language": "es" if "Tiempo" in name else "en",
            "reach": 10_000 * i,
            "website": f"https://outlet{i}.example",
            "notes": "",
            **_versioned(now),
        }


def _feeds(now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(1, FEEDS + 1):
        outlet = (i - 1) % OUTLETS + 1
        section = SECTIONS[(i - 1) // OUTLETS % len(SECTIONS)]
        yield {
            "id": i,
            "name": f"{OUTLET_NAMES[outlet - 1][0]} · {section} {i}",
            "url": f"https://outlet{outlet}.example/{section}/{i}/rss.xml",
            "outlet_id": outlet,
            "topic_id": None,
            "poll_minutes": 10,
            "enabled": True,
            "last_fetch_at": now - timedelta(minutes=i % 10),
            "last_status": "ok",
            "last_http_status": 200,
            "consecutive_errors": 0,
            "last_error": "",
            "warning": "",
            "etag": None,
            "last_modified": None,
            "next_fetch_at": now + timedelta(minutes=10 - i % 10),
            **_versioned(now),
        }


def _contacts(rng: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    for i in range(1, CONTACTS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield {
            "id": i,
            "name": f"{first} {last}",
            "outlet_id": rng.randint(1, OUTLETS) if rng.random() < 0.7 else None,
            "beat": rng.choice(SECTIONS),
            "email": f"{first}.{last}.{i}@mail.example".lower(),
            "phone": f"555-{i % 10_000:04d}",
            "social": None,
            "language": "en",
            "do_not_contact": rng.random() < 0.01,
            "notes": "",
            "last_contacted_at": None,
            **_versioned(now - timedelta(days=rng.randint(0, 700))),
        }


def day_start(moment: datetime) -> datetime:
    """Midnight of ``moment``'s day in the desk's zone, in UTC."""
    local = moment.astimezone(DESK_TZ).date()
    return datetime.combine(local, dtime(0), tzinfo=DESK_TZ).astimezone(UTC)


def today_times(now: datetime, count: int, rng: random.Random) -> list[datetime]:
    """``count`` times between today's start (desk zone) and a minute ago, oldest first."""
    start = day_start(now)
    end = max(now - timedelta(minutes=1), start + timedelta(seconds=1))
    span = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))


def _clips(rng: random.Random, now: datetime, total: int) -> Iterator[dict[str, Any]]:
    """Clips oldest first (ids grow with time, as a feed reader ingests them); the last
    ``TODAY_CLIPS`` ids are today's, ``TODAY_UNREAD`` of them unread."""
    old = total - TODAY_CLIPS
    today0 = day_start(now)
    first = today0 - timedelta(days=365)
    span = (today0 - first).total_seconds() - 1
    step = span / max(old, 1)
    unread_today = set(rng.sample(range(TODAY_CLIPS), TODAY_UNREAD))
    times = today_times(now, TODAY_CLIPS, rng)
    rand = rng.random
    choice = rng.choice
    randint = rng.randint
    for i in range(1, total + 1):
        if i <= old:
            published = first + timedelta(seconds=(i - 1) * step + rand() * step)
            is_read = rand() >= 0.02
        else:
            k = i - old - 1
            published = times[k]
            is_read = k not in unread_today
        feed = randint(1, FEEDS)
        outlet = (feed - 1) % OUTLETS + 1
        title = _headline(rng)
        fetched = published + timedelta(seconds=randint(30, 900))
        yield {
            "id": i,
            "feed_id": feed,
            "outlet_id": outlet,
            "guid": f"urn:bench:clip:{i}",
            "url": f"https://outlet{outlet}.example/{choice(SECTIONS)}/{i}",
            "title": title,
            "summary": f"{title}. Officials said more details would follow this week.",
            "author": f"{choice(FIRST)} {choice(LAST)}",
            "language": "es" if outlet in (6, 14) else "en",
            "published_at": published,
            "fetched_at": fetched,
            "title_key": _title_key(title),
            "content_hash": hashlib.blake2b(
                title.encode() + i.to_bytes(4, "little"), digest_size=16
            ).hexdigest(),
            "story_id": None,
            "is_read": is_read,
            "flagged": rand() < 0.01,
            "hidden": rand() < 0.005 and i <= old,
            "assignee_id": randint(1, STAFF) if rand() < 0.02 else None,
            "needs_correction": False,
            "correction_note": "",
            "version": 1,
            "created_at": fetched,
            "updated_at": fetched,
        }


def _requests(rng: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    kinds = (RequestKind.MEDIA,) * 6 + (RequestKind.CONSTITUENT,) * 3 + (RequestKind.RECORDS,)
    prefix = {RequestKind.MEDIA: "M", RequestKind.CONSTITUENT: "C", RequestKind.RECORDS: "PR"}
    open_ids = set(rng.sample(range(1, REQUESTS + 1), int(REQUESTS * OPEN_SHARE)))
    done = (RequestStatus.CLOSED,) * 8 + (RequestStatus.RESPONDED, RequestStatus.DECLINED)
    for i in range(1, REQUESTS + 1):
        kind = rng.choice(kinds)
        is_open = i in open_ids
        if is_open:
            received = now - timedelta(hours=rng.uniform(0.5, 14 * 24))
            status = rng.choice(OPEN_REQUEST_STATUSES)
            deadline = (
                now + timedelta(hours=rng.uniform(-36, 6 * 24)) if rng.random() < 0.9 else None
            )
        else:
            received = now - timedelta(days=rng.uniform(15, 730))
            status = rng.choice(done)
            deadline = received + timedelta(hours=rng.uniform(2, 96))
        responded = None if is_open else received + timedelta(hours=rng.uniform(1, 72))
        closed = responded if status in (RequestStatus.CLOSED, RequestStatus.DECLINED) else None
        contact = rng.randint(1, CONTACTS) if rng.random() < 0.5 else None
        outlet = rng.randint(1, OUTLETS) if kind is RequestKind.MEDIA else None
        yield {
            "id": i,
            "number": f"{prefix[kind]}-{received.year}-{i:05d}",
            "kind": kind.value,
            "status": status.value,
            "received_at": received,
            "channel": rng.choice(list(RequestChannel)).value,
            "taken_by_id": rng.randint(1, STAFF),
            "contact_id": contact,
            "requester_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "requester_email": None,
            "requester_phone": None,
            "outlet_id": outlet,
            "outlet_name": "",
            "subject": f"Question about the {rng.choice(OBJECTS)}",
            "questions": "What is the timeline? Who decided? What does it cost?",
            "background": "",
            "also_talking_to": "",
            "topic_id": None,
            "departments": "",
            "language": "en",
            "deadline_at": deadline,
            "priority": rng.choice((Priority.NORMAL,) * 6 + tuple(Priority)).value,
            "assignee_id": rng.randint(1, STAFF) if rng.random() < 0.8 else None,
            "spokesperson_id": None,
            "needs_review": False,
            "review_kind": "",
            "approver_id": None,
            "approved_at": None,
            "response_method": None if is_open else ResponseMethod.STATEMENT.value,
            "attribution": None,
            "embargo_until": None,
            "response_text": "" if is_open else "The city is reviewing the matter.",
            "responded_at": responded,
            "published_url": None,
            "accuracy": None,
            "follow_up_on": None,
            "closed_at": closed,
            "statutory_days": 10 if kind is RequestKind.RECORDS else None,
            "clock_paused_at": None,
            "clock_paused_business_days": 0,
            "version": 1,
            "created_at": received,
            "updated_at": responded or received,
        }


def _tasks(rng: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    statuses = (
        (TaskStatus.ARCHIVED,) * 70
        + (TaskStatus.PUBLISHED,) * 20
        + (TaskStatus.BACKLOG,) * 3
        + (TaskStatus.DRAFTING,) * 3
        + (TaskStatus.IN_REVIEW,) * 2
        + (TaskStatus.APPROVED,) * 2
    )
    for i in range(1, TASKS + 1):
        status = rng.choice(statuses)
        active = status not in (TaskStatus.ARCHIVED, TaskStatus.PUBLISHED)
        created = now - timedelta(days=rng.uniform(0, 20) if active else rng.uniform(20, 700))
        due = (
            now + timedelta(hours=rng.uniform(-48, 240))
            if active
            else created + timedelta(days=rng.uniform(1, 10))
        )
        yield {
            "id": i,
            "title": f"{rng.choice(tuple(TaskKind)).value.replace('_', ' ').title()}: "
            f"{rng.choice(OBJECTS)}",
            "kind": rng.choice(tuple(TaskKind)).value,
            "status": status.value,
            "owner_id": rng.randint(1, STAFF),
            "reviewer_id": None,
            "approved_by_id": None,
            "approved_at": None,
            "due_at": due if rng.random() < 0.85 else None,
            "publish_at": None,
            "channels": "web,social",
            "priority": rng.choice((Priority.NORMAL,) * 5 + tuple(Priority)).value,
            "language": "en",
            "translations_owed": "",
            "body": "",
            "draft_link": None,
            "published_url": None,
            "position": float(i),
            **_versioned(created),
        }


def _events(rng: random.Random, now: datetime) -> Iterator[dict[str, Any]]:
    """One-off events over [now-400d, now+200d] and weekly Tuesday series (desk zone)."""
    recurring = set(rng.sample(range(1, EVENTS + 1), RECURRING_EVENTS))
    today_local = now.astimezone(DESK_TZ).date()
    for i in range(1, EVENTS + 1):
        kind = rng.choice(tuple(EventKind))
        if i in recurring:
            weeks_ago = rng.randint(4, 52)
            first_day = today_local - timedelta(days=today_local.weekday() - 1 + 7 * weeks_ago)
            local_start = datetime.combine(
                first_day, dtime(rng.randint(8, 17), rng.choice((0, 30))), tzinfo=DESK_TZ
            )
            start = local_start.astimezone(UTC)
            rrule, zone = RRULE, "America/New_York"
        else:
            start = day_start(now) + timedelta(minutes=15 * int(rng.uniform(-400, 200) * 96))
            rrule, zone = None, "America/New_York"
        all_day = rrule is None and rng.random() < 0.05
        yield {
            "id": i,
            "uid": f"bench-{i}@deskterm.example",
            "title": f"{kind.value.replace('_', ' ').title()}: {rng.choice(OBJECTS)}",
            "kind": kind.value,
            "status": rng.choice((EventStatus.CONFIRMED,) * 8 + tuple(EventStatus)).value,
            "starts_at": start,
            "ends_at": None if all_day else start + timedelta(hours=1),
            "timezone": zone,
            "all_day": all_day,
            "location": rng.choice(LOCATIONS),
            "leaders": ",".join(rng.sample(LEADERS, rng.randint(0, 2))),
            "owner_id": rng.randint(1, STAFF),
            "public": rng.random() < 0.7,
            "notes": "",
            "rrule": rrule,
            "exdates": "",
            "rdates": "",
            "parent_id": None,
            "recurrence_id": None,
            "sequence": 0,
            **_versioned(start - timedelta(days=30)),
        }


# --- build and re-anchor --------------------------------------------------------------------


def build(clips: int, path: Path, *, now: datetime, log: Log = _stderr) -> Path:
    """Build the database for ``clips`` at ``path`` (atomically replaced)."""
    if clips < TODAY_CLIPS:
        raise ValueError(f"need at least {TODAY_CLIPS} clips")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.building-{os.getpid()}")  # concurrent builds never share
    for stale in (tmp, tmp.with_name(tmp.name + "-journal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    log(f"building {path.name} ({clips:,} clips) ...")
    database = Database(str(tmp))
    try:
        upgrade(database)
    finally:
        database.dispose()
    engine = _bulk_engine(tmp)
    rng = random.Random(SEED + clips)
    try:
        _load(engine, m.Staff.__table__, _staff(now), log)
        _load(engine, m.Outlet.__table__, _outlets(now), log)
        _load(engine, m.Feed.__table__, _feeds(now), log)
        _load(engine, m.Contact.__table__, _contacts(rng, now), log)
        with _search_index_rebuilt_after(engine, log):
            _load(engine, m.Clip.__table__, _clips(rng, now, clips), log)
        _load(engine, m.Request.__table__, _requests(rng, now), log)
        _load(engine, m.Task.__table__, _tasks(rng, now), log)
        _load(engine, m.Event.__table__, _events(rng, now), log)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    os.replace(tmp, path)
    _write_meta(
        meta_path(clips),
        {
            "clips": clips,
            "schema": HEAD,
            "generator": GENERATOR,
            "anchor": now.isoformat(),
            "built_in_s": round(time.perf_counter() - started, 1),
        },
    )
    log(
        f"built {path} in {time.perf_counter() - started:.1f}s "
        f"({path.stat().st_size / 1e6:,.0f} MB)"
    )
    return path


@contextmanager
def _search_index_rebuilt_after(engine, log: Log) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Bulk-load clips without the FTS triggers, then rebuild the index in one pass
    (row-by-row triggers made the 1M build 60 s -> 96 s; one rebuild costs a few seconds)."""
    with engine.begin() as conn:
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'clips'"
        ).all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    started = time.perf_counter()
    with engine.begin() as conn:
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
        has_index = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clips_fts'"
        ).first()
        if has_index:
            conn.exec_driver_sql("INSERT INTO clips_fts(clips_fts) VALUES ('rebuild')")
    log(f"search index rebuilt in {time.perf_counter() - started:.1f}s")


def reanchor(path: Path, meta: Path, *, now: datetime, log: Log = _stderr) -> None:
    """Bring a cached file's time-relative data to ``now`` (see the module docstring)."""
    info = read_meta(meta)
    try:
        anchor = datetime.fromisoformat(info["anchor"])
        clips = int(info["clips"])
    except (KeyError, ValueError):
        build(int(info.get("clips") or 0) or _clips_from_name(path), path, now=now, log=log)
        return
    # A rollback journal (not OFF) here: the cached file must survive an interrupted refresh.
    engine = _bulk_engine(path, journal="DELETE")
    try:
        with engine.begin() as conn:
            conn.execute(m.Presence.__table__.delete())
            if abs(now - anchor) > REANCHOR_AFTER or day_start(now) != day_start(anchor):
                _shift(conn, now - anchor, clips, now)
                log(f"re-anchored {path.name} by {now - anchor} to {now:%Y-%m-%d %H:%M}Z")
                info["anchor"] = now.isoformat()
    finally:
        engine.dispose()
    _write_meta(meta, info)


def _clips_from_name(path: Path) -> int:
    return int(path.name.split("-")[1])


def _shift(conn, delta: timedelta, clips: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(now.timestamp())
    clip_t = m.Clip.__table__
    first_today = clips - TODAY_CLIPS + 1
    times = today_times(now, TODAY_CLIPS, rng)
    conn.execute(
        update(clip_t)
        .where(clip_t.c.id == bindparam("b_id"))
        .values(published_at=bindparam("b_pub"), fetched_at=bindparam("b_pub")),
        [{"b_id": first_today + k, "b_pub": t} for k, t in enumerate(times)],
    )
    _move(
        conn,
        m.Request.__table__,
        "deadline_at",
        delta,
        m.Request.__table__.c.status.in_([s.value for s in OPEN_REQUEST_STATUSES]),
    )
    _move(
        conn,
        m.Request.__table__,
        "received_at",
        delta,
        m.Request.__table__.c.status.in_([s.value for s in OPEN_REQUEST_STATUSES]),
    )
    _move(conn, m.Task.__table__, "due_at", delta, None)
    _move(conn, m.Event.__table__, "starts_at", delta, m.Event.__table__.c.rrule.is_(None))
    _move(conn, m.Event.__table__, "ends_at", delta, m.Event.__table__.c.rrule.is_(None))


def _move(conn, table: Table, column: str, delta: timedelta, where) -> None:  # type: ignore[no-untyped-def]
    col = table.c[column]
    query = select(table.c.id, col).where(col.is_not(None))
    if where is not None:
        query = query.where(where)
    rows = [{"b_id": i, "b_v": v + delta} for i, v in conn.execute(query)]
    if rows:
        conn.execute(
            update(table).where(table.c.id == bindparam("b_id")).values({column: bindparam("b_v")}),
            rows,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.data", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--clips",
        type=int,
        action="append",
        help=f"clip count (default: {BIG_CLIPS} and {SMALL_CLIPS})",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    for clips in args.clips or (SMALL_CLIPS, BIG_CLIPS):
        print(prepare(clips, force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
