import time

_T0 = (time.time(), time.monotonic())  # the first thing this process does: the start stamp

"""Launcher for benchmark runs inside tmux.

    python bench/launch.py STAMPFILE [--trace TRACEFILE] [--no-scheduled-fetch] -- desk [args...]
    python bench/launch.py STAMPFILE [--trace TRACEFILE] -- bare
    python bench/launch.py STAMPFILE [--trace TRACEFILE] -- floor --db FILE
    python bench/launch.py STAMPFILE [--trace TRACEFILE] -- imports --db FILE

Writes ``time.time() time.monotonic()`` (taken on its first line, before any other import)
to STAMPFILE, then runs the program in this same process: ``desk`` is the ``deskterm``
console script (``deskterm.entry.run`` without its fast exit: ``deskterm.cli.main`` imported
with collections held off), ``bare`` is ``bench/bare_app.py``, ``floor`` is
``bench/floor_app.py``, ``imports`` is the bare app run after the desk's own start-up imports.

``--no-scheduled-fetch`` turns the desk's fetch schedule off (its first run comes 5 s after
start): ``F`` still fetches, so a benchmark decides when a fetch runs.

With ``--trace`` it first installs instrumentation (see ``install_trace``) that appends one
line per event to TRACEFILE: ``KIND MONOTONIC [DETAIL]``. CLOCK_MONOTONIC is system-wide on
Linux, so the harness can compare these stamps with its own ``time.monotonic()``.
"""

import os  # noqa: E402
import sys  # noqa: E402


def _write_stamp(path: str) -> None:
    with open(path, "w") as handle:
        handle.write(f"{_T0[0]!r} {_T0[1]!r}\n")


class Trace:
    """Append-only event log, written by a flusher thread every ``FLUSH_S``.

    Recording an event is a ``deque.append`` (thread-safe, no system call): an ``os.write``
    per event releases the GIL, and while other threads of the desk are busy (a fetch) the
    thread that wrote waits up to the switch interval (5 ms) to get it back, so the trace
    itself would add latency to every key press it stamps. The flusher writes whatever
    accumulated in one ``os.write``; ``flush()`` runs at exit (the harness quits the app
    with ``q``). A reader of the file sees events at most ``FLUSH_S`` late.
    """

    FLUSH_S = 0.025

    def __init__(self, path: str) -> None:
        import atexit
        import collections
        import threading

        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.queued = 0  # output chunks handed to the writer thread so far (main thread)
        self._lines: collections.deque[str] = collections.deque()
        self._write_lock = threading.Lock()
        threading.Thread(target=self._flush_loop, name="bench-trace", daemon=True).start()
        atexit.register(self.flush)

    def __call__(self, kind: str, detail: object = "") -> None:
        self._lines.append(f"{kind} {time.monotonic()!r} {detail}\n")

    def flush(self) -> None:
        with self._write_lock:  # the flusher and atexit: lines stay in order
            lines = self._lines
            taken = []
            while lines:
                taken.append(lines.popleft())
            if taken:
                os.write(self.fd, "".join(taken).encode())

    def _flush_loop(self) -> None:
        while True:
            time.sleep(self.FLUSH_S)
            self.flush()


def install_trace(path: str) -> Trace:
    """Instrument Textual where input arrives and output leaves, without changing behaviour.

    - ``in``: ``XTermParser.feed`` got bytes from the terminal (input thread, right after
      ``os.read``); detail = the data (repr).
    - ``key``: ``App.on_event`` starts handling a Key (main thread); detail = key name.
    - ``act``: ``DataTable.action_cursor_down/up`` (or ``deskterm``'s ``WindowTable``'s, when
      it defines its own) ran; detail = action, table id, cursor
      row before and after, row count (before == after: the selection did not move).
    - ``tick``: the screen's update timer fired (Textual paces frames at ``TEXTUAL_FPS``,
      60 by default): rendering of pending changes starts.
    - ``disp``: ``App._display`` finished queueing one frame; detail = writer sequence number
      of its last chunk.
    - ``flush``: the writer thread flushed to the terminal; detail = chunks written so far.
      A frame is on the terminal at the first ``flush`` whose number >= its ``disp`` number.
    - ``run``: ``App.run`` called (imports and app construction done).
    - ``load-start``/``load-end``: a pane's ``load`` in its worker thread; ``loaded``: the
      pane's ``Loaded`` message handled on the main thread; detail = pane id (``loaded``: pane
      id, rows, milliseconds spent filling the table).
    - ``gc``: a garbage collection that took 1 ms or more; detail = generation, duration.
    - ``fetch-start``/``fetch-work-end``: the desk's fetch worker (``DeskFetcher._work``,
      a thread) starts / returns; ``fetch-end``: ``DeskFetcher._finished`` (main thread:
      status, notifications, pane reloads asked for) returned; detail = the summary line.
    - ``store-start``/``store-end``: the fetch's writer thread stores one batch
      (``_Run._store``); detail (end) = feeds, milliseconds.
    """
    trace = Trace(path)

    from textual import events
    from textual._xterm_parser import XTermParser
    from textual.app import App
    from textual.drivers import _writer_thread
    from textual.widgets import DataTable

    original_feed = XTermParser.feed

    def feed(self, data):  # type: ignore[no-untyped-def]
        if data:
            trace("in", repr(data))
        return original_feed(self, data)

    XTermParser.feed = feed  # type: ignore[method-assign]

    original_on_event = App.on_event

    async def on_event(self, event):  # type: ignore[no-untyped-def]
        if isinstance(event, events.Key) and not event.is_forwarded:
            trace("key", event.key)
        return await original_on_event(self, event)

    App.on_event = on_event  # type: ignore[method-assign]

    _trace_cursor_actions(trace, DataTable)

    from textual.screen import Screen

    original_timer_update = Screen._on_timer_update

    def on_timer_update(self):  # type: ignore[no-untyped-def]
        trace("tick", "")
        return original_timer_update(self)

    Screen._on_timer_update = on_timer_update  # type: ignore[method-assign]

    original_display = App._display

    def display(self, screen, renderable):  # type: ignore[no-untyped-def]
        before = trace.queued
        result = original_display(self, screen, renderable)
        if trace.queued != before:
            trace("disp", trace.queued)
        return result

    App._display = display  # type: ignore[method-assign]

    writer_class = _writer_thread.WriterThread

    def write(self, text):  # type: ignore[no-untyped-def]
        self._queue.put(text)
        trace.queued += 1

    def run(self):  # type: ignore[no-untyped-def]
        # Textual's WriterThread.run, plus a stamp after each flush.
        write_file = self._file.write
        flush = self._file.flush
        get = self._queue.get
        qsize = self._queue.qsize
        written = 0
        while True:
            text = get()
            if text is None:
                break
            write_file(text)
            written += 1
            if qsize() == 0:
                flush()
                trace("flush", written)
        flush()

    writer_class.write = write  # type: ignore[method-assign]
    writer_class.run = run  # type: ignore[method-assign]

    import gc

    gc_started: list[float] = []

    def on_gc(phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if phase == "start":
            gc_started[:] = [time.monotonic()]
        elif gc_started:
            took = (time.monotonic() - gc_started[0]) * 1000
            if took >= 1.0:
                trace("gc", f"gen{info.get('generation')} {took:.1f}ms")

    gc.callbacks.append(on_gc)

    original_app_run = App.run

    def app_run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        trace("run", type(self).__name__)
        table_module = sys.modules.get("deskterm.widgets.table")
        window_table = getattr(table_module, "WindowTable", None)
        if window_table is not None and not issubclass(window_table, DataTable):
            _trace_cursor_actions(trace, window_table)  # the desk's own table widget
        _trace_panes(trace)
        _trace_fetches(trace)
        return original_app_run(self, *args, **kwargs)

    App.run = app_run  # type: ignore[method-assign]
    return trace


def _trace_cursor_actions(trace: Trace, table_class: type) -> None:
    """``act`` stamps on a table class's own ``action_cursor_down``/``_up``."""

    def row_count(table: object) -> int:
        count = getattr(table, "row_count", None)
        if isinstance(count, int):
            return count
        return len(getattr(table, "_shown_rows", ()))

    for name in ("action_cursor_down", "action_cursor_up"):
        original_action = vars(table_class)[name]

        def action(self, _original=original_action, _name=name):  # type: ignore[no-untyped-def]
            before = self.cursor_row
            result = _original(self)
            trace("act", f"{_name} {self.id} {before} {self.cursor_row} {row_count(self)}")
            return result

        setattr(table_class, name, action)


def _trace_panes(trace: Trace) -> None:
    pane_module = sys.modules.get("deskterm.widgets.pane")
    if pane_module is None:
        return
    pane_class = pane_module.Pane
    for cls in pane_class.__subclasses__():
        if "load" not in cls.__dict__:
            continue
        original_load = cls.load

        def load(self, context, _original=original_load):  # type: ignore[no-untyped-def]
            trace("load-start", self.id)
            cpu = time.thread_time()
            try:
                return _original(self, context)
            finally:
                trace("load-end", f"{self.id} {(time.thread_time() - cpu) * 1000:.1f}")

        cls.load = load
    original_loaded = pane_class._show_loaded

    def show_loaded(self, message):  # type: ignore[no-untyped-def]
        began = time.monotonic()
        result = original_loaded(self, message)
        if message.pane is self:
            took = (time.monotonic() - began) * 1000
            trace("loaded", f"{self.id} {len(message.rows)} {took:.1f}")
        return result

    # @on(Loaded) handlers are registered by function at class creation: swap the entry.
    show_loaded.__dict__.update(original_loaded.__dict__)
    pane_class._show_loaded = show_loaded
    for handlers in pane_class.__dict__.get("_decorated_handlers", {}).values():
        for index, (method, selectors) in enumerate(handlers):
            if method is original_loaded:
                handlers[index] = (show_loaded, selectors)


def _trace_fetches(trace: Trace) -> None:
    fetcher_module = sys.modules.get("deskterm.fetcher")
    if fetcher_module is None:
        return
    desk_fetcher = fetcher_module.DeskFetcher
    original_work = desk_fetcher._work

    def work(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        trace("fetch-start", "")
        _trace_store(trace)  # imported here: the desk imports the fetch pipeline lazily
        try:
            return original_work(self, *args, **kwargs)
        finally:
            trace("fetch-work-end", "")

    desk_fetcher._work = work
    original_finished = desk_fetcher._finished

    def finished(self, summary, error):  # type: ignore[no-untyped-def]
        try:
            return original_finished(self, summary, error)
        finally:
            line = summary.line() if summary is not None else f"failed: {error}"
            trace("fetch-end", line.replace("\n", " "))

    desk_fetcher._finished = finished


def _trace_store(trace: Trace) -> None:
    from deskterm.core import fetcher as core_fetcher

    original_store = core_fetcher._Run._store
    if getattr(original_store, "_traced", False):
        return

    def store(self, batch):  # type: ignore[no-untyped-def]
        trace("store-start", len(batch))
        began = time.monotonic()
        try:
            return original_store(self, batch)
        finally:
            trace("store-end", f"{len(batch)} {(time.monotonic() - began) * 1000:.1f}")

    store._traced = True  # type: ignore[attr-defined]
    core_fetcher._Run._store = store


def _no_scheduled_fetch() -> None:
    """The desk's fetch schedule off (``F`` still fetches): the harness decides when."""
    from deskterm.fetcher import DeskFetcher

    DeskFetcher.start = lambda self: None  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    _write_stamp(argv[0])
    rest = argv[1:]
    trace_path = None
    if rest[:1] == ["--trace"]:
        trace_path, rest = rest[1], rest[2:]
    no_schedule = rest[:1] == ["--no-scheduled-fetch"]
    if no_schedule:
        rest = rest[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        print("launch.py: say what to run: desk or bare", file=sys.stderr)
        return 2
    program, args = rest[0], rest[1:]
    if program == "desk":
        # As the console script does (deskterm.entry.run): the desk's imports without
        # collections, its frame rate chosen before Textual is imported (the trace below
        # imports Textual too).
        from deskterm.entry import import_main

        import_main(args)  # the desk's own arguments: what it preloads follows them
        from deskterm.cli.desk import prefer_desk_frame_rate

        prefer_desk_frame_rate()
    if trace_path:
        install_trace(trace_path)
    if program == "desk":
        if no_schedule:
            _no_scheduled_fetch()
        sys.argv = ["deskterm", *args]
        from deskterm.cli import main as deskterm_main

        return deskterm_main(args)
    if program == "bare":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bare_app import main as bare_main

        return bare_main(args)
    if program == "imports":
        # the bare app after what the desk imports before it runs (as ``desk`` above):
        # how much of the desk's first paint is its imports alone
        from deskterm.entry import import_main

        import_main(args)  # a desk's arguments (--db FILE): what it preloads follows them
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bare_app import main as bare_main

        return bare_main([])
    if program == "floor":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from floor_app import main as floor_main

        return floor_main(args)
    print(f"launch.py: unknown program {program!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
