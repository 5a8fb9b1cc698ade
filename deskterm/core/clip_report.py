"""The daily clip report: the day's flagged clips grouped by topic, as Markdown, HTML that
pastes cleanly into an e-mail, or a complete e-mail message (.eml).

"The day's flagged clips" are those flagged that day (``Clip.flagged_at``), whenever they
were published: at 7 a.m. the desk flags last night's stories, and they belong in the
morning's report (not in yesterday's, sent before they were flagged). A clip flagged with
no time kept counts on the day it was published.

``build_report`` reads the data (two queries plus the clips' topics); ``render_report`` turns
it into text without touching the database. A clip appears once, under its most important
topic (lowest priority number; ties by name), with its other topics named beside it; clips
without a topic come last under "Other coverage". Times are in the desk's zone.

Every piece of text in a report came from a feed: it is cleaned to one line (no control
characters), escaped for Markdown or HTML, and links are only http(s).

The e-mail is from the config's ``report_from``, else from the desk user's e-mail on the staff
list, else from ``user@localhost``; it goes to ``report_recipients`` only. A report with no
recipients carries ``warning`` (``NO_RECIPIENTS``), which the desk and the command line both
show: the .eml is still written, as a draft without a To: line.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from db.base import utcnow
from db.engine import Database
from db.models import Clip, Staff
from deskterm.core.clip_text import clean_line, truncate
from deskterm.core.clips import _clip_select, clip_record, topics_of
from deskterm.core.config import Settings, load_settings
from deskterm.core.errors import InputError

FORMATS = ("md", "html", "eml")
#: The most clips one report lists (a day with more says how many were left out).
MAX_CLIPS = 500
EXCERPT_CHARS = 300
OTHER = "Other coverage"
#: Said (the desk's notification, the command line's stderr) when the e-mail has no To:.
NO_RECIPIENTS = "no recipients set: add report_recipients to the config"


@dataclass(frozen=True)
class ReportClip:
    id: int
    outlet: str  # the outlet's name (the feed's, for a feed without an outlet)
    published_at: datetime  # aware UTC
    time: str  # HH:MM in the desk's zone
    title: str
    url: str | None  # http(s) only
    excerpt: str  # the first lines of the summary
    also: tuple[str, ...]  # the clip's other topics
    needs_correction: bool


@dataclass(frozen=True)
class ReportGroup:
    topic_id: int | None  # None: clips without a topic
    name: str
    priority: int | None
    clips: tuple[ReportClip, ...]


@dataclass(frozen=True)
class ClipReport:
    day: date
    zone: str  # the zone's abbreviation on that day, e.g. EST
    generated_at: datetime  # aware UTC
    groups: tuple[ReportGroup, ...]
    total: int  # flagged clips that day
    shown: int  # clips listed (at most MAX_CLIPS)
    sender: str
    recipients: tuple[str, ...]
    subject: str

    @property
    def warning(self) -> str | None:
        """One line to show beside the written report, or None: the e-mail goes nowhere
        without ``report_recipients`` (it is written as a draft with no To:)."""
        return None if self.recipients else NO_RECIPIENTS

    @property
    def title(self) -> str:
        return f"Clip report — {self.day:%A} {self.day.day} {self.day:%B %Y}"

    def summary(self) -> str:
        """The count line at the top: "12 flagged clips: Housing 5, Budget 3"."""
        if not self.total:
            return "No clips were flagged on this day."
        noun = "clip" if self.total == 1 else "clips"
        parts = ", ".join(f"{g.name} {len(g.clips)}" for g in self.groups)
        line = f"{self.total} flagged {noun}: {parts}"
        if self.shown < self.total:
            line += f" (the first {self.shown} are listed)"
        return line + f". Times are {self.zone}."


# --- building ---------------------------------------------------------------------------------


def _day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _clock(local: datetime, day: date) -> str:
    """When a clip came out: its time; with its date when that was before ``day`` (a story
    of last night, flagged this morning)."""
    if local.date() == day:
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _web_link(url: str | None) -> str | None:
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") and not any(c.isspace() for c in url) else None


def build_report(
    db: Database,
    day: date,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    tz: tzinfo | None = None,
) -> ClipReport:
    """The report of ``day`` (a date in the desk's zone): flagged clips that are not hidden,
    flagged that day. ``settings`` (default: loaded from the config) gives the zone, the
    sender and the recipients; ``tz`` overrides the zone."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InputError(f"the report needs a date, not {day!r}", field="date")
    settings = settings or load_settings()
    tz = tz or settings.tz()
    now = now or utcnow()
    start, end = _day_bounds(day, tz)
    where = (
        Clip.flagged == true(),
        Clip.hidden == false(),
        or_(
            and_(Clip.flagged_at >= start, Clip.flagged_at < end),
            # flagged with no time kept (set by hand, an import): the day it came out
            and_(Clip.flagged_at.is_(None), Clip.published_at >= start, Clip.published_at < end),
        ),
    )
    with db.read() as session:
        sender = _sender(session, settings)
        total = int(session.scalar(select(func.count()).select_from(Clip).where(*where)) or 0)
        records = [
            clip_record(*row)
            for row in session.execute(
                _clip_select().where(*where).order_by(Clip.published_at, Clip.id).limit(MAX_CLIPS)
            )
        ]
    matches = topics_of(db, [r.id for r in records])
    groups: dict[int | None, tuple[str, int | None, list[ReportClip]]] = {}
    for record in records:
        found = matches.get(record.id, ())
        local = record.published_at.astimezone(tz)
        clip = ReportClip(
            id=record.id,
            outlet=clean_line(record.outlet or record.feed),
            published_at=record.published_at,
            time=_clock(local, day),
            title=clean_line(record.title),
            url=_web_link(record.url),
            excerpt=truncate(clean_line(record.summary), EXCERPT_CHARS) if record.summary else "",
            also=tuple(clean_line(m.name) for m in found[1:]),
            needs_correction=record.needs_correction,
        )
        key, name, priority = (
            (found[0].topic_id, clean_line(found[0].name), found[0].priority)
            if found
            else (None, OTHER, None)
        )
        groups.setdefault(key, (name, priority, []))[2].append(clip)
    ordered = sorted(
        (
            ReportGroup(key, name, priority, tuple(items))
            for key, (name, priority, items) in groups.items()
        ),
        key=lambda g: (g.topic_id is None, g.priority or 0, g.name.lower()),
    )
    zone = start.astimezone(tz).tzname() or str(tz)
    noun = "clip" if total == 1 else "clips"
    return ClipReport(
        day=day,
        zone=zone,
        generated_at=now.astimezone(UTC),
        groups=tuple(ordered),
        total=total,
        shown=len(records),
        sender=sender,
        recipients=settings.report_recipients,
        subject=f"Clip report {day:%a} {day.day} {day:%b %Y}: {total} {noun}",
    )


def _sender(session: Session, settings: Settings) -> str:
    """The From: of the e-mail: the config's ``report_from``; else the desk user's e-mail on
    the staff list ("Name <address>", the staff member whose initials are the user name),
    when it reads as an address; else ``user@localhost``."""
    if settings.report_from:
        return settings.report_from
    initials = settings.user.strip().upper()
    staff = session.execute(
        select(Staff.name, Staff.email).where(Staff.initials == initials)
    ).first()
    if staff is not None and staff.email:
        address = staff.email.strip()
        for name in (clean_line(staff.name), ""):  # a name it cannot hold: the address alone
            try:
                return str(Address(display_name=name, addr_spec=address))
            except (ValueError, IndexError, HeaderParseError):  # not an address: fall back
                continue
    return f"{_mailbox(settings.user)}@localhost"


def _mailbox(user: str) -> str:
    local = "".join(ch for ch in user.lower() if ch.isascii() and (ch.isalnum() or ch in "._-"))
    return local or "deskterm"


# --- rendering --------------------------------------------------------------------------------


def render_report(report: ClipReport, fmt: str) -> str | bytes:
    """``md`` and ``html`` give text; ``eml`` gives the message as bytes (CRLF lines)."""
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "eml":
        return render_eml(report)
    if fmt == "text":
        return render_text(report)
    raise InputError(
        f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}", field="format"
    )


_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|~&#!"})


def md_escape(text: str) -> str:
    """Text that Markdown shows literally (no links, emphasis, HTML or entities)."""
    return text.translate(_MD_SPECIAL)


def _md_url(url: str) -> str:
    return quote(url, safe="/:?#[]@!$&'()*+,;=%-._~")


def render_markdown(report: ClipReport) -> str:
    lines = [f"# {md_escape(report.title)}", "", f"**{md_escape(report.summary())}**"]
    for group in report.groups:
        heading = group.name + (f" (priority {group.priority})" if group.priority else "")
        lines += ["", f"## {md_escape(heading)}", ""]
        for clip in group.clips:
            title = md_escape(clip.title)
            headline = f"[{title}](<{_md_url(clip.url)}>)" if clip.url else title
            mark = " — *needs a correction*" if clip.needs_correction else ""
            lines.append(f"- **{clip.time}** · {md_escape(clip.outlet)} — {headline}{mark}")
            if clip.excerpt:
                lines.append(f"  {md_escape(clip.excerpt)}")
            if clip.also:
                lines.append(f"  *Also: {md_escape(', '.join(clip.also))}*")
    return "\n".join(lines) + "\n"


def render_text(report: ClipReport) -> str:
    """Plain text (the e-mail's text part)."""
    lines = [report.title, report.summary()]
    for group in report.groups:
        lines += ["", group.name.upper()]
        for clip in group.clips:
            mark = " (needs a correction)" if clip.needs_correction else ""
            lines += ["", f"{clip.time}  {clip.outlet}{mark}", clip.title]
            if clip.url:
                lines.append(clip.url)
            if clip.excerpt:
                lines.append(clip.excerpt)
            if clip.also:
                lines.append(f"Also: {', '.join(clip.also)}")
    return "\n".join(lines) + "\n"


_STYLE = {
    "body": "margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;"
    "line-height:1.45;color:#1a1a1a;background:#ffffff",
    "h1": "font-size:20px;margin:0 0 4px 0;font-weight:bold",
    "summary": "margin:0 0 16px 0;color:#444444",
    "h2": "font-size:16px;margin:20px 0 8px 0;padding:0 0 2px 0;border-bottom:1px solid #cccccc;"
    "font-weight:bold",
    "clip": "margin:0 0 14px 0",
    "meta": "font-size:12px;color:#555555",
    "headline": "font-weight:bold",
    "link": "color:#0b57d0;text-decoration:none",
    "excerpt": "color:#333333",
    "also": "font-size:12px;color:#777777;font-style:italic",
    "correction": "color:#b3261e;font-weight:bold",
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(report: ClipReport) -> str:
    """A self-contained page: inline styles only, every text escaped, no scripts."""
    s = {key: _e(value) for key, value in _STYLE.items()}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title></head>",
        f'<body style="{s["body"]}">',
        f'<h1 style="{s["h1"]}">{_e(report.title)}</h1>',
        f'<p style="{s["summary"]}">{_e(report.summary())}</p>',
    ]
    for group in report.groups:
        out.append(f'<h2 style="{s["h2"]}">{_e(group.name)}</h2>')
        for clip in group.clips:
            out.append(f'<div style="{s["clip"]}">')
            meta = f"{clip.time} · {clip.outlet}"
            correction = (
                f' · <span style="{s["correction"]}">needs a correction</span>'
                if clip.needs_correction
                else ""
            )
            out.append(f'<div style="{s["meta"]}">{_e(meta)}{correction}</div>')
            title = _e(clip.title)
            if clip.url:
                title = f'<a href="{_e(clip.url)}" style="{s["link"]}">{title}</a>'
            out.append(f'<div style="{s["headline"]}">{title}</div>')
            if clip.excerpt:
                out.append(f'<div style="{s["excerpt"]}">{_e(clip.excerpt)}</div>')
            if clip.also:
                out.append(f'<div style="{s["also"]}">Also: {_e(", ".join(clip.also))}</div>')
            out.append("</div>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def render_eml(report: ClipReport) -> bytes:
    """A complete message: multipart/alternative (text, then HTML), Date, Subject, From
    (``build_report``'s sender), To (the config's ``report_recipients``; none: a draft
    without To, and the report's ``warning`` says so)."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = report.subject
    message["From"] = report.sender
    if report.recipients:
        message["To"] = ", ".join(report.recipients)
    message["Date"] = format_datetime(report.generated_at)
    domain = parseaddr(report.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("clip-report", domain=domain)
    message.set_content(render_text(report))
    message.add_alternative(render_html(report), subtype="html")
    return message.as_bytes()
