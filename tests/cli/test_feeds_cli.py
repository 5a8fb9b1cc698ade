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
    assert err == f"deskterm: no feed {feed['id']} (see deskterm feeds list)\n"


def test_removing_a_feed_with_clips_asks_for_delete_clips(desk: Path, capsys, tmp_path) -> None:
    feed_file = tmp_path / "f.xml"
    feed_file.write_bytes(rss([rss_item("Harbor plan approved", guid="g", link="https://a.ex/1")]))
    feed = cli_json(desk, capsys, "feeds", "add", str(feed_file))
    assert cli(desk, capsys, "fetch")[0] == 0
    code, _out, err = cli(desk, capsys, "feeds", "remove", str(feed["id"]))
    assert code == 2 and "has 1 clip" in err and len(err.splitlines()) == 1
    result = cli_json(desk, capsys, "feeds", "remove", str(feed["id"]), "--delete-clips")
    assert result == {
        "removed": feed["id"],
        "name": "f",
        "clips_deleted": 1,
        "clips_handed_over": 0,
    }


def _two_feeds_sharing_a_story(desk: Path, capsys, tmp_path: Path) -> tuple[int, int]:
    """The herald (the harbor story and its own) and the weekly (a copy of the harbor
    story under its own GUID, and its own), fetched: three clips, one remembered copy."""
    ids = []
    for name, items in (
        ("herald", [("Harbor plan approved", "h-1", "https://h.ex/1"),
                    ("Library hours cut", "h-2", "https://h.ex/2")]),
        ("weekly", [("Harbor plan approved", "w-1", "https://h.ex/1?utm_source=weekly"),
                    ("Bus lanes open", "w-2", "https://w.ex/2")]),
    ):  # fmt: skip
        path = tmp_path / f"{name}.xml"
        path.write_bytes(rss([rss_item(t, guid=g, link=link) for t, g, link in items]))
        ids.append(cli_json(desk, capsys, "feeds", "add", str(path))["id"])
        assert cli(desk, capsys, "fetch")[0] == 0
    return ids[0], ids[1]


def test_removing_a_feed_keeps_the_stories_other_feeds_carry(
    desk: Path, capsys, tmp_path: Path
) -> None:
    herald, _weekly = _two_feeds_sharing_a_story(desk, capsys, tmp_path)
    code, _out, err = cli(desk, capsys, "feeds", "remove", str(herald))
    assert code == 2
    assert "has 1 clip (1 more stay with other feeds that carry them)" in err
    code, out, _err = cli(desk, capsys, "feeds", "remove", str(herald), "--delete-clips")
    assert (code, out) == (
        0,
        f"removed feed {herald}: herald and its 1 clip; 1 clip other feeds carry stays with them\n",
    )
    listed = cli_json(desk, capsys, "clips", "list", "--since", "2000-01-01")
    assert sorted((c["title"], c["feed"]) for c in listed) == [
        ("Bus lanes open", "weekly"),
        ("Harbor plan approved", "weekly"),
    ]


def test_two_desks_removing_the_two_feeds_of_one_story_at_once(
    desk: Path, capsys, tmp_path: Path
) -> None:
    """Whichever removal lands first, the story goes with the second (no feed carries it
    any more), every clip is counted once, and nothing dangles."""
    import sqlite3
    import subprocess

    from tests.cli.runner import DESKTERM

    herald, weekly = _two_feeds_sharing_a_story(desk, capsys, tmp_path)
    procs = [
        subprocess.Popen(
            [
                str(DESKTERM),
                "--db",
                str(desk),
                "--json",
                "feeds",
                "remove",
                str(feed),
                "--delete-clips",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for feed in (herald, weekly)
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    removed = [json.loads(out) for out, _err in results]
    assert sum(r["clips_deleted"] for r in removed) == 3
    assert sum(r["clips_handed_over"] for r in removed) in (0, 1)  # 1 if the herald went first
    with sqlite3.connect(desk) as conn:
        counts = [
            conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("feeds", "clips", "feed_copies")
        ]
        conn.execute("insert into clips_fts(clips_fts) values ('integrity-check')")  # raises
    assert counts == [0, 0, 0]


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
