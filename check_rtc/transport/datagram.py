# SPDX-License-Identifier: GPL-3.0-or-later
"""Datagram transport: a connected UDP socket and a receive that ends at a given time.

Connecting the socket makes the kernel drop datagrams from other sources and
report ICMP port-unreachable as ECONNREFUSED on the next receive.
"""

import socket

from check_rtc.errors import TransportError
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint
from check_rtc.transport.stream import os_reason, socket_family

# Larger than any UDP payload, so a datagram is never cut short.
RECEIVE_BYTES = 65536


def open_datagram(endpoint: Endpoint) -> socket.socket:
    sock = socket.socket(socket_family(endpoint), socket.SOCK_DGRAM)
    try:
        sock.connect((endpoint.address, endpoint.port))
    except OSError as exc:
        sock.close()
        raise TransportError(f"connect: {os_reason(exc)}") from None
    return sock


def open_unconnected(endpoint: Endpoint) -> socket.socket:
    """A UDP socket that hears every source: for answers that come from another address."""
    return socket.socket(socket_family(endpoint), socket.SOCK_DGRAM)


def send_datagram(sock: socket.socket, data: bytes, endpoint: Endpoint | None = None) -> None:
    """Send on a connected socket, or to `endpoint` on an unconnected one."""
    try:
        if endpoint is None:
            sock.send(data)
        else:
            sock.sendto(data, (endpoint.address, endpoint.port))
    except OSError as exc:
        raise TransportError(f"send: {os_reason(exc)}") from None


def receive_datagram(sock: socket.socket, until: float) -> bytes | None:
    """One datagram, or None when `until` (monotonic time) comes first."""
    received = receive_from(sock, until)
    return None if received is None else received[0]


def receive_from(sock: socket.socket, until: float) -> tuple[bytes, tuple[str, int]] | None:
    """One datagram and its source (address, port), or None when `until` comes first."""
    left = until - Deadline.now()
    if left <= 0:
        return None
    try:
        sock.settimeout(left)
        data, source = sock.recvfrom(RECEIVE_BYTES)
        return data, (source[0], source[1])
    except socket.timeout:
        return None
    except ConnectionRefusedError:
        raise TransportError("port unreachable (ICMP)") from None
    except OSError as exc:
        raise TransportError(f"receive: {os_reason(exc)}") from None
