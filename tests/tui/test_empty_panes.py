"""What a pane says when it shows nothing: why, and what to press (never "there is nothing"
when a filter or a day boundary hides what is there)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from deskterm.app import make_app
from deskterm.core import clips, feeds
from deskterm.widgets.news_pane import NewsPane
from deskterm.widgets.pane import Pane
from deskterm.widgets.requests_pane import RequestsPane
from tests.tui.conftest import FIXED_NOW, fixed_clock, settle
from tests.tui.test_desk import wait_loaded


def empty_text(pane: Pane) -> str:
    return pane.query_one(".empty", Static).render().plain


def pane_of(app, kind: type[Pane]) -> Pane:
    return app.screen.query_one(kind)


async def test_news_before_any_feed_says_how_to_add_one(settings, db):
    app = make_app(settings, db, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert empty_text(pane_of(app, NewsPane)).startswith("No stories yet. Add a feed with:")
        assert pane_of(app, NewsPane).has_class("-empty")


async def test_news_with_feeds_but_no_clip_says_f_fetches(settings, db):
    feeds.add_feed(db, url="https://news.example/rss", name="Herald")
    app = make_app(settings, db, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert empty_text(pane_of(app, NewsPane)) == (
            "No stories yet. F fetches the feeds now (H shows their health)."
        )


def desk_with_one_clip(
    settings, db, guid: str, title: str, after_midnight: timedelta, clock=fixed_clock
):
    """A desk whose one clip came out ``after_midnight`` after the fixed clock's day began
    (negative: the days before); the app, the clip and its time as the pane writes it."""
    feed = feeds.add_feed(db, url="https://news.example/rss", name="Herald")
    app = make_app(settings, db, clock=clock, live=False)
    midnight = FIXED_NOW.astimezone(app.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    clip = clips.add_clip(
        db,
        feed_id=feed.id,
        guid=guid,
        title=title,
        url=f"https://news.example/{guid}",
        published_at=midnight + after_midnight,
    )
    return app, clip, clip.published_at.astimezone(app.tz).strftime("%d %b %H:%M")


async def test_news_after_midnight_points_to_last_nights_stories(settings, db):
    """At 7 a.m. the overnight stories are not "today": the title counts yesterday's unread,
    the empty window says when the newest is from and that u (or /) shows it, and u (the
    triage queue) lists it."""
    app, late, when = desk_with_one_clip(
        settings, db, "late", "Council vote runs past midnight", timedelta(minutes=-25)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)
        assert pane.table.rows_shown == []
        assert pane._shown_title == "1 News · 0 today · 0 unread today · 1 unread yesterday (u)"
        assert empty_text(pane) == (
            f"No stories since midnight; the newest is from {when}. "
            "u shows yesterday's unread, / searches every clip, F fetches now."
        )
        await pilot.press("1", "u")  # unread only: the queue since yesterday lists it
        await settle(
            pilot, lambda: [r.key for r in pane.table.rows_shown][1:] == [f"clip-{late.id}"]
        )
        assert pane._shown_title == "1 News · 1 unread since yesterday"
        heading, row = pane.table.rows_shown
        assert (
            heading.cells[3].plain
            == f"Yesterday · {late.published_at.astimezone(app.tz):%a %d %b} · 1"
        )
        assert row.cells[1].plain == when[-5:]  # under its day's heading: the time
        clips.set_read(db, late.id)
        await pilot.press("u", "u")
        await settle(
            pilot, lambda: empty_text(pane) == "No unread stories. u shows the read ones too."
        )
        await pilot.press("u")
        await settle(pilot, lambda: "unread yesterday" not in pane._shown_title)
        assert empty_text(pane) == (
            f"No stories since midnight; the newest is from {when}. "
            "/ searches every clip, F fetches now."
        )


async def test_unread_only_says_when_the_newest_unread_is_older_than_yesterday(settings, db):
    app, _old, when = desk_with_one_clip(
        settings, db, "old", "Last week's budget hearing", timedelta(days=-3)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)
        assert "unread yesterday" not in pane._shown_title  # three days old
        await pilot.press("1", "u")
        await settle(pilot, lambda: "unread since yesterday" in pane._shown_title)
        assert pane.table.rows_shown == []
        assert empty_text(pane) == (
            f"No unread stories since yesterday; the newest unread one is from {when}. "
            "/ searches every clip, F fetches now."
        )


async def test_a_search_that_finds_nothing_says_so_literally(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)
        await pilot.press("1", "slash", *"[b]zzq[/b]")
        await settle(pilot, lambda: "found" in pane._shown_title and not pane.table.rows_shown)
        assert empty_text(pane) == (
            'No clip matches "[b]zzq[/b]" (every clip searched). escape clears the search.'
        )
        await pilot.press(*" AND")  # half-typed: a headline filter of today meanwhile
        await settle(pilot, lambda: "headline filter" in pane._shown_title)
        assert empty_text(pane) == (
            'No headline today contains "[b]zzq[/b] AND"; as a search of every clip it cannot '
            "be read: AND needs something to match on both sides (character 12)."
        )
        await pilot.press("escape")
        await settle(pilot, lambda: len(pane.table.rows_shown) == 3)
        assert not pane.has_class("-empty")


async def test_escape_clears_a_filter_kept_with_enter_then_unzooms(desk_app, desk_db):
    """enter keeps the filter and moves to the list; escape there clears it (as the empty
    pane says), and only the next escape goes on to the desk (here: out of the zoom)."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        for key, pane_type in (("1", NewsPane), ("2", RequestsPane)):
            pane = pane_of(app, pane_type)
            await pilot.press(key, "z", "slash", *"zzqq", "enter")
            await settle(pilot, lambda pane=pane: not pane.table.rows_shown)
            assert app.focused is pane.table and "filter: zzqq" in pane._shown_title
            assert "escape clears" in empty_text(pane)
            keys = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
            assert "escape" in keys  # the footer shows how to clear it
            await pilot.press("escape")
            await settle(pilot, lambda pane=pane: pane.table.rows_shown)
            assert pane.filter_text == "" and "filter:" not in pane._shown_title
            assert app.screen.maximized is pane and app.focused is pane.table
            await pilot.press("escape")
            await settle(pilot, lambda: app.screen.maximized is None)


async def test_a_requests_filter_that_matches_nothing_is_not_all_done(desk_app, desk_db):
    """18 open requests and a typo in the filter must not read "No open requests"."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, RequestsPane)
        await pilot.press("2", "slash", *"zzq")
        await settle(pilot, lambda: "filter: zzq" in pane._shown_title and pane.has_class("-empty"))
        assert empty_text(pane) == 'No open request matches "zzq". escape clears the filter.'
        await pilot.press("escape", "M")  # mine only: PS has no request
        await settle(pilot, lambda: "mine" in pane._shown_title and pane.has_class("-empty"))
        assert empty_text(pane) == "No open request matches mine only (M)."


async def test_mine_for_a_desk_user_not_on_the_staff_list_says_why(db_path, desk_db):
    """M lists the requests assigned to the desk's user; one who is not on the staff list
    gets a plain reason in the pane, not a "could not load" error over the whole list."""
    from deskterm.core.config import load_settings

    settings = load_settings(db=str(db_path), user="MP")  # not among the small desk's staff
    app = make_app(settings, desk_db, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, RequestsPane)
        await pilot.press("2", "M")
        await settle(pilot, lambda: "mine" in pane._shown_title and pane.has_class("-empty"))
        assert empty_text(pane).startswith(
            "M lists the requests assigned to you, and MP is not on the desk's staff list"
        )
        assert not any("could not load" in str(n.message) for n in app._notifications)
        await pilot.press("M")
        await settle(pilot, lambda: not pane.has_class("-empty"))


async def test_no_open_requests_at_all_says_so(settings, db):
    app = make_app(settings, db, clock=fixed_clock, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert empty_text(pane_of(app, RequestsPane)) == RequestsPane.EMPTY


async def test_a_desk_left_open_overnight_moves_news_to_the_new_day(settings, db):
    """The minute tick reloads News when the date changes: yesterday's clip is no longer
    "today" (before, it stayed so until a fetch brought a new clip)."""
    now = [FIXED_NOW]
    app, evening, _when = desk_with_one_clip(
        settings, db, "evening", "Late council session", timedelta(hours=23, minutes=30),
        clock=lambda: now[0],
    )  # fmt: skip
    now[0] = evening.published_at + timedelta(minutes=25)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)
        assert pane._shown_title == "1 News · 1 today · 1 unread today"
        app._minute_tick()  # the same day: News is not reloaded into another window
        now[0] = evening.published_at + timedelta(minutes=35)  # 00:05 the next day
        app._minute_tick()
        await settle(
            pilot,
            lambda: (
                pane._shown_title == "1 News · 0 today · 0 unread today · 1 unread yesterday (u)"
            ),
        )


async def test_lists_that_reach_before_today_put_each_day_under_a_heading(settings, db):
    """The triage queue and a search show times under day headings ("Yesterday · Mon 23
    Nov · 2"), not bare dates; today's own list has no heading; enter on a heading opens
    its first clip."""
    app, today_clip, _ = desk_with_one_clip(
        settings, db, "a", "Ferry schedule for the holiday", timedelta(hours=8, minutes=10)
    )
    feed_id = today_clip.feed_id
    midnight = today_clip.published_at - timedelta(hours=8, minutes=10)
    late, early, old = (
        clips.add_clip(
            db,
            feed_id=feed_id,
            guid=guid,
            title=title,
            url=f"https://news.example/{guid}",
            published_at=midnight + offset,
        )
        for guid, title, offset in (
            ("b", "Council budget vote runs late", timedelta(minutes=-80)),
            ("c", "Budget hearing opens", timedelta(hours=-15)),
            ("d", "Budget calendar set", timedelta(days=-400)),
        )
    )
    day = f"{late.published_at.astimezone(app.tz):%a %d %b}"
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)

        def shown() -> list[tuple[str, str]]:
            return [(r.cells[1].plain, r.cells[3].plain) for r in pane.table.rows_shown]

        assert shown() == [("08:10", "Ferry schedule for the holiday")]  # today: no heading
        await pilot.press("1", "u")
        await settle(pilot, lambda: len(shown()) == 5)
        assert shown() == [
            ("", f"Today · {today_clip.published_at.astimezone(app.tz):%a %d %b} · 1"),
            ("08:10", "Ferry schedule for the holiday"),
            ("", f"Yesterday · {day} · 2"),
            ("22:40", "Council budget vote runs late"),
            ("09:00", "Budget hearing opens"),
        ]
        pane.table.move_cursor(row=2)
        await pilot.press("enter")  # the heading: its first clip opens
        await settle(pilot, lambda: getattr(app.screen, "clip", None) is not None)
        assert app.screen.clip.id == late.id
        await pilot.press("escape", "u", "slash", *"budget")
        await settle(pilot, lambda: "found" in pane._shown_title and len(shown()) == 5)
        last_year = old.published_at.astimezone(app.tz)
        assert shown()[3:] == [
            ("", f"{last_year:%a %d %b %Y} · 1"),
            (f"{last_year:%H:%M}", "Budget calendar set"),
        ]
        assert early.id in {r.item.id for r in pane.table.rows_shown if r.key.startswith("clip-")}


async def test_a_window_cut_short_marks_its_last_days_count(settings, db, monkeypatch):
    """The window holds WINDOW clips: the day it ends in has more beyond it ("1+")."""
    from deskterm.widgets import news_pane

    monkeypatch.setattr(news_pane, "WINDOW", 2)
    app, first, _ = desk_with_one_clip(
        settings, db, "a", "Night shift at the port", timedelta(hours=-1)
    )
    for guid, hours in (("b", -2), ("c", -3)):
        clips.add_clip(
            db,
            feed_id=first.feed_id,
            guid=guid,
            title=f"Story {guid}",
            url=f"https://news.example/{guid}",
            published_at=first.published_at + timedelta(hours=hours + 1),
        )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        pane = pane_of(app, NewsPane)
        await pilot.press("1", "u")
        await settle(pilot, lambda: "unread since yesterday" in pane._shown_title)
        assert pane._shown_title == "1 News · 2+ unread since yesterday"
        heading = pane.table.rows_shown[0].cells[3].plain
        assert heading.startswith("Yesterday · ") and heading.endswith(" · 2+")
