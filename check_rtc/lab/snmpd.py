# SPDX-License-Identifier: GPL-3.0-or-later
"""net-snmp's snmpd on loopback for the lab, serving an OID subtree from a table the caller gives.

v2c with a community and v3 with an authPriv user (SHA/AES), on UDP
127.0.0.1 and [::1] at a port picked per run. The subtree (e.g. the
RTP-MIB, 1.3.6.1.2.1.87) is answered by a pass_persist script (snmpd.conf(5),
"pass_persist": PING/PONG, get, getnext on stdin/stdout) that this module
writes with the values given: {oid: (type, value)}, types as pass_persist
names them (integer, gauge, counter, counter64, string, ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .daemon import Daemon
from .ports import pick_port

COMMUNITY = "lab-community"
V3_USER = "monitor"
AUTH_PASSPHRASE = "lab-auth-passphrase"
PRIV_PASSPHRASE = "lab-priv-passphrase"

_CONFIG = """\
agentAddress udp:127.0.0.1:{port},udp6:[::1]:{port}
rocommunity {community} 127.0.0.1
rocommunity6 {community} ::1
createUser {user} SHA "{auth}" AES "{priv}"
rouser {user} priv
sysName rtc-lab
pass_persist {subtree} {python} {script}
"""

# The pass_persist helper: a sorted table, answered as snmpd asks.
_SCRIPT = '''\
import json, sys
TABLE = {table}
def key(oid):
    return tuple(int(x) for x in oid.strip(".").split("."))
ORDER = sorted(TABLE, key=key)
def answer(oid):
    kind, value = TABLE[oid]
    sys.stdout.write("." + oid + "\\n" + kind + "\\n" + str(value) + "\\n")
def next_after(oid):
    for candidate in ORDER:
        if key(candidate) > key(oid):
            return candidate
    return None
while True:
    line = sys.stdin.readline()
    if not line:
        break
    command = line.strip()
    if command == "PING":
        sys.stdout.write("PONG\\n")
    elif command in ("get", "getnext"):
        oid = sys.stdin.readline().strip().strip(".")
        found = oid if command == "get" and oid in TABLE else next_after(oid) if command == "getnext" else None
        if found is None:
            sys.stdout.write("NONE\\n")
        else:
            answer(found)
    elif command == "set":
        sys.stdin.readline(); sys.stdin.readline()
        sys.stdout.write("not-writable\\n")
    sys.stdout.flush()
'''


class Snmpd(Daemon):
    """An snmpd; attributes port, community, v3 user and passphrases."""

    kind = "snmpd"

    def __init__(self, run_dir: Path, subtree: str, table: dict[str, tuple[str, object]]) -> None:
        super().__init__(run_dir)
        self.port = pick_port()
        self.subtree = subtree
        self.table = table
        self.community, self.user = COMMUNITY, V3_USER
        self.auth_passphrase, self.priv_passphrase = AUTH_PASSPHRASE, PRIV_PASSPHRASE

    def ports(self) -> list[int]:
        return [self.port]

    def tcp_ports(self) -> list[int]:
        return []

    def is_ready(self) -> bool:
        return "NET-SNMP version" in self.log_tail(50)

    def write_config(self) -> None:
        (self.run_dir / "persist").mkdir(parents=True, exist_ok=True)
        script = self.run_dir / "rtp_mib.py"
        script.write_text(_SCRIPT.format(table=json.dumps({k.strip("."): list(v) for k, v in self.table.items()})))
        (self.run_dir / "snmpd.conf").write_text(_CONFIG.format(
            port=self.port, community=self.community, user=self.user, auth=self.auth_passphrase,
            priv=self.priv_passphrase, subtree=self.subtree, python=sys.executable, script=script))

    def environment(self) -> dict[str, str]:
        return {"PATH": "/usr/sbin:/usr/bin:/bin", "SNMP_PERSISTENT_DIR": str(self.run_dir / "persist"), "MIBS": ""}

    def command(self) -> list[str]:
        return ["snmpd", "-f", "-C", "-c", str(self.run_dir / "snmpd.conf"), "-Lo", "-p",
                str(self.run_dir / "snmpd.pid"), "-I", "-smux,mteTrigger,mteTriggerConf"]
