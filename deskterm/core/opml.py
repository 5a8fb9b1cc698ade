"""Feed lists in and out: OPML 1.0/2.0 (with categories) and plain lists of URLs.

Import reads OPML outlines with an ``xmlUrl`` (nested folders and the ``category``
attribute give the category) or a text file with one URL or path a line (blank lines
and ``#`` comments skipped). A category names the feed's topic when a topic of that name
exists; the others are reported. Export writes OPML 2.0, feeds grouped by topic, with the
outlet, the poll interval and a switched-off feed's ``enabled="false"`` in deskterm's own
attributes so another desk can read them back.

OPML is parsed with ``xml.etree`` (expat 2.4+ caps entity amplification); files that
declare entities are refused outright, and external entities are never fetched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from sqlalchemy import select

from db.base import utcnow
from db.engine import Database
from db.models import Feed, Outlet, Topic
from deskterm.core.clip_text import clean_line, truncate
from deskterm.core.contacts import outlet_named
from deskterm.core.errors import InputError
from deskterm.core.feeds import (
    MAX_POLL_MINUTES,
    FeedRecord,
    _feed_select,
    feed_addresses,
    feed_record,
    normalize_feed_url,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_FEEDS = 5000
DESKTERM_NS = "urn:deskterm:opml:1"
_ENTITY = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
PAGE = 500


@dataclass(frozen=True)
class ListedFeed:
    """One feed as a list file gives it."""

    where: str  # "line 3", "outline 12": for messages
    url: str
    name: str = ""
    category: str = ""
    outlet: str = ""
    poll_minutes: int | None = None
    enabled: bool = True  # deskterm's own attribute: a feed switched off stays off


@dataclass(frozen=True)
class ImportResult:
    added: list[FeedRecord]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where: url, reason)
    unknown_categories: list[str] = field(default_factory=list)
    unknown_outlets: list[str] = field(default_factory=list)  # left off the feeds

    def line(self) -> str:
        text = f"imported {len(self.added)} feed{'s' if len(self.added) != 1 else ''}"
        if self.skipped:
            text += f", skipped {len(self.skipped)}"
        if self.unknown_categories:
            shown = ", ".join(self.unknown_categories[:5])
            more = "…" if len(self.unknown_categories) > 5 else ""
            text += f"; categories with no topic of that name: {shown}{more}"
        if self.unknown_outlets:
            shown = ", ".join(self.unknown_outlets[:5])
            more = "…" if len(self.unknown_outlets) > 5 else ""
            text += f"; outlets not on the media list (left off): {shown}{more}"
        return text


def _attr(element: ET.Element, *names: str) -> str:
    lowered = {key.lower(): value for key, value in element.attrib.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value and value.strip():
            return clean_line(value)
    return ""


def _category_attribute(value: str) -> str:
    """OPML 2's ``category``: comma-separated slash paths; the first path's last part."""
    first = value.split(",")[0].strip()
    parts = [part for part in first.split("/") if part.strip()]
    return parts[-1].strip() if parts else ""


def parse_opml(data: bytes) -> list[ListedFeed]:
    """The feeds in an OPML document (InputError if it is not one)."""
    if _ENTITY.search(data):
        raise InputError("the OPML file declares XML entities: refused", field="file")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise InputError(f"not a valid OPML file: {error}", field="file") from None
    if root.tag.lower() != "opml":
        raise InputError(f"not an OPML file (it starts with <{root.tag}>)", field="file")
    body = root.find("body")
    if body is None:
        raise InputError("the OPML file has no <body>", field="file")
    found: list[ListedFeed] = []
    counter = 0

    def walk(parent: ET.Element, folder: str, depth: int) -> None:
        nonlocal counter
        if depth > 50:
            raise InputError("the OPML file nests outlines too deeply", field="file")
        for outline in parent.findall("outline"):
            counter += 1
            url = _attr(outline, "xmlUrl", "xmlurl")
            name = _attr(outline, "title", "text")
            if not url:
                walk(outline, name or folder, depth + 1)
                continue
            poll = _attr(outline, f"{{{DESKTERM_NS}}}poll")
            found.append(
                ListedFeed(
                    where=f"outline {counter}",
                    url=url,
                    name=name,
                    category=_category_attribute(_attr(outline, "category")) or folder,
                    outlet=_attr(outline, f"{{{DESKTERM_NS}}}outlet"),
                    poll_minutes=int(poll) if poll.isdigit() else None,
                    enabled=_attr(outline, f"{{{DESKTERM_NS}}}enabled").lower() != "false",
                )
            )

    walk(body, "", 0)
    return found


def parse_url_list(text: str) -> list[ListedFeed]:
    """One URL or path a line; blank lines and lines starting with # are skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append(ListedFeed(where=f"line {number}", url=stripped))
    return found


def read_feed_list(data: bytes) -> list[ListedFeed]:
    """OPML when the file starts with markup, else a plain list of URLs."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(
            f"the file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB: not a feed list",
            field="file",
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_opml(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "the file is neither OPML nor a UTF-8 list of URLs", field="file"
        ) from None
    return parse_url_list(text)


def import_feeds(db: Database, data: bytes, *, poll_minutes: int = 10) -> ImportResult:
    """Add the feeds of an OPML file or URL list in one transaction.

    A line that is not a feed address, a feed already on the desk and a repeat within
    the file are skipped with their reason; an unknown outlet is left off the feed.
    """
    listed = read_feed_list(data)
    if len(listed) > MAX_IMPORT_FEEDS:
        raise InputError(
            f"the file lists {len(listed)} feeds; import at most {MAX_IMPORT_FEEDS} at once",
            field="file",
        )
    skipped: list[tuple[str, str]] = []
    ready: list[tuple[ListedFeed, str, str]] = []
    for item in listed:
        try:
            url, default_name = normalize_feed_url(item.url)
        except InputError as error:
            skipped.append((f"{item.where}: {truncate(item.url, 200)}", str(error)))
            continue
        name = truncate(item.name, 200) if item.name else default_name
        ready.append((item, url, name or url[:200]))
    unknown: dict[str, str] = {}
    missing_outlets: dict[str, str] = {}
    added_ids: list[int] = []
    with db.transaction() as session:
        # a local file counts once whichever way it is written (path or file:// URL)
        addresses = {url: set(feed_addresses(url)) for _item, url, _name in ready}
        on_desk = {
            url
            for chunk in _chunks(sorted(set().union(*addresses.values())))
            for url in session.scalars(select(Feed.url).where(Feed.url.in_(chunk)))
        }
        in_file: set[str] = set()
        topics = {
            name.lower(): topic_id
            for topic_id, name in session.execute(select(Topic.id, Topic.name))
        }
        rows: list[Feed] = []
        for item, url, name in ready:
            if addresses[url] & (on_desk | in_file):
                twice = not addresses[url] & on_desk
                reason = "listed twice in the file" if twice else "already on the desk"
                skipped.append((f"{item.where}: {url}", reason))
                continue
            in_file.update(addresses[url])
            topic_id = topics.get(item.category.lower()) if item.category else None
            if item.category and topic_id is None:
                unknown.setdefault(item.category.lower(), item.category)
            outlet = outlet_named(session, item.outlet) if item.outlet else None
            if item.outlet and outlet is None:
                missing_outlets.setdefault(item.outlet.lower(), item.outlet)
            poll = item.poll_minutes if item.poll_minutes else poll_minutes
            rows.append(
                Feed(
                    name=name,
                    url=url,
                    outlet_id=outlet.id if outlet is not None else None,
                    topic_id=topic_id,
                    poll_minutes=min(max(poll, 1), MAX_POLL_MINUTES),
                    enabled=item.enabled,
                )
            )
        session.add_all(rows)
        session.flush()
        added_ids = [row.id for row in rows]
        added = [
            feed_record(*row)
            for chunk in _chunks(added_ids)
            for row in session.execute(_feed_select().where(Feed.id.in_(chunk)).order_by(Feed.id))
        ]
    return ImportResult(
        added,
        skipped,
        sorted(unknown.values(), key=str.lower),
        sorted(missing_outlets.values(), key=str.lower),
    )


def _chunks(values: list, size: int = PAGE) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _all_feeds(
    db: Database,
) -> Iterator[tuple[int, str, str, int, str | None, str | None, bool]]:
    """Every feed (id, name, url, poll, outlet, topic, enabled), read in keyset pages."""
    last = 0
    while True:
        with db.read() as session:
            rows = [
                tuple(row)
                for row in session.execute(
                    select(
                        Feed.id,
                        Feed.name,
                        Feed.url,
                        Feed.poll_minutes,
                        Outlet.name,
                        Topic.name,
                        Feed.enabled,
                    )
                    .outerjoin(Outlet, Feed.outlet_id == Outlet.id)
                    .outerjoin(Topic, Feed.topic_id == Topic.id)
                    .where(Feed.id > last)
                    .order_by(Feed.id)
                    .limit(PAGE)
                )
            ]
        if not rows:
            return
        yield from rows  # type: ignore[misc]
        last = rows[-1][0]


def export_opml(db: Database, *, now: datetime | None = None) -> str:
    """Every feed as OPML 2.0, grouped by topic (feeds without one at the top level)."""
    ET.register_namespace("deskterm", DESKTERM_NS)
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "deskterm feeds"
    ET.SubElement(head, "dateCreated").text = format_datetime(now or utcnow(), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    loose: list[ET.Element] = []
    for _id, name, url, poll, outlet, topic, enabled in _all_feeds(db):
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": url}
        if topic:
            attrs["category"] = "/" + topic.replace("/", " ")
        if outlet:
            attrs[f"{{{DESKTERM_NS}}}outlet"] = outlet
        attrs[f"{{{DESKTERM_NS}}}poll"] = str(poll)
        if not enabled:
            attrs[f"{{{DESKTERM_NS}}}enabled"] = "false"
        outline = ET.Element("outline", attrs)
        if topic:
            if topic not in folders:
                folders[topic] = ET.Element("outline", {"text": topic, "title": topic})
            folders[topic].append(outline)
        else:
            loose.append(outline)
    for name in sorted(folders, key=str.lower):
        body.append(folders[name])
    body.extend(loose)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
