"""The media list in and out: CSV (with header mapping) and vCard 3.0/4.0.

Import is all-or-report. A file is read and every row validated first (``read_contacts``);
then ``import_contacts`` writes every valid row in one short transaction and reports each
skipped row with its line and reason, or with ``strict`` writes nothing when any row is bad.
Rows are merged by email (any case) within the file and against the database: empty fields
are filled, a non-empty field is never overwritten but reported as "kept existing". Rows
without an email merge with a contact of the same name at the same outlet that has no email
either, so importing a file twice never doubles the list.

Export writes the headers and vCard properties the importer reads, so export -> import
gives the same contacts (and their outlets' type and language).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.enums import OutletType
from db.models import Contact, Outlet
from db.search_text import fold
from deskterm.core.contacts import (
    ContactRecord,
    OutletRecord,
    clean_contact_fields,
    contact_record,
    outlet_record,
    parse_outlet_type,
)
from deskterm.core.errors import InputError
from deskterm.core.fields import language_tag
from deskterm.core.spreadsheet import as_text_cell, from_text_cell
from deskterm.core.text import one_line

MAX_FILE_BYTES = 20 * 1024 * 1024
EXPORT_PAGE = 500
_IN_CHUNK = 400  # values per SQL IN (...) list
_FLUSH_EVERY = 200  # new contacts per ORM flush within the one import transaction

#: Fields a row can carry, in export order.
FIELDS: tuple[str, ...] = (
    "name",
    "email",
    "phone",
    "outlet",
    "outlet_type",
    "outlet_language",
    "beat",
    "social",
    "language",
    "notes",
    "do_not_contact",
    "last_contacted_at",
)
#: The CSV header written for each field (each one read back by the importer).
CSV_HEADERS: dict[str, str] = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "outlet": "outlet",
    "outlet_type": "outlet type",
    "outlet_language": "outlet language",
    "beat": "beat",
    "social": "social",
    "language": "language",
    "notes": "notes",
    "do_not_contact": "do not contact",
    "last_contacted_at": "last contacted",
}
_MAP_ONLY = ("first_name", "last_name", "ignore")

# Common header spellings, compared with case, spaces and punctuation removed.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "displayname", "contact", "contactname", "reporter"),
    "first_name": ("firstname", "givenname", "first", "forename"),
    "last_name": ("lastname", "surname", "familyname", "last"),
    "email": (
        "email",
        "emailaddress",
        "mail",
        "email1",
        "email1value",
        "primaryemail",
        "workemail",
        "emailaddress1",
    ),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "telephone",
        "tel",
        "workphone",
        "businessphone",
        "phone1value",
    ),
    "outlet": (
        "outlet",
        "organization",
        "organisation",
        "company",
        "org",
        "publication",
        "mediaoutlet",
        "employer",
        "organizationname",
        "organization1name",
    ),
    "outlet_type": ("outlettype", "mediatype"),
    "outlet_language": ("outletlanguage",),
    "beat": ("beat", "title", "jobtitle", "role", "position", "coverage", "organization1title"),
    "social": (
        "social",
        "socialhandle",
        "handle",
        "twitter",
        "twitterhandle",
        "x",
        "mastodon",
        "bluesky",
        "socialprofile",
    ),
    "language": ("language", "lang", "preferredlanguage"),
    "notes": ("notes", "note", "comments", "comment"),
    "do_not_contact": ("donotcontact", "dnc", "optout", "optedout", "nocontact"),
    "last_contacted_at": ("lastcontacted", "lastcontact", "lastcontactedat"),
}
_ALIAS_TO_FIELD: dict[str, str] = {
    alias: name for name, aliases in _HEADER_ALIASES.items() for alias in aliases
}

_TRUE = frozenset({"yes", "y", "true", "t", "1", "x", "dnc", "do not contact"})
_FALSE = frozenset({"no", "n", "false", "f", "0", ""})


def _name_key(name: str, outlet: str | None) -> tuple[str, ...]:
    return ("name", fold(name), fold(outlet))


def _header_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One valid row of a file. None means the file said nothing about that field."""

    line: int
    name: str
    email: str | None = None
    phone: str | None = None
    outlet: str | None = None
    outlet_type: OutletType | None = None
    outlet_language: str | None = None
    beat: str | None = None
    social: str | None = None
    language: str | None = None
    notes: str | None = None
    do_not_contact: bool | None = None
    last_contacted_at: datetime | None = None

    def key(self) -> tuple[str, ...]:
        """What makes two rows the same person: the email, else name and outlet."""
        if self.email:
            return ("email", self.email.casefold())
        return self.name_key()

    def name_key(self) -> tuple[str, ...]:
        return _name_key(self.name, self.outlet)

    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


@dataclass(frozen=True)
class Problem:
    """A row that was not imported: where it starts in the file and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Conflict:
    """A value a row offered for a field that already held another: the existing one stays."""

    line: int
    contact: str
    field: str
    kept: str
    offered: str


@dataclass(frozen=True)
class ParsedFile:
    format: str  # "csv" or "vcf"
    rows: tuple[ImportRow, ...]
    problems: tuple[Problem, ...]
    columns: dict[str, str] = field(default_factory=dict)  # CSV header -> field
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    format: str
    rows: int  # rows read (valid and skipped)
    added: int  # new contacts
    merged: int  # rows folded into a contact (in the database or earlier in the file)
    updated: int  # existing contacts that gained a value
    skipped: tuple[Problem, ...]
    conflicts: tuple[Conflict, ...]
    outlets_created: tuple[str, ...]
    written: bool  # False: strict and something was bad, nothing saved
    ignored_columns: tuple[str, ...] = ()


# --- reading files --------------------------------------------------------------------------


def decode_text(data: bytes, *, source: str = "the file") -> str:
    """Text from UTF-8 bytes (a BOM is dropped; UTF-16 with a BOM is read too).

    InputError for anything else, for binary data and for files too large to be a media list.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{source} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        raise InputError(f"{source} is not a text file (it contains NUL bytes)")
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            f"{source} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
            "save it as UTF-8 and try again"
        ) from None
    if "\x00" in text:
        raise InputError(f"{source} is not a text file (it contains NUL bytes)")
    return text


def detect_format(text: str, filename: str = "") -> str:
    """``vcf`` for a vCard file (by its name or a leading BEGIN:VCARD), else ``csv``."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".vcf", ".vcard"):
        return "vcf"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "vcf" if text.lstrip()[:11].upper() == "BEGIN:VCARD" else "csv"


def parse_format(value: str | None) -> str | None:
    """None (guess), ``csv`` or ``vcf`` (``vcard`` accepted)."""
    if value is None or not value.strip():
        return None
    key = value.strip().lower()
    if key in ("csv", "vcf", "vcard"):
        return "csv" if key == "csv" else "vcf"
    raise InputError(f"unknown format {value!r}; choose csv or vcf", field="format")


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` options as {column: field}; FIELD is a field name, a header the
    importer knows (``organization``), ``first_name``/``last_name``, or ``ignore``."""
    mapping: dict[str, str] = {}
    for item in items:
        column, equals, target = item.partition("=")
        if not equals or not column.strip() or not target.strip():
            raise InputError(f"--map {item!r}: write it as COLUMN=FIELD", field="map")
        key = _header_key(target)
        wanted = next(
            (name for name in (*FIELDS, *_MAP_ONLY) if _header_key(name) == key),
            _ALIAS_TO_FIELD.get(key),
        )
        if wanted is None:
            choices = ", ".join((*FIELDS, *_MAP_ONLY))
            raise InputError(
                f"--map {item!r}: unknown field {target.strip()!r}; choose one of {choices}",
                field="map",
            )
        mapping[column.strip()] = wanted
    return mapping


def read_contacts(
    data: bytes,
    *,
    source: str = "the file",
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ParsedFile:
    """Decode and parse a CSV or vCard file; InputError when it is neither."""
    text = decode_text(data, source=source)
    kind = parse_format(format) or detect_format(text, source)
    if kind == "vcf":
        if mapping:
            raise InputError("--map applies to CSV files, not vCards", field="map")
        return parse_vcards(text, source=source)
    return parse_csv(text, mapping=mapping, source=source)


def read_contacts_file(
    path: str | Path, *, format: str | None = None, mapping: Mapping[str, str] | None = None
) -> ParsedFile:
    """``read_contacts`` on a file (InputError if it cannot be read)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no file {str(path)!r}", field="file") from None
    except IsADirectoryError:
        raise InputError(f"{str(path)!r} is a folder, not a file", field="file") from None
    except OSError as error:
        raise InputError(f"cannot read {str(path)!r}: {error.strerror}", field="file") from None
    return read_contacts(data, source=path.name, format=format, mapping=mapping)


# --- validation of one row ------------------------------------------------------------------


def _yes_no(value: str) -> bool:
    key = " ".join(value.casefold().split())
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise InputError(f"do not contact {value!r} must be yes or no", field="do_not_contact")


def _moment(value: str) -> datetime:
    """An ISO date or date-time (a time without a zone is UTC)."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"last contacted {value!r} is not an ISO date such as 2026-11-23T14:30:00Z",
                field="last_contacted_at",
            ) from None
        parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _row(line: int, raw: Mapping[str, str]) -> ImportRow:
    """A valid row from raw text values (blank means not given); InputError if invalid."""
    given = {key: value.strip() for key, value in raw.items() if value and value.strip()}
    if "name" not in given:
        parts = [given.pop(key) for key in ("first_name", "last_name") if key in given]
        if parts:
            given["name"] = " ".join(parts)
    given.pop("first_name", None)
    given.pop("last_name", None)
    if "name" not in given:
        who = f" ({given['email']})" if "email" in given else ""
        raise InputError(f"no name{who}", field="name")
    values: dict[str, Any] = {}
    if "do_not_contact" in given:
        values["do_not_contact"] = _yes_no(given.pop("do_not_contact"))
    if "last_contacted_at" in given:
        values["last_contacted_at"] = _moment(given.pop("last_contacted_at"))
    if "outlet_type" in given:
        values["outlet_type"] = parse_outlet_type(given.pop("outlet_type"))
    if "outlet_language" in given:
        values["outlet_language"] = language_tag(
            given.pop("outlet_language"), field="outlet_language"
        )
    values.update(clean_contact_fields(given))
    values = {key: value for key, value in values.items() if value not in (None, "")}
    if values.get("outlet_type") and not values.get("outlet"):
        values.pop("outlet_type")
        values.pop("outlet_language", None)
    return ImportRow(line=line, **values)


def _problem(line: int, error: Exception) -> Problem:
    return Problem(line, one_line(error, 300))


# --- CSV ------------------------------------------------------------------------------------


def _delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab on the header line (comma on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _map_header(
    header: list[str], mapping: Mapping[str, str] | None
) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Column index -> field, header -> field and the ignored headers."""
    overrides = {_header_key(column): target for column, target in (mapping or {}).items()}
    keys = [_header_key(name) for name in header]
    unknown = [column for column in (mapping or {}) if _header_key(column) not in keys]
    if unknown:
        found = ", ".join(repr(name) for name in header)
        raise InputError(f"--map: no column {unknown[0]!r} in the header ({found})", field="map")
    by_index: dict[int, str] = {}
    taken: set[str] = set()
    # explicit --map first, then columns named exactly as a field, then the other spellings
    passes = (
        lambda key: overrides.get(key),
        lambda key: next((f for f in FIELDS if _header_key(f) == key), None),
        lambda key: _ALIAS_TO_FIELD.get(key),
    )
    for lookup in passes:
        for index, key in enumerate(keys):
            if index in by_index:
                continue
            target = lookup(key)
            if target is None or target in taken:
                continue
            by_index[index] = target
            if target != "ignore":
                taken.add(target)
    columns = {header[i]: f for i, f in sorted(by_index.items()) if f != "ignore"}
    ignored = [name for i, name in enumerate(header) if by_index.get(i, "ignore") == "ignore"]
    return {i: f for i, f in by_index.items() if f != "ignore"}, columns, ignored


def parse_csv(
    text: str, *, mapping: Mapping[str, str] | None = None, source: str = "the file"
) -> ParsedFile:
    """Rows of a CSV file whose first row names the columns (see ``_HEADER_ALIASES``)."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    header: list[str] | None = None
    fields_at: dict[int, str] = {}
    rows: list[ImportRow] = []
    problems: list[Problem] = []
    columns: dict[str, str] = {}
    ignored: list[str] = []
    start = 1
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if header is None:
                raise InputError(f"{source} is not a CSV file ({error})") from None
            problems.append(Problem(start, f"not valid CSV: {one_line(error, 200)}"))
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank lines say nothing
        if header is None:
            header = [cell.strip() for cell in record]
            fields_at, columns, ignored = _map_header(header, mapping)
            named = set(fields_at.values())
            if "name" not in named and not named & {"first_name", "last_name"}:
                found = ", ".join(repr(one_line(h, 40)) for h in header[:8])
                raise InputError(
                    f"{source}: the first row has no name column (found {found}); "
                    "name one with --map COLUMN=name"
                )
            continue
        extra = record[len(header) :]
        if len(record) < len(header) or any(cell.strip() for cell in extra):
            problems.append(
                Problem(start, f"{len(record)} fields where the header has {len(header)}")
            )
            continue
        raw = {name: from_text_cell(record[index]) for index, name in fields_at.items()}
        try:
            rows.append(_row(start, raw))
        except InputError as error:
            problems.append(_problem(start, error))
    if header is None:
        raise InputError(f"{source} is empty: no header row, no contacts")
    return ParsedFile("csv", tuple(rows), tuple(problems), columns, tuple(ignored))


def _csv_cell(record: ContactRecord, outlet: OutletRecord | None, name: str) -> str:
    if name == "outlet_type":
        return outlet.type.value if outlet else ""
    if name == "outlet_language":
        return outlet.language if outlet else ""
    value = getattr(record, name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def write_csv(db: Database, out: TextIO) -> int:
    """Every contact as CSV (headers the importer reads), by name; returns the count."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([CSV_HEADERS[name] for name in FIELDS])
    count = 0
    for record, outlet in iter_contacts(db):
        writer.writerow([as_text_cell(_csv_cell(record, outlet, name)) for name in FIELDS])
        count += 1
    return count


# --- vCard ----------------------------------------------------------------------------------


def _card_blocks(text: str) -> tuple[list[tuple[int, str]], list[Problem], int]:
    """The text of each BEGIN:VCARD ... END:VCARD block with its first line number, the
    problems (stray text, cards without an end) and how many cards began."""
    begun = 0
    blocks: list[tuple[int, str]] = []
    problems: list[Problem] = []
    current: tuple[int, list[str]] | None = None
    stray: int | None = None  # the first line of a run of text outside any card
    for number, line in enumerate(text.splitlines(), start=1):
        word = line.strip().upper()
        if current is None:
            if word == "BEGIN:VCARD":
                current = (number, [line])
                begun += 1
                stray = None
            elif word and stray is None:
                stray = number
                problems.append(Problem(number, "text outside a vCard (BEGIN:VCARD … END:VCARD)"))
            continue
        if word == "BEGIN:VCARD":
            problems.append(Problem(current[0], "vCard without END:VCARD"))
            current = (number, [line])
            begun += 1
            continue
        current[1].append(line)
        if word == "END:VCARD":
            blocks.append((current[0], "\r\n".join(current[1]) + "\r\n"))
            current = None
    if current is not None:
        problems.append(Problem(current[0], "vCard without END:VCARD (the file ends first)"))
    return blocks, problems, begun


def _preferred(card: Any, name: str) -> Any | None:
    """The property marked preferred (PREF=1, or TYPE=pref in 3.0), else the first one."""
    found = card.contents.get(name, [])
    if not found:
        return None

    def rank(prop: Any) -> int:
        pref = prop.params.get("PREF", [])
        if pref and str(pref[0]).isdigit():
            return int(pref[0])
        types = ",".join(prop.params.get("TYPE", [])).lower()
        return 1 if "pref" in types.split(",") else 101

    return min(found, key=rank)


def _text(prop: Any | None) -> str:
    if prop is None:
        return ""
    value = prop.value
    if isinstance(value, list | tuple):
        value = next((str(part) for part in value if str(part).strip()), "")
    return str(value)


def _card_name(card: Any) -> str:
    name = _text(_preferred(card, "fn"))
    if name.strip():
        return name
    n = _preferred(card, "n")
    if n is None:
        return ""
    value = n.value
    parts: list[str] = []
    for attribute in ("prefix", "given", "additional", "family", "suffix"):
        part = getattr(value, attribute, "")
        parts.extend(part if isinstance(part, list) else [part])
    return " ".join(str(p).strip() for p in parts if str(p).strip())


def _card_social(card: Any) -> str:
    profile = _preferred(card, "x-socialprofile")
    if profile is not None:
        user = profile.params.get("X-USER") or profile.params.get("X-USERNAME")
        return str(user[0]) if user else _text(profile)
    return _text(_preferred(card, "impp")) or _text(_preferred(card, "url"))


def _card_fields(card: Any) -> dict[str, str]:
    phone = _text(_preferred(card, "tel"))
    if phone.lower().startswith("tel:"):
        phone = phone[4:]
    language = _text(_preferred(card, "lang")) or _text(_preferred(card, "x-deskterm-language"))
    return {
        "name": _card_name(card),
        "email": _text(_preferred(card, "email")),
        "phone": phone,
        "outlet": _text(_preferred(card, "org")),
        "outlet_type": _text(_preferred(card, "x-deskterm-outlet-type")),
        "outlet_language": _text(_preferred(card, "x-deskterm-outlet-language")),
        "beat": _text(_preferred(card, "title")) or _text(_preferred(card, "role")),
        "social": _card_social(card),
        "language": language,
        "notes": _text(_preferred(card, "note")),
        "do_not_contact": _text(_preferred(card, "x-deskterm-dnc")),
        "last_contacted_at": _text(_preferred(card, "x-deskterm-last-contacted")),
    }


def parse_vcards(text: str, *, source: str = "the file") -> ParsedFile:
    """One row per vCard (3.0 or 4.0; 2.1 as far as vobject reads it)."""
    import vobject  # only imports need it

    blocks, problems, begun = _card_blocks(text)
    if not begun:
        raise InputError(f"{source} holds no vCard (BEGIN:VCARD … END:VCARD)")
    rows: list[ImportRow] = []
    for line, block in blocks:
        try:
            card = vobject.readOne(block, validate=False, ignoreUnreadable=False)
        except Exception as error:  # vobject raises ParseError, ValueError, ...
            problems.append(Problem(line, f"vCard could not be read: {one_line(error, 200)}"))
            continue
        try:
            rows.append(_row(line, _card_fields(card)))
        except InputError as error:
            problems.append(_problem(line, error))
    problems.sort(key=lambda p: p.line)
    return ParsedFile("vcf", tuple(rows), tuple(problems))


def _split_name(name: str) -> tuple[str, str]:
    """(given, family) for N: the last word is taken as the family name."""
    given, _, family = name.rpartition(" ")
    return (given, family) if given else (name, "")


def vcard_text(record: ContactRecord, outlet: OutletRecord | None, *, version: str = "4.0") -> str:
    """One contact as a vCard (4.0 or 3.0) the importer reads back the same."""
    import vobject

    if version not in ("3.0", "4.0"):
        raise InputError(f"vCard version {version!r}: choose 3.0 or 4.0", field="version")
    card = vobject.vCard()
    card.add("version").value = version
    card.add("fn").value = record.name
    given, family = _split_name(record.name)
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    if record.email:
        card.add("email").value = record.email
    if record.phone:
        tel = card.add("tel")
        tel.value = record.phone
        if version == "4.0":
            tel.params["VALUE"] = ["text"]
    if record.outlet:
        card.add("org").value = [record.outlet]
        if outlet is not None:
            card.add("x-deskterm-outlet-type").value = outlet.type.value
            card.add("x-deskterm-outlet-language").value = outlet.language
    if record.beat:
        card.add("title").value = record.beat
    if record.social:
        card.add("x-socialprofile").value = record.social
    card.add("lang" if version == "4.0" else "x-deskterm-language").value = record.language
    if record.notes:
        card.add("note").value = record.notes
    if record.do_not_contact:
        card.add("x-deskterm-dnc").value = "yes"
    if record.last_contacted_at is not None:
        stamp = record.last_contacted_at.astimezone(UTC).isoformat()
        card.add("x-deskterm-last-contacted").value = stamp
    return card.serialize()


def write_vcards(db: Database, out: TextIO, *, version: str = "4.0") -> int:
    """Every contact as vCards (4.0, or 3.0), by name; returns the count."""
    if version not in ("3.0", "4.0"):
        raise InputError(f"vCard version {version!r}: choose 3.0 or 4.0", field="version")
    count = 0
    for record, outlet in iter_contacts(db):
        out.write(vcard_text(record, outlet, version=version))
        count += 1
    return count


# --- export source --------------------------------------------------------------------------


def iter_contacts(
    db: Database, *, page: int = EXPORT_PAGE
) -> Iterator[tuple[ContactRecord, OutletRecord | None]]:
    """Every contact with its outlet, by (name, id), one short read per keyset page."""
    after: tuple[str, int] | None = None
    while True:
        query = (
            select(Contact, Outlet)
            .outerjoin(Outlet, Contact.outlet_id == Outlet.id)
            .order_by(Contact.name, Contact.id)
            .limit(page)
        )
        if after is not None:
            query = query.where(
                (Contact.name > after[0]) | ((Contact.name == after[0]) & (Contact.id > after[1]))
            )
        with db.read() as session:
            batch = [
                (contact_record(row, outlet.name if outlet else None), _outlet_or_none(outlet))
                for row, outlet in session.execute(query)
            ]
        yield from batch
        if len(batch) < page:
            return
        last = batch[-1][0]
        after = (last.name, last.id)


def _outlet_or_none(row: Outlet | None) -> OutletRecord | None:
    return outlet_record(row) if row is not None else None


# --- importing ------------------------------------------------------------------------------


def _same(field_name: str, old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        if field_name in ("name", "outlet", "email", "language"):
            return old.casefold() == new.casefold()
        return old == new
    return bool(old == new)


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return one_line(value, 80)


_MERGED_FIELDS = ("name", "email", "phone", "beat", "social", "language", "notes")


def _fold(base: ImportRow, row: ImportRow, conflicts: list[Conflict], label: str) -> ImportRow:
    """``base`` with the empty fields ``row`` fills; differing values become conflicts."""
    changes: dict[str, Any] = {}
    for name in (*_MERGED_FIELDS, "outlet"):
        offered = getattr(row, name)
        if offered is None:
            continue
        held = getattr(base, name)
        if held is None:
            changes[name] = offered
            if name == "outlet":
                changes["outlet_type"] = row.outlet_type
                changes["outlet_language"] = row.outlet_language
        elif not _same(name, held, offered):
            conflicts.append(Conflict(row.line, label, name, _shown(held), _shown(offered)))
    if row.do_not_contact:
        changes["do_not_contact"] = True
    elif base.do_not_contact is None and row.do_not_contact is not None:
        changes["do_not_contact"] = row.do_not_contact
    if row.last_contacted_at is not None and (
        base.last_contacted_at is None or row.last_contacted_at > base.last_contacted_at
    ):
        changes["last_contacted_at"] = row.last_contacted_at
    return replace(base, **changes) if changes else base


def merge_rows(rows: Sequence[ImportRow]) -> tuple[list[ImportRow], int, list[Conflict]]:
    """Rows with duplicates folded into the first row of each person (see ``ImportRow.key``).

    Returns the merged rows (in file order), how many rows were folded and the conflicts.
    """
    merged: dict[tuple[str, ...], ImportRow] = {}
    conflicts: list[Conflict] = []
    folded = 0
    for row in rows:
        key = row.key()
        if key in merged:
            merged[key] = _fold(merged[key], row, conflicts, merged[key].label())
            folded += 1
        else:
            merged[key] = row
    return list(merged.values()), folded, conflicts


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _outlets(
    session: Session, rows: Sequence[ImportRow], default_type: OutletType, conflicts: list[Conflict]
) -> tuple[dict[str, int], list[str]]:
    """Outlet name (folded: any case and accents, as ``outlet_named``) -> id for every
    outlet the rows name; unknown ones created."""
    wanted: dict[str, ImportRow] = {}
    for row in rows:
        if row.outlet and fold(row.outlet) not in wanted:
            wanted[fold(row.outlet)] = row
    found: dict[str, Outlet] = {}
    exact: set[str] = set()  # keys whose outlet is spelt as a row spells it
    for chunk in _chunks(sorted(wanted)):
        query = select(Outlet).where(Outlet.search_name.in_(chunk)).order_by(Outlet.id)
        for outlet in session.scalars(query):
            key = fold(outlet.name)
            if outlet.name == wanted[key].outlet and key not in exact:
                found[key] = outlet  # the exact spelling wins over an older look-alike
                exact.add(key)
            else:
                found.setdefault(key, outlet)
    ids: dict[str, int] = {}
    created: list[str] = []
    for key, row in wanted.items():
        outlet = found.get(key)
        if outlet is None:
            outlet = Outlet(
                name=row.outlet,
                type=row.outlet_type or default_type,
                language=row.outlet_language or "en",
                notes="",
            )
            session.add(outlet)
            created.append(f"{row.outlet} ({outlet.type.value})")
        elif row.outlet_type is not None and row.outlet_type is not outlet.type:
            conflicts.append(
                Conflict(
                    row.line, outlet.name, "outlet type", outlet.type.value, row.outlet_type.value
                )
            )
        found[key] = outlet
    session.flush()
    for key in wanted:
        ids[key] = found[key].id
    return ids, created


@dataclass
class _Known:
    """Contacts in the database (and added by this import) that rows may be."""

    by_email: dict[str, Contact]
    by_name: dict[tuple[str, ...], Contact]  # name + outlet, any contact
    outlets: dict[Contact, str]  # the outlet's name of each (one object per row per session)

    def match(self, row: ImportRow) -> Contact | None:
        """By email; a row without one by name and outlet; a row whose email is new also
        by name and outlet, but only a contact that has no email yet (else: another person)."""
        if row.email:
            found = self.by_email.get(row.email.casefold())
            if found is not None:
                return found
            candidate = self.by_name.get(row.name_key())
            return candidate if candidate is not None and not candidate.email else None
        return self.by_name.get(row.name_key())

    def add(self, contact: Contact, row: ImportRow) -> None:
        if contact.email:
            self.by_email.setdefault(contact.email.casefold(), contact)
        self.by_name.setdefault(row.name_key(), contact)


def _existing(session: Session, rows: Sequence[ImportRow]) -> _Known:
    """Contacts already in the database that rows may match, in chunked IN queries."""
    known = _Known({}, {}, {})
    emails = sorted({row.email.casefold() for row in rows if row.email})
    names = sorted({fold(row.name) for row in rows})
    base = select(Contact, Outlet.name).outerjoin(Outlet, Contact.outlet_id == Outlet.id)
    queries = [
        base.where(func.lower(Contact.email).in_(chunk)).order_by(Contact.id)
        for chunk in _chunks(emails)
    ] + [
        base.where(Contact.search_name.in_(chunk)).order_by(Contact.id) for chunk in _chunks(names)
    ]
    for query in queries:
        for contact, outlet_name in session.execute(query):
            known.outlets[contact] = outlet_name or ""
            if contact.email:
                known.by_email.setdefault(contact.email.casefold(), contact)
            known.by_name.setdefault(_name_key(contact.name, outlet_name), contact)
    return known


def _fill(
    contact: Contact,
    row: ImportRow,
    outlet_id: int | None,
    outlet_name: str,
    conflicts: list[Conflict],
) -> bool:
    """Fill the contact's empty fields from the row; report differing values; True if changed."""
    label = f"{contact.name} <{contact.email}>" if contact.email else contact.name
    changed = False
    for name in _MERGED_FIELDS:
        offered = getattr(row, name)
        if offered is None:
            continue
        held = getattr(contact, name)
        if held is None or held == "":
            setattr(contact, name, offered)
            changed = True
        elif not _same(name, held, offered):
            conflicts.append(Conflict(row.line, label, name, _shown(held), _shown(offered)))
    if outlet_id is not None and contact.outlet_id != outlet_id:
        if contact.outlet_id is None:
            contact.outlet_id = outlet_id
            changed = True
        else:
            conflicts.append(Conflict(row.line, label, "outlet", outlet_name, row.outlet or ""))
    if row.do_not_contact and not contact.do_not_contact:
        contact.do_not_contact = True  # a do-not-contact flag is never dropped by an import
        changed = True
    if row.last_contacted_at is not None and (
        contact.last_contacted_at is None or row.last_contacted_at > contact.last_contacted_at
    ):
        contact.last_contacted_at = row.last_contacted_at  # the stamp only moves forward
        changed = True
    return changed


def import_contacts(
    db: Database,
    parsed: ParsedFile,
    *,
    strict: bool = False,
    outlet_type: OutletType | str = OutletType.ONLINE,
) -> ImportReport:
    """Write a parsed file: every valid row, in one transaction (see the module docstring).

    ``outlet_type`` is given to outlets the file names that do not exist yet (unless the
    row carries an outlet type). With ``strict`` nothing is written when any row is bad.
    """
    default_type = parse_outlet_type(outlet_type)
    total = len(parsed.rows) + len(parsed.problems)
    if strict and parsed.problems:
        return ImportReport(
            format=parsed.format,
            rows=total,
            added=0,
            merged=0,
            updated=0,
            skipped=parsed.problems,
            conflicts=(),
            outlets_created=(),
            written=False,
            ignored_columns=parsed.ignored_columns,
        )
    rows, folded, conflicts = merge_rows(parsed.rows)
    added = updated = matched = 0
    created: list[str] = []
    if rows:
        with db.transaction() as session:
            outlet_ids, created = _outlets(session, rows, default_type, conflicts)
            known = _existing(session, rows)
            for row in rows:
                outlet_id = outlet_ids.get(fold(row.outlet)) if row.outlet else None
                contact = known.match(row)
                if contact is not None:
                    matched += 1
                    held_outlet = known.outlets.get(contact, "")
                    had_email = contact.email
                    updated += _fill(contact, row, outlet_id, held_outlet, conflicts)
                    if contact.email and not had_email:
                        known.add(contact, row)
                    if not held_outlet and contact.outlet_id is not None:
                        known.outlets[contact] = row.outlet or ""
                    continue
                contact = Contact(
                    name=row.name,
                    outlet_id=outlet_id,
                    beat=row.beat or "",
                    email=row.email,
                    phone=row.phone,
                    social=row.social,
                    language=row.language or "en",
                    do_not_contact=bool(row.do_not_contact),
                    notes=row.notes or "",
                    last_contacted_at=row.last_contacted_at,
                )
                session.add(contact)
                known.add(contact, row)
                known.outlets[contact] = row.outlet or ""
                added += 1
                if added % _FLUSH_EVERY == 0:
                    # The audit hook's cost grows with the square of the rows pending in
                    # one flush; small flushes keep a 5,000-row import's lock short.
                    session.flush()
            session.flush()
    conflicts.sort(key=lambda c: c.line)
    return ImportReport(
        format=parsed.format,
        rows=total,
        added=added,
        merged=folded + matched,
        updated=updated,
        skipped=parsed.problems,
        conflicts=tuple(conflicts),
        outlets_created=tuple(created),
        written=True,
        ignored_columns=parsed.ignored_columns,
    )
