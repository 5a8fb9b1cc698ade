"""`deskterm feeds add|list|remove|enable|disable|import|export|health` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from deskterm.cli import main
from tests.cli.runner import cli, cli_json, run
from tests.core.feedserver import rss, rss_item


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


def test_topic_remove_enable_disable(desk: Path, capsys, tmp_path: Path) -> None:
    from db.engine import Actor, Database
    from deskterm.core.topics import add_topic

    db = Database(str(desk), actor=Actor("AB", "t"))
    try:
        add_topic(db, name="Housing", query="rent*")
    finally:
        db.dispose()
    feed = cli_json(desk, capsys, "feeds", "add", "https://h.example/rss", "--topic", "housing")
    assert feed["topic"] == "Housing"
    code, _out, err = cli(desk, capsys, "feeds", "add", "https://x.example/rss", "--topic", "Nope")
    assert code == 2 and err.startswith("deskterm: no topic 'Nope'")
    assert cli_json(desk, capsys, "feeds", "disable", str(feed["id"]))["enabled"] is False
    code, out, _err = cli(desk, capsys, "feeds", "list")
    assert "disabled" in out and "Housing" in out
    assert cli_json(desk, capsys, "feeds", "enable", str(feed["id"]))["enabled"] is True
    code, out, _err = cli(desk, capsys, "feeds", "remove", str(feed["id"]))
    assert (code, out) == (0, f"removed feed {feed['id']}: h.example\n")
    code, _out, err = cli(desk, capsys, "feeds", "remove", str(feed["id"]))
    assert code == 2 and len(err.splitlines()) == 1  # no such feed: bad input
    assert err == f"deskterm: feeds {feed['id']} does not exist (deleted by someone else?)\n"


def test_removing_a_feed_with_clips_asks_for_delete_clips(desk: Path, capsys, tmp_path) -> None:
    feed_file = tmp_path / "f.xml"
    feed_file.write_bytes(rss([rss_item("Harbor plan approved", guid="g", link="https://a.ex/1")]))
    feed = cli_json(desk, capsys, "feeds", "add", str(feed_file))
    assert cli(desk, capsys, "fetch")[0] == 0
    code, _out, err = cli(desk, capsys, "feeds", "remove", str(feed["id"]))
    assert code == 2 and "has 1 clip" in err and len(err.splitlines()) == 1
    result = cli_json(desk, capsys, "feeds", "remove", str(feed["id"]), "--delete-clips")
    assert result == {"removed": feed["id"], "name": "f", "clips_deleted": 1}


def test_import_export_round_trip(desk: Path, capsys, tmp_path: Path) -> None:
    listing = tmp_path / "feeds.txt"
    listing.write_text("# ours\nhttps://a.example/rss\nnot a url\nhttps://b.example/atom\n")
    code, out, err = cli(desk, capsys, "feeds", "import", str(listing), "--poll", "20")
    assert (code, out) == (0, "imported 2 feeds, skipped 1\n")
    assert "deskterm: " not in err and "skipped line 3: not a url" in err
    opml = tmp_path / "out.opml"
    assert cli(desk, capsys, "feeds", "export", "-o", str(opml))[0] == 0
    code, out, _err = cli(desk, capsys, "feeds", "export")
    assert out == opml.read_text() and 'xmlUrl="https://a.example/rss"' in out
    other = tmp_path / "other.sqlite3"
    assert main(["--db", str(other), "init"]) == 0
    capsys.readouterr()
    code, out, _err = cli(other, capsys, "feeds", "import", str(opml))
    assert (code, out) == (0, "imported 2 feeds\n")
    listed = cli_json(other, capsys, "feeds", "list")
    assert [(f["url"], f["poll_minutes"]) for f in listed] == [
        ("https://a.example/rss", 20),
        ("https://b.example/atom", 20),
    ]
    code, _out, err = cli(other, capsys, "feeds", "import", str(tmp_path / "missing.opml"))
    assert code == 2 and err == f"deskterm: no file at {tmp_path / 'missing.opml'}\n"
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><opml/>')
    code, _out, err = cli(other, capsys, "feeds", "import", str(bomb))
    assert code == 2 and "declares XML entities" in err


def test_feeds_health_lists_the_broken_demo_feed(tmp_path: Path, capsys) -> None:
    db = tmp_path / "demo.sqlite3"
    assert main(["--db", str(db), "init", "--demo"]) == 0
    capsys.readouterr()
    code, out, _err = cli(db, capsys, "feeds", "health")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and "Lakeshore Wire: regional" in lines[1]
    assert "not a feed: the address returned a web page (HTML) (1 time in a row)" in lines[1]
    (health,) = cli_json(db, capsys, "feeds", "health")
    assert (health["problem"], health["consecutive_errors"]) == ("failing", 1)
