# SPDX-License-Identifier: GPL-3.0-or-later
"""Stream transport: TCP connect, TLS handshake, send and receive under a deadline.

Failures become the project's TransportError/TransportTimeout/TlsError with
the step named, so a probe can record them per endpoint.
"""

from __future__ import annotations

import socket
from check_rtc.errors import TlsError, TransportError, TransportTimeout
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

RECEIVE_BYTES = 65536


def socket_family(endpoint: Endpoint) -> int:
    return socket.AF_INET6 if endpoint.family == 6 else socket.AF_INET


def os_reason(exc: OSError) -> str:
    """'connection refused', 'network is unreachable': strerror, lower case."""
    return (exc.strerror or type(exc).__name__).lower()


def connect(endpoint: Endpoint, deadline: Deadline) -> socket.socket:
    """A connected TCP socket; raises TransportError naming the step."""
    sock = socket.socket(socket_family(endpoint), socket.SOCK_STREAM)
    try:
        sock.settimeout(deadline.timeout("connect"))
        sock.connect((endpoint.address, endpoint.port))
        # Request/answer protocols: a small write must not wait for the
        # previous one's ACK (Nagle plus delayed ACK costs 40 ms a round).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except socket.timeout:
        sock.close()
        raise TransportTimeout("connect: timed out") from None
    except OSError as exc:
        sock.close()
        raise TransportError(f"connect: {os_reason(exc)}") from None
    except TransportTimeout:
        sock.close()
        raise
    return sock


def start_tls(
    sock: socket.socket, context: ssl.SSLContext, server_hostname: str | None, deadline: Deadline
) -> ssl.SSLSocket:
    """Upgrade a connected socket (direct TLS or after STARTTLS)."""
    from check_rtc.transport.tls import describe_failure

    tls = context.wrap_socket(sock, server_hostname=server_hostname, do_handshake_on_connect=False)
    try:
        tls.settimeout(deadline.timeout("TLS handshake"))
        tls.do_handshake()
    except socket.timeout:
        tls.close()
        raise TransportTimeout("TLS handshake: timed out") from None
    except TransportTimeout:
        tls.close()
        raise
    except OSError as exc:  # ssl.SSLError is an OSError
        tls.close()
        raise TlsError(f"TLS handshake failed: {describe_failure(exc)}") from None
    return tls


def send(sock: socket.socket, data: bytes, deadline: Deadline, step: str) -> None:
    try:
        sock.settimeout(deadline.timeout(step))
        sock.sendall(data)
    except socket.timeout:
        raise TransportTimeout(f"{step}: timed out") from None
    except OSError as exc:
        raise TransportError(f"{step}: {os_reason(exc)}") from None


def receive(sock: socket.socket, deadline: Deadline, step: str) -> bytes:
    """Some bytes, or b'' when the peer closed the stream."""
    try:
        sock.settimeout(deadline.timeout(step))
        return sock.recv(RECEIVE_BYTES)
    except socket.timeout:
        raise TransportTimeout(f"{step}: timed out") from None
    except OSError as exc:
        raise TransportError(f"{step}: {os_reason(exc)}") from None
