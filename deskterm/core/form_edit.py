"""An edit form's text against the stored record it edits, under the version check.

A form shows a record as text, one string a field (``Loaded.texts``), and saves only the
fields whose text was changed, on the version it loaded. When another desk saved the record
first, the save is refused (``db.errors.ConflictError``) and the form offers the conflict view:
per field, what was loaded, what the other desk saved and what was typed (``compare``);
"apply mine" writes the typed fields on top of the other desk's version (``apply_mine``: a new
versioned write, audited like any other, refused again if the record moved on once more).
No Textual here: the card, event, contact and topic forms use it, and so can a test in two
processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from deskterm.core.requests import FieldChange


@dataclass(frozen=True)
class Loaded:
    """A stored record as an edit form shows it."""

    record: Any
    version: int  # the version a save of this text checks
    name: str  # the record as people know it: card “Budget presser”, contact “Dana Whitfield”
    texts: Mapping[str, str]  # field -> the form's text for it


@dataclass(frozen=True)
class Edit:
    """How a form edits one stored record.

    ``load()`` reads the record as it is stored now (a database call: run it in a worker);
    ``write(base, typed)`` saves the fields whose typed text differs from ``base.texts`` on
    ``base.version`` and returns the saved record (``base.record`` when nothing changed);
    it raises ``ConflictError`` when someone saved since ``base`` and ``InputError`` at a field.
    """

    loaded: Loaded
    load: Callable[[], Loaded]
    write: Callable[[Loaded, Mapping[str, str]], Any]


def changed(base: Loaded, typed: Mapping[str, str]) -> dict[str, str]:
    """The fields whose typed text differs from how ``base`` reads."""
    return {
        key: text for key, text in typed.items() if key in base.texts and text != base.texts[key]
    }


def rebase(base: Loaded, theirs: Loaded, typed: Mapping[str, str]) -> dict[str, str]:
    """An edit made on ``base`` moved onto ``theirs``: their text, except the fields typed."""
    mine = changed(base, typed)
    return {key: mine.get(key, theirs.texts.get(key, text)) for key, text in typed.items()}


def apply_mine(edit: Edit, base: Loaded, theirs: Loaded, typed: Mapping[str, str]) -> Any:
    """Save what was typed on ``base`` on top of ``theirs`` (their version as the new base)."""
    return edit.write(theirs, rebase(base, theirs, typed))


def compare(
    base: Loaded,
    theirs: Loaded,
    typed: Mapping[str, str],
    labels: Mapping[str, str],
    shown: Callable[[str, str], str] = lambda _key, text: text,
) -> list[FieldChange]:
    """The fields (of ``labels``, in its order) the edit or the other desk changed: first
    those the edit changes (``apply_mine`` sets them), then those only they changed (kept).
    ``shown(field, text)`` is how a value reads in the view (a picker's label, say)."""
    rows: list[FieldChange] = []
    for key, label in labels.items():
        before = base.texts.get(key, "")
        now_saved = theirs.texts.get(key, "")
        mine = typed.get(key, before)
        if mine != before or now_saved != before:
            rows.append(
                FieldChange(
                    field=key,
                    label=label,
                    base=shown(key, before),
                    theirs=shown(key, now_saved),
                    mine=shown(key, mine),
                    mine_changed=mine != before,
                    theirs_changed=now_saved != before,
                )
            )
    rows.sort(key=lambda row: not row.mine_changed)
    return rows
