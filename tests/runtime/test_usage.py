# SPDX-License-Identifier: GPL-3.0-or-later
"""The command-line contract: usage errors, --help and --version are UNKNOWN (exit 3)."""

from __future__ import annotations

import pytest

from tests.conftest import run_check


def test_no_target_is_unknown_with_usage() -> None:
    result = run_check("check_stun")
    assert result.returncode == 3
    assert result.stdout.startswith("STUN UNKNOWN - give -H HOST or -d DOMAIN\nusage: check_stun ")


def test_help_exits_unknown_and_lists_common_options() -> None:
    result = run_check("check_stun", "--help")
    assert result.returncode == 3
    for option in ("-H HOST", "-d DOMAIN", "-T LIST", "-w RANGE", "-c RANGE", "-t SECONDS", "--dns-server",
                   "--ca-file", "--client-cert", "--insecure", "--require-all"):
        assert option in result.stdout


def test_version_exits_unknown() -> None:
    result = run_check("check_stun", "-V")
    assert result.returncode == 3
    assert result.stdout.startswith("check_stun (check-rtc) ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["-H", "127.0.0.1", "-w", "5:1"], "invalid range '5:1'"),
        (["-H", "127.0.0.1", "-c", "abc"], "invalid range 'abc'"),
        (["-H", "127.0.0.1", "-T", "sctp"], "transport 'sctp' is not one of udp,tcp,tls"),
        (["-H", "127.0.0.1", "-p", "70000"], "'70000' is not a port number"),
        (["-H", "127.0.0.1", "-t", "0"], "0 is not between 0 and 3600 seconds"),
        (["-H", "127.0.0.1", "-4", "-6"], "not allowed with argument"),
        (["-H", "127.0.0.1", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_usage_is_unknown_with_a_reason(args: list[str], message: str) -> None:
    result = run_check("check_stun", *args)
    assert result.returncode == 3
    assert result.state == "UNKNOWN"
    assert message in result.summary


def test_missing_trust_anchors_are_a_usage_error() -> None:
    result = run_check("check_stun", "-H", "127.0.0.1", "-T", "tls", "--ca-file", "/nonexistent/ca.pem")
    assert (result.returncode, result.summary) == (3, "argument --ca-file: no such file: /nonexistent/ca.pem")


def test_unusable_trust_anchors_are_unknown_not_critical(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    result = run_check("check_stun", "-H", "127.0.0.1", "-T", "tls", "--ca-file", str(bogus))
    assert (result.returncode, result.state) == (3, "UNKNOWN")
    assert result.summary.startswith("cannot load trust anchors: ")


def test_dns_server_must_be_an_address() -> None:
    result = run_check("check_stun", "-d", "example.test", "--dns-server", "ns.example.test")
    assert (result.returncode, result.state) == (3, "UNKNOWN")
    assert result.summary == "--dns-server needs an IP address, not 'ns.example.test'"
