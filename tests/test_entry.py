"""The console script's start and end (``deskterm.entry``), in real processes: what it
does to the garbage collector during imports, and that its quick exit loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.cli.runner import run

#: Output to a pipe is block-buffered, as a user's shell pipeline has it (this
#: machine's environment sets PYTHONUNBUFFERED, which would hide a lost buffer).
BUFFERED = {"PYTHONUNBUFFERED": None}


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in BUFFERED}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_imports_run_without_collections_and_are_frozen_after(tmp_path: Path) -> None:
    done = python(
        """
        import gc
        from deskterm.entry import import_main
        import_main(["requests", "list"])  # a command that preloads the ORM
        print(gc.isenabled(), gc.get_freeze_count() > 100_000)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_the_imports_are_the_commands_own(tmp_path: Path) -> None:
    """A command preloads the ORM; opening the desk does not (its panes paint from
    ``sqlite3`` and SQLAlchemy comes in the background after: docs/architecture.md, "The
    first paint without SQLAlchemy"), nor does `deskterm fetch`, which preloads the fetch
    pipeline (its start-up is most of a run)."""
    done = python(
        """
        import json, subprocess, sys
        probe = (
            "import gc, json, sys; from deskterm.entry import import_main; "
            "import_main(sys.argv[1:]); "
            "print(json.dumps([gc.get_freeze_count(), 'sqlalchemy' in sys.modules, "
            "'deskterm.core.fetcher' in sys.modules]))"
        )
        for argv in ([], ["requests", "list"], ["--db", "x.sqlite3", "fetch", "--due"]):
            out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                                 text=True, check=True).stdout
            print(out.strip())
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    desk, command, fetch = (json.loads(line) for line in done.stdout.splitlines())
    assert desk[1:] == [False, False] and desk[0] > 1_000
    assert command[1:] == [True, False]
    assert fetch[1:] == [False, True] and fetch[0] > 10_000


def test_quick_exit_flushes_output_and_runs_exit_handlers(tmp_path: Path) -> None:
    marker = tmp_path / "atexit.txt"
    done = python(
        f"""
        import atexit, sys
        from deskterm.entry import finish
        atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
        print("x" * 100_000)
        sys.stderr.write("said on stderr")
        finish(3)
        print("never")
        """,
        tmp_path,
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "\n"  # through a pipe: block-buffered
    assert done.stderr == "said on stderr"
    assert marker.read_text() == "ran"


def test_exit_waits_for_a_thread_that_is_still_working(tmp_path: Path) -> None:
    written = tmp_path / "late.txt"
    done = python(
        f"""
        import threading, time
        from deskterm.entry import finish
        def late():
            time.sleep(0.3)
            open({str(written)!r}, "w").write("done")
        threading.Thread(target=late).start()
        finish(0)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert written.read_text() == "done"


def test_the_console_script_says_everything_before_it_exits(tmp_path: Path) -> None:
    db = str(tmp_path / "desk.sqlite3")
    created = run("--db", db, "init", "--demo", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    listed = run(
        "--db", db, "--json", "clips", "list", "--limit", "200", cwd=tmp_path, env=BUFFERED
    )
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) > 20  # the whole document arrived
    refused = run("--db", db, "clips", "list", "--limit", "0", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() and "Traceback" not in refused.stderr


def test_the_desk_in_a_terminal_is_preloaded_with_its_frame_rate(tmp_path: Path) -> None:
    """Opening the desk in a terminal imports the app with start-up (collections held off,
    frozen after), its frame rate set before Textual reads it; for a pipe it does not."""
    import pty

    probe = (
        "import gc, os, sys; from deskterm.entry import import_main; import_main([]); "
        "import textual.screen as s; "
        "print('deskterm.app' in sys.modules, round(1 / s.UPDATE_PERIOD), "
        "gc.get_freeze_count() > 50_000, file=sys.stderr)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tmp_path,
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert done.stderr.split() == ["True", "120", "True"]

    piped = subprocess.run(
        [
            sys.executable,
            "-c",
            probe.replace("import textual.screen as s; ", "").replace(
                ", round(1 / s.UPDATE_PERIOD)", ""
            ),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.stderr.split() == ["False", "False"], piped.stderr
