# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_cert against misbehaviour no real server produces, and bad usage: one line, never a traceback."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.conftest import run_check
from tests.fakes import TcpFake, free_port, stall

TIMEOUT = 2.0


def garbage(conn: socket.socket) -> None:
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        conn.close()
    except OSError:
        pass


@pytest.mark.parametrize("ocsp", [(), ("--ocsp",)], ids=["ssl", "stapling"])  # two handshakes, one verdict
@pytest.mark.parametrize("serve, reason", [
    (stall, "TLS handshake: timed out"),
    (garbage, "TLS handshake failed: wrong version number"),
])
def test_misbehaving_server_is_critical(serve, reason: str, ocsp: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    with TcpFake(serve) as fake:
        result = run_check("check_rtc_cert", "-H", "127.0.0.1", "-p", str(fake.port), "-t", str(TIMEOUT), *ocsp)
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{fake.port}/tls: {reason}"
    assert result.perfdata == {}
    assert result.elapsed < TIMEOUT + 0.5


def test_refused_connection_is_critical() -> None:
    port = free_port(socket.SOCK_STREAM)
    result = run_check("check_rtc_cert", "-H", "127.0.0.1", "-p", str(port), "-P", "sip", "-t", str(TIMEOUT))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == f"127.0.0.1:{port}/tls: connect: connection refused"


@pytest.mark.parametrize("args, message", [
    ([], "give -H HOST, -d DOMAIN or --file FILE"),
    (["-H", "x", "-P", "smtp"], "argument -P/--protocol: invalid choice: 'smtp' (choose from 'tls', 'sip',"
                                " 'xmpp-client', 'xmpp-server', 'xmpps-client', 'xmpps-server', 'turn', 'wss', 'https')"),
    (["-H", "x", "--require-eku", "serverAuth,bogus"],
     "argument --require-eku: 'serverAuth,bogus' is not a list of serverAuth,clientAuth,codeSigning,"
     "emailProtection,timeStamping,OCSPSigning (or none)"),
    (["--file", "/nonexistent.pem"], "cannot read --file: no such file or directory /nonexistent.pem"),
    (["--file", "/etc/hostname"], "--file /etc/hostname: no PEM certificate (-----BEGIN CERTIFICATE-----) found"),
    (["--file", "/etc/hostname", "-H", "x"], "--file and -H exclude each other"),
    (["-H", "127.0.0.1", "--ca-file", "/nonexistent"], "argument --ca-file: no such file: /nonexistent"),
])
def test_bad_usage_is_one_unknown_line(args: list[str], message: str) -> None:
    result = run_check("check_rtc_cert", *args)
    assert (result.returncode, result.state) == (3, "UNKNOWN"), result.stdout
    assert result.summary == message


@pytest.mark.parametrize("ocsp", [(), ("--ocsp",)], ids=["ssl", "stapling"])
def test_unusable_key_or_trust_files_are_unknown(tmp_path, ocsp: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """Readable but unusable files: UNKNOWN (the operator's mistake), never a prompt for a passphrase."""
    cert, key, bogus = tmp_path / "client.crt", tmp_path / "client.key", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-subj", "/CN=client", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-passout", "pass:secret"], check=True, capture_output=True)
    bogus.write_text("not a certificate\n")
    common = ("-H", "127.0.0.1", "-p", str(free_port(socket.SOCK_STREAM)), "-t", str(TIMEOUT), *ocsp)
    result = run_check("check_rtc_cert", *common, "--client-cert", str(cert), "--client-key", str(key))
    assert (result.returncode, result.state) == (3, "UNKNOWN"), result.stdout
    assert result.summary.startswith("cannot load client certificate: "), result.summary
    result = run_check("check_rtc_cert", *common, "--ca-file", str(bogus))
    assert (result.returncode, result.state) == (3, "UNKNOWN"), result.stdout
    assert result.summary.startswith("cannot load trust anchors: "), result.summary


def test_unusable_trust_file_for_a_pem_file_is_unknown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cert, bogus = tmp_path / "server.crt", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=server", "-days", "1",
                    "-keyout", str(tmp_path / "server.key"), "-out", str(cert)], check=True, capture_output=True)
    bogus.write_text("not a certificate\n")
    result = run_check("check_rtc_cert", "--file", str(cert), "--ca-file", str(bogus))
    assert (result.returncode, result.state) == (3, "UNKNOWN"), result.stdout
    assert result.summary == "cannot load trust anchors: no certificate or crl found"
