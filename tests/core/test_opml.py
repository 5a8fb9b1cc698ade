"""OPML 1/2 and plain URL lists in; OPML out; hostile files refused with one line."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from deskterm.core import contacts, feeds, topics
from deskterm.core.errors import InputError
from deskterm.core.opml import (
    DESKTERM_NS,
    MAX_IMPORT_BYTES,
    export_opml,
    import_feeds,
    parse_opml,
    parse_url_list,
    read_feed_list,
)

OPML1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0"><head><title>Subscriptions</title></head><body>
  <outline text="City Hall">
    <outline text="Herald local" type="rss" xmlUrl="https://herald.example/local.rss"/>
    <outline text="Beats">
      <outline title="Transit desk" text="ignored" xmlurl="https://herald.example/transit.rss"/>
    </outline>
  </outline>
  <outline text="Loose feed" xmlUrl="https://loose.example/feed"/>
  <outline text="A folder with no feeds"/>
</body></opml>"""

OPML2 = b"""<?xml version="1.0"?>
<opml version="2.0"><head/><body>
  <outline text="Wire" type="rss" xmlUrl="https://wire.example/rss"
           category="/Housing/Rent,/Other"/>
  <outline text="Bad one" type="rss" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def test_opml1_nested_folders_give_categories() -> None:
    found = parse_opml(OPML1)
    assert [(f.url, f.name, f.category) for f in found] == [
        ("https://herald.example/local.rss", "Herald local", "City Hall"),
        ("https://herald.example/transit.rss", "Transit desk", "Beats"),
        ("https://loose.example/feed", "Loose feed", ""),
    ]


def test_opml2_category_attribute() -> None:
    wire, bad = parse_opml(OPML2)
    assert wire.category == "Rent" and bad.url == "javascript:alert(1)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml/>', "declares XML"),
        (b"<opml><body><outline></body></opml>", "not a valid OPML file"),
        (b"<rss version='2.0'/>", "not an OPML file (it starts with <rss>)"),
        (b"<opml version='2.0'><head/></opml>", "has no <body>"),
        (b"\xff\xfe\x00garbage", "neither OPML nor a UTF-8 list"),
    ],
)
def test_bad_files_are_one_line_input_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        read_feed_list(data)


def test_a_huge_file_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="over 5 MB"):
        read_feed_list(b"#" * (MAX_IMPORT_BYTES + 1))


def test_url_lists_skip_blanks_and_comments() -> None:
    found = parse_url_list("# my feeds\n\nhttps://a.example/rss\n  https://b.example/atom  \n")
    assert [(f.where, f.url) for f in found] == [
        ("line 3", "https://a.example/rss"),
        ("line 4", "https://b.example/atom"),
    ]


def test_import_adds_maps_categories_to_topics_and_reports_the_rest(db, tmp_path: Path) -> None:
    topics.add_topic(db, name="City hall", query="council")
    feeds.add_feed(db, url="https://loose.example/feed", name="Already here")
    result = import_feeds(db, OPML1, poll_minutes=15)
    assert [(f.name, f.topic, f.poll_minutes) for f in result.added] == [
        ("Herald local", "City hall", 15),
        ("Transit desk", None, 15),
    ]
    assert result.skipped == [("outline 5: https://loose.example/feed", "already on the desk")]
    assert result.unknown_categories == ["Beats"]
    assert result.line() == (
        "imported 2 feeds, skipped 1; categories with no topic of that name: Beats"
    )
    (tmp_path / "list.txt").write_text("")  # a feed file the list names by path
    listed = import_feeds(
        db,
        "\n".join(
            [
                "https://new.example/rss",
                "not a url",
                "https://new.example/rss",
                str(tmp_path / "list.txt"),
            ]
        ).encode(),
    )
    assert [f.url for f in listed.added] == [
        "https://new.example/rss",
        str(tmp_path / "list.txt"),
    ]
    assert [reason for _where, reason in listed.skipped] == [
        "no feed file at not a url",
        "listed twice in the file",
    ]
    assert import_feeds(db, OPML2).skipped[0][1].startswith("no feed file at javascript")
    same_file = (tmp_path / "list.txt").as_uri()  # the file above, written as a URL
    again = import_feeds(db, f"{same_file}\nfile://localhost{tmp_path / 'list.txt'}\n".encode())
    assert (again.added, [r for _w, r in again.skipped]) == ([], ["already on the desk"] * 2)


def test_export_then_import_round_trips(db, tmp_path: Path) -> None:
    contacts.add_outlet(db, name="Alder Herald", type="print")
    topics.add_topic(db, name="Housing", query="rent*")
    local = tmp_path / "local.xml"
    local.write_text("<rss/>")
    feeds.add_feed(db, url="https://herald.example/rss", name="Herald & <Co>",
                   outlet="Alder Herald", topic="Housing", poll_minutes=30)  # fmt: skip
    off = feeds.add_feed(db, url=str(local), name="Local file", poll_minutes=5)
    feeds.set_feed_enabled(db, off.id, False)  # switched off: stays off on the other desk
    text = export_opml(db)
    root = ET.fromstring(text.encode())
    assert root.get("version") == "2.0"
    folder = root.find("body/outline[@text='Housing']")
    assert folder is not None
    herald = folder.find("outline")
    assert herald.get("xmlUrl") == "https://herald.example/rss"
    assert herald.get(f"{{{DESKTERM_NS}}}outlet") == "Alder Herald"
    # into another desk with the same outlet and topic
    from db.engine import Actor, Database
    from db.schema import upgrade

    other = Database(str(tmp_path / "other.sqlite3"), actor=Actor("CD", "h"))
    upgrade(other)
    try:
        contacts.add_outlet(other, name="Alder Herald", type="print")
        topics.add_topic(other, name="Housing", query="rent*")
        result = import_feeds(other, text.encode())
        assert [
            (f.name, f.url, f.outlet, f.topic, f.poll_minutes, f.enabled) for f in result.added
        ] == [
            ("Herald & <Co>", "https://herald.example/rss", "Alder Herald", "Housing", 30, True),
            ("Local file", str(local), None, None, 5, False),
        ]
        assert result.skipped == [] and result.unknown_categories == []
        third = Database(str(tmp_path / "third.sqlite3"), actor=Actor("EF", "h"))
        upgrade(third)
        try:
            bare = import_feeds(third, text.encode())
            assert bare.unknown_outlets == ["Alder Herald"]
            assert bare.line() == (
                "imported 2 feeds; categories with no topic of that name: Housing; "
                "outlets not on the media list (left off): Alder Herald"
            )
        finally:
            third.dispose()
    finally:
        other.dispose()
