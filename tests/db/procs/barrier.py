"""Start line for helper processes: say "ready" with a file, wait for the "go" file."""

from __future__ import annotations

import time
from pathlib import Path


def wait_at_barrier(barrier_dir: str, tag: str, timeout: float = 30.0) -> None:
    folder = Path(barrier_dir)
    (folder / f"ready-{tag}").touch()
    deadline = time.monotonic() + timeout
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{tag}: no go signal after {timeout} s")
        time.sleep(0.002)
