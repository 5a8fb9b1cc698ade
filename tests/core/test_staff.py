"""Staff: the desk user's place on the staff list."""

from __future__ import annotations

from db.engine import Actor, Database
from deskterm.core.staff import add_staff, user_not_on_staff


def test_a_desk_user_not_on_the_staff_list_gets_a_note_naming_the_staff(db):
    assert user_not_on_staff(db) is None  # no staff yet: nothing to compare with
    add_staff(db, initials="MR", name="Maria Reyes", role="pio")
    add_staff(db, initials="DK", name="Dan Kim", role="press_secretary")
    note = user_not_on_staff(db)  # the fixture's user is AB
    assert note is not None and note.startswith("'AB' is not on the staff list (DK, MR)")
    assert "\n" not in note
    as_mr = Database(str(db.path), actor=Actor(" mr ", "test-host"))
    try:
        assert user_not_on_staff(as_mr) is None  # initials in any case, spaces ignored
    finally:
        as_mr.dispose()
