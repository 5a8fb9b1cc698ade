"""`deskterm requests ...` as a user runs it: add, list (most urgent first), update by number
or id, export for records retention; bad input exits 2 with one line on stderr."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from db.engine import Actor, Database
from deskterm.cli import main
from deskterm.cli import requests as requests_cli
from deskterm.core import requests as core_requests
from deskterm.core.requests import RequestRecord, create_request
from tests.cli.runner import cli, cli_json, run

YEAR = datetime.now(UTC).year


def test_add_says_when_the_user_is_not_on_the_staff_list(desk, capsys):
    """Logged by "ZZ" (not staff): stored, with a note on stderr that it is in no one's
    name; by AB (staff) nothing is said and AB took it."""
    args = ("requests", "add", "--kind", "media", "--from", "Jo", "--subject", "Budget gap")
    code, out, err = cli(desk, capsys, *args, user="ZZ")
    assert code == 0 and out.startswith("logged ")
    assert err.startswith("note: 'ZZ' is not on the staff list (AB, CD)") and err.count("\n") == 1
    code, _, err = cli(desk, capsys, *args, "--json", user="ab")
    assert code == 0 and err == ""


def test_add_then_list_most_urgent_first(desk, capsys):
    code, out, err = cli(
        desk, capsys, "requests", "add", "--kind", "media", "--from", "Jo Reporter",
        "--outlet", "Daily Bugle", "--subject", "Budget gap", "--deadline", "+3d",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"logged M-{YEAR}-0001: Budget gap (due ") and out.endswith(")\n")
    urgent = cli_json(
        desk, capsys, "requests", "add", "--kind", "media", "--from", "Lee", "--subject",
        "Water main", "--deadline", "+2h", "--assignee", "cd", "--channel", "email",
        "--question", "When will it be fixed?",
    )  # fmt: skip
    assert (urgent["number"], urgent["status"], urgent["assignee"]) == (
        f"M-{YEAR}-0002",
        "assigned",
        "CD",
    )
    assert (urgent["channel"], urgent["questions"]) == ("email", "When will it be fixed?")
    code, out, _ = cli(
        desk, capsys, "requests", "add", "--kind", "records", "--from", "Al Citizen",
        "--subject", "Emails about the park",
    )  # fmt: skip
    assert (code, out) == (0, f"logged PR-{YEAR}-0001: Emails about the park\n")

    listed = cli_json(desk, capsys, "requests", "list")
    assert [r["number"] for r in listed] == [f"M-{YEAR}-0002", f"M-{YEAR}-0001", f"PR-{YEAR}-0001"]
    code, out, _ = cli(desk, capsys, "requests", "list", "--open")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "number", "due", "kind", "from/outlet", "subject", "assignee", "status"
    ]  # fmt: skip
    assert lines[1].startswith(f"M-{YEAR}-0002") and "due in 1h" in lines[1]
    assert "Jo Reporter / Daily Bugle" in lines[2] and "due in 2d" in lines[2]
    media = cli_json(desk, capsys, "requests", "list", "--kind", "records")
    assert [r["number"] for r in media] == [f"PR-{YEAR}-0001"]


def test_add_takes_the_outlets_language_unless_given(desk, capsys):
    """La Opinión is a Spanish-language outlet: a request from it (typed in any case, without
    accents, or through its reporter) is logged in es; --language wins; else en."""
    for args in (
        ("contacts", "outlets", "add", "La Opinión", "--type", "community", "--language", "es"),
        ("contacts", "add", "Mateo Díaz", "--outlet", "La Opinión"),
    ):
        assert cli(desk, capsys, *args)[0] == 0
    add = ("requests", "add", "--kind", "media", "--subject", "Rent relief")
    by_outlet = cli_json(desk, capsys, *add, "--from", "Ana Ruiz", "--outlet", "la opinion")
    assert (by_outlet["outlet"], by_outlet["language"]) == ("La Opinión", "es")
    by_reporter = cli_json(desk, capsys, *add, "--from", "MATEO DIAZ")
    assert (by_reporter["outlet"], by_reporter["language"]) == ("La Opinión", "es")
    given = cli_json(desk, capsys, *add, "--from", "Ana", "--outlet", "La Opinión",
                     "--language", "EN")  # fmt: skip
    assert given["language"] == "en"
    nobody = cli_json(desk, capsys, *add, "--from", "Pat Caller")
    assert nobody["language"] == "en"
    code, out, _ = cli(desk, capsys, *add, "--from", "Ana", "--outlet", "La Opinión")
    assert code == 0 and out == f"logged M-{YEAR}-0005: Rent relief [es]\n"  # said, not hidden
    code, out, err = cli(desk, capsys, *add, "--from", "Ana", "--language", "spanish!")
    assert (code, out) == (2, "") and "language" in err and err.count("\n") == 1
    # an edit keeps the language; --language '' takes the linked outlet's again
    kept = cli_json(desk, capsys, "requests", "update", "4", "--language", "vi")
    assert kept["language"] == "vi"
    assert cli_json(desk, capsys, "requests", "update", "3", "--language", "")["language"] == "es"


def test_overdue_and_soon_are_marked_not_only_coloured(desk, capsys):
    db = Database(str(desk), actor=Actor("AB", "test"))
    now = datetime.now(UTC)
    try:
        create_request(
            db, kind="constituent", subject="Pothole", requester="Pat",
            received_at=now - timedelta(days=2), deadline=now - timedelta(hours=3),
        )  # fmt: skip
        create_request(
            db, kind="media", subject="Quote", outlet="Radio", deadline=now + timedelta(minutes=20)
        )
    finally:
        db.dispose()
    code, out, _ = cli(desk, capsys, "requests", "list")
    assert code == 0
    rows = out.splitlines()[1:]
    assert rows[0].startswith(f"C-{YEAR}-0001") and "‼ 3h late" in rows[0]
    assert rows[1].startswith(f"M-{YEAR}-0001") and "! due in 1" in rows[1]


def test_update_by_number_and_by_id(desk, capsys):
    cli(desk, capsys, "requests", "add", "--kind", "media", "--from", "Jo", "--subject", "One")
    cli(desk, capsys, "requests", "add", "--kind", "media", "--from", "Jo", "--subject", "Two")
    code, out, err = cli(
        desk, capsys, "requests", "update", f"m-{YEAR}-0001", "--assignee", "AB"
    )  # fmt: skip
    assert (code, out, err) == (0, f"M-{YEAR}-0001 is assigned, assigned to AB, version 2\n", "")
    updated = cli_json(
        desk, capsys, "requests", "update", "1", "--status", "responded", "--response",
        "The mayor will speak at 3pm.", "--deadline", "+1d", "--method", "statement",
    )  # fmt: skip
    assert (updated["status"], updated["response_text"], updated["version"]) == (
        "responded",
        "The mayor will speak at 3pm.",
        3,
    )
    assert updated["responded_at"] is not None and updated["deadline_at"] is not None
    assert updated["response_method"] == "statement"
    cli(desk, capsys, "requests", "update", "2", "--status", "responded", "--method", "interview")
    closed = cli_json(desk, capsys, "requests", "update", "2", "--status", "closed")
    assert (closed["number"], closed["status"]) == (f"M-{YEAR}-0002", "closed")
    assert closed["closed_at"] is not None

    still_open = cli_json(desk, capsys, "requests", "list")
    assert still_open == []
    done = cli_json(desk, capsys, "requests", "list", "--status", "closed")
    assert [r["id"] for r in done] == [2]
    code, out, _ = cli(desk, capsys, "requests", "list", "--status", "responded")
    assert code == 0 and f"M-{YEAR}-0001" in out and "responded" in out


def test_export_streams_every_request_in_keyset_pages(desk, capsys, tmp_path, monkeypatch):
    for n in range(5):
        subject = f'Subject, "quoted" {n}' if n == 0 else f"Subject {n}"
        cli(desk, capsys, "requests", "add", "--kind", "constituent", "--from", f"Resident {n}",
            "--subject", subject)  # fmt: skip
    cli(desk, capsys, "requests", "update", "3", "--response", "line one\nline two")
    calls: list[int | None] = []
    real = core_requests.list_requests

    def spy(db, **kwargs):
        calls.append(kwargs.get("before_id"))
        assert kwargs["limit"] == 2
        return real(db, **kwargs)

    monkeypatch.setattr(requests_cli, "EXPORT_PAGE", 2)
    monkeypatch.setattr(core_requests, "list_requests", spy)

    code, out, err = cli(desk, capsys, "requests", "export")
    assert code == 0, err
    assert calls == [None, 4, 2]
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    names = [f.name for f in fields(RequestRecord)]
    assert list(rows[0].keys()) == names
    assert [int(r["id"]) for r in rows] == [5, 4, 3, 2, 1]
    assert rows[2]["response_text"] == "line one\nline two"
    assert rows[-1]["subject"] == 'Subject, "quoted" 0'
    received = datetime.fromisoformat(rows[0]["received_at"])
    assert received.utcoffset() == timedelta(0)
    assert rows[0]["kind"] == "constituent" and rows[0]["deadline_at"] == ""

    target = tmp_path / "log.csv"
    calls.clear()
    code, out, _ = cli(desk, capsys, "requests", "export", "--format", "csv", "-o", str(target))
    assert (code, out) == (0, f"{target} (5 requests)\n")
    with target.open(encoding="utf-8", newline="") as handle:
        from_file = list(csv.DictReader(handle))
    assert from_file == rows
    summary = cli_json(desk, capsys, "requests", "export", "-o", str(target))
    assert summary == {"file": str(target), "format": "csv", "rows": 5}


def test_export_of_an_empty_log_is_just_the_header(desk, capsys):
    code, out, _ = cli(desk, capsys, "requests", "export")
    assert code == 0
    assert next(csv.reader(io.StringIO(out))) == [f.name for f in fields(RequestRecord)]
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("add", "--kind", "haiku", "--from", "Jo", "--subject", "S"),
        ("add", "--kind", "media", "--from", "Jo", "--subject", "S", "--deadline", "31 feb"),
        ("add", "--kind", "media", "--from", "Jo", "--subject", "S", "--deadline", "2020-01-01"),
        ("add", "--kind", "media", "--from", "Jo"),
        ("add", "--kind", "media", "--from", "Jo", "--subject", "   "),
        ("add", "--kind", "media", "--from", "Jo", "--subject", "S", "--assignee", "QQ"),
        ("add", "--kind", "media", "--from", "Jo", "--subject", "S", "--channel", "fax"),
        ("update", f"M-{YEAR}-0099", "--status", "closed"),
        ("update", "99", "--status", "closed"),
        ("update", "1", "--status", "finished"),
        ("update", "1", "--assignee", "QQ"),
        ("update", "1"),
        ("list", "--status", "done"),
        ("list", "--open", "--status", "new"),
        ("list", "--limit", "0"),
        ("export", "--format", "xlsx"),
    ],
)
def test_bad_input_exits_2_with_one_line(desk, tmp_path, args):
    assert main(["--db", str(desk), "requests", "add", "--kind", "media", "--from", "Jo",
                 "--subject", "Existing"]) == 0  # fmt: skip
    result = run("--db", str(desk), "--user", "AB", "requests", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("deskterm: ") and "Traceback" not in result.stderr


def test_json_from_the_console_script(desk, tmp_path):
    added = run("--db", str(desk), "--json", "requests", "add", "--kind", "records", "--from",
                "Al", "--subject", "Contracts", "--deadline", "+5d", cwd=tmp_path)  # fmt: skip
    assert added.returncode == 0, added.stderr
    record = json.loads(added.stdout)
    assert record["number"] == f"PR-{YEAR}-0001" and record["deadline_at"].endswith("+00:00")
    listed = run("--db", str(desk), "requests", "list", "--json", cwd=tmp_path)
    assert [r["number"] for r in json.loads(listed.stdout)] == [f"PR-{YEAR}-0001"]


def test_update_follows_the_workflow(desk, tmp_path, capsys):
    cli(desk, capsys, "requests", "add", "--kind", "media", "--from", "Jo", "--subject", "One")
    refused = run("--db", str(desk), "--user", "AB", "requests", "update", "1", "--status",
                  "closed", cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        "deskterm: a request cannot go from new to closed; from new it can go to assigned, "
        "drafting, responded or declined\n"
    )
    no_method = run("--db", str(desk), "--user", "AB", "requests", "update", "1", "--status",
                    "responded", cwd=tmp_path)  # fmt: skip
    assert no_method.returncode == 2 and "needs a response method" in no_method.stderr
    answered = cli_json(desk, capsys, "requests", "update", "1", "--status", "responded",
                        "--method", "no comment")  # fmt: skip
    assert (answered["status"], answered["response_method"]) == ("responded", "no_comment")
    closed = cli_json(desk, capsys, "requests", "update", "1", "--status", "closed")
    assert closed["closed_at"] is not None
    reopened = cli_json(desk, capsys, "requests", "update", "1", "--status", "reopened")
    assert reopened["closed_at"] is None and reopened["status"] == "reopened"


def test_records_statutory_days_set_the_deadline(desk, capsys):
    added = cli_json(desk, capsys, "requests", "add", "--kind", "records", "--from", "Al",
                     "--subject", "Contracts", "--statutory-days", "10")  # fmt: skip
    assert added["statutory_days"] == 10 and added["deadline_at"] is not None
    longer = cli_json(desk, capsys, "requests", "update", "1", "--statutory-days", "20")
    assert longer["deadline_at"] > added["deadline_at"]
    code, _, err = cli(desk, capsys, "requests", "update", "1", "--deadline", "+1d")
    assert code == 2 and "statutory clock" in err


def test_list_filters_by_assignee_and_outlet_type(desk, capsys):
    db = Database(str(desk), actor=Actor("AB", "test"))
    try:
        from deskterm.core.contacts import add_outlet

        add_outlet(db, name="KPAC News", type="tv")
        create_request(db, kind="media", subject="On TV", outlet="KPAC News", assignee="AB")
        create_request(db, kind="media", subject="In print", requester="Jo")
    finally:
        db.dispose()
    tv = cli_json(desk, capsys, "requests", "list", "--outlet-type", "tv")
    assert [r["subject"] for r in tv] == ["On TV"]
    nobody = cli_json(desk, capsys, "requests", "list", "--assignee", "-")
    assert [r["subject"] for r in nobody] == ["In print"]
    mine = cli_json(desk, capsys, "requests", "list", "--assignee", "ab", "--kind", "media")
    assert [r["subject"] for r in mine] == ["On TV"]
    code, _, err = cli(desk, capsys, "requests", "list", "--status", "new", "--assignee", "AB")
    assert code == 2 and "filter open requests" in err


def test_templates_list_and_add(desk, tmp_path, capsys):
    code, out, err = cli(desk, capsys, "requests", "templates", "add", "Acknowledgement",
                         "--body", "Thanks, {requester}: {number} is logged.")  # fmt: skip
    assert (code, out, err) == (0, "template 1: Acknowledgement\n", "")
    body = tmp_path / "statement.txt"
    body.write_text("Statement for {outlet}:\n\n...", encoding="utf-8")
    added = cli_json(desk, capsys, "requests", "templates", "add", "Statement", "--file",
                     str(body), "--kind", "media")  # fmt: skip
    assert added["kind"] == "media" and added["body"] == "Statement for {outlet}:\n\n..."
    listed = cli_json(desk, capsys, "requests", "templates", "list", "--kind", "constituent")
    assert [t["name"] for t in listed] == ["Acknowledgement"]
    code, out, _ = cli(desk, capsys, "requests", "templates", "list")
    assert code == 0 and out.splitlines()[0].split() == ["id", "name", "kind", "text"]
    assert "Statement" in out and "media" in out and "any" in out
    code, _, err = cli(desk, capsys, "requests", "templates", "add", "statement", "--body", "x")
    assert code == 2 and "already a template" in err
    missing = run("--db", str(desk), "requests", "templates", "add", "X", "--file",
                  str(tmp_path / "nope.txt"), cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1


def test_letter_in_markdown_and_plain_text(desk, tmp_path, capsys):
    cli(desk, capsys, "requests", "add", "--kind", "constituent", "--from", "Sam Ortiz",
        "--subject", "Pothole *Elm* St")  # fmt: skip
    code, _, err = cli(desk, capsys, "requests", "letter", "1")
    assert code == 2 and "no response text" in err
    cli(desk, capsys, "requests", "update", "1", "--response", "Crews fill it Friday.")
    code, out, _ = cli(desk, capsys, "requests", "letter", f"C-{YEAR}-0001")
    assert code == 0
    assert out.startswith(f"# Re: Pothole \\*Elm\\* St (C-{YEAR}-0001)\n")
    assert "Dear Sam Ortiz," in out and "Crews fill it Friday." in out
    target = tmp_path / "out" / "reply.txt"
    result = cli_json(desk, capsys, "requests", "letter", "1", "--format", "txt", "-o", str(target))
    assert result == {"file": str(target), "format": "txt", "request": f"C-{YEAR}-0001"}
    text = target.read_text(encoding="utf-8")
    assert f"Re: Pothole *Elm* St (C-{YEAR}-0001)" in text and text.endswith("\n")


def test_export_writes_formula_like_text_as_text(desk, capsys):
    """A subject typed as "=1+1" or "@SUM(...)" is kept, with the apostrophe spreadsheets
    read as "this is text"."""
    db = Database(str(desk), actor=Actor("AB", "test"))
    try:
        create_request(db, kind="media", subject="=1+1", requester="@SUM(A1:A9)")
    finally:
        db.dispose()
    code, out, err = cli(desk, capsys, "requests", "export")
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(out, newline="")))
    assert row["subject"] == "'=1+1"
    assert row["requester"] == "'@SUM(A1:A9)"


def test_list_search_finds_every_word_in_any_case_and_without_accents(desk, capsys):
    for who, outlet, subject in (
        ("Élodie Núñez", "Parks Weekly", "What is the budget for benches?"),
        ("Sam Ortiz", "", "Budget for the parks"),
        ("Rita Ames", "", "Budget hearing"),
    ):
        code, _, err = cli(
            desk, capsys, "requests", "add", "--kind", "media", "--from", who,
            *(["--outlet", outlet] if outlet else []), "--subject", subject,
        )  # fmt: skip
        assert code == 0, err
    found = cli_json(desk, capsys, "requests", "list", "--search", "parks BUDGET")
    assert sorted(r["subject"] for r in found) == [
        "Budget for the parks",
        "What is the budget for benches?",
    ]
    found = cli_json(desk, capsys, "requests", "list", "--search", "NUNEZ budget")
    assert [r["requester"] for r in found] == ["Élodie Núñez"]
    # the newest-first list of one status searches the same way
    new = cli_json(desk, capsys, "requests", "list", "--status", "new", "--search", "elodie")
    assert [r["requester"] for r in new] == ["Élodie Núñez"]
    assert cli_json(desk, capsys, "requests", "list", "--search", "budget parks zoo") == []


def test_list_search_finds_a_word_only_in_the_questions(desk, capsys):
    for subject, question in (
        ("Bin collection", "Wie hoch sind die Gebühren für die Müllabfuhr?"),
        ("Street lights", "When are they fixed?"),
    ):
        code, _, err = cli(
            desk, capsys, "requests", "add", "--kind", "media", "--from", "Sam Ortiz",
            "--subject", subject, "--question", question,
        )  # fmt: skip
        assert code == 0, err
    found = cli_json(desk, capsys, "requests", "list", "--search", "MULLABFUHR")
    assert [r["subject"] for r in found] == ["Bin collection"]
    found = cli_json(desk, capsys, "requests", "list", "--status", "new", "--search", "fixed")
    assert [r["subject"] for r in found] == ["Street lights"]
    assert cli_json(desk, capsys, "requests", "list", "--search", "mullabfuhr fixed") == []
