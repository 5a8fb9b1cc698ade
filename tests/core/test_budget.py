"""The story budget: which cards a week holds, how they are grouped, and how it renders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert

from db.enums import TaskStatus
from db.models import Task
from deskterm.core.budget import render_html, render_markdown, story_budget
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff
from deskterm.core.tasks import BOARD_COLUMNS, create_task
from tests.core.cards import seed_card

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 23)


def local(day: int, hour: int = 12, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def week(db):
    """A week's worth of cards around the window [Mon 23 Nov, Mon 30 Nov) in New York."""
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    add_staff(db, initials="CD", name="Cy Dunn", role="comms_director", can_approve=True)
    cards = [
        # title, status, owner, due, publish
        ("Due Tuesday", "drafting", "CD", local(24, 15), None),
        ("Starts the week", "drafting", "AB", local(23, 0), None),
        ("Unassigned", "drafting", None, local(25, 9), None),
        ("Sunday night", "backlog", "AB", local(29, 23, 59), None),
        ("Goes out Thursday", "backlog", "AB", local(10, 17, month=12), local(26, 9)),
        ("Ran Wednesday", "published", "CD", None, local(25, 10)),
        ("Waiting on review", "in_review", "AB", local(15, 17, month=12), None),
        ("Approved, undated", "approved", "CD", None, None),
        ("Late Sunday before", "drafting", "AB", local(22, 23, 59), None),  # 04:59Z on the 23rd
        ("Next Monday", "drafting", "AB", local(30, 0), None),
        ("Spiked", "archived", "AB", local(24, 12), None),
        ("Far off", "backlog", "AB", local(10, 12, month=12), local(11, 12, month=12)),
    ]
    for title, status, owner, due, publish in cards:
        seed_card(
            db,
            title=title,
            kind="statement",
            status=status,
            owner=owner,
            reviewer="CD" if status == "in_review" else None,
            due_at=due,
            publish_at=publish,
        )
    return db


def titles(group) -> list[list[str]]:
    return [[line.task.title for line in owner.lines] for owner in group.owners]


def test_the_week_groups_by_column_then_owner_with_counts(week):
    budget = story_budget(week, start=MONDAY, tz=NY)
    assert [g.status for g in budget.groups] == list(BOARD_COLUMNS)
    by = {g.status: g for g in budget.groups}
    assert {g.status.value: g.count for g in budget.groups} == {
        "backlog": 2,
        "drafting": 3,
        "in_review": 1,
        "approved": 1,
        "published": 1,
    }
    assert budget.total == 8
    assert [o.owner for o in by[TaskStatus.DRAFTING].owners] == ["AB", "CD", None]
    assert titles(by[TaskStatus.DRAFTING]) == [["Starts the week"], ["Due Tuesday"], ["Unassigned"]]
    # Within an owner: by publish time, else due time.
    assert titles(by[TaskStatus.BACKLOG]) == [["Goes out Thursday", "Sunday night"]]
    assert [o.count for o in by[TaskStatus.BACKLOG].owners] == [2]
    assert budget.owner_counts == (("AB", 4), ("CD", 3), (None, 1))

    waiting = by[TaskStatus.IN_REVIEW].owners[0].lines[0]
    assert (waiting.task.title, waiting.carried) == ("Waiting on review", True)
    assert by[TaskStatus.APPROVED].owners[0].lines[0].carried
    assert not by[TaskStatus.PUBLISHED].owners[0].lines[0].carried
    assert budget.truncated is False


def test_window_boundaries_are_midnights_in_the_desks_zone(week):
    budget = story_budget(week, start=MONDAY, tz=NY)
    assert budget.starts_at == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert budget.ends_at == datetime(2026, 11, 30, 5, tzinfo=UTC)
    assert budget.last_day == date(2026, 11, 29)
    on = {line.task.title for g in budget.groups for o in g.owners for line in o.lines}
    assert {"Starts the week", "Sunday night"} <= on  # 00:00 Monday and 23:59 Sunday
    assert not on & {"Late Sunday before", "Next Monday", "Spiked", "Far off"}

    # The same week read in UTC takes the New York Sunday-night card of the week before.
    in_utc = story_budget(week, start=MONDAY, tz=UTC)
    on_utc = {line.task.title for g in in_utc.groups for o in g.owners for line in o.lines}
    assert "Late Sunday before" in on_utc and "Sunday night" not in on_utc

    # One day only.
    monday = story_budget(week, start=MONDAY, days=1, tz=NY)
    dated = [line.task.title for g in monday.groups for o in g.owners for line in o.lines]
    assert sorted(dated) == ["Approved, undated", "Starts the week", "Waiting on review"]


def test_a_week_across_the_clock_change(db):
    budget = story_budget(db, start=date(2026, 10, 26), tz=NY)  # clocks go back on 1 Nov
    assert budget.starts_at == datetime(2026, 10, 26, 4, tzinfo=UTC)
    assert budget.ends_at == datetime(2026, 11, 2, 5, tzinfo=UTC)
    assert budget.total == 0 and all(g.count == 0 for g in budget.groups)


def test_bad_arguments(db):
    for kwargs, field in (
        ({"start": datetime(2026, 11, 23, tzinfo=UTC)}, "start"),
        ({"start": MONDAY, "days": 0}, "days"),
        ({"start": MONDAY, "days": 32}, "days"),
        ({"start": MONDAY, "limit": 0}, "limit"),
    ):
        with pytest.raises(InputError) as caught:
            story_budget(db, tz=NY, **kwargs)
        assert caught.value.field == field


def test_a_limit_marks_the_budget_truncated(week):
    budget = story_budget(week, start=MONDAY, tz=NY, limit=3)
    assert (budget.total, budget.truncated) == (3, True)
    assert "Only the first 3 cards" in render_markdown(budget, tz=NY)


def test_markdown(week):
    create_task(week, title="Mayor's *big* [news](http://x.example) <b>", status="drafting",
                owner="CD", due_at=local(27, 10))  # fmt: skip
    text = render_markdown(story_budget(week, start=MONDAY, tz=NY), tz=NY)
    lines = text.splitlines()
    assert lines[0] == "# Story budget: Mon 23 Nov 2026 to Sun 29 Nov 2026"
    assert "9 products" in lines[2] and "AB 4, CD 4, unassigned 1" in lines[2]
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Backlog (2)",
        "## Drafting (4)",
        "## In review (1)",
        "## Approved (1)",
        "## Published (1)",
    ]
    drafting = lines[lines.index("## Drafting (4)") : lines.index("## In review (1)")]
    assert [line for line in drafting if line.startswith("### ")] == [
        "### AB (1)",
        "### CD (2)",
        "### Unassigned (1)",
    ]
    tuesday = next(line for line in lines if "Due Tuesday" in line)
    assert tuesday.startswith("- **Due Tuesday** \\#1 (statement)")
    assert "due Tue 24 Nov 15:00" in tuesday
    hostile = next(line for line in lines if "big" in line)
    assert "\\*big\\* \\[news\\]\\(http://x.example\\) \\<b\\>" in hostile
    assert "reviewer CD" in next(line for line in lines if "Waiting on review" in line)
    assert "waiting, no date this week" in next(line for line in lines if "undated" in line)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.problems: list[str] = []
        self.doctype = ""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_complete_document_with_everything_escaped(week):
    create_task(week, title='<script>alert("x")</script> & co', status="drafting", owner="AB",
                due_at=local(24, 11))  # fmt: skip
    add_staff(week, initials="X1", name="x", role="other")
    document = render_html(story_budget(week, start=MONDAY, tz=NY), tz=NY)
    parser = _Collector()
    parser.feed(document)
    parser.close()
    assert parser.doctype.lower() == "doctype html"
    assert parser.problems == [] and parser.stack == []
    assert parser.tags[:2] == ["html", "head"] and "body" in parser.tags
    assert "script" not in parser.tags  # the title stayed text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in document
    assert '<script>alert("x")</script> & co' in "".join(parser.text)
    assert parser.tags.count("table") == 5  # one per column that has cards
    assert parser.tags.count("h2") == 5
    assert "Nothing in this column." not in document
    assert "@page" in document and "http" not in document.split("<body>")[0]  # no fetches
    assert "Story budget: Mon 23 Nov 2026 to Sun 29 Nov 2026" in "".join(parser.text)

    empty = render_html(story_budget(week, start=date(2027, 3, 1), tz=NY), tz=NY)
    assert empty.count("Nothing in this column.") == 3  # review and approved still wait


def test_a_week_is_one_indexed_query_among_20000_cards(db):
    base = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = ["published"] * 6 + ["archived"] * 2 + ["backlog", "drafting"]
    rows = [
        {
            "title": f"card {i}",
            "kind": "statement",
            "status": statuses[i % 10],
            "due_at": base + timedelta(hours=i),
            "publish_at": base + timedelta(hours=i + 5) if i % 3 else None,
            "channels": "",
            "priority": "normal",
            "language": "en",
            "translations_owed": "",
            "body": "",
            "position": 0.0,
            "version": 1,
            "created_at": base,
            "updated_at": base,
        }
        for i in range(20_000)
    ]
    with db.transaction() as session:
        session.execute(insert(Task), rows)

    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        budget = story_budget(db, start=date(2026, 1, 5), tz=NY)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    # 2026-01-05 is hour ~8789 from base: 7 days = 168 due hours, publish 5h later.
    assert 100 < budget.total < 400

    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    on_tasks = [(s, p) for s, p in selects if "FROM tasks" in s]
    assert len(on_tasks) == 1 and len(selects) <= 2
    statement, parameters = on_tasks[0]
    with db.engine.connect() as connection:
        plan = " | ".join(
            row[3]
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        )
    assert "SCAN tasks" not in plan, plan
    assert "ix_tasks_status_due" in plan and "ix_tasks_publish_at" in plan, plan


def test_the_text_budget_for_the_screen_has_the_markdowns_lines_without_escapes(db):
    from deskterm.core import tasks
    from deskterm.core.budget import render_markdown, render_text, story_budget

    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tasks.create_task(db, title="Op-ed (draft) *v2*", due_at=start)
    budget = story_budget(db, start=start.date(), days=7, tz=UTC)
    text, markdown = render_text(budget, tz=UTC), render_markdown(budget, tz=UTC)
    assert "Op-ed (draft) *v2* #1 (" in text
    assert "\\(" in markdown and "\\(" not in text
    assert len(text.splitlines()) == len(markdown.splitlines())
