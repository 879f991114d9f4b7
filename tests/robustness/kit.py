# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault-server kit: servers that misbehave the way no real server does on purpose.

Each behaviour is a small function; FaultServer runs one on a loopback port
the kernel picks (127.0.0.1 or ::1), over UDP, TCP or TLS, in daemon threads,
until its `with` block ends. "refuse" is no server at all: a port where
nothing listens (TCP answers RST, UDP an ICMP port unreachable).
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import time
from pathlib import Path
from typing import Callable

from tests.fakes import TcpFake, UdpFake

HTTP_ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
OVERSIZED_BYTES = 12 * 1024 * 1024  # "an oversized answer (10 MB and more)"
CHUNK = b"A" * 65536
PARTIAL_ANSWER = b"\x01\x01\x00\x0cSIP/2.0 2"  # a few bytes that start something, then RST


# --- stream behaviours: called with the accepted (maybe TLS) connection ---------


def silent(conn: socket.socket) -> None:
    """Accept, read whatever comes, never answer."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def close(conn: socket.socket) -> None:
    """Read the request, then close cleanly (FIN)."""
    _read_some(conn)
    conn.close()


def reset(conn: socket.socket) -> None:
    """Read the request, send the start of an answer, then reset (RST)."""
    _read_some(conn)
    _send(conn, PARTIAL_ANSWER)
    try:  # linger on, timeout 0: close() sends RST instead of FIN
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass  # the client already closed this connection
    conn.close()


def trickle(conn: socket.socket) -> None:
    """One byte a second, forever: a peer that never finishes its answer."""
    _read_some(conn)
    while _send(conn, b"A"):
        time.sleep(1.0)


def oversized(conn: socket.socket) -> None:
    """More than 10 MB of answer, as fast as the client reads."""
    _read_some(conn)
    sent = 0
    while sent < OVERSIZED_BYTES and _send(conn, CHUNK):
        sent += len(CHUNK)
    silent(conn)


def garbage(conn: socket.socket) -> None:
    """Random bytes instead of an answer."""
    _read_some(conn)
    _send(conn, os.urandom(4096))
    silent(conn)


def http(conn: socket.socket) -> None:
    """The wrong protocol: an HTTP server on the port."""
    _read_some(conn)
    _send(conn, HTTP_ANSWER)
    silent(conn)


def _read_some(conn: socket.socket) -> None:
    try:
        conn.settimeout(5)
        conn.recv(65536)
    except OSError:
        pass


def _send(conn: socket.socket, data: bytes) -> bool:
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


STREAM_BEHAVIOURS: dict[str, Callable[[socket.socket], None]] = {
    "silent": silent, "close": close, "reset": reset, "trickle": trickle,
    "oversized": oversized, "garbage": garbage, "http": http,
}


# --- datagram behaviours: called with a request, return the answers --------------


def udp_silent(data: bytes) -> list[bytes]:
    return []


def udp_garbage(data: bytes) -> list[bytes]:
    return [os.urandom(512)]


def udp_oversized(data: bytes) -> list[bytes]:
    return [b"A" * 65507] * 4  # the largest UDP payload, several times


def udp_http(data: bytes) -> list[bytes]:
    return [HTTP_ANSWER]


DATAGRAM_BEHAVIOURS: dict[str, Callable[[bytes], list[bytes]]] = {
    "silent": udp_silent, "garbage": udp_garbage, "oversized": udp_oversized, "http": udp_http,
}


# --- DNS: a truncated UDP answer sends the client to TCP on the same port ----------


def truncated(query: bytes) -> list[bytes]:
    """The query sent back as a response with TC set (RFC 1035 §4.1.1 flags QR, TC, RD, RA), same ID and question."""
    return [query[:2] + b"\x83\x80" + query[4:]]


class TruncatingDns:
    """DNS over UDP answers every query truncated (RFC 7766 §5: ask again over TCP); on the
    same port over TCP, `stream` (a fault server, or Refused) misbehaves."""

    ATTEMPTS = 20

    def __init__(self, make_stream: Callable[[], object], address: str) -> None:
        # The kernel picks the TCP port; UDP on the same number may be taken by
        # anything else on the machine, so try again with another.
        for _ in range(self.ATTEMPTS):
            self.stream = make_stream()
            self.port: int = self.stream.port  # type: ignore[attr-defined]
            try:
                self.udp = UdpFake(truncated, address, self.port)
                return
            except OSError:
                self.stream.__exit__(None, None, None)  # type: ignore[attr-defined]
        raise OSError(f"no port free for both TCP and UDP on {address}")

    def __enter__(self) -> "TruncatingDns":
        self.stream.__enter__()  # type: ignore[attr-defined]
        self.udp.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.udp.__exit__(*exc)
        self.stream.__exit__(*exc)  # type: ignore[attr-defined]


# --- TLS -------------------------------------------------------------------------


class TlsFake(TcpFake):
    """A TCP fake that first does a TLS handshake with `context`, then runs `serve`."""

    def __init__(self, serve: Callable[[socket.socket], None], context: ssl.SSLContext,
                 address: str = "127.0.0.1") -> None:
        super().__init__(lambda conn: self._handshake(conn, serve), address)
        self.context = context

    def _handshake(self, conn: socket.socket, serve: Callable[[socket.socket], None]) -> None:
        try:
            conn.settimeout(10)
            tls = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            return  # the client gave up or refused our certificate: that is its verdict
        serve(tls)


def half_handshake(conn: socket.socket) -> None:
    """Read the ClientHello, answer with the first bytes of a ServerHello, stall."""
    _read_some(conn)
    _send(conn, bytes.fromhex("160303004a020000460303"))
    silent(conn)


def plain_for_tls(conn: socket.socket) -> None:
    """Plain text where TLS is expected: an HTTP answer to the ClientHello."""
    http(conn)


def server_context(chain_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file, key_file)
    return context


def absurd_chain(directory: Path, length: int = 60) -> tuple[Path, Path]:
    """A leaf followed by `length` issuers, each signing the next: far past any verify depth."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.utcnow()
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(length + 1)]
    names = [x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"absurd {i}")]) for i in range(length + 1)]
    pems = []
    for i in range(length + 1):  # certificate i is issued by i+1; the last is self-signed
        issuer = min(i + 1, length)
        builder = (x509.CertificateBuilder().subject_name(names[i]).issuer_name(names[issuer])
                   .public_key(keys[i].public_key()).serial_number(i + 1)
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=i > 0, path_length=None), critical=True))
        pems.append(builder.sign(keys[issuer], hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    chain, key = directory / "absurd-chain.pem", directory / "absurd-key.pem"
    chain.write_bytes(b"".join(pems))
    key.write_bytes(keys[0].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, key


class Refused:
    """No server: a port where nothing listens, on the given address."""

    def __init__(self, address: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
            self.port = int(sock.getsockname()[1])

    def __enter__(self) -> "Refused":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def fault_server(kind: str, behaviour: str, address: str, tls: ssl.SSLContext | None = None) -> object:
    """A context manager serving `behaviour` over `kind` ("udp", "tcp", "tls", or "dns-tcp":
    a truncating DNS server over UDP, `behaviour` over TCP) on `address`."""
    if kind == "dns-tcp":
        return TruncatingDns(lambda: fault_server("tcp", behaviour, address, tls), address)
    if behaviour == "refuse":
        return Refused(address)
    if kind == "udp":
        return UdpFake(DATAGRAM_BEHAVIOURS[behaviour], address)
    assert tls is not None
    if kind == "tcp":
        if behaviour == "tls-for-plain":  # the wrong protocol the other way round
            return TlsFake(silent, tls, address)
        return TcpFake(STREAM_BEHAVIOURS[behaviour], address)
    if behaviour == "half-tls":
        return TcpFake(half_handshake, address)
    if behaviour == "plain-for-tls":
        return TcpFake(plain_for_tls, address)
    if behaviour == "stall-handshake":
        return TcpFake(silent, address)
    return TlsFake(STREAM_BEHAVIOURS[behaviour], tls, address)

