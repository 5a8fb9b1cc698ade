"""What the detail view shows for each kind of item (loaders run in a worker thread)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from db.engine import Database
from db.enums import NoteKind
from deskterm.core import calendar, clips, contacts, requests, tasks, topics
from deskterm.core.calendar_markers import Marker, MarkerKind
from deskterm.core.dates import format_countdown, urgency_mark
from deskterm.core.errors import InputError
from deskterm.core.links import linked
from deskterm.core.request_records import DUE_SOON
from deskterm.core.statutory import statutory_clock
from deskterm.core.task_records import DONE_STATUSES
from deskterm.screens.detail import Detail
from deskterm.widgets.timefmt import stamp


def _label(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "value"):
        return str(value.value).replace("_", " ")
    return str(value)


def clip_detail(db: Database, clip: clips.ClipRecord, tz: tzinfo) -> Detail:
    """The reader; opening a clip marks it read."""
    current = clips.set_read(db, clip.id, True) if not clip.is_read else clip
    return Detail(
        title=current.title,
        fields=[
            ("Outlet", _label(current.outlet or current.feed)),
            ("Published", stamp(current.published_at, tz)),
            ("Author", _label(current.author)),
            ("Link", _label(current.url)),
            ("Flagged", "yes" if current.flagged else "no"),
        ],
        body=current.summary,
    )


def _when_due(
    at: datetime | None,
    tz: tzinfo,
    now: datetime,
    *,
    pending: bool,
    soon: timedelta | None = None,
) -> str:
    """A deadline and, while it is still to be met (``pending``), how long is left, marked
    as the panes mark it (urgency is never colour alone): ``‼ 2h late``, and ``! due in
    20m`` within ``soon``."""
    shown = stamp(at, tz)  # "—" when there is none
    if at is None or not pending:
        return shown
    mark = urgency_mark(at, now, soon)
    return f"{shown} · {mark + ' ' if mark else ''}{format_countdown(at, now)}"


def _request_fields(
    r: requests.RequestRecord,
    tz: tzinfo,
    topic: str | None,
    clock: str | None,
    now: datetime,
) -> list[tuple[str, str]]:
    """Every field a press office logs, in the order of the phone call: who, what, by when,
    who answers, how it was answered, how it came out. Empty optional fields are left out."""
    fields = [
        ("Number", r.number),
        ("Kind", _label(r.kind)),
        ("Status", _label(r.status)),
        ("From", _label(r.requester)),
        ("Email / phone", " · ".join(v for v in (r.requester_email, r.requester_phone) if v)),
        ("Outlet", _label(r.outlet)),
        ("Also talking to", r.also_talking_to),
        ("Received", f"{stamp(r.received_at, tz)} by {_label(r.channel)}"),
        ("Taken by", r.taken_by or ""),
        ("Deadline", _when_due(r.deadline_at, tz, now, pending=r.is_open(), soon=DUE_SOON)),
        ("Statutory clock", clock or ""),
        ("Priority", _label(r.priority)),
        ("Topic", topic or ""),
        ("Departments", r.departments),
        ("Language", r.language),
        ("Assigned to", _label(r.assignee)),
        ("Spokesperson", _label(r.spokesperson)),
    ]
    if r.needs_review or r.approver:
        review = r.review_kind or "review"
        approved = (
            f"approved by {r.approver} at {stamp(r.approved_at, tz)}"
            if r.approved_at
            else "not yet approved"
        )
        fields.append(("Review", f"{review} needed · {approved}"))
    if r.responded_at or r.response_method:
        fields.append(("Responded", f"{stamp(r.responded_at, tz)} ({_label(r.response_method)})"))
    if r.attribution:
        fields.append(("Attribution", _label(r.attribution)))
    if r.embargo_until:
        fields.append(("Embargo until", stamp(r.embargo_until, tz)))
    if r.published_url:
        fields.append(("Published story", r.published_url))
    if r.accuracy:
        fields.append(("Accuracy", _label(r.accuracy)))
    if r.follow_up_on:
        fields.append(("Follow up on", r.follow_up_on.isoformat()))
    if r.closed_at:
        fields.append(("Closed", stamp(r.closed_at, tz)))
    return [(label, value) for label, value in fields if value]


def _clock_text(r: requests.RequestRecord, tz: tzinfo, holidays: Collection[date]) -> str | None:
    today = datetime.now(tz).date()
    clock = statutory_clock(r, today=today, holidays=holidays, tz=tz)
    if clock.due_on is None or clock.remaining is None:
        return None
    state = "paused · " if clock.paused else ""
    left = (
        f"{clock.remaining} business days left"
        if clock.remaining >= 0
        else f"‼ {-clock.remaining} business days late"
    )
    return f"{state}due {clock.due_on:%a %d %b %Y} · {left}"


def request_detail(
    db: Database,
    request_id: int,
    tz: tzinfo,
    holidays: Collection[date] = (),
    clock: Callable[[], datetime] | None = None,
) -> Detail:
    """A request with all its fields, its response, and its timeline, with messages to and
    from the requester kept apart from internal notes."""
    r = requests.get_request(db, request_id)
    notes = requests.list_notes(db, request_id)
    topic = topics.get_topic(db, r.topic_id).name if r.topic_id is not None else None
    now = clock() if clock is not None else datetime.now(UTC)  # at each (re)load
    fields = _request_fields(r, tz, topic, _clock_text(r, tz, holidays), now)
    from deskterm.core.editing import editors

    others = editors(db, "requests").get(r.id)
    if others:
        fields.append(("Being edited by", "✎ " + ", ".join(others)))
    body = r.questions or ""
    if r.background:
        body += f"\n\nBackground: {r.background}"
    sections = []
    if r.response_text:
        sections.append(("Response", [r.response_text]))

    def lines(kinds: tuple[NoteKind, ...]) -> list[str]:
        return [
            f"{stamp(n.created_at, tz)}  {_label(n.author)}  [{_label(n.kind)}]  {n.body}"
            for n in notes
            if n.kind in kinds
        ]

    sections.append(
        ("Messages with the requester", lines((NoteKind.TO_REQUESTER, NoteKind.FROM_REQUESTER)))
    )
    sections.append(("Internal notes", lines((NoteKind.INTERNAL,))))
    return Detail(title=f"{r.number}  {r.subject}", fields=fields, body=body, sections=sections)


def task_detail(
    db: Database, task_id: int, tz: tzinfo, clock: Callable[[], datetime] | None = None
) -> Detail:
    t = tasks.get_task(db, task_id)
    now = clock() if clock is not None else datetime.now(UTC)  # at each (re)load
    fields = [
        ("Kind", _label(t.kind)),
        ("Status", _label(t.status)),
        ("Owner", _label(t.owner)),
        ("Reviewer", _label(t.reviewer)),
        ("Due", _when_due(t.due_at, tz, now, pending=t.status not in DONE_STATUSES)),
        ("Publish", stamp(t.publish_at, tz)),
        ("Channels", ", ".join(t.channels) or "—"),
        ("Priority", _label(t.priority)),
        ("Translations owed", _label(t.translations_owed)),
        ("Draft", _label(t.draft_link)),
    ]
    if t.approved_by:
        fields.append(("Approved", f"{t.approved_by} at {stamp(t.approved_at, tz)}"))
    if t.published_url:
        fields.append(("Published at", t.published_url))
    items = tasks.checklist(db, task_id)
    comments = tasks.list_comments(db, task_id)
    sections = [
        (
            "Checklist (x ticks)",
            [
                f"[{'x' if i.done else ' '}] {i.label}"
                + (" (required)" if i.required else "")
                + (f" — {i.done_by} {stamp(i.done_at, tz)}" if i.done and i.done_by else "")
                for i in items
            ],
        ),
        (
            "Serves (ctrl+l links)",
            [f"{item.type.value}: {item.label}" for item in linked(db, "task", task_id)],
        ),
        (
            "Comments",
            [f"{stamp(c.created_at, tz)}  {_label(c.author)}  {c.body}" for c in comments],
        ),
    ]
    return Detail(title=t.title, fields=fields, body=t.body, sections=sections)


def _starts(start: datetime, tz: tzinfo, zone_name: str | None) -> str:
    """When an event starts, in the desk's zone; where the event keeps its own zone and
    that reads differently, also its time there: "15:30 (10:30 in America/New_York)"."""
    shown = stamp(start, tz)
    if not zone_name:
        return shown
    try:
        own = calendar.zone_named(zone_name)
    except InputError:  # a zone this machine does not know: the desk's time alone
        return shown
    desk, there = start.astimezone(tz), start.astimezone(own)
    if there.replace(tzinfo=None) == desk.replace(tzinfo=None):
        return shown
    when = f"{there:%H:%M}" if there.date() == desk.date() else f"{there:%a %d %b %H:%M}"
    return f"{shown} ({when} in {zone_name})"


def event_detail(db: Database, occurrence: calendar.Occurrence, tz: tzinfo) -> Detail:
    """One occurrence as saved now (its view stays open while it is cancelled or moved)."""
    occurrence = calendar.current_occurrence(db, occurrence)
    e = calendar.get_event(db, occurrence.event_id)
    fields = [
        ("Kind", _label(e.kind)),
        ("Status", _label(occurrence.status)),  # one occurrence of a series may differ
        ("Starts", _starts(occurrence.start, tz, None if e.all_day else e.timezone)),
        ("Ends", stamp(occurrence.end, tz)),
        ("Location", _label(e.location)),
        ("Leaders", ", ".join(e.leaders) or "—"),
        ("Owner", _label(e.owner)),
        ("Public", "yes" if e.public else "internal"),
        ("Repeats", _label(e.rrule)),
    ]
    if occurrence.overridden and occurrence.series_id is not None:  # its row has no rule
        series = calendar.get_event(db, occurrence.series_id)
        fields[-1] = ("Repeats", f"{_label(series.rrule)} (this date changed)")
    return Detail(title=e.title, fields=fields, body=e.notes)


def contact_detail(db: Database, contact_id: int, tz: tzinfo) -> Detail:
    """A reporter: how to reach them, whether not to, and their requests, newest first."""
    c = contacts.get_contact(db, contact_id)
    history = contacts.contact_history(db, contact_id, limit=100)
    fields = [
        ("Outlet", _label(c.outlet)),
        ("Beat", _label(c.beat)),
        ("Email", _label(c.email)),
        ("Phone", _label(c.phone)),
        ("Social", _label(c.social)),
        ("Language", _label(c.language)),
        ("Do not contact", "‼ YES: do not contact" if c.do_not_contact else "no"),
        ("Last contacted", stamp(c.last_contacted_at, tz)),
    ]
    lines = [
        f"{r.number}  {stamp(r.received_at, tz)}  {_label(r.status)}  {r.subject}" for r in history
    ]
    heading = f"Requests ({len(history)}{'+' if len(history) == 100 else ''}, newest first)"
    return Detail(title=c.name, fields=fields, body=c.notes, sections=[(heading, lines)])


def outlet_detail(db: Database, outlet_id: int, tz: tzinfo) -> Detail:
    """An outlet and (the first 200 of) its reporters."""
    o = contacts.get_outlet(db, outlet_id)
    people = contacts.search_contacts(db, outlet=o.name, limit=200)
    fields = [
        ("Type", _label(o.type)),
        ("Language", o.language),
        ("Reach", f"{o.reach:,}" if o.reach is not None else "—"),
        ("Website", _label(o.website)),
    ]
    lines = [
        f"{p.name}  {p.beat or '—'}  {p.email or ''}"
        + ("  (do not contact)" if p.do_not_contact else "")
        for p in people
    ]
    return Detail(title=o.name, fields=fields, body=o.notes, sections=[("Reporters", lines)])


def detail_for(
    db: Database,
    item: Any,
    tz: tzinfo,
    holidays: Collection[date] = (),
    clock: Callable[[], datetime] | None = None,
) -> tuple[str, Callable[[], Detail]]:
    """A heading to show at once and the loader for the full view (``holidays``: the
    city's, for a records request's statutory clock; ``clock``: the desk's, for how long a
    request or a card has left)."""
    if isinstance(item, clips.ClipRecord):
        return item.title, partial(clip_detail, db, item, tz)
    if isinstance(item, requests.RequestRecord):
        return f"{item.number}  {item.subject}", partial(
            request_detail, db, item.id, tz, holidays, clock
        )
    if isinstance(item, tasks.TaskRecord):
        return item.title, partial(task_detail, db, item.id, tz, clock)
    if isinstance(item, calendar.Occurrence):
        return item.title, partial(event_detail, db, item, tz)
    if isinstance(item, Marker):  # a calendar marker opens what it marks
        if item.kind is MarkerKind.DEADLINE:
            return item.label, partial(request_detail, db, item.id, tz, holidays, clock)
        return item.label, partial(task_detail, db, item.id, tz, clock)
    if isinstance(item, contacts.ContactRecord):
        return item.name, partial(contact_detail, db, item.id, tz)
    if isinstance(item, contacts.OutletRecord):
        return item.name, partial(outlet_detail, db, item.id, tz)
    raise TypeError(f"no detail view for {type(item).__name__}")
