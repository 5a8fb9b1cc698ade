"""Our widgets must not overwrite Textual's private attributes.

Twice a harmless-looking ``self._context`` / ``self._task`` replaced one of Textual's own
(the message pump's), which hung or crashed the desk. This scans every attribute our UI
classes assign and compares it with the names Textual's base classes use.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import textual
from textual.app import App
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.widgets import DataTable, Input, OptionList, Static

ROOT = Path(__file__).resolve().parents[2] / "deskterm"
ASSIGNED = re.compile(r"self\.(_[A-Za-z0-9_]+)\s*(?::[^=]+)?=(?!=)")


def textual_names() -> set[str]:
    """Every attribute the Textual classes we subclass define or assign."""
    names: set[str] = set()
    sources: set[str] = set()
    for cls in (App, ModalScreen, Vertical, ScrollView, DataTable, Input, OptionList, Static):
        for klass in cls.__mro__:
            names |= set(vars(klass))
            try:
                source = inspect.getsourcefile(klass)
            except TypeError:  # builtins (object)
                continue
            if source and source.startswith(str(Path(textual.__file__).parent)):
                sources.add(source)
    for source in sources:
        names |= set(ASSIGNED.findall(Path(source).read_text(encoding="utf-8")))
    return names


def test_no_ui_class_assigns_a_textual_private_name():
    taken = textual_names()
    clashes = {}
    ui = [
        ROOT / "app.py",
        ROOT / "commands.py",
        *(ROOT / "widgets").glob("*.py"),
        *(ROOT / "screens").glob("*.py"),
    ]
    for path in ui:
        mine = set(ASSIGNED.findall(path.read_text(encoding="utf-8")))
        if found := sorted(mine & taken):
            clashes[str(path.relative_to(ROOT))] = found
    assert not clashes, f"rename these (Textual uses them): {clashes}"
