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
