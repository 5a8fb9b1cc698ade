"""The media list: outlets and contacts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.engine import Database
from db.enums import OutletType
from db.errors import ConflictError, NotFoundError
from db.models import AuditLog
from deskterm.core.contacts import (
    add_contact,
    add_outlet,
    find_outlet,
    list_contacts,
    list_outlets,
    update_contact,
)
from deskterm.core.errors import InputError


def _field_error(excinfo: pytest.ExceptionInfo[InputError], field: str) -> None:
    assert excinfo.value.field == field
    assert "\n" not in str(excinfo.value)
    assert str(excinfo.value)


@pytest.fixture
def herald(db: Database):
    return add_outlet(
        db,
        name="Alder Daily Herald",
        type="print",
        reach=48_000,
        website="https://www.alderherald.example",
        notes="Morning daily.",
    )


def test_add_outlet_returns_a_record(db: Database, herald) -> None:
    assert herald.id > 0
    assert herald.name == "Alder Daily Herald"
    assert herald.type is OutletType.PRINT
    assert herald.language == "en"
    assert herald.reach == 48_000
    assert herald.website == "https://www.alderherald.example"
    assert herald.version == 1
    assert list_outlets(db) == [herald]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TV", OutletType.TV),
        (" Radio ", OutletType.RADIO),
        ("community_ethnic", OutletType.COMMUNITY_ETHNIC),
        ("Community/Ethnic", OutletType.COMMUNITY_ETHNIC),
        ("community", OutletType.COMMUNITY_ETHNIC),
        ("ETHNIC", OutletType.COMMUNITY_ETHNIC),
        ("community ethnic", OutletType.COMMUNITY_ETHNIC),
        (OutletType.GOVERNMENT, OutletType.GOVERNMENT),
    ],
)
def test_outlet_type_aliases(db: Database, text, expected) -> None:
    assert add_outlet(db, name="Some Outlet", type=text).type is expected


def test_unknown_outlet_type(db: Database) -> None:
    with pytest.raises(InputError) as excinfo:
        add_outlet(db, name="Some Outlet", type="blog")
    _field_error(excinfo, "type")
    assert "print" in str(excinfo.value)


def test_duplicate_outlet_name_any_case(db: Database, herald) -> None:
    with pytest.raises(InputError) as excinfo:
        add_outlet(db, name="alder daily HERALD", type="online")
    _field_error(excinfo, "name")
    assert len(list_outlets(db)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"language": "english!"}, "language"),
        ({"reach": -5}, "reach"),
        ({"reach": "lots"}, "reach"),
        ({"website": "ftp://files.example"}, "website"),
        ({"website": "not a site"}, "website"),
    ],
)
def test_outlet_validation(db: Database, kwargs, field) -> None:
    args = {"name": "Port Alder Business Journal", "type": "trade", **kwargs}
    with pytest.raises(InputError) as excinfo:
        add_outlet(db, **args)
    _field_error(excinfo, field)


def test_outlet_normalizes_input(db: Database) -> None:
    outlet = add_outlet(
        db, name="  Báo Cảng Alder ", type="community", language="VI", website="baocang.example"
    )
    assert outlet.name == "Báo Cảng Alder"
    assert outlet.language == "vi"
    assert outlet.website == "https://baocang.example"


def test_find_outlet_is_case_insensitive(db: Database, herald) -> None:
    assert find_outlet(db, "ALDER daily herald") == herald
    assert find_outlet(db, " Alder Daily Herald ") == herald
    assert find_outlet(db, "KPAC") is None
    assert find_outlet(db, "") is None


def test_list_outlets_by_name_with_limit(db: Database) -> None:
    for name in ("KPAC News", "Alder Public Radio", "La Voz del Puerto"):
        add_outlet(db, name=name, type="online")
    assert [o.name for o in list_outlets(db)] == [
        "Alder Public Radio",
        "KPAC News",
        "La Voz del Puerto",
    ]
    assert [o.name for o in list_outlets(db, limit=1)] == ["Alder Public Radio"]
    with pytest.raises(InputError) as excinfo:
        list_outlets(db, limit=0)
    _field_error(excinfo, "limit")


def test_add_contact_with_outlet_by_name(db: Database, herald) -> None:
    contact = add_contact(
        db,
        name="Dana Whitfield",
        outlet="alder daily herald",
        beat="City Hall",
        email="dwhitfield@alderherald.example",
        phone="555-0101",
        social="@danawrites",
        language="en",
        notes="Prefers email.\nCalls back fast.",
    )
    assert contact.outlet == "Alder Daily Herald"
    assert contact.outlet_id == herald.id
    assert contact.beat == "City Hall"
    assert contact.email == "dwhitfield@alderherald.example"
    assert contact.phone == "555-0101"
    assert contact.social == "@danawrites"
    assert contact.notes == "Prefers email.\nCalls back fast."
    assert contact.do_not_contact is False
    assert contact.last_contacted_at is None
    assert contact.version == 1


def test_contact_without_outlet(db: Database) -> None:
    contact = add_contact(db, name="Sam Freelance", outlet="  ", email=None)
    assert contact.outlet is None
    assert contact.outlet_id is None
    assert contact.email is None


def test_unknown_outlet_is_refused(db: Database) -> None:
    with pytest.raises(InputError) as excinfo:
        add_contact(db, name="Dana Whitfield", outlet="The Nonexistent Times")
    _field_error(excinfo, "outlet")
    assert list_contacts(db) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Dana\x1b[31m"}, "name"),
        ({"email": "dana"}, "email"),
        ({"email": "dana@herald"}, "email"),
        ({"email": "dana@@herald.example"}, "email"),
        ({"email": "da na@herald.example"}, "email"),
        ({"email": "@herald.example"}, "email"),
        ({"email": "dana@herald..example"}, "email"),
        ({"email": "dana@herald.example."}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"language": ""}, "language"),
        ({"do_not_contact": "no"}, "do_not_contact"),
    ],
)
def test_contact_validation(db: Database, kwargs, field) -> None:
    args = {"name": "Dana Whitfield", **kwargs}
    with pytest.raises(InputError) as excinfo:
        add_contact(db, **args)
    _field_error(excinfo, field)


def test_contact_notes_drop_control_characters(db: Database) -> None:
    contact = add_contact(db, name="Dana", notes="line one\r\nline\x00 two\x1b")
    assert contact.notes == "line one\nline two"


@pytest.fixture
def media_list(db: Database) -> list[str]:
    add_outlet(db, name="Alder Daily Herald", type="print")
    add_outlet(db, name="KPAC News", type="tv")
    people = [
        ("Ana Ruiz", "Alder Daily Herald", "housing", "aruiz@alderherald.example"),
        ("Ben Okafor", "KPAC News", "transit", "bokafor@kpac.example"),
        ("Cara Lindqvist", "Alder Daily Herald", "City Hall", "cara@alderherald.example"),
        ("Cara Lindqvist", "KPAC News", "weather", "clindqvist@kpac.example"),
        ("Dev Patel", None, "budget_100%", "dev@freelance.example"),
        ("Eve Tran", "KPAC News", "schools", None),
    ]
    for name, outlet, beat, email in people:
        add_contact(db, name=name, outlet=outlet, beat=beat, email=email)
    return [p[0] for p in people]


def test_list_contacts_by_name(db: Database, media_list) -> None:
    rows = list_contacts(db)
    assert [c.name for c in rows] == media_list
    assert rows[0].outlet == "Alder Daily Herald"
    assert rows[4].outlet is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kpac", ["Ben Okafor", "Cara Lindqvist", "Eve Tran"]),  # outlet
        ("LINDQ", ["Cara Lindqvist", "Cara Lindqvist"]),  # name
        ("Transit", ["Ben Okafor"]),  # beat
        ("@freelance", ["Dev Patel"]),  # email
        ("100%", ["Dev Patel"]),  # LIKE wildcards are literal
        ("_", ["Dev Patel"]),
        ("nobody", []),
        (
            "  ",
            ["Ana Ruiz", "Ben Okafor", "Cara Lindqvist", "Cara Lindqvist", "Dev Patel", "Eve Tran"],
        ),
    ],
)
def test_list_contacts_text_filter(db: Database, media_list, text, expected) -> None:
    assert [c.name for c in list_contacts(db, text=text)] == expected


def test_list_contacts_keyset_paging(db: Database, media_list) -> None:
    seen: list[tuple[str, int]] = []
    after = None
    pages = 0
    while True:
        page = list_contacts(db, limit=2, after_name=after)
        if not page:
            break
        pages += 1
        seen.extend((c.name, c.id) for c in page)
        after = (page[-1].name, page[-1].id)
    assert pages == 3
    assert [name for name, _ in seen] == media_list
    assert len({contact_id for _, contact_id in seen}) == len(media_list)
    # the two Cara Lindqvists straddle a page boundary without loss or repeat
    first_cara = next(pair for pair in seen if pair[0] == "Cara Lindqvist")
    after_first = list_contacts(db, limit=10, after_name=first_cara)
    assert [c.name for c in after_first] == ["Cara Lindqvist", "Dev Patel", "Eve Tran"]


def test_list_contacts_filter_and_paging_combine(db: Database, media_list) -> None:
    page = list_contacts(db, text="kpac", limit=1)
    assert [c.name for c in page] == ["Ben Okafor"]
    rest = list_contacts(db, text="kpac", after_name=(page[0].name, page[0].id))
    assert [c.name for c in rest] == ["Cara Lindqvist", "Eve Tran"]


def test_update_contact(db: Database, media_list) -> None:
    contact = list_contacts(db, text="Ana Ruiz")[0]
    when = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)
    updated = update_contact(
        db,
        contact.id,
        contact.version,
        beat="housing and homelessness",
        outlet="KPAC NEWS",
        do_not_contact=True,
        last_contacted_at=when,
    )
    assert updated.version == contact.version + 1
    assert updated.beat == "housing and homelessness"
    assert updated.outlet == "KPAC News"
    assert updated.do_not_contact is True
    assert updated.last_contacted_at == when
    cleared = update_contact(db, updated.id, updated.version, outlet=None)
    assert cleared.outlet is None and cleared.outlet_id is None
    with db.read() as session:
        actions = session.execute(
            select(AuditLog.action).where(
                AuditLog.entity == "contacts", AuditLog.entity_id == contact.id
            )
        ).all()
    assert len(actions) == 3  # insert + two updates


def test_update_contact_with_stale_version_conflicts(db: Database, media_list) -> None:
    contact = list_contacts(db, text="Ben")[0]
    update_contact(db, contact.id, contact.version, beat="transit and parking")
    with pytest.raises(ConflictError) as excinfo:
        update_contact(db, contact.id, contact.version, beat="something else")
    assert excinfo.value.base_version == contact.version
    assert excinfo.value.current_version == contact.version + 1
    assert excinfo.value.current["beat"] == "transit and parking"
    assert list_contacts(db, text="Ben")[0].beat == "transit and parking"


def test_update_contact_validates(db: Database, media_list) -> None:
    contact = list_contacts(db, text="Ben")[0]
    with pytest.raises(InputError) as excinfo:
        update_contact(db, contact.id, contact.version, email="not-an-email")
    _field_error(excinfo, "email")
    with pytest.raises(InputError) as excinfo:
        update_contact(db, contact.id, contact.version, outlet="Nowhere Gazette")
    _field_error(excinfo, "outlet")
    with pytest.raises(InputError) as excinfo:
        update_contact(db, contact.id, contact.version, version=99)
    _field_error(excinfo, "version")
    with pytest.raises(InputError) as excinfo:
        update_contact(db, contact.id, contact.version, last_contacted_at=datetime(2026, 1, 6))
    _field_error(excinfo, "last_contacted_at")
    assert list_contacts(db, text="Ben")[0].version == contact.version


def test_update_missing_contact(db: Database) -> None:
    with pytest.raises(NotFoundError):
        update_contact(db, 999, 1, beat="x")


# --- search, history, suggestions (the Contacts screen and the request form) ------------------


def test_search_contacts_needs_every_word(db: Database, media_list) -> None:
    from deskterm.core.contacts import search_contacts

    assert [c.name for c in search_contacts(db, "cara kpac")] == ["Cara Lindqvist"]
    assert [c.beat for c in search_contacts(db, "CARA hall")] == ["City Hall"]
    assert [c.name for c in search_contacts(db, "100%")] == ["Dev Patel"]
    assert search_contacts(db, "cara nobody") == []
    assert len(search_contacts(db, "  ")) == len(media_list)


def test_search_contacts_windows_forwards_and_backwards(db: Database, media_list) -> None:
    from deskterm.core.contacts import search_contacts

    first = search_contacts(db, limit=2)
    second = search_contacts(db, limit=2, after=(first[-1].name, first[-1].id))
    third = search_contacts(db, limit=2, after=(second[-1].name, second[-1].id))
    assert [c.name for c in first + second + third] == media_list
    back = search_contacts(db, limit=2, before=(third[0].name, third[0].id))
    assert back == second
    assert search_contacts(db, limit=2, before=(first[0].name, first[0].id)) == []
    with pytest.raises(InputError):
        search_contacts(db, after=("a", 1), before=("b", 2))


def test_search_contacts_of_one_outlet(db: Database, media_list) -> None:
    from deskterm.core.contacts import search_contacts

    names = [c.name for c in search_contacts(db, outlet="kpac news")]
    assert names == ["Ben Okafor", "Cara Lindqvist", "Eve Tran"]
    assert [c.name for c in search_contacts(db, "cara", outlet="KPAC News")] == ["Cara Lindqvist"]
    with pytest.raises(InputError) as excinfo:
        search_contacts(db, outlet="Nowhere Gazette")
    _field_error(excinfo, "outlet")


def test_get_and_find_contact(db: Database, media_list) -> None:
    from deskterm.core.contacts import find_contact, get_contact

    ben = list_contacts(db, text="Ben")[0]
    assert get_contact(db, ben.id) == ben
    assert find_contact(db, str(ben.id)) == ben
    assert find_contact(db, "BOKAFOR@kpac.example") == ben
    with pytest.raises(NotFoundError):
        get_contact(db, 999)
    with pytest.raises(InputError) as excinfo:
        find_contact(db, "nobody@x.example")
    _field_error(excinfo, "contact")
    with pytest.raises(InputError, match="already the address of"):
        add_contact(db, name="Ben Twin", email="bokafor@KPAC.example")
    from db.models import Contact

    with db.transaction() as session:  # a twin from before addresses were kept unique
        session.add(Contact(name="Ben Twin", email="bokafor@KPAC.example", language="en"))
    with pytest.raises(InputError, match="more than one"):
        find_contact(db, "bokafor@kpac.example")


def test_contact_history_is_newest_first_and_only_theirs(db: Database, media_list) -> None:
    from deskterm.core.contacts import contact_history
    from deskterm.core.requests import create_request

    ben = list_contacts(db, text="Ben")[0]
    start = datetime(2026, 11, 2, 15, tzinfo=UTC)
    for day, subject in ((0, "Fare hike"), (2, "Bus lanes"), (1, "Ferry schedule")):
        create_request(
            db,
            kind="media",
            subject=subject,
            requester="Ben Okafor",  # the one contact of that name: linked
            received_at=start.replace(day=2 + day),
            now=start.replace(day=2 + day),
        )
    create_request(db, kind="media", subject="Not Ben's", requester="Eve Tran", now=start)
    create_request(db, kind="media", subject="Ambiguous", requester="Cara Lindqvist", now=start)
    history = contact_history(db, ben.id)
    assert [r.subject for r in history] == ["Bus lanes", "Ferry schedule", "Fare hike"]
    assert all(r.contact_id == ben.id and r.requester == "Ben Okafor" for r in history)
    assert [r.subject for r in contact_history(db, ben.id, limit=1)] == ["Bus lanes"]
    cara = list_contacts(db, text="Cara")[0]
    assert contact_history(db, cara.id) == []  # two Caras: the request stays unlinked
    with pytest.raises(NotFoundError):
        contact_history(db, 999)


def test_mark_contacted_only_moves_forward(db: Database, media_list) -> None:
    from deskterm.core.contacts import mark_contacted

    eve = list_contacts(db, text="Eve")[0]
    late = datetime(2026, 11, 20, 9, tzinfo=UTC)
    marked = mark_contacted(db, eve.id, now=late)
    assert marked.last_contacted_at == late and marked.version == eve.version + 1
    again = mark_contacted(db, eve.id, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert again.last_contacted_at == late and again.version == marked.version
    with pytest.raises(InputError):
        mark_contacted(db, eve.id, now=datetime(2026, 11, 21))  # naive
    with pytest.raises(NotFoundError):
        mark_contacted(db, 999)


def test_suggest_requesters_and_outlets(db: Database, media_list) -> None:
    from deskterm.core.contacts import mark_contacted, suggest_outlets, suggest_requesters

    add_contact(db, name="Carl Young")
    assert suggest_requesters(db, "car") == ["Cara Lindqvist", "Carl Young"]  # each name once
    carl = list_contacts(db, text="Carl")[0]
    mark_contacted(db, carl.id, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert suggest_requesters(db, "CAR") == ["Carl Young", "Cara Lindqvist"]  # recent first
    assert suggest_requesters(db, "car", limit=1) == ["Carl Young"]
    assert suggest_requesters(db, "") == [] and suggest_requesters(db, "   ") == []
    assert suggest_requesters(db, "%") == [] and suggest_requesters(db, "lindqvist") == []
    assert suggest_outlets(db, "k") == ["KPAC News"]
    assert suggest_outlets(db, "alder d") == ["Alder Daily Herald"]
    assert suggest_outlets(db, "_") == []
    with pytest.raises(InputError):
        suggest_outlets(db, "a", limit=0)


def test_search_outlets_by_words_and_type(db: Database) -> None:
    from deskterm.core.contacts import search_outlets

    add_outlet(db, name="La Voz del Puerto", type="community", language="es")
    add_outlet(db, name="Báo Cảng Alder", type="ethnic", language="vi")
    add_outlet(db, name="KPAC News", type="tv", website="https://kpac.example")
    assert [o.name for o in search_outlets(db, "community")] == [
        "Báo Cảng Alder",
        "La Voz del Puerto",
    ]
    assert [o.name for o in search_outlets(db, "vi")] == ["Báo Cảng Alder"]
    assert [o.name for o in search_outlets(db, "kpac.example")] == ["KPAC News"]
    assert [o.name for o in search_outlets(db, type="ethnic")] == [
        "Báo Cảng Alder",
        "La Voz del Puerto",
    ]
    first = search_outlets(db, limit=1)
    assert [o.name for o in search_outlets(db, after=(first[0].name, first[0].id))] == [
        "KPAC News",
        "La Voz del Puerto",
    ]
    with pytest.raises(InputError) as excinfo:
        search_outlets(db, type="blog")
    _field_error(excinfo, "type")


def test_update_outlet_is_version_checked(db: Database, herald) -> None:
    from deskterm.core.contacts import update_outlet

    changed = update_outlet(db, herald.id, herald.version, type="online", reach="50,000")
    assert changed.type is OutletType.ONLINE and changed.reach == 50_000
    assert changed.version == herald.version + 1
    with pytest.raises(ConflictError):
        update_outlet(db, herald.id, herald.version, notes="stale")
    add_outlet(db, name="KPAC News", type="tv")
    with pytest.raises(InputError) as excinfo:
        update_outlet(db, herald.id, changed.version, name="kpac news")
    _field_error(excinfo, "name")
    renamed = update_outlet(db, herald.id, changed.version, name="ALDER DAILY HERALD")
    assert renamed.name == "ALDER DAILY HERALD"  # its own name in another case is fine
    with pytest.raises(InputError):
        update_outlet(db, herald.id, renamed.version, id=5)


def test_one_address_is_one_contact(db: Database) -> None:
    """Import merges people by e-mail and `contacts show` finds them by it: an address
    another contact has (any case) is refused when adding or editing, at the field."""
    first = add_contact(db, name="Lucía Mendoza", email="LMendoza@herald.example")
    with pytest.raises(InputError) as caught:
        add_contact(db, name="Lucia M.", email="lmendoza@HERALD.example")
    _field_error(caught, "email")
    assert str(caught.value) == (
        "lmendoza@HERALD.example is already the address of Lucía Mendoza (contact "
        f"{first.id}): edit that contact instead"
    )
    other = add_contact(db, name="Tasha Greene", email="tgreene@wxyz.example")
    with pytest.raises(InputError) as caught:
        update_contact(db, other.id, other.version, email="lmendoza@herald.example")
    _field_error(caught, "email")
    kept = update_contact(db, first.id, first.version, email="lmendoza@herald.example")
    assert kept.email == "lmendoza@herald.example"  # its own address, in another case
    assert [c.name for c in list_contacts(db)] == ["Lucía Mendoza", "Tasha Greene"]


def test_two_desks_adding_one_address_at_once_add_it_once(db: Database, db_path) -> None:
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from db.engine import Actor, Database\n"
        "from deskterm.core.contacts import add_contact\n"
        "from deskterm.core.errors import InputError\n"
        "db = Database(sys.argv[1], actor=Actor(sys.argv[2], 'host'))\n"
        "outcomes = []\n"
        "for i in range(20):\n"
        "    try:\n"
        "        add_contact(db, name=f'{sys.argv[2]} {i}', email=f'p{i}@news.example')\n"
        "        outcomes.append('added')\n"
        "    except InputError:\n"
        "        outcomes.append('taken')\n"
        "print(json.dumps(outcomes))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(db_path), tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    a, b = (json.loads(out.strip().splitlines()[-1]) for out, _err in results)
    assert all(sorted(pair) == ["added", "taken"] for pair in zip(a, b, strict=True))
    emails = [c.email for c in list_contacts(db, limit=100)]
    assert sorted(emails) == sorted(f"p{i}@news.example" for i in range(20))
