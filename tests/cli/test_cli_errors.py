"""Every failure of the console script: one ``deskterm: `` line on stderr, no traceback.

Exit 2 for bad input (usage, InputError, a missing database, refusing to overwrite),
exit 1 for other failures. ``--debug`` adds the traceback. All runs are subprocesses
of the installed console script, the way a user meets these errors.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from deskterm.cli import main
from tests.cli.runner import run

BAD_INPUT, FAILURE = 2, 1


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The error contract; returns the message after ``deskterm: ``."""
    detail = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == code, detail
    assert "Traceback" not in result.stderr, detail
    lines = result.stderr.splitlines()
    assert len(lines) == 1, detail
    assert lines[0].startswith("deskterm: "), detail
    assert "\x1b" not in result.stderr, detail
    return lines[0].removeprefix("deskterm: ")


def make_db(path: Path) -> Path:
    assert main(["--db", str(path), "init"]) == 0
    return path


def write_config(text: str) -> Path:
    path = Path(os.environ["DESKTERM_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- exit 2: bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["frobnicate"], "invalid choice"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["check", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["--db"], "--db: expected one argument"),
        (["check", "--db"], "--db: expected one argument"),
        (["--user"], "--user: expected one argument"),
        (["backup", "a", "b"], "unrecognized arguments"),
    ],
)
def test_usage_errors(argv: list[str], expected: str, tmp_path: Path) -> None:
    message = assert_one_line_error(run(*argv, cwd=tmp_path), BAD_INPUT)
    assert expected in message
    assert "--help" in message  # says where to look
    assert not any(tmp_path.iterdir())


def test_check_on_missing_database_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "desk.sqlite3"
    message = assert_one_line_error(run("--db", str(path), "check", cwd=tmp_path), BAD_INPUT)
    assert str(path) in message
    assert "deskterm init" in message
    assert not path.exists()
    assert not path.parent.exists()


def test_backup_of_missing_database_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "desk.sqlite3"
    result = run("--db", str(path), "backup", str(tmp_path / "copy.sqlite3"), cwd=tmp_path)
    assert_one_line_error(result, BAD_INPUT)
    assert not any(tmp_path.iterdir())


def test_missing_database_path_with_control_characters_stays_one_clean_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "evil\x1b[2J\nname.sqlite3"
    message = assert_one_line_error(run("--db", str(path), "check", cwd=tmp_path), BAD_INPUT)
    assert "\\x1b" in message  # shown as a visible escape, not sent to the terminal


def test_backup_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    path = make_db(tmp_path / "desk.sqlite3")
    dest = tmp_path / "precious.txt"
    dest.write_text("keep me")
    message = assert_one_line_error(
        run("--db", str(path), "backup", str(dest), cwd=tmp_path), BAD_INPUT
    )
    assert str(dest) in message
    assert dest.read_text() == "keep me"


@pytest.mark.parametrize("command", [["config"], ["check"], []])
def test_invalid_toml_config(command: list[str], tmp_path: Path) -> None:
    cfg = write_config('database = "unterminated\ntheme = [\n')
    message = assert_one_line_error(run(*command, cwd=tmp_path), BAD_INPUT)
    assert "TOML" in message
    assert str(cfg) in message


def test_config_with_unknown_timezone(tmp_path: Path) -> None:
    cfg = write_config('timezone = "Mars/Olympus_Mons"\n')
    # conftest sets DESKTERM_TZ, which would beat the file: take it away
    result = run("config", cwd=tmp_path, env={"DESKTERM_TZ": None})
    message = assert_one_line_error(result, BAD_INPUT)
    assert "Mars/Olympus_Mons" in message
    assert str(cfg) in message


@pytest.mark.parametrize("value", ["0", "-5", '"often"'])
def test_config_with_bad_fetch_interval(value: str, tmp_path: Path) -> None:
    write_config(f"fetch_interval_minutes = {value}\n")
    message = assert_one_line_error(run("config", cwd=tmp_path), BAD_INPUT)
    assert "fetch_interval_minutes" in message


def test_config_file_that_is_a_folder(tmp_path: Path) -> None:
    Path(os.environ["DESKTERM_CONFIG"]).mkdir(parents=True)
    message = assert_one_line_error(run("config", cwd=tmp_path), BAD_INPUT)
    assert "config file" in message


# --- exit 1: other failures ---------------------------------------------------------


def test_check_on_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    junk = bytes(range(256)) * 16 + os.urandom(4096)
    path.write_bytes(junk)
    message = assert_one_line_error(run("--db", str(path), "check", cwd=tmp_path), FAILURE)
    assert str(path) in message
    assert "not a database" in message
    assert path.read_bytes() == junk


def test_init_on_a_file_that_is_not_sqlite_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("meeting notes, not a database\n" * 200)
    before = path.read_bytes()
    assert_one_line_error(run("--db", str(path), "init", cwd=tmp_path), FAILURE)
    assert path.read_bytes() == before


def _stamp_newer(path: Path, revision: str = "9999_from_the_future") -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_init_on_a_newer_schema_says_upgrade_deskterm(tmp_path: Path) -> None:
    path = make_db(tmp_path / "desk.sqlite3")
    _stamp_newer(path)
    before = path.read_bytes()
    message = assert_one_line_error(run("--db", str(path), "init", cwd=tmp_path), FAILURE)
    assert "upgrade deskterm" in message
    assert "9999_from_the_future" in message
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak"))  # refused before any backup-and-migrate


def test_check_still_reads_a_newer_schema(tmp_path: Path) -> None:
    """A newer database is read only, not unreadable: check works on it."""
    path = make_db(tmp_path / "desk.sqlite3")
    _stamp_newer(path)
    result = run("--db", str(path), "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_no_subcommand_on_a_newer_schema_opens_read_only(tmp_path: Path) -> None:
    path = make_db(tmp_path / "desk.sqlite3")
    _stamp_newer(path)
    result = run("--db", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def _violate_foreign_key(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO clip_topics (clip_id, topic_id, matched_terms) VALUES (999, 998, '')"
        )


def test_foreign_key_violation_makes_check_fail(tmp_path: Path) -> None:
    path = make_db(tmp_path / "desk.sqlite3")
    _violate_foreign_key(path)
    result = run("--db", str(path), "check", cwd=tmp_path)
    assert result.returncode == FAILURE, result.stderr
    assert "Traceback" not in result.stderr
    assert not result.stdout.startswith("ok")
    violations = [line for line in result.stdout.splitlines() if line.startswith("foreign key:")]
    assert "foreign key: clip_topics row 1 -> clips" in violations
    assert "foreign key: clip_topics row 1 -> topics" in violations


def test_failed_check_prints_one_error_line(tmp_path: Path) -> None:
    path = make_db(tmp_path / "desk.sqlite3")
    _violate_foreign_key(path)
    message = assert_one_line_error(run("--db", str(path), "check", cwd=tmp_path), FAILURE)
    assert "foreign key" in message


# --- --debug ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(where: str, tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    argv = ["--debug", "check", "--db", str(path)]
    if where == "after":
        argv = ["check", "--db", str(path), "--debug"]
    result = run(*argv, cwd=tmp_path)
    assert result.returncode == BAD_INPUT
    assert "Traceback" in result.stderr
    assert "SchemaMissingError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("deskterm: ")
    assert not path.exists()


def test_debug_shows_the_traceback_for_failures(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(os.urandom(4096))
    result = run("--db", str(path), "--debug", "check", cwd=tmp_path)
    assert result.returncode == FAILURE
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("deskterm: ")


CARD = "no card 99999 (see deskterm tasks list)"
ITEM = "no checklist item 99999 (see deskterm tasks show CARD)"
FEED = "no feed 9999 (see deskterm feeds list)"
TOPIC = "no topic '99999' (see deskterm topics list)"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["tasks", "show", "99999"], CARD),
        (["tasks", "move", "99999", "drafting"], CARD),
        (["tasks", "approve", "99999"], CARD),
        (["tasks", "review", "99999", "CD"], CARD),
        (["tasks", "comment", "99999", "hi"], CARD),
        (["tasks", "checklist", "add", "99999", "Quote cleared"], CARD),
        (["tasks", "checklist", "done", "99999"], ITEM),
        (["tasks", "checklist", "undo", "99999"], ITEM),
        (["tasks", "checklist", "remove", "99999"], ITEM),
        (["tasks", "link", "99999", "--clip", "1"], "no card 99999"),
        (["tasks", "link", "1", "--clip", "99999"], "no clip 99999"),
        (["tasks", "link", "1", "--event", "99999"], "no event 99999"),
        (["tasks", "link", "1", "--request", "99999"], "no request '99999'"),
        (["feeds", "remove", "9999"], FEED),
        (["feeds", "enable", "9999"], FEED),
        (["feeds", "disable", "9999"], FEED),
        (["fetch", "--feed", "9999"], FEED),
        (["requests", "update", "99999", "--status", "assigned"], "no request '99999'"),
        (["requests", "update", "M-2099-9999", "--status", "assigned"], "no request 'M-2099-9999'"),
        (["requests", "letter", "99999"], "no request '99999'"),
        (["contacts", "show", "99999"], "no contact '99999' (give an id or an email)"),
        (["topics", "update", "99999", "--priority", "1"], TOPIC),
        (["topics", "remove", "99999"], TOPIC),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_an_id_that_names_nothing_says_so_plainly(
    argv: list[str], expected: str, desk: Path, tmp_path: Path
) -> None:
    """An id typed on the command line: the kind of record and the id, in words, never a
    table's name, and no guess that someone deleted it (it may never have existed)."""
    assert main(["--db", str(desk), "--user", "AB", "tasks", "add", "Budget presser"]) == 0
    result = run("--db", str(desk), "--user", "AB", *argv, cwd=tmp_path)
    assert assert_one_line_error(result, BAD_INPUT) == expected
