# SPDX-License-Identifier: GPL-3.0-or-later
"""What the tests of the shipped Nagios and Icinga 2 configuration share.

The daemons run THIS checkout's checks: $USER1$ / PluginDir is a directory
of small wrappers, one per console script of setup.cfg (the installed
console script under the PyPI venv, else `from check_rtc.checks.X import
main` with the checkout on sys.path), next to links to Debian's plugins
(check_ping for the host checks).
"""

from __future__ import annotations

import configparser
import secrets as secrets_module
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

import pytest

from tests.conftest import REPO

NAGIOS_CONFIG = REPO / "nagios-config"
ICINGA2_CONFIG = REPO / "icinga2-config"
DEBIAN_PLUGINS = Path("/usr/lib/nagios/plugins")
T = TypeVar("T")

_WRAPPER = """\
#!{python}
import sys
sys.path.insert(0, {repo!r})
from {module} import main
main()
"""


def console_scripts() -> dict[str, str]:
    """The checks that exist: console script name -> module, from setup.cfg."""
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    scripts = {}
    for line in setup["options.entry_points"]["console_scripts"].strip().splitlines():
        name, _, target = line.partition("=")
        scripts[name.strip()] = target.strip().partition(":")[0]
    return scripts


def wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `probe` until it returns something true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen after {timeout:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$USER1$ / PluginDir for the daemons: this checkout's checks and Debian's plugins."""
    directory = tmp_path_factory.mktemp("plugins")
    for name, module in console_scripts().items():
        installed = Path(sys.executable).parent / name
        if installed.exists():
            (directory / name).symlink_to(installed)
        else:
            wrapper = directory / name
            wrapper.write_text(_WRAPPER.format(python=sys.executable, repo=str(REPO), module=module))
            wrapper.chmod(0o755)
    for plugin in DEBIAN_PLUGINS.iterdir():
        if not (directory / plugin.name).exists():
            (directory / plugin.name).symlink_to(plugin)
    return directory


@pytest.fixture(scope="module")
def rtc_lab(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A lab of its own (start_all()) for one module, whose servers a test may stop; and for
    the test call, a kamailio proxy ("pbx") that challenges INVITEs, where a baresip
    registered "callee", which answers with a tone."""
    from check_rtc.lab import Lab
    from check_rtc.lab.baresip import Baresip

    with Lab(run_dir=tmp_path_factory.mktemp("rtc-lab"), variants=("good",)) as lab:
        servers = lab.start_all()
        servers["pbx"] = lab.kamailio(proxy=True, auth_user="monitor", auth_password=secrets_module.token_hex(8))
        with Baresip(lab.run_dir / "phone", registrar=f"127.0.0.1:{servers['pbx'].port}", domain=lab.domain,
                     users=("callee",)) as phone:
            phone.wait_registered()
            servers["phone"] = phone
            yield lab, servers


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory, rtc_lab) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """The password files the resource macros / password_file variables name."""
    lab, servers = rtc_lab
    directory = tmp_path_factory.mktemp("secrets")
    files = {"turn": directory / "turn-password", "xmpp": directory / "xmpp-password",
             "sip": directory / "sip-password"}
    files["turn"].write_text(servers["turn"].password + "\n")
    files["xmpp"].write_text(servers["xmpp"].password + "\n")
    files["sip"].write_text(servers["pbx"].auth_password + "\n")
    for path in files.values():
        path.chmod(0o600)
    return files
