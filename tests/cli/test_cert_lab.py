# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_cert against real servers: kamailio (sip), prosody (xmpp), coturn (turn),
openssl s_server for what they cannot serve, an openssl ocsp responder and BIND for TLSA."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from tests.conftest import run_check

TIMEOUT = 5.0
LEAF = "CN=example.test,O=check-rtc lab"
ROOT = "CN=check-rtc lab root CA,O=check-rtc lab"
INTERMEDIATE = "CN=check-rtc lab intermediate CA,O=check-rtc lab"
OK_SUMMARY = (r"TLSv1\.[23], certificate CN=example\.test,O=check-rtc lab, RSA 2048 bits, sha256,"
              r" EKU serverAuth clientAuth, (\d) certificates? served")
DAYS = r"(89\.9|90\.0);30:;14:"
# --ocsp handshakes through pyOpenSSL (to ask for a staple) and verifies the
# chain afterwards: tests marked with it must judge exactly as without.
HANDSHAKES = pytest.mark.parametrize("ocsp", [(), ("--ocsp",)], ids=["ssl", "stapling"])


def server_of(lab, kind: str):  # type: ignore[no-untyped-def]
    return next(s for s in lab.servers if s.kind == kind and getattr(s, "cert", "good") == "good")


@pytest.fixture(scope="module")
def variants(lab):  # type: ignore[no-untyped-def]
    """One server per (kind, variant), started on first use; the session lab stops them."""
    started: dict[tuple[str, str], object] = {}

    def get(kind: str, cert: str, **options: object):  # type: ignore[no-untyped-def]
        key = (kind, cert + repr(sorted(options.items())))
        if key not in started:
            if kind == "s_server":
                started[key] = lab.ssl_server(lab.certs.cert(cert), lab.certs.key(cert), **options)
            else:
                started[key] = getattr(lab, kind)(cert=cert, **options)
        return started[key]

    return get


def cert_check(lab, *args: str):  # type: ignore[no-untyped-def]
    return run_check("check_rtc_cert", "--ca-file", str(lab.certs.ca_cert), "-t", str(TIMEOUT), *args)


def assert_ok(result, where: str, served: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    match = re.fullmatch(rf"{re.escape(where)}: {OK_SUMMARY}", result.summary)
    assert match and int(match[1]) == served, result.summary
    assert re.fullmatch(DAYS, result.perfdata[f"{where}_leaf_days"])
    assert result.elapsed < TIMEOUT + 0.5


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_sip_certificate_with_both_ekus_is_ok(lab, address: str) -> None:  # type: ignore[no-untyped-def]
    sip = server_of(lab, "kamailio")
    result = cert_check(lab, "-P", "sip", "-H", address, "-d", "example.test", "-p", str(sip.tls_ports[0]))
    where = f"[{address}]" if ":" in address else address
    assert_ok(result, f"{where}:{sip.tls_ports[0]}/tls", served=2)  # kamailio adds its CA list
    label = f"{where}:{sip.tls_ports[0]}/tls"
    assert sorted(result.perfdata) == [f"{label}_chain1_days", f"{label}_leaf_days", f"{label}_rtt"]
    details = result.long_output[1:]
    assert details[:3] == [f"    subject: {LEAF}",
                           "    SANs: DNS example.test, DNS sip.example.test, DNS xmpp.example.test, DNS turn.example.test,"
                           " DNS stun.example.test, DNS localhost, IP 127.0.0.1, IP ::1, URI sip:example.test",
                           "    EKUs: serverAuth clientAuth"]
    assert details[3] == f"    issuer: {ROOT}"
    assert re.fullmatch(r"    serial: [0-9A-F]+", details[4])
    assert re.fullmatch(r"    valid: \d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d UTC", details[5])
    assert details[6:] == ["    key: RSA 2048 bits; signature: sha256", f"    chain as served: [1] {LEAF} <- [2] {ROOT}",
                           f"    trust: verified to {ROOT}"]


def test_every_endpoint_of_the_sip_domain_is_judged(lab, dns) -> None:  # type: ignore[no-untyped-def]
    sip = server_of(lab, "kamailio")
    result = cert_check(lab, "-P", "sip", "-d", "example.test", "--dns-server", f"127.0.0.1:{dns.port}")
    assert (result.returncode, result.state, result.summary) == (0, "OK", "4 endpoints answered"), result.stdout
    labels = [f"sip.example.test[{a}]:{p}/tls" for p in sip.tls_ports for a in ("::1", "127.0.0.1")]
    endpoints = [line for line in result.long_output if line.startswith("[")]
    assert len(endpoints) == 4
    for where, line in zip(labels, endpoints):
        assert re.fullmatch(rf"\[OK\] {re.escape(where)}: {OK_SUMMARY}", line), line
        assert re.fullmatch(DAYS, result.perfdata[f"{where}_leaf_days"])


def test_server_only_certificate_breaks_federation(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("kamailio", "server_only")
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    result = cert_check(lab, "-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"{where}: EKU lacks clientAuth: federation (SIP mutual TLS, XMPP s2s) will fail"
    assert re.fullmatch(DAYS, result.perfdata[f"{where}_leaf_days"])
    # A TURN-only host needs no clientAuth: --require-eku says so.
    result = cert_check(lab, "-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]),
                        "--require-eku", "serverAuth")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert "EKU serverAuth, 2 certificates served" in result.summary


def test_sip_refuses_a_wildcard_that_other_protocols_accept(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("kamailio", "wildcard")
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    common = ("-H", "127.0.0.1", "-p", str(server.tls_ports[0]))
    result = cert_check(lab, "-P", "sip", "-d", "sip.example.test", *common)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"{where}: identity: certificate has only wildcard names (*.example.test); "
                              "RFC 5922 §7.2 forbids wildcard certificates for SIP")
    result = cert_check(lab, "-P", "tls", "-d", "sip.example.test", *common)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    # Not even outside SIP does *.example.test name the bare domain (RFC 6125 §6.4.3).
    result = cert_check(lab, "-P", "tls", "-d", "example.test", *common)
    assert result.summary == (f"{where}: identity: certificate does not name example.test "
                              "(it names DNS *.example.test)")


@HANDSHAKES
def test_missing_intermediate_is_critical_with_the_hint(lab, variants,  # type: ignore[no-untyped-def]
                                                        ocsp: tuple[str, ...]) -> None:
    server = variants("kamailio", "intermediate", chain=False)
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    result = cert_check(lab, "-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]),
                        *ocsp)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"{where}: incomplete chain: {LEAF} was issued by {INTERMEDIATE}, which is neither"
                              " served nor a trust anchor (missing intermediate certificate?)")
    assert "    trust: not verified: unable to get local issuer certificate" in result.long_output


def test_complete_chain_reports_every_element(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("kamailio", "intermediate")
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    result = cert_check(lab, "-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]))
    assert_ok(result, where, served=2)
    assert re.fullmatch(r"36(49|50)\.\d;30:;14:", result.perfdata[f"{where}_chain1_days"])
    assert f"    chain as served: [1] {LEAF} <- [2] {INTERMEDIATE}" in result.long_output


@pytest.mark.parametrize("variant, state, summary", [
    ("expiring", "CRITICAL", r"leaf certificate expires in [23]\.\d days \(outside range 14:\)"),
    ("expired", "CRITICAL", r"leaf certificate expired 1\.0 days ago \(outside range 14:\)"),
    ("self_signed", "CRITICAL", rf"chain not trusted: self-signed certificate \({re.escape(LEAF)}\)"),
    ("wrong_name", "CRITICAL", r"identity: certificate does not name example\.test \(it names DNS other\.invalid\)"),
])
@HANDSHAKES
def test_bad_certificates_on_a_real_server(lab, variants, variant: str, state: str,  # type: ignore[no-untyped-def]
                                           summary: str, ocsp: tuple[str, ...]) -> None:
    server = variants("kamailio", variant)
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    result = cert_check(lab, "-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]),
                        *ocsp)
    assert (result.returncode, result.state) == (2, state), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: {summary}", result.summary), result.summary


def test_expiry_thresholds_are_days(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("kamailio", "expiring")
    where = f"127.0.0.1:{server.tls_ports[0]}/tls"
    args = ("-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.tls_ports[0]))
    result = cert_check(lab, *args, "--warning-days", "5", "--critical-days", "1")
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert re.fullmatch(rf"{re.escape(where)}: leaf certificate expires in [23]\.\d days \(outside range 5:\)",
                        result.summary)
    assert re.fullmatch(r"[23]\.\d;5:;1:", result.perfdata[f"{where}_leaf_days"])


@pytest.mark.parametrize("protocol, port, alpn", [
    ("xmpp-client", "c2s_port", ""), ("xmpp-server", "s2s_port", ""),
    ("xmpps-client", "c2s_tls_port", ""), ("xmpps-server", "s2s_tls_port", ""),
])
@HANDSHAKES
def test_xmpp_certificates_over_starttls_and_direct_tls(lab, protocol: str, port: str,  # type: ignore[no-untyped-def]
                                                        alpn: str, ocsp: tuple[str, ...]) -> None:
    xmpp = server_of(lab, "prosody")
    number = getattr(xmpp, port)
    result = cert_check(lab, "-P", protocol, "-H", "::1", "-d", "example.test", "-p", str(number), *ocsp)
    transport = "starttls" if protocol.startswith("xmpp-") else "tls"
    assert_ok(result, f"[::1]:{number}/{transport}")
    # prosody staples nothing, and the lab's certificate names no responder.
    assert ("    OCSP: nothing stapled, and the certificate names no responder" in result.long_output) == bool(ocsp)


def test_xmpp_names_the_domain_by_srv_id_but_sip_does_not(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("prosody", "xmpp_ids")
    where = f"127.0.0.1:{server.s2s_port}/starttls"
    result = cert_check(lab, "-P", "xmpp-server", "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.s2s_port))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert "    SANs: DNS xmpp.example.test, othername 1.3.6.1.5.5.7.8.7, othername 1.3.6.1.5.5.7.8.7," \
           " othername 1.3.6.1.5.5.7.8.5" in result.long_output
    host_only = variants("prosody", "host_only")
    result = cert_check(lab, "-P", "xmpp-client", "-H", "127.0.0.1", "-d", "example.test", "-p",
                        str(host_only.c2s_port))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"127.0.0.1:{host_only.c2s_port}/starttls: identity: certificate does not name"
                              " example.test (it names DNS xmpp.example.test)")


@HANDSHAKES
def test_turn_over_tls(lab, turn, ocsp: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cert_check(lab, "-P", "turn", "-H", "127.0.0.1", "-d", "example.test", "-p", str(turn.tls_port), *ocsp)
    assert_ok(result, f"127.0.0.1:{turn.tls_port}/tls")
    assert result.summary.startswith(f"127.0.0.1:{turn.tls_port}/tls: TLSv1.2, ")  # coturn 4.6 offers TLS 1.2 only


@pytest.mark.parametrize("variant, summary", [
    ("weak_rsa", "leaf certificate is weak: RSA key of 1024 bits (fewer than 2048)"),
    ("sha1", "leaf certificate is weak: SHA-1 signature"),
])
@HANDSHAKES
def test_weak_keys_and_signatures_are_critical(lab, variants, variant: str, summary: str,  # type: ignore[no-untyped-def]
                                               ocsp: tuple[str, ...]) -> None:
    server = variants("s_server", variant)
    result = cert_check(lab, "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.port), *ocsp)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{server.port}/tls: {summary}"


def test_not_yet_valid_is_critical(lab, variants) -> None:  # type: ignore[no-untyped-def]
    server = variants("s_server", "not_yet_valid")
    result = cert_check(lab, "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.port))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert re.fullmatch(rf"127\.0\.0\.1:{server.port}/tls: leaf certificate is not valid yet: valid from "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 2\.0 days\)", result.summary), result.summary


def test_chain_in_the_wrong_order_is_a_warning(lab, variants, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wrong = tmp_path / "root-then-intermediate.pem"
    wrong.write_bytes(lab.certs.ca_cert.read_bytes() + lab.certs.chain("intermediate").read_bytes())
    server = variants("s_server", "intermediate", chain=wrong)
    result = cert_check(lab, "-H", "127.0.0.1", "-d", "example.test", "-p", str(server.port))
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == (f"127.0.0.1:{server.port}/tls: chain served in the wrong order: certificate 2"
                              f" ({ROOT}) does not certify certificate 1 ({LEAF})")
    assert f"    chain as served: [1] {LEAF} <- [2] {ROOT} <- [3] {INTERMEDIATE}" in result.long_output


def test_a_pem_file(lab) -> None:  # type: ignore[no-untyped-def]
    result = cert_check(lab, "--file", str(lab.certs.fullchain("intermediate")), "-d", "example.test")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary == (f"intermediate.fullchain.pem/file: certificate {LEAF}, RSA 2048 bits, sha256,"
                              " EKU serverAuth clientAuth, 2 certificates in the file")
    assert sorted(result.perfdata) == ["intermediate.fullchain.pem/file_chain1_days",
                                       "intermediate.fullchain.pem/file_leaf_days"]
    result = cert_check(lab, "--file", str(lab.certs.cert("intermediate")), "-P", "sip", "-d", "example.test")
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary.startswith("intermediate.crt/file: incomplete chain: ")


@pytest.fixture(scope="module")
def ocsp_certs(lab, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A CA whose ocsp_* leaves name a responder on a port picked now, and that responder."""
    from check_rtc.lab import Certs
    from check_rtc.lab.certs import OCSP_VARIANTS
    from check_rtc.lab.ports import pick_port

    port = pick_port()
    certs = Certs.generate(tmp_path_factory.mktemp("ocsp-pki"), variants=("good",) + OCSP_VARIANTS,
                           ocsp_url=f"http://127.0.0.1:{port}/")
    certs.responder = lab.ocsp(certs, port, good=("ocsp_good", "ocsp_must_staple"), revoked=("ocsp_revoked",))
    return certs


def ocsp_check(certs, port: int, *args: str):  # type: ignore[no-untyped-def]
    return run_check("check_rtc_cert", "--ca-file", str(certs.ca_cert), "-H", "127.0.0.1", "-d", "example.test",
                     "-p", str(port), "--ocsp", "-t", str(TIMEOUT), *args)


def ocsp_line(status: str, origin: str) -> str:
    return rf"    OCSP: {status} {origin}, produced .* UTC, next update .* UTC"


REVOKED = r"OCSP: certificate revoked on 2025-01-01 00:00 UTC \(key_compromise\)"


@pytest.mark.parametrize("variant, state, summary", [("ocsp_good", "OK", None), ("ocsp_revoked", "CRITICAL", REVOKED)])
def test_ocsp_responder_is_asked_when_nothing_is_stapled(lab, ocsp_certs, variant: str,  # type: ignore[no-untyped-def]
                                                         state: str, summary: str | None) -> None:
    server = lab.ssl_server(ocsp_certs.cert(variant), ocsp_certs.key(variant))
    result = ocsp_check(ocsp_certs, server.port)
    assert result.state == state, result.stdout
    if summary:
        assert re.fullmatch(rf"127\.0\.0\.1:{server.port}/tls: {summary}", result.summary), result.summary
    status = "revoked" if "revoked" in variant else "good"
    origin = rf"from http://127\.0\.0\.1:{ocsp_certs.responder.port}/"
    assert any(re.fullmatch(ocsp_line(status, origin), line) for line in result.long_output), result.stdout


@pytest.mark.parametrize("variant, state, summary", [("ocsp_good", "OK", None), ("ocsp_revoked", "CRITICAL", REVOKED)])
def test_stapled_answer_is_judged(lab, ocsp_certs, tmp_path, variant: str, state: str,  # type: ignore[no-untyped-def]
                                  summary: str | None) -> None:
    staple = ocsp_certs.responder.fetch(variant, tmp_path / "staple.der")
    server = lab.ssl_server(ocsp_certs.cert(variant), ocsp_certs.key(variant), status_file=staple)
    result = ocsp_check(ocsp_certs, server.port)
    assert result.state == state, result.stdout
    if summary:
        assert re.fullmatch(rf"127\.0\.0\.1:{server.port}/tls: {summary}", result.summary), result.summary
    status = "revoked" if "revoked" in variant else "good"
    assert any(re.fullmatch(ocsp_line(status, r"\(stapled\)"), line) for line in result.long_output), result.stdout


def test_a_staple_about_another_certificate_is_a_warning(lab, ocsp_certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """RFC 6960 §3.2 item 1: e.g. the answer about the certificate the server served before."""
    staple = ocsp_certs.responder.fetch("ocsp_revoked", tmp_path / "staple.der")
    server = lab.ssl_server(ocsp_certs.cert("ocsp_good"), ocsp_certs.key("ocsp_good"), status_file=staple)
    result = ocsp_check(ocsp_certs, server.port)
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    other, served = (f"{ocsp_certs.certificate(v).serial_number:X}" for v in ("ocsp_revoked", "ocsp_good"))
    assert result.summary == (f"127.0.0.1:{server.port}/tls: OCSP: stapled answer: about another certificate"
                              f" (serial {other}, not the served {served})")


def test_must_staple_certificate_needs_its_staple(lab, ocsp_certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    key, cert = ocsp_certs.key("ocsp_must_staple"), ocsp_certs.cert("ocsp_must_staple")
    bare = lab.ssl_server(cert, key)
    result = ocsp_check(ocsp_certs, bare.port)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"127.0.0.1:{bare.port}/tls: OCSP: the certificate is Must-Staple (RFC 7633) and"
                              " the server staples no OCSP response: browsers refuse the connection")
    stapling = lab.ssl_server(cert, key, status_file=ocsp_certs.responder.fetch("ocsp_must_staple",
                                                                                  tmp_path / "staple.der"))
    result = ocsp_check(ocsp_certs, stapling.port)
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


def test_a_stale_staple_is_a_warning(lab, ocsp_certs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A server that kept stapling an answer past its nextUpdate (RFC 6960 §2.4), signed by the real CA."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ca = x509.load_pem_x509_certificate(ocsp_certs.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ocsp_certs.ca_key.read_bytes(), None)
    stale = (ocsp.OCSPResponseBuilder()
             .add_response(ocsp_certs.certificate("ocsp_good"), ca, hashes.SHA1(), ocsp.OCSPCertStatus.GOOD,
                           now - datetime.timedelta(days=3), now - datetime.timedelta(days=2), None, None)
             .responder_id(ocsp.OCSPResponderEncoding.HASH, ca).sign(ca_key, hashes.SHA256()))
    staple = tmp_path / "stale.der"
    staple.write_bytes(stale.public_bytes(serialization.Encoding.DER))
    server = lab.ssl_server(ocsp_certs.cert("ocsp_good"), ocsp_certs.key("ocsp_good"), status_file=staple)
    result = ocsp_check(ocsp_certs, server.port)
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    due = (now - datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    assert result.summary == f"127.0.0.1:{server.port}/tls: OCSP: answer is stale (next update was due {due} UTC)"


def test_a_certificate_the_responder_does_not_know_is_critical(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from check_rtc.lab import Certs
    from check_rtc.lab.ports import pick_port

    port = pick_port()
    certs = Certs.generate(tmp_path / "pki", variants=("ocsp_good",), ocsp_url=f"http://127.0.0.1:{port}/")
    lab.ocsp(certs, port)  # an empty index: every serial is unknown to it
    server = lab.ssl_server(certs.cert("ocsp_good"), certs.key("ocsp_good"))
    result = ocsp_check(certs, server.port)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"127.0.0.1:{server.port}/tls: OCSP: responder does not know the certificate"
                              " (status unknown)")


def test_silent_responder_is_a_warning(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from check_rtc.lab import Certs
    from check_rtc.lab.ports import pick_port

    port = pick_port()  # nobody answers there
    certs = Certs.generate(tmp_path / "pki", variants=("ocsp_good",), ocsp_url=f"http://127.0.0.1:{port}/")
    server = lab.ssl_server(certs.cert("ocsp_good"), certs.key("ocsp_good"))
    result = ocsp_check(certs, server.port)
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == (f"127.0.0.1:{server.port}/tls: OCSP: responder http://127.0.0.1:{port}/:"
                              " connection refused")


def test_a_pem_file_asks_the_responder(ocsp_certs) -> None:  # type: ignore[no-untyped-def]
    path = ocsp_certs.fullchain("ocsp_revoked")
    result = run_check("check_rtc_cert", "--ca-file", str(ocsp_certs.ca_cert), "--file", str(path), "-d",
                       "example.test", "--ocsp", "-t", str(TIMEOUT))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert re.fullmatch(rf"ocsp_revoked\.fullchain\.pem/file: {REVOKED}", result.summary), result.summary


def test_dane_tlsa_records_match_or_not(lab) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    sip = server_of(lab, "kamailio")
    spki = lab.certs.certificate("good").public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    good, bad = hashlib.sha256(spki).hexdigest(), "00" * 32
    dns = lab.bind(extra_lines=[f"_{sip.tls_ports[0]}._tcp.sip IN TLSA 3 1 1 {good}",
                                f"_{sip.tls_ports[1]}._tcp.sip IN TLSA 3 1 1 {bad}"], sip=sip)
    common = ("-P", "sip", "-H", "sip.example.test", "-d", "example.test", "-4", "--dns-server",
              f"127.0.0.1:{dns.port}", "--dane")
    result = cert_check(lab, *common, "-p", str(sip.tls_ports[0]))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    name = f"_{sip.tls_ports[0]}._tcp.sip.example.test"
    assert f"    TLSA at {name}: 1 record(s), not DNSSEC-authenticated" in result.long_output
    result = cert_check(lab, *common, "-p", str(sip.tls_ports[1]))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == (f"sip.example.test[127.0.0.1]:{sip.tls_ports[1]}/tls: DANE: no TLSA record at"
                              f" _{sip.tls_ports[1]}._tcp.sip.example.test matches the certificate (3 1 1)")
