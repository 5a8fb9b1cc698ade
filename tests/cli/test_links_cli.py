"""`deskterm tasks link` as a user runs it."""

from __future__ import annotations

from pathlib import Path

from deskterm.cli import main
from tests.cli.runner import run


def test_link_a_card_to_a_request_by_number_and_to_an_event(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "demo.sqlite3")
    assert main(["--db", db, "init", "--demo"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "tasks", "link", "1", "--request", "m-2026-0001"]) == 0
    assert "linked task 1 to request M-2026-0001" in capsys.readouterr().out
    assert main(["--db", db, "tasks", "link", "1", "--event", "2"]) == 0
    bad = run("--db", db, "tasks", "link", "1", "--request", "M-2026-9999", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == "deskterm: no request 'M-2026-9999'"
    neither = run("--db", db, "tasks", "link", "1", cwd=tmp_path)
    assert neither.returncode == 2 and len(neither.stderr.splitlines()) == 1
