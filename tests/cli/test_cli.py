"""The command line as a user runs it.

Runs that are about what a user sees at the shell (exit code, stdout vs stderr, the
console script itself) go through the installed ``deskterm`` script in a subprocess;
the rest call ``deskterm.cli.main(argv)`` in-process, which is much faster.
The autouse fixture in tests/conftest.py has already pointed DESKTERM_CONFIG and the
XDG folders at a temporary home, in ``os.environ``, so subprocesses inherit it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
from importlib.metadata import version
from pathlib import Path

import platformdirs
import pytest

from db.engine import Actor, Database
from db.schema_state import HEAD
from deskterm.cli import main
from deskterm.core.staff import add_staff, list_staff
from tests.cli.runner import DESKTERM, run


def revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def init_db(path: Path) -> None:
    assert main(["--db", str(path), "init"]) == 0


def config_file() -> Path:
    return Path(os.environ["DESKTERM_CONFIG"])


def test_console_script_is_installed() -> None:
    assert DESKTERM.exists(), f"no console script at {DESKTERM}: reinstall the project"


# --- init ---------------------------------------------------------------------------


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"

    first = run("--db", str(path), "init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(path)
    assert "created" in first.stderr
    assert path.is_file()
    assert revision(path) == HEAD

    second = run("--db", str(path), "init", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == str(path)
    assert "up to date" in second.stderr
    assert "created" not in second.stderr


def test_init_relative_path_prints_absolute_path(tmp_path: Path) -> None:
    result = run("--db", "rel.sqlite3", "init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "rel.sqlite3")


def test_init_creates_missing_parent_folders(tmp_path: Path, capsys) -> None:
    path = tmp_path / "share" / "press" / "desk.sqlite3"
    assert main(["--db", str(path), "init"]) == 0
    assert path.is_file()


def test_init_json(tmp_path: Path, capsys) -> None:
    path = tmp_path / "desk.sqlite3"
    assert main(["--db", str(path), "init", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["database"] == str(path)
    assert "created" in out["result"]
    assert out["demo"] is None

    assert main(["--json", "--db", str(path), "init"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "up to date" in out["result"]


# --- check --------------------------------------------------------------------------


def test_check_ok(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    init_db(path)
    result = run("--db", str(path), "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    assert result.stderr == ""


def test_check_json(tmp_path: Path, capsys) -> None:
    path = tmp_path / "desk.sqlite3"
    init_db(path)
    capsys.readouterr()
    assert main(["--db", str(path), "check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "integrity": ["ok"],
        "foreign_keys": [],
    }


def test_check_does_not_change_the_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "desk.sqlite3"
    init_db(path)
    before = path.read_bytes()
    assert main(["--db", str(path), "check"]) == 0
    assert path.read_bytes() == before


# --- backup -------------------------------------------------------------------------


def _db_with_staff(path: Path) -> None:
    init_db(path)
    database = Database(str(path), actor=Actor("AB", "test-host"))
    try:
        add_staff(database, initials="AB", name="Ann Bell", role="press secretary")
    finally:
        database.dispose()


def _staff_initials(path: Path) -> list[str]:
    database = Database(str(path), actor=Actor("AB", "test-host"))
    try:
        return [s.initials for s in list_staff(database)]
    finally:
        database.dispose()


def test_backup_to_file_is_a_database_check_accepts(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    _db_with_staff(path)
    dest = tmp_path / "copies" / "saved.sqlite3"

    result = run("--db", str(path), "backup", str(dest), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(dest)
    assert dest.is_file()

    checked = run("check", "--db", str(dest), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok")
    assert revision(dest) == HEAD
    assert _staff_initials(dest) == ["AB"]


def test_backup_into_directory(tmp_path: Path, capsys) -> None:
    path = tmp_path / "desk.sqlite3"
    _db_with_staff(path)
    folder = tmp_path / "backups"
    folder.mkdir()
    capsys.readouterr()

    assert main(["--db", str(path), "backup", str(folder), "--json"]) == 0
    written = Path(json.loads(capsys.readouterr().out)["backup"])
    assert written.parent == folder
    assert written.name.startswith("desk-") and written.suffix == ".sqlite3"
    assert list(folder.iterdir()) == [written]
    assert main(["--db", str(written), "check"]) == 0
    assert _staff_initials(written) == ["AB"]


def test_backup_without_dest_goes_beside_the_database(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "share"
    path = folder / "desk.sqlite3"
    init_db(path)
    capsys.readouterr()
    assert main(["--db", str(path), "backup"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == folder
    assert written != path and written.is_file()


# --- config -------------------------------------------------------------------------


def _write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("layer", ["flag", "env", "file", "default"])
def test_config_source_precedence(
    layer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Each layer is present together with every layer below it, and must win."""
    layers = ["default", "file", "env", "flag"]
    present = layers[: layers.index(layer) + 1]
    argv = ["config", "--json"]
    if "file" in present:
        cfg = _write_config(
            f'database = "{(tmp_path / "file.sqlite3").as_posix()}"\nuser = "FILE"\n'
        )
    if "env" in present:
        monkeypatch.setenv("DESKTERM_DB", str(tmp_path / "env.sqlite3"))
        monkeypatch.setenv("DESKTERM_USER", "ENV")
    if "flag" in present:
        argv += ["--db", str(tmp_path / "flag.sqlite3"), "--user", "FLAG"]

    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    settings = out["settings"]
    assert out["config_file"] == str(config_file())
    expected = {
        "flag": (str(tmp_path / "flag.sqlite3"), "FLAG", "command line", "command line"),
        "env": (
            str(tmp_path / "env.sqlite3"),
            "ENV",
            "environment DESKTERM_DB",
            "environment DESKTERM_USER",
        ),
        "file": ((tmp_path / "file.sqlite3").as_posix(), "FILE", "config", "config"),
        "default": (
            str(Path(platformdirs.user_data_dir("deskterm", appauthor=False)) / "deskterm.sqlite3"),
            None,
            "default",
            "default",
        ),
    }[layer]
    db_value, user_value, db_source, user_source = expected
    assert settings["database"]["value"] == db_value
    assert settings["database"]["source"].startswith(db_source)
    assert settings["user"]["source"].startswith(user_source)
    if user_value is not None:
        assert settings["user"]["value"] == user_value
    if layer == "file":
        assert settings["database"]["source"] == f"config {cfg}"
    # nothing was created by looking at the settings
    assert not any(tmp_path.glob("*.sqlite3"))


def test_config_text_form_shows_value_and_source(tmp_path: Path) -> None:
    _write_config('theme = "textual-light"\nleaders = ["Mayor", "Chief of Staff"]\n')
    result = run(
        "config",
        "--db",
        str(tmp_path / "flag.sqlite3"),
        cwd=tmp_path,
        env={"DESKTERM_USER": "ENVUSER"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"config file: {config_file()}"
    assert lines[1].split() == ["setting", "value", "from"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["database"].endswith("command line")
    assert str(tmp_path / "flag.sqlite3") in rows["database"]
    assert rows["user"].endswith("environment DESKTERM_USER")
    assert "ENVUSER" in rows["user"]
    assert rows["theme"].endswith(f"config {config_file()}")
    assert "Mayor, Chief of Staff" in rows["leaders"]
    assert rows["timezone"].endswith("environment DESKTERM_TZ")  # set by conftest
    assert rows["fetch_interval_minutes"].endswith("default")


# --- version and option placement ---------------------------------------------------


def test_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"deskterm {version('deskterm')}"


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "{db}", "check"],
        ["check", "--db", "{db}"],
        ["--json", "check", "--db", "{db}"],
        ["check", "--db", "{db}", "--json"],
        ["--db", "{other}", "check", "--db", "{db}"],  # the later one wins
        ["check", "--user", "ZZ", "--db", "{db}", "--debug"],
    ],
)
def test_global_options_after_subcommand(argv: list[str], tmp_path: Path, capsys) -> None:
    path = tmp_path / "desk.sqlite3"
    init_db(path)
    capsys.readouterr()
    args = [a.format(db=path, other=tmp_path / "absent.sqlite3") for a in argv]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    if "--json" in args:
        assert json.loads(out)["ok"] is True
    else:
        assert out.startswith("ok")
    assert not (tmp_path / "absent.sqlite3").exists()


def test_global_options_after_subcommand_subprocess(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    init_db(path)
    result = run("check", "--db", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


# --- no subcommand ------------------------------------------------------------------


def test_no_subcommand_on_fresh_default_path_creates_db_and_welcomes(tmp_path: Path) -> None:
    default_db = Path(platformdirs.user_data_dir("deskterm", appauthor=False)) / "deskterm.sqlite3"
    assert not default_db.exists()

    first = run(cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert default_db.is_file()
    assert "created" in first.stderr
    assert "Welcome" in first.stdout
    assert str(default_db) in first.stdout
    assert "--demo" in first.stdout

    second = run(cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""  # nothing to report when it was already up to date
    assert "Welcome" in second.stdout  # still empty


def test_no_subcommand_with_db_flag_json(tmp_path: Path, capsys) -> None:
    path = tmp_path / "fresh.sqlite3"
    assert main(["--db", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["requests"] == 0 and summary["staff"] == 0
    assert path.is_file()
    assert "created" in captured.err


# --- --user -------------------------------------------------------------------------


@pytest.mark.skipif(
    importlib.util.find_spec("deskterm.core.demo") is None,
    reason="no command writes data yet (init --demo needs deskterm.core.demo)",
)
def test_user_flag_reaches_audit_rows(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    result = run("--db", str(path), "--user", "ZZ", "init", "--demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as conn:
        users = {row[0] for row in conn.execute("SELECT user FROM audit_log")}
    assert "ZZ" in users, users


def test_every_command_is_mapped_to_the_module_that_registers_it():
    from deskterm.cli.main import COMMANDS, build_parser

    full = build_parser()
    registered = next(a for a in full._actions if a.dest == "command").choices
    assert set(registered) == set(COMMANDS)
    for name in COMMANDS:  # a parser built for one command still parses it
        parser = build_parser(["--db", "x.sqlite3", name, "--help"])
        choices = next(a for a in parser._actions if a.dest == "command").choices
        assert name in choices


def test_a_parser_for_the_desk_registers_no_command_but_help_lists_them_all():
    from deskterm.cli.main import COMMANDS, build_parser

    def commands(argv):
        return set(next(a for a in build_parser(argv)._actions if a.dest == "command").choices)

    assert commands(["--db", "x.sqlite3", "--user", "AB"]) == set()
    assert commands([]) == set()
    for asks in (["--help"], ["-h"], ["--h"], ["--he"], ["--db", "x", "--help"]):
        assert commands(asks) == set(COMMANDS), asks
    assert commands(["frobnicate"]) == set(COMMANDS)  # "invalid choice" names them


def test_help_without_a_command_lists_every_command(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("init", "fetch", "clips", "calendar", "contacts"):
        assert name in result.stdout


def test_the_command_is_found_past_global_options():
    from deskterm.cli.main import command_in

    assert command_in(["--db", "calendar", "--user", "AB", "tasks", "list"]) == "tasks"
    assert command_in(["--json", "clips", "list"]) == "clips"
    assert command_in(["--db=x", "--", "fetch"]) == "fetch"
    assert command_in(["--debug"]) is None
