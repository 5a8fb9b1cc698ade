"""`deskterm calendar ...` as a user runs it: add, list, import, export and appearances, in
text and JSON; files that are not iCalendar exit 2 with one line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.cli.runner import cli, cli_json, run

NY = ZoneInfo("America/New_York")  # DESKTERM_TZ in tests/conftest.py
DATA = Path(__file__).resolve().parents[1] / "data" / "ics"


def assert_one_line_error(result, code: int = 2) -> str:
    detail = f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.returncode == code, detail
    assert "Traceback" not in result.stderr, detail
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deskterm: "), detail
    return lines[0].removeprefix("deskterm: ")


def test_add_and_list_with_series_all_day_events_and_clashes(desk, capsys):
    code, out, _ = cli(
        desk, capsys, "calendar", "add", "WXYZ Morning Radio", "--kind", "radio",
        "--start", "2026-11-03 08:00", "--end", "2026-11-03 08:30", "--leader", "Mayor",
        "--rrule", "FREQ=WEEKLY;BYDAY=TU", "--location", "Studio B",
    )  # fmt: skip
    assert (code, out) == (
        0,
        "added event 1: WXYZ Morning Radio (Tue 3 Nov 2026 08:00, repeats FREQ=WEEKLY;BYDAY=TU)\n",
    )
    code, out, _ = cli(
        desk, capsys, "calendar", "add", "Budget hearings", "--kind", "council_meeting",
        "--all-day", "--start", "2026-11-24", "--end", "2026-11-25", "--leader", "Deputy Mayor",
    )  # fmt: skip
    assert (code, out) == (0, "added event 2: Budget hearings (Tue 24 Nov 2026)\n")
    tv = cli_json(
        desk, capsys, "calendar", "add", "Channel 7 live", "--kind", "tv",
        "--start", "2026-11-24 08:15", "--end", "2026-11-24 09:00", "--leader", "mayor",
        "--owner", "ab", "--private",
    )  # fmt: skip
    assert (tv["id"], tv["owner"], tv["public"], tv["timezone"]) == (
        3,
        "AB",
        False,
        "America/New_York",
    )
    assert tv["starts_at"] == "2026-11-24T13:15:00+00:00"

    code, out, _ = cli(
        desk, capsys, "calendar", "list", "--from", "2026-11-23", "--to", "2026-11-30"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["when", "title", "kind", "leaders", "where", "status", "notes"]
    assert "Tue 24 Nov 2026 all day to Wed 25 Nov 2026" in lines[1]
    assert "Tue 24 Nov 2026 08:00-08:30" in lines[2] and "‼ clash, repeats" in lines[2]
    assert "Tue 24 Nov 2026 08:15-09:00" in lines[3] and "‼ clash" in lines[3]
    assert len(lines) == 4

    listed = cli_json(
        desk, capsys, "calendar", "list", "--from", "2026-11-01", "--to", "2026-11-30"
    )
    assert [(o["title"], o["start"], o["clash"]) for o in listed] == [
        ("WXYZ Morning Radio", "2026-11-03T13:00:00+00:00", False),
        ("WXYZ Morning Radio", "2026-11-10T13:00:00+00:00", False),
        ("WXYZ Morning Radio", "2026-11-17T13:00:00+00:00", False),
        ("Budget hearings", "2026-11-24T05:00:00+00:00", False),
        ("WXYZ Morning Radio", "2026-11-24T13:00:00+00:00", True),
        ("Channel 7 live", "2026-11-24T13:15:00+00:00", True),
    ]
    assert listed[0]["series_id"] == 1 and listed[0]["original_start"] == listed[0]["start"]
    only = cli_json(
        desk, capsys, "calendar", "list", "--from", "2026-11-01", "--to", "2026-11-30",
        "--leader", "DEPUTY MAYOR",
    )  # fmt: skip
    assert [o["title"] for o in only] == ["Budget hearings"]
    only = cli_json(
        desk, capsys, "calendar", "list", "--from", "2026-11-01", "--to", "2026-11-30",
        "--kind", "tv",
    )  # fmt: skip
    assert [o["title"] for o in only] == ["Channel 7 live"]


def test_bad_input_exits_2_with_one_line(desk, tmp_path):
    common = ("--db", str(desk), "calendar")
    result = run(
        *common,
        "add",
        "X",
        "--kind",
        "tv",
        "--start",
        "fri 9am",
        "--rrule",
        "FREQ=SOMETIMES",
        cwd=tmp_path,
    )
    assert assert_one_line_error(result).startswith("rrule 'FREQ=SOMETIMES' is not usable")
    result = run(*common, "add", "X", "--kind", "gala", "--start", "fri 9am", cwd=tmp_path)
    assert "unknown kind 'gala'" in assert_one_line_error(result)
    result = run(
        *common, "add", "X", "--kind", "tv", "--start", "fri 9am", "--tz", "Mars/Base", cwd=tmp_path
    )
    assert "unknown time zone 'Mars/Base'" in assert_one_line_error(result)
    result = run(
        *common, "add", "X", "--kind", "tv", "--start", "2027-03-14 02:30", "--end", "03:30",
        "--tz", "America/New_York", cwd=tmp_path,
    )  # fmt: skip
    assert "02:30 does not exist on Sun 14 Mar 2027" in assert_one_line_error(result)
    result = run(*common, "list", "--from", "2026-11-30", "--to", "2026-11-01", cwd=tmp_path)
    assert assert_one_line_error(result) == "--to is before --from"
    result = run(*common, "list", "--from", "someday", cwd=tmp_path)
    assert assert_one_line_error(result).startswith('can\'t read "someday" as a date')


def test_import_prints_counts_and_is_idempotent(desk, capsys):
    google = str(DATA / "google-mayor-public.ics")
    code, out, err = cli(desk, capsys, "calendar", "import", google)
    assert (code, err) == (0, "")
    assert out == "imported google-mayor-public.ics: 6 created, 0 updated, 0 unchanged, 0 skipped\n"
    code, out, _ = cli(desk, capsys, "calendar", "import", google)
    assert out == "imported google-mayor-public.ics: 0 created, 0 updated, 6 unchanged, 0 skipped\n"
    result = cli_json(desk, capsys, "calendar", "import", str(DATA / "outlook-press-office.ics"))
    assert (result["created"], result["skipped"], result["source_name"]) == (
        4,
        [],
        "outlook-press-office.ics",
    )
    # Floating times are read in the desk's zone (DESKTERM_TZ).
    cli(desk, capsys, "calendar", "import", str(DATA / "thunderbird-council.ics"))
    listed = cli_json(
        desk, capsys, "calendar", "list", "--from", "2026-11-30", "--to", "2026-11-30"
    )
    newsletter = next(o for o in listed if o["title"] == "Newsletter goes out")
    assert (newsletter["timezone"], newsletter["start"]) == (
        "America/New_York",
        "2026-11-30T15:00:00+00:00",
    )


def test_import_names_each_skipped_component(desk, capsys):
    code, out, _ = cli(desk, capsys, "calendar", "import", str(DATA / "broken-parts.ics"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "imported broken-parts.ics: 3 created, 0 updated, 0 unchanged, 7 skipped"
    skipped = [line for line in lines if line.startswith("  skipped ")]
    assert len(skipped) == 7
    missing = "'Missing start' (line 5, UID broken-no-start@example.org)"
    assert f"  skipped {missing}: it has no DTSTART (start time)" in skipped
    assert any(
        "'Unknown zone'" in line and "unknown time zone 'Mars/Olympus_Mons'" in line
        for line in skipped
    )
    assert any(line.startswith("  note line 4: not an iCalendar line") for line in lines)
    assert "\x1b" not in out and "\x07" not in out
    listed = cli(desk, capsys, "calendar", "list", "--from", "2026-12-01", "--to", "2026-12-08")[1]
    assert "Hostile [31mred[0m title" in listed and "\x1b" not in listed


def test_files_that_are_not_icalendar_or_unreadable_exit_2(desk, tmp_path):
    common = ("--db", str(desk), "calendar", "import")
    message = assert_one_line_error(run(*common, str(DATA / "contacts-export.ics"), cwd=tmp_path))
    assert (
        message
        == "contacts-export.ics is not an iCalendar file (it does not begin with BEGIN:VCALENDAR)"
    )
    picture = tmp_path / "photo.ics"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    assert "holds binary data" in assert_one_line_error(run(*common, str(picture), cwd=tmp_path))
    message = assert_one_line_error(run(*common, str(tmp_path / "missing.ics"), cwd=tmp_path))
    assert message.startswith("cannot read ") and "No such file" in message
    assert "cannot read" in assert_one_line_error(run(*common, str(tmp_path), cwd=tmp_path))


def test_a_file_none_of_whose_events_can_be_imported_exits_2(desk, tmp_path):
    broken = tmp_path / "all-broken.ics"
    broken.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a@x\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b@x\r\nSUMMARY:Bad zone\r\n"
        "DTSTART;TZID=Mars/Olympus_Mons:20261201T090000\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    result = run("--db", str(desk), "calendar", "import", str(broken), cwd=tmp_path)
    message = assert_one_line_error(result)
    assert message == "no event in all-broken.ics could be imported (2 skipped)"
    assert result.stdout.startswith("imported all-broken.ics: 0 created, 0 updated, 0 unchanged")
    assert "  skipped 'No start'" in result.stdout  # each with its reason, as ever
    # one good event among them: a partial import, as before
    good = "BEGIN:VEVENT\r\nUID:c@x\r\nSUMMARY:Fine\r\nDTSTART:20261201T090000Z\r\nEND:VEVENT\r\n"
    broken.write_text(broken.read_text().replace("END:VCALENDAR", good + "END:VCALENDAR"))
    result = run("--db", str(desk), "calendar", "import", str(broken), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_export_to_stdout_and_to_a_file(desk, capsys, tmp_path):
    cli(desk, capsys, "calendar", "import", str(DATA / "outlook-press-office.ics"))
    code, out, _ = cli(desk, capsys, "calendar", "export")
    assert code == 0
    calendar = Calendar.from_ical(out.encode())
    assert len(calendar.events) == 4 and calendar.get_missing_tzids() == set()
    target = tmp_path / "press.ics"
    code, out, _ = cli(
        desk, capsys, "calendar", "export", "-o", str(target), "--leader", "Deputy Mayor"
    )
    assert (code, out) == (0, f"{target} (2 events)\n")
    summaries = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(target.read_bytes()).events)
    assert summaries == ["Regional mayors' council", "Small Business Saturday tour (Deputy Mayor)"]
    written = cli_json(
        desk, capsys, "calendar", "export", "-o", str(target), "--kind", "tv",
        "--from", "2026-11-25", "--to", "2026-11-25",
    )  # fmt: skip
    assert written == {"file": str(target), "events": 1}
    # The file goes back in without changing anything.
    code, out, _ = cli(desk, capsys, "calendar", "import", str(target))
    assert out == "imported press.ics: 0 created, 0 updated, 1 unchanged, 0 skipped\n"


def test_appearances_report(desk, capsys):
    # A weekly radio slot in 2025 (always in the past), one date cancelled, one skipped.
    cli(
        desk, capsys, "calendar", "add", "WXYZ Morning Radio", "--kind", "radio",
        "--start", "2025-03-04 08:00", "--end", "2025-03-04 08:30", "--leader", "Mayor",
        "--rrule", "FREQ=WEEKLY;BYDAY=TU;COUNT=6",
    )  # fmt: skip
    from db.engine import Actor, Database
    from deskterm.core.calendar import get_event
    from deskterm.core.calendar_edits import cancel_occurrence

    db = Database(str(desk), actor=Actor("AB", "test"))
    try:
        when = datetime(2025, 3, 11, 8, tzinfo=NY)
        cancel_occurrence(db, 1, when, "this", get_event(db, 1).version)
        when = datetime(2025, 3, 18, 8, tzinfo=NY)
        cancel_occurrence(db, 1, when, "this", get_event(db, 1).version, remove=True)
    finally:
        db.dispose()
    cli(
        desk, capsys, "calendar", "add", "Town hall", "--kind", "community_event",
        "--start", "2025-03-06 19:00", "--leader", "Mayor",
    )  # fmt: skip
    code, out, err = cli(
        desk,
        capsys,
        "calendar",
        "appearances",
        "Mayor",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Mayor: 3 public appearances, Sat 1 Mar 2025 to Mon 31 Mar 2025",
        "  radio 2, community event 1",  # 4 and 25 March
        "media slots:",
        "  WXYZ Morning Radio (radio, FREQ=WEEKLY;BYDAY=TU;COUNT=6): last Tue 8 Apr 2025 08:00, "
        "next none; held 2, upcoming 0",
        "    ! missed Tue 11 Mar 2025 08:00 (cancelled)",
        "    ! missed Tue 18 Mar 2025 08:00 (skipped)",
    ]
    report = cli_json(
        desk,
        capsys,
        "calendar",
        "appearances",
        "mayor",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
    )
    assert (report["total"], report["by_kind"]) == (3, {"radio": 2, "community_event": 1})
    assert report["warnings"] == ["WXYZ Morning Radio: 2 missed dates"]
    assert [m["reason"] for m in report["slots"][0]["missed"]] == ["cancelled", "skipped"]
    assert report["start"] == datetime(2025, 3, 1, tzinfo=NY).astimezone(UTC).isoformat()
    code, _, err = cli(
        desk, capsys, "calendar", "appearances", "Chief of Staff", "--from", "2025-03-01"
    )
    assert code == 0 and "is not one of the key leaders" in err


def test_add_reads_the_end_from_the_start_as_the_desk_form_does(desk, capsys):
    """``--end 11:00`` is on the start's day and ``+90m`` counts from the start (both were
    read from the present moment: refused as ending before the start, or 23 days long)."""
    for end, expected in (
        ("+90m", "2026-12-10T16:30:00+00:00"),
        ("11:00", "2026-12-10T16:00:00+00:00"),
    ):
        added = cli_json(
            desk, capsys, "calendar", "add", "Interview", "--kind", "interview",
            "--start", "2026-12-10 10:00", "--end", end,
        )  # fmt: skip
        assert (added["starts_at"], added["ends_at"]) == ("2026-12-10T15:00:00+00:00", expected)
    hearings = cli_json(
        desk, capsys, "calendar", "add", "Hearings", "--kind", "council_meeting", "--all-day",
        "--start", "2026-12-10", "--end", "fri",
    )  # fmt: skip
    assert hearings["ends_at"] == "2026-12-12T05:00:00+00:00"  # through Friday the 11th
    # a weekday end is the start's own day or a later one, never the next week's
    added = cli_json(
        desk, capsys, "calendar", "add", "Radio", "--kind", "radio",
        "--start", "2026-12-10 10:00", "--end", "thu 11:00",
    )  # fmt: skip
    assert added["ends_at"] == "2026-12-10T16:00:00+00:00"
    code, _, err = cli(
        desk, capsys, "calendar", "add", "Radio", "--kind", "radio",
        "--start", "2026-12-10 10:00", "--end", "thu 09:00",
    )  # fmt: skip
    assert (code, err) == (2, "deskterm: the event ends before it starts\n")
