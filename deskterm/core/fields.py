"""Validation shared by the domain modules: text, language tags, web addresses, list
limits, yes/no flags, choices, aware times and comma lists.

Every failure is an ``InputError`` naming the field, so a form can show it in place; the
message is one line and calls the field by its ``label`` (the field name with spaces,
unless a caller gives a friendlier one).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar
from urllib.parse import urlsplit

from deskterm.core.errors import InputError

E = TypeVar("E", bound=Enum)

#: The most rows one list call returns (lists are windows, never whole tables).
MAX_LIST = 1000
#: Default bound for free (multi-line) text.
MAX_TEXT = 100_000
#: Bound for web addresses (the columns holding them are 2000 characters).
MAX_URL = 2000
#: Bound for language tags (the columns holding them are 16 characters).
MAX_LANGUAGE = 16

_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")
_KEPT_CONTROLS = frozenset("\n\t")


def _label(field: str, label: str | None) -> str:
    return label if label is not None else field.replace("_", " ")


def _too_long(label: str, length: int, max_length: int, field: str) -> InputError:
    return InputError(
        f"{label}: {length} characters is too long (at most {max_length})", field=field
    )


def line_text(
    value: object,
    *,
    field: str,
    max_length: int,
    required: bool = False,
    label: str | None = None,
    collapse: bool = True,
) -> str:
    """One line of text, trimmed, with runs of whitespace collapsed to one space (unless
    ``collapse`` is false, e.g. for file paths); None is "". Refused: non-text, control
    characters (line breaks, tabs, escapes) inside the text, more than ``max_length``
    characters, and an empty value when ``required``."""
    label = _label(field, label)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{label} must be text, not {value!r}", field=field)
    text = value.strip()
    if required and not text:
        raise InputError(f"{label} is required", field=field)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InputError(f"{label} must be one line without control characters", field=field)
    if collapse:
        text = " ".join(text.split())
    if len(text) > max_length:
        raise _too_long(label, len(text), max_length, field)
    return text


def free_text(
    value: object, *, field: str, max_length: int = MAX_TEXT, label: str | None = None
) -> str:
    """Multi-line text, trimmed: line breaks become ``\\n``, tabs stay, other control
    characters are dropped; None is "". Refused: non-text, more than ``max_length``."""
    label = _label(field, label)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{label} must be text, not {value!r}", field=field)
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) != "Cc"
    ).strip()
    if len(text) > max_length:
        raise _too_long(label, len(text), max_length, field)
    return text


def language_tag(value: object, *, field: str = "language") -> str:
    """A language tag such as ``en``, ``es`` or ``zh-hant``: lower case, ``_`` read as ``-``.

    A 2-3 letter language, then subtags of 2-8 letters or digits, at most 16 characters.
    """
    text = line_text(value, field=field, max_length=MAX_LANGUAGE)
    if not text:
        raise InputError(
            f"{field} is required: a language code such as en, es or zh-hant", field=field
        )
    tag = text.lower().replace("_", "-")
    if not _LANGUAGE.fullmatch(tag):
        raise InputError(
            f"{field} {text!r} is not a language code such as en, es or zh-hant", field=field
        )
    return tag


def web_url(
    value: object, *, field: str, max_length: int = MAX_URL, label: str | None = None
) -> str | None:
    """An http(s) address with a host name, as given (trimmed); None for empty. Refused:
    other schemes, no host, a bad port, spaces or control characters, too long."""
    label = _label(field, label)
    text = line_text(value, field=field, max_length=max_length, label=label, collapse=False)
    if not text:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    else:
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    if not ok or any(ch.isspace() for ch in text):
        raise InputError(
            f"{label} {text!r} is not a web address (http:// or https://)", field=field
        )
    return text


def list_limit(
    value: object, *, field: str = "limit", minimum: int = 1, maximum: int = MAX_LIST
) -> int:
    """How many rows a list call returns: a whole number from ``minimum`` to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InputError(
            f"{_label(field, None)} must be a whole number from {minimum} to {maximum}, "
            f"not {value!r}",
            field=field,
        )
    return value


def boolean(value: object, *, field: str) -> bool:
    """True or False itself (no truthy strings or numbers)."""
    if not isinstance(value, bool):
        raise InputError(f"{_label(field, None)} must be true or false, not {value!r}", field=field)
    return value


def parse_choice(enum_cls: type[E], value: object, *, field: str) -> E:
    """An enum member from itself or its value (any case; spaces and hyphens as underscores)."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return enum_cls(key)
        except ValueError:
            pass
    choices = ", ".join(str(member.value) for member in enum_cls)
    label = field.replace("_", " ")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{label} cannot be empty; choose one of {choices}", field=field)
    raise InputError(f"unknown {label} {value!r}; choose one of {choices}", field=field)


def optional_choice(enum_cls: type[E], value: object, *, field: str) -> E | None:
    """None for None or blank text, else ``parse_choice``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_choice(enum_cls, value, field=field)


def aware(value: object, *, field: str) -> datetime:
    """An aware datetime in UTC; None, naive times and non-datetimes are refused."""
    label = field.replace("_", " ")
    if value is None:
        raise InputError(f"{label} is required (a date and time)", field=field)
    if not isinstance(value, datetime):
        raise InputError(f"{label} must be a date and time, not {value!r}", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{label} has no time zone (got {value.isoformat()})", field=field)
    return value.astimezone(UTC)


def aware_or_none(value: object, *, field: str) -> datetime | None:
    """None, or an aware datetime in UTC as ``aware``."""
    return None if value is None else aware(value, field=field)


@functools.lru_cache(maxsize=1024)
def split_list(text: str) -> tuple[str, ...]:
    """A stored comma list as a tuple (blank items dropped). Cached: a month's calendar
    splits the same few leader lists thousands of times."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def join_list(items: Sequence[str] | str | None, *, field: str, max_length: int) -> str:
    """Items (or one comma-separated string) as stored comma text; no item may hold a comma."""
    if items is None:
        return ""
    if isinstance(items, str):
        items = items.split(",")
    cleaned: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{field} must be text, not {item!r}", field=field)
        item = " ".join(item.split())
        if "," in item:
            raise InputError(f"{field} item {item!r} must not contain a comma", field=field)
        if item and item not in cleaned:
            cleaned.append(item)
    text = ",".join(cleaned)
    if len(text) > max_length:
        raise InputError(f"{field} is too long (at most {max_length} characters)", field=field)
    return text
