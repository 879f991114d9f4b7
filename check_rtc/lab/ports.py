# SPDX-License-Identifier: GPL-3.0-or-later
"""Loopback port allocation and the busy-port pre-check for the lab.

A lab port must be free on TCP *and* UDP on 127.0.0.1 *and* ::1, because every
lab server listens on both families and several (coturn, kamailio) use one
number for UDP and TCP. The pre-check matters: coturn and BIND bind with
SO_REUSEPORT and start silently on a busy port (the kernel then splits the
traffic), and prosody keeps running without a listener.
"""

from __future__ import annotations

import socket

from .daemon import LabError

LOOPBACKS: tuple[str, ...] = ("127.0.0.1", "::1")

# Ports handed out by this process: the kernel may return the same free port
# twice in a row after we closed it, and two lab servers must never share one.
_handed_out: set[int] = set()


class PortBusyError(LabError):
    """A port the lab wanted to use is already bound by someone else."""

    def __init__(self, port: int, detail: str) -> None:
        self.port = port
        super().__init__(f"port {port} is busy on {detail}; refusing to start a second server there")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _try_bind(host: str, port: int, kind: socket.SocketKind) -> str | None:
    """Bind (host, port, kind) once; return None if it worked, else the reason."""
    sock = socket.socket(_family(host), kind)
    try:
        if kind == socket.SOCK_STREAM:
            # Allows a port in TIME_WAIT (left by a stopped server) but still
            # fails on Linux while anything LISTENs there, which is what we test.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        sock.close()


def busy_reason(port: int) -> str | None:
    """Return 'tcp 127.0.0.1: Address already in use'-like text, or None if free."""
    for host in LOOPBACKS:
        for kind, name in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
            reason = _try_bind(host, port, kind)
            if reason is not None:
                return f"{name} {host} ({reason})"
    return None


def ensure_free(*ports: int) -> None:
    """Raise PortBusyError for the first port that is not free everywhere."""
    for port in ports:
        reason = busy_reason(port)
        if reason is not None:
            raise PortBusyError(port, reason)


# Ports come from below the kernel's ephemeral range (32768-60999 by default),
# so no client socket's ephemeral port can take one between pick and bind;
# coturn's relay ports come from above it (coturn.RELAY_FIRST).
PORT_FIRST = 20000


def _ephemeral_first() -> int:
    try:
        from pathlib import Path

        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def pick_port(span: int = 1, attempts: int = 200) -> int:
    """Return a port P such that P..P+span-1 are free on TCP+UDP, v4+v6.

    span=2 serves coturn's RFC 5780 alternate port (listening port + 1) and
    baresip's SIP/TLS listener (SIP port + 1).
    """
    import random

    last = max(_ephemeral_first(), PORT_FIRST + 1000) - span
    for _ in range(attempts):
        port = random.randrange(PORT_FIRST, last)
        wanted = range(port, port + span)
        if any(p in _handed_out for p in wanted):
            continue
        if all(busy_reason(p) is None for p in wanted):
            _handed_out.update(wanted)
            return port
    raise LabError(f"no free loopback port (span {span}) after {attempts} attempts")


def reserve(*ports: int) -> None:
    """Record ports chosen by the caller so pick_port() never returns them."""
    _handed_out.update(ports)
