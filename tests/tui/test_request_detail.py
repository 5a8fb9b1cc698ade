"""What the detail view of a request shows (the loader runs without a terminal)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from deskterm.core import requests, topics
from deskterm.core.staff import add_staff
from deskterm.screens.detail_views import request_detail


def test_a_request_detail_shows_every_logged_field_and_keeps_messages_apart(db):
    add_staff(db, initials="AB", name="Ann Bell", role="pio")
    topic = topics.add_topic(db, name="Housing", query="housing OR rent")
    received = datetime.now(UTC) - timedelta(hours=2)
    made = requests.create_request(
        db,
        kind="media",
        subject="Shelter beds [b]count[/b]",
        requester="Rita Ames",
        outlet="KPAC News",
        questions="How many beds tonight?",
        deadline=received + timedelta(hours=5),
        received_at=received,
        assignee="AB",
        now=received,
    )
    made = requests.update_request(
        db,
        made.id,
        made.version,
        topic_id=topic.id,
        also_talking_to="County shelter office",
        departments="Housing, Parks",
        published_url="https://kpac.example/beds",
    )
    requests.add_note(db, made.id, kind="internal", body="Check the county count first")
    requests.add_note(db, made.id, kind="to_requester", body="We will have figures by 3")

    detail = request_detail(db, made.id, UTC)

    fields = dict(detail.fields)
    assert fields["Topic"] == "Housing"
    assert fields["Also talking to"] == "County shelter office"
    assert fields["Departments"] == "Housing, Parks"
    assert fields["Published story"] == "https://kpac.example/beds"
    assert fields["Assigned to"] == "AB"
    assert "Statutory clock" not in fields  # a media request has none
    assert detail.body == "How many beds tonight?"
    sections = dict(detail.sections)
    assert [line.split("  ")[-1] for line in sections["Internal notes"]] == [
        "Check the county count first"
    ]
    assert [line.split("  ")[-1] for line in sections["Messages with the requester"]] == [
        "We will have figures by 3"
    ]


def test_a_records_request_detail_shows_its_statutory_clock(db):
    received = datetime.now(UTC) - timedelta(days=1)
    made = requests.create_request(
        db,
        kind="records",
        subject="Emails about the pier contract",
        requester="Dana Wu",
        received_at=received,
        statutory_days=10,
        now=received,
    )
    clock = dict(request_detail(db, made.id, UTC, holidays=(date(2026, 12, 25),)).fields)[
        "Statutory clock"
    ]
    assert clock.startswith("due ")
    assert "business days left" in clock


def test_an_event_detail_gives_the_desks_time_and_the_events_own_when_they_differ(db):
    """The Starts line is in the desk's zone; an event kept in another zone also says its
    time there (a zone label on the desk's time would put it hours off)."""
    from zoneinfo import ZoneInfo

    from deskterm.core import calendar
    from deskterm.screens.detail_views import event_detail

    start = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 in New York
    calendar.create_event(db, title="Budget preview", kind="press_conference",
                          starts_at=start, timezone="America/New_York")  # fmt: skip
    (occurrence,) = calendar.occurrences(db, start - timedelta(hours=1), start + timedelta(hours=1))

    def starts(tz) -> str:
        return dict(event_detail(db, occurrence, tz).fields)["Starts"]

    assert starts(UTC) == "Tue 24 Nov 2026 15:30 (10:30 in America/New_York)"
    assert starts(ZoneInfo("America/New_York")) == "Tue 24 Nov 2026 10:30"
    assert starts(ZoneInfo("Asia/Tokyo")) == (
        "Wed 25 Nov 2026 00:30 (Tue 24 Nov 10:30 in America/New_York)"
    )


def test_the_deadline_says_how_long_is_left_and_marks_it_as_the_pane_does(db):
    """Urgency is never colour alone: the detail marks a late request ‼ and one due
    within 30 minutes !, with the countdown beside the date; a finished one has none."""
    received = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def made(deadline_in: timedelta) -> int:
        return requests.create_request(
            db,
            kind="media",
            subject=f"Due {deadline_in}",
            requester="Rita Ames",
            deadline=received + deadline_in,
            received_at=received,
            now=received,
        ).id

    at = received + timedelta(hours=3)

    def deadline(request_id: int) -> str:
        return dict(request_detail(db, request_id, UTC, clock=lambda: at).fields)["Deadline"]

    assert deadline(made(timedelta(hours=1))) == "Tue 24 Nov 2026 10:00 · ‼ 2h late"
    assert deadline(made(timedelta(hours=3, minutes=20))) == "Tue 24 Nov 2026 12:20 · ! due in 20m"
    assert deadline(made(timedelta(days=2))) == "Thu 26 Nov 2026 09:00 · due in 1d"
    finished = made(timedelta(hours=1))
    record = requests.get_request(db, finished)
    requests.update_request(db, finished, record.version, status="declined")
    assert deadline(finished) == "Tue 24 Nov 2026 10:00"


def test_a_cards_due_date_says_how_long_is_left_until_it_is_out(db):
    """A card's detail marks a missed due date ‼ as the board does; a published one shows
    the date alone, and a card with none shows —."""
    from deskterm.core import tasks
    from deskterm.screens.detail_views import task_detail

    at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def card(due_at: datetime | None, **given: object) -> int:
        return tasks.create_task(db, title="A card", due_at=due_at, **given).id  # type: ignore[arg-type]

    def due(card_id: int) -> str:
        return dict(task_detail(db, card_id, UTC, clock=lambda: at).fields)["Due"]

    late = card(at - timedelta(hours=3), status="drafting")
    assert due(late) == "Tue 24 Nov 2026 09:00 · ‼ 3h late"
    assert due(card(at + timedelta(minutes=45))) == "Tue 24 Nov 2026 12:45 · due in 45m"
    assert due(card(None)) == "—"
    add_staff(db, initials="AB", name="Ann Bell", role="comms_director", can_approve=True)
    add_staff(db, initials="CD", name="Cy Dorn", role="pio")
    out = card(at - timedelta(hours=3), status="in_review", reviewer="AB", owner="CD")
    approved = tasks.approve_task(db, out, tasks.get_task(db, out).version, now=at)
    tasks.publish_task(db, out, approved.version, published_url="https://city.example/1", now=at)
    assert due(out) == "Tue 24 Nov 2026 09:00"
