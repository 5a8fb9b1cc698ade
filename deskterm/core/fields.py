"""Validation shared by the domain modules: choices, aware times, comma lists.

Every failure is an ``InputError`` naming the field, so a form can show it in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

from deskterm.core.errors import InputError

E = TypeVar("E", bound=Enum)


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
    raise InputError(f"unknown {label} {value!r}; choose one of {choices}", field=field)


def optional_choice(enum_cls: type[E], value: object, *, field: str) -> E | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_choice(enum_cls, value, field=field)


def aware(value: object, *, field: str) -> datetime:
    """An aware datetime in UTC; naive times and non-datetimes are refused."""
    label = field.replace("_", " ")
    if not isinstance(value, datetime):
        raise InputError(f"{label} must be a date and time, not {value!r}", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{label} has no time zone (got {value.isoformat()})", field=field)
    return value.astimezone(UTC)


def aware_or_none(value: object, *, field: str) -> datetime | None:
    return None if value is None else aware(value, field=field)


def split_list(text: str) -> tuple[str, ...]:
    """A stored comma list as a tuple (blank items dropped)."""
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
