# SPDX-License-Identifier: GPL-3.0-or-later
"""A lab of real RTC servers on loopback, for the test suite and the README demo.

    from check_rtc.lab import Lab
    with Lab(domain="example.test") as lab:        # temp run dir, CA + certificates
        turn = lab.coturn(mode="ltc")               # started and ready
        sip = lab.kamailio(options_code=200)
        xmpp = lab.prosody(require_encryption=True)
        dns = lab.bind()                            # zone built from the servers above
        lab.certs.ca_cert

Servers (each start()ed by the Lab method, stop()ped by the Lab at exit):
  Coturn    mode "ltc"|"rest"|"noauth"; port (UDP+TCP), tls_port, alt_port,
            alt_tls_port (RFC 5780, None with rfc5780=False), realm, username,
            password (ltc), secret (rest), rest_credentials(); allow_loopback_peers
  Kamailio  port (UDP+TCP), tls_ports (2), ws_port, wss_port; options_code
  Prosody   c2s_port, s2s_port, c2s_tls_port, s2s_tls_port, jid, username,
            password; require_encryption, plain_before_tls
  Bind      port; zones (origin -> text); from lab.bind(extra_lines=..., zones=...)
  SslServer openssl s_server on 127.0.0.1: port; from lab.ssl_server(cert, key, chain)
  OcspResponder  openssl ocsp for a Certs: port, url; from lab.ocsp(certs, port, good, revoked)
Every server takes cert="good" (a Certs variant: good, server_only, wildcard,
expiring, expired, wrong_name, self_signed, intermediate, host_only), and has pid,
running, log_path, log_tail(), stop(). Several instances of one server run
side by side, each in RUN_DIR/KIND-N with its own ports. All listen on
127.0.0.1 and ::1 only, on ports picked per run and pre-checked: a busy port
raises PortBusyError; a server that does not come up raises StartError with
its log tail. Everything is stopped on Lab exit, at interpreter exit
(atexit), and by the kernel if this process is killed (PR_SET_PDEATHSIG).

Lab(run_dir=...) uses (and keeps) the given directory; otherwise a temp dir
is removed at stop unless keep=True or CHECK_RTC_LAB_KEEP=1.

Command line: python -m check_rtc.lab start|demo  (see __main__.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, TypeVar

from .bind import Bind
from .certs import VARIANTS, Certs
from .coturn import PRIVATE_PEER_RANGES, Coturn
from .daemon import Daemon, LabError, StartError
from .kamailio import Kamailio
from .openssl import OcspResponder, SslServer
from .ports import PortBusyError
from .prosody import Prosody
from .zones import ServicePorts, lab_zones

__all__ = ["Lab", "Certs", "Coturn", "PRIVATE_PEER_RANGES", "Kamailio", "Prosody", "Bind", "SslServer", "OcspResponder",
           "Daemon",
           "LabError", "StartError", "PortBusyError", "ServicePorts"]

D = TypeVar("D", bound=Daemon)


class Lab:
    """A run directory, a PKI, and the servers started in it."""

    def __init__(self, domain: str = "example.test", run_dir: str | Path | None = None,
                 keep: bool = False, variants: tuple[str, ...] = VARIANTS) -> None:
        self.domain = domain
        self._own_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="check-rtc-lab-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # keep the run dir (configs, logs) after stop; CHECK_RTC_LAB_KEEP=1 for a failing CI run
        self.keep = keep or os.environ.get("CHECK_RTC_LAB_KEEP", "") not in ("", "0")
        self.servers: list[Daemon] = []
        # fewer variants (e.g. ("good",)) make a throwaway Lab start faster
        self.certs = Certs.generate(self.run_dir / "certs", domain, variants)

    # -- servers -----------------------------------------------------------
    def _subdir(self, kind: str) -> Path:
        count = sum(1 for s in self.servers if s.kind == kind) + 1
        return self.run_dir / f"{kind}-{count}"

    def _start(self, server: D) -> D:
        self.servers.append(server)  # before start: stop() must reach a half-started one
        server.start()
        return server

    def coturn(self, mode: str = "ltc", **options: object) -> Coturn:
        """Start a coturn; options as Coturn (cert, port, tls_port, rfc5780, allow_loopback_peers)."""
        return self._start(Coturn(self._subdir("coturn"), self.certs, mode=mode, **options))  # type: ignore[arg-type]

    def kamailio(self, options_code: int = 200, **options: object) -> Kamailio:
        """Start a kamailio; options as Kamailio (cert, port, tls_ports, ws_port, wss_port)."""
        return self._start(Kamailio(self._subdir("kamailio"), self.certs,
                                    options_code=options_code, **options))  # type: ignore[arg-type]

    def prosody(self, require_encryption: bool = True, **options: object) -> Prosody:
        """Start a prosody; options as Prosody (cert, c2s_port, s2s_port, ...)."""
        return self._start(Prosody(self._subdir("prosody"), self.certs,
                                   require_encryption=require_encryption, **options))  # type: ignore[arg-type]

    def ssl_server(self, cert: Path, key: Path, chain: Path | None = None,
                   status_file: Path | None = None) -> SslServer:
        """Start an openssl s_server sending `cert` and the `chain` file as they are (and `status_file` stapled)."""
        return self._start(SslServer(self._subdir("s_server"), cert, key, chain, status_file=status_file))

    def ocsp(self, certs: Certs, port: int, good: tuple[str, ...] = (),
             revoked: tuple[str, ...] = ()) -> OcspResponder:
        """Start an openssl ocsp responder for `certs`' CA on `port` (the port its ocsp_url names)."""
        return self._start(OcspResponder(self._subdir("ocsp"), certs, port, good, revoked))

    def bind(self, extra_lines: Iterable[str] = (), zones: dict[str, str] | None = None,
             sip: Kamailio | None = None, xmpp: Prosody | None = None, turn: Coturn | None = None,
             port: int | None = None, strict: bool = True) -> Bind:
        """Start a BIND serving the lab zones.

        By default the zone publishes the ports of the first running kamailio,
        prosody and coturn (standard ports for a server not started); pass
        sip/xmpp/turn to choose, extra_lines to append to the service zone, or
        zones={origin: text} to serve exactly those zones (strict=False lets a
        zone that fails to load through).
        """
        if zones is None:
            ports = ServicePorts.from_servers(
                sip=sip or self._first(Kamailio), xmpp=xmpp or self._first(Prosody),
                turn=turn or self._first(Coturn))
            zones = lab_zones(self.domain, ports, extra_lines)
        return self._start(Bind(self._subdir("bind"), zones, port=port, strict=strict))

    def _first(self, kind: type[D]) -> D | None:
        return next((s for s in self.servers if isinstance(s, kind) and s.running), None)

    def start_all(self) -> dict[str, Daemon]:
        """The standard lab: coturn (ltc and rest), kamailio, prosody, then BIND."""
        started: dict[str, Daemon] = {}
        # Relayed addresses are loopback here, so relaying between them needs
        # loopback peers; private ranges are denied, as the guide recommends.
        started["turn"] = self.coturn(mode="ltc", allow_loopback_peers=True, denied_peer_ips=PRIVATE_PEER_RANGES)
        started["turn_rest"] = self.coturn(mode="rest", allow_loopback_peers=True,
                                           denied_peer_ips=PRIVATE_PEER_RANGES)
        started["sip"] = self.kamailio()
        started["xmpp"] = self.prosody()
        started["dns"] = self.bind(turn=started["turn"])  # type: ignore[arg-type]
        return started

    # -- lifecycle ---------------------------------------------------------
    def stop(self) -> None:
        """Stop every server (newest first) and remove the run dir unless kept."""
        for server in reversed(self.servers):
            server.stop()
        if self._own_dir and not self.keep:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
