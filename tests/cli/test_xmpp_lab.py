# SPDX-License-Identifier: GPL-3.0-or-later
"""check_xmpp against a real prosody (and BIND for discovery), as an operator runs it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_check

TIMEOUT = 5.0
NEGOTIATED = r"negotiated in \d\.\d{3}s: "
# prosody keeps its mechanisms in a set: the order changes from one start to the next.
C2S_MECHANISMS = r"SASL (PLAIN SCRAM-SHA-1|SCRAM-SHA-1 PLAIN)"
C2S_TLS = rf"TLSv1\.3, certificate valid (89|90) days, SAN DNS example\.test, {C2S_MECHANISMS}"


@pytest.fixture(scope="session")
def xmpp(lab):  # type: ignore[no-untyped-def]
    """The lab's prosody: STARTTLS required, direct TLS ports, the monitor account."""
    from check_rtc.lab import Prosody

    return next(server for server in lab.servers if isinstance(server, Prosody))


@pytest.fixture(scope="session")
def password_file(lab, xmpp, tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("xmpp") / "password"
    path.write_text(xmpp.password + "\n")
    path.chmod(0o600)
    return str(path)


def label(address: str, port: int, transport: str) -> str:
    return f"[{address}]:{port}/{transport}" if ":" in address else f"{address}:{port}/{transport}"


def xmpp_check(lab, *args: str) -> object:  # type: ignore[no-untyped-def]
    result = run_check("check_xmpp", "-d", lab.domain, "--ca-file", str(lab.certs.ca_cert), "-t", str(TIMEOUT),
                       *args)
    assert result.elapsed < TIMEOUT + 0.5, f"took {result.elapsed:.2f}s"
    return result


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_c2s_starttls_required(lab, xmpp, address: str) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", address, "-p", str(xmpp.c2s_port))
    where = label(address, xmpp.c2s_port, "starttls")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: {NEGOTIATED}STARTTLS required, {C2S_TLS}", result.summary)
    assert set(result.perfdata) == {f"{where}_{name}" for name in ("rtt", "connect", "tls", "cert_days")}
    assert re.fullmatch(r"0\.\d{6}s;;;0", result.perfdata[f"{where}_tls"])
    assert re.fullmatch(r"(89|90)\.\d", result.perfdata[f"{where}_cert_days"])


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("mode", ["c2s", "s2s"])
def test_direct_tls(lab, xmpp, address: str, mode: str) -> None:  # type: ignore[no-untyped-def]
    port = xmpp.c2s_tls_port if mode == "c2s" else xmpp.s2s_tls_port
    result = xmpp_check(lab, "-H", address, "-p", str(port), "-T", "tls", "-m", mode)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    # prosody 0.12 negotiates no ALPN (notes/real-peers.md §3); the check reports that, and accepts it.
    offers = C2S_MECHANISMS if mode == "c2s" else "SASL none, dialback"
    assert re.fullmatch(rf"{re.escape(label(address, port, 'tls'))}: {NEGOTIATED}direct TLS \(ALPN none\), "
                        rf"TLSv1\.3, certificate valid (89|90) days, SAN DNS example\.test, {offers}", result.summary)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_s2s_starttls_with_dialback(lab, xmpp, address: str) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", address, "-p", str(xmpp.s2s_port), "-m", "s2s", "--require-dialback")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.endswith(", SAN DNS example.test, SASL none, dialback")


def test_s2s_without_external_is_critical_when_required(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.s2s_port), "-m", "s2s", "--require-external")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == f"127.0.0.1:{xmpp.s2s_port}/starttls: SASL EXTERNAL not offered (--require-external)"


@pytest.mark.parametrize("mode, ports", [("c2s", ("c2s_port", "c2s_tls_port")), ("s2s", ("s2s_port", "s2s_tls_port"))])
def test_discovery_probes_every_srv_target_and_address(lab, dns, xmpp, mode: str,  # type: ignore[no-untyped-def]
                                                       ports: tuple[str, str]) -> None:
    result = xmpp_check(lab, "--dns-server", f"127.0.0.1:{dns.port}", "-T", "starttls,tls", "-m", mode)
    assert (result.returncode, result.summary) == (0, "4 endpoints answered"), result.stdout
    starttls, tls = (getattr(xmpp, name) for name in ports)
    expected = {f"xmpp.{lab.domain}[{address}]:{port}/{transport}_rtt"
                for address in ("127.0.0.1", "::1") for port, transport in ((starttls, "starttls"), (tls, "tls"))}
    assert {name for name in result.perfdata if name.endswith("_rtt")} == expected
    assert len([line for line in result.long_output if line.startswith("[OK] ")]) == 4


def test_discovery_over_ipv6_only(lab, dns, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "--dns-server", f"[::1]:{dns.port}", "-6")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.startswith(f"xmpp.{lab.domain}[::1]:{xmpp.c2s_port}/starttls: negotiated in ")


def test_missing_srv_falls_back_to_the_domain_on_5222(lab, dns) -> None:  # type: ignore[no-untyped-def]
    # RFC 6120 §3.2.2: no SRV -> the domain's own address on 5222 (nothing listens there).
    result = run_check("check_xmpp", "-d", f"sip.{lab.domain}", "--dns-server", f"127.0.0.1:{dns.port}", "-t", "2")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (f"all 2 endpoints failed: sip.{lab.domain}[::1]:5222/starttls: connect: connection "
                              f"refused; sip.{lab.domain}[127.0.0.1]:5222/starttls: connect: connection refused")


@pytest.fixture(scope="module")
def optional_tls(lab):  # type: ignore[no-untyped-def]
    """A prosody where TLS is optional and SASL PLAIN is offered before it."""
    return lab.prosody(require_encryption=False, plain_before_tls=True)


def test_optional_starttls_is_a_warning_and_plain_before_tls_critical(lab, optional_tls) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(optional_tls.c2s_port))
    where = f"127.0.0.1:{optional_tls.c2s_port}/starttls"
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == f"{where}: SASL PLAIN offered before TLS: passwords may cross in clear"
    assert f"[WARNING] {where}: STARTTLS offered but not required" in result.long_output


def test_optional_starttls_alone_is_a_warning_or_critical_by_option(lab) -> None:  # type: ignore[no-untyped-def]
    optional = lab.prosody(require_encryption=False)
    where = f"[::1]:{optional.c2s_port}/starttls"
    result = xmpp_check(lab, "-H", "::1", "-p", str(optional.c2s_port))
    assert (result.returncode, result.state, result.summary) == (
        1, "WARNING", f"{where}: STARTTLS offered but not required")
    assert f"{where}_rtt" in result.perfdata
    strict = xmpp_check(lab, "-H", "::1", "-p", str(optional.c2s_port), "--optional-starttls", "critical")
    assert (strict.returncode, strict.state, strict.summary) == (
        2, "CRITICAL", f"{where}: STARTTLS offered but not required")


@pytest.mark.parametrize("option, value, summary", [
    ("--forbid-mech", "plain,digest-md5", "SASL PLAIN offered (--forbid-mech)"),
    ("--require-mech", "SCRAM-SHA-256", "SASL SCRAM-SHA-256 not offered (--require-mech)"),
])
def test_sasl_policy(lab, xmpp, option: str, value: str, summary: str) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), option, value)
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == f"127.0.0.1:{xmpp.c2s_port}/starttls: {summary}"


def test_required_mechanism_offered_is_ok(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "--require-mech", "SCRAM-SHA-1")
    assert (result.returncode, result.state) == (0, "OK")


@pytest.mark.parametrize("variant, reason", [
    ("expired", "TLS handshake failed: certificate verify failed: certificate has expired"),
    ("self_signed", "TLS handshake failed: certificate verify failed: self-signed certificate"),
    ("host_only", "certificate does not name example.test (it names DNS xmpp.example.test)"),
    ("wrong_name", "certificate does not name example.test (it names DNS other.invalid)"),
])
def test_certificate_variants_are_critical_with_the_reason(lab, variant: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    server = lab.prosody(cert=variant)
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(server.c2s_tls_port), "-T", "tls")
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{server.c2s_tls_port}/tls: {reason}"


@pytest.fixture(scope="module")
def xmpp_ids(lab):  # type: ignore[no-untyped-def]
    """A prosody whose certificate names the domain only as SRV-IDs and XmppAddr."""
    return lab.prosody(cert="xmpp_ids")


@pytest.mark.parametrize("mode, identity", [("c2s", "SAN SRV-ID _xmpp-client.example.test"),
                                            ("s2s", "SAN SRV-ID _xmpp-server.example.test")])
def test_srv_id_names_the_domain(lab, xmpp_ids, mode: str, identity: str) -> None:  # type: ignore[no-untyped-def]
    # RFC 7590 §3.2: the DNS-ID names only the host; the SRV-ID of the service names the domain.
    port = xmpp_ids.c2s_port if mode == "c2s" else xmpp_ids.s2s_port
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(port), "-m", mode)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert f" days, {identity}, SASL " in result.summary


def test_wildcard_names_the_host_but_not_the_domain(lab) -> None:  # type: ignore[no-untyped-def]
    server = lab.prosody(cert="wildcard")
    result = xmpp_check(lab, "-H", "::1", "-p", str(server.c2s_port))
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.endswith("certificate does not name example.test (it names DNS *.example.test)")


def test_certificate_lifetime_thresholds(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    where = f"127.0.0.1:{xmpp.c2s_port}/starttls"
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "--warning-days", "120",
                        "--critical-days", "10")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert re.fullmatch(rf"{re.escape(where)}: certificate expires in (89|90)\.\d days \(outside range 120:\)", result.summary)
    assert result.perfdata[f"{where}_cert_days"].split(";")[1:3] == ["120:", "10:"]


def test_unknown_domain_is_a_stream_error(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_xmpp", "-H", "::1", "-p", str(xmpp.c2s_port), "-d", "nope.test")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == (f"[::1]:{xmpp.c2s_port}/starttls: stream error host-unknown: "
                              "This server does not serve nope.test")


def test_insecure_says_so(xmpp) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_xmpp", "-H", "127.0.0.1", "-d", "example.test", "-p", str(xmpp.c2s_port), "--insecure")
    assert (result.returncode, result.state) == (0, "OK")
    assert re.search(rf", {C2S_MECHANISMS} \(TLS certificate NOT verified: --insecure\)$", result.summary)
    assert not any(name.endswith("_cert_days") for name in result.perfdata)


def test_vvv_shows_the_stream_trace(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "-vvv")
    where = f"127.0.0.1:{xmpp.c2s_port}/starttls"
    assert f"> {where} <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" in result.long_output
    assert f"< {where} <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" in result.long_output


@pytest.mark.parametrize("address, transport", [("127.0.0.1", "starttls"), ("::1", "tls")])
def test_login_and_ping(lab, xmpp, password_file, address: str, transport: str) -> None:  # type: ignore[no-untyped-def]
    port = xmpp.c2s_port if transport == "starttls" else xmpp.c2s_tls_port
    result = xmpp_check(lab, "-H", address, "-p", str(port), "-T", transport, "-u", xmpp.jid,
                        "--password-file", password_file)
    where = label(address, port, transport)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert re.search(r", login \d\.\d{3}s, ping \d\.\d{3}s$", result.summary), result.summary
    assert {f"{where}_login", f"{where}_ping"} <= set(result.perfdata)


def test_login_password_from_the_environment(lab, xmpp) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_xmpp", "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "-u", xmpp.jid,
                       "--ca-file", str(lab.certs.ca_cert), env={"CHECK_RTC_PASSWORD": xmpp.password})
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vv"], ["-vvv"]])
def test_wrong_password_is_critical_and_never_shown(lab, xmpp, tmp_path, verbosity: list[str]) -> None:  # type: ignore[no-untyped-def]
    wrong = tmp_path / "wrong"
    wrong.write_text("Wr0ng-S3cret-Pw\n")
    result = xmpp_check(lab, "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "-u", xmpp.jid, "--password-file",
                        str(wrong), *verbosity)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{xmpp.c2s_port}/starttls: login as {xmpp.jid} failed: SASL not-authorized"
    assert "Wr0ng-S3cret-Pw" not in result.stdout + result.stderr
    assert "V3IwbmctUzNjcmV0LVB3" not in result.stdout + result.stderr  # nor its base64 (SASL PLAIN)


def test_login_without_password_is_unknown(xmpp) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_xmpp", "-H", "127.0.0.1", "-p", str(xmpp.c2s_port), "-u", xmpp.jid)
    assert (result.returncode, result.stdout.strip()) == (
        3, "XMPP UNKNOWN - -u needs a password: --password-file FILE or $CHECK_RTC_PASSWORD")
