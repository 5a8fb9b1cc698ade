"""Running the installed console script the way a user does (shared by the CLI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DESKTERM = Path(sys.executable).parent / ("deskterm.exe" if os.name == "nt" else "deskterm")


def run(
    *args: str, cwd: Path, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script; ``env`` entries set (or, with None, remove) variables."""
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [str(DESKTERM), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def cli(path: Path, capsys, *args: str, user: str = "AB") -> tuple[int, str, str]:
    """Run the command line in-process as ``user``; (exit code, stdout, stderr)."""
    from deskterm.cli import main

    code = main(["--db", str(path), "--user", user, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_json(path: Path, capsys, *args: str, user: str = "AB"):  # type: ignore[no-untyped-def]
    """The same with --json, parsed; the command must succeed."""
    import json

    code, out, err = cli(path, capsys, "--json", *args, user=user)
    assert code == 0, err
    return json.loads(out)
