"""Two desks (two processes) saving in lock-step rounds, driven by files in a sync folder.

Each round every desk loads what it edits, touches ``ready-ROUND-TAG``, waits for
``go-ROUND`` and saves, then touches ``done-ROUND-TAG``; the test touches ``go-ROUND`` once
all are ready. A desk script prints one JSON line at the end: its outcome of each round.
``wait_for`` serves both sides; ``run_rounds`` is the test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path.name}")
        time.sleep(0.002)


def run_rounds(
    script: Path,
    argv: Callable[[str], Sequence[str]],
    rounds: int,
    sync: Path,
    tags: Sequence[str] = ("A", "B"),
) -> dict[str, Any]:
    """Start ``script`` once per tag (``argv(tag)`` its arguments), release each round when
    every desk is ready, and return each desk's printed outcome."""
    procs = {
        tag: subprocess.Popen(
            [sys.executable, str(script), *argv(tag)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in tags
    }
    for round_no in range(rounds):
        for tag in tags:
            wait_for(sync / f"ready-{round_no}-{tag}")
        (sync / f"go-{round_no}").touch()
        for tag in tags:
            wait_for(sync / f"done-{round_no}-{tag}")
    outcomes = {}
    for tag, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes[tag] = json.loads(out.strip().splitlines()[-1])
    return outcomes
