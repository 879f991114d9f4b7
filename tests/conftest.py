# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: run a check as the operator does, and the lab of real servers.

A check runs as a new process with a clean environment (as a monitoring
daemon starts it): the executable in $CHECK_RTC_PLUGIN_DIR when that is set
(the Debian package: /usr/lib/nagios/plugins), else the installed console
script when the interpreter's environment has one (the PyPI venv), else
`python -m` from this checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: a few hundred examples per property in CI; the long profile
# (HYPOTHESIS_PROFILE=long) is for a benchmark machine with time to spare.
settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("long", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
MODULES = {"check_stun": "check_rtc.checks.stun", "check_turn": "check_rtc.checks.turn", "check_sip": "check_rtc.checks.sip",
           "check_xmpp": "check_rtc.checks.xmpp", "check_rtc_cert": "check_rtc.checks.cert"}
MODULES.update(check_rtc_dns="check_rtc.checks.dns", check_enum="check_rtc.checks.enum")
MODULES["check_rtcp"] = "check_rtc.checks.rtcp"
MODULES["check_rtc_call"] = "check_rtc.checks.call"
MODULES["check_rtc"] = "check_rtc.checks.rtc"
STATUS_LINE = re.compile(r"^(?P<name>[A-Z]+) (?P<state>OK|WARNING|CRITICAL|UNKNOWN) - (?P<summary>[^|]*?)(?: \| (?P<perfdata>.*))?$")


@dataclass
class Result:
    """What the operator sees: exit code, output, and how long it took."""

    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def status(self) -> re.Match[str]:
        match = STATUS_LINE.match(self.stdout.splitlines()[0] if self.stdout else "")
        assert match, f"not a plugin status line: {self.stdout!r}"
        return match

    @property
    def state(self) -> str:
        return self.status["state"]

    @property
    def summary(self) -> str:
        return self.status["summary"]

    @property
    def perfdata(self) -> dict[str, str]:
        items = re.findall(r"('[^']+'|[^ =]+)=(\S+)", self.status["perfdata"] or "")
        return {label.strip("'"): value for label, value in items}

    @property
    def long_output(self) -> list[str]:
        return self.stdout.splitlines()[1:]


# The directory of installed plugins to test instead of this checkout's code.
PLUGIN_DIR = os.environ.get("CHECK_RTC_PLUGIN_DIR")


def installed(name: str) -> Path | None:
    """The installed executable to run for `name`, or None to run this checkout's module."""
    if PLUGIN_DIR:
        path = Path(PLUGIN_DIR) / name
        assert os.access(path, os.X_OK), f"CHECK_RTC_PLUGIN_DIR: {path} is not an installed executable"
        return path
    path = Path(sys.executable).parent / name
    return path if path.exists() else None


def command(name: str) -> list[str]:
    path = installed(name)
    if path:
        return [str(path)]
    return [sys.executable, "-m", MODULES[name]]


def run_check(name: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None) -> Result:
    """Run a check with a clean environment (plus `env`), as a monitoring daemon does."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}
    if not installed(name):
        env["PYTHONPATH"] = str(REPO)
    started = time.monotonic()
    done = subprocess.run(
        command(name) + list(args), capture_output=True, text=True, env=env, timeout=timeout, cwd="/"
    )
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert "Traceback" not in done.stdout + done.stderr or "-vvv" in args, done.stdout + done.stderr
    return result


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The lab's real servers (coturn x2, kamailio, prosody, then BIND with their
    records), started once for the session and stopped by PID; tests add variants."""
    from check_rtc.lab import Lab

    with Lab(run_dir=tmp_path_factory.mktemp("lab")) as the_lab:
        the_lab.start_all()
        yield the_lab


@pytest.fixture(scope="session")
def turn(lab):  # type: ignore[no-untyped-def]
    """The lab's coturn with long-term credentials (STUN answers too)."""
    from check_rtc.lab import Coturn

    return next(server for server in lab.servers if isinstance(server, Coturn) and server.mode == "ltc")


@pytest.fixture(scope="session")
def dns(lab):  # type: ignore[no-untyped-def]
    """The lab's BIND, authoritative for example.test with the guide's records."""
    from check_rtc.lab import Bind

    return next(server for server in lab.servers if isinstance(server, Bind))
