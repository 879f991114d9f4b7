# SPDX-License-Identifier: GPL-3.0-or-later
"""Endpoint: one (name, address, port, transport) a check probes.

The label is what an operator reads in long output and what graphs are keyed
on in perfdata, so it is stable and free of perfdata's illegal ' and =.
"""

from collections import namedtuple

STREAM_TRANSPORTS = frozenset({"tcp", "tls", "ws", "wss"})
TLS_TRANSPORTS = frozenset({"tls", "wss"})


class Endpoint(namedtuple("Endpoint", "name address port transport")):
    """Where to send: `name` is what DNS or the user called it (may be the address).

    An empty `address` stands for a target whose name did not resolve.
    """

    __slots__ = ()
    name: str
    address: str
    port: int
    transport: str

    @property
    def family(self) -> int:
        """6 for an IPv6 address, 4 otherwise."""
        return 6 if ":" in self.address else 4

    @property
    def is_stream(self) -> bool:
        return self.transport in STREAM_TRANSPORTS

    @property
    def is_tls(self) -> bool:
        return self.transport in TLS_TRANSPORTS

    def label(self) -> str:
        """'name[address]:port/transport', or 'address:port/transport' when they are one."""
        where = f"{self.port}/{self.transport}"
        if not self.address:  # a target whose name (or SRV owner) did not resolve
            port = f":{self.port}" if self.port else ""
            return f"{self.name.rstrip('.')}{port}/{self.transport}"
        if self.name in (self.address, ""):
            address = f"[{self.address}]" if self.family == 6 else self.address
            return f"{address}:{where}"
        return f"{self.name.rstrip('.')}[{self.address}]:{where}"

    def __str__(self) -> str:
        return self.label()
