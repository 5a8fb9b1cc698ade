"""The `deskterm` console script (and `python -m deskterm`): the start and the end of a run.

Two costs that come with every run and buy the user nothing are kept out:

- Garbage collection during the imports. SQLAlchemy, Textual, the models and the rest
  create ~140,000 objects that live as long as the process, and the collector walked them
  again and again while they were made: the desk's first paint took 10-15% longer
  (paired runs of bench/startup.py's harness). It is held off while
  ``deskterm.cli.main`` and what the command needs are imported (``preload``: the
  command's module and its ``PRELOAD``); then everything imported is frozen
  (``gc.freeze``: later collections skip it; ~600 objects of it were garbage) and the
  collector runs as usual.
- Tearing the interpreter down at exit. Python's finalisation frees every module object
  one by one: 80-100 ms at the end of every command, e.g. ``deskterm fetch``. When the
  run is over (streams flushed, ``atexit`` handlers run, no other live non-daemon thread,
  so no work can be cut short), the process ends with ``os._exit``. Otherwise it exits
  the ordinary way.

Tests call ``deskterm.cli.main`` directly; neither applies to them.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable


def _others_running() -> bool:
    """Whether a non-daemon thread besides this one is still alive (its work would be cut
    short by ``os._exit``)."""
    current = threading.current_thread()
    return any(t is not current and t.is_alive() and not t.daemon for t in threading.enumerate())


def finish(code: int) -> None:
    """End the process with ``code``: at once when nothing is left to do, else normally."""
    if _others_running():
        sys.exit(code)  # Python's own exit flushes the streams
    atexit._run_exitfuncs()  # logging's flush and the like, in their usual order
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # closed: nothing to say
            stream.flush()
    os._exit(code)


def import_main(argv: list[str] | None = None) -> Callable[[], int]:
    """``deskterm.cli.main.main`` and the modules the command in ``argv`` (default: this
    process's arguments) needs, imported with collections held off, then frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        from deskterm.cli.main import main, preload

        preload(sys.argv[1:] if argv is None else argv)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
    return main


def run() -> None:
    finish(import_main()())
