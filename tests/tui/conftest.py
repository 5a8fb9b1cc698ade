"""Fixtures for driving the desk with Textual's Pilot against a real database file."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import textual._wait
import textual.constants
import textual.screen

from db.engine import Actor, Database
from deskterm.app import DeskApp, make_app
from deskterm.core import calendar, clips, contacts, feeds, requests, tasks
from deskterm.core.config import Settings, load_settings
from deskterm.core.staff import add_staff

# Tuesday 24 Nov 2026, 10:00 in New York.
FIXED_NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
HOSTILE_TITLE = "[bold]Budget[/bold] vote \x1b[31mtonight [link=http://x]click[/link]"
HOSTILE_NAME = "[bold red]Mallory[/] [link=http://evil.example]click[/link] \u202eevil"


def fixed_clock() -> datetime:
    return FIXED_NOW


#: Held while a snapshot's demo desk lives on its fixed path: two suites on one machine (a
#: checkout's and a worktree's) take turns instead of deleting each other's database.
SNAPSHOT_LOCK = Path("/tmp/deskterm-snapshots.lock")


@contextlib.contextmanager
def demo_desk_at(path: Path) -> Iterator[DeskApp]:
    """The demo desk at the fixed clock on a fixed ``path`` (a snapshot shows it in the
    status bar), made afresh and removed afterwards, with ``SNAPSHOT_LOCK`` held."""
    from db.schema import upgrade
    from deskterm.core.demo import load_demo

    with SNAPSHOT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        shutil.rmtree(path.parent, ignore_errors=True)
        path.parent.mkdir(parents=True)
        db = Database(str(path), actor=Actor("MR", "snapshot-host"))
        try:
            upgrade(db)
            load_demo(db, now=FIXED_NOW)
            settings = load_settings(db=str(path), user="MR")
            yield make_app(settings, db, clock=fixed_clock, live=False)
        finally:
            db.dispose()
            shutil.rmtree(path.parent, ignore_errors=True)


#: How often Pilot looks whether the desk has gone idle (Textual's default: every 20 ms).
IDLE_CHECK_S = 0.002
#: How soon after a change the screen is repainted (Textual's default: 1/60 s).
FRAME_S = IDLE_CHECK_S / 2


@pytest.fixture(autouse=True, scope="session")
def _pilot_checks_for_idle_every_2ms():
    """Pilot's ``press`` waits after every key, and ``pause()`` once, until the process is
    idle: Textual's ``wait_for_idle`` sleeps 20 ms at a time until a 20 ms sleep used under
    5 % of it in CPU (all threads: the desk's thread workers count). So every key cost at
    least 40 ms of sleeping even when the desk had handled it in 1 ms; that was two thirds
    of these tests' time (a test pressing j 120 times slept ~5 s).

    Looking every 2 ms with the same 5 % rule waits for the same work, sooner: a desk still
    working (on the event loop or in a worker thread) keeps it waiting either way. But work
    that waits for the next repaint (``call_after_refresh``: the footer's rebuild) uses no
    CPU until the repaint, which Textual schedules up to 1/60 s after a change. A 20 ms look
    always held that frame; a 2 ms look can end before it, and a check right after the wait
    saw the footer not yet rebuilt (test_footer failed 1 to 3 times in 40 with the shorter
    look alone). So the repaint is scheduled within FRAME_S, half a look: every look that
    follows a change again holds its frame, and the work the frame starts keeps the wait
    going, as with Textual's own timings. Only the test process's screens are affected
    (``textual.screen.UPDATE_PERIOD``, read when a screen starts its update timer); the
    desk's frame rate outside the tests is the command line's (tests/cli).

    Nothing here is a timed assertion; every test still waits for what it checks with
    ``settle`` or Pilot's own waits, and timed pauses (``pause(0.2)``) are unchanged. The
    asserts make a Textual whose waits or repaints work otherwise fail here, to be looked at.
    """
    assert (textual._wait.SLEEP_GRANULARITY, textual._wait.SLEEP_IDLE) == (1 / 50, 1 / 1000)
    assert textual.screen.UPDATE_PERIOD == 1 / textual.constants.MAX_FPS
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(textual._wait, "SLEEP_GRANULARITY", IDLE_CHECK_S)
        patch.setattr(textual._wait, "SLEEP_IDLE", IDLE_CHECK_S / 20)
        patch.setattr(textual.screen, "UPDATE_PERIOD", FRAME_S)
        yield


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return load_settings(db=str(db_path), user="PS")


def fill_small_desk(db: Database, now: datetime = FIXED_NOW) -> None:
    """A handful of records in every pane, one with hostile-looking text."""
    add_staff(db, initials="PS", name="Pat Sandoval", role="press_secretary", can_approve=True)
    add_staff(db, initials="JL", name="Jo Lin", role="pio")
    feed = feeds.add_feed(db, url="https://news.example/rss", name="Alder Daily Herald")
    titles = [HOSTILE_TITLE, "Transit fares frozen for 2027", "Water main break on 5th Ave"]
    for index, title in enumerate(titles):
        clips.add_clip(
            db,
            feed_id=feed.id,
            guid=f"g{index}",
            title=title,
            url=f"https://news.example/{index}",
            summary=f"Summary {index} [i]not markup[/i]",
            published_at=now - timedelta(minutes=30 * (index + 1)),
        )
    requests.create_request(
        db,
        kind="media",
        subject="Overdue: budget shortfall figures",
        requester="Rita Ames",
        outlet="KPAC News",
        deadline=now - timedelta(minutes=5),
        received_at=now - timedelta(hours=3),
        assignee="JL",
        now=now - timedelta(hours=3),
    )
    requests.create_request(
        db,
        kind="constituent",
        subject="Pothole on Elm Street",
        requester="Sam Ortiz",
        deadline=now + timedelta(hours=4),
        now=now,
    )
    tasks.create_task(
        db,
        title="Press release: transit fares",
        kind="press_release",
        status="drafting",
        owner="JL",
        due_at=now + timedelta(hours=5),
    )
    tasks.create_task(db, title="Statement on water main", kind="statement", owner="PS")
    calendar.create_event(
        db,
        title="Mayor's press conference",
        kind="press_conference",
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
        timezone="America/New_York",
        leaders=["Mayor"],
        location="City Hall steps",
    )


@pytest.fixture
def desk_db(db: Database) -> Database:
    fill_small_desk(db)
    return db


@pytest.fixture
def media_db(desk_db: Database) -> Database:
    """The small desk with a media list: two outlets, three reporters (one hostile name)."""
    contacts.add_outlet(desk_db, name="KPAC News", type="tv")
    contacts.add_outlet(desk_db, name="La Voz del Puerto", type="community", language="es")
    contacts.add_contact(
        desk_db,
        name="Dana Whitfield",
        outlet="KPAC News",
        beat="City Hall",
        email="dana@kpac.example",
        notes="Prefers email.\nCalls back fast.",
    )
    contacts.add_contact(
        desk_db, name="Mateo Díaz", outlet="La Voz del Puerto", beat="comunidad", language="es"
    )
    contacts.add_contact(desk_db, name=HOSTILE_NAME, email="m@evil.example")
    requests.create_request(
        desk_db,
        kind="media",
        subject="Budget hearing [quote]",
        requester="Dana Whitfield",
        now=FIXED_NOW,
    )
    return desk_db


@pytest.fixture
def desk_app(settings: Settings, desk_db: Database) -> Callable[..., DeskApp]:
    def build(**kwargs: object) -> DeskApp:
        options: dict[str, object] = {"clock": fixed_clock, "live": False}
        options.update(kwargs)
        return make_app(settings, desk_db, **options)  # type: ignore[arg-type]

    return build


def other_desk(path: Path, user: str = "JL") -> Database:
    return Database(str(path), actor=Actor(user, "other-host"))


async def settle(pilot, until, *, tries: int = 150) -> None:
    """Let the app work (and its workers finish) until ``until()`` holds, up to ~3 s."""
    import asyncio

    for _ in range(tries):
        await asyncio.sleep(0.02)
        await pilot.pause()
        if until():
            return
    raise AssertionError("the desk never got there")
