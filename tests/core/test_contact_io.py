"""Importing and exporting the media list: CSV and vCard round trips, merging, bad rows."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import Actor, Database, RetryPolicy
from db.enums import OutletType
from db.models import AuditLog, Contact, Outlet
from db.schema import upgrade
from deskterm.core.contact_io import (
    ImportRow,
    import_contacts,
    merge_rows,
    parse_mapping,
    read_contacts,
    read_contacts_file,
    vcard_text,
    write_csv,
    write_vcards,
)
from deskterm.core.contacts import (
    add_contact,
    add_outlet,
    list_outlets,
    search_contacts,
    update_contact,
)
from deskterm.core.errors import InputError

HOSTILE = "Zoë \u201cZ\u201d O'Neil, Jr.; [bold]not markup[/bold]"


def fresh_db(path: Path) -> Database:
    db = Database(str(path), actor=Actor("AB", "test-host"), retry=RetryPolicy())
    upgrade(db)
    return db


@pytest.fixture
def other(tmp_path: Path):
    db = fresh_db(tmp_path / "other.sqlite3")
    yield db
    db.dispose()


@pytest.fixture
def media(db: Database) -> Database:
    """A media list with every field in use, awkward characters included."""
    add_outlet(db, name="Alder Daily Herald", type="print")
    add_outlet(db, name="La Voz del Puerto", type="community", language="es")
    add_outlet(db, name="Báo Cảng Alder", type="ethnic", language="vi")
    add_contact(
        db,
        name="Ana Ruiz",
        outlet="Alder Daily Herald",
        beat="housing, homelessness; rent",
        email="ARuiz@AlderHerald.example",
        phone="+1 555-0101",
        social="@anaruiz_herald",
        notes='Prefers email.\nSays "call after 3"; ok, fine\\ok',
    )
    add_contact(
        db,
        name="Mateo Díaz",
        outlet="La Voz del Puerto",
        beat="comunidad",
        email="mdiaz@lavoz.example",
        language="es",
        do_not_contact=True,
    )
    add_contact(db, name="Nguyễn Thị Lan", outlet="Báo Cảng Alder", language="vi")
    add_contact(db, name=HOSTILE, email="zoe@freelance.example", beat="=SUM(A1:A2)")
    row = add_contact(db, name="Sam Lee", phone="555-0199")
    update_contact(
        db, row.id, row.version, last_contacted_at=datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    )
    return db


def contacts_of(db: Database) -> list[tuple]:
    """Every contact as comparable values (ids, versions and times of writing left out)."""
    return [
        (
            c.name,
            c.outlet,
            c.beat,
            c.email,
            c.phone,
            c.social,
            c.language,
            c.do_not_contact,
            c.notes,
            c.last_contacted_at,
        )
        for c in search_contacts(db, limit=1000)
    ]


def outlets_of(db: Database) -> set[tuple]:
    return {(o.name, o.type, o.language) for o in list_outlets(db)}


def csv_bytes(db: Database) -> bytes:
    out = io.StringIO()
    write_csv(db, out)
    return out.getvalue().encode("utf-8")


def vcf_bytes(db: Database, version: str) -> bytes:
    out = io.StringIO()
    write_vcards(db, out, version=version)
    return out.getvalue().encode("utf-8")


def count(db: Database, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "vcf-3.0", "vcf-4.0"])
def test_export_then_import_into_a_fresh_desk_gives_the_same_list(media, other, kind) -> None:
    data = csv_bytes(media) if kind == "csv" else vcf_bytes(media, kind[4:])
    report = import_contacts(other, read_contacts(data, source=f"list.{kind[:3]}"))
    assert report.skipped == () and report.conflicts == ()
    assert report.added == 5 and report.merged == 0
    assert contacts_of(other) == contacts_of(media)
    assert outlets_of(other) == outlets_of(media)


@pytest.mark.parametrize("kind", ["csv", "vcf-3.0", "vcf-4.0"])
def test_importing_an_export_into_the_same_desk_changes_nothing(media, kind) -> None:
    before = contacts_of(media)
    audit_before = count(media, AuditLog)
    data = csv_bytes(media) if kind == "csv" else vcf_bytes(media, kind[4:])
    report = import_contacts(media, read_contacts(data, source=f"list.{kind[:3]}"))
    assert (report.added, report.merged, report.updated) == (0, 5, 0)
    assert report.conflicts == ()
    assert contacts_of(media) == before
    assert count(media, AuditLog) == audit_before  # nothing written at all


def test_vcard_versions_and_properties(media) -> None:
    ana = search_contacts(media, "Ana")[0]
    v4 = vcard_text(ana, None, version="4.0")
    v3 = vcard_text(ana, None, version="3.0")
    assert "VERSION:4.0" in v4 and "LANG:en" in v4 and "TEL;VALUE=text:" in v4
    assert "VERSION:3.0" in v3 and "X-DESKTERM-LANGUAGE:en" in v3 and "LANG:" not in v3
    assert "X-SOCIALPROFILE:@anaruiz_herald" in v4
    with pytest.raises(InputError):
        vcard_text(ana, None, version="2.1")


def test_exported_csv_uses_headers_the_importer_reads(media) -> None:
    header = csv_bytes(media).decode().splitlines()[0]
    assert header == (
        "name,email,phone,outlet,outlet type,outlet language,beat,social,language,notes,"
        "do not contact,last contacted"
    )
    parsed = read_contacts(csv_bytes(media), source="x.csv")
    assert parsed.ignored_columns == ()
    assert len(parsed.columns) == 12


# --- CSV header mapping -----------------------------------------------------------------------


def test_common_headers_are_recognised_in_any_case(db) -> None:
    data = (
        b"First Name,LAST NAME,E-mail Address,Mobile Phone,Company,Job Title,Twitter,"
        b"Preferred Language,Comments,DNC,Favourite Colour\n"
        b"Ana,Ruiz,ana@herald.example,555-0101,Alder Daily Herald,housing,@ana,es,hi,yes,blue\n"
    )
    parsed = read_contacts(data, source="google.csv")
    assert parsed.ignored_columns == ("Favourite Colour",)
    (row,) = parsed.rows
    assert row == ImportRow(
        line=2,
        name="Ana Ruiz",
        email="ana@herald.example",
        phone="555-0101",
        outlet="Alder Daily Herald",
        beat="housing",
        social="@ana",
        language="es",
        notes="hi",
        do_not_contact=True,
    )


def test_map_option_overrides_the_guess(db) -> None:
    data = b"Reporter,Org Name,Title,Desk\nAna Ruiz,Herald,Ms,housing\n"
    mapping = parse_mapping(["org name=organization", "Title=ignore", "desk=beat"])
    parsed = read_contacts(data, source="x.csv", mapping=mapping)
    (row,) = parsed.rows
    assert (row.name, row.outlet, row.beat) == ("Ana Ruiz", "Herald", "housing")
    assert parsed.ignored_columns == ("Title",)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["nocolumn"], "COLUMN=FIELD"),
        (["a=shoe size"], "unknown field"),
        (["=name"], "COLUMN=FIELD"),
    ],
)
def test_bad_map_options(items, message) -> None:
    with pytest.raises(InputError, match=message):
        parse_mapping(items)


def test_map_of_a_missing_column() -> None:
    with pytest.raises(InputError, match="no column 'Nope'"):
        read_contacts(b"name\nAna\n", source="x.csv", mapping={"Nope": "email"})


def test_semicolon_and_tab_separated_files() -> None:
    semi = read_contacts(b"Name;Email\nAna Ruiz;ana@x.example\n", source="a.csv")
    tabs = read_contacts(b"Name\tEmail\nAna Ruiz\tana@x.example\n", source="a.tsv")
    assert semi.rows[0].email == tabs.rows[0].email == "ana@x.example"


# --- bad rows and bad files -------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_imported(db) -> None:
    data = (
        b"name,email,do not contact,last contacted,notes\n"
        b"Ana Ruiz,ana@x.example,no,2026-11-02,ok\n"  # line 2
        b"Bad Email,bob@,,,\n"  # line 3
        b",nobody@x.example,,,\n"  # line 4
        b"Maybe,m@x.example,perhaps,,\n"  # line 5
        b"When,w@x.example,,last tuesday,\n"  # line 6
        b'"Multi\nLine",ml@x.example,,,\n'  # lines 7-8: a name may not hold a line break
        b"Too,many,fields,a,b,c\n"  # line 9
        b"Short,s@x.example\n"  # line 10
        b",,,,\n"  # line 11: empty, ignored
        b'Ben Okafor,ben@x.example,,,"note, with comma"\n'  # line 12
    )
    parsed = read_contacts(data, source="x.csv")
    assert [(p.line, p.reason.split(" ")[0]) for p in parsed.problems] == [
        (3, "email"),
        (4, "no"),
        (5, "do"),
        (6, "last"),
        (7, "a"),
        (9, "6"),
        (10, "2"),
    ]
    assert "does not look like an address" in parsed.problems[0].reason
    assert "must be one line" in parsed.problems[4].reason
    assert parsed.problems[5].reason == "6 fields where the header has 5"
    report = import_contacts(db, parsed)
    assert report.written and report.added == 2 and len(report.skipped) == 7
    assert [c.name for c in search_contacts(db)] == ["Ana Ruiz", "Ben Okafor"]
    assert search_contacts(db, "Ana")[0].last_contacted_at == datetime(2026, 11, 2, tzinfo=UTC)


def test_strict_import_writes_nothing_when_a_row_is_bad(db) -> None:
    data = b"name,email\nAna Ruiz,ana@x.example\nBad,bad\n"
    report = import_contacts(db, read_contacts(data, source="x.csv"), strict=True)
    assert not report.written
    assert report.added == 0 and [p.line for p in report.skipped] == [3]
    assert count(db, Contact) == 0 and count(db, AuditLog) == 0
    good = import_contacts(db, read_contacts(data[:-8], source="x.csv"), strict=True)
    assert good.written and good.added == 1


def test_a_csv_with_a_broken_quote_is_reported() -> None:
    data = b'name,email\n"Ana "Quoted" Ruiz,ana@x.example\nBen,ben@x.example\n'
    parsed = read_contacts(data, source="x.csv")
    assert parsed.problems and parsed.problems[0].line == 2
    assert "not valid CSV" in parsed.problems[0].reason
    assert [r.name for r in parsed.rows] == ["Ben"]


def test_utf8_with_and_without_bom_and_utf16() -> None:
    text = "name,email\nNguyễn Thị Lan,lan@x.example\n"
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        (row,) = read_contacts(data, source="x.csv").rows
        assert row.name == "Nguyễn Thị Lan"
        assert row.line == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("name,email\nJosé,j@x.example\n".encode("latin-1"), "is not UTF-8 text .* line 2"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a text file"),
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (b"colour,size\nred,9\n", "no name column"),
        (b"BEGIN:VCARD\nFN:x\n", None),  # an unterminated card is a row problem, not fatal
        (b"hello\nworld\n", "no name column"),
    ],
)
def test_files_that_are_not_contact_lists(data, message) -> None:
    if message is None:
        parsed = read_contacts(data, source="x.vcf")
        assert parsed.rows == () and "without END:VCARD" in parsed.problems[0].reason
        return
    with pytest.raises(InputError, match=message) as excinfo:
        read_contacts(data, source="x.csv")
    assert "\n" not in str(excinfo.value)


def test_a_vcf_file_without_cards() -> None:
    with pytest.raises(InputError, match="holds no vCard"):
        read_contacts(b"just text\n", source="x.vcf")


def test_read_contacts_file_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no file"):
        read_contacts_file(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a folder"):
        read_contacts_file(tmp_path)


# --- vCard specifics --------------------------------------------------------------------------


APPLE_CARDS = """BEGIN:VCARD\r
VERSION:3.0\r
N:Ruiz;Ana;María;;\r
ORG:Alder Daily Herald;Metro desk\r
TITLE:Housing reporter\r
EMAIL;type=INTERNET;type=WORK:ana.work@herald.example\r
EMAIL;type=INTERNET;type=HOME;type=pref:ana@herald.example\r
TEL;type=CELL;type=VOICE;type=pref:(555) 010-1010\r
X-SOCIALPROFILE;type=twitter;x-user=anaruiz:http://twitter.com/anaruiz\r
NOTE:Met at the\\nbudget briefing\\, 2026\r
END:VCARD\r
this line is stray\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Ben Okafor\r
EMAIL;PREF=2:ben2@kpac.example\r
EMAIL;PREF=1:ben@kpac.example\r
TEL;VALUE=uri;TYPE="voice,cell":tel:+1-555-555-0102\r
ROLE:transit\r
LANG;PREF=1:es\r
IMPP:xmpp:ben@kpac.example\r
X-DESKTERM-DNC:yes\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
EMAIL:nobody@x.example\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Broken\r
this line has no colon\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Cara\r
URL:https://cara.example\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Dana\r
END:VCARD\r
"""


def test_vcards_from_other_programs() -> None:
    parsed = read_contacts(APPLE_CARDS.encode(), source="contacts.vcf")
    ana, ben, dana = parsed.rows
    assert ana == ImportRow(
        line=1,
        name="Ana María Ruiz",
        email="ana@herald.example",
        phone="(555) 010-1010",
        outlet="Alder Daily Herald",
        beat="Housing reporter",
        social="anaruiz",
        notes="Met at the\nbudget briefing, 2026",
    )
    assert (ben.line, ben.email, ben.phone, ben.beat, ben.language) == (
        13,
        "ben@kpac.example",
        "+1-555-555-0102",
        "transit",
        "es",
    )
    assert ben.social == "xmpp:ben@kpac.example" and ben.do_not_contact is True
    assert dana.name == "Dana" and dana.line == 37
    assert [(p.line, p.reason.split(":")[0]) for p in parsed.problems] == [
        (12, "text outside a vCard (BEGIN"),
        (24, "no name (nobody@x.example)"),
        (28, "vCard could not be read"),
        (33, "vCard without END"),
    ]


# --- merging duplicates -----------------------------------------------------------------------


def test_duplicates_in_one_file_merge_by_email_in_any_case(db) -> None:
    data = (
        b"name,email,beat,phone,outlet,do not contact\n"
        b"Ana Ruiz,ana@x.example,housing,,Herald,\n"
        b"ana ruiz,ANA@X.EXAMPLE,transit,555-0101,herald,yes\n"
        b"Ana R.,Ana@x.example,,,,\n"
    )
    report = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (report.added, report.merged) == (1, 2)
    (ana,) = search_contacts(db)
    assert (ana.name, ana.beat, ana.phone, ana.outlet) == (
        "Ana Ruiz",
        "housing",
        "555-0101",
        "Herald",
    )
    assert ana.do_not_contact is True  # a do-not-contact flag always survives a merge
    assert [(c.line, c.field, c.kept, c.offered) for c in report.conflicts] == [
        (3, "beat", "housing", "transit"),
        (4, "name", "Ana Ruiz", "Ana R."),
    ]
    assert report.outlets_created == ("Herald (online)",)


def test_duplicates_merge_with_the_database_filling_only_empty_fields(db) -> None:
    add_outlet(db, name="KPAC News", type="tv")
    add_contact(db, name="Ben Okafor", email="Ben@KPAC.example", beat="transit", outlet="KPAC News")
    data = (
        b"name,email,beat,phone,social,outlet,language\n"
        b"Ben Okafor,ben@kpac.example,weather,555-0102,@ben,Other Station,es\n"
    )
    report = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (report.added, report.merged, report.updated) == (0, 1, 1)
    (ben,) = search_contacts(db)
    assert (ben.email, ben.beat, ben.phone, ben.social, ben.outlet, ben.language) == (
        "Ben@KPAC.example",
        "transit",
        "555-0102",
        "@ben",
        "KPAC News",
        "en",
    )
    assert ben.version == 2
    assert [(c.field, c.kept, c.offered) for c in report.conflicts] == [
        ("beat", "transit", "weather"),
        ("language", "en", "es"),
        ("outlet", "KPAC News", "Other Station"),
    ]
    with db.read() as session:
        changes = session.scalars(
            select(AuditLog.changes).where(
                AuditLog.entity == "contacts", AuditLog.action == "update"
            )
        ).all()
    assert len(changes) == 1 and "phone" in changes[0] and "beat" not in changes[0]


def test_rows_without_email_merge_by_name_and_outlet(db) -> None:
    data = b"name,outlet,beat\nSam Lee,KPAC,\nSam Lee,Herald,\nsam lee,kpac,sports\n"
    first = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (first.added, first.merged) == (2, 1)
    again = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (again.added, again.merged, again.updated) == (0, 3, 0)
    assert sorted((c.name, c.outlet, c.beat) for c in search_contacts(db)) == [
        ("Sam Lee", "Herald", ""),
        ("Sam Lee", "KPAC", "sports"),
    ]


def test_names_match_known_ones_in_any_case_and_accents(db) -> None:
    """An outlet or a reporter typed without accents or in capitals is the one on the
    list, not a second one (the candidates were read with SQLite's A-Z-only lower())."""
    add_outlet(db, name="La Opinión", type="community_ethnic")
    add_contact(db, name="José Núñez", outlet="La Opinión")
    data = b"name,outlet,beat\nJOSE NUNEZ,LA OPINION,city hall\n"
    report = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (report.added, report.outlets_created) == (0, ())
    assert [(c.name, c.outlet, c.beat) for c in search_contacts(db)] == [
        ("José Núñez", "La Opinión", "city hall")
    ]
    assert [o.name for o in list_outlets(db)] == ["La Opinión"]


def test_adding_an_outlet_that_differs_only_in_accents_is_refused(db) -> None:
    add_outlet(db, name="La Opinión", type="print")
    with pytest.raises(InputError, match="already exists"):
        add_outlet(db, name="LA OPINION", type="print")


def test_renaming_an_outlet_checks_other_outlets_by_folded_name(db) -> None:
    """Accent twins already on the list (made before names were folded) stay editable; a
    rename into another outlet's folded name is refused, an exact clash always."""
    from deskterm.core.contacts import update_outlet

    with db.transaction() as session:  # twins as an older desk could store them
        session.add_all(
            [
                Outlet(name="La Opinion", type=OutletType.PRINT),
                Outlet(name="La Opinión", type=OutletType.PRINT),
            ]
        )
    plain, accented = sorted(list_outlets(db), key=lambda o: o.id)
    assert update_outlet(db, plain.id, plain.version, name="LA OPINION").name == "LA OPINION"
    renamed = update_outlet(db, accented.id, accented.version, name="la opinión")
    assert renamed.name == "la opinión"
    accented = renamed
    with pytest.raises(InputError, match="already exists"):
        update_outlet(db, accented.id, accented.version, name="LA OPINION")
    add_outlet(db, name="KPAC", type="tv")
    with pytest.raises(InputError, match="'KPAC' already exists"):
        update_outlet(db, accented.id, accented.version, name="kpac")


def test_a_new_email_completes_a_contact_known_by_name_only(db) -> None:
    add_outlet(db, name="KPAC", type="tv")
    add_contact(db, name="Sam Lee", outlet="KPAC")
    add_contact(db, name="Ana Ruiz", outlet="KPAC", email="ana@kpac.example")
    data = (
        b"name,outlet,email,beat\n"
        b"sam lee,kpac,sam@kpac.example,\n"  # Sam had no email: this is Sam
        b"Sam Lee,KPAC,,sports\n"  # and so is this (same name and outlet)
        b"Ana Ruiz,KPAC,ana.ruiz@elsewhere.example,\n"  # Ana has another email: a new person
        b"Ana Ruiz,KPAC,,weather\n"  # no email: the Ana on the list
        b"Cy Dunn,KPAC,cy@kpac.example,\n"
        b"Cy Dunn,kpac,,traffic\n"  # the Cy added two lines up
    )
    report = import_contacts(db, read_contacts(data, source="x.csv"))
    assert (report.added, report.merged) == (2, 4)
    found = sorted((c.name, c.email, c.beat) for c in search_contacts(db))
    assert found == [
        ("Ana Ruiz", "ana.ruiz@elsewhere.example", ""),
        ("Ana Ruiz", "ana@kpac.example", "weather"),
        ("Cy Dunn", "cy@kpac.example", "traffic"),
        ("Sam Lee", "sam@kpac.example", "sports"),
    ]


def test_existing_outlets_are_matched_in_any_case_and_kept(db) -> None:
    add_outlet(db, name="KPAC News", type="tv")
    data = b"name,outlet,outlet type\nAna,kpac news,radio\nBen,New Paper,print\nCy,Blog,\n"
    report = import_contacts(
        db, read_contacts(data, source="x.csv"), outlet_type=OutletType.COMMUNITY_ETHNIC
    )
    assert report.outlets_created == ("New Paper (print)", "Blog (community_ethnic)")
    assert [(c.field, c.kept, c.offered) for c in report.conflicts] == [
        ("outlet type", "tv", "radio")
    ]
    assert {(o.name, o.type) for o in list_outlets(db)} == {
        ("KPAC News", OutletType.TV),
        ("New Paper", OutletType.PRINT),
        ("Blog", OutletType.COMMUNITY_ETHNIC),
    }
    assert count(db, Outlet) == 3


def test_merge_rows_keeps_the_later_last_contacted() -> None:
    early = datetime(2026, 1, 1, tzinfo=UTC)
    late = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        ImportRow(line=2, name="A", email="a@x.example", last_contacted_at=early),
        ImportRow(line=3, name="A", email="a@x.example", last_contacted_at=late),
        ImportRow(line=4, name="A", email="a@x.example", last_contacted_at=early),
    ]
    merged, folded, conflicts = merge_rows(rows)
    assert folded == 2 and conflicts == []
    assert merged == [replace(rows[0], last_contacted_at=late)]


def test_an_import_is_one_audited_transaction(db) -> None:
    data = b"name,email,outlet\nA,a@x.example,Herald\nB,b@x.example,Herald\n"
    import_contacts(db, read_contacts(data, source="x.csv"))
    with db.read() as session:
        entries = session.execute(select(AuditLog.entity, AuditLog.action)).all()
    assert sorted(entries) == [
        ("contacts", "insert"),
        ("contacts", "insert"),
        ("outlets", "insert"),
    ]


def test_cells_that_look_like_formulas_are_exported_as_text_and_import_back(db, other) -> None:
    """CSV injection: a spreadsheet must show "=HYPERLINK(...)" as text, never run it."""
    add_contact(db, name='=HYPERLINK("http://evil.example","Click")', phone="+1 555-0199")
    data = csv_bytes(db).decode("utf-8")
    row = next(r for r in csv.reader(io.StringIO(data)) if "HYPERLINK" in "".join(r))
    assert '\'=HYPERLINK("http://evil.example","Click")' in row
    assert "'+1 555-0199" in row
    report = import_contacts(other, read_contacts(data.encode(), source="list.csv"))
    assert report.added == 1
    assert contacts_of(other) == contacts_of(db)
    assert contacts_of(other)[0][0] == '=HYPERLINK("http://evil.example","Click")'
