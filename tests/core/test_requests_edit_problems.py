"""``edit_problems``: what an edit's save would refuse, every field at once, nothing written."""

from __future__ import annotations

import pytest

from db.engine import Database
from db.errors import NotFoundError
from deskterm.core import requests
from deskterm.core.errors import InputError
from deskterm.core.requests import RequestRecord


@pytest.fixture
def desk_with_request(db: Database) -> tuple[Database, RequestRecord]:
    return db, requests.create_request(
        db, kind="media", subject="Pothole on Elm Street", requester="Rita Ames"
    )


def test_every_refused_field_is_named_and_nothing_is_written(desk_with_request):
    db, record = desk_with_request
    problems = requests.edit_problems(
        db, record.id, priority="meh", assignee="ZZ", subject="Fine subject"
    )
    assert sorted(p.field for p in problems) == ["assignee", "priority"]
    assert all(isinstance(p, InputError) for p in problems)
    after = requests.get_request(db, record.id)
    assert (after.version, after.subject) == (record.version, record.subject)


def test_an_edit_the_save_would_take_has_no_problems(desk_with_request):
    db, record = desk_with_request
    assert requests.edit_problems(db, record.id, priority="high", subject="New") == []
    assert requests.get_request(db, record.id).subject == record.subject


def test_a_field_that_cannot_be_edited_and_a_missing_request(desk_with_request):
    db, record = desk_with_request
    assert [p.field for p in requests.edit_problems(db, record.id, number="X")] == ["number"]
    with pytest.raises(NotFoundError):
        requests.edit_problems(db, record.id + 1000, priority="high")


def test_an_emptied_required_choice_says_so_in_words(desk_with_request):
    db, record = desk_with_request
    [problem] = requests.edit_problems(db, record.id, priority="")
    assert problem.field == "priority"
    assert str(problem).startswith("priority cannot be empty; choose one of low, normal")
    assert "None" not in str(problem) and "''" not in str(problem)
