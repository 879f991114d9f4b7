# SPDX-License-Identifier: GPL-3.0-or-later
"""check_stun against a real coturn (and BIND for discovery), as an operator runs it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_check


def port_of(turn, transport: str) -> int:  # type: ignore[no-untyped-def]
    return int(turn.tls_port if transport == "tls" else turn.port)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_binding_answered(lab, turn, address: str, transport: str) -> None:  # type: ignore[no-untyped-def]
    port = port_of(turn, transport)
    result = run_check("check_stun", "-H", address, "-p", str(port), "-T", transport,
                       "--ca-file", str(lab.certs.ca_cert))
    label = f"[{address}]:{port}/{transport}" if ":" in address else f"{address}:{port}/{transport}"
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(
        rf"{re.escape(label)}: Binding answered in \d\.\d{{4}}s, mapped address \S+:\d+, software \"Coturn-[^\"]+\"",
        result.summary,
    ), result.summary
    assert re.fullmatch(r"0\.\d{6}s;;;0", result.perfdata[f"{label}_rtt"])


def test_domain_discovery_probes_every_srv_target_and_address(lab, dns, turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-d", lab.domain, "--dns-server", f"127.0.0.1:{dns.port}",
                       "-T", "udp,tcp,tls", "--ca-file", str(lab.certs.ca_cert))
    assert (result.returncode, result.summary) == (0, "6 endpoints answered"), result.stdout
    expected = {f"stun.{lab.domain}[{address}]:{port_of(turn, t)}/{t}_rtt"
                for address in ("127.0.0.1", "::1") for t in ("udp", "tcp", "tls")}
    assert set(result.perfdata) == expected
    assert len([line for line in result.long_output if line.startswith("[OK] ")]) == 6


def test_discovery_over_ipv6_only(lab, dns) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-6", "-d", lab.domain, "--dns-server", f"[::1]:{dns.port}")
    assert (result.returncode, result.summary) == (0, f"stun.{lab.domain}[::1]:{lab_udp_port(result)}/udp: "
                                                   + result.summary.split("/udp: ", 1)[1])
    assert all("[::1]" in label for label in result.perfdata)


def lab_udp_port(result) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"\]:(\d+)/udp", result.summary)[1]  # type: ignore[index]


def test_untrusted_certificate_is_critical_with_the_reason(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(turn.tls_port), "-T", "tls")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (f"127.0.0.1:{turn.tls_port}/tls: TLS handshake failed: "
                              "certificate verify failed: unable to get local issuer certificate")


def test_expired_certificate_is_critical_with_the_reason(lab) -> None:  # type: ignore[no-untyped-def]
    expired = lab.coturn(mode="ltc", cert="expired")
    result = run_check("check_stun", "-H", "::1", "-p", str(expired.tls_port), "-T", "tls",
                       "--ca-file", str(lab.certs.ca_cert))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.endswith("TLS handshake failed: certificate verify failed: certificate has expired")


def test_wrong_name_is_critical(lab, turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-d", "other.invalid", "-p", str(turn.tls_port),
                       "-T", "tls", "--ca-file", str(lab.certs.ca_cert))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert "Hostname mismatch" in result.summary and "'other.invalid'" in result.summary


def test_insecure_says_so_in_the_status_line(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(turn.tls_port), "-T", "tls", "--insecure")
    assert (result.returncode, result.state) == (0, "OK")
    assert result.summary.endswith("(TLS certificate NOT verified: --insecure)")


@pytest.mark.parametrize(
    "thresholds, state, code, ranges",
    [
        (["-w", "10", "-c", "20"], "OK", 0, ["10", "20"]),         # 0 <= rtt <= 10
        (["-w", "0.00001"], "WARNING", 1, ["0.00001", ""]),       # rtt above 0..10 us
        (["-w", "10:"], "WARNING", 1, ["10:", ""]),               # rtt below 10 s
        (["-c", "~:0.00001"], "CRITICAL", 2, ["", "~:0.00001"]),  # rtt above -inf..10 us
        (["-c", "@0:10"], "CRITICAL", 2, ["", "@0:10"]),            # alert inside 0..10
    ],
)
def test_nagios_range_thresholds(turn, thresholds: list[str], state: str, code: int,  # type: ignore[no-untyped-def]
                                 ranges: list[str]) -> None:
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(turn.port), *thresholds)
    assert (result.returncode, result.state) == (code, state), result.stdout
    assert result.perfdata[f"127.0.0.1:{turn.port}/udp_rtt"].split(";")[1:3] == ranges
    if state != "OK":
        assert result.summary.startswith(f"127.0.0.1:{turn.port}/udp: response time ")


def test_one_dead_endpoint_is_a_warning_then_critical_with_require_all(turn) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import free_port

    dead = free_port()
    args = ["-H", "127.0.0.1", "-p", f"{turn.port},{dead}"]
    result = run_check("check_stun", *args)
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == f"1 of 2 endpoints failed, redundancy lost: 127.0.0.1:{dead}/udp: port unreachable (ICMP)"
    assert list(result.perfdata) == [f"127.0.0.1:{turn.port}/udp_rtt"]
    strict = run_check("check_stun", *args, "--require-all")
    assert (strict.returncode, strict.state) == (2, "CRITICAL")


def test_vvv_shows_the_protocol_trace(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(turn.port), "-vvv")
    assert result.returncode == 0
    assert any(line.startswith(f"> 127.0.0.1:{turn.port}/udp BINDING REQUEST") for line in result.long_output)
    assert any(line.startswith(f"< 127.0.0.1:{turn.port}/udp BINDING SUCCESS") for line in result.long_output)


def test_missing_srv_falls_back_to_the_domain_address(lab, dns) -> None:  # type: ignore[no-untyped-def]
    # sip.example.test has A/AAAA but no _stun._udp SRV: RFC 8489 §8 says use the
    # domain's own address on the default port, where nothing listens here.
    result = run_check("check_stun", "-d", f"sip.{lab.domain}", "--dns-server", f"127.0.0.1:{dns.port}", "-t", "2")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert f"sip.{lab.domain}[127.0.0.1]:3478/udp" in result.stdout


def test_unknown_domain_is_critical(lab, dns) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-d", "nowhere.example.test", "--dns-server", f"127.0.0.1:{dns.port}")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.startswith("all 2 endpoints failed: ") or "no such name" in result.summary, result.summary


@pytest.fixture(scope="module")
def two_address_turn(lab):  # type: ignore[no-untyped-def]
    """A coturn on 127.0.0.1 and 127.0.0.2: RFC 5780 with a real 'change IP'."""
    return lab.coturn(mode="ltc", alt_ip="127.0.0.2")


def test_alternate_address_answers_change_request(two_address_turn) -> None:  # type: ignore[no-untyped-def]
    port = two_address_turn.port
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(port), "--alternate")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.endswith(f", CHANGE-REQUEST answered from the alternate address 127.0.0.2:{port + 1}")


def test_alternate_on_the_same_ip_is_a_warning(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(turn.port), "--alternate")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == (f"127.0.0.1:{turn.port}/udp: alternate address 127.0.0.1:{turn.port + 1} has the "
                              "same IP: 'change IP' needs a second address")


def test_server_without_rfc5780_is_a_warning(lab) -> None:  # type: ignore[no-untyped-def]
    plain = lab.coturn(mode="ltc", rfc5780=False)
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(plain.port), "--alternate")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary.endswith("no OTHER-ADDRESS or CHANGED-ADDRESS: NAT behaviour discovery not offered")


def test_alternate_is_not_tried_over_tcp(two_address_turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(two_address_turn.port), "-T", "tcp", "--alternate")
    assert (result.returncode, result.state) == (0, "OK")
    assert "CHANGE-REQUEST" not in result.stdout
