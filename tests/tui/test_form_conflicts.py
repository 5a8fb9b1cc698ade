"""The card, event, contact and topic forms when another desk saved the record first: the
conflict view (theirs against mine, per field), reload theirs, apply mine on top of theirs (a
new versioned, audited write; a topic's new rule re-matches clips), back to the form with what
was typed kept; removing a topic another desk changed; and errors in a tall form scrolled into
view with their field focused."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from textual.containers import VerticalScroll
from textual.widgets import Static, TextArea

from db.models import AuditLog, ClipTopic
from deskterm.core import calendar, contacts, tasks, topics
from deskterm.core.calendar_edits import edit_occurrence
from deskterm.screens import contacts as contacts_screen
from deskterm.screens import event_form, task_form
from deskterm.screens.conflict import ConflictScreen
from deskterm.screens.contacts import MediaForm
from deskterm.screens.form import FormScreen
from deskterm.screens.pickers import PickScreen
from deskterm.screens.topics import TopicsScreen, topic_fields
from tests.tui.conftest import FIXED_NOW, other_desk, settle
from tests.tui.test_board import card, open_board, select_card
from tests.tui.test_calendar_pane import select_in_grid, zoom_calendar
from tests.tui.test_contacts_screen import open_contacts
from tests.tui.test_desk import wait_loaded
from tests.tui.test_news_pane import add_topics, clip_titled, notified


def last_update(db, entity: str, entity_id: int) -> tuple[str, set[str]]:
    """Who made the newest audited update of a record, and which fields it changed."""
    with db.read() as session:
        user, changes = session.execute(
            select(AuditLog.user, AuditLog.changes)
            .where(
                AuditLog.entity == entity,
                AuditLog.entity_id == entity_id,
                AuditLog.action == "update",
            )
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).one()
    return user, set(json.loads(changes))


def text_of(widget: Static) -> str:
    return str(widget.render())


async def save_into_conflict(pilot, app) -> ConflictScreen:
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: isinstance(app.screen, ConflictScreen))
    return app.screen


def type_into(form: FormScreen, typed: dict[str, str]) -> None:
    for key, text in typed.items():
        widget = form.query_one(f"#{key}")
        if isinstance(widget, TextArea):
            widget.text = text
        else:
            widget.value = text


# --- the three forms: how to open each, what the other desk saves, what I type -----------------


async def edit_selected(pilot, app, form: type[FormScreen] = FormScreen) -> FormScreen:
    await pilot.press("e")
    await settle(pilot, lambda: isinstance(app.screen, form))
    return app.screen


async def open_card_form(pilot, app) -> FormScreen:
    board = await open_board(pilot, app)
    await select_card(pilot, board, "Statement on water main")
    return await edit_selected(pilot, app)


def jl_renames_the_card(jl, db) -> tasks.TaskRecord:
    before = card(db, "Statement on water main")
    return tasks.update_task(
        jl, before.id, before.version, title="Statement on water main (JL)", owner="JL"
    )


async def open_event_form(pilot, app) -> FormScreen:
    pane = await zoom_calendar(pilot, app)
    await select_in_grid(pilot, pane, "Mayor's press conference")
    return await edit_selected(pilot, app)


def jl_moves_the_event(jl, db) -> calendar.EventRecord:
    day = timedelta(days=1)
    found = calendar.occurrences(db, FIXED_NOW - day, FIXED_NOW + day)
    before = next(o for o in found if o.title == "Mayor's press conference")
    event = calendar.get_event(db, before.event_id)
    return edit_occurrence(
        jl, event.id, event.starts_at, "all", event.version, location="Council chambers"
    )


def event_texts(event: calendar.EventRecord, _tz) -> dict[str, str]:
    return event_form.draft_texts(event_form.draft_from_record(event))


async def open_contact_form(pilot, app) -> MediaForm:
    await open_contacts(pilot, app)
    await pilot.press("down")  # to the list: Dana Whitfield, the first
    return await edit_selected(pilot, app, MediaForm)


def colleague_edits_dana(jl, db) -> contacts.ContactRecord:
    dana = contacts.find_contact(db, "dana@kpac.example")
    return contacts.update_contact(jl, dana.id, dana.version, beat="schools", phone="555-0100")


def contact_texts(contact: contacts.ContactRecord, _tz) -> dict[str, str]:
    return {spec.name: spec.value for spec in contacts_screen._reporter_fields(contact)}


async def open_topics(pilot, app) -> TopicsScreen:
    """The topic list (Water works, priority 1, selected first; then Transit)."""
    await wait_loaded(pilot, app)
    await pilot.press("1", "T")
    await settle(pilot, lambda: isinstance(app.screen, TopicsScreen))
    screen = app.screen
    await settle(pilot, lambda: len(screen.query_one("#topics-table").rows_shown) == 2)
    return screen


async def open_topic_form(pilot, app) -> FormScreen:
    add_topics(app.db)
    await open_topics(pilot, app)
    return await edit_selected(pilot, app)


def jl_renames_the_topic(jl, db) -> topics.TopicRecord:
    before = topics.find_topic(db, "Water works")
    return topics.update_topic(jl, before.id, before.version, name="Water works (JL)")


def topic_texts(topic: topics.TopicRecord, _tz) -> dict[str, str]:
    return {spec.name: spec.value for spec in topic_fields(topic)}


def tagged(db, topic_id: int) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(ClipTopic.clip_id).where(ClipTopic.topic_id == topic_id)))


@dataclass(frozen=True)
class Case:
    open: Callable[..., Awaitable[FormScreen]]
    theirs: Callable[..., Any]  # the other desk's save: (their database, mine) -> record
    get: Callable[..., Any]  # the stored record: (database, id)
    texts: Callable[..., dict[str, str]]  # a record as its form reads: (record, tz)
    typed: dict[str, str]  # what I type, on the version I opened
    their_field: tuple[str, str]  # a field only they changed, and its text now
    name: str  # how the conflict view names the record
    entity: str  # its audit rows
    written: set[str]  # the columns "apply mine" writes


CASES = {
    "card": Case(
        open_card_form,
        jl_renames_the_card,
        tasks.get_task,
        task_form.card_texts,
        {"title": "Statement on the water main break", "due": "2026-11-25 12:00"},
        ("owner", "JL"),
        "card “Statement on water main (JL)”",
        "tasks",
        {"title", "due_at"},
    ),
    "event": Case(
        open_event_form,
        jl_moves_the_event,
        calendar.get_event,
        event_texts,
        {"title": "Mayor's press conference (budget)", "notes": "bring the charts"},
        ("location", "Council chambers"),
        "event “Mayor's press conference”",
        "events",
        {"title", "notes"},
    ),
    "contact": Case(
        open_contact_form,
        colleague_edits_dana,
        contacts.get_contact,
        contact_texts,
        {
            "beat": "City Hall and budget",
            "notes": "Prefers email.\nCalls back fast.\nAsk about ferries.",
        },
        ("phone", "555-0100"),
        "contact “Dana Whitfield”",
        "contacts",
        {"beat", "notes"},
    ),
    "topic": Case(
        open_topic_form,
        jl_renames_the_topic,
        topics.get_topic,
        topic_texts,
        {"query": "main OR [b]fares[/b]", "priority": "3"},
        ("name", "Water works (JL)"),
        "topic “Water works (JL)”",
        "topics",
        {"query", "priority"},
    ),
}


async def conflict_after_typing(pilot, app, case: Case, db, db_path) -> tuple[Any, Any, Any]:
    """Open the form, let JL save the record, type mine over the version I opened, save."""
    form = await case.open(pilot, app)
    jl = other_desk(db_path)
    try:
        theirs = case.theirs(jl, db)
    finally:
        jl.dispose()
    type_into(form, case.typed)
    view = await save_into_conflict(pilot, app)
    return form, theirs, view


@pytest.mark.parametrize("which", list(CASES))
async def test_conflict_shows_both_back_keeps_mine_and_m_applies_it(
    which, desk_app, media_db, db_path
):
    case = CASES[which]
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        form, theirs, view = await conflict_after_typing(pilot, app, case, media_db, db_path)
        rows = {row.field: row for row in view.rows()}
        field, their_text = case.their_field
        assert set(rows) == {*case.typed, field}  # mine, then theirs: per field
        assert all(
            rows[key].mine == text and rows[key].mine_changed for key, text in case.typed.items()
        )
        assert rows[field].theirs == their_text and not rows[field].mine_changed
        assert f"{case.name} was saved by someone else" in text_of(view.query_one("#heading"))
        assert case.get(media_db, theirs.id) == theirs  # nothing of mine saved

        await pilot.press("escape")  # back to the form: everything typed is still there
        await settle(pilot, lambda: app.screen is form)
        assert {key: form.values()[key] for key in case.typed} == case.typed
        assert "your edit is still here" in text_of(form.query_one("#form-error"))

        await save_into_conflict(pilot, app)
        await pilot.press("m")  # apply mine on top of theirs
        await settle(pilot, lambda: not isinstance(app.screen, (ConflictScreen, FormScreen)))
        stored = case.get(media_db, theirs.id)
        final = case.texts(stored, app.tz)
        assert {key: final[key] for key in case.typed} == case.typed  # mine
        assert final[field] == their_text  # theirs kept
        assert stored.version == theirs.version + 1
        user, written = last_update(media_db, case.entity, theirs.id)
        assert user == media_db.actor.user and case.written <= written
        assert field not in written


@pytest.mark.parametrize("which", list(CASES))
async def test_conflict_reload_shows_theirs_and_keeps_the_form_open(
    which, desk_app, media_db, db_path
):
    case = CASES[which]
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        form, theirs, _view = await conflict_after_typing(pilot, app, case, media_db, db_path)
        stored = case.texts(theirs, app.tz)
        await pilot.press("r")  # reload theirs: my edit is dropped, the form stays open
        await settle(pilot, lambda: app.screen is form)
        await settle(pilot, lambda: form.values() == {k: stored[k] for k in form.values()})
        key = next(iter(case.typed))
        type_into(form, {key: case.typed[key]})  # edit on, on top of theirs
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        final = case.get(media_db, theirs.id)
        assert case.texts(final, app.tz) == {**stored, key: case.typed[key]}
        assert final.version == theirs.version + 1


# --- topics: the rule re-matches, a removal that came too late ---------------------------------


async def test_topic_apply_mine_keeps_their_priority_and_rematches_my_rule(
    desk_app, desk_db, db_path
):
    """They raise the priority, I change the rule: apply mine writes the rule alone, on their
    version, through update_topic, and the clips are re-matched by the new rule."""
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        form = await open_topic_form(pilot, app)
        topic = topics.find_topic(desk_db, "Water works")
        water, fares = clip_titled(desk_db, "Water main"), clip_titled(desk_db, "Transit fares")
        assert tagged(desk_db, topic.id) == {water.id}
        jl = other_desk(db_path)
        try:
            theirs = topics.update_topic(jl, topic.id, topic.version, priority=3)
        finally:
            jl.dispose()
        type_into(form, {"query": "fares"})
        view = await save_into_conflict(pilot, app)
        assert [(r.field, r.mine_changed, r.theirs_changed) for r in view.rows()] == [
            ("query", True, False),
            ("priority", False, True),
        ]
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, TopicsScreen))
        stored = topics.get_topic(desk_db, topic.id)
        assert (stored.query, stored.priority) == ("fares", 3)  # mine and theirs
        assert stored.version == theirs.version + 1
        assert last_update(desk_db, "topics", topic.id) == (desk_db.actor.user, {"query"})
        await settle(pilot, lambda: notified(app, "re-matched"))
        assert tagged(desk_db, topic.id) == {fares.id}  # by the rule applied on top


async def test_a_topic_edit_sends_only_the_fields_typed(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        form = await open_topic_form(pilot, app)
        topic = topics.find_topic(desk_db, "Water works")
        type_into(form, {"name": "Water and sewer"})
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, TopicsScreen))
        assert last_update(desk_db, "topics", topic.id) == (desk_db.actor.user, {"name"})
        assert topics.get_topic(desk_db, topic.id).version == topic.version + 1
        assert not notified(app, "re-matched")  # a new name matches the same clips


async def test_removing_a_topic_another_desk_changed_is_refused_and_said(
    desk_app, desk_db, db_path
):
    add_topics(desk_db)
    app = desk_app()
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_topics(pilot, app)
        topic = topics.find_topic(desk_db, "Water works")
        before = tagged(desk_db, topic.id)
        jl = other_desk(db_path)
        try:
            topics.update_topic(jl, topic.id, topic.version, name="Water [b]and[/b] sewer")
        finally:
            jl.dispose()
        await pilot.press("x")  # the list still shows the version I loaded
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("j", "enter")
        await settle(pilot, lambda: notified(app, "not removed"))
        message = next(
            str(n.message) for n in app._notifications if "not removed" in str(n.message)
        )
        assert message.startswith("topic “Water works” not removed: someone else changed it")
        assert "(v1, now v2, renamed “Water [b]and[/b] sewer”)" in message and "\n" not in message
        stored = topics.get_topic(desk_db, topic.id)  # theirs stays, with its tags
        assert (stored.name, tagged(desk_db, topic.id)) == ("Water [b]and[/b] sewer", before)
        table = screen.query_one("#topics-table")
        await settle(pilot, lambda: table.rows_shown[0].cells[1].plain == stored.name)

        await pilot.press("x")  # looked at again: now it goes
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("j", "enter")
        await settle(pilot, lambda: topic.id not in {t.id for t in topics.list_topics(desk_db)})


# --- errors in a tall form -------------------------------------------------------------------


def in_view(form: FormScreen, widget) -> bool:
    """The widget is drawn whole inside the form's visible box (and so on the screen)."""
    box = form.query_one(VerticalScroll)
    region = widget.region
    return bool(region) and box.content_region.contains_region(region)


async def test_an_error_below_the_fold_is_scrolled_into_view_and_its_field_focused(desk_app):
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("4", "n")  # the event form: taller than the terminal
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        await pilot.press(*"Ribbon cutting")
        repeat = form.query_one("#repeat")
        await settle(pilot, lambda: not in_view(form, repeat))  # at the bottom, out of view
        repeat.value = "FREQ=NEVERLY"
        await pilot.press("ctrl+s")
        error = form.query_one("#repeat-error")
        await settle(pilot, lambda: "FREQ" in text_of(error))
        await settle(pilot, lambda: in_view(form, error) and in_view(form, repeat))
        assert app.focused is repeat
        assert form.query_one("#title").value == "Ribbon cutting"

        form.query_one("#title").focus()  # back at the top; a form-wide error at the bottom
        form.query_one("#repeat").value = "weekly"
        await pilot.press("escape")  # "press escape again to discard": said where it shows
        await settle(pilot, lambda: "escape again" in text_of(form.query_one("#form-error")))
        await settle(pilot, lambda: in_view(form, form.query_one("#form-error")))


async def test_the_request_editor_scrolls_to_an_error_at_its_last_field(desk_app):
    """The full request editor is three screens tall at 80x24: an error at its last field
    (its label is its error line) is brought into view with the field focused."""
    from deskterm.screens.request_form import RequestFormScreen
    from tests.tui.test_requests_pane import ready, select

    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await select(pilot, app, "Pothole")
        form = await edit_selected(pilot, app, RequestFormScreen)
        accuracy = form.query_one("#accuracy")
        label = form.query_one("#accuracy-label")
        assert not in_view(form, accuracy)
        accuracy.value = "mostly"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.field_error("accuracy")))
        await settle(pilot, lambda: in_view(form, label) and in_view(form, accuracy))
        assert app.focused is accuracy

        form.query_one("#subject").focus()  # back at the top: "escape again" shows at the foot
        await pilot.press("escape")
        error = form.query_one("#form-error")
        await settle(pilot, lambda: "escape again" in text_of(error) and in_view(form, error))


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_a_form_too_tall_for_the_terminal_shows_its_fields_one_row_each(desk_app, size):
    """At 80x24 the media-request form showed three bordered fields of eight; one row a
    field shows six of them without scrolling. Where they all fit, they stay bordered."""
    from textual.widgets import Input, Select

    from tests.tui.conftest import settle
    from tests.tui.test_desk import wait_loaded

    app = desk_app()
    async with app.run_test(size=size) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("1", "m")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        await pilot.pause(0.2)
        form = app.screen
        box = form.query_one(VerticalScroll).region
        fields = [f for f in form.query("Input, Select") if isinstance(f, Input | Select)]
        seen = [f for f in fields if box.contains_region(f.region)]
        if size == (80, 24):
            assert all(f.compact for f in fields)
            assert len(seen) >= 6, f"{len(seen)} of {len(fields)} fields in view"
        else:
            assert not any(f.compact for f in fields)
            assert len(seen) == len(fields)
        await pilot.press("tab", "x")  # typing still goes where it did
        assert form.query_one("#outlet", Input).value.endswith("x")
