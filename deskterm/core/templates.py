"""Response templates and letters.

A template is a saved text with placeholders such as ``{requester}`` or ``{deadline}``; the
response editor inserts it filled in for the request at hand. Filling is a plain search for
``{name}`` (letters, digits, underscores; any case): a known name becomes its value, anything
else (an unknown name, a lone brace, ``{0}``, ``{a.b}``) is left exactly as written, so a
typo stays visible in the text and filling can never fail.

A response can be exported as a letter for constituent replies: plain text, or Markdown with
every character that came from outside escaped so it reads literally.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, or_, select

from db.base import utcnow
from db.engine import Database
from db.enums import RequestKind
from db.errors import NotFoundError
from db.models import ResponseTemplate, Staff
from db.versioning import delete_versioned, update_versioned
from deskterm.core.errors import InputError
from deskterm.core.fields import free_text, line_text, list_limit, optional_choice
from deskterm.core.requests import RequestRecord
from deskterm.core.text import one_line, visible

__all__ = [
    "LETTER_FORMATS",
    "PLACEHOLDERS",
    "TemplateRecord",
    "add_template",
    "delete_template",
    "fill",
    "fill_template",
    "find_template",
    "get_template",
    "letter",
    "letter_filename",
    "list_templates",
    "placeholder_values",
    "update_template",
    "write_letter",
]

NAME_MAX = 200
BODY_MAX = 20_000
LETTER_FORMATS = ("md", "txt")
LetterFormat = Literal["md", "txt"]

#: The placeholders a template may use, with what each becomes.
PLACEHOLDERS: Mapping[str, str] = {
    "requester": "who asked (the contact's name, or the name typed at intake)",
    "outlet": "their outlet, if any",
    "subject": "the request's subject",
    "number": "the tracking number, e.g. M-2026-0007",
    "deadline": "the deadline in desk time, e.g. Tue 24 Nov 2026 17:00",
    "received": "when the request came in, in desk time",
    "today": "today's date in desk time, e.g. 24 November 2026",
    "assignee": "the full name of the staff member assigned (initials if unknown)",
    "spokesperson": "the spokesperson's full name",
    "kind": "media, constituent or records",
    "questions": "the questions asked",
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    name: str
    kind: RequestKind | None  # None: for every kind of request
    body: str
    version: int


def _record(row: ResponseTemplate) -> TemplateRecord:
    return TemplateRecord(row.id, row.name, row.kind, row.body, row.version)


# --- storing templates -----------------------------------------------------------------------


def _name(value: object) -> str:
    return line_text(value, field="name", max_length=NAME_MAX, required=True)


def _body(value: object) -> str:
    body = free_text(value, field="body", max_length=BODY_MAX)
    if not body:
        raise InputError("a template needs some text", field="body")
    return body


def _name_taken(session: Any, name: str, *, other_than: int | None = None) -> None:
    query = select(ResponseTemplate.id).where(func.lower(ResponseTemplate.name) == name.lower())
    if other_than is not None:
        query = query.where(ResponseTemplate.id != other_than)
    if session.scalar(query) is not None:
        raise InputError(f"there is already a template called {name!r}", field="name")


def add_template(
    db: Database, *, name: str, body: str, kind: RequestKind | str | None = None
) -> TemplateRecord:
    """Save a new template; ``kind`` None makes it offered for every kind of request."""
    name = _name(name)
    body = _body(body)
    kind = optional_choice(RequestKind, kind, field="kind")
    now = utcnow()
    with db.transaction() as session:
        _name_taken(session, name)
        row = ResponseTemplate(name=name, body=body, kind=kind, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return _record(row)


def update_template(
    db: Database, template_id: int, base_version: int, **changes: Any
) -> TemplateRecord:
    """Change a template's ``name``, ``body`` or ``kind``; ``ConflictError`` if stale."""
    unknown = sorted(set(changes) - {"name", "body", "kind"})
    if unknown:
        raise InputError(f"cannot edit {', '.join(unknown)} on a template", field=unknown[0])
    cleaned: dict[str, Any] = {}
    if "name" in changes:
        cleaned["name"] = _name(changes["name"])
    if "body" in changes:
        cleaned["body"] = _body(changes["body"])
    if "kind" in changes:
        cleaned["kind"] = optional_choice(RequestKind, changes["kind"], field="kind")
    with db.transaction() as session:
        if "name" in cleaned:
            _name_taken(session, cleaned["name"], other_than=template_id)
        cleaned["updated_at"] = utcnow()
        row = update_versioned(session, ResponseTemplate, template_id, base_version, **cleaned)
        return _record(row)


def delete_template(db: Database, template_id: int, base_version: int) -> None:
    with db.transaction() as session:
        delete_versioned(session, ResponseTemplate, template_id, base_version)


def get_template(db: Database, template_id: int) -> TemplateRecord:
    with db.read() as session:
        row = session.get(ResponseTemplate, template_id)
        if row is None:
            raise NotFoundError(ResponseTemplate.__tablename__, template_id)
        return _record(row)


def find_template(db: Database, ref: str | int) -> TemplateRecord:
    """A template by id or by name (any case); InputError when there is none."""
    text = str(ref).strip()
    with db.read() as session:
        if text.isdigit():
            row = session.get(ResponseTemplate, int(text))
        else:
            row = session.scalars(
                select(ResponseTemplate).where(func.lower(ResponseTemplate.name) == text.lower())
            ).first()
        if row is None:
            raise InputError(f"no template {text!r}", field="template")
        return _record(row)


def list_templates(
    db: Database, *, kind: RequestKind | str | None = None, limit: int = 200
) -> list[TemplateRecord]:
    """Templates by name; with ``kind``, those for that kind and those for every kind."""
    query = select(ResponseTemplate).order_by(ResponseTemplate.name).limit(list_limit(limit))
    wanted = optional_choice(RequestKind, kind, field="kind")
    if wanted is not None:
        query = query.where(or_(ResponseTemplate.kind == wanted, ResponseTemplate.kind.is_(None)))
    with db.read() as session:
        return [_record(row) for row in session.scalars(query)]


# --- filling ---------------------------------------------------------------------------------


def fill(body: str, values: Mapping[str, str]) -> str:
    """``body`` with each ``{name}`` whose name (any case) is in ``values`` replaced.

    Never raises: unknown names, lone or doubled braces and anything that is not a plain
    ``{name}`` stay as written.
    """
    known = {key.lower(): value for key, value in values.items()}

    def replace(match: re.Match[str]) -> str:
        value = known.get(match.group(1).lower())
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(replace, body)


def _when(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return "no deadline"
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def _staff_names(db: Database, initials: list[str]) -> dict[str, str]:
    wanted = [i for i in initials if i]
    if not wanted:
        return {}
    with db.read() as session:
        rows = session.execute(
            select(Staff.initials, Staff.name).where(Staff.initials.in_(wanted))
        ).all()
    return {initials: name for initials, name in rows}


def placeholder_values(
    db: Database, request: RequestRecord, *, now: datetime | None = None, tz: tzinfo
) -> dict[str, str]:
    """What each placeholder becomes for ``request`` (staff names looked up in one query)."""
    now = utcnow() if now is None else now
    names = _staff_names(db, [request.assignee or "", request.spokesperson or ""])
    today = now.astimezone(tz)
    return {
        "requester": request.requester,
        "outlet": request.outlet,
        "subject": request.subject,
        "number": request.number,
        "deadline": _when(request.deadline_at, tz),
        "received": _when(request.received_at, tz),
        "today": f"{today.day} {today:%B %Y}",
        "assignee": names.get(request.assignee or "", request.assignee or ""),
        "spokesperson": names.get(request.spokesperson or "", request.spokesperson or ""),
        "kind": request.kind.value,
        "questions": request.questions,
    }


def fill_template(
    db: Database,
    template: TemplateRecord,
    request: RequestRecord,
    *,
    now: datetime | None = None,
    tz: tzinfo,
) -> str:
    """The template's text filled in for ``request``."""
    return fill(template.body, placeholder_values(db, request, now=now, tz=tz))


# --- letters ---------------------------------------------------------------------------------

# Escaped anywhere in a line; the rest only where they start a line (headings, lists,
# quotes), so ordinary sentences stay readable in the .md file.
_MD_ALWAYS = set("\\`*_[]<>|~&")
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+(?=[.)]))")


def _md(text: str) -> str:
    """One line that Markdown shows literally (CommonMark backslash escapes)."""
    line = "".join(f"\\{ch}" if ch in _MD_ALWAYS else ch for ch in one_line(text))
    match = _MD_LINE_START.match(line)
    if match is None:
        return line
    if match.group(1)[0].isdigit():  # "1." would start a numbered list
        end = match.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _md_block(text: str) -> str:
    """Paragraphs of literal text: escaped, line breaks kept (two trailing spaces)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", visible(text, keep_newlines=True)) if p.strip()]
    return "\n\n".join(
        "  \n".join(_md(line) for line in paragraph.strip().splitlines())
        for paragraph in paragraphs
    )


def letter(
    request: RequestRecord,
    text: str,
    *,
    fmt: LetterFormat,
    values: Mapping[str, str],
) -> str:
    """A reply letter to the requester carrying ``text`` (the response), as ``md`` or ``txt``.

    ``values`` are the request's ``placeholder_values`` (date, names). Text from outside is
    made literal: control characters escaped, Markdown special characters escaped in ``md``.
    """
    if fmt not in LETTER_FORMATS:
        raise InputError(f"unknown letter format {fmt!r}; choose md or txt", field="format")
    body = free_text(text, field="response_text")
    if not body:
        raise InputError("there is no response text to put in a letter", field="response_text")
    requester = values.get("requester") or "Sir or Madam"
    signer = values.get("assignee") or values.get("spokesperson") or ""
    to = [v for v in (values.get("requester", ""), values.get("outlet", "")) if v]
    email = request.requester_email or ""
    if fmt == "txt":
        lines = [values.get("today", "")]
        lines += ["", *(one_line(v) for v in to)]
        if email:
            lines.append(one_line(email))
        lines += [
            "",
            f"Re: {one_line(request.subject)} ({request.number})",
            "",
            f"Dear {one_line(requester)},",
            "",
            visible(body, keep_newlines=True),
            "",
            "Sincerely,",
            "",
            one_line(signer),
        ]
        return "\n".join(lines).rstrip() + "\n"
    lines = [f"# Re: {_md(request.subject)} ({_md(request.number)})", ""]
    lines.append(f"{_md(values.get('today', ''))}  ")
    lines += [f"{_md(v)}  " for v in to]
    if email:
        lines.append(f"{_md(email)}  ")
    lines += [
        "",
        f"Dear {_md(requester)},",
        "",
        _md_block(body),
        "",
        "Sincerely,",
        "",
        _md(signer),
    ]
    return "\n".join(lines).rstrip() + "\n"


def letter_filename(request: RequestRecord, fmt: LetterFormat) -> str:
    """``M-2026-0007-letter.md``: the tracking number is safe in a file name."""
    safe = re.sub(r"[^A-Za-z0-9-]", "_", request.number)
    return f"{safe}-letter.{fmt}"


def write_letter(path: Path, text: str) -> Path:
    """Write the letter (UTF-8), creating the folder; an unwritable place is an InputError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"cannot write {path}: {error.strerror or error}", field="output"
        ) from error
    return path
