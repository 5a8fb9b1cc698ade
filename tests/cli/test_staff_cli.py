"""`deskterm staff add|list`: putting the office's people on the desk."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import cli, cli_json


def test_add_and_list_staff_then_assign_to_them(desk: Path, capsys) -> None:
    code, out, _err = cli(desk, capsys, "staff", "add", "mp", "--name", "Maya [b]P[/b]",
                          "--role", "press secretary", "--can-approve")  # fmt: skip
    assert (code, out) == (0, "added MP: Maya [b]P[/b]\n")
    made = cli_json(desk, capsys, "staff", "add", "JO", "--name", "Jo Okafor")
    assert (made["initials"], made["role"], made["can_approve"]) == ("JO", "pio", False)
    listed = cli_json(desk, capsys, "staff", "list")
    assert [(s["initials"], s["role"]) for s in listed] == [
        ("AB", "pio"),  # (the desk fixture's two)
        ("CD", "comms_director"),
        ("JO", "pio"),
        ("MP", "press_secretary"),
    ]
    code, out, _err = cli(desk, capsys, "staff", "list")
    assert "press secretary" in out and "Maya [b]P[/b]" in out
    request = cli_json(desk, capsys, "requests", "add", "--kind", "media", "--from", "Ana Ruiz",
                       "--subject", "Budget", "--assignee", "JO")  # fmt: skip
    assert request["assignee"] == "JO"


def test_bad_staff_input_is_one_line_and_exit_2(desk: Path, capsys) -> None:
    assert cli(desk, capsys, "staff", "add", "MP", "--name", "Maya")[0] == 0
    for args, message in (
        (("staff", "add", "MP", "--name", "Other"), "initials MP are already taken"),
        (("staff", "add", "9X", "--name", "X"), "must be 1-8 letters or digits"),
        (("staff", "add", "EF", "--name", "X", "--role", "boss"), "unknown role 'boss'"),
        (("staff", "add", "EF", "--name", " "), "a staff member needs a name"),
    ):
        code, _out, err = cli(desk, capsys, *args)
        assert code == 2 and len(err.splitlines()) == 1 and message in err, (args, err)


def test_two_desks_adding_staff_at_once(desk: Path, tmp_path: Path) -> None:
    """Two processes add people at the same moment, one name on both lists: every add
    lands once, the shared initials once, and the other desk is told they are taken."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from deskterm.cli.main import main\n"
        "prefix, path = sys.argv[1], sys.argv[2]\n"
        "codes = [main(['--db', path, 'staff', 'add', f'{prefix}{i}', '--name', f'P {i}'])\n"
        "         for i in range(6)]\n"
        "codes.append(main(['--db', path, 'staff', 'add', 'ZZ', '--name', prefix]))\n"
        "print(json.dumps(codes))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, prefix, str(desk)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("Q", "R")
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    codes = [json.loads(out.strip().splitlines()[-1]) for out, _err in results]
    assert [c[:6] for c in codes] == [[0] * 6, [0] * 6]
    assert sorted(c[6] for c in codes) == [0, 2]  # ZZ: added once, refused once
    refused = next(err for (out, err), c in zip(results, codes, strict=True) if c[6] == 2)
    assert "initials ZZ are already taken" in refused
    db_rows = subprocess.run(
        [sys.executable, "-c",
         "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
         "print(c.execute('select count(*) from staff').fetchone()[0])", str(desk)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert int(db_rows.stdout) == 2 + 12 + 1  # the fixture's two, six each, one ZZ
