# SPDX-License-Identifier: GPL-3.0-or-later
"""BIND (named) as the lab's authoritative DNS server on loopback.

`named -g` (foreground, as root, no rndc: controls {}), recursion off, serving
the zones it is given (see zones.py) on `port`, UDP+TCP, 127.0.0.1 and ::1.
Ready when it logs "running"; a zone that fails to load is a StartError
unless strict=False (for deliberately broken zones).
"""

from __future__ import annotations

import re
from pathlib import Path

from .daemon import LOOPBACKS, Daemon, StartError, tcp_accepts
from .ports import pick_port

_CONFIG = """\
options {{
    directory "{run}";
    pid-file "{run}/named.pid";
    session-keyfile "{run}/session.key";
    managed-keys-directory "{run}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 port {port} {{ ::1; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ any; }};
}};
controls {{ }};
{zones}
"""

_ZONE = 'zone "{origin}" {{ type primary; file "{file}"; }};'
_LOAD_FAILED = re.compile(r"zone (\S+): not loaded due to errors|loading configuration: failure")


class Bind(Daemon):
    """A named instance. Attributes: port, zones (origin -> text), strict."""

    kind = "bind"

    def __init__(self, run_dir: Path, zones: dict[str, str], *, port: int | None = None,
                 strict: bool = True) -> None:
        super().__init__(run_dir)
        self.zones = dict(zones)
        self.strict = strict
        self.port = port if port is not None else pick_port()

    def ports(self) -> list[int]:
        return [self.port]

    @property
    def config_path(self) -> Path:
        return self.run_dir / "named.conf"

    def zone_path(self, origin: str) -> Path:
        return self.run_dir / f"{origin}.zone"

    def write_config(self) -> None:
        for origin, text in self.zones.items():
            self.zone_path(origin).write_text(text)
        zones = "\n".join(_ZONE.format(origin=o, file=self.zone_path(o)) for o in self.zones)
        self.config_path.write_text(_CONFIG.format(run=self.run_dir, port=self.port, zones=zones))

    def command(self) -> list[str]:
        # -g: foreground, log to stderr; no -u: stays root, so the run dir needs no chown
        return ["named", "-g", "-n", "1", "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        log = self._log_text()
        if self.strict and _LOAD_FAILED.search(log):
            raise StartError(f"{self.describe()}: a zone did not load; log tail:\n{self.log_tail()}")
        if not re.search(r"^.*running$", log, re.MULTILINE):
            return False
        return all(tcp_accepts(h, self.port) for h in LOOPBACKS)

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
