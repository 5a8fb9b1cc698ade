"""Dependencies point one way: db/ <- deskterm/core/ <- cli/UI; Textual stays in the UI.

See docs/architecture.md, "Layers". The import test runs in a fresh interpreter so
that nothing the test session already imported (Textual for the UI tests) hides a leak.
Modules under deskterm/core/ are discovered at run time, so new ones are covered.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_FOR_CORE = ("textual",)
FORBIDDEN_FOR_DB = ("textual", "deskterm")

PROBE = r"""
import importlib, json, pkgutil, sys

import db, db.models, db.engine, db.schema, db.changes, db.presence
import deskterm.core

imported = ["db", "db.models", "db.engine", "db.schema", "db.changes", "db.presence"]
for info in pkgutil.walk_packages(deskterm.core.__path__, "deskterm.core."):
    importlib.import_module(info.name)
    imported.append(info.name)
import deskterm.cli.main
imported.append("deskterm.cli.main")

offenders = sorted(
    name for name in sys.modules if name == "textual" or name.startswith("textual.")
)
print(json.dumps({"imported": imported, "offenders": offenders}))
"""


def _probe() -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_and_cli_do_not_load_textual() -> None:
    found = _probe()
    core_modules = sorted(p.stem for p in (ROOT / "deskterm" / "core").glob("*.py"))
    for stem in core_modules:
        if stem != "__init__":
            assert f"deskterm.core.{stem}" in found["imported"], stem
    assert not found["offenders"], (
        f"importing db, deskterm.core and deskterm.cli.main loaded Textual: {found['offenders']}"
    )


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, anywhere in it (functions too): (line, absolute name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
    return names


def _offending_imports(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    offenders = []
    for path in sorted(folder.rglob("*.py")):
        for line, name in _imports(path):
            if name.split(".")[0] in forbidden:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: import {name}")
    return offenders


def test_db_imports_neither_deskterm_nor_textual() -> None:
    files = list((ROOT / "db").rglob("*.py"))
    assert len(files) > 5  # the scan found the package (migrations included)
    offenders = _offending_imports(ROOT / "db", FORBIDDEN_FOR_DB)
    assert not offenders, "\n".join(offenders)


def test_core_never_imports_textual_even_lazily() -> None:
    offenders = _offending_imports(ROOT / "deskterm" / "core", FORBIDDEN_FOR_CORE)
    assert not offenders, "\n".join(offenders)
