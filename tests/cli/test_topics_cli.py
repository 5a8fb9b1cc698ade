"""`deskterm topics ...` as a user runs it: add (tagging recent clips), list, update (re-matching
when the rule changes), remove, rematch; bad rules exit 2 with one line naming the character."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.engine import Actor, Database
from deskterm.core import clips, contacts, feeds
from tests.cli.runner import cli, cli_json, run


def seed(path: Path) -> None:
    db = Database(str(path), actor=Actor("AB", "test"))
    try:
        contacts.add_outlet(db, name="La Voz del Puerto", type="community_ethnic", language="es")
        contacts.add_outlet(db, name="KPAC News", type="tv")
        voz = feeds.add_feed(db, url="https://voz.example/rss", outlet="La Voz del Puerto")
        kpac = feeds.add_feed(db, url="https://kpac.example/rss", outlet="KPAC News")
        now = datetime.now(UTC)
        for i, (feed, title, language) in enumerate(
            [
                (kpac, "Rent cap bill passes", "en"),
                (kpac, "Tenants without heat", "en"),
                (voz, "Aprobada la ley de alquileres", "es"),
                (kpac, "Budget gap widens", "en"),
            ]
        ):
            clips.add_clip(
                db,
                feed_id=feed.id,
                guid=str(i),
                title=title,
                url=None,
                published_at=now - timedelta(hours=i + 1),
                language=language,
            )
    finally:
        db.dispose()


def test_add_list_update_remove(desk, capsys):
    seed(desk)
    code, out, err = cli(
        desk, capsys, "topics", "add", "Housing", "--match", "rent* OR tenant*", "--priority", "1"
    )
    assert (code, err) == (0, "")
    assert (
        out
        == "added topic 1: Housing (priority 1); tags 2 of the 4 recent clips checked (+2, -0)\n"
    )

    added = cli_json(
        desk, capsys, "topics", "add", "Vivienda", "--match", "alquiler*",
        "--outlet-type", "community_ethnic", "--language", "es,es-mx",
    )  # fmt: skip
    assert added["topic"]["outlet_types"] == ["community_ethnic"]
    assert added["topic"]["languages"] == ["es", "es-mx"]
    assert (added["rematch"]["matched"], added["rematch"]["added"]) == (1, 1)

    code, out, _ = cli(desk, capsys, "topics", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "prio", "name", "match", "limits", "on", "clips"]
    assert lines[1].split()[:3] == ["1", "1", "Housing"] and lines[1].split()[-2:] == ["on", "2"]
    assert "community_ethnic, es, es-mx" in lines[2]

    listed = cli_json(desk, capsys, "topics", "list")
    assert [(t["name"], t["clips"]) for t in listed] == [("Housing", 2), ("Vivienda", 1)]

    code, out, _ = cli(desk, capsys, "topics", "update", "housing", "--priority", "3")
    assert (code, out) == (0, "updated topic 1: Housing, version 2\n")  # no re-match needed
    code, out, _ = cli(desk, capsys, "topics", "update", "1", "--match", "rent* OR budget")
    assert out == (
        "updated topic 1: Housing, version 3; tags 2 of the 4 recent clips checked (+1, -1)\n"
    )
    changed = cli_json(
        desk, capsys, "topics", "update", "Vivienda", "--outlet-type", "any", "--disable"
    )
    assert changed["topic"]["outlet_types"] == [] and changed["topic"]["enabled"] is False
    assert changed["rematch"]["removed"] == 1

    code, out, _ = cli(desk, capsys, "topics", "rematch", "Housing", "--since", "today")
    assert code == 0 and out.startswith("topic 1: Housing; tags")

    code, out, _ = cli(desk, capsys, "topics", "remove", "Vivienda")
    assert (code, out) == (0, "removed topic 2: Vivienda\n")
    assert [t["name"] for t in cli_json(desk, capsys, "topics", "list")] == ["Housing"]


def test_bad_input_is_one_line_exit_2(desk, capsys):
    cli(desk, capsys, "topics", "add", "Housing", "--match", "rent*")
    for args, message in [
        (
            ["topics", "add", "X", "--match", "budget AND"],
            "AND needs something to match on both sides (character 8)",
        ),
        (
            ["topics", "add", "X", "--match", 'budget "levy'],
            'a closing " is missing for this quote (character 8)',
        ),
        (["topics", "add", "X", "--match", "NOT levy"], "NOT needs something to match first"),
        (["topics", "add", "housing", "--match", "x"], "there is already a topic named 'Housing'"),
        (["topics", "add", "X", "--match", "x", "--priority", "9"], "priority runs from 1"),
        (["topics", "add", "X", "--match", "x", "--outlet-type", "blog"], "unknown outlet type"),
        (["topics", "update", "Parks", "--priority", "1"], "no topic 'Parks'"),
        (["topics", "update", "Housing"], "nothing to change"),
        (["topics", "remove", "99"], "no topic '99'"),
        (["topics", "add", "X"], "--match"),
    ]:
        code, out, err = cli(desk, capsys, *args)
        assert code == 2, (args, err)
        assert out == ""
        assert len(err.splitlines()) == 1 and message in err, (args, err)


def test_the_console_script_reports_a_bad_rule_in_one_line(desk, tmp_path):
    result = run("--db", str(desk), "topics", "add", "X", "--match", "(rent", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "deskterm: a closing ) is missing for this ( (character 1)\n"
