"""`deskterm fetch` as a user runs it: progress on a terminal only, one summary line."""

from __future__ import annotations

import json
import os
import pty
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from deskterm.cli import main
from tests.cli.runner import DESKTERM, cli, run
from tests.core.feedserver import (  # noqa: F401 - feed_server_fixture provides feed_server
    FeedServer,
    feed_server_fixture,
    numbered_rss,
)

SUMMARY = re.compile(
    r"^(\d+) feeds?: (\d+) fetched, (\d+) unchanged, (\d+) failed, (\d+) new clips? \([\d.]+ s\)$"
)


def counts(line: str) -> tuple[int, ...]:
    match = SUMMARY.match(line)
    assert match, line
    return tuple(int(part) for part in match.groups())


def test_fetch_prints_one_summary_line_and_the_failures(desk: Path, capsys, feed_server) -> None:
    good = feed_server.add("/good.xml", numbered_rss(3), etag='"g"')
    bad = feed_server.add("/bad.xml", b"no", status=500)
    for url in (good, bad):
        assert cli(desk, capsys, "feeds", "add", url)[0] == 0
    result = run("--db", str(desk), "fetch", "--concurrency", "2", cwd=desk.parent)
    assert result.returncode == 0, result.stderr
    assert counts(result.stdout.strip()) == (2, 1, 0, 1, 3)
    assert result.stdout.count("\n") == 1
    assert result.stderr == "failed: 127.0.0.1: HTTP 500 Internal Server Error\n"
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    again = run("--db", str(desk), "--json", "fetch", cwd=desk.parent)
    summary = json.loads(again.stdout)
    assert (summary["unchanged"], summary["failed"], summary["new_clips"]) == (1, 1, 0)
    assert [f["status"] for f in summary["feeds"]] == ["unchanged", "error"]


def test_progress_bar_on_a_terminal(desk: Path, capsys, feed_server) -> None:
    for i in range(3):
        url = feed_server.add(f"/p{i}.xml", numbered_rss(2, prefix=f"p{i}"))
        assert cli(desk, capsys, "feeds", "add", url, "--name", f"Feed {i}")[0] == 0
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [str(DESKTERM), "--db", str(desk), "fetch"],
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=desk.parent,
            timeout=60,
            text=True,
            env={**os.environ, "COLUMNS": "80"},
        )
        os.close(follower)
        follower = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    assert counts(proc.stdout.strip()) == (3, 3, 0, 0, 6)
    text = drawn.decode()
    assert "\r[" in text and "3/3" in text and "Feed" in text
    assert text.endswith("\r")  # the bar is cleared before the summary


def test_bad_options_are_one_line_exit_2(desk: Path) -> None:
    for args in (["--concurrency", "0"], ["--concurrency", "many"], ["--timeout", "0"]):
        result = run("--db", str(desk), "fetch", *args, cwd=desk.parent)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_no_feeds_is_a_quiet_zero(desk: Path, capsys) -> None:
    code, out, err = cli(desk, capsys, "fetch")
    assert code == 0 and counts(out.strip()) == (0, 0, 0, 0, 0) and err == ""


def test_the_demo_desk_fetches_without_a_network(tmp_path: Path, capsys) -> None:
    db = tmp_path / "demo.sqlite3"
    assert main(["--db", str(db), "init", "--demo"]) == 0
    capsys.readouterr()
    code, out, err = cli(db, capsys, "fetch")
    assert code == 0
    # the sample files are unchanged since the demo stored them; the broken feed fails
    assert counts(out.strip()) == (8, 0, 7, 1, 0)
    assert err == (
        "failed: Lakeshore Wire: regional: not a feed: the address returned a web page (HTML)\n"
    )


def test_an_unknown_feed_id_is_bad_input(desk: Path) -> None:
    result = run("--db", str(desk), "fetch", "--feed", "99", cwd=desk.parent)
    assert (result.returncode, result.stderr) == (
        2,
        "deskterm: no feed 99 (see deskterm feeds list)\n",
    )


NO_SQLALCHEMY_PROBE = r"""
import json, sys
from deskterm.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(
    m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")
)}))
"""


def test_fetch_runs_without_importing_sqlalchemy(desk: Path, capsys, feed_server) -> None:
    """`deskterm fetch` reads and writes the file through sqlite3 alone: importing
    SQLAlchemy and mapping the models cost more than a whole fetch of 200 unchanged feeds.
    What it stores is what the desk reads back through SQLAlchemy."""
    url = feed_server.add("/lean.xml", numbered_rss(3, prefix="lean"), etag='"l"')
    assert cli(desk, capsys, "feeds", "add", url)[0] == 0
    for _ in (1, 2):  # a first fetch, then a 304
        result = subprocess.run(
            [sys.executable, "-c", NO_SQLALCHEMY_PROBE, "--db", str(desk), "--json", "fetch"],
            capture_output=True,
            text=True,
            cwd=desk.parent,
            timeout=60,
        )
        probe = json.loads(result.stdout.strip().splitlines()[-1])
        assert probe == {"code": 0, "loaded": []}, result.stderr
    code, out, _err = cli(desk, capsys, "--json", "clips", "list")
    assert code == 0
    assert sorted(clip["title"] for clip in json.loads(out)) == [
        f"Lean number {n} about the harbor budget" for n in (0, 1, 2)
    ]


def test_fetch_writes_nothing_into_a_newer_schema(desk: Path, capsys, feed_server) -> None:
    """The schema check without SQLAlchemy guards the writes as the desk's does."""
    url = feed_server.add("/newer.xml", numbered_rss(2), etag='"n"')
    assert cli(desk, capsys, "feeds", "add", url)[0] == 0
    with sqlite3.connect(desk) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = run("--db", str(desk), "fetch", cwd=desk.parent)
    assert result.returncode == 0
    assert result.stderr == (
        "failed: 127.0.0.1: not stored: this database was written by a newer deskterm "
        "(schema 9999); upgrade deskterm to change it\n"
    )
    with sqlite3.connect(desk) as conn:
        assert conn.execute("SELECT count(*) FROM clips").fetchone() == (0,)


def test_fetch_needs_the_sqlite_file(tmp_path: Path) -> None:
    result = run("--db", "postgresql+psycopg://desk:secret@db.example/desk", "fetch", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        1,
        "deskterm: the desk needs its SQLite file, not a database server\n",
    )
