"""iCalendar (RFC 5545) files in and out: ``import_ics`` and ``export_ics``.

Import reads the whole file first (nothing is written while parsing), then writes in one
short transaction. It is idempotent: an event is matched by its ``UID`` (and, for a changed
date of a series, its ``RECURRENCE-ID``), so importing a file twice creates nothing the
second time. A copy older than the desk's (a lower ``SEQUENCE``) is not applied; an equal
or newer one replaces the fields the file states. Fields the file does not state (our own
kind, leaders, owner, public flag when the file has no ``X-DESKTERM-*``, ``CATEGORIES`` or
``CLASS`` for them) are left as the desk has them, and get defaults on a new event.

How the file is read (every rule has a test in tests/core/test_ics.py):

- A file that is not iCalendar at all (no ``BEGIN:VCALENDAR`` first, binary data) is one
  ``InputError``. Anything wrong inside is reported, never raised: a broken component is
  *skipped* with the reason (no ``DTSTART``, a rule that is not usable, an unknown zone,
  never closed, ...); something dropped from an imported component is a *note* (a line
  that is not iCalendar, a ``SEQUENCE`` that is not a number, a kind we do not know). To-dos,
  journals and free/busy blocks are skipped by name.
- Zones: a ``TZID`` is an IANA name, a Windows name (Outlook's ``Eastern Standard Time``,
  mapped with icalendar's CLDR table), a ``/vendor/Area/City`` id, or a ``VTIMEZONE`` of the
  file with ``X-LIC-LOCATION``; failing those, the file's ``VTIMEZONE`` is matched to the IANA
  zone with the same UTC offsets (daily, over three years around the event). A ``TZID``
  none of this resolves skips the event, naming the zone.
- UTC times (``...Z``) are stored with zone ``UTC``. *Floating* times (no zone) and all-day
  dates are pinned to the calendar's ``X-WR-TIMEZONE`` if it names a zone, else to
  ``floating_zone`` (the command line passes the desk's zone): the desk stores no
  floating events, and an exported one carries that zone from then on. Our own exports
  carry ``X-DESKTERM-TIMEZONE`` on all-day events so their zone comes back unchanged.
- All-day: ``DTSTART;VALUE=DATE``; ``DTEND`` is the day after the last (multi-day events
  keep their days); without ``DTEND`` or ``DURATION`` it lasts one day.
- ``RRULE`` (one; any ``UNTIL`` form), ``EXDATE`` and ``RDATE`` (dates, date-times, several
  per line; an ``RDATE`` period counts as its start); ``RECURRENCE-ID`` components become
  override rows of their series (which must be in the file or on the desk).
- Our fields: ``X-DESKTERM-KIND``, ``-LEADERS`` (comma list), ``-OWNER`` (initials),
  ``-PUBLIC`` (TRUE/FALSE), ``-STATUS`` (adds ``postponed``), ``-TIMEZONE``. Without them:
  the first of ``CATEGORIES`` that names a kind gives the kind (else ``default_kind``),
  categories that name a key leader give the leaders, ``CLASS:PRIVATE``/``CONFIDENTIAL``
  makes an event not public, ``STATUS`` gives the status.
- Untrusted text: titles and locations lose control characters and line breaks and are
  cut to the column size; descriptions keep line breaks and tabs only; then the calendar
  validators (``deskterm.core.fields``) check them like typed input.

Export writes RFC 5545 with a ``VTIMEZONE`` for every zone a ``TZID`` names (icalendar's
``add_missing_timezones``), timed values in the event's zone (``...Z`` for UTC), all-day
values as dates, each series followed by its overrides; importing the export gives the
same events back (the round-trip test compares every exported field).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Timezone, vDuration, vUnknown
from icalendar import Event as VEvent
from icalendar.parser import Contentline, split_on_unescaped_comma
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import EventKind, EventStatus
from db.models import Event, Staff
from deskterm.core.calendar import (
    LOCATION_MAX,
    LOOKBACK,
    TITLE_MAX,
    UID_MAX,
    day_start,
    iter_chunks,
    names_leader,
    parse_exdates,
    parse_kind,
    parse_status,
    prepare_event,
    scheduled,
    series_query,
    wall_time,
)
from deskterm.core.config import DEFAULT_LEADERS
from deskterm.core.errors import InputError
from deskterm.core.fields import MAX_TEXT, aware, split_list

MAX_BYTES = 64 * 1024 * 1024
PRODID = "-//deskterm//deskterm calendar//EN"
NO_TITLE = "(no title)"

_DATE = re.compile(r"^([0-9]{8})$")
_DATETIME = re.compile(r"^([0-9]{8})T([0-9]{6})(Z?)$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# The fields our X- properties carry; compared and written only when the file states them.
_OPTIONAL = ("kind", "leaders", "owner_id", "public")
_STATUS = {
    "TENTATIVE": EventStatus.TENTATIVE,
    "CONFIRMED": EventStatus.CONFIRMED,
    "CANCELLED": EventStatus.CANCELLED,
}
_NOT_EVENTS = {
    "VTODO": "to-dos are not calendar events",
    "VJOURNAL": "journal entries are not calendar events",
    "VFREEBUSY": "free/busy blocks are not calendar events",
    "VAVAILABILITY": "availability blocks are not calendar events",
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``skipped``: (component, reason) for each component left out;
    ``notes``: (component or line, what was dropped or assumed) for things imported with
    a change."""

    source_name: str
    created: int
    updated: int
    unchanged: int
    skipped: tuple[tuple[str, str], ...]
    notes: tuple[tuple[str, str], ...] = ()


class _Skip(Exception):
    """Internal: this component cannot be imported (the message says why)."""


# --- reading the file -----------------------------------------------------------------------


@dataclass
class _Block:
    """One component directly inside a VCALENDAR (VEVENT, VTIMEZONE, ...)."""

    name: str
    line: int
    lines: list[str] = field(default_factory=list)  # every logical line, nested ones too
    props: list[tuple[str, dict[str, str], str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    broken: str | None = None


@dataclass
class _Parsed:
    """A VEVENT read and checked, ready to be written."""

    label: str
    uid: str
    sequence: int
    values: dict[str, Any]  # prepared (stored forms), without uid/owner
    stated: set[str]  # optional fields the file states
    owner: str | None
    recurrence: datetime | date | None = None
    notes: list[str] = field(default_factory=list)


def _decode(data: bytes, source_name: str) -> str:
    if not isinstance(data, bytes | bytearray):
        raise InputError(f"{source_name}: iCalendar data must be bytes")
    if len(data) > MAX_BYTES:
        raise InputError(f"{source_name} is too large ({len(data):,} bytes; at most {MAX_BYTES:,})")
    if b"\x00" in data[:65536]:
        raise InputError(f"{source_name} is not an iCalendar file (it holds binary data)")
    raw = bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # old Outlook exports
    head = text.lstrip(" \t\r\n\ufeff")[:17].upper()
    if not re.match(r"BEGIN:VCALENDAR[ \t]*(\r|\n|$)", head):
        raise InputError(
            f"{source_name} is not an iCalendar file (it does not begin with BEGIN:VCALENDAR)"
        )
    return text


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line number, unfolded line); blank lines dropped."""
    current: str | None = None
    number = 0
    for index, physical in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        if physical[:1] in (" ", "\t") and current is not None:
            current += physical[1:]
            continue
        if current is not None and current.strip():
            yield number, current
        current, number = physical, index
    if current is not None and current.strip():
        yield number, current


def _parts(line: str) -> tuple[str, dict[str, str], str] | None:
    """(NAME, params, raw value) of a content line, or None if it is not one."""
    try:
        name, params, value = Contentline(line).raw_parts()
    except (ValueError, IndexError):
        return None
    if not _PROPERTY_NAME.match(name or ""):
        return None
    flat = {}
    for key, item in params.items():
        flat[str(key).upper()] = item if isinstance(item, str) else ",".join(map(str, item))
    return name.upper(), flat, value


def _split(text: str) -> tuple[dict[str, str], list[_Block], list[tuple[str, str]]]:
    """The calendar's own properties, its components, and notes about dropped lines."""
    calendar_props: dict[str, str] = {}
    blocks: list[_Block] = []
    notes: list[tuple[str, str]] = []
    in_calendar = False
    block: _Block | None = None
    nested: list[str] = []
    for number, line in _logical_lines(text):
        parts = _parts(line)
        name = parts[0] if parts else ""
        value = parts[2].strip().upper() if parts else ""
        if block is not None:
            if name == "BEGIN" and value == block.name and not nested:
                block.broken = f"not closed (a new BEGIN:{value} at line {number})"
                blocks.append(block)
                block = _Block(value, number, [line])
                continue
            if name == "END" and value == "VCALENDAR" and not nested:
                block.broken = f"not closed (END:VCALENDAR at line {number})"
                blocks.append(block)
                block, in_calendar = None, False
                continue
            block.lines.append(line)
            if parts is None:
                block.problems.append(f"line {number} is not iCalendar and was ignored")
            elif name == "BEGIN":
                nested.append(value)
            elif name == "END":
                if nested and value in nested:
                    del nested[nested.index(value) :]
                elif value == block.name:
                    if nested:
                        block.problems.append(f"BEGIN:{nested[-1]} was never closed")
                    nested = []
                    blocks.append(block)
                    block = None
                else:
                    block.problems.append(f"line {number}: END:{value} without its BEGIN")
            elif not nested:
                block.props.append((name, parts[1], parts[2], number))
            continue
        if name == "BEGIN" and value == "VCALENDAR":
            in_calendar = True
        elif name == "END" and value == "VCALENDAR":
            in_calendar = False
        elif name == "BEGIN" and in_calendar:
            block, nested = _Block(value, number, [line]), []
        elif not in_calendar:
            if parts is None or name != "END":
                notes.append((f"line {number}", "text after END:VCALENDAR ignored"))
        elif parts is None:
            notes.append((f"line {number}", "not an iCalendar line; ignored"))
        elif name != "END":
            calendar_props.setdefault(name, parts[2])
        else:
            notes.append((f"line {number}", f"END:{value} without its BEGIN; ignored"))
    if block is not None:
        block.broken = f"not closed (the file ends before END:{block.name})"
        blocks.append(block)
    elif in_calendar:
        notes.append(("file", "it ends without END:VCALENDAR"))
    return calendar_props, blocks, notes


# --- text, dates and zones ------------------------------------------------------------------


def _unescape(raw: str) -> str:
    """An RFC 5545 TEXT value: ``\\n`` is a line break, ``\\,`` ``\\;`` ``\\\\`` literal."""

    def one(match: re.Match[str]) -> str:
        char = match.group(1)
        return "\n" if char in "nN" else char

    return _ESCAPE.sub(one, raw)


def _one_line(text: str, limit: int) -> str:
    """Untrusted text as one line: control characters gone (line breaks become spaces),
    whitespace collapsed, cut to ``limit`` characters."""
    cleaned = "".join(
        " " if ch in "\r\n\t\f\v" else ch
        for ch in text
        if ch in "\r\n\t\f\v" or unicodedata.category(ch) != "Cc"
    )
    line = " ".join(cleaned.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _free(text: str, limit: int) -> str:
    kept = "".join(
        ch for ch in text.replace("\r\n", "\n") if ch in "\n\t" or unicodedata.category(ch) != "Cc"
    ).strip()
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


@functools.cache
def _zone_names() -> tuple[str, ...]:
    """IANA zones, the usual city names first (matching prefers them)."""
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    city = [n for n in names if "/" in n and not n.startswith(("Etc/", "SystemV/", "US/"))]
    return tuple(city + [n for n in names if n not in city])


def _iana(name: str) -> str | None:
    name = name.strip()
    if not name or name in ("localtime", "Factory") or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


class _Zones:
    """Resolves the file's TZIDs to IANA zones (once each)."""

    def __init__(self, vtimezones: dict[str, _Block], floating: str) -> None:
        self.vtimezones = vtimezones
        self.floating = floating
        self.cache: dict[str, str | None] = {}

    def resolve(self, tzid: str, anchor: datetime) -> str | None:
        if tzid not in self.cache:
            self.cache[tzid] = self._resolve(tzid, anchor)
        return self.cache[tzid]

    def _resolve(self, tzid: str, anchor: datetime) -> str | None:
        cleaned = tzid.strip().strip('"').strip()
        candidates = [cleaned.strip("/")]
        if cleaned.strip("/") in WINDOWS_TO_OLSON:
            candidates.append(WINDOWS_TO_OLSON[cleaned.strip("/")])
        if cleaned.startswith("/"):
            pieces = cleaned.strip("/").split("/")
            candidates += ["/".join(pieces[i:]) for i in range(1, len(pieces))]
        block = self.vtimezones.get(tzid)
        if block is not None:
            candidates += [value for name, _, value, _ in block.props if name == "X-LIC-LOCATION"]
        for candidate in candidates:
            found = _iana(candidate)
            if found is not None:
                return found
        return self._match(block, anchor) if block is not None else None

    def _match(self, block: _Block, anchor: datetime) -> str | None:
        """The IANA zone whose UTC offsets equal the VTIMEZONE's around ``anchor``."""
        year = min(max(anchor.year, 1971), 9997)
        try:
            component = Timezone.from_ical("\r\n".join(_recent_onsets(block.lines, year - 2)))
            custom = component.to_tz(tzp, lookup_tzid=False)
            samples = [
                datetime(year - 1, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
                for day in range(0, 3 * 366, 1)
            ]
            wanted = [moment.astimezone(custom).utcoffset() for moment in samples]
        except Exception:  # a VTIMEZONE icalendar cannot read: no match
            return None
        for name in (self.floating, *_zone_names()):
            zone = ZoneInfo(name)
            if all(
                moment.astimezone(zone).utcoffset() == offset
                for moment, offset in zip(samples, wanted, strict=True)
            ):
                return name
        return None


_ONSET = re.compile(r"^(DTSTART:)([0-9]{4})([0-9]{4}T[0-9]{6})$", re.IGNORECASE)


def _recent_onsets(lines: list[str], year: int) -> list[str]:
    """The VTIMEZONE with observance onsets before ``year`` moved to ``year``.

    Outlook starts its yearly rules in 1601; dateutil would walk them from there for every
    time it converts (2 ms each). The rules are yearly, so the same month, day and time
    two years before the dates compared give the same offsets from then on.
    """
    out = []
    for line in lines:
        match = _ONSET.match(line.strip())
        if match and int(match.group(2)) < year:
            line = f"{match.group(1)}{year:04d}{match.group(3)}"
        out.append(line)
    return out


def _moment(
    raw: str, params: dict[str, str], zones: _Zones, what: str
) -> tuple[datetime | date, str]:
    """A DATE or DATE-TIME value: (aware UTC datetime or date, zone name)."""
    value = raw.strip()
    match = _DATETIME.match(value)
    try:
        if match is None:
            if _DATE.match(value) is None:
                raise ValueError
            return datetime.strptime(value, "%Y%m%d").date(), _date_zone(params, zones)
        wall = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        raise _Skip(f"{what} {value[:40]!r} is not a date or date-time") from None
    if match.group(3):
        return wall.replace(tzinfo=UTC), "UTC"
    tzid = params.get("TZID")
    if tzid:
        zone = zones.resolve(tzid, wall)
        if zone is None:
            raise _Skip(f"unknown time zone {tzid[:60]!r} in {what} (no usable VTIMEZONE)")
    else:
        zone = zones.floating
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC), zone


def _date_zone(params: dict[str, str], zones: _Zones) -> str:
    tzid = params.get("TZID")
    if tzid:
        return zones.resolve(tzid, datetime(2000, 1, 1)) or zones.floating
    return zones.floating


# --- one VEVENT -----------------------------------------------------------------------------


class _Props:
    def __init__(self, block: _Block) -> None:
        self.by_name: dict[str, list[tuple[dict[str, str], str, int]]] = {}
        for name, params, value, number in block.props:
            self.by_name.setdefault(name, []).append((params, value, number))

    def all(self, name: str) -> list[tuple[dict[str, str], str, int]]:
        return self.by_name.get(name, [])

    def first(self, name: str) -> tuple[dict[str, str], str, int] | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        found = self.first(name)
        return None if found is None else _unescape(found[1])


def _label(props: _Props, block: _Block) -> str:
    summary = props.text("SUMMARY")
    uid = props.text("UID")
    title = _one_line(summary, 60) if summary and summary.strip() else None
    where = f"line {block.line}"
    if title and uid:
        return f"{title!r} ({where}, UID {_one_line(uid, 60)})"
    if title or uid:
        return f"{title!r} ({where})" if title else f"UID {_one_line(uid or '', 60)} ({where})"
    return f"{block.name} at {where}"


def _read_event(
    block: _Block,
    zones: _Zones,
    *,
    default_kind: EventKind,
    leaders: dict[str, str],
) -> _Parsed:
    props = _Props(block)
    notes = list(block.problems)
    label = _label(props, block)

    uid_text = props.text("UID")
    uid = _one_line(uid_text or "", UID_MAX + 1).replace(" ", "") if uid_text else ""
    if uid_text and not uid:
        raise _Skip("its UID is empty")
    if len(uid) > UID_MAX:
        raise _Skip(f"its UID is longer than {UID_MAX} characters")

    start_prop = props.first("DTSTART")
    if start_prop is None:
        raise _Skip("it has no DTSTART (start time)")
    start, zone_name = _moment(start_prop[1], start_prop[0], zones, "DTSTART")
    all_day = not isinstance(start, datetime)
    mine_zone = props.text("X-DESKTERM-TIMEZONE")
    if all_day and mine_zone and _iana(mine_zone):
        zone_name = _iana(mine_zone) or zone_name
    zone = ZoneInfo(zone_name)
    starts_at = start if isinstance(start, datetime) else day_start(start, zone)

    ends_at = _end(props, start, starts_at, zone, zones, notes)

    recurrence = None
    rid = props.first("RECURRENCE-ID")
    if rid is not None:
        recurrence, _ = _moment(rid[1], rid[0], zones, "RECURRENCE-ID")
        if rid[0].get("RANGE", "").upper() == "THISANDFUTURE":
            notes.append("RANGE=THISANDFUTURE is read as this date only")

    rules = props.all("RRULE")
    rule = rules[0][1] if rules else None
    if len(rules) > 1:
        notes.append(f"{len(rules)} RRULEs: only the first is used")
    exdates = _dates(props.all("EXDATE"), starts_at, all_day, zone, zones, "EXDATE", notes)
    rdates = _dates(props.all("RDATE"), starts_at, all_day, zone, zones, "RDATE", notes)
    if recurrence is not None and (rule or exdates or rdates):
        notes.append("RRULE/EXDATE/RDATE on a changed date of a series are ignored")
        rule, exdates, rdates = None, [], []
    if rdates and not rule:
        notes.append("RDATE without RRULE is not supported: the extra dates were left out")
        rdates = []

    ours = _our_fields(props, default_kind, leaders, notes)
    sequence = _sequence(props, notes)
    title = _one_line(props.text("SUMMARY") or "", TITLE_MAX) or NO_TITLE
    try:
        values = prepare_event(
            {
                "title": title,
                "kind": ours.kind,
                "status": ours.status,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "timezone": zone.key,
                "all_day": all_day,
                "location": _one_line(props.text("LOCATION") or "", LOCATION_MAX),
                "leaders": ours.leaders,
                "public": ours.public,
                "notes": _free(props.text("DESCRIPTION") or "", MAX_TEXT),
                "rrule": rule,
                "exdates": exdates,
                "rdates": rdates,
            }
        )
    except InputError as error:
        raise _Skip(_reason(error)) from None
    if not uid:
        uid = _made_up_uid(values)
        notes.append(f"no UID: given {uid}")
    return _Parsed(label, uid, sequence, values, ours.stated, ours.owner, recurrence, notes)


@dataclass
class _Ours:
    """Our own fields as the file states them (``stated``: the optional ones it gives)."""

    kind: EventKind
    leaders: list[str]
    status: EventStatus
    public: bool
    owner: str | None
    stated: set[str]


def _our_fields(
    props: _Props, default_kind: EventKind, leaders: dict[str, str], notes: list[str]
) -> _Ours:
    """Kind, leaders, status, public flag and owner: X-DESKTERM-* first, then CATEGORIES,
    STATUS and CLASS."""
    stated: set[str] = set()
    kind = default_kind
    categories = _categories(props)
    mine_kind = props.text("X-DESKTERM-KIND")
    if mine_kind is not None:
        try:
            kind = parse_kind(mine_kind.strip())
            stated.add("kind")
        except InputError:
            notes.append(f"unknown X-DESKTERM-KIND {_one_line(mine_kind, 40)!r} ignored")
    if "kind" not in stated:
        for category in categories:
            try:
                kind = parse_kind(category)
            except InputError:
                continue
            stated.add("kind")
            break

    mine_leaders = props.text("X-DESKTERM-LEADERS")
    if mine_leaders is not None:
        named = [_one_line(name, 100) for name in mine_leaders.split(",")]
        stated.add("leaders")
    else:
        named = [leaders[c.casefold()] for c in categories if c.casefold() in leaders]
        if named:
            stated.add("leaders")

    plain_status = _STATUS.get((props.text("STATUS") or "").strip().upper(), EventStatus.CONFIRMED)
    status = plain_status
    mine_status = props.text("X-DESKTERM-STATUS")
    if mine_status is not None:
        try:
            status = parse_status(mine_status.strip())
        except InputError:
            notes.append(f"unknown X-DESKTERM-STATUS {_one_line(mine_status, 40)!r} ignored")

    public = True
    mine_public = (props.text("X-DESKTERM-PUBLIC") or "").strip().upper()
    access = (props.text("CLASS") or "").strip().upper()
    if mine_public in ("TRUE", "FALSE"):
        public = mine_public == "TRUE"
        stated.add("public")
    elif access:
        public = access not in ("PRIVATE", "CONFIDENTIAL")
        stated.add("public")

    owner = props.text("X-DESKTERM-OWNER")
    if owner is not None:
        owner = _one_line(owner, 8).upper() or None
        stated.add("owner_id")
    return _Ours(kind, named, status, public, owner, stated)


def _sequence(props: _Props, notes: list[str]) -> int:
    text = props.text("SEQUENCE")
    if text is None:
        return 0
    if text.strip().isdigit():
        return min(int(text.strip()), 2**31 - 1)
    notes.append(f"SEQUENCE {_one_line(text, 20)!r} is not a number; read as 0")
    return 0


def _reason(error: InputError) -> str:
    text = str(error)
    return text.replace("rrule ", "RRULE ", 1) if text.startswith("rrule ") else text


def _end(
    props: _Props,
    start: datetime | date,
    starts_at: datetime,
    zone: ZoneInfo,
    zones: _Zones,
    notes: list[str],
) -> datetime | None:
    end_prop = props.first("DTEND")
    all_day = not isinstance(start, datetime)
    if end_prop is not None:
        try:
            end, _ = _moment(end_prop[1], end_prop[0], zones, "DTEND")
        except _Skip as problem:
            notes.append(f"{problem}; DTEND ignored")
            return None
        if all_day:
            day = end.astimezone(zone).date() if isinstance(end, datetime) else end
            if day <= start:
                notes.append("DTEND is not after DTSTART: read as one day")
                return None
            return day_start(day, zone)
        if not isinstance(end, datetime):
            end = day_start(end, zone)
        if end < starts_at:
            notes.append("DTEND is before DTSTART: the end was left out")
            return None
        return end
    duration_prop = props.first("DURATION")
    if duration_prop is None:
        return None
    try:
        length = vDuration.from_ical(duration_prop[1].strip())
    except (ValueError, TypeError):
        notes.append(f"DURATION {duration_prop[1][:30]!r} is not a duration; ignored")
        return None
    if not isinstance(length, timedelta) or length < timedelta(0):
        notes.append("a negative DURATION was ignored")
        return None
    if all_day:
        days = max(length.days, 1)
        return day_start(wall_time(starts_at, zone).date() + timedelta(days=days), zone)
    return starts_at + length


def _dates(
    found: list[tuple[dict[str, str], str, int]],
    starts_at: datetime,
    all_day: bool,
    zone: ZoneInfo,
    zones: _Zones,
    what: str,
    notes: list[str],
) -> list[datetime]:
    """EXDATE/RDATE values as UTC starts (a date names the series' time on that day)."""
    out: list[datetime] = []
    start_time = wall_time(starts_at, zone).time()
    periods = False
    for params, raw, _ in found:
        for piece in split_on_unescaped_comma(raw):
            piece = piece.strip()
            if not piece:
                continue
            if "/" in piece:
                piece, periods = piece.split("/", 1)[0], True
            try:
                value, _ = _moment(piece, params, zones, what)
            except _Skip as problem:
                notes.append(f"{problem}; left out")
                continue
            if isinstance(value, datetime):
                out.append(value)
            else:
                wall = datetime.combine(value, time(0) if all_day else start_time)
                out.append(wall.replace(tzinfo=zone).astimezone(UTC))
    if periods:
        notes.append(f"{what} periods are read as their start dates")
    return out


def _categories(props: _Props) -> list[str]:
    out: list[str] = []
    for _, raw, _ in props.all("CATEGORIES"):
        out += [_one_line(_unescape(part), 100) for part in split_on_unescaped_comma(raw)]
    return [c for c in out if c]


def _made_up_uid(values: dict[str, Any]) -> str:
    """A stable UID for a component without one (so a second import matches it)."""
    import hashlib

    key = f"{values['title']}|{values['starts_at'].isoformat()}|{values['rrule']}"
    return f"{hashlib.sha1(key.encode()).hexdigest()[:20]}@import.deskterm"


# --- import ---------------------------------------------------------------------------------


def import_ics(
    db: Database,
    data: bytes,
    *,
    source_name: str,
    floating_zone: str = "UTC",
    default_kind: EventKind | str = EventKind.INTERNAL_MEETING,
    known_leaders: Sequence[str] = DEFAULT_LEADERS,
) -> ImportResult:
    """Import the events of an iCalendar file (see the module docstring for the rules).

    ``floating_zone`` (an IANA name) pins times without a zone when the file has no
    ``X-WR-TIMEZONE``; ``default_kind`` is the kind of an event whose file says none;
    ``known_leaders`` are the names ``CATEGORIES`` may give as leaders. Raises
    ``InputError`` only when the data is not iCalendar at all.
    """
    floating = _iana(floating_zone) or "UTC"
    kind = parse_kind(default_kind)
    leaders = {name.casefold(): name for name in known_leaders}
    text = _decode(data, source_name)
    calendar_props, blocks, notes = _split(text)
    wr_zone = calendar_props.get("X-WR-TIMEZONE")
    if wr_zone:
        found = _iana(_unescape(wr_zone)) or WINDOWS_TO_OLSON.get(_unescape(wr_zone).strip())
        if found:
            floating = found
        else:
            notes.append(("calendar", f"X-WR-TIMEZONE {wr_zone[:40]!r} is not a zone; ignored"))
    vtimezones: dict[str, _Block] = {}
    for block in blocks:
        if block.name == "VTIMEZONE" and block.broken is None:
            tzid = next((value for name, _, value, _ in block.props if name == "TZID"), None)
            if tzid:
                vtimezones[tzid] = block
    zones = _Zones(vtimezones, floating)

    skipped: list[tuple[str, str]] = []
    events: list[_Parsed] = []
    for block in blocks:
        if block.name == "VTIMEZONE":
            if block.broken is not None:
                notes.append((f"VTIMEZONE at line {block.line}", f"{block.broken}; ignored"))
            continue
        label = _label(_Props(block), block)
        if block.name != "VEVENT":
            reason = _NOT_EVENTS.get(block.name, f"{block.name} components are not imported")
            skipped.append((label, reason))
            continue
        if block.broken is not None:
            skipped.append((label, f"it is {block.broken}"))
            continue
        try:
            parsed = _read_event(block, zones, default_kind=kind, leaders=leaders)
        except _Skip as problem:
            skipped.append((label, str(problem)))
            continue
        events.append(parsed)
        notes += [(parsed.label, note) for note in parsed.notes]

    masters, overrides = _group(events, skipped, notes)
    with db.transaction() as session:
        counts = _write(session, masters, overrides, skipped, notes)
    return ImportResult(
        source_name=source_name,
        created=counts[0],
        updated=counts[1],
        unchanged=counts[2],
        skipped=tuple(skipped),
        notes=tuple(notes),
    )


def _group(
    events: list[_Parsed], skipped: list[tuple[str, str]], notes: list[tuple[str, str]]
) -> tuple[dict[str, _Parsed], dict[tuple[str, datetime | date], _Parsed]]:
    masters: dict[str, _Parsed] = {}
    overrides: dict[tuple[str, datetime | date], _Parsed] = {}
    for parsed in events:
        if parsed.recurrence is None:
            key: Any = parsed.uid
            table: dict[Any, _Parsed] = masters
        else:
            key, table = (parsed.uid, parsed.recurrence), overrides
        kept = table.get(key)
        if kept is None:
            table[key] = parsed
            continue
        newer, older = (parsed, kept) if parsed.sequence >= kept.sequence else (kept, parsed)
        table[key] = newer
        skipped.append((older.label, "the same UID is in the file again; the newer copy was used"))
    return masters, overrides


def _write(
    session: Session,
    masters: dict[str, _Parsed],
    overrides: dict[tuple[str, datetime | date], _Parsed],
    skipped: list[tuple[str, str]],
    notes: list[tuple[str, str]],
) -> tuple[int, int, int]:
    uids = sorted({*masters, *(uid for uid, _ in overrides)})
    existing: dict[tuple[str, datetime | None], Event] = {}
    for chunk in iter_chunks(uids):
        for row in session.scalars(select(Event).where(Event.uid.in_(chunk))):
            existing[(row.uid, row.recurrence_id)] = row
    staff = {initials: id_ for initials, id_ in session.execute(select(Staff.initials, Staff.id))}
    created = updated = unchanged = 0

    def save(parsed: _Parsed, row: Event | None, extra: dict[str, Any]) -> Event | None:
        nonlocal created, updated, unchanged
        values = {**parsed.values, **extra, "sequence": parsed.sequence}
        if "owner_id" in parsed.stated:
            values["owner_id"] = staff.get(parsed.owner or "")
            if parsed.owner and values["owner_id"] is None:
                notes.append((parsed.label, f"unknown owner {parsed.owner!r}: left empty"))
        if row is None:
            row = Event(uid=parsed.uid, **values)
            session.add(row)
            created += 1
            return row
        wanted = {k: v for k, v in values.items() if k not in _OPTIONAL or k in parsed.stated}
        wanted.pop("sequence")
        changed = {k: v for k, v in wanted.items() if getattr(row, k) != v}
        if changed and parsed.sequence < (row.sequence or 0):
            skipped.append(
                (
                    parsed.label,
                    f"older than the copy on the desk (SEQUENCE {parsed.sequence} < "
                    f"{row.sequence}); not applied",
                )
            )
            return row
        if parsed.sequence > (row.sequence or 0):
            changed["sequence"] = parsed.sequence
        if changed:  # an older copy that would change nothing is simply the same event
            for key, value in changed.items():
                setattr(row, key, value)
            updated += 1
        else:
            unchanged += 1
        return row

    series: dict[str, Event] = {}
    for uid, parsed in masters.items():
        row = save(parsed, existing.get((uid, None)), {"parent_id": None, "recurrence_id": None})
        if row is not None:
            series[uid] = row
    session.flush()
    for (uid, recurrence), parsed in overrides.items():
        parent = series.get(uid) or existing.get((uid, None))
        if parent is None or parent.rrule is None:
            why = "is not in this file or on the desk" if parent is None else "does not repeat"
            skipped.append((parsed.label, f"a changed date of a series that {why}"))
            continue
        if isinstance(recurrence, datetime):
            moment = recurrence
        else:
            zone = ZoneInfo(parent.timezone)
            if parent.all_day:
                moment = day_start(recurrence, zone)
            else:
                wall = datetime.combine(recurrence, wall_time(parent.starts_at, zone).time())
                moment = wall.replace(tzinfo=zone).astimezone(UTC)
        extra = {"parent_id": parent.id, "recurrence_id": moment}
        save(parsed, existing.get((uid, moment)), extra)
    session.flush()
    return created, updated, unchanged


# --- export ---------------------------------------------------------------------------------


def export_ics(
    db: Database,
    *,
    leader: str | None = None,
    kind: EventKind | str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> bytes:
    """The desk's events as an iCalendar file (bytes, UTF-8, CRLF lines).

    Without a range: every event matching ``leader``/``kind`` (series whole, with their
    overrides). With ``start`` and ``end``: the events with an occurrence in
    ``[start, end)``, each series whole. ``leader`` matches one of the event's leaders,
    ignoring case.
    """
    stamp = aware(now, field="now") if now is not None else datetime.now(UTC)
    wanted_kind = None if kind is None else parse_kind(kind)
    wanted_leader = " ".join(leader.split()).casefold() if leader else None
    if (start is None) != (end is None):
        raise InputError(
            "give both ends of the range, or neither", field="start" if start is None else "end"
        )
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    first: date | None = None
    last: date | None = None
    ids = None
    if start is not None and end is not None:
        ids = _ids_in_range(db, start, end, wanted_leader, wanted_kind)
    with db.read() as session:
        initials = {i: s for s, i in session.execute(select(Staff.initials, Staff.id))}
        if ids is not None:
            pages: Iterator[list[Event]] = _rows_by_id(session, ids)
        else:
            pages = _all_masters(session, wanted_kind, wanted_leader)
        for page in pages:
            children: dict[int, list[Event]] = {}
            for chunk in iter_chunks([row.id for row in page]):
                query = (
                    select(Event).where(Event.parent_id.in_(chunk)).order_by(Event.recurrence_id)
                )
                for child in session.scalars(query):
                    children.setdefault(child.parent_id or 0, []).append(child)
            for row in page:
                for item in (row, *children.get(row.id, [])):
                    calendar.add_component(_vevent(item, stamp, initials, series=row))
                    day = item.starts_at.date()
                    first = day if first is None or day < first else first
                    last = day if last is None or day > last else last
    if first is not None and last is not None:
        # Transitions from a year before the first event to five years past the last
        # (or today): clients that read VTIMEZONE rather than the TZID name need them.
        today = stamp.date()
        calendar.add_missing_timezones(
            first_date=first - timedelta(days=366),
            last_date=max(last, today) + timedelta(days=5 * 366),
        )
    return calendar.to_ical()


_EXPORT_PAGE = 500


def _all_masters(
    session: Session, kind: EventKind | None, leader: str | None
) -> Iterator[list[Event]]:
    """Series and one-off events in pages by id (keyset), filtered."""
    after = 0
    while True:
        query = select(Event).where(Event.parent_id.is_(None), Event.id > after)
        if kind is not None:
            query = query.where(Event.kind == kind)
        rows = list(session.scalars(query.order_by(Event.id).limit(_EXPORT_PAGE)))
        if not rows:
            return
        after = rows[-1].id
        page = [r for r in rows if leader is None or names_leader(split_list(r.leaders), leader)]
        if page:
            yield page


def _ids_in_range(
    db: Database, start: datetime, end: datetime, leader: str | None, kind: EventKind | None
) -> list[int]:
    """Ids of the one-off events and series with a date in ``[start, end)`` (a series also
    when one of its overrides matches there), filtered by leader and kind."""
    start = aware(start, field="start")
    end = aware(end, field="end")
    if end <= start:
        raise InputError("the range ends before it starts", field="end")
    filters: list[Any] = [] if kind is None else [Event.kind == kind]
    ids: set[int] = set()
    with db.read() as session:
        rows = session.execute(
            select(Event.id, Event.parent_id, Event.leaders).where(
                *filters,
                Event.starts_at >= start - LOOKBACK,
                Event.starts_at < end,
                or_(Event.starts_at >= start, Event.ends_at > start),
                or_(Event.rrule.is_(None), (Event.parent_id + 0).is_not(None)),
            )
        )
        for event_id, parent_id, leaders in rows:
            if leader is None or names_leader(split_list(leaders), leader):
                ids.add(parent_id or event_id)
        for row in session.execute(series_query(filters, end)):
            if row.id in ids or (
                leader is not None and not names_leader(split_list(row.leaders), leader)
            ):
                continue
            skip = set(parse_exdates(row.exdates))
            if scheduled(row, start, end, limit=1, skip=skip):
                ids.add(row.id)
    return sorted(ids)


def _rows_by_id(session: Session, ids: list[int]) -> Iterator[list[Event]]:
    for chunk in iter_chunks(ids, _EXPORT_PAGE):
        yield list(session.scalars(select(Event).where(Event.id.in_(chunk)).order_by(Event.id)))


def _value(moment: datetime, zone: ZoneInfo, all_day: bool) -> datetime | date:
    """A stored time as iCalendar writes it: a date (all-day), UTC, or in the zone."""
    if all_day:
        return wall_time(moment, zone).date()
    return moment.astimezone(UTC) if zone.key == "UTC" else moment.astimezone(zone)


def _vevent(row: Event, stamp: datetime, initials: dict[int, str], *, series: Event) -> VEvent:
    """One VEVENT; an override's RECURRENCE-ID takes its series' form (RFC 5545 wants the
    value type of the series' DTSTART)."""
    zone = ZoneInfo(row.timezone)
    event = VEvent()
    event.add("UID", row.uid)
    event.add("DTSTAMP", stamp)
    event.add("SEQUENCE", row.sequence or 0)
    event.add("SUMMARY", row.title)

    def value(moment: datetime) -> datetime | date:
        return _value(moment, zone, row.all_day)

    event.add("DTSTART", value(row.starts_at))
    if row.ends_at is not None:
        event.add("DTEND", value(row.ends_at))
    if row.recurrence_id is not None:
        event.add(
            "RECURRENCE-ID",
            _value(row.recurrence_id, ZoneInfo(series.timezone), series.all_day),
        )
    if row.rrule:
        event.add("RRULE", vUnknown(row.rrule))  # our canonical text, kept as it is
        exdates = parse_exdates(row.exdates)
        if exdates:
            event.add("EXDATE", [value(moment) for moment in exdates])
        rdates = parse_exdates(row.rdates or "")
        if rdates:
            event.add("RDATE", [value(moment) for moment in rdates])
    if row.location:
        event.add("LOCATION", row.location)
    if row.notes:
        event.add("DESCRIPTION", row.notes)
    status = EventStatus(row.status)
    event.add("STATUS", "TENTATIVE" if status is EventStatus.POSTPONED else status.value.upper())
    event.add("CLASS", "PUBLIC" if row.public else "PRIVATE")
    leaders = split_list(row.leaders)
    event.add("CATEGORIES", [EventKind(row.kind).value.replace("_", " "), *leaders])
    event.add("X-DESKTERM-KIND", EventKind(row.kind).value)
    event.add("X-DESKTERM-STATUS", status.value)
    event.add("X-DESKTERM-PUBLIC", "TRUE" if row.public else "FALSE")
    event.add("X-DESKTERM-LEADERS", ",".join(leaders))
    if row.owner_id is not None and row.owner_id in initials:
        event.add("X-DESKTERM-OWNER", initials[row.owner_id])
    if row.all_day:
        event.add("X-DESKTERM-TIMEZONE", zone.key)
    event.add("CREATED", row.created_at.astimezone(UTC))
    event.add("LAST-MODIFIED", row.updated_at.astimezone(UTC))
    return event
