"""`deskterm contacts ...` as a user runs it: import (CSV with mapping, vCard), export, list,
show, add and outlets; skipped rows on stderr with line numbers, bad files exit 2."""

from __future__ import annotations

from pathlib import Path

from db.engine import Actor, Database
from deskterm.core.requests import create_request
from tests.cli.runner import cli, cli_json, run

PRESS_LIST = (
    "Full Name,E-mail,Organization,Job Title,Twitter,Outlet Type\n"
    "Ana Ruiz,aruiz@herald.example,Alder Daily Herald,housing,@ana,print\n"
    "Mateo Díaz,mdiaz@lavoz.example,La Voz del Puerto,comunidad,,community\n"
    "Bad Row,not-an-email,Somewhere,,,\n"
    "ANA RUIZ,ARUIZ@HERALD.EXAMPLE,Alder Daily Herald,transit,,\n"
    "\x1b[31mEvil\x1b[0m,evil@x.example,,,,\n"
)


def press_list(tmp_path: Path, text: str = PRESS_LIST, name: str = "press.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reports_added_merged_and_each_skipped_row(desk, capsys, tmp_path):
    code, out, err = cli(desk, capsys, "contacts", "import", str(press_list(tmp_path)))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "press.csv: 2 added, 1 merged (0 updated), 2 skipped (listed on stderr)"
    assert "line 5: kept existing beat 'housing' for Ana Ruiz <aruiz@herald.example>" in out
    assert "new outlets: Alder Daily Herald (print), La Voz del Puerto (community_ethnic)" in out
    assert err.splitlines() == [
        "press.csv line 4: skipped: email 'not-an-email' does not look like an address "
        "(name@example.org)",
        "press.csv line 6: skipped: a contact's name must be one line without control characters",
    ]
    listed = cli_json(desk, capsys, "contacts", "list")
    assert [(c["name"], c["outlet"], c["social"]) for c in listed] == [
        ("Ana Ruiz", "Alder Daily Herald", "@ana"),
        ("Mateo Díaz", "La Voz del Puerto", None),
    ]


def test_strict_import_writes_nothing_and_exits_2(desk, capsys, tmp_path):
    code, out, err = cli(desk, capsys, "contacts", "import", "--strict", str(press_list(tmp_path)))
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == "deskterm: nothing imported: 2 of 5 rows are bad (--strict)"
    assert err.count("skipped:") == 2
    assert cli_json(desk, capsys, "contacts", "list") == []


def test_import_json_report_and_map_and_outlet_type(desk, capsys, tmp_path):
    text = "Reporter,Org Name,Desk\nSam Lee,Eastside Blog,schools\n"
    report = cli_json(
        desk, capsys, "contacts", "import", str(press_list(tmp_path, text)),
        "--map", "Org Name=outlet", "--map", "desk=beat", "--outlet-type", "online",
    )  # fmt: skip
    assert (report["added"], report["merged"], report["skipped"]) == (1, 0, [])
    assert report["outlets_created"] == ["Eastside Blog (online)"]
    assert report["written"] is True
    (sam,) = cli_json(desk, capsys, "contacts", "list", "--search", "sam")
    assert (sam["outlet"], sam["beat"]) == ("Eastside Blog", "schools")


def test_export_and_import_round_trip_through_files(desk, capsys, tmp_path):
    cli(desk, capsys, "contacts", "import", str(press_list(tmp_path)))
    for fmt, extra in (("csv", []), ("vcf", []), ("vcf", ["--vcard-version", "3"])):
        target = tmp_path / f"out-{fmt}-{len(extra)}.{fmt}"
        code, out, err = cli(
            desk, capsys, "contacts", "export", "--format", fmt, *extra, "-o", str(target)
        )
        assert (code, out) == (0, f"{target} (2 contacts)\n"), err
        other = tmp_path / f"other-{fmt}-{len(extra)}.sqlite3"
        assert run("--db", str(other), "init", cwd=tmp_path).returncode == 0
        code, out, err = cli(other, capsys, "contacts", "import", str(target))
        assert code == 0 and out.startswith(f"{target.name}: 2 added, 0 merged"), err
        mine = cli_json(desk, capsys, "contacts", "list")
        theirs = cli_json(other, capsys, "contacts", "list")
        for record in (*mine, *theirs):
            del record["id"], record["outlet_id"], record["version"]
        assert mine == theirs
    first = (tmp_path / "out-csv-0.csv").read_bytes()
    assert first.startswith(b"\xef\xbb\xbfname,email,phone,outlet,outlet type")


def test_export_to_stdout(desk, capsys, tmp_path):
    cli(desk, capsys, "contacts", "import", str(press_list(tmp_path)))
    code, out, _ = cli(desk, capsys, "contacts", "export", "--format", "vcf")
    assert code == 0
    assert out.count("BEGIN:VCARD") == 2 and "VERSION:4.0" in out and "FN:Mateo Díaz" in out
    code, out, _ = cli(desk, capsys, "contacts", "export")
    assert out.splitlines()[1].startswith("Ana Ruiz,aruiz@herald.example,,Alder Daily Herald,print")


def test_bad_files_exit_2_with_one_line(desk, capsys, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nJosé\n".encode("latin-1"))
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    headless = tmp_path / "numbers.csv"
    headless.write_text("1,2,3\n4,5,6\n", encoding="utf-8")
    bad_only = tmp_path / "bad.csv"
    bad_only.write_text("name,email\nA,a@\n", encoding="utf-8")
    cases = [
        (latin, "latin.csv is not UTF-8 text (byte 0xe9 on line 2)"),
        (binary, "photo.csv is not a text file"),
        (headless, "numbers.csv: the first row has no name column"),
        (tmp_path / "missing.csv", "no file"),
        (bad_only, "nothing imported: all 1 rows are bad"),
    ]
    for path, message in cases:
        code, out, err = cli(desk, capsys, "contacts", "import", str(path))
        assert code == 2 and out == ""
        assert err.splitlines()[-1].startswith("deskterm: ") and message in err, err
    code, _, err = cli(desk, capsys, "contacts", "import", str(latin), "--map", "x")
    assert code == 2 and "COLUMN=FIELD" in err
    code, _, err = cli(desk, capsys, "contacts", "import", str(latin), "--outlet-type", "blog")
    assert code == 2 and "unknown outlet type 'blog'" in err


def test_the_installed_command_reports_on_stderr(desk, tmp_path):
    result = run("--db", str(desk), "contacts", "import", str(press_list(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("press.csv: 2 added, 1 merged")
    assert "press.csv line 4: skipped" in result.stderr
    assert "\x1b" not in result.stdout + result.stderr  # the hostile name is shown escaped
    assert "\\x1b[31mEvil" not in result.stdout  # skipped rows are not in the summary
    broken = run("--db", str(desk), "contacts", "import", str(tmp_path), cwd=tmp_path)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert len(broken.stderr.splitlines()) == 1


def test_add_list_show_with_history(desk, capsys):
    code, out, err = cli(
        desk, capsys, "contacts", "outlets", "add", "KPAC News", "--type", "tv", "--reach", "210000"
    )
    assert (code, out) == (0, "added outlet 1: KPAC News (tv)\n"), err
    code, out, err = cli(
        desk, capsys, "contacts", "add", "Ben Okafor", "--email", "ben@kpac.example",
        "--outlet", "kpac news", "--beat", "transit", "--do-not-contact",
    )  # fmt: skip
    assert (code, out) == (0, "added 1: Ben Okafor (KPAC News)\n"), err
    code, _, err = cli(desk, capsys, "contacts", "add", "Eve", "--outlet", "Nowhere")
    assert code == 2 and "unknown outlet 'Nowhere'" in err
    db = Database(str(desk), actor=Actor("AB", "test"))
    try:
        create_request(db, kind="media", subject="Bus lanes [draft]", requester="Ben Okafor")
    finally:
        db.dispose()
    code, out, _ = cli(desk, capsys, "contacts", "list", "--outlet", "KPAC NEWS")
    header, row = out.splitlines()
    assert header.split()[:4] == ["id", "name", "outlet", "beat"]
    assert "Ben Okafor" in row and "DNC" in row
    code, out, _ = cli(desk, capsys, "contacts", "show", "BEN@kpac.example")
    assert code == 0
    assert "do not contact: YES" in out and "requests (1):" in out
    assert "Bus lanes [draft]" in out
    shown = cli_json(desk, capsys, "contacts", "show", "1")
    assert shown["contact"]["name"] == "Ben Okafor"
    assert [r["subject"] for r in shown["requests"]] == ["Bus lanes [draft]"]
    code, _, err = cli(desk, capsys, "contacts", "show", "nobody@x.example")
    assert code == 2 and "no contact" in err
    outlets = cli_json(desk, capsys, "contacts", "outlets", "list", "--type", "tv")
    assert [(o["name"], o["type"], o["reach"]) for o in outlets] == [("KPAC News", "tv", 210000)]
    code, out, _ = cli(desk, capsys, "contacts", "outlets", "list")
    assert "210,000" in out
    code, _, err = cli(desk, capsys, "contacts", "list", "--limit", "0")
    assert code == 2 and "limit" in err


def test_list_search_any_case_any_accents_any_order(desk, capsys, tmp_path):
    text = "name,outlet,beat\nÉlodie Núñez,Zürcher Tagblatt,Straße\nSam Lee,Eastside Blog,schools\n"
    cli(desk, capsys, "contacts", "import", str(press_list(tmp_path, text)))
    found = cli_json(desk, capsys, "contacts", "list", "--search", "zurcher STRASSE nunez")
    assert [c["name"] for c in found] == ["Élodie Núñez"]
    assert cli_json(desk, capsys, "contacts", "list", "--search", "nunez schools") == []
    outlets = cli_json(desk, capsys, "contacts", "outlets", "list", "--search", "ZÜRCHER")
    assert [o["name"] for o in outlets] == ["Zürcher Tagblatt"]
