"""CSV cells that a spreadsheet shows as text, never runs as a formula.

A contact named ``=HYPERLINK("http://evil.example", "Click")`` or a request subject
beginning ``+cmd|...`` would run as a formula when the export is opened in Excel or
LibreOffice (CSV injection). Cells that begin with a formula character are written with a
leading apostrophe, which spreadsheets take as "text" and do not show; our own importer
takes it off again, so an export imports back unchanged.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet will not evaluate."""
    return "'" + value if value.startswith(FORMULA_START) else value


def from_text_cell(value: str) -> str:
    """Undo ``as_text_cell``: the apostrophe before a formula character is dropped."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
