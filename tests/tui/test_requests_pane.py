"""The Requests pane's keys: assign, status, deadline, note, mine only."""

from __future__ import annotations

from datetime import timedelta

from db.enums import RequestStatus
from deskterm.core import requests
from deskterm.screens.pickers import PickScreen, PromptScreen
from deskterm.widgets.pane import Pane
from tests.tui.conftest import FIXED_NOW, settle
from tests.tui.test_desk import row_texts, wait_loaded


def pothole(db) -> requests.RequestRecord:
    return next(r for r in requests.list_open_requests(db, now=FIXED_NOW) if "Pothole" in r.subject)


async def select(pilot, app, subject: str) -> None:
    pane = app.screen.query_one("#requests", Pane)
    await pilot.press("2")
    index = next(i for i, row in enumerate(pane.table.rows_shown) if subject in row.item.subject)
    pane.table.move_cursor(row=index)
    await pilot.pause()


async def test_assign_status_deadline_and_note_from_the_keyboard(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await select(pilot, app, "Pothole")
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        for _ in range(values.index("JL")):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: pothole(desk_db).assignee == "JL")
        assert pothole(desk_db).status is RequestStatus.ASSIGNED

        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, PickScreen))
        values = [c.value for c in app.screen._choices]
        current = values.index("assigned")
        for _ in range(values.index("drafting") - current):
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot, lambda: pothole(desk_db).status is RequestStatus.DRAFTING)

        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"yesterday", "enter")  # refused: in the past; nothing changes
        await settle(pilot, lambda: any("past" in str(n.message) for n in app._notifications))
        before = pothole(desk_db).deadline_at
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"tomorrow 9am", "enter")
        await settle(pilot, lambda: pothole(desk_db).deadline_at != before)

        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Called public works [urgent]", "enter")
        await settle(pilot, lambda: len(requests.list_notes(desk_db, pothole(desk_db).id)) == 1)
        assert requests.list_notes(desk_db, pothole(desk_db).id)[0].body == (
            "Called public works [urgent]"
        )


async def test_mine_only_shows_my_requests(desk_app, desk_db, settings):
    app = desk_app()  # the desk's user is PS, who has none assigned
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
        await pilot.press("2", "M")
        await settle(pilot, lambda: "mine" in app.screen.query_one("#requests")._shown_title)
        assert row_texts(app, "requests") == []
        await pilot.press("M")
        await settle(pilot, lambda: len(row_texts(app, "requests")) == 2)


async def test_quick_capture_of_a_phone_call(desk_app, desk_db):
    from deskterm.screens.form import FormScreen

    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
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


async def test_the_desk_announces_overdue_and_soon_requests(desk_app, desk_db):
    app = desk_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(pilot, app)
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
        await wait_loaded(pilot, app)
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
