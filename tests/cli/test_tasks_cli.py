"""`deskterm tasks ...` as a user runs it: add, list, show, move, review, approve, comment and
the story budget, in text and JSON; refused moves exit 2 with the reason on one line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from deskterm.cli import main
from tests.cli.runner import cli, cli_json, run

NY = ZoneInfo("America/New_York")  # DESKTERM_TZ in tests/conftest.py
LINK = "https://city.example/news/budget"


def test_a_card_from_backlog_to_published(desk, capsys):
    code, out, _ = cli(
        desk, capsys, "tasks", "add", "Budget statement", "--kind", "statement",
        "--owner", "ab", "--due", "2026-11-24 15:00", "--publish", "2026-11-25 9am",
    )  # fmt: skip
    assert (code, out) == (0, "added task 1: Budget statement\n")
    added = cli_json(desk, capsys, "tasks", "add", "Weekly newsletter", "--reviewer", "CD")
    assert (added["id"], added["status"], added["reviewer"], added["due_at"]) == (
        2,
        "backlog",
        "CD",
        None,
    )

    listed = cli_json(desk, capsys, "tasks", "list")
    assert [t["title"] for t in listed] == ["Budget statement", "Weekly newsletter"]
    assert listed[0]["due_at"] == "2026-11-24T20:00:00+00:00"  # 15:00 in New York
    assert listed[0]["publish_at"] == "2026-11-25T14:00:00+00:00"
    code, out, _ = cli(desk, capsys, "tasks", "list", "--owner", "AB")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "id", "status", "kind", "owner", "reviewer", "due", "publish", "title"
    ]  # fmt: skip
    assert "Tue 24 Nov 2026 15:00" in out and "Weekly newsletter" not in out

    code, out, _ = cli(desk, capsys, "tasks", "move", "1", "drafting")
    assert (code, out) == (0, "task 1 is in Drafting, version 2\n")
    code, out, _ = cli(desk, capsys, "tasks", "review", "1", "cd")
    assert (code, out) == (0, "task 1 is in In review (reviewer CD), version 3\n")

    code, out, err = cli(desk, capsys, "tasks", "approve", "1", user="AB")
    assert (code, out) == (2, "")
    assert err == (
        "deskterm: only a staff member who may approve can move a card to Approved (AB cannot)\n"
    )
    signed = cli_json(desk, capsys, "tasks", "approve", "1", user="CD")
    assert (signed["status"], signed["approved_by"], signed["version"]) == ("approved", "CD", 4)

    code, out, _ = cli(desk, capsys, "tasks", "comment", "1", "Cleared by legal", user="CD")
    assert (code, out) == (0, "added comment 1 to task 1\n")
    comment = cli_json(desk, capsys, "tasks", "comment", "1", "Thanks")
    assert (comment["author"], comment["body"]) == ("AB", "Thanks")

    code, out, err = cli(desk, capsys, "tasks", "move", "1", "published")
    assert (code, err) == (2, "deskterm: published needs the link to what went out\n")
    published = cli_json(desk, capsys, "tasks", "move", "1", "published", "--link", LINK)
    assert (published["status"], published["published_url"]) == ("published", LINK)

    shown = cli_json(desk, capsys, "tasks", "show", "1")
    assert shown["task"]["approved_by"] == "CD"
    assert [(c["author"], c["body"]) for c in shown["comments"]] == [
        ("CD", "Cleared by legal"),
        ("AB", "Thanks"),
    ]
    code, out, _ = cli(desk, capsys, "tasks", "show", "1")
    assert code == 0 and "CD: Cleared by legal" in out and LINK in out


def test_budget_in_markdown_html_and_json(desk, capsys, tmp_path):
    cli(desk, capsys, "tasks", "add", "<script>x</script> release", "--owner", "AB",
        "--due", "2026-11-24 15:00")  # fmt: skip
    cli(desk, capsys, "tasks", "add", "Next week", "--due", "2026-12-01 10:00")

    code, out, _ = cli(desk, capsys, "tasks", "budget", "--from", "2026-11-23")
    assert code == 0
    assert out.startswith("# Story budget: Mon 23 Nov 2026 to Sun 29 Nov 2026\n")
    assert "## Backlog (1)" in out and "### AB (1)" in out and "Next week" not in out

    target = tmp_path / "budget.html"
    code, out, _ = cli(
        desk, capsys, "tasks", "budget", "--from", "2026-11-23", "--format", "html", "-o",
        str(target),
    )  # fmt: skip
    assert (code, out) == (0, f"{target}\n")
    document = target.read_text(encoding="utf-8")
    tags: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs) -> None:
            tags.append(tag)

    Tags().feed(document)
    assert document.startswith("<!DOCTYPE html>") and "script" not in tags
    assert "&lt;script&gt;x&lt;/script&gt; release" in document

    data = cli_json(desk, capsys, "tasks", "budget", "--from", "2026-11-30", "--days", "3")
    assert (data["start"], data["days"], data["total"]) == ("2026-11-30", 3, 1)
    assert data["groups"][0]["owners"][0]["lines"][0]["task"]["title"] == "Next week"


def test_budget_defaults_to_this_week_from_monday(desk, capsys):
    today = datetime.now(UTC).astimezone(NY).date()
    monday = today - timedelta(days=today.weekday())
    for args in ((), ("--week",)):
        data = cli_json(desk, capsys, "tasks", "budget", *args)
        assert (data["start"], data["days"]) == (monday.isoformat(), 7)
    code, _, err = cli(desk, capsys, "tasks", "budget", "--week", "--from", "mon")
    assert code == 2 and len(err.splitlines()) == 1


def test_self_approval_follows_the_settings(desk, capsys, tmp_path):
    cli(desk, capsys, "tasks", "add", "CD's own op-ed", "--owner", "CD", "--reviewer", "AB")
    cli(desk, capsys, "tasks", "move", "1", "drafting")
    cli(desk, capsys, "tasks", "move", "1", "in_review")
    code, _, err = cli(desk, capsys, "tasks", "approve", "1", user="CD")
    assert (code, err) == (2, "deskterm: CD owns this card: someone else must approve it\n")
    Path(os.environ["DESKTERM_CONFIG"]).write_text("allow_self_approval = true\n")
    moved = cli_json(desk, capsys, "tasks", "move", "1", "approved", user="CD")
    assert (moved["status"], moved["approved_by"]) == ("approved", "CD")


def test_checklist_items_are_added_ticked_and_removed_from_the_command_line(desk, capsys):
    cli(desk, capsys, "tasks", "add", "Statement", "--owner", "AB")
    code, out, _ = cli(
        desk, capsys, "tasks", "checklist", "add", "1", "Legal [b]review[/b]", "--required"
    )
    assert (code, out) == (
        0,
        "added item 1 to task 1 (required before publishing): Legal [b]review[/b]\n",
    )
    added = cli_json(desk, capsys, "tasks", "checklist", "add", "1", "Spanish version")
    assert (added["id"], added["required"], added["done"]) == (2, False, False)
    code, _, err = cli(desk, capsys, "tasks", "checklist", "remove", "1", user="AB")
    assert code == 2 and "only a staff member who may approve can remove it" in err
    code, out, _ = cli(desk, capsys, "tasks", "checklist", "done", "1", user="AB")
    assert (code, out) == (0, "ticked item 1 of task 1: Legal [b]review[/b]\n")
    shown = cli_json(desk, capsys, "tasks", "show", "1")
    assert [(i["label"], i["done"], i["done_by"]) for i in shown["checklist"]] == [
        ("Legal [b]review[/b]", True, "AB"),
        ("Spanish version", False, None),
    ]
    assert cli_json(desk, capsys, "tasks", "checklist", "undo", "1")["done"] is False
    code, out, _ = cli(desk, capsys, "tasks", "checklist", "remove", "2", user="AB")
    assert (code, out) == (0, "removed item 2 of task 1: Spanish version\n")
    for args in (
        ("tasks", "checklist", "add", "1", "  "),
        ("tasks", "checklist", "add", "9", "Anything"),
        ("tasks", "checklist", "done", "99"),
        ("tasks", "checklist", "remove", "x"),
    ):
        code, _, err = cli(desk, capsys, *args)
        assert code == 2 and len(err.splitlines()) == 1, (args, err)


def test_bad_input_exits_2_with_one_line(desk, capsys):
    for args in (
        ("tasks", "add", "x", "--due", "someday"),
        ("tasks", "add", "x", "--kind", "haiku"),
        ("tasks", "add", "x", "--owner", "QQ"),
        ("tasks", "list", "--status", "done"),
        ("tasks", "list", "--limit", "0"),
        ("tasks", "move", "one", "drafting"),
        ("tasks", "comment", "1", "hello"),  # no card 1 yet: an id that names nothing
        ("tasks", "budget", "--from", "24/11"),
        ("tasks",),
    ):
        code, _, err = cli(desk, capsys, *args)
        assert code == 2, (args, err)
        assert len(err.splitlines()) == 1 and err.startswith("deskterm: "), (args, err)


def test_a_refused_move_from_the_console_script(desk, tmp_path):
    assert main(["--db", str(desk), "tasks", "add", "Statement", "--owner", "AB"]) == 0
    main(["--db", str(desk), "tasks", "move", "1", "drafting"])
    result = run("--db", str(desk), "--user", "AB", "tasks", "move", "1", "published",
                 "--link", LINK, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "deskterm: only an approved card can be published (this one is in Drafting): "
        "a card cannot skip review"
    ]
    listed = run("--db", str(desk), "--json", "tasks", "list", "--status", "drafting", cwd=tmp_path)
    assert listed.returncode == 0
    assert [t["id"] for t in json.loads(listed.stdout)] == [1]
