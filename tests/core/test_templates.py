"""Response templates and letters (deskterm.core.templates) on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.engine import Database
from db.enums import RequestKind
from db.errors import ConflictError, NotFoundError
from deskterm.core.errors import InputError
from deskterm.core.requests import create_request, update_request
from deskterm.core.staff import add_staff
from deskterm.core.templates import (
    PLACEHOLDERS,
    add_template,
    delete_template,
    fill,
    fill_template,
    find_template,
    get_template,
    letter,
    letter_filename,
    list_templates,
    placeholder_values,
    update_template,
    write_letter,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 24 Nov 2026, 10:00 in New York
TZ = ZoneInfo("America/New_York")


@pytest.fixture
def request_(db: Database):
    add_staff(db, initials="AB", name="Ana Berg", role="pio")
    record = create_request(
        db,
        kind="constituent",
        subject="Pothole on Elm Street",
        requester="Sam Ortiz",
        outlet="Eastside Neighbors",
        deadline=NOW + timedelta(hours=7),
        assignee="AB",
        questions="When will it be fixed?",
        now=NOW,
    )
    return update_request(db, record.id, record.version, requester_email="sam@mail.example")


# --- storing ---------------------------------------------------------------------------------


def test_add_list_find_update_delete(db: Database) -> None:
    general = add_template(db, name="  Acknowledgement ", body="Thanks, {requester}.")
    media = add_template(db, name="Statement", body="Statement: ...", kind="MEDIA")
    records = add_template(db, name="Clock paused", body="Paused.", kind=RequestKind.RECORDS)
    assert general.name == "Acknowledgement" and general.kind is None and general.version == 1
    assert media.kind is RequestKind.MEDIA
    assert [t.name for t in list_templates(db)] == ["Acknowledgement", "Clock paused", "Statement"]
    # a kind gets its own templates and the general ones
    assert [t.name for t in list_templates(db, kind="media")] == ["Acknowledgement", "Statement"]
    assert [t.name for t in list_templates(db, kind="records")] == [
        "Acknowledgement",
        "Clock paused",
    ]
    assert find_template(db, "statement") == media
    assert find_template(db, str(records.id)) == records
    assert get_template(db, general.id) == general

    changed = update_template(db, general.id, 1, body="Thank you, {requester}.", kind="constituent")
    assert changed.version == 2 and changed.kind is RequestKind.CONSTITUENT
    with pytest.raises(ConflictError):
        update_template(db, general.id, 1, name="Stale")
    delete_template(db, records.id, records.version)
    with pytest.raises(NotFoundError):
        get_template(db, records.id)
    with pytest.raises(InputError, match="no template"):
        find_template(db, "Clock paused")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": " ", "body": "x"}, "name", "name is required"),
        ({"name": "x" * 201, "body": "x"}, "name", "too long"),
        ({"name": "A", "body": "  "}, "body", "needs some text"),
        ({"name": "A", "body": "x", "kind": "haiku"}, "kind", "unknown kind"),
        ({"name": "Taken", "body": "x"}, "name", "already a template called"),
        ({"name": "TAKEN", "body": "x"}, "name", "already a template called"),
    ],
)
def test_bad_templates_are_refused_with_one_line(db, kwargs, field, message) -> None:
    add_template(db, name="Taken", body="x")
    with pytest.raises(InputError, match=message) as caught:
        add_template(db, **kwargs)
    assert caught.value.field == field and "\n" not in str(caught.value)
    assert len(list_templates(db)) == 1


def test_renaming_onto_another_name_is_refused(db: Database) -> None:
    add_template(db, name="One", body="x")
    two = add_template(db, name="Two", body="y")
    with pytest.raises(InputError, match="already a template called"):
        update_template(db, two.id, two.version, name="one")
    with pytest.raises(InputError, match="cannot edit"):
        update_template(db, two.id, two.version, version=9)
    assert update_template(db, two.id, two.version, name="TWO").name == "TWO"


# --- filling ---------------------------------------------------------------------------------


def test_fill_replaces_known_names_and_leaves_the_rest_visible() -> None:
    values = {"requester": "Sam", "deadline": "Tue 24 Nov 2026 17:00"}
    assert fill("Dear {requester}, by {DEADLINE}.", values) == (
        "Dear Sam, by Tue 24 Nov 2026 17:00."
    )
    odd = "{unknown} {0} {} {requester.name} {requester!r} {requester:>9} { requester } {"
    assert fill(odd, values) == odd  # nothing a formatter would choke on changes or fails
    assert fill("{{requester}}", values) == "{Sam}"
    assert fill("}{requester}{", values) == "}Sam{"
    assert fill("{requester}", {"requester": "{deadline}"}) == "{deadline}"  # no second pass


@given(st.text())
def test_fill_never_raises(body: str) -> None:
    filled = fill(body, {"requester": "Sam", "x": "{y}"})
    assert isinstance(filled, str)
    if "{" not in body:
        assert filled == body


def test_placeholder_values_for_a_request(db: Database, request_) -> None:
    values = placeholder_values(db, request_, now=NOW, tz=TZ)
    assert set(values) == set(PLACEHOLDERS)
    assert values["requester"] == "Sam Ortiz" and values["outlet"] == "Eastside Neighbors"
    assert values["number"] == request_.number and values["subject"] == "Pothole on Elm Street"
    assert values["deadline"] == "Tue 24 Nov 2026 17:00"  # desk time
    assert values["today"] == "24 November 2026"
    assert values["assignee"] == "Ana Berg" and values["spokesperson"] == ""
    assert values["kind"] == "constituent" and values["questions"] == "When will it be fixed?"
    undated = create_request(db, kind="media", subject="S", requester="R", now=NOW)
    assert placeholder_values(db, undated, now=NOW, tz=TZ)["deadline"] == "no deadline"
    assert placeholder_values(db, undated, now=NOW, tz=TZ)["assignee"] == ""


def test_fill_template_for_a_request(db: Database, request_) -> None:
    template = add_template(
        db, name="Reply", body="Dear {requester},\n{assignee} will reply by {deadline}. {typo}"
    )
    assert fill_template(db, template, request_, now=NOW, tz=TZ) == (
        "Dear Sam Ortiz,\nAna Berg will reply by Tue 24 Nov 2026 17:00. {typo}"
    )


# --- letters ---------------------------------------------------------------------------------


def test_plain_text_letter(db: Database, request_) -> None:
    values = placeholder_values(db, request_, now=NOW, tz=TZ)
    text = letter(
        request_, "Crews fill it Friday.\n\nThanks for writing.", fmt="txt", values=values
    )
    assert text.splitlines() == [
        "24 November 2026",
        "",
        "Sam Ortiz",
        "Eastside Neighbors",
        "sam@mail.example",
        "",
        f"Re: Pothole on Elm Street ({request_.number})",
        "",
        "Dear Sam Ortiz,",
        "",
        "Crews fill it Friday.",
        "",
        "Thanks for writing.",
        "",
        "Sincerely,",
        "",
        "Ana Berg",
    ]
    assert letter_filename(request_, "txt") == f"{request_.number}-letter.txt"


def test_markdown_letter_shows_outside_text_literally(db: Database) -> None:
    record = create_request(
        db,
        kind="constituent",
        subject="[click](http://evil.example) *now* <b>",
        requester="# Root [31m",
        now=NOW,
    )
    values = placeholder_values(db, record, now=NOW, tz=TZ)
    body = "1. first\n- item\nplain _text_ & more \x1b[31m"
    text = letter(record, body, fmt="md", values=values)
    assert text.startswith(
        f"# Re: \\[click\\](http://evil.example) \\*now\\* \\<b\\> ({record.number})\n"
    )
    assert "Dear \\# Root \\[31m," in text
    assert "1\\. first  \n\\- item  \nplain \\_text\\_ \\& more \\[31m" in text
    assert "\x1b" not in text


def test_letters_need_text_and_a_known_format(db: Database, request_) -> None:
    values = placeholder_values(db, request_, now=NOW, tz=TZ)
    with pytest.raises(InputError, match="no response text") as caught:
        letter(request_, "   ", fmt="md", values=values)
    assert caught.value.field == "response_text"
    with pytest.raises(InputError, match="unknown letter format"):
        letter(request_, "x", fmt="pdf", values=values)  # type: ignore[arg-type]


def test_write_letter_makes_the_folder_and_reports_failure_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "letters" / "a.md"
    assert write_letter(target, "Dear X") == target and target.read_text() == "Dear X"
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write") as caught:
        write_letter(blocker / "a.md", "x")
    assert "\n" not in str(caught.value)
