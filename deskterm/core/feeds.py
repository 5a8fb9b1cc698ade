"""News feeds the desk watches: web feeds (http/https) and feed files (file:// or a path).

This is the registry only; fetching, parsing and ingest live elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sqlalchemy import Select, select

from db.engine import Database
from db.models import Feed, Outlet
from deskterm.core.contacts import resolve_outlet_id
from deskterm.core.errors import InputError
from deskterm.core.fields import MAX_URL, line_text, list_limit

MAX_POLL_MINUTES = 24 * 60


@dataclass(frozen=True)
class FeedRecord:
    id: int
    name: str
    url: str
    outlet: str | None  # the outlet's name
    poll_minutes: int
    enabled: bool
    last_fetch_at: datetime | None
    last_status: str
    consecutive_errors: int
    last_error: str
    version: int


def feed_record(row: Feed, outlet_name: str | None) -> FeedRecord:
    return FeedRecord(
        row.id,
        row.name,
        row.url,
        outlet_name,
        row.poll_minutes,
        row.enabled,
        row.last_fetch_at,
        row.last_status,
        row.consecutive_errors,
        row.last_error,
        row.version,
    )


def _existing_file(path: Path, shown: str) -> Path:
    if not path.is_file():
        hint = ""
        first = shown.replace("\\", "/").split("/", 1)[0]
        if "." in first.strip(".") and not path.parent.exists():
            hint = f" (a web feed needs http:// or https://, e.g. https://{shown})"
        raise InputError(f"no feed file at {shown}{hint}", field="url")
    return path


def normalize_feed_url(url: str) -> tuple[str, str]:
    """The URL to store and the default display name: (url, host or file stem).

    http(s) and file:// URLs are kept as given; a plain path must name an existing file
    and is stored as an absolute path.
    """
    text = line_text(
        url, field="url", label="a feed's URL", max_length=MAX_URL, required=True, collapse=False
    )
    if "://" not in text:
        path = Path(os.path.abspath(Path(text).expanduser()))
        _existing_file(path, text)
        stored = str(path)
        if len(stored) > MAX_URL:
            raise InputError(f"the path is longer than {MAX_URL} characters", field="url")
        return stored, path.stem
    if any(ch.isspace() for ch in text):
        raise InputError(f"{text!r} is not a URL: it contains spaces", field="url")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError(f"{text!r} is not a valid URL", field="url") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise InputError(f"{text!r} has no host name", field="url")
        return text, parts.hostname
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise InputError(f"{text!r} is not a local file URL (file:///path)", field="url")
        path = Path(url2pathname(parts.path))
        _existing_file(path, str(path))
        return text, path.stem
    raise InputError(
        f"{text!r} is not a feed address: use http(s)://, file:// or a file path", field="url"
    )


def _poll_field(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POLL_MINUTES:
        raise InputError(
            f"poll every 1 to {MAX_POLL_MINUTES} minutes (got {value!r})", field="poll_minutes"
        )
    return value


def _feed_select() -> Select[tuple[Feed, str | None]]:
    return select(Feed, Outlet.name).outerjoin(Outlet, Feed.outlet_id == Outlet.id)


def add_feed(
    db: Database,
    *,
    url: str,
    name: str | None = None,
    outlet: str | None = None,
    poll_minutes: int = 10,
) -> FeedRecord:
    """Register a feed. ``name`` defaults to the URL's host or the file's stem."""
    stored_url, default_name = normalize_feed_url(url)
    name = line_text(name, field="name", label="a feed's name", max_length=200) or default_name
    outlet_name = line_text(outlet, field="outlet", max_length=200)
    poll_minutes = _poll_field(poll_minutes)
    with db.transaction() as session:
        taken = session.scalar(select(Feed.name).where(Feed.url == stored_url))
        if taken is not None:
            raise InputError(f"that feed is already on the desk as {taken!r}", field="url")
        row = Feed(
            name=name,
            url=stored_url,
            outlet_id=resolve_outlet_id(session, outlet_name),
            poll_minutes=poll_minutes,
        )
        session.add(row)
        session.flush()
        found, found_outlet = session.execute(_feed_select().where(Feed.id == row.id)).one()
        return feed_record(found, found_outlet)


def list_feeds(db: Database, *, limit: int = 500) -> list[FeedRecord]:
    """Feeds by name (the first ``limit``), with their outlet's name."""
    limit = list_limit(limit)
    with db.read() as session:
        rows = session.execute(_feed_select().order_by(Feed.name, Feed.id).limit(limit))
        return [feed_record(row, outlet_name) for row, outlet_name in rows]
