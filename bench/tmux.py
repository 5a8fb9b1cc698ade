"""A private tmux server driven through one control-mode client (``tmux -C``).

Why control mode: polling ``tmux capture-pane -p`` every 5 ms by spawning a tmux client per
poll costs a fork+exec each time, CPU that a 2-core machine takes away from the app being
measured. One long-lived control client sends the same commands over a pipe instead, and
tmux tells it (``%output``) the moment a pane writes, so captures happen right after output
and cost a fraction of a millisecond.

Every benchmark run gets a unique session on a server with a unique socket name
(``tmux -L deskbench-PID-RANDOM``, config ``/dev/null``); ``close()`` kills the server, and
is registered with ``atexit`` and for SIGTERM/SIGHUP so nothing is left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TMUX = "/usr/bin/tmux"


class TmuxError(RuntimeError):
    pass


@dataclass
class Reply:
    ok: bool
    lines: list[str]
    at: float  # monotonic time the reply's %end arrived


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    reply: Reply | None = None


class TmuxServer:
    """``start()``, then ``new_session``, ``capture``, ``send_keys``, ``kill_session``."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.socket = f"deskbench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._env = dict(env if env is not None else os.environ)
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()  # one command in flight at a time
        self._pending: _Pending | None = None
        self._cond = threading.Condition()
        self.output_times: list[float] = []  # %output arrival times (attached session)
        self.exited = False
        self._closed = False

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> TmuxServer:
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> TmuxServer:
        if not os.access(TMUX, os.X_OK):
            raise TmuxError(f"{TMUX} not found: install tmux to run the terminal benchmarks")
        self._proc = subprocess.Popen(
            [
                TMUX,
                "-u",
                "-L",
                self.socket,
                "-f",
                "/dev/null",
                "-C",
                "new-session",
                "-s",
                "keeper",
                "-x",
                "80",
                "-y",
                "24",
                "sleep 86400",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env,
            start_new_session=True,
        )
        atexit.register(self.close)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # not the main thread
                previous = signal.getsignal(sig)
                signal.signal(sig, self._on_signal(previous))
        self._reader = threading.Thread(target=self._read, name="tmux-control", daemon=True)
        self._reader.start()
        for option in (
            "set -g detach-on-destroy off",  # the control client survives killed sessions
            "set -g remain-on-exit on",  # a crashed app's last screen stays capturable
            "set -g default-terminal tmux-256color",
            "set -g status off",
            "set -g history-limit 0",
        ):
            self.command(option)
        return self

    def _on_signal(self, previous):  # type: ignore[no-untyped-def]
        def handler(signum, frame):  # type: ignore[no-untyped-def]
            self.close()
            if callable(previous):
                previous(signum, frame)
            else:
                raise SystemExit(128 + signum)

        return handler

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            subprocess.run(
                [TMUX, "-L", self.socket, "kill-server"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=5,
                env=self._env,
            )
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.stdin.close()  # type: ignore[union-attr]
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        # tmux 3.3 leaves the socket file behind; it is ours (unique name): remove it.
        folder = os.path.join(self._env.get("TMUX_TMPDIR") or "/tmp", f"tmux-{os.getuid()}")
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, self.socket))

    def __enter__(self) -> TmuxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # protocol ----------------------------------------------------------------------------
    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        block: list[str] | None = None
        for raw in self._proc.stdout:
            now = time.monotonic()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if block is not None:
                if line.startswith(("%end ", "%error ")) and self._is_ours(line):
                    self._finish(Reply(line.startswith("%end "), block, now))
                    block = None
                else:
                    block.append(line)
                continue
            if line.startswith("%begin "):
                if self._is_ours(line):
                    block = []
                continue
            if line.startswith("%output "):
                with self._cond:
                    self.output_times.append(now)
                    self._cond.notify_all()
            elif line.startswith("%exit"):
                break
        self.exited = True
        self._finish(Reply(False, ["tmux control client exited"], time.monotonic()))
        with self._cond:
            self._cond.notify_all()

    @staticmethod
    def _is_ours(line: str) -> bool:
        # "%begin TIME NUMBER FLAGS": flags 1 = the command came from this client
        parts = line.split()
        return len(parts) >= 4 and parts[3] == "1"

    def _finish(self, reply: Reply) -> None:
        pending = self._pending
        if pending is not None:
            pending.reply = reply
            pending.done.set()

    def command(self, text: str, *, timeout: float = 5.0, check: bool = True) -> Reply:
        """Run one tmux command through the control client and return its reply."""
        if self._proc is None or self._proc.stdin is None or self.exited:
            raise TmuxError("tmux control client is not running")
        with self._lock:
            pending = self._pending = _Pending()
            try:
                self._proc.stdin.write(text.encode() + b"\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                raise TmuxError(f"tmux control client is gone: {error}") from error
            if not pending.done.wait(timeout):
                raise TmuxError(f"tmux did not answer {text.split()[0]!r} within {timeout}s")
            self._pending = None
        reply = pending.reply
        assert reply is not None
        if check and not reply.ok:
            raise TmuxError(f"tmux {text.split()[0]}: {' '.join(reply.lines) or 'failed'}")
        return reply

    def wait_output(self, after_count: int, timeout: float) -> int:
        """Block until more than ``after_count`` %output lines arrived (or timeout)."""
        with self._cond:
            self._cond.wait_for(
                lambda: len(self.output_times) > after_count or self.exited, timeout
            )
            return len(self.output_times)

    # sessions ----------------------------------------------------------------------------
    def new_session(
        self,
        name: str,
        argv: Sequence[str],
        *,
        width: int = 120,
        height: int = 40,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        """Start ``argv`` (exec'd, no shell left behind) in a detached session, attach to it."""
        parts = ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height)]
        if cwd:
            parts += ["-c", cwd]
        for key, value in (env or {}).items():
            parts += ["-e", f"{key}={value}"]
        parts.append("exec " + shlex.join(argv))
        self.command(" ".join(_quote(p) for p in parts))
        # Attach so that tmux reports this session's %output to us. Control clients do not
        # resize windows, so the pane stays width x height.
        self.command(f"switch-client -t {_quote(name)}")

    def kill_session(self, name: str) -> None:
        with contextlib.suppress(TmuxError):
            self.command("switch-client -t keeper", check=False)
            self.command(f"kill-session -t {_quote(name)}", check=False)

    def capture(self, name: str) -> Reply:
        return self.command(f"capture-pane -p -t {_quote(name)}")

    def pane_info(self, name: str) -> tuple[bool, str, str]:
        """(dead, exit status, size) of the session's pane."""
        reply = self.command(
            f"display-message -p -t {_quote(name)} "
            + _quote("#{pane_dead} #{pane_dead_status} #{pane_width}x#{pane_height}"),
            check=False,
        )
        fields = (reply.lines[0] if reply.lines else "").split()
        if len(fields) == 2:  # pane alive: empty status
            fields = [fields[0], "", fields[1]]
        dead, status, size = [*fields, "", "", ""][:3]
        return dead == "1", status, size

    def pane_pid(self, name: str) -> int | None:
        reply = self.command(f"display-message -p -t {_quote(name)} '#{{pane_pid}}'", check=False)
        try:
            return int(reply.lines[0])
        except (IndexError, ValueError):
            return None

    def send_keys(self, name: str, *keys: str, literal: bool = True) -> Reply:
        flag = "-l " if literal else ""
        return self.command(
            f"send-keys -t {_quote(name)} {flag}" + " ".join(_quote(k) for k in keys)
        )


def _quote(text: str) -> str:
    """Quote for tmux's command parser (single quotes, like sh)."""
    if text and all(c.isalnum() or c in "-_./:=@%+," for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"
