"""Settings: precedence flag > environment > config file > default, and where each came from."""

from __future__ import annotations

import getpass
import os
import sys
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
import pytest

from deskterm.core.config import (
    DEFAULT_LEADERS,
    default_config_path,
    load_settings,
    save_setting,
)
from deskterm.core.errors import InputError


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


# --- precedence and sources ---------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "env", "in_file", "value", "source"),
    [
        ("flag", "env", "file", "flag", "command line"),
        (None, "env", "file", "env", "environment DESKTERM_{KEY}"),
        (None, None, "file", "file", "config {cfg}"),
        ("flag", None, "file", "flag", "command line"),
        ("flag", "env", None, "flag", "command line"),
        (None, "env", None, "env", "environment DESKTERM_{KEY}"),
    ],
)
@pytest.mark.parametrize("key", ["database", "user"])
def test_precedence_and_sources(
    key: str,
    flag: str | None,
    env: str | None,
    in_file: str | None,
    value: str,
    source: str,
    cfg: Path,
) -> None:
    env_key = "DESKTERM_DB" if key == "database" else "DESKTERM_USER"
    if in_file:
        write(cfg, f'{key} = "{in_file}"\n')
    environ = {env_key: env} if env else {}
    flags = {"db" if key == "database" else "user": flag}
    settings = load_settings(**flags, env=environ, config_path=cfg)
    assert getattr(settings, key) == value
    expected_source = source.format(KEY="DB" if key == "database" else "USER", cfg=cfg)
    assert settings.sources[key] == expected_source
    rows = {name: (val, src) for name, val, src in settings.as_rows()}
    assert rows[key] == (value, expected_source)


def test_empty_flag_and_empty_env_do_not_count(cfg: Path) -> None:
    write(cfg, 'database = "from-file.sqlite3"\n')
    settings = load_settings(db="", env={"DESKTERM_DB": ""}, config_path=cfg)
    assert settings.database == "from-file.sqlite3"
    assert settings.sources["database"] == f"config {cfg}"


def test_config_path_comes_from_deskterm_config(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "desk.toml"
    path.parent.mkdir()
    write(path, 'theme = "nord"\n')
    assert default_config_path({"DESKTERM_CONFIG": str(path)}) == path
    settings = load_settings(env={"DESKTERM_CONFIG": str(path)})
    assert settings.config_path == path
    assert settings.theme == "nord"
    assert settings.sources["theme"] == f"config {path}"


def test_config_path_default_is_the_platform_config_dir() -> None:
    expected = Path(platformdirs.user_config_dir("deskterm", appauthor=False)) / "config.toml"
    assert default_config_path({}) == expected


# --- defaults -----------------------------------------------------------------------


def test_defaults(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "kjones")  # what getpass.getuser() reads first
    settings = load_settings(env={}, config_path=cfg)
    data = Path(platformdirs.user_data_dir("deskterm", appauthor=False))
    assert settings.database == str(data / "deskterm.sqlite3")
    assert settings.user == getpass.getuser() == "kjones"
    assert settings.timezone == "local"
    assert settings.theme == "textual-dark"
    assert settings.fetch_interval_minutes == 10
    assert settings.distribution_list == ()
    assert settings.holidays == ()
    assert settings.leaders == DEFAULT_LEADERS
    assert settings.allow_self_approval is False
    assert settings.config_path == cfg
    assert set(settings.sources.values()) == {"default"}
    assert not cfg.exists()  # reading the settings writes nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG folders are Linux's")
def test_default_database_is_under_the_isolated_data_dir() -> None:
    # conftest points XDG_DATA_HOME at a temporary home: never the developer's real data
    settings = load_settings()
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert Path(settings.database) == data_home / "deskterm" / "deskterm.sqlite3"


def test_timezone_env_beats_file(cfg: Path) -> None:
    write(cfg, 'timezone = "Europe/Paris"\n')
    settings = load_settings(env={"DESKTERM_TZ": "Asia/Tokyo"}, config_path=cfg)
    assert settings.timezone == "Asia/Tokyo"
    assert settings.sources["timezone"] == "environment DESKTERM_TZ"
    assert load_settings(env={}, config_path=cfg).timezone == "Europe/Paris"


# --- list, str and date forms -------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('["a@city.gov", "b@city.gov"]', ("a@city.gov", "b@city.gov")),
        ('"a@city.gov, b@city.gov"', ("a@city.gov", "b@city.gov")),
        ('" a@city.gov ,, b@city.gov , "', ("a@city.gov", "b@city.gov")),
        ('""', ()),
        ("[]", ()),
    ],
)
def test_distribution_list_forms(toml: str, expected: tuple[str, ...], cfg: Path) -> None:
    write(cfg, f"distribution_list = {toml}\n")
    settings = load_settings(env={}, config_path=cfg)
    assert settings.distribution_list == expected
    row = {name: val for name, val, _src in settings.as_rows()}["distribution_list"]
    assert row == ", ".join(expected)


@pytest.mark.parametrize(
    "toml", ['["Mayor", "Police Chief"]', '"Mayor, Police Chief"', '"Mayor,Police Chief"']
)
def test_leaders_forms(toml: str, cfg: Path) -> None:
    write(cfg, f"leaders = {toml}\n")
    assert load_settings(env={}, config_path=cfg).leaders == ("Mayor", "Police Chief")


def test_holidays_parse_as_dates(cfg: Path) -> None:
    write(cfg, 'holidays = [2025-12-25, "2026-01-01"]\n')
    settings = load_settings(env={}, config_path=cfg)
    assert settings.holidays == (date(2025, 12, 25), date(2026, 1, 1))
    assert all(type(d) is date for d in settings.holidays)
    row = {name: val for name, val, _src in settings.as_rows()}["holidays"]
    assert row == "2025-12-25, 2026-01-01"


def test_holidays_as_comma_separated_string(cfg: Path) -> None:
    write(cfg, 'holidays = "2025-07-04, 2025-11-27"\n')
    settings = load_settings(env={}, config_path=cfg)
    assert settings.holidays == (date(2025, 7, 4), date(2025, 11, 27))


def test_holiday_given_as_toml_datetime_becomes_a_date_or_is_refused(cfg: Path) -> None:
    write(cfg, "holidays = [2025-12-25T00:00:00]\n")
    try:
        settings = load_settings(env={}, config_path=cfg)
    except InputError:
        return
    assert all(type(d) is date for d in settings.holidays)


def test_allow_self_approval_bool(cfg: Path) -> None:
    write(cfg, "allow_self_approval = true\n")
    assert load_settings(env={}, config_path=cfg).allow_self_approval is True


# --- bad values ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("fetch_interval_minutes = 0", "at least 1"),
        ("fetch_interval_minutes = -3", "at least 1"),
        ('fetch_interval_minutes = "soon"', "whole number"),
        ("fetch_interval_minutes = [5]", "whole number"),
        ('timezone = "Mars/Olympus_Mons"', "unknown time zone"),
        ('timezone = "../../etc/passwd"', "unknown time zone"),
        ('holidays = ["Christmas"]', "holiday"),
        ('holidays = ["2025-02-30"]', "holiday"),
        ("distribution_list = 5", "distribution_list"),
        ("leaders = {mayor = true}", "leaders"),
        ("holidays = 2025", "holidays"),
        ('database = "x"\ndatabase = "y"', "TOML"),
        ("this is not toml", "TOML"),
    ],
)
def test_bad_values_are_one_line_input_errors(toml: str, words: str, cfg: Path) -> None:
    write(cfg, toml + "\n")
    with pytest.raises(InputError) as error:
        load_settings(env={}, config_path=cfg)
    assert words in one_line(error)


def test_bad_timezone_from_env_is_an_input_error(cfg: Path) -> None:
    with pytest.raises(InputError) as error:
        load_settings(env={"DESKTERM_TZ": "Not/AZone"}, config_path=cfg)
    assert "Not/AZone" in one_line(error)


def test_bad_timezone_from_env_names_the_variable(cfg: Path) -> None:
    with pytest.raises(InputError) as error:
        load_settings(env={"DESKTERM_TZ": "Not/AZone"}, config_path=cfg)
    assert "DESKTERM_TZ" in str(error.value)


@pytest.mark.parametrize("text", ['"false"', '"no"'])
def test_allow_self_approval_string_is_not_truthy(text: str, cfg: Path) -> None:
    write(cfg, f"allow_self_approval = {text}\n")
    try:
        settings = load_settings(env={}, config_path=cfg)
    except InputError:
        return
    assert settings.allow_self_approval is False


def test_fractional_fetch_interval_is_refused(cfg: Path) -> None:
    write(cfg, "fetch_interval_minutes = 2.5\n")
    with pytest.raises(InputError):
        load_settings(env={}, config_path=cfg)


def test_unreadable_config_is_an_input_error(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(InputError) as error:
        load_settings(env={}, config_path=folder)
    assert "cannot read config file" in one_line(error)


# --- save_setting -------------------------------------------------------------------


def test_save_setting_creates_the_folder_and_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "config.toml"
    save_setting(path, "theme", "textual-light")
    assert tomllib.loads(path.read_text()) == {"theme": "textual-light"}
    assert load_settings(env={}, config_path=path).theme == "textual-light"
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left


def test_save_setting_changes_only_its_own_line(cfg: Path) -> None:
    """ctrl+t saves the theme: the user's comments, layout and any other table stay."""
    original = (
        "# the press desk, set up by IT\n"
        'user = "MP"   # Maya\'s initials\n'
        'theme = "nord"\n'
        'leaders = [\n    "Mayor",   # first\n    "Deputy Mayor",\n]\n'
        "\n[extra]  # for a later deskterm\nx = 1\n"
    )
    write(cfg, original)
    save_setting(cfg, "theme", "dracula")
    assert cfg.read_text() == original.replace('theme = "nord"', 'theme = "dracula"')
    save_setting(cfg, "fetch_interval_minutes", 15)  # a new key joins the top-level ones
    data = tomllib.loads(cfg.read_text())
    assert data["fetch_interval_minutes"] == 15 and data["extra"] == {"x": 1}
    assert "# Maya's initials" in cfg.read_text()


def test_save_setting_leaves_a_broken_file_alone(cfg: Path) -> None:
    write(cfg, 'theme = "nord\n')
    with pytest.raises(InputError):
        save_setting(cfg, "theme", "dracula")
    assert cfg.read_text() == 'theme = "nord\n'


def test_save_setting_keeps_other_keys(cfg: Path) -> None:
    write(
        cfg,
        'theme = "nord"\nuser = "AB"\nholidays = [2025-12-25]\n'
        'leaders = ["Mayor"]\nfetch_interval_minutes = 15\n',
    )
    save_setting(cfg, "theme", "gruvbox")
    save_setting(cfg, "distribution_list", ["a@city.gov"])
    data = tomllib.loads(cfg.read_text())
    assert data == {
        "theme": "gruvbox",
        "user": "AB",
        "holidays": [date(2025, 12, 25)],
        "leaders": ["Mayor"],
        "fetch_interval_minutes": 15,
        "distribution_list": ["a@city.gov"],
    }
    settings = load_settings(env={}, config_path=cfg)
    assert settings.theme == "gruvbox"
    assert settings.distribution_list == ("a@city.gov",)


def test_save_setting_refuses_to_clobber_an_invalid_file(cfg: Path) -> None:
    write(cfg, "theme = [broken\n")
    with pytest.raises(InputError):
        save_setting(cfg, "theme", "nord")
    assert cfg.read_text() == "theme = [broken\n"


# --- Settings.tz() ------------------------------------------------------------------


def test_tz_returns_zoneinfo_for_a_name(cfg: Path) -> None:
    settings = load_settings(env={"DESKTERM_TZ": "America/Chicago"}, config_path=cfg)
    zone = settings.tz()
    assert isinstance(zone, ZoneInfo)
    assert zone == ZoneInfo("America/Chicago")
    assert zone.utcoffset(datetime(2025, 1, 15, 12)) == timedelta(hours=-6)


def test_tz_local_is_a_usable_tzinfo(cfg: Path) -> None:
    settings = load_settings(env={}, config_path=cfg)
    assert settings.timezone == "local"
    moment = datetime(2025, 6, 1, 12, tzinfo=UTC)
    shown = moment.astimezone(settings.tz())
    assert shown == moment  # same instant, shown in the local zone
