"""Two desks (two real processes) importing overlapping contact files into one file at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from db.models import AuditLog, Contact, Outlet
from db.schema import check

IMPORTER = Path(__file__).parent / "procs" / "contact_importer.py"
ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 180  # A imports 0-119, B imports 60-179: 60 people in both files
BATCH = 20  # rows per file: each desk runs six short import transactions


def write_batches(folder: Path, tag: str, people: range, *, upper: bool) -> list[str]:
    folder.mkdir()
    files = []
    numbers = list(people)
    for start in range(0, len(numbers), BATCH):
        lines = ["name,email,outlet,beat,phone"]
        for n in numbers[start : start + BATCH]:
            email = f"reporter{n}@news.example"
            lines.append(
                f"Reporter {n},{email.upper() if upper else email},Outlet {n % 7},"
                f"{'beat ' + tag if n % 2 else ''},{'555-' + str(n) if tag == 'B' else ''}"
            )
        path = folder / f"{tag}-{start}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(str(path))
    return files


def test_overlapping_imports_at_once_never_duplicate_anyone(db, db_path, tmp_path) -> None:
    barrier = tmp_path / "go"
    batches = {
        "A": write_batches(tmp_path / "a", "A", range(0, 120), upper=False),
        "B": write_batches(tmp_path / "b", "B", range(60, 180), upper=True),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, str(IMPORTER), str(db_path), tag, str(barrier), *files],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag, files in batches.items()
    ]
    barrier.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sum(r["added"] for r in results) == PEOPLE
    assert sum(r["merged"] for r in results) == 60  # each shared person merged exactly once
    assert sum(r["skipped"] for r in results) == 0
    with db.read() as session:
        emails = session.scalars(select(func.lower(Contact.email))).all()
        outlets = session.scalars(select(Outlet.name)).all()
        inserts = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "contacts", AuditLog.action == "insert")
        )
        shared = session.execute(
            select(Contact.name, Contact.phone, Contact.beat).where(
                Contact.name.in_([f"Reporter {n}" for n in range(60, 120)])
            )
        ).all()
    assert len(emails) == len(set(emails)) == PEOPLE
    assert sorted(outlets) == [f"Outlet {n}" for n in range(7)]  # created once each
    assert inserts == PEOPLE
    # whoever came second filled the empty fields and kept the first desk's values
    assert len(shared) == 60
    assert all(phone == f"555-{name.split()[1]}" for name, phone, _ in shared)
    assert {beat for _, _, beat in shared} <= {"", "beat A", "beat B"}
    assert check(db).ok
