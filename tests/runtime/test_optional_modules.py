# SPDX-License-Identifier: GPL-3.0-or-later
"""Optional libraries (Debian Recommends, pip extras): missing is UNKNOWN with the remedy."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Run the check's module with the library made unimportable (None in sys.modules).
BLOCKED = "import runpy, sys; sys.modules[sys.argv[1]] = None; sys.argv = sys.argv[2:]; runpy.run_module(sys.argv[0], run_name='__main__')"


@pytest.mark.parametrize(
    "module, check, args, message",
    [
        ("aioice", "check_rtc.checks.turn", ["-H", "127.0.0.1", "-p", "9", "--ice", "-u", "user"],
         "TURN UNKNOWN - check_turn --ice needs the Python module aioice: apt-get install python3-aioice"
         " (pip: check-rtc[ice])"),
        ("slixmpp", "check_rtc.checks.xmpp", ["-H", "127.0.0.1", "-d", "example.test", "-p", "9", "-u", "m@example.test"],
         "XMPP UNKNOWN - check_xmpp -u (login) needs the Python module slixmpp: apt-get install python3-slixmpp"
         " (pip: check-rtc[xmpp-login])"),
    ],
)
def test_missing_optional_library_is_unknown_with_the_package_to_install(
    module: str, check: str, args: list[str], message: str
) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO),
           "CHECK_RTC_PASSWORD": "correct horse battery staple"}
    done = subprocess.run([sys.executable, "-c", BLOCKED, module, check, *args],
                          capture_output=True, text=True, env=env, timeout=30, cwd=os.sep)
    assert (done.returncode, done.stdout.splitlines()[0]) == (3, message), done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
