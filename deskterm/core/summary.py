"""A short account of what a database holds (for a first look and for `deskterm` headless)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from db.engine import Database
from db.models import Clip, Contact, Event, Feed, Outlet, Request, Staff, Task
from deskterm.core.desk_file import is_empty
from deskterm.core.requests import OPEN_STATUSES

__all__ = ["Summary", "is_empty", "summarize"]


@dataclass(frozen=True)
class Summary:
    staff: int
    feeds: int
    clips: int
    open_requests: int
    requests: int
    tasks: int
    events: int
    outlets: int
    contacts: int

    @property
    def empty(self) -> bool:
        return not any((self.feeds, self.clips, self.requests, self.tasks, self.events))

    def describe(self, location: str) -> str:
        if self.empty:
            return (
                f"Welcome to deskterm. The database at {location} is empty.\n"
                "Add a news feed: deskterm feeds add https://example.org/rss --name Daily\n"
                "Try the demo desk: make run (or deskterm --db demo.sqlite3 init --demo, "
                "then deskterm --db demo.sqlite3)"
            )
        return (
            f"{location}: {self.feeds} feeds, {self.clips} clips, "
            f"{self.open_requests} open of {self.requests} requests, {self.tasks} tasks, "
            f"{self.events} events, {self.contacts} contacts at {self.outlets} outlets, "
            f"{self.staff} staff"
        )


def summarize(db: Database) -> Summary:
    def count(model: type) -> object:
        return select(func.count()).select_from(model).scalar_subquery()

    open_requests = (
        select(func.count())
        .select_from(Request)
        .where(Request.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )
    with db.read() as session:
        row = session.execute(
            select(
                count(Staff),
                count(Feed),
                count(Clip),
                open_requests,
                count(Request),
                count(Task),
                count(Event),
                count(Outlet),
                count(Contact),
            )
        ).one()
    return Summary(*(int(v) for v in row))
