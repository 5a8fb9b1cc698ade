"""First paint in a real terminal: process start to the first full paint of the desk.

Method
------
Each run starts a fresh process in its own tmux session at 120x40 (a private tmux server,
see ``bench/tmux.py``)::

    tmux new-session -d -x 120 -y 40 'exec .venv/bin/python bench/launch.py STAMP -- desk --db X'

``bench/launch.py`` stamps ``time.monotonic()`` on its first line (the start: Python's own
start-up, ~20 ms, comes before it and is the same for every variant), then runs the program
in-process: ``desk`` is the ``deskterm`` console script's ``main``, ``bare`` is
``bench/bare_app.py`` (four empty bordered panes in a 2x2 grid and a Footer).

The harness polls the pane with ``capture-pane -p`` through a control-mode client, right
after every ``%output`` tmux reports for the pane and at least every 5 ms, until the marker
is on screen: all four pane titles carry their first load's summary, i.e. the screen shows
``1 News · ``, ``2 Requests · ``, ``3 Board · `` and ``4 Calendar · `` (a pane's border title
gains `` · summary`` in ``Pane._show_loaded`` when its first window of rows lands; the bare
app's titles have `` · bare`` from the start). tmux 3.3 does not hold back synchronized-output
frames, so that capture may show the frame half drawn: first paint is the arrival of the last
``%output`` of the burst (``%output`` lines less than 3 ms apart) that completed the marker,
minus the start stamp.

Runs are interleaved (bare, 10k, 1M, bare, ...) after one discarded warm-up round (page
cache, ``.pyc`` files), each session is quit with ``q`` and killed; the figure is the median.
The desk runs with ``DESKTERM_CONFIG`` = a temporary config and
``DESKTERM_TZ=America/New_York``.

``python -m bench.startup [--runs N]`` runs this part alone.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.tmux import TmuxError, TmuxServer

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LAUNCH = str(ROOT / "bench" / "launch.py")
WIDTH, HEIGHT = 120, 40
MARKERS = ("1 News · ", "2 Requests · ", "3 Board · ", "4 Calendar · ")
POLL_S = 0.005
BURST_GAP_S = 0.003
PAINT_TIMEOUT_S = 30.0


@dataclass
class Variant:
    name: str
    program: list[str]  # after "--" on launch.py's command line


@dataclass
class Run:
    variant: str
    seconds: float | None  # start stamp -> first full paint
    spawn_to_stamp: float | None = None  # tmux spawn -> launch.py's first line
    cpu_seconds: float | None = None  # the app's CPU time (all threads) when the paint was seen
    error: str = ""
    screen: list[str] = field(default_factory=list)


@dataclass
class Figures:
    runs: dict[str, list[Run]]

    def ok(self, variant: str) -> list[float]:
        return [r.seconds for r in self.runs.get(variant, []) if r.seconds is not None]

    def median(self, variant: str) -> float | None:
        values = self.ok(variant)
        return statistics.median(values) if values else None

    def complete(self, variant: str) -> bool:
        runs = self.runs.get(variant, [])
        return bool(runs) and all(r.seconds is not None for r in runs)

    def cpu_median(self, variant: str) -> float | None:
        values = [r.cpu_seconds for r in self.runs.get(variant, []) if r.cpu_seconds is not None]
        return statistics.median(values) if values else None

    def errors(self, variant: str) -> list[str]:
        return [r.error for r in self.runs.get(variant, []) if r.error]


def desk_env(workdir: Path) -> dict[str, str]:
    """The environment the desk runs in: a private config, the desk's zone, UTF-8."""
    config = workdir / "config.toml"
    if not config.exists():
        config.write_text('user = "bench"\ntheme = "textual-dark"\n')
    # TEXTUAL_FPS: bench/__init__.py set it for the Pilot parts; the desk sets its own
    # (launch.py) and the bare app runs at Textual's default.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DESKTERM_", "TMUX")) and k != "TEXTUAL_FPS"
    }
    env.update(
        DESKTERM_CONFIG=str(config),
        DESKTERM_TZ="America/New_York",
        LANG="C.UTF-8",
        COLORTERM="truecolor",
    )
    env.pop("LC_ALL", None)
    # Let Python cache bytecode as an installed desk does (pip compiles wheels at install);
    # with PYTHONDONTWRITEBYTECODE every start would recompile deskterm's modules.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def session_env(env: Mapping[str, str]) -> dict[str, str]:
    keys = ("DESKTERM_CONFIG", "DESKTERM_TZ", "LANG", "COLORTERM")
    return {k: env[k] for k in keys if k in env}


def marker_on(lines: Sequence[str], markers: Sequence[str] = MARKERS) -> bool:
    screen = "\n".join(lines)
    return all(marker in screen for marker in markers)


def read_stamp(path: Path, timeout: float = 2.0) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            parts = path.read_text().split()
            if len(parts) == 2:
                return float(parts[1])
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    return None


class Session:
    """One app in one tmux session: start, wait for the marker, quit, clean up."""

    def __init__(
        self,
        server: TmuxServer,
        variant: Variant,
        workdir: Path,
        env: Mapping[str, str],
        *,
        trace: Path | None = None,
        options: Sequence[str] = (),  # launch.py options, e.g. "--no-scheduled-fetch"
    ) -> None:
        self.server = server
        self.variant = variant
        self.options = list(options)
        self.name = f"{variant.name}-{uuid.uuid4().hex[:8]}"
        self.stamp_path = workdir / f"{self.name}.stamp"
        self.trace = trace
        self.env = env
        self.spawned_at = 0.0
        self.first_output_index = 0
        self.pid: int | None = None

    def start(self) -> None:
        argv = [PYTHON, LAUNCH, str(self.stamp_path)]
        if self.trace is not None:
            argv += ["--trace", str(self.trace)]
        argv += [*self.options, "--", *self.variant.program]
        self.first_output_index = len(self.server.output_times)
        self.spawned_at = time.monotonic()
        self.server.new_session(
            self.name, argv, width=WIDTH, height=HEIGHT, env=session_env(self.env), cwd=str(ROOT)
        )
        self.pid = self.server.pane_pid(self.name)  # the app itself: the shell exec'd it

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the app so far, all threads (10 ms resolution)."""
        if not self.pid:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def wait_for_marker(self, timeout: float = PAINT_TIMEOUT_S) -> tuple[float, list[str]]:
        """Monotonic time of the first full paint and the screen; raises TimeoutError."""
        server = self.server
        deadline = time.monotonic() + timeout
        seen = len(server.output_times)
        next_health = time.monotonic() + 0.1
        lines: list[str] = []
        while True:
            outputs = server.output_times
            count = len(outputs)
            last_output = outputs[count - 1] if count > self.first_output_index else None
            reply = server.capture(self.name)
            lines = reply.lines
            if marker_on(lines):
                if last_output is None:
                    return reply.at, lines
                return self._end_of_burst(count), lines
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError(f"no full paint within {timeout:g} s; screen:\n" + _tail(lines))
            if now >= next_health:
                next_health = now + 0.1
                dead, status, _size = server.pane_info(self.name)
                if dead:
                    screen = server.capture(self.name).lines
                    raise RuntimeError(
                        f"{self.variant.name} exited (status {status or '?'}) before painting: "
                        f"{_error_line(screen)}\n" + _tail(screen)
                    )
            seen = server.wait_output(max(seen, count), POLL_S)

    def _end_of_burst(self, count: int) -> float:
        """The arrival of the last ``%output`` of the frame that completed the marker.

        tmux 3.3 does not hold synchronized-output frames back, so a capture can catch a
        frame half drawn; a frame arrives as a burst of ``%output`` lines microseconds apart.
        The burst ends at the first gap of ``BURST_GAP_S``.
        """
        server = self.server
        while True:
            last = server.output_times[count - 1]
            now_count = server.wait_output(count, BURST_GAP_S)
            if now_count == count or server.output_times[count] - last >= BURST_GAP_S:
                return last
            count = now_count

    def stop(self) -> None:
        try:
            dead, _status, _size = self.server.pane_info(self.name)
            if not dead:
                self.server.send_keys(self.name, "q")
                deadline = time.monotonic() + 3.0
                while time.monotonic() < deadline:
                    if self.server.pane_info(self.name)[0]:
                        break
                    time.sleep(0.02)
        except TmuxError:
            pass
        finally:
            self.server.kill_session(self.name)
            self.stamp_path.unlink(missing_ok=True)


def _error_line(lines: Sequence[str]) -> str:
    """The last line of a traceback on screen (``SomeError: message``), if any."""
    pattern = re.compile(r"^\s*[│|]?\s*([A-Za-z_][\w.]*(Error|Exception|Exit)\b.*?)\s*[│|]?\s*$")
    for line in reversed(lines):
        found = pattern.match(line)
        if found:
            return found.group(1)
    return "no error message on screen"


def _tail(lines: Sequence[str], count: int = 12) -> str:
    text = [line.rstrip() for line in lines if line.strip()]
    return "\n".join(text[-count:]) or "(blank screen)"


def first_paint(server: TmuxServer, variant: Variant, workdir: Path, env: Mapping[str, str]) -> Run:
    session = Session(server, variant, workdir, env)
    try:
        session.start()
        painted, screen = session.wait_for_marker()
        cpu = session.cpu_seconds()
        started = read_stamp(session.stamp_path)
        if started is None:
            return Run(variant.name, None, error="launch.py wrote no start stamp")
        return Run(
            variant.name,
            painted - started,
            spawn_to_stamp=started - session.spawned_at,
            cpu_seconds=cpu,
            screen=screen,
        )
    except (TimeoutError, RuntimeError, TmuxError) as error:
        return Run(variant.name, None, error=str(error))
    finally:
        session.stop()


def variants(small_db: Path, big_db: Path) -> list[Variant]:
    return [
        Variant("bare", ["bare"]),
        Variant("desk10k", ["desk", "--db", str(small_db)]),
        Variant("desk1M", ["desk", "--db", str(big_db)]),
        # the floor: four DataTables filled by stdlib sqlite3, no desk (bench/floor_app.py)
        Variant("floor1M", ["floor", "--db", str(big_db)]),
        # the bare app after the desk's start-up imports: what the imports alone cost
        Variant("imports", ["imports", "--db", str(small_db)]),
    ]


def measure(
    server: TmuxServer,
    chosen: Sequence[Variant],
    workdir: Path,
    env: Mapping[str, str],
    *,
    runs: int = 5,
    warmup: int = 1,
    log=lambda text: print(text, file=sys.stderr, flush=True),  # type: ignore[no-untyped-def]
) -> Figures:
    results: dict[str, list[Run]] = {v.name: [] for v in chosen}
    for round_ in range(warmup + runs):
        label = "warm-up" if round_ < warmup else f"run {round_ - warmup + 1}/{runs}"
        for variant in chosen:
            run = first_paint(server, variant, workdir, env)
            shown = f"{run.seconds * 1000:7.1f} ms" if run.seconds is not None else "FAILED"
            if run.cpu_seconds is not None:
                shown += f" (CPU {run.cpu_seconds * 1000:.0f} ms)"
            log(f"  first paint {label:<9} {variant.name:<8} {shown}")
            if run.error:
                log("    " + run.error.replace("\n", "\n    "))
            if round_ >= warmup:
                results[variant.name].append(run)
            elif run.seconds is None:
                # a variant that cannot start at all: do not spend 5 more timeouts on it
                results[variant.name].append(run)
        chosen = [v for v in chosen if not (round_ < warmup and results[v.name])]
    return Figures(results)


@dataclass
class Breakdown:
    """Where a desk's first paint goes, from one traced run (ms after the start stamp)."""

    variant: str
    events: list[tuple[str, float]]
    paint: float | None
    error: str = ""


def traced_breakdown(
    server: TmuxServer, variant: Variant, workdir: Path, env: Mapping[str, str]
) -> Breakdown:
    """One extra run with launch.py's trace on (not counted in the figures)."""
    trace_path = workdir / f"{variant.name}-startup.trace"
    trace_path.unlink(missing_ok=True)
    session = Session(server, variant, workdir, env, trace=trace_path)
    try:
        session.start()
        painted, _screen = session.wait_for_marker()
        time.sleep(0.05)
        started = read_stamp(session.stamp_path)
        if started is None:
            return Breakdown(variant.name, [], None, "no start stamp")
        events: list[tuple[str, float]] = []
        first_frame: int | None = None
        frame_shown = False
        for line in trace_path.read_text().splitlines():
            kind, stamp, *rest = line.split(" ", 2)
            at = (float(stamp) - started) * 1000
            detail = rest[0] if rest else ""
            if kind == "run":
                events.append(("imports done, app built (App.run called)", at))
            elif kind == "disp" and first_frame is None:
                first_frame = int(detail)
                events.append(("first frame rendered", at))
            elif kind == "flush" and first_frame is not None and not frame_shown:
                if int(detail) >= first_frame:
                    events.append(("first frame on the terminal", at))
                    frame_shown = True
            elif kind == "loaded":
                pane, rows, took = [*detail.split(), "?", "?"][:3]
                events.append((f"{pane}: {rows} rows shown, table filled in {took} ms", at))
            elif kind == "load-end":
                pane, cpu = [*detail.split(), "?"][:2]
                events.append((f"{pane}: load() returns (its thread used {cpu} ms CPU)", at))
            elif kind == "load-start":
                events.append((f"{detail}: load() starts (worker thread)", at))
        return Breakdown(variant.name, events, (painted - started) * 1000)
    except (TimeoutError, RuntimeError, TmuxError, OSError) as error:
        return Breakdown(variant.name, [], None, str(error))
    finally:
        session.stop()


DESK_IMPORTS = (
    "import deskterm.cli.main, deskterm.cli.desk, deskterm.core.desk, deskterm.core.summary, "
    "deskterm.app"
)
BARE_IMPORTS = "import bare_app"


@dataclass
class Imports:
    """``python -X importtime`` for one start-up's imports: total and self time per package."""

    total_ms: float
    by_package_ms: dict[str, float]
    slowest: list[tuple[str, float]]  # modules by self time
    error: str = ""


def import_times(statement: str, env: Mapping[str, str], *, repeat: int = 3) -> Imports:
    """The fastest of ``repeat`` runs (bytecode cached after the first)."""
    best: Imports | None = None
    for _ in range(repeat):
        try:
            done = subprocess.run(
                [PYTHON, "-X", "importtime", "-c", statement],
                capture_output=True, text=True, timeout=60, env=dict(env),
                cwd=str(ROOT / "bench"),
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as error:
            return Imports(0.0, {}, [], str(error))
        if done.returncode != 0:
            return Imports(0.0, {}, [], (done.stderr.strip().splitlines() or ["failed"])[-1])
        packages: dict[str, float] = {}
        modules: list[tuple[str, float]] = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            # "import time:  SELF_US |  CUMULATIVE_US |  [indent]module.name"
            parts = line.split("|")
            try:
                self_ms = int(parts[0].split(":", 1)[1]) / 1000
                name = parts[2].strip()
            except (IndexError, ValueError):
                continue
            package = name.split(".")[0]
            packages[package] = packages.get(package, 0.0) + self_ms
            modules.append((name, self_ms))
        result = Imports(
            sum(packages.values()),
            dict(sorted(packages.items(), key=lambda kv: -kv[1])),
            sorted(modules, key=lambda kv: -kv[1])[:8],
        )
        if best is None or result.total_ms < best.total_ms:
            best = result
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    from bench import data

    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    small, big = data.prepare(data.SMALL_CLIPS), data.prepare(data.BIG_CLIPS)
    with tempfile.TemporaryDirectory(prefix="deskbench-") as tmp:
        workdir = Path(tmp)
        env = desk_env(workdir)
        with TmuxServer(env) as server:
            figures = measure(server, variants(small, big), workdir, env, runs=args.runs)
            for name, runs in figures.runs.items():
                med = figures.median(name)
                print(
                    name,
                    f"{med * 1000:.1f} ms" if med else "failed",
                    [round(r.seconds * 1000, 1) for r in runs if r.seconds],
                )
            for variant in [v for v in variants(small, big) if v.program[0] == "desk"]:
                breakdown = traced_breakdown(server, variant, workdir, env)
                print(breakdown.variant, breakdown.error)
                for label, at in breakdown.events:
                    print(f"  {at:8.1f} ms  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
