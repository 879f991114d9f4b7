# SPDX-License-Identifier: GPL-3.0-or-later
"""Every option of every check, fed a wrong value: one UNKNOWN line with the usage, exit 3.

The options are read from each check's own parser, so an option added
later is covered without touching this file.
"""

from __future__ import annotations

import argparse
import importlib

import pytest

from tests.conftest import MODULES, run_check

MISSING_FILE = "/nonexistent/check-rtc-input"
NOT_A_VALUE = "not%a%value"
# What each check needs besides the option under test to get past its own
# "what should I check" question.
BASE_ARGS = {"check_rtcp": ["--turn", "-H", "127.0.0.1"], "check_rtc_dns": ["-d", "example.test"],
             "check_enum": ["-n", "+442079460000"],
             "check_rtc_call": ["-H", "127.0.0.1", "--uri", "sip:echo@example.test"]}
DEFAULT_BASE = ["-H", "127.0.0.1"]


def base(check: str) -> list[str]:
    return BASE_ARGS.get(check, DEFAULT_BASE)


def valued_options() -> list[tuple[str, str, str]]:
    """(check, option, bad value) for every option that takes a checked value."""
    cases = []
    for check, module in sorted(MODULES.items()):
        parser = importlib.import_module(module).build_parser()
        for action in parser._actions:
            bad = _bad_value(action)
            if bad is not None and action.option_strings:
                cases.append((check, action.option_strings[-1], bad))
    return cases


def _bad_value(action: argparse.Action) -> str | None:
    if action.nargs == 0 or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return None
    if action.choices is not None:
        return NOT_A_VALUE
    if action.type is None:
        return None  # free text (a host name, a URI): nothing to refuse at parse time
    name = getattr(action.type, "__name__", "")
    return MISSING_FILE if name in ("readable_file", "readable_dir") else NOT_A_VALUE


@pytest.mark.parametrize("check, option, value", valued_options())
def test_a_wrong_value_is_a_usage_error(check: str, option: str, value: str) -> None:
    result = run_check(check, *base(check), f"{option}={value}")
    assert result.returncode == 3, result.stdout
    first, *rest = result.stdout.splitlines()
    assert first.endswith(f"UNKNOWN - argument {_names(check, option)}: " + first.split(": ", 1)[1]), first
    assert any(line.startswith("usage: ") for line in rest)
    assert "Traceback" not in result.stdout + result.stderr


def _names(check: str, option: str) -> str:
    """How argparse names the option in its message ('-p/--port')."""
    parser = importlib.import_module(MODULES[check]).build_parser()
    action = next(a for a in parser._actions if option in a.option_strings)
    return "/".join(action.option_strings)


@pytest.mark.parametrize("check, option", [(c, o) for c, o, _ in valued_options()])
def test_a_missing_value_is_a_usage_error(check: str, option: str) -> None:
    result = run_check(check, *base(check), option)
    assert result.returncode == 3
    assert f"UNKNOWN - argument {_names(check, option)}: expected one argument" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("check", sorted(MODULES))
def test_an_empty_secret_file_is_unknown_and_not_echoed(check: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    parser = importlib.import_module(MODULES[check]).build_parser()
    if "--password-file" not in parser._option_string_actions:
        return
    empty = tmp_path / "empty"
    empty.write_text("")
    result = run_check(check, *base(check), "-u", "someone@example.test", "--password-file", str(empty))
    assert result.returncode == 3
    assert f"password file {empty} is empty" in result.stdout
