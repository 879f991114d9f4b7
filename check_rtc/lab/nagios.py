# SPDX-License-Identifier: GPL-3.0-or-later
"""Nagios 4 (Debian's nagios4) in the foreground, for tests of the sample configuration.

`nagios4 RUN/nagios.cfg` as root, every path in RUN, reading the object
files it is given and a resource.cfg of the given $USERn$ macros.
interval_length=1 makes check_interval count seconds, and the delay methods
"n" run the first checks at once. Ready when status.dat and the external
command FIFO exist. Results come from status.dat (servicestatus blocks);
force_service_check() writes SCHEDULE_FORCED_SVC_CHECK to the FIFO.
verify() runs `nagios4 -v` on the same configuration. Nagios runs as 6
processes (main, 4 workers, the command-file worker); stop() sends SIGTERM
to the main PID, which stops them all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Iterable

from .daemon import Daemon

_CONFIG = """\
log_file={run}/nagios.log
{cfg_files}
resource_file={run}/resource.cfg
object_cache_file={run}/objects.cache
precached_object_file={run}/objects.precache
status_file={run}/status.dat
temp_file={run}/nagios.tmp
temp_path={run}
lock_file={run}/nagios.lock
check_result_path={run}/checkresults
command_file={run}/nagios.cmd
query_socket={run}/nagios.qh
state_retention_file={run}/retention.dat
nagios_user=root
nagios_group=root
use_syslog=0
retain_state_information=0
check_external_commands=1
enable_notifications=0
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
status_update_interval=1
check_result_reaper_frequency=1
process_performance_data=0
illegal_macro_output_chars=`~$&|'"<>
"""


def parse_status(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """status.dat's servicestatus blocks, by (host_name, service_description)."""
    services: dict[tuple[str, str], dict[str, str]] = {}
    block: dict[str, str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "servicestatus {":
            block = {}
        elif stripped == "}" and block is not None:
            services[(block["host_name"], block["service_description"])] = block
            block = None
        elif block is not None and "=" in stripped:
            key, _, value = stripped.partition("=")
            block[key] = value
    return services


class Nagios(Daemon):
    """A nagios4 instance. Attributes: object_files, resources ($USERn$ -> value)."""

    kind = "nagios4"

    def __init__(self, run_dir: Path, object_files: Iterable[Path], resources: dict[str, str]) -> None:
        super().__init__(run_dir)
        self.object_files = [Path(path) for path in object_files]
        self.resources = dict(resources)

    @property
    def config_path(self) -> Path:
        return self.run_dir / "nagios.cfg"

    @property
    def status_path(self) -> Path:
        return self.run_dir / "status.dat"

    @property
    def command_path(self) -> Path:
        return self.run_dir / "nagios.cmd"

    def write_config(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "checkresults").mkdir(exist_ok=True)
        cfg_files = "\n".join(f"cfg_file={path}" for path in self.object_files)
        self.config_path.write_text(_CONFIG.format(run=self.run_dir, cfg_files=cfg_files))
        (self.run_dir / "resource.cfg").write_text(
            "".join(f"${name}$={value}\n" for name, value in self.resources.items()))

    def command(self) -> list[str]:
        return ["nagios4", str(self.config_path)]

    def ports(self) -> list[int]:
        return []

    def is_ready(self) -> bool:
        return self.status_path.exists() and self.command_path.exists()

    def verify(self) -> subprocess.CompletedProcess[str]:
        """`nagios4 -v` on this configuration (written first)."""
        self.write_config()
        return subprocess.run(["nagios4", "-v", str(self.config_path)], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def force_service_check(self, host: str, service: str) -> None:
        """Run the service's check now (external command through the FIFO)."""
        now = int(time.time())
        line = f"[{now}] SCHEDULE_FORCED_SVC_CHECK;{host};{service};{now}\n"
        fd = os.open(self.command_path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def services(self) -> dict[tuple[str, str], dict[str, str]]:
        """The service status blocks of status.dat, as last written."""
        return parse_status(self.status_path.read_text(errors="replace"))
