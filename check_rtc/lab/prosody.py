# SPDX-License-Identifier: GPL-3.0-or-later
"""prosody (XMPP server, RFC 6120) on loopback for the lab.

c2s on `c2s_port` (STARTTLS, required unless require_encryption=False; SASL
PLAIN offered before TLS with plain_before_tls=True), s2s on `s2s_port`
(STARTTLS required as on c2s unless s2s_require_encryption says otherwise),
direct TLS (XEP-0368) on `c2s_tls_port` and `s2s_tls_port`, all on
127.0.0.1 and ::1. One registered account: `jid` (monitor@DOMAIN) / `password`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .certs import Certs
from .daemon import Daemon, LabError
from .ports import pick_port

USERNAME = "monitor"
PASSWORD = "lab-xmpp-password"

_CONFIG = """\
-- rendered by check_rtc.lab.prosody
run_as_root = true  -- the lab runs as root; without this prosody refuses to start
daemonize = false
pidfile = "{run}/prosody.pid"
data_path = "{run}/data"
plugin_paths = {{}}
interfaces = {{ "127.0.0.1", "::1" }}
local_interfaces = {{ "127.0.0.1", "::1" }}
c2s_ports = {{ {c2s} }}
s2s_ports = {{ {s2s} }}
c2s_direct_tls_ports = {{ {c2s_tls} }}
s2s_direct_tls_ports = {{ {s2s_tls} }}
http_ports = {{}}
https_ports = {{}}
component_ports = {{}}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "time"; "version"; "uptime"; "posix"; }}
allow_unencrypted_plain_auth = {plain}  -- true: SASL PLAIN offered before TLS (a finding)
c2s_require_encryption = {require}
s2s_require_encryption = {s2s_require}
s2s_secure_auth = false
authentication = "internal_hashed"
storage = "internal"
log = {{ {{ levels = {{ min = "info" }}, to = "console" }}; }}
certificates = "{run}/certs"
-- the global ssl block serves c2s, s2s and both direct-TLS services
ssl = {{ certificate = "{cert}"; key = "{key}"; }}
VirtualHost "{domain}"
"""


class Prosody(Daemon):
    """A prosody instance. Attributes: c2s_port, s2s_port, c2s_tls_port,
    s2s_tls_port, domain, username, jid, password, require_encryption,
    s2s_require_encryption, plain_before_tls, cert."""

    kind = "prosody"

    def __init__(self, run_dir: Path, certs: Certs, *, require_encryption: bool = True,
                 cert: str = "good", c2s_port: int | None = None, s2s_port: int | None = None,
                 c2s_tls_port: int | None = None, s2s_tls_port: int | None = None,
                 plain_before_tls: bool = False, s2s_require_encryption: bool | None = None) -> None:
        super().__init__(run_dir)
        self.certs, self.cert = certs, cert
        self.domain = certs.domain
        self.require_encryption = require_encryption
        # None: as c2s; False with require_encryption=True: STARTTLS optional on c2s only
        self.s2s_require_encryption = require_encryption if s2s_require_encryption is None \
            else s2s_require_encryption
        self.plain_before_tls = plain_before_tls
        self.c2s_port = c2s_port if c2s_port is not None else pick_port()
        self.s2s_port = s2s_port if s2s_port is not None else pick_port()
        self.c2s_tls_port = c2s_tls_port if c2s_tls_port is not None else pick_port()
        self.s2s_tls_port = s2s_tls_port if s2s_tls_port is not None else pick_port()
        self.username = USERNAME
        self.password = PASSWORD
        self.jid = f"{USERNAME}@{self.domain}"

    def ports(self) -> list[int]:
        return [self.c2s_port, self.s2s_port, self.c2s_tls_port, self.s2s_tls_port]

    @property
    def config_path(self) -> Path:
        return self.run_dir / "prosody.cfg.lua"

    def write_config(self) -> None:
        (self.run_dir / "data").mkdir(exist_ok=True)
        (self.run_dir / "certs").mkdir(exist_ok=True)  # empty: avoids an indexing error
        self.config_path.write_text(_CONFIG.format(
            run=self.run_dir, c2s=self.c2s_port, s2s=self.s2s_port, c2s_tls=self.c2s_tls_port,
            s2s_tls=self.s2s_tls_port, require=_lua(self.require_encryption),
            s2s_require=_lua(self.s2s_require_encryption), plain=_lua(self.plain_before_tls),
            cert=self.certs.fullchain(self.cert), key=self.certs.key(self.cert),
            domain=self.domain))
        self._register()

    def _register(self) -> None:
        # Works while the server is stopped; prosodyctl prints a lua-unbound
        # banner on stdout, so its output goes to the log, never to ours.
        with open(self.log_path, "ab") as log:
            rc = subprocess.run(
                ["prosodyctl", "--config", str(self.config_path), "register",
                 self.username, self.domain, self.password],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.run_dir, timeout=30).returncode
        if rc != 0:
            raise LabError(f"prosodyctl register failed ({rc}); log tail:\n{self.log_tail()}")

    def command(self) -> list[str]:
        return ["prosody", "--config", str(self.config_path), "-F"]


def _lua(flag: bool) -> str:
    return "true" if flag else "false"
