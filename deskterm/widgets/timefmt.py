"""How the desk shows times: in the desk's zone, short."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def local(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz)


def start_of_day(now: datetime, tz: tzinfo) -> datetime:
    """Midnight today in the desk's zone, as an aware datetime."""
    today = now.astimezone(tz).date()
    return datetime.combine(today, time(0), tzinfo=tz)


def start_of_yesterday(now: datetime, tz: tzinfo) -> datetime:
    """Midnight at the start of yesterday in the desk's zone (a calendar day, whatever the
    clocks did overnight)."""
    yesterday = now.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(yesterday, time(0), tzinfo=tz)


def clock(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M") if moment else ""


def day_label(moment: datetime, tz: tzinfo, now: datetime) -> str:
    day = moment.astimezone(tz).date()
    today = now.astimezone(tz).date()
    if day == today:
        return "Today " + day.strftime("%a %d %b")
    if day == today + timedelta(days=1):
        return "Tomorrow " + day.strftime("%a %d %b")
    return day.strftime("%a %d %b")


def stamp(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M") if moment else "—"


def to_next_minute(now: datetime) -> float:
    """Seconds until the clock's next minute starts (a little after, so that a clock read
    then is in the new minute): what a display of HH:MM waits before it changes."""
    into = now.second + now.microsecond / 1_000_000
    return 60.0 - into + 0.05
