"""Live refresh under trouble, and settings the desk remembers."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from textual.color import Color

from db.engine import Actor, Database, RetryPolicy
from deskterm.app import make_app
from deskterm.core.config import load_settings, read_config_file
from deskterm.live import LiveLoop
from deskterm.screens.dashboard import DashboardScreen
from deskterm.widgets.pane import Pane
from deskterm.widgets.status_bar import StatusBar
from tests.tui.conftest import FIXED_NOW, fixed_clock
from tests.tui.test_desk import wait_loaded


async def until(pilot, condition, *, tries: int = 200) -> None:
    """Let the desk run (polls every 0.05 s) until ``condition()`` holds, at most
    ``tries`` x 0.02 s (4 s)."""
    for _ in range(tries):
        await asyncio.sleep(0.02)
        await pilot.pause()
        if condition():
            return


def impatient_db(path) -> Database:
    """The desk's database with a 50 ms busy wait and no retry: trouble shows at once."""
    return Database(str(path), actor=Actor("PS", "h"), retry=RetryPolicy(50, attempts=1))


@contextmanager
def exclusive_lock(path) -> Iterator[None]:
    """Another program holding the shared file's write lock (and readers out) meanwhile."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_live_loop_reports_a_locked_file_and_recovers(desk_db, db_path):
    db = impatient_db(db_path)
    troubles: list[str] = []
    stop = threading.Event()
    loop = LiveLoop(
        db,
        on_changes=lambda changes: None,
        on_presence=lambda desks: None,
        on_trouble=troubles.append,
        interval=0.05,
    )
    thread = threading.Thread(target=loop.run, args=(stop,))
    with exclusive_lock(db_path):
        thread.start()
        for _ in range(100):
            if troubles:
                break
            threading.Event().wait(0.02)
        assert troubles and "locked" in troubles[0]
        assert "\n" not in troubles[0]
    for _ in range(100):
        if troubles[-1] == "":
            break
        threading.Event().wait(0.02)
    stop.set()
    thread.join(5)
    db.dispose()
    assert troubles[-1] == ""  # cleared once the file answered again


@pytest.mark.parametrize(
    ("driver_text", "shown"),
    [
        ("database is locked", "the shared file is locked by another desk or program"),
        ("unable to open database file", "the shared file cannot be reached"),
        ("disk I/O error", "the shared file cannot be reached"),
        ("file is not a database", "file is not a database"),
    ],
)
def test_trouble_is_one_plain_line_without_the_drivers_class_or_sql(driver_text, shown):
    from sqlalchemy.exc import OperationalError

    from deskterm.live import _describe

    wrapped = OperationalError(
        "SELECT max(id) FROM audit_log", {}, sqlite3.OperationalError(driver_text)
    )
    text = _describe(wrapped)
    assert text.startswith(shown)
    assert driver_text in text or "locked" in driver_text  # the driver's words, if they add any
    assert "\n" not in text and "sqlite3" not in text and "SELECT" not in text


async def test_locked_database_shows_a_banner_and_the_desk_stays_usable(settings, desk_db, db_path):
    db = impatient_db(db_path)
    app = make_app(settings, db, clock=fixed_clock, live=True, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        bar = app.screen.query_one(StatusBar)
        with exclusive_lock(db_path):
            await until(pilot, lambda: bar.trouble, tries=100)
            assert bar.has_class("-trouble")
            assert "Not synced since" in str(bar.render())
            assert "the shared file is locked by another desk" in str(bar.render())
            assert "OperationalError" not in str(bar.render())
            table = app.screen.query_one("#news", Pane).table
            await pilot.press("j")  # keys still work while the file is locked
            assert table.cursor_row == 1
        await until(pilot, lambda: not bar.trouble, tries=100)
        assert not bar.has_class("-trouble")
    db.dispose()


async def test_synced_keeps_up_with_the_clock_while_nothing_changes(settings, desk_db, db_path):
    """ "synced HH:MM" is when the desk last read the file without trouble: every poll,
    not only when another desk changed something (a quiet hour would otherwise read as
    an hour out of date). It stops while the file cannot be read, and the banner says
    since when the desk shows what it last loaded."""
    now = [FIXED_NOW]
    db = impatient_db(db_path)
    app = make_app(settings, db, clock=lambda: now[0], live=True, poll_interval=0.05)

    def shown(moment) -> str:
        return moment.astimezone(app.tz).strftime("%H:%M")

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        bar = app.screen.query_one(StatusBar)
        await until(pilot, lambda: bar.last_sync)
        assert bar.last_sync == shown(FIXED_NOW)
        now[0] = FIXED_NOW + timedelta(minutes=47)  # nobody changes anything meanwhile
        await until(pilot, lambda: bar.last_sync != shown(FIXED_NOW))
        assert bar.last_sync == shown(now[0])
        assert f"synced {shown(now[0])}" in str(bar.render())

        with exclusive_lock(db_path):
            await until(pilot, lambda: bar.trouble)
            now[0] = FIXED_NOW + timedelta(minutes=52)
            await asyncio.sleep(0.3)  # several polls fail meanwhile
            await pilot.pause()
            assert bar.last_sync == shown(FIXED_NOW + timedelta(minutes=47))
            assert str(bar.render()).startswith(f"⚠ Not synced since {bar.last_sync}: the")
        await until(pilot, lambda: not bar.trouble and bar.last_sync == shown(now[0]))
        assert bar.last_sync == shown(now[0])
    db.dispose()


async def test_trouble_that_ends_under_another_screen_clears_the_banner(settings, desk_db, db_path):
    """The file was locked with the desk in front, and came back while help was open: the
    banner goes (the news that the trouble ended reached the desk's status bar)."""
    db = impatient_db(db_path)
    app = make_app(settings, db, clock=fixed_clock, live=True, poll_interval=0.05)

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        bar = app.screen.query_one(StatusBar)
        with exclusive_lock(db_path):
            await until(pilot, lambda: bar.trouble)
            assert bar.trouble
            await pilot.press("question_mark")
            await until(pilot, lambda: app.screen is not bar.screen)
        await until(pilot, lambda: not bar.trouble)
        assert app.screen is not bar.screen  # help is still open
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is bar.screen)
        assert not bar.trouble and not bar.has_class("-trouble")
    db.dispose()


async def test_an_open_detail_shows_another_desks_change(settings, desk_db, db_path):
    """A request open in its detail view, changed by another desk: the view shows the
    change within the poll interval, as the panes do."""
    from deskterm.core import requests
    from deskterm.screens.detail import DetailScreen
    from deskterm.widgets.requests_pane import RequestsPane
    from tests.tui.test_calendar_pane import shown_text

    db = Database(str(db_path), actor=Actor("PS", "h"))
    app = make_app(settings, db, clock=fixed_clock, live=True, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2")
        shown = app.screen.query_one(RequestsPane).selected_item()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        fields = app.screen.query_one("#fields")
        await until(pilot, lambda: "Assigned to" in shown_text(fields))
        other = Database(str(db_path), actor=Actor("JL", "other-host"))
        try:
            record = requests.get_request(other, shown.id)
            assert record.assignee == "JL"  # (the small desk's): given to PS now
            requests.update_request(other, record.id, record.version, assignee="PS")
        finally:
            other.dispose()
        await until(pilot, lambda: re.search(r"Assigned to +PS", shown_text(fields)))
        assert re.search(r"Assigned to +PS", shown_text(fields))
        assert isinstance(app.screen, DetailScreen)  # still open, on the same request
    db.dispose()


async def test_a_detail_whose_read_finds_the_file_busy_says_so_and_tries_again(
    desk_app, monkeypatch
):
    """A read saves nothing: the view says the file is busy (not "nothing was saved") and
    reads again until it answers."""
    from db.errors import DatabaseBusyError
    from deskterm.screens.detail import Detail, DetailScreen
    from tests.tui.test_calendar_pane import shown_text

    monkeypatch.setattr(DetailScreen, "RETRY_EVERY_S", 0.2)
    answers = [DatabaseBusyError(["JO@desk-2"]), DatabaseBusyError()]

    def loader() -> Detail:
        if answers:
            raise answers.pop(0)
        return Detail(title="M-2026-0001", fields=[("Assigned to", "JL")])

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await app.push_screen(DetailScreen("M-2026-0001", loader))
        fields = app.screen.query_one("#fields")
        await until(pilot, lambda: "trying again" in shown_text(fields))
        text = shown_text(fields)
        assert "busy (another desk is writing); trying again" in text
        assert "nothing was saved" not in text
        await until(pilot, lambda: "Assigned to" in shown_text(fields))
        assert "Assigned to" in shown_text(fields) and answers == []


def test_to_next_minute_waits_for_the_clocks_minute_to_turn():
    from datetime import UTC, datetime

    from deskterm.widgets.timefmt import to_next_minute

    assert to_next_minute(datetime(2026, 11, 24, 10, 0, 45, tzinfo=UTC)) == 15.05
    assert round(to_next_minute(datetime(2026, 11, 24, 10, 0, 59, 900_000, tzinfo=UTC)), 2) == 0.15


async def test_the_header_and_the_panes_move_on_as_the_minute_turns(settings, desk_db):
    """The clock reads hh:59:59 when the desk opens: within a second the header shows the
    next hour and the panes are redrawn for the new minute (the header ticked every 15 s and
    the panes every 60 s from start-up)."""
    import time as wall
    from datetime import UTC, datetime, timedelta

    from deskterm.widgets.header import DeskHeader

    started = datetime(2026, 11, 24, 15, 59, 59, 0, tzinfo=UTC)
    opened: list[float] = []  # the desk's first look at the clock: however slow the start

    def clock() -> datetime:
        opened[:] = opened or [wall.monotonic()]
        return started + timedelta(seconds=wall.monotonic() - opened[0])

    app = make_app(settings, desk_db, clock=clock, live=False)
    ticks: list[datetime] = []
    original = app._minute_tick

    def minute_tick() -> None:
        ticks.append(clock())
        original()

    app._minute_tick = minute_tick  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        header = app.screen.query_one(DeskHeader)
        await until(pilot, lambda: ticks)
        assert ticks and ticks[0] - started < timedelta(seconds=3)  # at the turn, not 60 s
        await pilot.pause()
        turned = (started + timedelta(seconds=1)).astimezone(app.tz)
        assert f"{turned:%H:%M}" in str(header.render())


async def test_theme_choice_is_kept_in_the_config(settings, desk_db):
    app = make_app(settings, desk_db, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        app.theme = "nord"
        await pilot.pause()
    assert read_config_file(settings.config_path)["theme"] == "nord"
    reloaded = load_settings(db=settings.database, user="PS")
    again = make_app(reloaded, desk_db, clock=fixed_clock, live=False)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, again)
        assert again.theme == "nord"
        # the desk is the first screen, drawn in the kept theme from the start (the theme
        # is set before it is composed), its urgency colours too
        (desk,) = again.screen_stack
        assert isinstance(desk, DashboardScreen)
        nord = again.get_theme("nord").to_color_system().generate()
        assert desk.styles.background == Color.parse(nord["background"])
        assert again.pane_context("").overdue_style == f"bold {nord['error']}"


async def test_ctrl_t_opens_the_theme_picker(desk_app):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


async def test_start_up_garbage_is_frozen_after_the_first_load(desk_app):
    import gc

    from deskterm.app import GC_FULL_EVERY

    threshold = gc.get_threshold()
    app = desk_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot, app)
            await pilot.pause()
            assert app._panes_loaded
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == (*threshold[:2], GC_FULL_EVERY)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_live_loop_holds_its_first_heartbeat_until_the_desk_may_announce(desk_db, db_path):
    """A starting desk polls (reads) at once but writes its presence row only once its
    panes have loaded: the write's commit held their first reads back."""
    from db.presence import active_desks

    db = Database(str(db_path), actor=Actor("PS", "h"))
    may = threading.Event()
    polled = threading.Event()
    seen: list[int] = []
    stop = threading.Event()
    loop = LiveLoop(
        db,
        on_changes=lambda changes: None,
        on_presence=lambda desks: seen.append(len(desks)),
        on_trouble=lambda text: None,
        on_synced=polled.set,
        interval=0.02,
        may_announce=may.is_set,
    )
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        assert polled.wait(5)
        threading.Event().wait(0.2)  # ten more rounds
        assert loop.polls > 1
        assert active_desks(db) == [] and seen == []  # polled, but no row written yet
        may.set()
        for _ in range(250):
            if seen:
                break
            threading.Event().wait(0.02)
        assert [d.user for d in active_desks(db)] == ["PS"] and seen == [1]
    finally:
        stop.set()
        thread.join(5)
        db.dispose()


async def test_the_desk_announces_itself_once_its_panes_have_loaded(settings, desk_db, db_path):
    from db.presence import active_desks

    app = make_app(settings, desk_db, clock=fixed_clock, live=True, poll_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await until(pilot, lambda: bool(active_desks(desk_db)))
        assert app._panes_loaded
        assert [d.user for d in active_desks(desk_db)] == [desk_db.actor.user]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_toasts_never_cover_the_status_bar_or_the_footer(desk_app, size):
    app = desk_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await wait_loaded(pilot, app)
        for n in range(3):
            app.notify(f"toast {n} " + "word " * 30, timeout=30, markup=False)
        await pilot.pause(0.2)
        screen = app.screen
        bar = screen.query_one(StatusBar).region
        toasts = [t.region for t in screen.query("Toast")]
        assert toasts
        assert all(t.bottom <= bar.y for t in toasts), (toasts, bar)
        assert bar.bottom == size[1] - 1  # the footer is the last line


async def test_an_open_detail_counts_down_as_the_minute_turns(settings, desk_db):
    """A request's detail says how long is left: at the next minute it says so again."""
    import re as regex
    from datetime import timedelta

    from deskterm.screens.detail import DetailScreen
    from tests.tui.test_calendar_pane import shown_text

    now = [FIXED_NOW]
    app = make_app(settings, desk_db, clock=lambda: now[0], live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        fields = app.screen.query_one("#fields")
        await until(pilot, lambda: "Deadline" in shown_text(fields))
        before = regex.search(r"Deadline +(.*)", shown_text(fields)).group(1).strip()
        assert " · " in before  # the countdown beside the date
        now[0] = FIXED_NOW + timedelta(days=3, hours=5)
        app._minute_tick()
        await until(
            pilot, lambda: "Deadline" in shown_text(fields) and before not in shown_text(fields)
        )
        after = regex.search(r"Deadline +(.*)", shown_text(fields)).group(1).strip()
        assert after.split(" · ")[0] == before.split(" · ")[0]  # the same deadline, later
        assert after != before and after.endswith("‼ 3d late")
