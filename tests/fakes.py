# SPDX-License-Identifier: GPL-3.0-or-later
"""Fake servers for misbehaviour no real server produces: silence, garbage, stalls.

Each binds a loopback port picked by the kernel, serves in a daemon thread,
and stops when the test's `with` block ends.
"""

from __future__ import annotations

import socket
import threading
from typing import Callable

Reply = Callable[[bytes], list[bytes]]


class UdpFake:
    """Answers every datagram with what `reply` returns (nothing: silence)."""

    def __init__(self, reply: Reply, address: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.port = self.sock.getsockname()[1]
        self.reply = reply
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "UdpFake":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            self.received.append(data)
            try:
                for answer in self.reply(data):
                    self.sock.sendto(answer, peer)
            except OSError:  # closed by __exit__ meanwhile
                return


class TcpFake:
    """Accepts connections and hands each to `serve(conn)` (e.g. stall, garbage, close)."""

    def __init__(self, serve: Callable[[socket.socket], None], address: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.serve = serve
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "TcpFake":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()


def silent(data: bytes) -> list[bytes]:
    return []


def stall(conn: socket.socket) -> None:
    """Accept and never say anything (a half-open service, or a TLS handshake that stalls)."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
