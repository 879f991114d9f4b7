# SPDX-License-Identifier: GPL-3.0-or-later
"""Guard: every console script of setup.cfg ships with its Nagios command file
(nagios-config/SCRIPT.cfg) and its Icinga 2 CheckCommand (icinga2-config/SCRIPT.conf),
and the CheckCommand maps every option of the check's --help.

A new check added to setup.cfg fails here until it has both; the real
nagios4/icinga2 runs (test_nagios.py, test_icinga2.py) then prove them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.conftest import ICINGA2_CONFIG, NAGIOS_CONFIG, console_scripts
from tests.conftest import REPO

SCRIPTS = console_scripts()
# sub-commands: the options of `check_rtc audit`, which the CheckCommand runs
SUBCOMMANDS = {"check_rtc": ["audit"]}
# options no monitoring service passes: help and version
NOT_MAPPED = {"-h", "--help", "-V", "--version"}
_BLOCK = re.compile(r'^(?:object|template) CheckCommand "([^"]+)" \{\n(.*?)^\}', re.M | re.S)
_COMMAND = re.compile(r'^\s*command\s*=\s*\[\s*PluginDir \+ "/([^"]+)"', re.M)
_ARGUMENT = re.compile(r'^\t\t"(-[^"]*)" = \{', re.M)
_IMPORT = re.compile(r'^\timport "([^"]+)"', re.M)
_REMOVE = re.compile(r'^\targuments\.remove\("([^"]+)"\)', re.M)
_DEFINE = re.compile(r"^define (\w+)\s*\{(.*?)^\s*\}", re.M | re.S)


Commands = dict[str, tuple[str | None, set[str], list[str], set[str]]]


def check_commands() -> Commands:
    """Every CheckCommand and template of icinga2-config/*.conf:
    name -> (plugin, own options, imports, options removed from the imported ones)."""
    found = {}
    for path in sorted(ICINGA2_CONFIG.glob("*.conf")):
        for name, body in _BLOCK.findall(path.read_text()):
            command = _COMMAND.search(body)
            found[name] = (command.group(1) if command else None, set(_ARGUMENT.findall(body)),
                           _IMPORT.findall(body), set(_REMOVE.findall(body)))
    return found


def mapped_options(name: str, commands: Commands) -> set[str]:
    """The options a CheckCommand passes, its templates' included."""
    plugin, options, imports, removed = commands[name]
    for template in imports:
        if template in commands:  # ITL templates (ipv4-or-ipv6) map no option of ours
            options = options | mapped_options(template, commands)
    return options - removed


def help_options(script: str) -> set[str]:
    """The options in the usage of `SCRIPT [SUBCOMMAND] --help`."""
    module = SCRIPTS[script]
    code = f"import sys; sys.path.insert(0, {str(REPO)!r}); sys.argv[0] = {script!r}; from {module} import main; main()"
    result = subprocess.run([sys.executable, "-c", code, *SUBCOMMANDS.get(script, []), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("usage: "), result.stdout + result.stderr
    usage = result.stdout.split("\n\n", 1)[0]
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", usage)) - NOT_MAPPED


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_check_has_nagios_commands(script: str) -> None:
    path = NAGIOS_CONFIG / f"{script}.cfg"
    assert path.exists(), f"{script} is a console script of setup.cfg but {path} is missing"
    definitions = _DEFINE.findall(path.read_text())
    # only command definitions: Debian installs the file to /etc/nagios-plugins/config (docs/packaging.md)
    assert definitions and {kind for kind, _ in definitions} == {"command"}, path
    for _, body in definitions:
        line = re.search(r"^\s*command_line\s+(.*)$", body, re.M)
        assert line and line.group(1).startswith(f"$USER1$/{script} "), body


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_every_check_has_an_icinga2_checkcommand_mapping_every_option(script: str) -> None:
    path = ICINGA2_CONFIG / f"{script}.conf"
    assert path.exists(), f"{script} is a console script of setup.cfg but {path} is missing"
    commands = check_commands()
    ours = [name for name, body in _BLOCK.findall(path.read_text()) if commands[name][0] == script]
    assert ours, f"no CheckCommand in {path} runs PluginDir + \"/{script}\""
    wanted = help_options(script)
    for name in ours:
        mapped = mapped_options(name, commands)
        assert wanted <= mapped, (name, sorted(wanted - mapped))
        assert mapped <= wanted, (name, "options the check does not have", sorted(mapped - wanted))


def test_nothing_else_in_the_command_directories() -> None:
    """Each command file belongs to a console script (no leftover of a renamed check)."""
    shared = {"check-rtc.conf"}
    samples = {path.name for path in [*NAGIOS_CONFIG.glob("rtc-example-*"), *ICINGA2_CONFIG.glob("rtc-example-*")]}
    for path in [*NAGIOS_CONFIG.glob("*.cfg"), *ICINGA2_CONFIG.glob("*.conf")]:
        if path.name not in shared | samples:
            assert path.stem in SCRIPTS, f"{path} names no console script of setup.cfg"


def test_the_guard_sees_the_checks() -> None:
    assert {"check_stun", "check_turn", "check_sip", "check_xmpp", "check_rtc_cert", "check_rtc_dns",
            "check_enum", "check_rtcp"} <= set(SCRIPTS)
    assert all(isinstance(path, Path) for path in (NAGIOS_CONFIG, ICINGA2_CONFIG))
