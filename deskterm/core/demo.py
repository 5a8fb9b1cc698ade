"""Fill an empty database with the demo desk: a Tuesday in the fictional city of Port Alder.

Everything goes through the domain layer, dated relative to ``now`` so the demo never
goes stale. The sample feeds are files shipped in ``deskterm/demo/feeds``; their stories
are moved from the anchor day to today.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from db.base import utcnow
from db.engine import Actor, Database
from db.enums import TaskStatus
from deskterm.core import calendar, contacts, feeds, requests, tasks, templates
from deskterm.core.errors import InputError
from deskterm.core.feed_parse import parse_feed
from deskterm.core.fetch import FetchLimits, FetchRequest, read_file
from deskterm.core.ingest import FeedOutcome, load_plans, store_outcomes
from deskterm.core.staff import add_staff
from deskterm.core.summary import summarize
from deskterm.core.topics import add_topic, compile_topics
from deskterm.demo import content


@dataclass(frozen=True)
class DemoLoaded:
    staff: int
    outlets: int
    contacts: int
    feeds: int
    clips: int
    requests: int
    tasks: int
    events: int

    def describe(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in asdict(self).items())


def feed_files() -> Path:
    """The folder of sample feeds inside the installed package."""
    return Path(str(resources.files("deskterm.demo").joinpath("feeds")))


def load_demo(db: Database, *, now: datetime | None = None) -> DemoLoaded:
    now = now or utcnow()
    if not summarize(db).empty:
        raise InputError(
            "this database already has data; the demo goes into a new one "
            "(e.g. deskterm --db demo.sqlite3 init --demo)"
        )
    zone = ZoneInfo(content.TIMEZONE)
    for person in content.STAFF:
        add_staff(db, **person)
    for outlet in content.OUTLETS:
        contacts.add_outlet(db, **outlet)
    for contact in content.CONTACTS:
        contacts.add_contact(db, **contact)
    for topic in content.TOPICS:  # before the feeds, so ingest tags the clips
        add_topic(db, **topic)
    clip_count = _load_feeds(db, now, zone)
    for request in content.REQUESTS:
        _load_request(db, request, now, zone)
    for template in content.RESPONSE_TEMPLATES:
        templates.add_template(db, **template)
    desks = _Desks(db)
    try:
        for task in content.TASKS:
            _load_task(db, task, now, desks)
    finally:
        desks.close()
    for event in content.EVENTS:
        _load_event(db, event, now, zone)
    return DemoLoaded(
        staff=len(content.STAFF),
        outlets=len(content.OUTLETS),
        contacts=len(content.CONTACTS),
        feeds=len(content.FEEDS) + 1,
        clips=clip_count,
        requests=len(content.REQUESTS),
        tasks=len(content.TASKS),
        events=len(content.EVENTS),
    )


#: A feed that answers with a web page instead of a feed, so the feed-health view has a
#: failing feed to show (its file is in deskterm/demo/feeds).
BROKEN_FEED = {
    "file": "lakeshore-wire.rss",
    "name": "Lakeshore Wire: regional",
    "outlet": "Lakeshore Wire",
    "poll_minutes": 15,
}


def _load_feeds(db: Database, now: datetime, zone: ZoneInfo) -> int:
    """Add the sample feeds and store their stories through the ingest pipeline, moved
    from the anchor day to today. The files' validators are stored as a fetch would, so a
    later ``deskterm fetch`` finds them unchanged; the broken feed's error is recorded."""
    added = [
        feeds.add_feed(
            db,
            url=str(feed_files() / spec["file"]),
            name=spec["name"],
            outlet=spec["outlet"],
            poll_minutes=spec["poll_minutes"],
        )
        for spec in (*content.FEEDS, BROKEN_FEED)
    ]
    plans = load_plans(db, feed_ids=[feed.id for feed in added])
    fetched = [read_file(FetchRequest(plan.id, plan.url), FetchLimits()) for plan in plans]
    parsed = [parse_feed(result.body, fetched_at=now) for result in fetched]
    shift = timedelta(days=(now.astimezone(zone).date() - content.ANCHOR_DATE).days)
    newest = max(
        (e.published_at for doc in parsed for e in doc.entries if e.dated), default=now - shift
    )
    if newest + shift > now:  # early in the morning: keep every story in the past
        shift -= (newest + shift) - now + timedelta(minutes=7)
    outcomes = []
    for plan, result, doc in zip(plans, fetched, parsed, strict=True):
        entries = tuple(
            replace(e, published_at=e.published_at + shift) if e.dated else e for e in doc.entries
        )
        outcomes.append(FeedOutcome(plan, replace(result, body=b""), replace(doc, entries=entries)))
    with db.read() as session:
        compiled = compile_topics(session)
    return sum(r.new_clips for r in store_outcomes(db, outcomes, topics=compiled, now=now))


def _load_request(db: Database, spec: dict, now: datetime, zone: ZoneInfo) -> None:
    """Log a request, then walk it along the status workflow to its place in the demo."""
    received = now + timedelta(minutes=spec["received_minutes"])
    deadline = (
        now + timedelta(minutes=spec["deadline_minutes"])
        if spec["deadline_minutes"] is not None
        else None
    )
    record = requests.create_request(
        db,
        kind=spec["kind"],
        subject=spec["subject"],
        requester=spec["requester"],
        outlet=spec["outlet"] or "",
        deadline=deadline,
        assignee=spec["assignee"],
        channel=spec["channel"],
        received_at=received,
        questions=spec["questions"],
        priority=spec["priority"],
        language=spec["language"],
        now=received,
    )
    changes: dict[str, object] = {}
    if spec["email"]:
        changes["requester_email"] = spec["email"]
    if spec["phone"]:
        changes["requester_phone"] = spec["phone"]
    if spec["departments"]:
        changes["departments"] = spec["departments"]
    if spec["statutory_days"]:
        changes["statutory_days"] = spec["statutory_days"]
    if spec["response"]:
        changes["response_text"] = spec["response"]
    if changes:
        record = requests.update_request(db, record.id, record.version, now=now, tz=zone, **changes)
    answered = {
        "status": "responded",
        "response_method": "statement",
        "responded_at": min(now, max(received, (deadline or now) - timedelta(hours=1))),
    }
    steps: dict[str, list[dict[str, object]]] = {
        "drafting": [{"status": "drafting"}],
        "in_review": [{"status": "in_review"}],
        "responded": [answered],
        "closed": [answered, {"status": "closed"}],
        "declined": [{"status": "declined"}],
        "reopened": [answered, {"status": "reopened"}],
    }
    for step in steps.get(spec["status"], []):
        record = requests.update_request(db, record.id, record.version, now=now, **step)


def _load_task(db: Database, spec: dict, now: datetime, desks: _Desks) -> None:
    """Add a card and walk it through the real workflow to its column: review, a sign-off
    from an approver's desk, the checklist, publication."""

    def at(hours: int | None) -> datetime | None:
        return None if hours is None else now + timedelta(hours=hours)

    target = TaskStatus(spec["status"])
    signed_off = target in (TaskStatus.APPROVED, TaskStatus.PUBLISHED)
    approver = _approver(spec) if signed_off else None
    reviewer = approver or spec["reviewer"]
    start = (
        target
        if target not in (TaskStatus.APPROVED, TaskStatus.PUBLISHED)
        else (TaskStatus.IN_REVIEW)
    )
    task = tasks.create_task(
        db,
        title=spec["title"],
        kind=spec["kind"],
        status=start,
        owner=spec["owner"],
        reviewer=reviewer if start is TaskStatus.IN_REVIEW else spec["reviewer"],
        due_at=at(spec["due_hours"]),
        publish_at=at(spec["publish_hours"]),
        channels=spec["channels"],
        priority=spec["priority"],
        language=spec["language"],
        translations_owed=spec["translations_owed"],
        body=spec["body"],
        checklist=spec["checklist"],
    )
    if approver is None:
        return
    task = tasks.approve_task(desks.of(approver), task.id, task.version, now=now)
    if target is TaskStatus.PUBLISHED:
        for item in tasks.checklist(db, task.id):
            tasks.set_checklist_done(db, item.id, item.version, True, now=now)
        words = "".join(c if c.isalnum() else " " for c in spec["title"].lower()).split()
        slug = "-".join(words[:6])
        tasks.publish_task(
            db,
            task.id,
            task.version,
            published_url=f"https://portalder.example/news/{task.id}-{slug}",
            now=now,
        )


def _approver(spec: dict) -> str:
    """Who signs the card off: its reviewer when they may approve and do not own it."""
    approvers = [s["initials"] for s in content.STAFF if s["can_approve"]]
    for candidate in (spec["reviewer"], *approvers):
        if candidate in approvers and candidate != spec["owner"]:
            return candidate
    raise ValueError(f"no approver for demo card {spec['title']!r}")


class _Desks:
    """One Database handle per staff member who signs something off in the demo."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._open: dict[str, Database] = {}

    def of(self, initials: str) -> Database:
        if initials not in self._open:
            self._open[initials] = Database(
                self._db.url, actor=Actor(initials, self._db.actor.host)
            )
        return self._open[initials]

    def close(self) -> None:
        for desk in self._open.values():
            desk.dispose()


def _load_event(db: Database, spec: dict, now: datetime, zone: ZoneInfo) -> None:
    zone = ZoneInfo(spec["timezone"]) if spec["timezone"] else zone
    hour, minute = (int(part) for part in spec["start"].split(":"))
    day = now.astimezone(zone).date() + timedelta(days=spec["day"])
    wall = datetime.combine(day, time(hour, minute))
    if spec["rrule"]:
        # Written for a Tuesday: move a series to its first day on or after that date.
        wall = next(iter(rrulestr(f"RRULE:{spec['rrule']}", dtstart=wall)))
    starts = wall.replace(tzinfo=zone).astimezone(UTC)
    ends = starts + timedelta(minutes=spec["minutes"]) if spec["minutes"] else None
    calendar.create_event(
        db,
        title=spec["title"],
        kind=spec["kind"],
        starts_at=starts,
        ends_at=ends,
        timezone=spec["timezone"],
        location=spec["location"],
        leaders=spec["leaders"],
        owner=spec["owner"],
        status=spec["status"],
        public=spec["public"],
        notes=spec["notes"],
        rrule=spec["rrule"],
    )
