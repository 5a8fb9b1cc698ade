"""The event editor (new, or edit one occurrence, the following ones or a whole series),
built on FormScreen: an error shows at its field and nothing typed is lost.

Times are typed as people say them (``mon 10:00``, ``tomorrow 3pm``, ``2026-11-30 09:30``)
and read as wall times in the event's own zone (the Zone field). The end may be a time on
the start's day (``11:00``) or a length after the start (``+90m``, ``+1h``). An all-day
event takes dates; its end is the last day it covers. Repeat takes a word (``daily``,
``weekdays``, ``weekly``, ``fortnightly``, ``monthly``, ``yearly``, ``none``) or an RRULE
value such as ``FREQ=WEEKLY;BYDAY=MO,WE``; the calendar checks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from db.engine import Database
from db.enums import EventKind, EventStatus
from deskterm.core.calendar import (
    EventRecord,
    day_start,
    get_event,
    read_event_times,
    zone_named,
)
from deskterm.core.calendar_edits import edit_occurrence
from deskterm.core.fields import split_list
from deskterm.core.form_edit import Edit, Loaded
from deskterm.screens.form import Field, FormScreen

REPEAT_WORDS: dict[str, str | None] = {
    "": None,
    "none": None,
    "no": None,
    "never": None,
    "once": None,
    "daily": "FREQ=DAILY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "weekly": "FREQ=WEEKLY",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "yearly": "FREQ=YEARLY",
    "annually": "FREQ=YEARLY",
}
YES_NO = (("yes", "yes"), ("no", "no"))
DEFAULT_START = time(9, 0)


@dataclass(frozen=True)
class EventDraft:
    """What the form collected, parsed: the keyword arguments of ``create_event``."""

    title: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    all_day: bool
    location: str
    leaders: tuple[str, ...]
    owner: str | None
    status: EventStatus
    public: bool
    notes: str
    rrule: str | None

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def changes_from(self, before: EventDraft) -> dict[str, Any]:
        """Only what the user changed (an edit saves no more than that)."""
        return {
            name: value for name, value in self.values().items() if value != getattr(before, name)
        }


def zone_name(tz: tzinfo) -> str:
    """An IANA name for the desk's zone (``Settings.tz()`` may be the machine's local zone)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    try:  # the machine's zone: /etc/localtime links into the zoneinfo tree
        target = Path("/etc/localtime").resolve()
        parts = target.parts
        if "zoneinfo" in parts:
            name = "/".join(parts[parts.index("zoneinfo") + 1 :])
            zone_named(name)
            return name
    except Exception:  # an unreadable or odd link: fall back below
        pass
    return "UTC"


def repeat_rule(text: str) -> str | None:
    """A repeat word as an RRULE value; anything else is passed on as typed."""
    cleaned = " ".join(text.split())
    return REPEAT_WORDS.get(cleaned.casefold(), cleaned or None)


def _wall(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone)


def draft_texts(draft: EventDraft) -> dict[str, str]:
    """The form's text for a draft (what an editor shows before anything is typed)."""
    zone = zone_named(draft.timezone)
    if draft.all_day:
        start = f"{_wall(draft.starts_at, zone):%Y-%m-%d}"
        end = ""
        if draft.ends_at is not None:
            last = _wall(draft.ends_at, zone).date() - timedelta(days=1)
            end = "" if last <= _wall(draft.starts_at, zone).date() else f"{last:%Y-%m-%d}"
    else:
        starts = _wall(draft.starts_at, zone)
        start = f"{starts:%Y-%m-%d %H:%M}"
        end = ""
        if draft.ends_at is not None:  # a time alone is read on the start's day
            ends = _wall(draft.ends_at, zone)
            end = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    return {
        "title": draft.title,
        "kind": draft.kind.value,
        "start": start,
        "end": end,
        "zone": draft.timezone,
        "all_day": "yes" if draft.all_day else "no",
        "location": draft.location,
        "leaders": ", ".join(draft.leaders),
        "owner": draft.owner or "",
        "status": draft.status.value,
        "public": "yes" if draft.public else "no",
        "notes": draft.notes,
        "repeat": draft.rrule or "",
    }


_TIME_ALONE = re.compile(r"(?i)^(\d{1,2}(:\d{2}){0,2}\s*([ap]\.?m\.?)?|noon|midday)$")


def parse_draft(values: dict[str, str], *, now: datetime, day: date | None = None) -> EventDraft:
    """The form's text as a draft; ``InputError`` (naming the field) when something is off.

    A start that is a time alone (``10:00``, ``3pm``) is on ``day`` (the day the form was
    opened for), not today."""
    zone = zone_named(values["zone"])
    all_day = values["all_day"] == "yes"
    start_text = values["start"].strip()
    on = now
    if not all_day and day is not None and _TIME_ALONE.match(start_text):
        on = day_start(day, zone)
    starts_at, ends_at = read_event_times(
        start_text,
        values["end"],
        zone=zone,
        now=on,
        all_day=all_day,
        default_time=DEFAULT_START,
    )
    return EventDraft(
        title=values["title"],
        kind=EventKind(values["kind"]),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        all_day=all_day,
        location=values["location"],
        leaders=split_list(values["leaders"]),
        owner=values["owner"].strip() or None,
        status=EventStatus(values["status"]),
        public=values["public"] == "yes",
        notes=values["notes"],
        rrule=repeat_rule(values["repeat"]),
    )


def draft_from_record(record: EventRecord, *, start: datetime | None = None) -> EventDraft:
    """An event as a draft; ``start`` moves it to one occurrence (same length)."""
    starts_at = record.starts_at if start is None else start
    ends_at = record.ends_at
    if start is not None and record.ends_at is not None:
        ends_at = start + (record.ends_at - record.starts_at)
    return EventDraft(
        title=record.title,
        kind=record.kind,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=record.timezone,
        all_day=record.all_day,
        location=record.location,
        leaders=record.leaders,
        owner=record.owner,
        status=record.status,
        public=record.public,
        notes=record.notes,
        rrule=record.rrule,
    )


NEW_EVENT_END = "+1h"


def new_draft(
    *, day: date, zone: str, leaders: tuple[str, ...] = (), owner: str | None = None
) -> EventDraft:
    """A blank appearance on ``day`` at 09:00 for an hour (the fields a planner changes);
    its form shows the end as ``NEW_EVENT_END``."""
    tz = zone_named(zone)
    starts_at = datetime.combine(day, DEFAULT_START).replace(tzinfo=tz)
    return EventDraft(
        title="",
        kind=EventKind.PUBLIC_APPEARANCE,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        timezone=zone,
        all_day=False,
        location="",
        leaders=leaders,
        owner=owner,
        status=EventStatus.CONFIRMED,
        public=True,
        notes="",
        rrule=None,
    )


@dataclass(frozen=True)
class EventTarget:
    """What an edit of one event (or one occurrence of a series) is made on: the series
    (whose version the save checks), the row holding the occurrence (the series, a one-off
    event or an override of one date) and the occurrence's start as ``edit_occurrence``
    takes it, with the form's draft of it all."""

    series: EventRecord
    here: EventRecord
    start: datetime
    draft: EventDraft


def event_target(
    series: EventRecord, here: EventRecord, start: datetime, scope: str | None
) -> EventTarget:
    """The occurrence starting ``start`` as the editor shows it: its own times, and for an
    edit of the following dates or the whole series the series' repeat rule."""
    if here.id != series.id or not series.rrule:
        start = here.starts_at  # a one-off or an override: its own (maybe moved) start
    draft = draft_from_record(here, start=start)
    if scope in ("following", "all"):
        draft = replace(draft, rrule=series.rrule)
    return EventTarget(series, here, start, draft)


def event_edit(
    db: Database, target: EventTarget, scope: str | None, *, now: Callable[[], datetime]
) -> Edit:
    """Editing a stored event: the changed fields, in ``scope``, on the series' version."""

    def loaded(current: EventTarget) -> Loaded:
        name = f"event “{current.here.title}”"
        return Loaded(current, current.series.version, name, draft_texts(current.draft))

    def load() -> Loaded:
        series = get_event(db, target.series.id)
        here = series if target.here.id == series.id else get_event(db, target.here.id)
        return loaded(event_target(series, here, target.start, scope))

    def write(base: Loaded, typed: Mapping[str, str]) -> object:
        current: EventTarget = base.record
        day = current.draft.starts_at.astimezone(zone_named(current.draft.timezone)).date()
        draft = parse_draft({**base.texts, **typed}, now=now(), day=day)
        changes = draft.changes_from(current.draft)
        if not changes:
            return current.here  # nothing changed: the form just closes
        # A one-off event takes the same call (its scope does not matter); a moved start
        # without a new end keeps the event's length.
        return edit_occurrence(
            db, current.here.id, current.start, scope or "all", base.version, **changes
        )

    return Edit(loaded(target), load, write)


def event_form(
    *,
    heading: str,
    initial: EventDraft,
    now: Callable[[], datetime],
    save: Callable[[EventDraft], object] | None = None,
    edit: Edit | None = None,
    series_fields: bool = True,
    end_text: str | None = None,
) -> FormScreen:
    """The editor, filled with ``initial``: a new event (``save`` gets the parsed draft in a
    worker) or a stored one (``edit``, see ``event_edit``); what either raises shows at the
    field it names. ``series_fields=False`` leaves out Repeat (one occurrence of a series is
    edited as that occurrence). ``end_text`` replaces the end as shown (a new event offers
    ``+1h``: it follows the start wherever it is moved)."""
    texts = draft_texts(initial)
    if end_text is not None:
        texts["end"] = end_text
    specs = [
        Field("title", "Title", texts["title"]),
        Field(
            "kind",
            "Kind",
            texts["kind"],
            options=tuple((k.value.replace("_", " "), k.value) for k in EventKind),
        ),
        Field(
            "start",
            "Starts (10:00 on that day, fri 3pm, 2026-11-30 09:30; all day: a date)",
            texts["start"],
            aliases=("starts_at",),
        ),
        Field(
            "end",
            "Ends (11:00, +90m, a date and time; all day: the last day; empty: none)",
            texts["end"],
            aliases=("ends_at",),
        ),
        Field(
            "zone", "Time zone (IANA, e.g. America/New_York)", texts["zone"], aliases=("timezone",)
        ),
        Field("all_day", "All day", texts["all_day"], options=YES_NO),
        Field("location", "Location", texts["location"]),
        Field("leaders", "Leaders (comma separated)", texts["leaders"]),
        Field("owner", "Owner (staff initials)", texts["owner"]),
        Field(
            "status",
            "Status",
            texts["status"],
            options=tuple((s.value, s.value) for s in EventStatus),
        ),
        Field("public", "Public", texts["public"], options=YES_NO),
        Field("notes", "Notes", texts["notes"]),
    ]
    if series_fields:
        specs.append(
            Field(
                "repeat",
                "Repeats (none, daily, weekdays, weekly, monthly, yearly, or an RRULE)",
                texts["repeat"],
                aliases=("rrule",),
            )
        )

    if edit is not None:
        return FormScreen(heading=heading, fields=specs, edit=edit)
    assert save is not None
    day = initial.starts_at.astimezone(zone_named(initial.timezone)).date()

    def parse_and_save(values: dict[str, str]) -> object:
        if not series_fields:
            values = {**values, "repeat": texts["repeat"]}
        return save(parse_draft(values, now=now(), day=day))

    return FormScreen(heading=heading, fields=specs, save=parse_and_save)
