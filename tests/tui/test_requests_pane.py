"""The Requests pane's keys: capture, edit, respond, status, assign, deadline, note, filters,
mine only, the records clock, "being edited by" marks and the conflict view."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from textual.widgets import Input, Label, TextArea

from db.enums import RequestStatus, ResponseMethod
from deskterm.core import contacts, requests, templates
from deskterm.core.config import data_dir
from deskterm.core.editing import editors, start_editing, stop_editing
from deskterm.screens.conflict import ConflictScreen
from deskterm.screens.detail import DetailScreen
from deskterm.screens.form import FormScreen
from deskterm.screens.pickers import PickScreen, PromptScreen
from deskterm.screens.request_form import RequestFormScreen
from deskterm.screens.respond import RespondScreen
from deskterm.widgets.pane import Pane
from tests.tui.conftest import FIXED_NOW, other_desk, settle
from tests.tui.test_calendar_pane import shown_text
from tests.tui.test_desk import row_texts


def pothole(db) -> requests.RequestRecord:
    return next(r for r in requests.list_open_requests(db, now=FIXED_NOW) if "Pothole" in r.subject)


async def ready(pilot, app) -> None:
    """Wait until the Requests pane has shown its first load (other panes may still load)."""
    for _ in range(300):
        await pilot.pause()
        panes = list(app.screen.query("#requests"))
        if panes and panes[0].loaded_once:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the Requests pane did not load")


async def select(pilot, app, subject: str) -> None:
    pane = app.screen.query_one("#requests", Pane)
    await pilot.press("2")
    await settle(pilot, lambda: any(subject in row.item.subject for row in pane.table.rows_shown))
    index = next(i for i, row in enumerate(pane.table.rows_shown) if subject in row.item.subject)
    pane.table.move_cursor(row=index)
    await pilot.pause()


async def pick(pilot, app, value: str) -> None:
    """In the open PickScreen, move to ``value`` with j/k and press enter."""
    await settle(pilot, lambda: isinstance(app.screen, PickScreen))
    screen = app.screen
    values = [c.value for c in screen._choices]
    from textual.widgets import OptionList

    start = screen.query_one(OptionList).highlighted or 0
    steps = values.index(value) - start
    await pilot.press(*(["j"] * steps if steps > 0 else ["k"] * -steps), "enter")


def title(app) -> str:
    return app.screen.query_one("#requests")._shown_title


async def test_a_request_s_detail_view_acts_on_the_request_it_shows(desk_app, desk_db):
    """enter, then the pane's keys in the detail view: they act on the request shown even
    when the pane's cursor has moved on under it, and each key sees the save before it."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await select(pilot, app, "Pothole")
        pane = app.screen.query_one("#requests", Pane)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        keys = {b.binding.description for b in detail.active_bindings.values()}
        assert {"Edit", "Respond", "Assign", "Status", "Note"} <= keys, keys
        # the pane's cursor moves on under the view (a reload after another desk's change)
        rows = pane.table.rows_shown
        overdue_row = next(i for i, r in enumerate(rows) if "Overdue" in r.item.subject)
        pane.table.move_cursor(row=overdue_row)

        await pilot.press("a")
        await pick(pilot, app, "PS")
        await settle(pilot, lambda: pothole(desk_db).assignee == "PS")
        overdue = next(r for r in requests.list_open_requests(desk_db) if "Overdue" in r.subject)
        assert overdue.assignee == "JL"  # the row under the cursor was left alone
        await settle(pilot, lambda: app.screen is detail)
        await settle(pilot, lambda: "PS" in shown_text(detail.query_one("#fields")))

        await pilot.press("s")  # the version it acts on is the one the last key saved
        await pick(pilot, app, "drafting")
        await settle(pilot, lambda: pothole(desk_db).status is RequestStatus.DRAFTING)
        assert not [n for n in app._notifications if "another desk" in n.message]
        await settle(pilot, lambda: "drafting" in shown_text(detail.query_one("#fields")))


async def test_assign_status_deadline_and_note_from_the_keyboard(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await select(pilot, app, "Pothole")
        await pilot.press("a")
        await pick(pilot, app, "JL")
        await settle(pilot, lambda: pothole(desk_db).assignee == "JL")
        assert pothole(desk_db).status is RequestStatus.ASSIGNED

        await settle(pilot, lambda: not isinstance(app.screen, PickScreen))
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        # only the moves the workflow allows from "assigned"
        assert [c.value for c in app.screen._choices] == [
            "new",
            "drafting",
            "in_review",
            "responded",
            "declined",
        ]
        await pick(pilot, app, "drafting")
        await settle(pilot, lambda: pothole(desk_db).status is RequestStatus.DRAFTING)

        before = pothole(desk_db).deadline_at
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        prompt = app.screen
        field = prompt.query_one(Input)
        assert field.value == f"{before.astimezone(app.tz):%Y-%m-%d %H:%M}"  # the deadline now
        await pilot.press(*"yesterday", "enter")  # typed over it; refused: in the past
        await settle(pilot, lambda: "past" in str(prompt.query_one(".error").render()))
        assert app.screen is prompt and field.value == "yesterday"  # open, the text kept
        await pilot.press("home", "ctrl+k", *"next blursday", "enter")
        await settle(pilot, lambda: "blursday" in str(prompt.query_one(".error").render()))
        assert app.screen is prompt and pothole(desk_db).deadline_at == before
        await pilot.press("home", "ctrl+k", *"tomorrow 9am", "enter")
        await settle(pilot, lambda: pothole(desk_db).deadline_at != before)
        assert app.screen is not prompt

        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Called public works [urgent]", "enter")
        await settle(pilot, lambda: len(requests.list_notes(desk_db, pothole(desk_db).id)) == 1)
        assert requests.list_notes(desk_db, pothole(desk_db).id)[0].body == (
            "Called public works [urgent]"
        )


async def test_status_picker_asks_who_and_refuses_nothing_silently(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await select(pilot, app, "Pothole")  # new, nobody assigned
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        assert [c.value for c in app.screen._choices] == [
            "assigned",
            "drafting",
            "responded",
            "declined",
        ]
        assert "asks who" in app.screen._choices[1].label
        await pick(pilot, app, "drafting")  # needs someone: the staff picker comes next
        await pick(pilot, app, "JL")
        await settle(pilot, lambda: pothole(desk_db).status is RequestStatus.DRAFTING)
        assert pothole(desk_db).assignee == "JL"

        await settle(pilot, lambda: not isinstance(app.screen, PickScreen))
        await pilot.press("s")
        await pick(pilot, app, "declined")
        await settle(pilot, lambda: requests.get_request(desk_db, 2).status.value == "declined")
        declined = requests.get_request(desk_db, 2)
        assert (
            declined.closed_at is not None and declined.response_method is ResponseMethod.DECLINED
        )
        await settle(pilot, lambda: not any("Pothole" in r for r in row_texts(app, "requests")))


async def test_mine_only_shows_my_requests(desk_app, desk_db, settings):
    app = desk_app()  # the desk's user is PS, who has none assigned
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2", "M")
        await settle(pilot, lambda: "mine" in title(app))
        assert row_texts(app, "requests") == []
        await pilot.press("M")
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 2)


async def test_quick_capture_of_a_phone_call(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2", "n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        await pilot.press(*"Dana Reyes", "tab", *"KPAC News", "tab", "tab", *"today 5pm", "enter")
        # no subject: the error shows at the subject field and nothing typed is lost
        await settle(pilot, lambda: "subject" in str(form.query_one("#subject-error").render()))
        assert form.query_one("#requester").value == "Dana Reyes"
        form.query_one("#subject").focus()
        await pilot.press(*"Bridge closure [Harbor St]", "enter")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        logged = next(
            r
            for r in requests.list_open_requests(desk_db, now=FIXED_NOW)
            if r.subject == "Bridge closure [Harbor St]"
        )
        assert logged.requester == "Dana Reyes" and logged.outlet == "KPAC News"
        assert logged.deadline_at is not None and logged.number.startswith("M-2026-")
        await settle(pilot, lambda: any("Bridge closure" in r for r in row_texts(app, "requests")))


def error_at(form, name: str) -> str:
    return str(form.query_one(f"#{name}-error").render())


async def test_quick_capture_shows_every_fields_error_after_one_save(desk_app, desk_db):
    """A bad assignee, language and deadline: one save shows each at its field (not one
    now and the next after another save), keeps what was typed and logs nothing."""
    before = len(requests.list_open_requests(desk_db, now=FIXED_NOW))
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2", "n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        typed = {
            "requester": "Dana Reyes",
            "subject": "Bridge closure",
            "deadline": "31/13/2026",
            "assignee": "ZZ",
            "language": "klingon!!",
        }
        for name, text in typed.items():
            form.query_one(f"#{name}", Input).value = text
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "klingon" in error_at(form, "language"))
        assert "ZZ" in error_at(form, "assignee")
        assert error_at(form, "deadline").startswith('"31/13/2026" is not a date')
        assert error_at(form, "subject") == error_at(form, "form") == ""
        assert {name: form.query_one(f"#{name}", Input).value for name in typed} == typed
        assert app.focused is form.query_one("#deadline", Input)  # the first one, in view
        assert len(requests.list_open_requests(desk_db, now=FIXED_NOW)) == before
        # put right, the next save shows only what is still wrong
        form.query_one("#deadline", Input).value = "today 5pm"
        form.query_one("#language", Input).value = "es"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: error_at(form, "language") == "")
        assert "ZZ" in error_at(form, "assignee") and error_at(form, "deadline") == ""
        form.query_one("#assignee", Input).value = "JL"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        logged = next(
            r
            for r in requests.list_open_requests(desk_db, now=FIXED_NOW)
            if r.subject == "Bridge closure"
        )
        assert (logged.assignee, logged.language) == ("JL", "es")


async def test_the_edit_form_shows_every_fields_error_after_one_save(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        before = pothole(desk_db)
        await select(pilot, app, "Pothole")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
        form = app.screen
        # text the form reads itself (dates) and what the save checks (choices, staff):
        # one save shows them all, each at its field
        form.query_one("#deadline_at", Input).value = "31 feb"
        form.query_one("#follow_up_on", Input).value = "31/13/2026"
        form.query_one("#priority", Input).value = "meh"
        form.query_one("#assignee", Input).value = "ZZ"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "31 feb" in form.field_error("deadline_at"))
        assert "is not a date" in form.field_error("follow_up_on")
        assert "unknown priority" in form.field_error("priority")
        assert "ZZ" in form.field_error("assignee")
        assert form.focused is form.query_one("#priority", Input)  # the first in the form
        assert pothole(desk_db).version == before.version  # nothing saved
        # with the dates mended, the save's own errors stay (and the dates' are gone)
        form.query_one("#deadline_at", Input).value = ""
        form.query_one("#follow_up_on", Input).value = ""
        form.query_one("#priority", Input).value = "meh"
        form.query_one("#assignee", Input).value = "ZZ"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "unknown priority" in form.field_error("priority"))
        assert "ZZ" in form.field_error("assignee")
        assert form.field_error("deadline_at") == form.field_error("follow_up_on") == ""
        assert form.query_one("#assignee", Input).value == "ZZ"
        assert pothole(desk_db).version == before.version  # nothing saved


async def test_quick_capture_takes_under_ten_keystrokes_past_the_text(desk_app, desk_db):
    """From the desk (News focused): 2, n, the text with tab between, right to accept the
    completed name, enter. Every key that is not part of the typed text is counted."""
    outlet = contacts.add_outlet(desk_db, name="Alder Daily Herald", type="print")
    contacts.add_contact(desk_db, name="Rita Ames", outlet=outlet.name)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        extra = 0

        async def keys(*pressed: str) -> None:
            nonlocal extra
            extra += len(pressed)
            await pilot.press(*pressed)

        await keys("2", "n")
        await settle(pilot, lambda: isinstance(app.screen, FormScreen))
        form = app.screen
        await pilot.press(*"Rit")  # text
        requester = form.query_one("#requester", Input)
        await settle(pilot, lambda: requester._suggestion == "Rita Ames")
        await keys("right")  # accepts the completion from the contact list
        assert requester.value == "Rita Ames"
        await keys("tab")
        await pilot.press(*"Alder D")
        outlet_input = form.query_one("#outlet", Input)
        await settle(pilot, lambda: outlet_input._suggestion == "Alder Daily Herald")
        await keys("right")
        await keys("tab")
        await pilot.press(*"Ferry schedule cuts")
        await keys("enter")
        await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        assert extra < 10, extra
        logged = next(
            r for r in requests.list_open_requests(desk_db) if r.subject == "Ferry schedule cuts"
        )
        assert logged.requester == "Rita Ames" and logged.outlet == "Alder Daily Herald"
        assert logged.contact_id is not None and logged.outlet_id == outlet.id


async def test_quick_capture_with_no_language_takes_the_outlets(desk_app, desk_db):
    """The language field left empty (as it opens) and a known Spanish outlet typed without
    its accent: the request is stored in es and its detail view says so; a language typed
    in the field wins."""
    from deskterm.screens.detail import DetailScreen
    from tests.tui.test_calendar_pane import shown_text

    contacts.add_outlet(desk_db, name="La Opinión", type="community", language="es")
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        for subject, language in (("Rent relief", ""), ("Rent relief, English", "en")):
            await pilot.press("2", "n")
            await settle(pilot, lambda: isinstance(app.screen, FormScreen))
            form = app.screen
            assert form.values()["language"] == ""  # nothing forced
            labels = [str(label.render()) for label in form.query(Label)]
            assert "Language (e.g. es, vi; empty: the outlet's, else en)" in labels
            form.query_one("#requester", Input).value = "Ana Ruiz"
            form.query_one("#outlet", Input).value = "la opinion"
            form.query_one("#subject", Input).value = subject
            form.query_one("#language", Input).value = language
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: not isinstance(app.screen, FormScreen))
        logged = {r.subject: r for r in requests.list_open_requests(desk_db, now=FIXED_NOW)}
        assert logged["Rent relief"].outlet == "La Opinión"
        assert logged["Rent relief"].language == "es"
        assert logged["Rent relief, English"].language == "en"

        await select(pilot, app, "Rent relief")
        pane = app.screen.query_one("#requests", Pane)
        assert pane.selected_item().subject == "Rent relief"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(pilot, lambda: "La Opinión" in shown_text(app.screen.query_one("#fields")))
        shown = shown_text(app.screen.query_one("#fields"))
        assert any(line.split() == ["Language", "es"] for line in shown.splitlines()), shown


async def test_edit_form_saves_what_changed_and_keeps_typed_text_on_error(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        before = pothole(desk_db)
        await select(pilot, app, "Pothole")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
        form = app.screen
        assert form.query_one("#subject", Input).value == "Pothole on Elm Street"
        await pilot.press("end", *" (two blocks)")
        deadline = form.query_one("#deadline_at", Input)
        deadline.value = "31 feb"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "31 feb" in form.field_error("deadline_at"))
        assert "✗" in str(form.query_one("#deadline_at-label").render())  # a mark, not colour
        assert form.query_one("#subject", Input).value == "Pothole on Elm Street (two blocks)"
        assert pothole(desk_db).version == before.version  # nothing saved
        deadline.value = "2026-11-25 12:00"
        form.query_one("#priority", Input).value = "meh"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "unknown priority" in form.field_error("priority"))
        assert form.field_error("deadline_at") == ""  # each save shows the current errors
        form.query_one("#priority", Input).value = "urgent"
        form.query_one("#questions", TextArea).load_text("Is it on the repair list?")
        form.query_one("#assignee", Input).value = "jl"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, RequestFormScreen))
        after = requests.get_request(desk_db, before.id)
        assert after.subject == "Pothole on Elm Street (two blocks)"
        assert after.questions == "Is it on the repair list?"
        assert after.assignee == "JL" and after.status is RequestStatus.ASSIGNED
        assert after.deadline_at is not None and after.deadline_at.hour == 17  # 12:00 New York
        assert after.priority.value == "urgent" and after.version == before.version + 1
        await settle(pilot, lambda: any("two blocks" in r for r in row_texts(app, "requests")))


async def test_an_unknown_status_lists_the_moves_the_label_offers(desk_app, desk_db):
    """The status field's label says where this request can go; a word that is no status
    is refused naming the same moves, in the same words (in review, not in_review)."""
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        before = pothole(desk_db)
        await select(pilot, app, "Pothole")
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
        form = app.screen
        label = str(form.query_one("#status-label").render())
        moves = [requests.status_label(s) for s in requests.next_statuses(before.status)]
        assert label == f"Status (can go to {', '.join(moves)})"
        form.query_one("#status", Input).value = "bogus"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.field_error("status")))
        current = requests.status_label(before.status)
        allowed = ", ".join(moves[:-1]) + " or " + moves[-1]
        assert form.field_error("status") == (
            f"unknown status 'bogus'; from {current} it can go to {allowed}"
        )
        assert form.query_one("#status", Input).value == "bogus"  # typing kept
        assert pothole(desk_db).version == before.version  # nothing saved


async def test_respond_with_a_template_export_a_letter_and_save(desk_app, desk_db):
    templates.add_template(
        desk_db,
        name="Constituent reply",
        kind="constituent",
        body="Dear {requester}, about {subject} ({number}): {assignee} will call. {nope}",
    )
    templates.add_template(desk_db, name="Media only", kind="media", body="Statement")
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        record = pothole(desk_db)
        await select(pilot, app, "Pothole")
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, RespondScreen))
        respond = app.screen
        assert requests.get_request(desk_db, record.id).version == record.version
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        labels = [c.label for c in app.screen._choices]
        assert labels == ["Constituent reply  (constituent)"]  # the media one is not offered
        await pilot.press("enter")
        area = respond.query_one(TextArea)
        await settle(pilot, lambda: "Sam Ortiz" in area.text)
        assert area.text == (
            f"Dear Sam Ortiz, about Pothole on Elm Street ({record.number}):  will call. {{nope}}"
        )
        # inserted again after text on the line: a paragraph of its own, not glued on
        area.move_cursor(area.document.end)
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: area.text.count("Dear Sam Ortiz") == 2)
        first, second = area.text.split("\n\n")
        assert first.endswith("{nope}") and second.startswith("Dear Sam Ortiz")
        area.text = first  # as before, for the letter below
        await pilot.press("ctrl+l")
        await pick(pilot, app, "txt")
        letter = data_dir() / "letters" / f"{record.number}-letter.txt"
        await settle(pilot, lambda: letter.exists())
        text = letter.read_text(encoding="utf-8")
        assert "Dear Sam Ortiz," in text and f"Re: Pothole on Elm Street ({record.number})" in text
        assert any(str(letter) in str(n.message) for n in app._notifications)

        await pilot.press("ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, RespondScreen))
        answered = requests.get_request(desk_db, record.id)
        assert answered.status is RequestStatus.RESPONDED
        assert answered.response_method is ResponseMethod.STATEMENT
        assert answered.responded_at == FIXED_NOW
        assert answered.response_text.startswith("Dear Sam Ortiz")


async def test_filters_by_kind_status_and_assignee_show_in_the_title(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("2", "f")
        await pick(pilot, app, "kind")
        await pick(pilot, app, "constituent")
        await settle(pilot, lambda: "kind: constituent" in title(app))
        assert len(row_texts(app, "requests")) == 1
        assert "Pothole" in row_texts(app, "requests")[0]

        await pilot.press("f")
        await pick(pilot, app, "assignee")
        await pick(pilot, app, "JL")
        await settle(pilot, lambda: "assignee: JL" in title(app))
        assert row_texts(app, "requests") == []  # the constituent request is nobody's

        await pilot.press("f")
        await pick(pilot, app, "clear")
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 2)
        assert "kind:" not in title(app)

        await pilot.press("f")
        await pick(pilot, app, "status")
        await pick(pilot, app, "assigned")
        await settle(pilot, lambda: "status: assigned" in title(app))
        rows = row_texts(app, "requests")
        assert len(rows) == 1 and "Overdue" in rows[0]

        overdue = next(r for r in requests.list_open_requests(desk_db) if "Overdue" in r.subject)
        requests.update_request(
            desk_db, overdue.id, overdue.version, status="responded", response_method="statement"
        )
        await pilot.press("f")
        await pick(pilot, app, "status")
        await pick(pilot, app, "responded")
        await settle(pilot, lambda: "status: responded" in title(app))
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 1)
        answered = row_texts(app, "requests")[0]
        assert answered.startswith("responded") and "‼" not in answered  # answered, not late


async def test_the_filter_finds_an_accented_name_typed_plainly_and_words_in_any_order(
    desk_app, desk_db
):
    requests.create_request(
        desk_db,
        kind="media",
        subject="Presupuesto de parques",
        requester="Élodie Núñez",
        outlet="Diário Popular",
        now=FIXED_NOW,
    )
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 3)
        await pilot.press("2", "slash", *"nunez")
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 1)
        assert "Élodie Núñez" in row_texts(app, "requests")[0]
        assert "filter: nunez" in title(app)

        await pilot.press(*["backspace"] * 5, *"parques diario")  # the outlet, then the subject
        await settle(pilot, lambda: "parques diario" in title(app))
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 1)
        assert "Presupuesto de parques" in row_texts(app, "requests")[0]

        await pilot.press(*" elm")  # a word no row has with the others: nothing
        await settle(pilot, lambda: row_texts(app, "requests") == [])


async def test_being_edited_by_another_desk_is_marked(desk_app, desk_db, db_path):
    from db.presence import active_desks
    from deskterm.app import DeskApp

    jl = other_desk(db_path, "JL")
    record = pothole(desk_db)
    app = desk_app()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            start_editing(jl, "requests", record.id)
            await pilot.press("2", "R")  # reload (the live loop does this on presence)
            await settle(pilot, lambda: any("✎ JL" in r for r in row_texts(app, "requests")))
            row = next(r for r in row_texts(app, "requests") if "Pothole" in r)
            assert "✎ JL Pothole on Elm Street" in row
            assert "✎ 1 being edited" in title(app)

            stop_editing(jl)  # the next presence report from the live loop clears it
            app.post_message(DeskApp.PresenceChanged(active_desks(desk_db)))
            await settle(pilot, lambda: not any("✎" in r for r in row_texts(app, "requests")))

            # and this desk's own editor is announced to the others
            await select(pilot, app, "Pothole")
            await pilot.press("e")
            await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            me = (desk_db.actor.user,)
            await settle(pilot, lambda: editors(jl, "requests").get(record.id) == me)
            await pilot.press("escape")
            await settle(pilot, lambda: not editors(jl, "requests"))
    finally:
        jl.dispose()


async def test_the_forms_editing_banner_follows_the_other_desk(desk_app, desk_db, db_path):
    """'✎ JL is editing this request too' goes once JL saved and closed (it stayed)."""
    from textual.widgets import Static

    from db.presence import active_desks
    from deskterm.app import DeskApp

    jl = other_desk(db_path, "JL")
    record = pothole(desk_db)
    app = desk_app()

    def banner() -> str:
        return str(app.screen.query_one("#others", Static).render())

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            start_editing(jl, "requests", record.id)
            await pilot.press("2")
            await select(pilot, app, "Pothole")
            await pilot.press("e")
            await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
            await settle(pilot, lambda: "✎ JL is editing this request too" in banner())
            stop_editing(jl)  # JL saved and closed the form
            app.post_message(DeskApp.PresenceChanged(active_desks(desk_db)))
            await settle(pilot, lambda: "✎" not in banner())
            start_editing(jl, "requests", record.id)  # and opened it again
            app.post_message(DeskApp.PresenceChanged(active_desks(desk_db)))
            await settle(pilot, lambda: "✎ JL is editing" in banner())
    finally:
        jl.dispose()


async def _conflict(pilot, app, desk_db, db_path):
    """Open the editor, let JL save in between, then save mine: the conflict view opens."""
    record = pothole(desk_db)
    await select(pilot, app, "Pothole")
    await pilot.press("e")
    await settle(pilot, lambda: isinstance(app.screen, RequestFormScreen))
    form = app.screen
    jl = other_desk(db_path, "JL")
    try:
        theirs = requests.update_request(
            jl, record.id, record.version, subject="Pothole on Elm St (JL)", priority="high"
        )
    finally:
        jl.dispose()
    form.query_one("#questions", TextArea).load_text("How deep is it?")
    form.query_one("#subject", Input).value = "Pothole on Elm Street, mine"
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: isinstance(app.screen, ConflictScreen))
    return record, theirs, form


async def test_conflict_view_apply_mine_on_top_of_theirs(desk_app, desk_db, db_path):
    app = desk_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await ready(pilot, app)
        record, theirs, _form = await _conflict(pilot, app, desk_db, db_path)
        view = app.screen
        rows = {row.field: row for row in view.rows()}
        assert rows["subject"].theirs == "Pothole on Elm St (JL)"
        assert (
            rows["subject"].mine == "Pothole on Elm Street, mine" and rows["subject"].mine_changed
        )
        assert rows["questions"].mine_changed and not rows["questions"].theirs_changed
        assert rows["priority"].theirs_changed and not rows["priority"].mine_changed
        assert requests.get_request(desk_db, record.id) == theirs  # nothing of mine saved yet
        await pilot.press("m")
        await settle(pilot, lambda: not isinstance(app.screen, (ConflictScreen, RequestFormScreen)))
        final = requests.get_request(desk_db, record.id)
        assert final.subject == "Pothole on Elm Street, mine"  # mine on top
        assert final.questions == "How deep is it?"
        assert final.priority.value == "high"  # theirs kept
        assert final.version == theirs.version + 1


async def test_conflict_view_reload_theirs_and_escape_keeps_mine(desk_app, desk_db, db_path):
    app = desk_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await ready(pilot, app)
        record, theirs, form = await _conflict(pilot, app, desk_db, db_path)
        await pilot.press("escape")  # back to my edit, kept
        await settle(pilot, lambda: app.screen is form)
        assert form.query_one("#subject", Input).value == "Pothole on Elm Street, mine"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConflictScreen))
        await pilot.press("r")  # reload theirs: my edit is dropped, the form shows theirs
        await settle(pilot, lambda: app.screen is form)
        await settle(pilot, lambda: form.query_one("#subject", Input).value == theirs.subject)
        assert form.query_one("#priority", Input).value == "high"
        assert form.record.version == theirs.version
        await pilot.press("end", *" again", "ctrl+s")
        await settle(pilot, lambda: not isinstance(app.screen, RequestFormScreen))
        final = requests.get_request(desk_db, record.id)
        assert final.subject == "Pothole on Elm St (JL) again" and final.questions == ""


async def test_the_desk_announces_overdue_and_soon_requests(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: any("Overdue" in str(n.title) for n in app._notifications))
        overdue = [n for n in app._notifications if n.title == "Overdue"]
        assert "5m late: Overdue: budget shortfall figures" in str(overdue[0].message)
        soon = requests.create_request(
            desk_db,
            kind="media",
            subject="Live shot at noon",
            requester="KPAC desk",
            deadline=FIXED_NOW + timedelta(minutes=20),
            now=FIXED_NOW,
        )
        app._check_deadlines()
        await settle(pilot, lambda: any(soon.number in str(n.message) for n in app._notifications))


async def test_records_clock_shows_business_days_and_p_pauses_it(desk_app, desk_db):
    record = requests.create_request(
        desk_db,
        kind="records",
        subject="E-mails about the bridge",
        requester="Frank Duval",
        now=FIXED_NOW,
    )
    requests.update_request(desk_db, record.id, record.version, statutory_days=10)
    app = desk_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot, app)
        row = next(r for r in row_texts(app, "requests") if "E-mails about" in r)
        assert "10 bd left" in row  # received Tue 24 Nov: ten business days, Thanksgiving counts
        await select(pilot, app, "E-mails about")
        await pilot.press("p")
        await settle(pilot, lambda: requests.get_request(desk_db, record.id).clock_paused_at)
        await settle(pilot, lambda: any("⏸" in r for r in row_texts(app, "requests")))
        await select(pilot, app, "E-mails about")
        await pilot.press("p")
        await settle(
            pilot, lambda: requests.get_request(desk_db, record.id).clock_paused_at is None
        )


def due_in(db, subject: str, *minutes: int) -> None:
    """Media requests due ``minutes`` after the fixed clock (negative: already late)."""
    for due in minutes:
        requests.create_request(
            db,
            kind="media",
            subject=subject.format(due),
            requester="KPAC desk",
            deadline=FIXED_NOW + timedelta(minutes=due),
            now=FIXED_NOW - timedelta(hours=1),
        )


def deadline_notes(app) -> list:
    """The desk's notifications but the one saying the test desk's user (AB, the database
    fixture's) is not on the staff list."""
    return [n for n in app._notifications if n.title != "Not on the staff list"]


async def test_several_deadlines_at_the_start_share_one_notification(desk_app, desk_db):
    """The morning start at 80x24: one notification for all of them, not a stack of toasts
    over the panes; on a screen this small it names only the most urgent request."""
    due_in(desk_db, "[b]Deadline {}[/b]", 10, 25, -40)
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: bool(deadline_notes(app)))
        await pilot.pause(0.2)
        notes = deadline_notes(app)
        assert [n.title for n in notes] == ["Deadlines"]
        lines = str(notes[0].message).splitlines()
        assert lines[0] == "‼ 2 overdue · ! 2 due within 30 minutes"
        assert lines[1].startswith("‼ ") and "40m late: [b]Deadline -40[/b]" in lines[1]
        assert lines[2:] == ["and 3 more: see Requests (2)"]
        assert notes[0].markup is False  # subjects are shown as typed


async def test_a_desk_of_full_size_names_three_of_the_deadlines(desk_app, desk_db):
    due_in(desk_db, "Deadline {}", 10, 25, -40)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: bool(deadline_notes(app)))
        (note,) = deadline_notes(app)
        lines = str(note.message).splitlines()
        assert len(lines) == 5 and lines[-1] == "and 1 more: see Requests (2)"


async def test_the_deadline_check_says_when_it_read_only_part_of_the_list(
    desk_app, desk_db, monkeypatch
):
    from deskterm import app as app_module

    monkeypatch.setattr(app_module, "DEADLINE_CHECK_LIMIT", 2)
    due_in(desk_db, "Late {}", -50, -30)
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: bool(deadline_notes(app)))
        (note,) = deadline_notes(app)
        assert str(note.message).splitlines()[0] == "‼ 2+ overdue"  # 3 are: it read 2


async def test_escape_dismisses_the_notifications_once_nothing_else_takes_it(desk_app):
    app = desk_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await settle(pilot, lambda: bool(app._notifications))  # the overdue request
        await pilot.press("2", "slash", *"pothole")
        await pilot.pause()
        await pilot.press("escape")  # closes the filter first
        await settle(pilot, lambda: not app.screen.query_one("#requests FilterInput").display)
        assert app._notifications
        await pilot.press("escape")
        await settle(pilot, lambda: not app._notifications)
        assert not app.screen.query("Toast")


def test_only_optional_choices_are_labelled_empty_for_none():
    from deskterm.screens.request_form import SPECS

    labels = {spec.key: spec.label for spec in SPECS}
    assert "empty for none" not in labels["priority"]
    assert "empty for none" not in labels["channel"]
    assert labels["accuracy"].endswith("; empty for none)")


def test_a_countdown_carries_its_mark_and_the_themes_style():
    """‼ and the overdue style once late, ! and the soon style within 30 minutes, no mark
    and no style before that: the mark, not the colour, says it."""
    from datetime import UTC, datetime, timedelta

    from deskterm.core.dates import urgency_mark
    from deskterm.widgets.pane import PaneContext
    from deskterm.widgets.requests_pane import countdown_cell

    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    context = PaneContext(None, now, UTC, "", overdue_style="bold red", soon_style="bold yellow")  # type: ignore[arg-type]
    shown = {
        minutes: countdown_cell(now + timedelta(minutes=minutes), context)
        for minutes in (-90, 20, 30, 31)
    }
    assert [(str(t), str(t.style)) for t in shown.values()] == [
        ("‼ 1h 30m late", "bold red"),
        ("! due in 20m", "bold yellow"),
        ("! due in 30m", "bold yellow"),
        ("due in 31m", ""),
    ]
    assert urgency_mark(now, now) == ""  # due this instant: not yet late, and no "soon"
    assert urgency_mark(now + timedelta(minutes=5), now) == ""
