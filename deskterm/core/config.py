"""Settings in force and where each came from: flags, environment, the TOML file, defaults.

Precedence (design.md): ``--db``/``--user`` flags, then ``DESKTERM_DB``/``DESKTERM_USER``,
then the config file, then defaults (the platform's user data directory; the login name).
"""

from __future__ import annotations

import contextlib
import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from db.connection import default_user
from deskterm.core.errors import InputError

APP_NAME = "deskterm"
DEFAULT_LEADERS = ("Mayor", "Deputy Mayor", "City Manager")


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    override = env.get("DESKTERM_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"


@dataclass(frozen=True)
class Settings:
    database: str
    user: str
    timezone: str  # IANA name, or "local"
    theme: str
    fetch_interval_minutes: int
    distribution_list: tuple[str, ...]
    holidays: tuple[date, ...]
    leaders: tuple[str, ...]
    allow_self_approval: bool
    config_path: Path
    sources: Mapping[str, str] = field(default_factory=dict)
    report_dir: str = ""  # where the desk writes clip reports; "" = data_dir()/reports
    report_recipients: tuple[str, ...] = ()  # To: of the clip report e-mail (.eml)
    report_from: str = ""  # From: of the clip report e-mail; "" = the user @localhost

    def report_folder(self) -> Path:
        return Path(self.report_dir).expanduser() if self.report_dir else data_dir() / "reports"

    def tz(self) -> tzinfo:
        """The desk's time zone: times are stored in UTC and shown in this zone."""
        if self.timezone == "local":
            name = local_zone_name()
            # ZoneInfo converts far faster than dateutil's tzlocal (a month's calendar: 10x).
            if name:
                return ZoneInfo(name)
            from dateutil import tz as dateutil_tz

            return dateutil_tz.tzlocal()
        return ZoneInfo(self.timezone)

    def as_rows(self) -> list[tuple[str, str, str]]:
        """(setting, value, source) rows for `deskterm config`."""
        values: dict[str, Any] = {
            "database": self.database,
            "user": self.user,
            "timezone": self.timezone,
            "theme": self.theme,
            "fetch_interval_minutes": self.fetch_interval_minutes,
            "distribution_list": ", ".join(self.distribution_list),
            "holidays": ", ".join(d.isoformat() for d in self.holidays),
            "leaders": ", ".join(self.leaders),
            "allow_self_approval": self.allow_self_approval,
            "report_dir": str(self.report_folder()),
            "report_recipients": ", ".join(self.report_recipients),
            "report_from": self.report_from,
        }
        return [(k, str(v), self.sources.get(k, "default")) for k, v in values.items()]


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"config file {path} is not valid TOML: {error}") from error
    except OSError as error:
        raise InputError(f"cannot read config file {path}: {error.strerror}") from error


@functools.cache
def local_zone_name() -> str | None:
    """The machine's IANA zone name: ``TZ``, ``/etc/timezone`` or the ``/etc/localtime``
    link; None when none of them names a zone this Python knows."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    with contextlib.suppress(OSError):
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and ".." not in name and not name.startswith("/"):
            try:
                return ZoneInfo(name).key
            except (ZoneInfoNotFoundError, ValueError, OSError):
                continue
    return None


def load_settings(
    *,
    db: str | None = None,
    user: str | None = None,
    env: Mapping[str, str] = os.environ,
    config_path: Path | None = None,
) -> Settings:
    path = config_path or default_config_path(env)
    file = read_config_file(path)
    sources: dict[str, str] = {}

    def pick(key: str, flag: str | None, env_key: str | None, default: Any) -> Any:
        if flag:
            sources[key] = "command line"
            return flag
        if env_key and env.get(env_key):
            sources[key] = f"environment {env_key}"
            return env[env_key]
        if key in file:
            sources[key] = f"config {path}"
            return file[key]
        sources[key] = "default"
        return default

    database = pick("database", db, "DESKTERM_DB", str(data_dir() / "deskterm.sqlite3"))
    who = pick("user", user, "DESKTERM_USER", None) or default_user()
    timezone = pick("timezone", None, "DESKTERM_TZ", "local")
    theme = pick("theme", None, None, "textual-dark")
    interval = pick("fetch_interval_minutes", None, None, 10)
    distribution = pick("distribution_list", None, None, [])
    holidays = pick("holidays", None, None, [])
    leaders = pick("leaders", None, None, list(DEFAULT_LEADERS))
    self_approval = pick("allow_self_approval", None, None, False)
    report_dir = pick("report_dir", None, None, "")
    report_recipients = pick("report_recipients", None, None, [])
    report_from = pick("report_from", None, None, "")

    settings = Settings(
        database=str(database),
        user=str(who),
        timezone=str(timezone),
        theme=str(theme),
        fetch_interval_minutes=_positive_int(interval, "fetch_interval_minutes", path),
        distribution_list=tuple(str(x) for x in _as_list(distribution, "distribution_list")),
        holidays=tuple(_as_date(x, path) for x in _as_list(holidays, "holidays")),
        leaders=tuple(str(x) for x in _as_list(leaders, "leaders")),
        allow_self_approval=_as_bool(self_approval, "allow_self_approval", path),
        config_path=path,
        sources=sources,
        report_dir=str(report_dir),
        report_recipients=_as_addresses(
            _as_list(report_recipients, "report_recipients"), "report_recipients", path
        ),
        report_from=(_as_addresses([report_from], "report_from", path) or ("",))[0],
    )
    _check_timezone(settings.timezone, sources["timezone"])
    return settings


def _as_list(value: Any, key: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    raise InputError(f"config {key} must be a list")


def _as_addresses(values: list[Any], key: str, path: Path) -> tuple[str, ...]:
    """E-mail addresses ("a@city.example" or "Name <a@city.example>"), one line each."""
    from email.utils import parseaddr

    found: list[str] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        _name, address = parseaddr(text)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text) or "@" not in address:
            raise InputError(f"config {path}: {key} {text!r} is not an e-mail address")
        found.append(text)
    return tuple(found)


def _as_bool(value: Any, key: str, path: Path) -> bool:
    if isinstance(value, bool):
        return value
    raise InputError(f"config {path}: {key} must be true or false, not {value!r}")


def _as_date(value: Any, path: Path) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise InputError(f"config {path}: holiday {value!r} is not a YYYY-MM-DD date") from error


def _positive_int(value: Any, key: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"config {path}: {key} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except ValueError as error:
        raise InputError(f"config {path}: {key} must be a whole number") from error
    if number < 1:
        raise InputError(f"config {path}: {key} must be at least 1")
    return number


def _check_timezone(name: str, source: str) -> None:
    if name == "local":
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InputError(f"unknown time zone {name!r} (from {source})") from error


def save_setting(path: Path, key: str, value: Any) -> None:
    """Write one setting into the TOML file (e.g. the chosen theme), changing nothing else:
    the other settings, the comments, the layout and any table stay as the user wrote
    them (``tomlkit`` edits the document; re-serialising the parsed data lost them)."""
    import tomlkit  # only to write (a command's start-up does not pay for it)

    read_config_file(path)  # a file that is not valid TOML: the one-line error, untouched
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    document = tomlkit.parse(text)
    document[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomlkit.dumps(document), encoding="utf-8")
    tmp.replace(path)
