# SPDX-License-Identifier: GPL-3.0-or-later
"""Icinga 2 (Debian's icinga2-bin) in the foreground, for tests of the sample configuration.

`icinga2 daemon -c RUN/icinga2.conf` as root (ICINGA2_USER/GROUP=root), with
every directory defined into RUN (-DDataDir=RUN/lib ...: nothing is written
to /var). The main configuration is the given text, then a CheckerComponent
and a LivestatusListener on the unix socket RUN/livestatus, which answers
queries (query()) and takes external commands (force_service_check()).
With api_port an ApiListener binds 127.0.0.1:api_port (cluster and REST),
reading NodeName's certificate from RUN/lib/certs (see pki()).
Ready when Livestatus answers (and the API port accepts, if any); the first
check result comes 2-4 s after start, unless forced. verify() runs
`icinga2 daemon -C` on the same configuration. Icinga runs as 2 processes;
stop() sends SIGTERM to the main PID, which stops both.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

from .daemon import Daemon, tcp_accepts

_FOOTER = """
object CheckerComponent "checker" {{ }}

object LivestatusListener "livestatus" {{
	socket_type = "unix"
	socket_path = "{run}/livestatus"
}}
"""

_API = """
object ApiListener "api" {{
	bind_host = "127.0.0.1"
	bind_port = {port}
	accept_commands = {accept_commands}
}}
"""


def pki(ca_dir: Path, nodes: dict[str, Path]) -> None:
    """A CA in ca_dir/lib/ca (`icinga2 pki new-ca`), and for each node name a
    key and a certificate signed by it, with the CA certificate, in that
    node's DataDir/certs (`pki new-cert`, `pki sign-csr`)."""
    def icinga2(*args: str) -> None:
        subprocess.run(["icinga2", "pki", *args, f"-DDataDir={ca_dir / 'lib'}"], check=True,
                       capture_output=True, env=_environment(), stdin=subprocess.DEVNULL, timeout=60)

    icinga2("new-ca")
    for name, data_dir in nodes.items():
        certs = data_dir / "certs"
        certs.mkdir(parents=True, exist_ok=True)
        icinga2("new-cert", "--cn", name, "--key", str(certs / f"{name}.key"), "--csr", str(certs / f"{name}.csr"))
        icinga2("sign-csr", "--csr", str(certs / f"{name}.csr"), "--cert", str(certs / f"{name}.crt"))
        (certs / "ca.crt").write_bytes((ca_dir / "lib" / "ca" / "ca.crt").read_bytes())


def _environment() -> dict[str, str]:
    # Otherwise icinga2 drops its privileges to the 'nagios' user.
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "ICINGA2_USER": "root", "ICINGA2_GROUP": "root"}


class Icinga2(Daemon):
    """An icinga2 instance. Attributes: config (main configuration text), api_port."""

    kind = "icinga2"

    def __init__(self, run_dir: Path, config: str, *, api_port: int | None = None,
                 accept_commands: bool = False) -> None:
        super().__init__(run_dir)
        self.config = config
        self.api_port = api_port
        self.accept_commands = accept_commands

    @property
    def config_path(self) -> Path:
        return self.run_dir / "icinga2.conf"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "lib"

    @property
    def livestatus_path(self) -> Path:
        return self.run_dir / "livestatus"

    def _arguments(self) -> list[str]:
        run = self.run_dir
        return ["-c", str(self.config_path), f"-DDataDir={run}/lib", f"-DLogDir={run}/log",
                f"-DCacheDir={run}/cache", f"-DSpoolDir={run}/spool", f"-DInitRunDir={run}/run",
                f"-DPidPath={run}/run/icinga2.pid", f"-DVarsPath={run}/cache/icinga2.vars",
                f"-DObjectsPath={run}/cache/icinga2.debug", f"-DModAttrPath={run}/lib/modified-attributes.conf"]

    def write_config(self) -> None:
        for name in ("lib", "log", "cache", "spool", "run"):
            (self.run_dir / name).mkdir(parents=True, exist_ok=True)
        text = self.config + _FOOTER.format(run=self.run_dir)
        if self.api_port is not None:
            text += _API.format(port=self.api_port, accept_commands=str(self.accept_commands).lower())
        self.config_path.write_text(text)

    def command(self) -> list[str]:
        return ["icinga2", "daemon", *self._arguments()]

    def environment(self) -> dict[str, str]:
        return _environment()

    def ports(self) -> list[int]:
        return [self.api_port] if self.api_port is not None else []

    def is_ready(self) -> bool:
        if self.api_port is not None and not tcp_accepts("127.0.0.1", self.api_port):
            return False
        try:
            self.query("GET status\nColumns: program_start\n")
        except OSError:
            return False
        return True

    def verify(self) -> subprocess.CompletedProcess[str]:
        """`icinga2 daemon -C` on this configuration (written first)."""
        self.write_config()
        return subprocess.run(["icinga2", "daemon", "-C", *self._arguments()], capture_output=True, text=True,
                              env=_environment(), timeout=60, stdin=subprocess.DEVNULL)

    def query(self, request: str) -> list[list[object]]:
        """A Livestatus GET (lines without the final blank line), answered as JSON rows."""
        answer = self._livestatus(request.rstrip("\n") + "\nOutputFormat: json\n\n")
        rows: list[list[object]] = json.loads(answer)
        return rows

    def force_service_check(self, host: str, service: str) -> None:
        """Run the service's check now (external command over Livestatus)."""
        now = int(time.time())
        self._livestatus(f"COMMAND [{now}] SCHEDULE_FORCED_SVC_CHECK;{host};{service};{now}\n\n")

    def services(self) -> dict[tuple[str, str], dict[str, object]]:
        """State, output, perfdata, last check and check source of every service."""
        columns = ["host_name", "description", "state", "plugin_output", "long_plugin_output",
                   "perf_data", "last_check", "check_source"]
        rows = self.query("GET services\nColumns: " + " ".join(columns))
        return {(str(row[0]), str(row[1])): dict(zip(columns, row)) for row in rows}

    def _livestatus(self, request: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(os.fspath(self.livestatus_path))
            sock.sendall(request.encode())
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()
