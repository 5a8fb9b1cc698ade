"""`deskterm feeds add|list` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from deskterm.cli import main
from tests.cli.runner import run


def test_add_and_list_feeds(tmp_path: Path, capsys) -> None:
    db = tmp_path / "desk.sqlite3"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    assert (
        main(["--db", str(db), "feeds", "add", "https://news.example/rss", "--name", "[b]D"]) == 0
    )
    assert "added feed 1: [b]D" in capsys.readouterr().out
    feed_file = tmp_path / "local.xml"
    feed_file.write_text("<rss/>")
    assert main(["--db", str(db), "feeds", "add", str(feed_file), "--poll", "30"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "--json", "feeds", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(f["name"], f["poll_minutes"]) for f in listed] == [("[b]D", 10), ("local", 30)]
    assert listed[1]["url"] == str(feed_file.resolve())


def test_feed_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "desk.sqlite3"
    assert main(["--db", str(db), "init"]) == 0
    for args in (
        ["feeds", "add", "not a feed"],
        ["feeds", "add", "https://x.example/rss", "--poll", "0"],
        ["feeds"],
    ):
        result = run("--db", str(db), *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    run("--db", str(db), "feeds", "add", "https://x.example/rss", cwd=tmp_path)
    again = run("--db", str(db), "feeds", "add", "https://x.example/rss", cwd=tmp_path)
    assert again.returncode == 2 and "already" in again.stderr
