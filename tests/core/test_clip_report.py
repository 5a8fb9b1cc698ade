"""The daily clip report: which clips, grouped how, and three renderings that survive hostile
feed text (Markdown escaped, HTML parsed back, the .eml parsed back with the stdlib)."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from db.models import Clip
from deskterm.core import clip_report, clips, contacts, feeds, topics
from deskterm.core.clip_report import NO_RECIPIENTS, build_report, render_report
from deskterm.core.config import load_settings
from deskterm.core.errors import InputError
from deskterm.core.staff import add_staff

DAY = date(2026, 11, 24)
# 14:00 UTC = 09:00 in New York (the desk's zone in tests)
MORNING = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> & [click](javascript:alert(1)) *bold* <b>b</b>'


@pytest.fixture
def settings(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(
        'report_recipients = ["Mayor\'s office <mayor@city.example>", "press@city.example"]\n'
        'report_from = "Press desk <desk@city.example>"\n'
    )
    return load_settings(config_path=config)


def add(
    db,
    title,
    *,
    minutes=0,
    summary="",
    outlet="Alder Daily Herald",
    flagged=True,
    url=None,
    **extra,
):
    with contextlib.suppress(InputError):
        contacts.add_outlet(db, name=outlet, type="print")
    feed = feeds.add_feed(
        db, url=f"https://news.example/{title.__hash__() & 0xFFFFFF}.xml", outlet=outlet
    )
    clip = clips.add_clip(
        db,
        feed_id=feed.id,
        guid=title,
        title=title,
        summary=summary,
        url=url or "https://news.example/story?a=1&b=2",
        published_at=MORNING + timedelta(minutes=minutes),
    )
    with db.transaction() as session:
        row = session.get(Clip, clip.id)
        row.flagged = flagged
        for name, value in extra.items():
            setattr(row, name, value)
    return clip


@pytest.fixture
def day(db, settings):
    """A day of flagged clips under two topics, one under both, one under none."""
    made = {
        "rent": add(db, "Rent cap passes", minutes=60, summary="Tenants cheer. " * 40),
        "both": add(db, "Budget sets aside rent aid", minutes=30, outlet="KPAC News"),
        "levy": add(db, "Levy vote", minutes=90, needs_correction=True),
        "other": add(db, "Parks reopen", minutes=10),
        "unflagged": add(db, "Rent story not flagged", flagged=False),
        "hidden": add(db, "Rent story hidden", hidden=True),
        "late": add(db, "Rent the night before", minutes=-9 * 60 - 1),  # 23:59 on the 23rd, NY
        "next": add(db, "Rent next day", minutes=15 * 60),  # 00:00 on the 25th, NY
    }
    housing = topics.add_topic(db, name="Housing", query="rent*", priority=1)
    budget = topics.add_topic(db, name="Budget", query="budget OR levy", priority=2)
    for topic in (housing, budget):
        topics.rematch_topic(db, topic.id, now=NOW)
    return made


def test_the_days_flagged_clips_grouped_by_topic(db, settings, day):
    report = build_report(db, DAY, now=NOW, settings=settings)
    assert report.total == report.shown == 4
    assert [(g.name, g.priority) for g in report.groups] == [
        ("Housing", 1),
        ("Budget", 2),
        ("Other coverage", None),
    ]
    housing, budget, other = report.groups
    assert [c.title for c in housing.clips] == ["Budget sets aside rent aid", "Rent cap passes"]
    assert housing.clips[0].also == ("Budget",)
    assert housing.clips[0].time == "09:30"
    assert housing.clips[0].outlet == "KPAC News"
    assert len(housing.clips[1].excerpt) <= clip_report.EXCERPT_CHARS
    assert housing.clips[1].excerpt.endswith("…")
    assert [c.title for c in budget.clips] == ["Levy vote"]
    assert budget.clips[0].needs_correction
    assert [c.title for c in other.clips] == ["Parks reopen"]
    assert report.summary() == (
        "4 flagged clips: Housing 2, Budget 1, Other coverage 1. Times are EST."
    )
    assert report.sender == "Press desk <desk@city.example>"
    assert report.recipients == ("Mayor's office <mayor@city.example>", "press@city.example")
    assert report.subject == "Clip report Tue 24 Nov 2026: 4 clips"


def test_a_clip_is_in_the_report_of_the_day_it_was_flagged(db, settings):
    """At 7 a.m. the desk flags last night's stories: they are in the morning's report
    (with their date), not in yesterday's, which went out before they were flagged."""
    evening = add(db, "Council passes rent cap late", minutes=-5 * 60, flagged=False)  # 04:00
    overnight = add(db, "Fire on Harbor Street", minutes=-12 * 60, flagged=False)  # Mon 21:00
    monday = add(db, "Monday story flagged on Monday", minutes=-20 * 60, flagged=False)
    seven_am = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 07:00 in New York
    clips.set_flagged(db, evening.id, now=seven_am)
    clips.set_flagged(db, overnight.id, now=seven_am)
    clips.set_flagged(db, monday.id, now=seven_am - timedelta(hours=19))  # Mon 12:00
    today = build_report(db, DAY, now=NOW, settings=settings)
    listed = {c.title: c.time for g in today.groups for c in g.clips}
    assert listed == {
        "Council passes rent cap late": "04:00",
        "Fire on Harbor Street": "Mon 23 Nov 21:00",
    }
    yesterday = build_report(db, DAY - timedelta(days=1), now=NOW, settings=settings)
    assert [c.title for g in yesterday.groups for c in g.clips] == [
        "Monday story flagged on Monday"
    ]
    assert "Mon 23 Nov 21:00" in render_report(today, "md")


def test_a_day_without_flags_and_the_cap(db, settings, day, monkeypatch):
    empty = build_report(db, DAY - timedelta(days=3), now=NOW, settings=settings)
    assert (empty.total, empty.groups) == (0, ())
    assert empty.summary() == "No clips were flagged on this day."
    assert "No clips were flagged" in render_report(empty, "md")
    monkeypatch.setattr(clip_report, "MAX_CLIPS", 2)
    capped = build_report(db, DAY, now=NOW, settings=settings)
    assert (capped.total, capped.shown) == (4, 2)
    assert "(the first 2 are listed)" in capped.summary()
    with pytest.raises(InputError, match="unknown report format"):
        render_report(capped, "pdf")
    with pytest.raises(InputError, match="needs a date"):
        build_report(db, NOW, settings=settings)  # type: ignore[arg-type]


def test_markdown_escapes_feed_text(db, settings):
    add(db, HOSTILE, url="https://news.example/a_(b)<c>")
    text = render_report(build_report(db, DAY, now=NOW, settings=settings), "md")
    assert isinstance(text, str)
    line = next(line for line in text.splitlines() if "alert" in line)
    assert "<script>" not in line and "\\<script\\>" in line
    assert "\\[click\\]" in line and "\\*bold\\*" in line and "\\&" in line
    assert "(<https://news.example/a_(b)%3Cc%3E>)" in line


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(markup: str) -> Collect:
    parser = Collect()
    parser.feed(markup)
    parser.close()
    return parser


def test_html_is_inline_styled_escaped_and_script_free(db, settings):
    add(
        db, HOSTILE, summary='He said "no" & left <br> early', url="https://news.example/?q=<x>&y=1"
    )
    other = add(db, "Second", minutes=5)
    with db.transaction() as session:  # a link that is not http(s) is never a link
        session.get(Clip, other.id).url = "javascript:alert(1)"
    markup = render_report(build_report(db, DAY, now=NOW, settings=settings), "html")
    parsed = parse_html(markup)
    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names and "style" not in names and "b" not in names
    assert "br" not in names
    body = [attrs for tag, attrs in parsed.tags if tag not in ("html", "head", "meta", "title")]
    assert all(attrs.get("style") for attrs in body)  # every element styled inline
    links = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["https://news.example/?q=<x>&y=1"]
    text = "".join(parsed.text)
    assert HOSTILE in text
    assert 'He said "no" & left <br> early' in text
    assert "on" + "click" not in markup.lower()


def test_eml_is_a_complete_message(db, settings, day):
    data = render_report(build_report(db, DAY, now=NOW, settings=settings), "eml")
    assert isinstance(data, bytes)
    assert b"\r\n" in data
    message = message_from_bytes(data, policy=default_policy)
    assert message["Subject"] == "Clip report Tue 24 Nov 2026: 4 clips"
    assert message["From"].addresses[0].addr_spec == "desk@city.example"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "mayor@city.example",
        "press@city.example",
    ]
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"].endswith("@city.example>")
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    plain, html = (p.get_content() for p in parts)
    assert "Budget sets aside rent aid" in plain and "HOUSING" in plain
    assert "https://news.example/story?a=1&b=2" in plain
    parsed = parse_html(html)
    assert "Budget sets aside rent aid" in "".join(parsed.text)
    links = [a["href"] for t, a in parsed.tags if t == "a"]
    assert "https://news.example/story?a=1&b=2" in links


def test_eml_without_recipients_is_a_draft(db, tmp_path):
    plain = load_settings(config_path=tmp_path / "none.toml", user="ZZ")  # not on the staff
    add(db, "Budget")
    report = build_report(db, DAY, now=NOW, settings=plain)
    assert report.recipients == ()
    assert (
        report.warning
        == NO_RECIPIENTS
        == ("no recipients set: add report_recipients to the config")
    )
    message = message_from_bytes(render_report(report, "eml"), policy=default_policy)
    assert message["To"] is None
    assert message["From"].addresses[0].addr_spec == "zz@localhost"


def test_eml_is_from_the_desk_users_staff_address(db, tmp_path, settings):
    """No report_from in the config: the desk user's e-mail on the staff list, with their
    name; an e-mail there that is not an address falls back to user@localhost; the
    config's report_from, when set, is the From: whoever runs the desk."""
    add_staff(
        db, initials="MR", name="María Rodríguez", role="pio", email="mrodriguez@portalder.example"
    )
    add_staff(db, initials="TN", name="Tam Nguyen", role="pio", email="tam at city hall")
    add(db, "Budget")
    config = tmp_path / "none.toml"

    def sender(user: str, given=None):  # type: ignore[no-untyped-def]
        given = given or load_settings(config_path=config, user=user)
        report = build_report(db, DAY, now=NOW, settings=given)
        message = message_from_bytes(render_report(report, "eml"), policy=default_policy)
        return message["From"].addresses[0], message

    address, message = sender("mr")
    assert (address.display_name, address.addr_spec) == (
        "María Rodríguez",
        "mrodriguez@portalder.example",
    )
    assert message["To"] is None
    assert message["Message-ID"].endswith("@portalder.example>")
    assert sender("TN")[0].addr_spec == "tn@localhost"  # not an address: the fallback
    assert sender("AB")[0].addr_spec == "ab@localhost"  # no staff row
    configured = sender("MR", replace(settings, user="MR"))[0]
    assert configured.addr_spec == "desk@city.example"


@pytest.mark.parametrize(
    "line",
    [
        'report_recipients = ["not an address"]',
        'report_recipients = ["a@b.example\\nBcc: evil@x.example"]',
        'report_from = "nobody"',
    ],
)
def test_config_refuses_bad_addresses(tmp_path, line):
    config = tmp_path / "config.toml"
    config.write_text(line + "\n")
    with pytest.raises(InputError, match="is not an e-mail address"):
        load_settings(config_path=config)


def test_config_rows_show_the_report_settings(settings):
    rows = {key: value for key, value, _ in settings.as_rows()}
    assert rows["report_from"] == "Press desk <desk@city.example>"
    assert rows["report_recipients"].startswith("Mayor's office")
