# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab starts real servers that independent clients (dig, openssl, raw
sockets) can use, refuses busy ports, and leaves no process behind."""

from __future__ import annotations

import datetime
import os
import re
import select
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest
from cryptography import x509

from check_rtc.lab import Lab, PortBusyError, StartError
from check_rtc.lab.daemon import Daemon
from check_rtc.lab.ports import pick_port

HOSTS = ["127.0.0.1", "::1"]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A lab of this module's own (deliberately shadowing the session fixture in
    tests/conftest.py): these tests add, break and stop servers."""
    with Lab(domain="example.test") as lab:
        yield lab


@pytest.fixture(scope="module")
def servers(lab: Lab) -> dict[str, Daemon]:
    return lab.start_all()


# -- helpers --------------------------------------------------------------
def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _udp_exchange(host: str, port: int, data: bytes) -> bytes:
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        for _ in range(3):  # UDP: retransmit like a client would
            sock.sendto(data, (host, port))
            try:
                return sock.recv(65535)
            except socket.timeout:
                continue
    raise AssertionError(f"no UDP answer from {host}:{port}")


def _options(host: str, port: int, transport: str = "UDP", method: str = "OPTIONS") -> bytes:
    via_host = f"[{host}]" if ":" in host else host
    return (f"{method} sip:sip.example.test SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {via_host}:5999;branch=z9hG4bK-lab{os.getpid()};rport\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:monitor@example.test>;tag=1\r\n"
            "To: <sip:sip.example.test>\r\nCall-ID: lab-test@example.test\r\n"
            f"CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n").encode()


def _dig(server: str, port: int, *query: str) -> str:
    done = subprocess.run(["dig", f"@{server}", "-p", str(port), "+short", "+time=2", "+tries=1", *query],
                          capture_output=True, text=True, timeout=10)
    return done.stdout


def _s_client_argv(host: str, port: int, ca: Path) -> list[str]:
    connect = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return ["openssl", "s_client", "-connect", connect, "-servername", "sip.example.test",
            "-verify_hostname", "sip.example.test", "-CAfile", str(ca), "-verify_return_error"]


def _s_client(host: str, port: int, ca: Path) -> str:
    """Handshake only (stdin at EOF); returns stdout+stderr."""
    done = subprocess.run(_s_client_argv(host, port, ca), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=10)
    return done.stdout + done.stderr


def _s_client_exchange(host: str, port: int, ca: Path, request: bytes, expect: bytes) -> str:
    """Send request through s_client and read until `expect` arrives (the server
    keeps the connection open, so s_client would not end by itself)."""
    proc = subprocess.Popen(_s_client_argv(host, port, ca) + ["-ign_eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(request)
    proc.stdin.close()
    output, deadline = b"", time.monotonic() + 5
    try:
        while expect not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return output.decode(errors="replace")


def _alive(pid: int) -> bool:
    """A zombie (reparented, not yet reaped) counts as stopped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


# -- DNS ------------------------------------------------------------------
@pytest.mark.parametrize("host", HOSTS)
def test_srv_records_carry_the_real_ports(servers: dict[str, Daemon], host: str) -> None:
    dns, sip, xmpp, turn = (servers[k] for k in ("dns", "sip", "xmpp", "turn"))
    tls1, tls2 = getattr(sip, "tls_ports")
    answer = _dig(host, getattr(dns, "port"), "_sips._tcp.example.test", "SRV")
    assert f"10 10 {tls1} sip.example.test." in answer
    assert f"20 10 {tls2} sip.example.test." in answer
    assert f"{getattr(xmpp, 'c2s_port')} xmpp.example.test." in _dig(
        host, getattr(dns, "port"), "+tcp", "_xmpp-client._tcp.example.test", "SRV")
    assert f"{getattr(turn, 'tls_port')} turn.example.test." in _dig(
        host, getattr(dns, "port"), "_turns._tcp.example.test", "SRV")


def test_naptr_and_enum_records(servers: dict[str, Daemon]) -> None:
    port = getattr(servers["dns"], "port")
    naptr = _dig("127.0.0.1", port, "example.test", "NAPTR")
    assert '"s" "SIPS+D2T" "" _sips._tcp.example.test.' in naptr
    assert '"s" "RELAY:turn.tls" "" _turns._tcp.example.test.' in naptr
    enum = _dig("127.0.0.1", port, "1.0.0.0.6.4.9.7.0.2.4.4.e164.arpa", "NAPTR")
    assert r'"E2U+sip" "!^\\+44(.*)$!sip:0\\1@example.test!"' in enum
    assert "sip.example.test" in _dig("::1", port, "0.0.1.0.5.5.5.1.e164.example.test", "NAPTR")
    assert _dig("127.0.0.1", port, "alias.example.test", "A").splitlines() == ["stun.example.test.", "127.0.0.1"]
    assert _dig("127.0.0.1", port, "noaddress.broken.example.test", "A") == ""


def test_bind_takes_extra_lines_and_refuses_a_bad_zone(lab: Lab) -> None:
    dns = lab.bind(extra_lines=['extra IN TXT "added by a test"'])
    assert '"added by a test"' in _dig("127.0.0.1", dns.port, "extra.example.test", "TXT")
    with pytest.raises(StartError, match="did not load"):
        lab.bind(zones={"example.test": "this is not a zone\n"})
    lenient = lab.bind(zones={"example.test": "this is not a zone\n"}, strict=False)
    assert lenient.running


# -- SIP ------------------------------------------------------------------
@pytest.mark.parametrize("host", HOSTS)
def test_kamailio_tls_verifies_with_the_lab_ca(lab: Lab, servers: dict[str, Daemon], host: str) -> None:
    for port in getattr(servers["sip"], "tls_ports"):
        output = _s_client_exchange(host, port, lab.certs.ca_cert, _options(host, port, "TLS"),
                                    b"SIP/2.0 200 OK")
        assert "Verify return code: 0 (ok)" in output, output
        assert "SIP/2.0 200 OK" in output


@pytest.mark.parametrize("host", HOSTS)
def test_kamailio_answers_options_over_udp(servers: dict[str, Daemon], host: str) -> None:
    port = getattr(servers["sip"], "port")
    assert _udp_exchange(host, port, _options(host, port)).startswith(b"SIP/2.0 200 OK\r\n")
    assert _udp_exchange(host, port, _options(host, port, method="INFO")).startswith(b"SIP/2.0 404")


def test_kamailio_variants_answer_503_and_serve_an_expired_certificate(lab: Lab) -> None:
    sip = lab.kamailio(options_code=503, cert="expired")
    answer = _udp_exchange("127.0.0.1", sip.port, _options("127.0.0.1", sip.port))
    assert answer.startswith(b"SIP/2.0 503 Service Unavailable\r\n")
    assert "certificate has expired" in _s_client("127.0.0.1", sip.tls_ports[0], lab.certs.ca_cert)


# -- STUN/TURN ------------------------------------------------------------
@pytest.mark.parametrize("host", HOSTS)
def test_coturn_answers_a_stun_binding(servers: dict[str, Daemon], host: str) -> None:
    txid = os.urandom(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + txid  # RFC 8489 §5 header, no attributes
    answer = _udp_exchange(host, getattr(servers["turn"], "port"), request)
    assert answer[:2] == b"\x01\x01"  # Binding success response
    assert answer[4:8] == b"\x21\x12\xa4\x42" and answer[8:20] == txid


def test_coturn_exposes_credentials(servers: dict[str, Daemon]) -> None:
    turn, rest = servers["turn"], servers["turn_rest"]
    assert (getattr(turn, "username"), getattr(turn, "alt_port")) == ("user", getattr(turn, "port") + 1)
    username, password = getattr(rest, "rest_credentials")("alice")
    assert username.endswith(":alice") and len(password) == 28  # base64 of a SHA-1


# -- XMPP -----------------------------------------------------------------
def _stream_features(host: str, port: int) -> str:
    opening = ("<?xml version='1.0'?><stream:stream to='example.test' version='1.0' "
               "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(opening.encode())
        data = b""
        while b"</stream:features>" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode()


@pytest.mark.parametrize("host", HOSTS)
def test_prosody_requires_starttls(servers: dict[str, Daemon], host: str) -> None:
    features = _stream_features(host, getattr(servers["xmpp"], "c2s_port"))
    assert re.search(r"<starttls xmlns=['\"]urn:ietf:params:xml:ns:xmpp-tls['\"]>\s*<required\s*/>", features), features


def test_prosody_optional_starttls_variant(lab: Lab) -> None:
    xmpp = lab.prosody(require_encryption=False)
    features = _stream_features("127.0.0.1", xmpp.c2s_port)
    assert "<starttls" in features and "<required" not in features


# -- ports and processes ---------------------------------------------------
def test_busy_tcp_port_is_refused(lab: Lab) -> None:
    port = pick_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with pytest.raises(PortBusyError, match=f"port {port} is busy on tcp 127.0.0.1"):
            lab.kamailio(port=port)
    assert not lab.servers[-1].running and lab.servers[-1].proc is None


def test_busy_udp_port_on_ipv6_is_refused(lab: Lab) -> None:
    # coturn itself would start here and share the port (SO_REUSEPORT)
    # A port free everywhere first, so the only thing that can be busy is our holder
    # (a kernel-picked UDP port may be taken on TCP by something else).
    port = pick_port()
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as holder:
        holder.bind(("::1", port))
        with pytest.raises(PortBusyError, match=f"port {port} is busy on udp ::1"):
            lab.coturn(mode="noauth", port=port, rfc5780=False)


def test_stop_leaves_no_process(lab: Lab) -> None:
    sip = lab.kamailio()
    assert sip.pid is not None
    group = _group_members(sip.pid)
    assert len(group) > 1  # kamailio forks workers
    sip.stop()
    assert not sip.running
    assert [pid for pid in group if _alive(pid)] == []


def test_leaving_the_lab_stops_everything() -> None:
    with Lab(variants=("good",)) as lab:
        turn = lab.coturn(mode="noauth", allow_loopback_peers=True)
        pid, run_dir = turn.pid, lab.run_dir
        assert pid is not None and _alive(pid)
    assert not _alive(pid)
    assert not run_dir.exists()


# -- certificates ----------------------------------------------------------
def _not_after(cert: x509.Certificate) -> datetime.datetime:
    """Aware UTC expiry on cryptography 38 (naive only) and current (naive deprecated)."""
    aware = getattr(cert, "not_valid_after_utc", None)
    if aware is not None:
        return aware  # type: ignore[no-any-return]
    return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def test_certificate_variants(lab: Lab) -> None:
    certs = lab.certs
    now = datetime.datetime.now(datetime.timezone.utc)
    assert _not_after(certs.certificate("expired")) < now
    left = _not_after(certs.certificate("expiring")) - now
    assert datetime.timedelta(days=2) < left <= datetime.timedelta(days=3)
    assert stat.S_IMODE(certs.key("good").stat().st_mode) == 0o600

    def verify(name: str) -> str:
        chain = certs.chain(name)
        extra = ["-untrusted", str(chain)] if chain else []
        done = subprocess.run(["openssl", "verify", "-CAfile", str(certs.ca_cert), *extra,
                               str(certs.cert(name))], capture_output=True, text=True)
        return done.stdout + done.stderr

    for good in ("good", "server_only", "wildcard", "wrong_name", "intermediate"):
        assert ": OK" in verify(good), good
    assert "certificate has expired" in verify("expired")
    assert "self-signed certificate" in verify("self_signed")
    text = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName,extendedKeyUsage",
                           "-in", str(certs.cert("good"))], capture_output=True, text=True).stdout
    assert "DNS:sip.example.test" in text and "IP Address:0:0:0:0:0:0:0:1" in text
    assert "URI:sip:example.test" in text and "TLS Web Client Authentication" in text
    assert "*.example.test" not in text
