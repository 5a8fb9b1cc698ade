import time

_T0 = (time.time(), time.monotonic())  # the first thing this process does: the start stamp

"""Launcher for benchmark runs inside tmux.

    python bench/launch.py STAMPFILE [--trace TRACEFILE] -- desk [deskterm args...]
    python bench/launch.py STAMPFILE [--trace TRACEFILE] -- bare

Writes ``time.time() time.monotonic()`` (taken on its first line, before any other import)
to STAMPFILE, then runs the program in this same process: ``desk`` is the ``deskterm``
console script (``deskterm.cli.main``), ``bare`` is ``bench/bare_app.py``.

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
    """Append-only event log: one ``os.write`` per line (safe across threads, survives kills)."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.queued = 0  # output chunks handed to the writer thread so far (main thread)

    def __call__(self, kind: str, detail: object = "") -> None:
        os.write(self.fd, f"{kind} {time.monotonic()!r} {detail}\n".encode())


def install_trace(path: str) -> Trace:
    """Instrument Textual where input arrives and output leaves, without changing behaviour.

    - ``in``: ``XTermParser.feed`` got bytes from the terminal (input thread, right after
      ``os.read``); detail = the data (repr).
    - ``key``: ``App.on_event`` starts handling a Key (main thread); detail = key name.
    - ``act``: ``DataTable.action_cursor_down/up`` ran (the selection moved).
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

    for name in ("action_cursor_down", "action_cursor_up"):
        original_action = getattr(DataTable, name)

        def action(self, _original=original_action, _name=name):  # type: ignore[no-untyped-def]
            result = _original(self)
            trace("act", f"{_name} {self.id}")
            return result

        setattr(DataTable, name, action)

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
        _trace_panes(trace)
        return original_app_run(self, *args, **kwargs)

    App.run = app_run  # type: ignore[method-assign]
    return trace


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


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    _write_stamp(argv[0])
    rest = argv[1:]
    trace_path = None
    if rest[:1] == ["--trace"]:
        trace_path, rest = rest[1], rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        print("launch.py: say what to run: desk or bare", file=sys.stderr)
        return 2
    program, args = rest[0], rest[1:]
    if trace_path:
        install_trace(trace_path)
    if program == "desk":
        sys.argv = ["deskterm", *args]
        from deskterm.cli import main as deskterm_main

        return deskterm_main(args)
    if program == "bare":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bare_app import main as bare_main

        return bare_main(args)
    print(f"launch.py: unknown program {program!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
