# SPDX-License-Identifier: GPL-3.0-or-later
"""coturn (STUN/TURN server, RFC 8489/8656) on loopback for the lab.

Modes: "ltc" long-term credentials (username/password), "rest" TURN REST API
shared secret (use-auth-secret), "noauth" an open relay for negative tests.
Listens on UDP+TCP `port`, TLS(+DTLS) `tls_port`, and with RFC 5780 on
`alt_port` = port+1 and `alt_tls_port` = tls_port+1 as well.
Loopback peers are refused unless allow_loopback_peers=True; denied_peer_ips
adds coturn denied-peer-ip ranges (PRIVATE_PEER_RANGES: what the guide says a
relay must not reach); alt_ip (e.g. 127.0.0.2) adds the second listening
address RFC 5780's "change IP" needs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import os
import time
from pathlib import Path

from .certs import Certs
from .daemon import Daemon, LabError
from .ports import pick_port, reserve

MODES = ("ltc", "rest", "noauth")
LTC_USERNAME = "user"
LTC_PASSWORD = "lab-turn-password"
REST_SECRET = "lab-turn-shared-secret"
RELAY_BLOCK = 40  # relay ports per instance, enough for a test's allocations
# Relay ports come from above the kernel's ephemeral range (32768-60999 by default)
# so they never clash with the ports pick_port() hands out (below that range).
RELAY_FIRST, RELAY_LAST = 61000, 65500
_relay_blocks = itertools.count()

# coturn's denied-peer-ip ranges for what the guide says a relay must not
# reach (RFC 1918, link-local with cloud metadata, IPv6 ULA and link-local).
PRIVATE_PEER_RANGES = (
    "10.0.0.0-10.255.255.255", "172.16.0.0-172.31.255.255", "192.168.0.0-192.168.255.255",
    "169.254.0.0-169.254.255.255", "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
)

_CONFIG = """\
listening-ip=127.0.0.1
listening-ip=::1
{alt_ip}
relay-ip=127.0.0.1
relay-ip=::1
listening-port={port}
tls-listening-port={tls_port}
min-port={min_port}
max-port={max_port}
realm={realm}
server-name={realm}
fingerprint
{auth}
cert={cert}
pkey={key}
no-cli
no-multicast-peers
{loopback}
{denied}
{rfc5780}
pidfile={run}/turnserver.pid
userdb={run}/turndb
log-file=stdout
simple-log
"""


def _relay_range() -> tuple[int, int]:
    """A block of relay ports for this instance; the pid offset keeps parallel test
    processes apart."""
    blocks = (RELAY_LAST - RELAY_FIRST) // RELAY_BLOCK
    index = (next(_relay_blocks) + os.getpid()) % blocks
    first = RELAY_FIRST + index * RELAY_BLOCK
    return first, first + RELAY_BLOCK - 1


class Coturn(Daemon):
    """A coturn instance. Attributes: port, tls_port, alt_port, alt_tls_port,
    mode, realm, username, password (ltc), secret (rest), relay_ports."""

    kind = "coturn"

    def __init__(self, run_dir: Path, certs: Certs, *, mode: str = "ltc", cert: str = "good",
                 port: int | None = None, tls_port: int | None = None, rfc5780: bool = True,
                 allow_loopback_peers: bool = False, realm: str | None = None,
                 denied_peer_ips: tuple[str, ...] = (), alt_ip: str | None = None) -> None:
        super().__init__(run_dir)
        if mode not in MODES:
            raise LabError(f"coturn mode must be one of {MODES}, not {mode!r}")
        self.certs, self.mode, self.cert = certs, mode, cert
        self.rfc5780 = rfc5780
        self.allow_loopback_peers = allow_loopback_peers
        self.denied_peer_ips = denied_peer_ips
        # RFC 5780 needs a second address of the same family for "change IP";
        # any 127.0.0.0/8 address is local on Linux.
        self.alt_ip = alt_ip
        self.realm = realm or certs.domain
        span = 2 if rfc5780 else 1  # RFC 5780 also binds port+1
        self.port = port if port is not None else pick_port(span)
        self.tls_port = tls_port if tls_port is not None else pick_port(span)
        reserve(self.port, self.tls_port)
        self.alt_port = self.port + 1 if rfc5780 else None
        self.alt_tls_port = self.tls_port + 1 if rfc5780 else None
        self.relay_ports = _relay_range()
        self.username = LTC_USERNAME if mode == "ltc" else None
        self.password = LTC_PASSWORD if mode == "ltc" else None
        self.secret = REST_SECRET if mode == "rest" else None

    def ports(self) -> list[int]:
        extra = [self.alt_port, self.alt_tls_port] if self.rfc5780 else []
        return [self.port, self.tls_port] + [p for p in extra if p is not None]

    def tcp_ports(self) -> list[int]:
        return [self.port, self.tls_port]

    def _auth_lines(self) -> str:
        if self.mode == "ltc":
            return f"lt-cred-mech\nuser={self.username}:{self.password}"
        if self.mode == "rest":
            return f"use-auth-secret\nstatic-auth-secret={self.secret}"
        return "no-auth"

    def write_config(self) -> None:
        text = _CONFIG.format(
            port=self.port, tls_port=self.tls_port, min_port=self.relay_ports[0],
            max_port=self.relay_ports[1], realm=self.realm, auth=self._auth_lines(),
            cert=self.certs.fullchain(self.cert), key=self.certs.key(self.cert),
            loopback="allow-loopback-peers" if self.allow_loopback_peers else "",
            denied="\n".join(f"denied-peer-ip={r}" for r in self.denied_peer_ips),
            alt_ip=f"listening-ip={self.alt_ip}" if self.alt_ip else "",
            rfc5780="" if self.rfc5780 else "no-rfc5780", run=self.run_dir)
        self.config_path.write_text(text)

    @property
    def config_path(self) -> Path:
        return self.run_dir / "turnserver.conf"

    def command(self) -> list[str]:
        return ["turnserver", "-c", str(self.config_path)]

    def rest_credentials(self, user: str = "monitor", ttl_seconds: int = 600) -> tuple[str, str]:
        """(username, password) for the TURN REST API (draft-uberti-behave-turn-rest):
        username "EXPIRY:user", password base64(HMAC-SHA1(secret, username))."""
        if self.secret is None:
            raise LabError("rest_credentials() needs a coturn in mode 'rest'")
        username = f"{int(time.time()) + ttl_seconds}:{user}"
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return username, base64.b64encode(digest).decode()
