"""`deskterm clips list` (states, topics, time, full-text search) and `deskterm clips report`
(Markdown, HTML, e-mail) as a user runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.engine import Actor, Database
from db.models import Clip
from deskterm.core import clips, contacts, feeds, topics
from tests.cli.runner import cli, cli_json, run

NY = ZoneInfo("America/New_York")  # DESKTERM_TZ in tests/conftest.py


@pytest.fixture
def news(desk: Path) -> dict[str, int]:
    """Six clips of the last hours: hidden, flagged, read, needing a correction; a topic."""
    db = Database(str(desk), actor=Actor("AB", "test"))
    try:
        contacts.add_outlet(db, name="Alder Daily Herald", type="print")
        feed = feeds.add_feed(db, url="https://herald.example/rss", outlet="Alder Daily Herald")
        now = datetime.now(UTC).replace(microsecond=0)
        made = {}
        for i, (key, title, summary) in enumerate(
            [
                ("rent", "Rent cap passes [b]today[/b]", "Tenants cheer the fiscal year"),
                ("budget", "Budget gap widens", "A levy is on the table"),
                ("hidden", "Budget rumour", ""),
                ("flagged", "Rental aid expands", "Budget money for tenants"),
                ("read", "Parks reopen", ""),
                ("old", "Budget of last month", ""),
            ]
        ):
            published = (
                now
                - timedelta(minutes=10 * (i + 1))
                - (timedelta(days=20) if key == "old" else timedelta())
            )
            made[key] = clips.add_clip(
                db,
                feed_id=feed.id,
                guid=key,
                title=title,
                summary=summary,
                url=f"https://herald.example/{key}",
                published_at=published,
            ).id
        clips.set_hidden(db, made["hidden"])
        clips.set_flagged(db, made["flagged"], now=now)
        clips.set_flagged(db, made["rent"], now=now)
        clips.set_read(db, made["read"])
        with db.transaction() as session:
            session.get(Clip, made["budget"]).needs_correction = True
        topic = topics.add_topic(db, name="Housing", query="rent* OR tenant*", priority=1)
        topics.rematch_topic(db, topic.id)
        made["day"] = now.astimezone(NY).date()  # the day they were flagged: their report's
        return made
    finally:
        db.dispose()


def listed(desk, capsys, *args) -> list[int]:
    return [c["id"] for c in cli_json(desk, capsys, "clips", "list", *args)]


def test_list_by_state_topic_and_time(desk, capsys, news):
    ids = news
    assert listed(desk, capsys) == [ids[k] for k in ("rent", "budget", "flagged", "read", "old")]
    assert listed(desk, capsys, "--state", "all")[2] == ids["hidden"]
    assert listed(desk, capsys, "--state", "hidden") == [ids["hidden"]]
    assert listed(desk, capsys, "--state", "flagged") == [ids["rent"], ids["flagged"]]
    assert listed(desk, capsys, "--state", "correction") == [ids["budget"]]
    assert ids["read"] not in listed(desk, capsys, "--state", "unread")
    assert listed(desk, capsys, "--topic", "housing") == [ids["rent"], ids["flagged"]]
    assert ids["old"] not in listed(desk, capsys, "--since", "yesterday")
    assert listed(desk, capsys, "--limit", "2") == [ids["rent"], ids["budget"]]

    code, out, _ = cli(desk, capsys, "clips", "list", "--state", "flagged")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "published", "outlet", "state", "title"]
    assert "Rent cap passes [b]today[/b]" in lines[1]  # shown literally
    assert "unread,flagged" in lines[1]


def test_search_newest_first_or_ranked(desk, capsys, news):
    ids = news
    # newest first = the order the desk got them (clip id): "old" was stored last
    assert listed(desk, capsys, "--search", "budget") == [ids["old"], ids["flagged"], ids["budget"]]
    assert listed(desk, capsys, "--search", "budget", "--state", "all")[2] == ids["hidden"]
    assert listed(desk, capsys, "--search", "budget", "--ranked")[0] in (ids["budget"], ids["old"])
    assert listed(desk, capsys, "--search", "herald NOT budget") == [ids["read"], ids["rent"]]
    assert listed(desk, capsys, "--search", '"fiscal year" OR levy') == [ids["budget"], ids["rent"]]
    assert listed(desk, capsys, "--search", "tenant*", "--topic", "Housing") == [
        ids["flagged"],
        ids["rent"],
    ]
    # a time, not "today": the clips are from the last hour, which at 00:20 in New York
    # (the tests' zone) was yesterday
    since = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    assert listed(desk, capsys, "--search", "budget", "--since", since) == [
        ids["flagged"],
        ids["budget"],
    ]


def test_list_errors_exit_2_in_one_line(desk, capsys, news):
    for args, message in [
        (["--state", "archived"], "unknown state 'archived'"),
        (["--search", "budget AND"], "(character 8)"),
        (["--search", '"'], 'a closing " is missing'),
        (["--ranked"], "give --search too"),
        (["--limit", "0"], "limit must be a whole number from 1 to 1000"),
        (["--topic", "Parks"], "no topic 'Parks'"),
        (["--since", "someday"], 'can\'t read "someday" as a date'),
    ]:
        code, out, err = cli(desk, capsys, "clips", "list", *args)
        assert code == 2, (args, err)
        assert out == "" and len(err.splitlines()) == 1 and message in err, (args, err)


def test_report_in_three_formats(desk, capsys, news, tmp_path):
    day = news["day"].isoformat()
    code, out, _ = cli(desk, capsys, "clips", "report", "--date", day)
    assert code == 0
    assert out.startswith("# Clip report — ")
    assert "**2 flagged clips: Housing 2. Times are E" in out
    assert "Rent cap passes \\[b\\]today\\[/b\\]" in out

    html_file = tmp_path / "report.html"
    code, out, _ = cli(
        desk, capsys, "clips", "report", "--date", day, "--format", "html", "-o", str(html_file)
    )
    assert (code, out) == (0, f"{html_file}\n")
    page = html_file.read_text(encoding="utf-8")
    assert "<script" not in page and "Rent cap passes [b]today[/b]" in page

    eml_file = tmp_path / "report.eml"
    written = cli_json(
        desk, capsys, "clips", "report", "--date", day, "--format", "eml", "-o", str(eml_file)
    )
    assert written == {"file": str(eml_file), "format": "eml", "date": day, "clips": 2}
    message = message_from_bytes(eml_file.read_bytes(), policy=default_policy)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"].endswith(": 2 clips")

    data = cli_json(desk, capsys, "clips", "report", "--date", day)
    assert [g["name"] for g in data["groups"]] == ["Housing"]
    assert data["total"] == 2

    code, _out, err = cli(desk, capsys, "clips", "report", "--date", day, "-o", str(tmp_path))
    assert code == 2 and err == f"deskterm: Is a directory: {tmp_path}\n"  # -o names a folder


def test_eml_to_stdout_from_the_console_script(desk, news, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        'report_recipients = ["mayor@city.example"]\nreport_from = "desk@city.example"\n'
    )
    result = run(
        "--db", str(desk), "clips", "report", "--date", news["day"].isoformat(), "--format", "eml",
        cwd=tmp_path, env={"DESKTERM_CONFIG": str(config)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    message = message_from_bytes(result.stdout.encode(), policy=default_policy)
    assert message["To"].addresses[0].addr_spec == "mayor@city.example"
    assert message["From"].addresses[0].addr_spec == "desk@city.example"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    bad = run("--db", str(desk), "clips", "report", "--date", "31 feb", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


def test_eml_without_recipients_warns_and_is_from_the_users_staff_address(
    desk, capsys, news, tmp_path
):
    """No report_recipients: the file is written all the same (a draft with no To:), exit
    0, with the desk's one-line warning on stderr; From: is the user's staff e-mail."""
    from deskterm.core.staff import add_staff

    db = Database(str(desk), actor=Actor("admin", "test"))
    try:
        add_staff(db, initials="MR", name="Mo Ruiz", role="pio", email="mruiz@city.example")
    finally:
        db.dispose()
    day = news["day"].isoformat()
    eml_file = tmp_path / "report.eml"
    args = ("clips", "report", "--date", day, "--format", "eml", "-o", str(eml_file))
    code, out, err = cli(desk, capsys, *args, user="MR")
    assert (code, out) == (0, f"{eml_file}\n")
    assert err == "warning: no recipients set: add report_recipients to the config\n"
    message = message_from_bytes(eml_file.read_bytes(), policy=default_policy)
    assert message["To"] is None
    assert message["From"].addresses[0].addr_spec == "mruiz@city.example"
    assert message["Subject"].endswith(": 2 clips")

    code, _out, err = cli(desk, capsys, "clips", "report", "--date", day, "--format", "md")
    assert (code, err) == (0, "")  # only the e-mail has recipients
    code, _out, err = cli(desk, capsys, *args, user="AB")  # AB has no e-mail on the staff
    assert code == 0 and err.startswith("warning: no recipients set")
    message = message_from_bytes(eml_file.read_bytes(), policy=default_policy)
    assert message["From"].addresses[0].addr_spec == "ab@localhost"


def test_a_far_future_date_is_bad_input_not_an_internal_error(desk, capsys) -> None:
    """9999-12-31 is a date, but the report of that day (and a week's budget from it)
    needs the day after it: refused as a typo, in one line, exit 2."""
    for command in (("clips", "report", "--date"), ("tasks", "budget", "--from")):
        code, out, err = cli(desk, capsys, *command, "9999-12-31")
        assert (code, out) == (2, ""), err
        assert err.startswith('deskterm: can\'t read "9999-12-31" as a date: the year must be')
        assert len(err.splitlines()) == 1
