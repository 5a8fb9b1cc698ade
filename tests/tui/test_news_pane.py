"""The News pane driven from the keyboard: triage keys, the reader, grouping, unread only,
the palette, feed health, the topic editor, fetching from a local web server, the report."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.text import Text
from sqlalchemy import select
from textual.command import CommandPalette
from textual.widgets import Static

from db.enums import EntityType
from db.models import Clip, ClipTopic, Topic
from deskterm.core import clips, feeds, requests, tasks
from deskterm.core.links import linked
from deskterm.screens.dashboard import DashboardScreen
from deskterm.screens.form import FormScreen
from deskterm.screens.pickers import PickScreen, PromptScreen
from deskterm.screens.reader import ReaderScreen
from deskterm.widgets import clip_triage
from deskterm.widgets.news_pane import NewsPane, TopicHeading
from deskterm.widgets.pane import FilterInput
from tests.tui.conftest import FIXED_NOW, HOSTILE_TITLE, settle
from tests.tui.test_desk import wait_loaded


def news(app) -> NewsPane:
    return app.screen_stack[0].query_one("#news", NewsPane) if app.screen_stack else None


def clip_titled(db, fragment: str) -> clips.ClipRecord:
    found = [c for c in clips.list_clips(db, include_hidden=True) if fragment in c.title]
    assert len(found) == 1, found
    return found[0]


async def select_clip(pilot, app, fragment: str) -> None:
    pane = news(app)
    await pilot.press("1")
    await settle(pilot, lambda: any(_is(r.item, fragment) for r in pane.table.rows_shown))
    index = next(i for i, r in enumerate(pane.table.rows_shown) if _is(r.item, fragment))
    pane.table.move_cursor(row=index)
    await pilot.pause()


def _is(item, fragment: str) -> bool:
    return isinstance(item, clips.ClipRecord) and fragment in item.title


def water_requests(db) -> list[requests.RequestRecord]:
    return [r for r in requests.list_open_requests(db, now=FIXED_NOW) if "Water" in r.subject]


def highlights(text) -> set[str]:
    """The highlighted words of a rendered Text or Content (reverse video spans)."""

    def reverse(style) -> bool:
        return "reverse" in style if isinstance(style, str) else bool(style.reverse)

    return {text.plain[s.start : s.end] for s in text.spans if reverse(s.style)}


def shown_clip(app, fragment: str) -> clips.ClipRecord | None:
    """The clip the News pane shows with this in its headline (None: not in the list)."""
    return next((r.item for r in news(app).table.rows_shown if _is(r.item, fragment)), None)


def notified(app, fragment: str) -> bool:
    return any(fragment in str(n.message) for n in app._notifications)


def add_topics(db) -> None:
    """Budget (priority 1) matched the water-main clip via "water"; Transit (2) the fares one."""
    water = clip_titled(db, "Water main")
    fares = clip_titled(db, "Transit fares")
    with db.transaction() as session:
        budget = Topic(name="Water works", query="water OR main", priority=1)
        transit = Topic(name="Transit", query="fares", priority=2)
        session.add_all([budget, transit])
        session.flush()
        session.add_all(
            [
                ClipTopic(clip_id=water.id, topic_id=budget.id, matched_terms="water\nmain"),
                ClipTopic(clip_id=fares.id, topic_id=transit.id, matched_terms="fares"),
            ]
        )


# --- triage keys in the pane --------------------------------------------------------------------


async def test_read_flag_hide_and_show_hidden(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Transit fares")
        await pilot.press("r")
        await settle(pilot, lambda: clip_titled(desk_db, "Transit fares").is_read)
        await settle(pilot, lambda: news(app).selected_item().is_read)  # reloaded, kept selected
        await pilot.press("r")
        await settle(pilot, lambda: not clip_titled(desk_db, "Transit fares").is_read)

        await pilot.press("f")
        await settle(pilot, lambda: clip_titled(desk_db, "Transit fares").flagged)
        await settle(pilot, lambda: "⚑" in news(app).table.rows_shown[1].cells[0].plain)
        with desk_db.read() as session:  # the desk's clock: the day of its clip report
            flagged_at = session.scalar(
                select(Clip.flagged_at).where(Clip.title.startswith("Transit fares"))
            )
        assert flagged_at == FIXED_NOW

        await pilot.press("x")
        await settle(pilot, lambda: clip_titled(desk_db, "Transit fares").hidden)
        await settle(pilot, lambda: len(news(app).table.rows_shown) == 2)
        assert not any(_is(r.item, "Transit") for r in news(app).table.rows_shown)
        await pilot.press("X")  # show hidden: it is back, marked, and x shows it again
        await settle(pilot, lambda: len(news(app).table.rows_shown) == 3)
        headlines = [r.cells[3].plain for r in news(app).table.rows_shown]
        assert [h for h in headlines if h.startswith("hidden · ")] == [
            next(h for h in headlines if "Transit fares" in h)
        ]
        await select_clip(pilot, app, "Transit fares")
        await pilot.press("x")
        await settle(pilot, lambda: not clip_titled(desk_db, "Transit fares").hidden)


async def test_assign_and_correction_from_the_keyboard(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Water main")
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        for _ in range(values.index("JL")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").assignee == "JL")
        await settle(pilot, lambda: news(app).selected_item().assignee == "JL")
        assert news(app).table.rows_shown[2].cells[4].plain == "JL"
        table = news(app).table  # and drawn: the Who column shows in the 2x2 grid at 120 wide
        row = table.rows_shown.index(news(app).table.selected())
        await settle(pilot, lambda: "Who" in table.render_line(0).text)
        assert table.render_line(row + 1 - table.scroll_offset.y).text.rstrip().endswith("JL")

        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Main broke on 6th [not 5th]", "enter")
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").needs_correction)
        assert clip_titled(desk_db, "Water main").correction_note == "Main broke on 6th [not 5th]"
        await settle(pilot, lambda: "✎" in news(app).table.rows_shown[2].cells[0].plain)

        await pilot.press("c")  # prefilled with the note; emptying it clears the mark
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        from textual.widgets import Input

        assert app.screen.query_one(Input).value == "Main broke on 6th [not 5th]"
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await settle(pilot, lambda: not clip_titled(desk_db, "Water main").needs_correction)


async def test_a_stale_assignment_is_refused_and_reloaded(desk_app, desk_db, db_path):
    from tests.tui.conftest import other_desk

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Water main")
        shown = news(app).selected_item()
        other = other_desk(db_path)
        clips.set_flagged(other, shown.id, True)  # another desk moves the clip on meanwhile
        other.dispose()
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: notified(app, "another desk changed this clip"))
        assert clip_titled(desk_db, "Water main").assignee is None
        await settle(pilot, lambda: news(app).selected_item().flagged)  # reloaded


async def test_unread_only_and_group_by_topic(desk_app, desk_db):
    add_topics(desk_db)
    clips.set_read(desk_db, clip_titled(desk_db, "Transit fares").id, True)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("u")
        await settle(pilot, lambda: len(news(app).table.rows_shown) == 2)
        assert news(app)._shown_title.endswith("2 unread since yesterday")
        await pilot.press("u", "v")
        await settle(pilot, lambda: "by topic" in news(app)._shown_title)
        rows = news(app).table.rows_shown
        headings = [r.item.name for r in rows if isinstance(r.item, TopicHeading)]
        assert headings == ["Water works", "Transit", "No topic"]  # by priority, the rest last
        layout = [
            r.item.name if isinstance(r.item, TopicHeading) else r.item.title[:7] for r in rows
        ]
        assert layout == ["Water works", "Water m", "Transit", "Transit", "No topic", "[bold]B"]
        news(app).table.move_cursor(row=2)
        await pilot.press("enter")  # a heading opens its first clip
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        assert app.screen.clip.title.startswith("Transit")
        assert news(app).table.cursor_row == 3  # the cursor went with it
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("v")
        await settle(pilot, lambda: "by topic" not in news(app)._shown_title)
        assert not any(isinstance(r.item, TopicHeading) for r in news(app).table.rows_shown)


# --- clip -> request / task ---------------------------------------------------------------------


async def test_m_makes_a_linked_media_request_prefilled_from_the_clip(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Water main")
        clip = news(app).selected_item()
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        values = app.screen.values()
        assert values["outlet"] == "Alder Daily Herald"
        assert values["subject"] == "Water main break on 5th Ave"
        assert values["kind"] == "media"
        assert values["language"] == ""  # empty: the outlet's, else the clip's, else en
        app.screen.query_one("#requester").value = "Rita Ames"
        app.screen.query_one("#deadline").value = "today 17:00"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        made = [
            r for r in requests.list_open_requests(desk_db, now=FIXED_NOW) if "Water" in r.subject
        ]
        assert len(made) == 1
        assert made[0].requester == "Rita Ames"
        assert made[0].language == "en"  # a feed of no outlet, its clips of no language
        assert made[0].deadline_at is not None
        assert [(i.type, i.id) for i in linked(desk_db, "clip", clip.id)] == [
            (EntityType.REQUEST, made[0].id)
        ]
        await settle(
            pilot, lambda: notified(app, f"logged {made[0].number} from the clip (linked)")
        )
        # the Requests pane shows it without waiting for the live loop
        await settle(
            pilot,
            lambda: any(
                "Water main" in r.item.subject
                for r in app.screen.query_one("#requests").table.rows_shown
            ),
        )


async def test_a_bad_request_form_keeps_what_was_typed(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Water main")
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        app.screen.query_one("#deadline").value = "yesterday"
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "past" in app.screen.query_one("#deadline-error").render().plain
        )
        assert app.screen.values()["deadline"] == "yesterday"
        assert app.screen.values()["subject"] == "Water main break on 5th Ave"
        assert not [
            r for r in requests.list_open_requests(desk_db, now=FIXED_NOW) if "Water" in r.subject
        ]


async def test_t_makes_a_linked_task(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Transit fares")
        clip = news(app).selected_item()
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        assert app.screen.values()["title"] == "Respond: Transit fares frozen for 2027"
        app.screen.query_one("#owner").value = "JL"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        made = [t for t in tasks.list_tasks(desk_db) if t.title.startswith("Respond: Transit")]
        assert len(made) == 1 and made[0].owner == "JL"
        assert "https://news.example/1" in made[0].body
        assert [(i.type, i.id) for i in linked(desk_db, "clip", clip.id)] == [
            (EntityType.TASK, made[0].id)
        ]


# --- the link ---------------------------------------------------------------------------------


async def test_o_opens_the_link_off_the_ui_thread_and_y_copies_it(desk_app, monkeypatch):
    calls: list[tuple[str, str]] = []

    def fake_browser(url: str) -> bool:
        calls.append((url, threading.current_thread().name))
        return True

    monkeypatch.setattr(clip_triage, "open_in_browser", fake_browser)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Transit fares")
        await pilot.press("o")
        await settle(pilot, lambda: bool(calls))
        assert calls[0][0] == "https://news.example/1"
        assert calls[0][1] != threading.main_thread().name
        await settle(pilot, lambda: notified(app, "opened https://news.example/1"))
        await pilot.press("y")
        await settle(pilot, lambda: app.clipboard == "https://news.example/1")
        monkeypatch.setattr(clip_triage, "open_in_browser", lambda url: False)
        await pilot.press("o")
        await settle(pilot, lambda: notified(app, "could not open the link"))


# --- the palette ------------------------------------------------------------------------------


async def test_the_palette_reaches_the_news_actions(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Transit fares")
        await pilot.press("2", "ctrl+p")  # from another pane: the action runs on News
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"News: Flag")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, lambda: clip_titled(desk_db, "Transit fares").flagged)
        titles = {
            title
            for title, _help, _callback in _palette_commands(app)
            if title.startswith("News: ")
        }
        for action in (
            "Read/unread", "Flag", "Hide", "Assign", "Needs correction", "Media request",
            "Task", "Open link", "Copy link", "Unread only", "Group by topic/time",
            "Show hidden", "Feed health", "Topics", "Clip report",
        ):  # fmt: skip
            assert f"News: {action}" in titles
        assert "Fetch feeds" in {title for title, _h, _c in _palette_commands(app)}


def _palette_commands(app):
    from deskterm.commands import DeskCommands

    provider = DeskCommands(app.screen_stack[0])
    return provider._commands()


# --- the reader ---------------------------------------------------------------------------------


def reader_text(app, part: str) -> str:
    widget = app.screen.query_one(f"#reader-{part}", Static)
    shown = widget.render()
    return shown.plain if isinstance(shown, Text) else str(shown)


def add_syndicated_copy(db) -> None:
    """KPAC ran the water-main story half an hour later: the same story, another outlet."""
    from db.models import Clip

    original = clip_titled(db, "Water main")
    feed = feeds.add_feed(db, url="https://kpac.example/rss", name="KPAC")
    copy = clips.add_clip(
        db,
        feed_id=feed.id,
        guid="kpac-1",
        title="Main break floods Fifth Avenue",
        url="https://kpac.example/1",
        published_at=original.published_at + timedelta(minutes=30),
    )
    with db.transaction() as session:
        session.get(Clip, original.id).title_key = "water main break"
        row = session.get(Clip, copy.id)
        row.title_key = "water main break"
        row.story_id = original.id


async def test_the_reader_shows_the_clip_and_triages_it(desk_app, desk_db):
    add_topics(desk_db)
    add_syndicated_copy(desk_db)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Water main")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        screen = app.screen
        await settle(pilot, lambda: screen.view is not None)
        assert clip_titled(desk_db, "Water main").is_read  # opening marks it read
        await settle(pilot, lambda: shown_clip(app, "Water main").is_read)
        headline = screen.query_one("#reader-headline", Static).render()
        assert headline.plain == "Water main break on 5th Ave"
        assert highlights(headline) == {"Water", "main"}
        fields = reader_text(app, "fields")
        assert "Outlet      Alder Daily Herald" in fields
        assert "Published   Tue 24 Nov 2026 08:30" in fields
        assert "Topics      P1 Water works (water, main)" in fields
        assert "Link        https://news.example/2" in fields
        assert "read · nobody assigned" in fields
        sections = reader_text(app, "sections")
        assert (
            "Also in\n  KPAC · Tue 24 Nov 2026 09:00 · Main break floods Fifth Avenue" in sections
        )
        assert "Linked\n  (nothing yet" in sections
        body = screen.query_one("#reader-body", Static).render()
        assert body.plain == "Summary 2 [i]not markup[/i]"

        await pilot.press("f")
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").flagged)
        await settle(pilot, lambda: screen.clip.flagged)
        await pilot.press("r")
        await settle(pilot, lambda: not clip_titled(desk_db, "Water main").is_read)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        for _ in range(values.index("PS")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").assignee == "PS")
        await settle(pilot, lambda: screen.clip.assignee == "PS")
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"It was 6th Ave", "ctrl+s")  # ctrl+s saves, as in every form
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").needs_correction)
        await settle(pilot, lambda: screen.clip.needs_correction)
        fields = reader_text(app, "fields")
        assert "⚑ flagged for the report · handled by PS" in fields
        assert "Correction  ✎ needed: It was 6th Ave" in fields
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        assert app.screen.values()["title"].startswith("Correction request: Water main")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen)
        await settle(pilot, lambda: "task: Correction request" in reader_text(app, "sections"))
        await pilot.press("x")
        await settle(pilot, lambda: clip_titled(desk_db, "Water main").hidden)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await settle(pilot, lambda: shown_clip(app, "Water main") is None)


async def test_the_reader_steps_through_the_list(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("1", "u", "enter")  # unread only: a read clip leaves the list
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        screen = app.screen
        await settle(pilot, lambda: screen.view is not None)
        first = screen.clip.title
        await pilot.press("right_square_bracket")
        await settle(pilot, lambda: screen.view is not None and screen.view.clip.title != first)
        second = screen.clip.title
        assert second == "Transit fares frozen for 2027"
        await pilot.press("right_square_bracket")
        await settle(pilot, lambda: screen.view.clip.title.startswith("Water"))
        await pilot.press("right_square_bracket")
        await settle(pilot, lambda: notified(app, "No more clips"))
        await pilot.press("escape")
        await settle(pilot, lambda: clips.count_unread(desk_db) == 0)
        await settle(pilot, lambda: news(app).table.rows_shown == [])


async def test_hostile_text_is_shown_literally(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        row = news(app).table.rows_shown[0]
        assert row.cells[3].plain == "[bold]Budget[/bold] vote tonight [link=http://x]click[/link]"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await settle(pilot, lambda: app.screen.view is not None)
        headline = app.screen.query_one("#reader-headline", Static).render()
        assert headline.plain == "[bold]Budget[/bold] vote tonight [link=http://x]click[/link]"
        assert "\x1b" not in headline.plain
        body = reader_text(app, "body")
        assert "[i]not markup[/i]" in body
        assert headline.plain != HOSTILE_TITLE  # the escape sequence was dropped at ingest


# --- search ---------------------------------------------------------------------------------


async def test_slash_searches_every_clip_and_falls_back_on_a_half_typed_query(desk_app, desk_db):
    old = clips.add_clip(
        desk_db,
        feed_id=clip_titled(desk_db, "Transit").feed_id,
        guid="last-week",
        title="Fares committee meets",
        url="https://news.example/old",
        summary="Bus fares were discussed.",
        published_at=FIXED_NOW - timedelta(days=7),
    )
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert not any(r.item.id == old.id for r in news(app).table.rows_shown)  # not today
        await pilot.press("1", "slash", *"fares")
        await settle(pilot, lambda: "found" in news(app)._shown_title)
        shown = [(r.cells[1].plain, r.cells[3].plain) for r in news(app).table.rows_shown]
        week_ago = old.published_at.astimezone(app.tz)
        assert shown == [  # each day under its heading, the clips with their times
            ("", "Today · Tue 24 Nov · 1"),
            ("09:00", "Transit fares frozen for 2027"),
            ("", f"{week_ago:%a %d %b} · 1"),
            (f"{week_ago:%H:%M}", "Fares committee meets"),
        ]
        drawn = news(app).table.render_line(3).text  # header, two rows, this heading
        assert f"{week_ago:%a %d %b} · 1" in drawn
        await pilot.press("enter", "enter")  # keep the search, open the first match
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await settle(pilot, lambda: app.screen.view is not None)
        headline = app.screen.query_one("#reader-headline", Static).render()
        assert highlights(headline) == {"fares"}  # what was searched for, highlighted
        await pilot.press("escape", "slash")
        await pilot.press(*" AND")  # half-typed: the headline filter meanwhile, no error
        await settle(pilot, lambda: "headline filter" in news(app)._shown_title)
        assert not notified(app, "could not load")
        assert not notified(app, "cannot be read")  # not while typing
        await pilot.press("enter")  # done typing: what is wrong, and the text stays to fix
        await settle(pilot, lambda: notified(app, "cannot be read"))
        assert notified(
            app, "This search cannot be read: AND needs something to match on both sides"
        )
        field = news(app).query_one(FilterInput)
        assert app.focused is field and field.value == " AND"  # (it replaced "fares")
        await pilot.press(*["backspace"] * 4, *"fares", "enter")
        await settle(pilot, lambda: "found" in news(app)._shown_title)
        assert app.focused is news(app).table
        await pilot.press("escape")
        await settle(pilot, lambda: len(news(app).table.rows_shown) == 3)


# --- feeds: fetch, health, report, topics ----------------------------------------------------


def rss_feed(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS document; items are (guid, title, description), published at 14:00 UTC."""
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><guid>{escape(guid)}</guid><title>{escape(headline)}</title>"
        f"<link>https://news.example/{escape(guid)}</link>"
        f"<description>{escape(text)}</description>"
        "<pubDate>Tue, 24 Nov 2026 14:00:00 GMT</pubDate></item>"
        for guid, headline, text in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<description>d</description>{body}</channel></rss>"
    ).encode()


@pytest.fixture
def feed_site(tmp_path: Path) -> Iterator[str]:
    """A web server on 127.0.0.1 serving feed files; /slow.xml answers after a second."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "herald.xml").write_bytes(
        rss_feed(
            "Herald",
            [
                ("h1", "Council debates the school levy", "The levy vote is on Friday."),
                ("h2", "[red]Library[/red] hours \x1b[2Jextended", "More hours."),
            ],
        )
    )
    (site / "slow.xml").write_bytes(
        rss_feed("Radio", [("r1", "Levy opponents rally", "A rally against the levy.")])
    )

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/slow.xml":
                import time

                time.sleep(1.0)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(site))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetch_desk(db, feed_site):
    """Staff, a priority-1 topic, two working feeds and a broken one, nothing fetched yet."""
    from deskterm.core.staff import add_staff
    from deskterm.core.topics import add_topic

    add_staff(db, initials="PS", name="Pat Sandoval", role="press_secretary", can_approve=True)
    add_topic(db, name="School levy", query="levy", priority=1)
    feeds.add_feed(db, url=f"{feed_site}/herald.xml", name="Herald")
    feeds.add_feed(db, url=f"{feed_site}/slow.xml", name="Radio")
    feeds.add_feed(db, url=f"{feed_site}/gone.xml", name="Broken feed")
    return db


@pytest.fixture
def fetch_app(settings, fetch_desk):
    from deskterm.app import make_app
    from tests.tui.conftest import fixed_clock

    return make_app(settings, fetch_desk, clock=fixed_clock, live=False)


def status_progress(app) -> str:
    return app.screen_stack[0].query_one("StatusBar").progress


async def test_fetch_key_progress_summary_and_priority_alert(fetch_app, fetch_desk, monkeypatch):
    from deskterm import fetcher
    from deskterm.screens.feed_health import FeedHealthScreen

    # The status bar shows the progress once a second and the slow feed answers after one:
    # a tick could miss every count (one run in ~6 failed). Five ticks a second here.
    monkeypatch.setattr(fetcher, "PROGRESS_EVERY", 0.2)
    app = fetch_app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        assert news(app).table.rows_shown == []
        await pilot.press("F")
        await settle(pilot, lambda: status_progress(app).startswith("fetching"))
        seen: set[str] = set()

        def finished() -> bool:
            seen.add(status_progress(app))
            return not app.fetcher.running

        await settle(pilot, finished, tries=1500)
        # a count and the feed just done, before the slow feed ends the fetch (on a busy
        # machine the quick feeds may end together with it, so which count is not fixed)
        counted = {p for p in seen if re.fullmatch(r"fetching [12]/3 · (Herald|Broken feed)", p)}
        assert counted, seen
        assert status_progress(app) == "fetched 10:00: 3 new, 1 failing (H)"
        await settle(pilot, lambda: notified(app, "fetched 3 feeds: 3 new clips, 1 failed"))
        alerts = [n for n in app._notifications if n.title == "High-priority news"]
        assert len(alerts) == 1  # one notification per fetch
        assert "School levy: Council debates the school levy" in alerts[0].message
        assert "School levy: Levy opponents rally" in alerts[0].message
        await settle(pilot, lambda: len(news(app).table.rows_shown) == 3)  # reloaded at once
        hostile = shown_clip(app, "Library")
        assert hostile.title == "[red]Library[/red] hours extended"
        await pilot.press("F", "F")  # a second press while one runs: told, never two at once
        await settle(pilot, lambda: notified(app, "already running"))
        await settle(pilot, lambda: not app.fetcher.running, tries=1500)

        await pilot.press("H")
        await settle(pilot, lambda: isinstance(app.screen, FeedHealthScreen))
        health = app.screen
        await settle(pilot, lambda: bool(health.feeds))
        assert [(f.name, f.problem) for f in health.feeds] == [
            ("Broken feed", "failing"),
            ("Herald", "warning"),  # the escape sequence in a title: XML read loosely
        ]
        rows = health.query_one("#health-table").rows_shown
        assert rows[0].cells[0].plain == "‼ failing"
        assert "404" in rows[0].cells[3].plain
        await pilot.press("F")  # fetch just the listed feeds again
        again = "fetched 2 feeds: 0 new clips, 1 unchanged, 1 failed"
        await settle(pilot, lambda: notified(app, again), tries=1500)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_report_key_writes_the_days_report(desk_app, desk_db, settings):
    clips.set_flagged(desk_db, clip_titled(desk_db, "Transit fares").id, True, now=FIXED_NOW)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("1", "D")
        await settle(pilot, lambda: notified(app, "clip report written to"))
        folder = settings.report_folder()
        written = sorted(p.name for p in folder.iterdir())
        assert written == [
            "clip-report-2026-11-24.eml",
            "clip-report-2026-11-24.html",
            "clip-report-2026-11-24.md",
        ]
        markdown = (folder / "clip-report-2026-11-24.md").read_text(encoding="utf-8")
        assert "Transit fares frozen for 2027" in markdown
        assert "Water main" not in markdown  # not flagged
        assert str(folder) in next(
            str(n.message) for n in app._notifications if "clip report" in str(n.message)
        )


async def test_report_key_says_the_email_has_no_recipients_and_is_from_the_user(
    desk_db, settings, db_path
):
    """No report_recipients: the notification says so in its one line, the .eml is
    written all the same (no To:), from the desk user's e-mail on the staff list."""
    from dataclasses import replace
    from email import message_from_bytes
    from email.policy import default as default_policy

    from db.engine import Actor, Database
    from deskterm.app import make_app
    from deskterm.core.staff import add_staff
    from tests.tui.conftest import fixed_clock

    add_staff(
        desk_db, initials="MR", name="María Rodríguez", role="pio",
        email="mrodriguez@portalder.example",
    )  # fmt: skip
    clips.set_flagged(desk_db, clip_titled(desk_db, "Transit fares").id, True, now=FIXED_NOW)
    as_mr = replace(settings, user="MR")
    assert as_mr.report_recipients == ()
    db = Database(str(db_path), actor=Actor("MR", "mr-host"))
    try:
        app = make_app(as_mr, db, clock=fixed_clock, live=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_loaded(pilot, app)
            await pilot.press("1", "D")
            await settle(pilot, lambda: notified(app, "clip report written to"))
            folder = as_mr.report_folder()
            (said,) = [n for n in app._notifications if "clip report" in str(n.message)]
            assert str(said.message) == (
                f"clip report written to {folder}: clip-report-2026-11-24.md, "
                "clip-report-2026-11-24.html, clip-report-2026-11-24.eml; "
                "no recipients set: add report_recipients to the config"
            )
            assert said.severity == "warning"
        eml = (folder / "clip-report-2026-11-24.eml").read_bytes()
        message = message_from_bytes(eml, policy=default_policy)
        assert message["To"] is None
        sender = message["From"].addresses[0]
        assert (sender.display_name, sender.addr_spec) == (
            "María Rodríguez",
            "mrodriguez@portalder.example",
        )
    finally:
        db.dispose()


async def test_topic_editor_adds_and_edits_and_keeps_a_bad_rule(desk_app, desk_db):
    from textual.widgets import Input

    from deskterm.core.topics import list_topics
    from deskterm.screens.topics import TopicsScreen

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("1", "T")
        await settle(pilot, lambda: isinstance(app.screen, TopicsScreen))
        topics_screen = app.screen
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        form.query_one("#name", Input).value = "Water [works]"
        form.query_one("#query", Input).value = '(water AND "main break"'
        await pilot.press("ctrl+s")
        error = form.query_one("#query-error", Static)
        await settle(pilot, lambda: error.render().plain != "")
        assert app.screen is form  # refused at the field, what was typed is still there
        assert form.values()["query"] == '(water AND "main break"'
        assert form.values()["name"] == "Water [works]"
        assert list_topics(desk_db) == []
        form.query_one("#query", Input).value = 'water AND "main break"'
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is topics_screen)
        await settle(pilot, lambda: len(list_topics(desk_db)) == 1)
        await settle(pilot, lambda: notified(app, "re-matched"))
        assert notified(app, "1 tagged")  # the water-main clip, tagged at once
        topic = list_topics(desk_db)[0]
        assert (topic.name, topic.priority, topic.enabled) == ("Water [works]", 2, True)
        table = topics_screen.query_one("#topics-table")
        await settle(pilot, lambda: len(table.rows_shown) == 1)
        assert table.rows_shown[0].cells[1].plain == "Water [works]"
        assert table.rows_shown[0].cells[4].plain == "1"  # matches today

        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        assert app.screen.values()["query"] == 'water AND "main break"'
        app.screen.query_one("#priority").value = "1"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: list_topics(desk_db)[0].priority == 1)
        assert list_topics(desk_db)[0].version == topic.version + 1

        await pilot.press("space")
        await settle(pilot, lambda: not list_topics(desk_db)[0].enabled)
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("j", "enter")
        await settle(pilot, lambda: list_topics(desk_db) == [])
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


def test_without_a_graphical_session_no_browser_takes_over_the_terminal(monkeypatch):
    import webbrowser

    def must_not_run(url: str) -> bool:
        raise AssertionError("a text browser would take over the desk's terminal")

    monkeypatch.setattr(webbrowser, "open", must_not_run)
    monkeypatch.setattr(clip_triage.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert clip_triage.system_browser("https://news.example/1") is False
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.setenv("DISPLAY", ":0")
    assert clip_triage.system_browser("https://news.example/1") is True
    assert opened == ["https://news.example/1"]


async def test_the_schedule_fetches_without_a_key_and_rearms(settings, fetch_desk, monkeypatch):
    from deskterm import fetcher
    from deskterm.app import make_app
    from tests.tui.conftest import fixed_clock

    monkeypatch.setattr(fetcher, "FIRST_FETCH_AFTER", 0.1)
    app = make_app(settings, fetch_desk, clock=fixed_clock, live=True, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await settle(pilot, lambda: app.fetcher.last_summary is not None, tries=1500)
        assert app.fetcher.last_summary.new_clips == 3  # every feed was due: never fetched
        assert app.fetcher._next is not None  # the next one armed only now (no overlap)
        assert not app.fetcher.running
        first = feed_notes(app)
        assert len(first) == 1 and first[0].startswith("fetched 3 feeds: 3 new clips")

        app.fetcher.last_summary = None
        app.fetcher._on_schedule()  # the next round: no feed is due yet
        await settle(pilot, lambda: app.fetcher.last_summary is not None, tries=1500)
        assert app.fetcher.last_summary.new_clips == 0
        assert feed_notes(app) == first  # no news, no failure (the failing feed backs off)
        assert app.status_bar.progress.endswith(": 0 new")  # the status bar shows this run

        await pilot.press("F")  # asked for: always answered
        await settle(pilot, lambda: len(feed_notes(app)) == 2, tries=1500)


def feed_notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Feeds"]


async def test_the_desk_starts_the_fetch_process_server_before_its_first_fetch(
    settings, fetch_desk, monkeypatch
):
    """A scheduled desk starts the fetch children's forkserver early (PREPARE_AFTER), so
    its first fetch does not wait for the fetch pipeline's imports."""
    from deskterm import fetcher
    from deskterm.app import make_app
    from deskterm.core import fetcher as core_fetcher
    from tests.tui.conftest import fixed_clock

    prepared: list[str] = []
    monkeypatch.setattr(fetcher, "PREPARE_AFTER", 0.05)
    monkeypatch.setattr(fetcher, "FIRST_FETCH_AFTER", 3600)
    monkeypatch.setattr(
        core_fetcher, "prepare_fetch_process", lambda: prepared.append("forkserver")
    )
    app = make_app(settings, fetch_desk, clock=fixed_clock, live=True, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await settle(pilot, lambda: prepared == ["forkserver"])
        assert not app.fetcher.running  # prepared, not fetched


async def test_the_reader_follows_another_desks_change(desk_app, desk_db, db_path):
    from tests.tui.conftest import other_desk

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select_clip(pilot, app, "Transit fares")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ReaderScreen))
        await settle(pilot, lambda: app.screen.view is not None)
        other = other_desk(db_path)
        clip = clips.get_clip(other, app.screen.clip.id)
        clips.assign_clip(other, clip.id, clip.version, "JL")
        other.dispose()
        app.post_message(app.Changed(frozenset({"clips"})))  # what the live loop posts
        await settle(pilot, lambda: "handled by JL" in reader_text(app, "fields"))
