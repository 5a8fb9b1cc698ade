"""The desk's live loop: watch the shared file for other desks' changes, heartbeat presence.

Pure Python (no Textual): the app runs ``LiveLoop.run`` in a worker thread and turns the
callbacks into messages. One loop per desk, so polls can never overlap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence

from db.changes import Change, ChangeWatcher
from db.engine import Database
from db.presence import Desk, active_desks, heartbeat, leave


class LiveLoop:
    def __init__(
        self,
        db: Database,
        *,
        on_changes: Callable[[Sequence[Change]], None],
        on_presence: Callable[[Sequence[Desk]], None],
        on_trouble: Callable[[str], None],
        on_synced: Callable[[], None] = lambda: None,
        interval: float = 1.0,
        heartbeat_every: float = 15.0,
        editing: Callable[[], tuple[str, int] | None] = lambda: None,
        may_announce: Callable[[], bool] = lambda: True,
    ) -> None:
        """``may_announce()``: whether the desk may write its presence row yet. A desk
        starting up holds its first heartbeat until its panes have loaded: the heartbeat
        is a write (the file's lock and fsyncs), and a pane's first read that meets its
        commit waits for it. On a local disk that cost nothing measurable (bench/startup.py,
        five alternated rounds with and without); on a network share a commit costs far
        more. Polls, which only read, run from the start, so nothing another desk commits
        meanwhile is missed."""
        self._db = db
        self._on_changes = on_changes
        self._on_presence = on_presence
        self._on_trouble = on_trouble
        self._on_synced = on_synced
        self._interval = interval
        self._heartbeat_every = heartbeat_every
        self._editing = editing
        self._may_announce = may_announce
        self.polls = 0

    def run(self, stop: threading.Event) -> None:
        watcher = ChangeWatcher(self._db)
        last_id: int | None = None
        next_heartbeat = 0.0
        in_trouble = False
        try:
            while not stop.is_set():
                try:
                    if last_id is None:
                        last_id = watcher.last_id()
                    changes = watcher.poll(last_id)
                    self.polls += 1
                    if changes:
                        last_id = changes[-1].id
                        self._on_changes(changes)
                    if time.monotonic() >= next_heartbeat and self._may_announce():
                        heartbeat(self._db, editing=self._editing())
                        self._on_presence(active_desks(self._db))
                        next_heartbeat = time.monotonic() + self._heartbeat_every
                    if in_trouble:
                        in_trouble = False
                        self._on_trouble("")
                    self._on_synced()  # the desk is up to date with the file as of now
                except Exception as error:  # unreachable share, lock held too long, ...
                    in_trouble = True
                    self._on_trouble(_describe(error))
                    watcher.close()  # reconnect on the next round
                stop.wait(self._interval)
        finally:
            watcher.close()
            with contextlib.suppress(Exception):  # the file may be gone; the row goes stale
                leave(self._db)


def _describe(error: Exception) -> str:
    """Why the file could not be read, in one plain line (the driver's own words kept for
    whoever looks after the share; SQLAlchemy's "(sqlite3.OperationalError)" and SQL
    dropped)."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    lines = str(cause).strip().splitlines()
    first = lines[0].strip() if lines else type(cause).__name__
    lowered = first.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the shared file is locked by another desk or program"  # (short: 80 columns)
    if "unable to open" in lowered or "disk i/o" in lowered or "no such file" in lowered:
        return f"the shared file cannot be reached ({first})"
    return first
