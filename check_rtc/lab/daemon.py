# SPDX-License-Identifier: GPL-3.0-or-later
"""Process management for the lab's real servers: start, wait until ready, stop by PID.

Each server runs in the foreground in its own session (start_new_session=True),
with stdout+stderr in RUN_DIR/daemon.log. A server is ready when its probe
succeeds (TCP connect, a log line); if it exits or the probe times out, start()
raises StartError carrying the log tail. Nothing outlives the test process:
stop() is SIGTERM, a second SIGTERM after 2 s, SIGKILL after 5 s; an atexit hook
stops whatever is still running, and on Linux the kernel sends SIGTERM to a
daemon whose parent died (PR_SET_PDEATHSIG), which covers a SIGKILLed pytest. (PR_SET_PDEATHSIG fires when the *thread*
that started the daemon ends: start labs from a thread that outlives them,
normally the main thread.)
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import ClassVar

LOOPBACKS: tuple[str, ...] = ("127.0.0.1", "::1")
READY_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.02
SECOND_TERM_SECONDS = 2.0
KILL_SECONDS = 5.0
LOG_TAIL_LINES = 25

_PR_SET_PDEATHSIG = 1


class LabError(Exception):
    """The lab could not set up or run a server."""


class StartError(LabError):
    """A server exited early or did not become ready; the message has its log tail."""


# Every started daemon until it is stopped; the atexit hook walks this.
_running: dict[int, "Daemon"] = {}


def _stop_all_at_exit() -> None:
    for daemon in list(_running.values()):
        daemon.stop()


atexit.register(_stop_all_at_exit)


def _die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM the child if we die (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: atexit is the only safety net then


def tcp_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    """True if a TCP connect to host:port succeeds (the port is listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
        except OSError:
            return False
    return True


class Daemon:
    """One foreground server process with its own run directory.

    Subclasses set `kind`, implement write_config(), command() and ports(),
    and may override tcp_ports() / is_ready().
    """

    kind: ClassVar[str] = "daemon"

    def __init__(self, run_dir: Path, *, ready_timeout: float = READY_TIMEOUT_SECONDS) -> None:
        self.run_dir = Path(run_dir)
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_seconds: float | None = None  # how long start() took

    # -- to implement ------------------------------------------------------
    def write_config(self) -> None:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def ports(self) -> list[int]:
        """Every port the server binds; all are pre-checked before start."""
        raise NotImplementedError

    def tcp_ports(self) -> list[int]:
        """Ports whose TCP connect on 127.0.0.1 and ::1 means 'ready'."""
        return self.ports()

    def is_ready(self) -> bool:
        return all(tcp_accepts(h, p) for p in self.tcp_ports() for h in LOOPBACKS)

    def environment(self) -> dict[str, str] | None:
        return None

    # -- lifecycle ---------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.run_dir / "daemon.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> "Daemon":
        from .ports import ensure_free  # late: ports imports LabError from here

        if self.running:
            return self
        began = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        ensure_free(*self.ports())  # right before start: the window is tiny
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.run_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                env=self.environment(),
            )
        _running[self.proc.pid] = self
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.started_seconds = time.monotonic() - began
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.ready_timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise StartError(f"{self.describe()} exited with status {rc} during start;"
                                 f" log tail:\n{self.log_tail()}")
            if self.is_ready():
                return
            if time.monotonic() > deadline:
                raise StartError(f"{self.describe()} not ready after {self.ready_timeout:.0f} s;"
                                 f" log tail:\n{self.log_tail()}")
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        """SIGTERM; again after 2 s; SIGKILL (whole process group) after 5 s; reap."""
        proc = self.proc
        if proc is None:
            return
        _running.pop(proc.pid, None)
        if proc.poll() is None:
            self._terminate(proc)
        # Children (kamailio forks ~13) share the session we created; a child
        # left behind by a crashed parent is killed here, by our group id.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(SECOND_TERM_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
        proc.send_signal(signal.SIGTERM)  # some servers only hurry on the second one
        try:
            proc.wait(KILL_SECONDS - SECOND_TERM_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            proc.kill()
        proc.wait()

    def describe(self) -> str:
        return f"{self.kind} ({self.run_dir.name})"

    def __enter__(self) -> "Daemon":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
