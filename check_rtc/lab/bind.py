# SPDX-License-Identifier: GPL-3.0-or-later
"""BIND (named) as the lab's authoritative DNS server on loopback.

`named -g` (foreground, as root, no rndc: controls {}), recursion off, serving
the zones it is given (see zones.py) on `port`, UDP+TCP, 127.0.0.1 and ::1.
Ready when it logs "running"; a zone that fails to load is a StartError
unless strict=False (for deliberately broken zones).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from .daemon import LOOPBACKS, Daemon, StartError, tcp_accepts
from .ports import PortBusyError, _try_bind, pick_port

_CONFIG = """\
options {{
    directory "{run}";
    pid-file "{run}/named.pid";
    session-keyfile "{run}/session.key";
    managed-keys-directory "{run}";
    listen-on port {port} {{ {v4}; }};
    listen-on-v6 port {port} {{ {v6}; }};
    {role}
    notify no;
    allow-query {{ any; }};
}};
controls {{ }};
{zones}
"""

_ZONE = 'zone "{origin}" {{ type primary; file "{file}"; }};'
_AUTHORITATIVE = "recursion no;\n    dnssec-validation no;"
_LOAD_FAILED = re.compile(r"zone (\S+): not loaded due to errors|loading configuration: failure")


class Bind(Daemon):
    """A named instance. Attributes: port, zones (origin -> text), strict."""

    kind = "bind"

    def __init__(self, run_dir: Path, zones: dict[str, str], *, port: int | None = None,
                 strict: bool = True, addresses: tuple[str, ...] = LOOPBACKS) -> None:
        """`addresses`: listen on these loopbacks only (e.g. two servers for one
        zone on one port, one per family, as NS records cannot carry a port)."""
        super().__init__(run_dir)
        self.zones = dict(zones)
        self.strict = strict
        self.port = port if port is not None else pick_port()
        self.addresses = addresses

    def ports(self) -> list[int]:
        # A one-family server may share its port with one on the other family:
        # write_config checks its own addresses instead.
        return [self.port] if set(self.addresses) == set(LOOPBACKS) else []

    @property
    def config_path(self) -> Path:
        return self.run_dir / "named.conf"

    def zone_path(self, origin: str) -> Path:
        return self.run_dir / f"{origin}.zone"

    def write_config(self) -> None:
        if not self.ports():
            _ensure_free_on(self.addresses, self.port)
        for origin, text in self.zones.items():
            self.zone_path(origin).write_text(text)
        self.config_path.write_text(_CONFIG.format(
            run=self.run_dir, port=self.port, role=self.role(), zones=self.clauses(),
            v4="127.0.0.1" if "127.0.0.1" in self.addresses else "none",
            v6="::1" if "::1" in self.addresses else "none"))

    def role(self) -> str:
        """The options that make this named what it is: authoritative only."""
        return _AUTHORITATIVE

    def clauses(self) -> str:
        """The top-level statements after options: one zone statement per zone."""
        return "\n".join(_ZONE.format(origin=o, file=self.zone_path(o)) for o in self.zones)

    def command(self) -> list[str]:
        # -g: foreground, log to stderr; no -u: stays root, so the run dir needs no chown
        return ["named", "-g", "-n", "1", "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        log = self._log_text()
        if self.strict and _LOAD_FAILED.search(log):
            raise StartError(f"{self.describe()}: a zone did not load; log tail:\n{self.log_tail()}")
        if not re.search(r"^.*running$", log, re.MULTILINE):
            return False
        return all(tcp_accepts(h, self.port) for h in self.addresses)

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _ensure_free_on(addresses: tuple[str, ...], port: int) -> None:
    for host in addresses:
        for kind, name in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
            reason = _try_bind(host, port, kind)
            if reason is not None:
                raise PortBusyError(port, f"{name} {host} ({reason})")
