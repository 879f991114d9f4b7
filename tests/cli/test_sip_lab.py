# SPDX-License-Identifier: GPL-3.0-or-later
"""check_sip against a real kamailio (and BIND for RFC 3263 discovery), as an operator runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_check

SERVER = r'server "kamailio \([^"]+\)"'
TIMEOUT = 5.0


@pytest.fixture(scope="session")
def sip(lab):  # type: ignore[no-untyped-def]
    """The lab's kamailio answering OPTIONS with 200."""
    from check_rtc.lab import Kamailio

    return next(server for server in lab.servers if isinstance(server, Kamailio) and server.options_code == 200)


@pytest.fixture(scope="module")
def variants(lab):  # type: ignore[no-untyped-def]
    """Started on first use, one kamailio per variant; the session lab stops them."""
    started: dict[str, object] = {}

    def get(name: str, **options: object):  # type: ignore[no-untyped-def]
        if name not in started:
            started[name] = lab.kamailio(**options)
        return started[name]

    return get


def label(address: str, port: int, transport: str) -> str:
    where = f"[{address}]" if ":" in address else address
    return f"{where}:{port}/{transport}"


def port_of(sip, transport: str) -> int:  # type: ignore[no-untyped-def]
    return int({"udp": sip.port, "tcp": sip.port, "tls": sip.tls_ports[0], "ws": sip.ws_port,
                "wss": sip.wss_port}[transport])


def assert_in_time(result) -> None:  # type: ignore[no-untyped-def]
    assert result.elapsed < TIMEOUT + 0.5, f"took {result.elapsed:.2f}s"


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("transport", ["udp", "tcp", "ws"])
def test_options_answered_in_the_clear(sip, address: str, transport: str) -> None:  # type: ignore[no-untyped-def]
    port = port_of(sip, transport)
    result = run_check("check_sip", "-H", address, "-p", str(port), "-T", transport, "-t", str(TIMEOUT))
    where = label(address, port, transport)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: 200 OK in \d\.\d{{4}}s, {SERVER}", result.summary), result.summary
    assert list(result.perfdata) == [f"{where}_rtt"]
    assert re.fullmatch(r"0\.\d{6}s;;;0", result.perfdata[f"{where}_rtt"])
    assert_in_time(result)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("transport", ["tls", "wss"])
def test_options_answered_over_tls_with_identity_and_days(lab, sip, address: str,  # type: ignore[no-untyped-def]
                                                          transport: str) -> None:
    port = port_of(sip, transport)
    result = run_check("check_sip", "-H", address, "-d", lab.domain, "-p", str(port), "-T", transport,
                       "--ca-file", str(lab.certs.ca_cert), "-t", str(TIMEOUT))
    where = label(address, port, transport)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(
        rf"{re.escape(where)}: 200 OK in \d\.\d{{4}}s, {SERVER}, TLSv1\.3, certificate {lab.domain} "
        rf"\(SAN DNS {lab.domain}\), expires in 89\.9|90\.0 days".replace("89\\.9|90\\.0", "(89\\.9|90\\.0)"),
        result.summary), result.summary
    assert result.perfdata[f"{where}_cert_days"] in ("89.9", "90.0")
    assert_in_time(result)


def test_both_tls_ports_in_one_service(lab, sip) -> None:  # type: ignore[no-untyped-def]
    first, second = sip.tls_ports
    result = run_check("check_sip", "-H", "::1", "-d", lab.domain, "-p", f"{first},{second}", "-T", "tls",
                       "--ca-file", str(lab.certs.ca_cert), "--warning-days", "30", "--critical-days", "7")
    assert (result.returncode, result.summary) == (0, "2 endpoints answered"), result.stdout
    assert set(result.perfdata) == {f"[::1]:{p}/tls_{m}" for p in (first, second) for m in ("rtt", "cert_days")}
    assert result.perfdata[f"[::1]:{first}/tls_cert_days"].split(";")[1:3] == ["30:", "7:"]


def test_ip_literal_without_domain_matches_the_ip_san(lab, sip) -> None:  # type: ignore[no-untyped-def]
    port = sip.tls_ports[1]
    result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(port), "-T", "tls",
                       "--ca-file", str(lab.certs.ca_cert))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert "(SAN IP 127.0.0.1)" in result.summary


def test_domain_discovery_follows_naptr_srv_and_every_address(lab, dns, sip) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_sip", "-d", lab.domain, "--dns-server", f"127.0.0.1:{dns.port}",
                       "--ca-file", str(lab.certs.ca_cert), "-t", str(TIMEOUT))
    # NAPTR order: SIPS+D2T (two SRV targets), SIP+D2T, SIP+D2U; each on ::1 then 127.0.0.1.
    names = [f"sip.{lab.domain}[{a}]:{p}/{t}"
             for t, ports in (("tls", sip.tls_ports), ("tcp", (sip.port,)), ("udp", (sip.port,)))
             for p in ports for a in ("::1", "127.0.0.1")]
    assert (result.returncode, result.summary) == (0, "8 endpoints answered"), result.stdout
    assert [line.split(": ")[0] for line in result.long_output] == [f"[OK] {n}" for n in names]
    assert {f"{n}_rtt" for n in names} <= set(result.perfdata)


def test_discovery_of_websocket_without_records_uses_the_default_port(lab, dns) -> None:  # type: ignore[no-untyped-def]
    # RFC 7118 gives no SRV name and the zone has no SIP+D2W NAPTR: the domain on port 80.
    result = run_check("check_sip", "-4", "-d", lab.domain, "--dns-server", f"127.0.0.1:{dns.port}", "-T", "ws",
                       "-t", "2")
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"{lab.domain}[127.0.0.1]:80/ws: connect: connection refused"


@pytest.mark.parametrize("code, reason, state, exit_code", [
    (404, "Not Found", "WARNING", 1),
    (503, "Service Unavailable", "CRITICAL", 2),
])
def test_error_answers_are_judged_by_code(variants, code: int, reason: str, state: str,  # type: ignore[no-untyped-def]
                                          exit_code: int) -> None:
    server = variants(f"code{code}", options_code=code)
    result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(server.port), "-T", "udp")
    where = f"127.0.0.1:{server.port}/udp"
    assert (result.returncode, result.state) == (exit_code, state), result.stdout
    assert result.summary == f"{where}: OPTIONS answered {code} {reason}"
    assert list(result.perfdata) == [f"{where}_rtt"]  # reachable: still timed
    assert result.long_output[0] == f"[{state}] {where}: OPTIONS answered {code} {reason}"


def test_expect_makes_a_code_ok(variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("code404", options_code=404)
    result = run_check("check_sip", "-H", "::1", "-p", str(server.port), "-T", "udp,tcp", "--expect", "2xx,404")
    assert (result.returncode, result.summary) == (0, "2 endpoints answered"), result.stdout


def test_challenge_without_credentials_is_a_warning(variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("auth", auth_user="alice", auth_password="lab-secret-1", auth_algorithm="SHA-256")
    result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(server.port), "-T", "tcp")
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == f"127.0.0.1:{server.port}/tcp: OPTIONS answered 401 Unauthorized"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_authentication_answers_the_challenge(variants, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     algorithm: str) -> None:
    server = variants(f"auth-{algorithm}", auth_user="alice", auth_password="lab-secret-1", auth_algorithm=algorithm)
    secret = tmp_path / "password"
    secret.write_text("lab-secret-1\n")
    result = run_check("check_sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.port),
                       "-T", "udp,tcp", "-u", "alice", "--password-file", str(secret),
                       "-vvv")
    assert (result.returncode, result.summary) == (0, "2 endpoints answered"), result.stdout
    assert all(f"200 OK in " in line and f"authenticated as alice ({algorithm} digest)" in line
               for line in result.long_output if line.startswith("[OK]"))
    assert "lab-secret-1" not in result.stdout
    assert any(f"answering the {algorithm} digest challenge of realm 'example.test'" in line
               for line in result.long_output)


def test_wrong_password_reports_the_second_challenge(variants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = variants("auth-SHA-256", auth_user="alice", auth_password="lab-secret-1", auth_algorithm="SHA-256")
    secret = tmp_path / "password"
    secret.write_text("wrong\n")
    result = run_check("check_sip", "-H", "::1", "-p", str(server.port), "-T", "udp", "-u", "alice",
                       "--password-file", str(secret))
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == f"[::1]:{server.port}/udp: OPTIONS answered 401 Unauthorized"
    assert f"401 Unauthorized in " in result.long_output[1] and "authenticated as alice (SHA-256 digest)" in \
        result.long_output[1]


# -- certificates -------------------------------------------------------------
def tls_result(lab, server, *extra: str):  # type: ignore[no-untyped-def]
    return run_check("check_sip", "-H", "127.0.0.1", "-d", lab.domain, "-p", str(server.tls_ports[0]), "-T", "tls",
                     "--ca-file", str(lab.certs.ca_cert), "-t", str(TIMEOUT), *extra)


@pytest.mark.parametrize("variant, reason", [
    ("expired", "TLS handshake failed: certificate verify failed: certificate has expired"),
    ("self_signed", "TLS handshake failed: certificate verify failed: self-signed certificate"),
    ("wrong_name", "TLS identity: certificate does not name example.test (it names DNS other.invalid)"),
    ("wildcard", "TLS identity: certificate has only wildcard names (*.example.test); "
                 "RFC 5922 §7.2 forbids wildcard certificates for SIP"),
])
def test_bad_certificates_are_critical_with_the_reason(lab, variants, variant: str,  # type: ignore[no-untyped-def]
                                                       reason: str) -> None:
    server = variants(f"cert-{variant}", cert=variant)
    result = tls_result(lab, server)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{server.tls_ports[0]}/tls: {reason}"
    assert result.perfdata == {}
    assert result.long_output == [f"[CRITICAL] {result.summary}"]  # no verdict on an answer never asked for
    assert_in_time(result)


def test_wildcard_certificate_is_refused_even_for_a_name_it_covers(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("cert-wildcard", cert="wildcard")
    result = run_check("check_sip", "-H", "127.0.0.1", "-d", f"sip.{lab.domain}", "-p", str(server.tls_ports[1]),
                       "-T", "tls", "--ca-file", str(lab.certs.ca_cert))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary.endswith("RFC 5922 §7.2 forbids wildcard certificates for SIP")


def test_missing_intermediate_is_critical(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("cert-intermediate-alone", cert="intermediate", chain=False)
    result = tls_result(lab, server)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"127.0.0.1:{server.tls_ports[0]}/tls: TLS handshake failed: "
                              "certificate verify failed: unable to get local issuer certificate")


def test_intermediate_served_with_its_chain_is_ok(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("cert-intermediate", cert="intermediate")
    result = tls_result(lab, server)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


def test_expiring_certificate_crosses_the_days_thresholds(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("cert-expiring", cert="expiring")
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    plain = tls_result(lab, server)
    assert (plain.returncode, plain.state) == (0, "OK"), plain.stdout
    warned = tls_result(lab, server, "--warning-days", "14")
    assert (warned.returncode, warned.state) == (1, "WARNING"), warned.stdout
    assert re.fullmatch(rf"{re.escape(where)}: certificate expires in [23]\.\d days \(outside range 14:\)",
                        warned.summary), warned.summary
    critical = tls_result(lab, server, "--warning-days", "14", "--critical-days", "5")
    assert (critical.returncode, critical.state) == (2, "CRITICAL"), critical.stdout
    assert re.fullmatch(r"[23]\.\d;14:;5:;", critical.perfdata[f"{where}_cert_days"] + ";")


def test_insecure_skips_verification_and_says_so(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("cert-self_signed", cert="self_signed")
    result = tls_result(lab, server, "--insecure")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.endswith(", TLSv1.3 (TLS certificate NOT verified: --insecure)")
