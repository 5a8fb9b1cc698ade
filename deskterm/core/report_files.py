"""The day's clip report written to files: Markdown, printable HTML and an e-mail (.eml).

The desk's report key calls this; the folder is the config's ``report_dir`` (default
``reports`` in the platform's user data directory). Files are written to a temporary
name and renamed, so a half-written report is never left under the real name. The answer
carries the report's ``warning`` (no recipients), which the desk shows as the command line
does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

from db.engine import Database
from deskterm.core.config import Settings

FORMATS = ("md", "html", "eml")


@dataclass(frozen=True)
class WrittenReport:
    paths: tuple[Path, ...]  # one per format, in ``FORMATS`` order
    warning: str | None  # ``ClipReport.warning``: the e-mail has no recipients

    @property
    def folder(self) -> Path:
        return self.paths[0].parent

    def summary(self) -> str:
        """The one line the desk shows: where the files went, and the warning if any."""
        names = ", ".join(p.name for p in self.paths)
        line = f"clip report written to {self.folder}: {names}"
        return line if self.warning is None else f"{line}; {self.warning}"


def _write(path: Path, content: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(content, bytes):
        tmp.write_bytes(content)
    else:
        tmp.write_text(content, encoding="utf-8", newline="\n")
    tmp.replace(path)


def write_day_report(
    db: Database,
    settings: Settings,
    *,
    now: datetime,
    tz: tzinfo,
    day: date | None = None,
    folder: Path | None = None,
) -> WrittenReport:
    """Build the report of ``day`` (today in the desk's zone by default) and write one file
    per format; returns the paths written and the report's warning."""
    from deskterm.core.clip_report import build_report, render_report

    day = day or now.astimezone(tz).date()
    folder = folder or settings.report_folder()
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(db, day, now=now, settings=settings, tz=tz)
    paths: list[Path] = []
    for fmt in FORMATS:
        path = folder / f"clip-report-{day.isoformat()}.{fmt}"
        _write(path, render_report(report, fmt))
        paths.append(path)
    return WrittenReport(tuple(paths), report.warning)
