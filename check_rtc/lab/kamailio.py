# SPDX-License-Identifier: GPL-3.0-or-later
"""kamailio (SIP proxy, RFC 3261) with TLS and WebSocket (RFC 7118) on loopback for the lab.

Listens on UDP+TCP `port`, TLS on `tls_ports` (two: stand-ins for 5061 and 443),
WS on `ws_port`, WSS on `wss_port`, each on 127.0.0.1 and ::1. Answers OPTIONS
with `options_code` (default 200) and everything else with 404, statelessly.
With `auth_user`/`auth_password` it first challenges OPTIONS with a 401 digest
challenge (auth module, RFC 3261 §22; qop=auth; `auth_algorithm` MD5 or
SHA-256, RFC 8760). `chain=False` serves the leaf without its intermediates.
`proxy=True` makes it a registrar and proxy for test calls instead (tm, rr,
usrloc, registrar; see _PROXY_ROUTE), challenging INVITEs with 407 when
`auth_user` is set.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from .certs import Certs
from .daemon import LOOPBACKS, Daemon
from .ports import pick_port

REASONS: dict[int, str] = {
    200: "OK", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
    480: "Temporarily Unavailable", 486: "Busy Here", 500: "Server Internal Error",
    503: "Service Unavailable", 603: "Decline",
}

_CONFIG = """\
#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
alias="{domain}"
dns=no
rev_dns=no
enable_tls=yes
tcp_accept_no_cl=yes
{listens}
loadmodule "tls.so"
loadmodule "sl.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "pv.so"
loadmodule "xhttp.so"
loadmodule "websocket.so"
modparam("tls", "config", "{run}/tls.cfg")
{auth_modules}
{routing}

event_route[xhttp:request] {{
    set_reply_close();
    set_reply_no_connect();
    if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {{
        if (ws_handle_handshake()) {{
            exit;
        }}
    }}
    xhttp_reply("404", "Not Found", "", "");
}}
"""

_TLS_CONFIG = """\
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = {cert}
private_key = {key}
ca_list = {ca}

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""


_OPTIONS_ROUTE = """\
request_route {{
    # answer the source address, as NAT-friendly deployments do (RFC 3581)
    force_rport();
    # core 'method' test: is_method() lives in textops, which is not loaded
    if (method == "OPTIONS") {{
{auth_check}        sl_send_reply("{code}", "{reason}");
        exit;
    }}
    sl_send_reply("404", "Not Found");
    exit;
}}
"""

# A registrar and record-routing proxy (RFC 3261 §10, §16) for calls to registered users, with the
# failures a test call must report: 486 for "busy", 404 for a user not registered, "oneway"
# (the offer's RTP port rewritten to a port nobody reads: the far end's audio never arrives) and
# "moved" (the answer's RTP port rewritten: our audio goes nowhere, the far end's comes from
# another port than its answer says). Both reach the registered "callee".
_PROXY_MODULES = """\
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("usrloc", "db_mode", 0)
"""

_PROXY_ROUTE = """\
request_route {{
    force_rport();
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (method == "OPTIONS" && $rU == $null) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            t_relay();
        }} else if (method == "ACK") {{
            if (t_check_trans()) {{
                t_relay();
            }}
        }} else {{
            sl_send_reply("404", "Not Here");
        }}
        exit;
    }}
    if (method == "CANCEL") {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    t_check_trans();
    if (method == "REGISTER") {{
        save("location");
        exit;
    }}
{auth_check}    if ($rU == "busy") {{
        sl_send_reply("486", "Busy Here");
        exit;
    }}
    if ($rU == "oneway") {{
        subst_body("/m=audio [0-9]+/m=audio {blackhole}/");
        $rU = "callee";
    }}
    if ($rU == "moved") {{
        $rU = "callee";
        t_on_reply("MOVE_ANSWER");
    }}
    record_route();
    if (!lookup("location")) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    t_relay();
}}

onreply_route[MOVE_ANSWER] {{
    subst_body("/m=audio [0-9]+/m=audio {blackhole}/");
}}
"""

# pv_proxy_authenticate checks the digest against a plain-text password; 407 for an INVITE (RFC 3261 §22.3).
_PROXY_AUTH_CHECK = """\
    if (method == "INVITE" && ($au != "{user}" || !pv_proxy_authenticate("{realm}", "{password}", "0"))) {{
        proxy_challenge("{realm}", "1");
        exit;
    }}
"""


def options_request(host: str, local_port: int, call_id: str, transport: str = "UDP") -> bytes:
    """A minimal RFC 3261 OPTIONS to sip.example.test, with rport (RFC 3581)."""
    via_host = f"[{host}]" if ":" in host else host
    branch = f"z9hG4bK-{os.urandom(6).hex()}"
    return (f"OPTIONS sip:{host} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {via_host}:{local_port};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:lab@{via_host}>;tag={branch[-6:]}\r\n"
            f"To: <sip:{via_host}>\r\n"
            f"Call-ID: {call_id}-{branch}\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


_AUTH_MODULES = """\
loadmodule "auth.so"
modparam("auth", "algorithm", "{algorithm}")
"""

# pv_www_authenticate checks the digest against a plain-text password (no
# database); flags 1 of www_challenge: offer qop=auth.
_AUTH_CHECK = """\
        if ($au != "{user}" || !pv_www_authenticate("{realm}", "{password}", "0")) {{
            www_challenge("{realm}", "1");
            exit;
        }}
"""


class Kamailio(Daemon):
    """A kamailio instance. Attributes: port (udp+tcp), tls_ports (2), ws_port,
    wss_port, options_code, options_reason, cert, chain, auth_user, auth_password,
    auth_algorithm."""

    kind = "kamailio"

    def __init__(self, run_dir: Path, certs: Certs, *, options_code: int = 200,
                 options_reason: str | None = None, cert: str = "good",
                 port: int | None = None, tls_ports: tuple[int, int] | None = None,
                 ws_port: int | None = None, wss_port: int | None = None, chain: bool = True,
                 auth_user: str | None = None, auth_password: str | None = None,
                 auth_algorithm: str = "MD5", proxy: bool = False) -> None:
        super().__init__(run_dir)
        # proxy: a registrar and proxy for test calls (_PROXY_ROUTE) instead of the OPTIONS answerer
        self.proxy = proxy
        self.blackhole_port = pick_port()
        self.chain = chain
        self.auth_user, self.auth_password, self.auth_algorithm = auth_user, auth_password, auth_algorithm
        self.certs, self.cert = certs, cert
        self.domain = certs.domain
        self.options_code = options_code
        self.options_reason = options_reason or REASONS.get(options_code, "Lab Reply")
        self.port = port if port is not None else pick_port()
        self.tls_ports = tls_ports if tls_ports is not None else (pick_port(), pick_port())
        self.ws_port = ws_port if ws_port is not None else pick_port()
        self.wss_port = wss_port if wss_port is not None else pick_port()

    def ports(self) -> list[int]:
        return [self.port, *self.tls_ports, self.ws_port, self.wss_port]

    def is_ready(self) -> bool:
        # TCP listeners exist before kamailio forks its workers; only an answered
        # OPTIONS proves a UDP worker runs (and on both families).
        return super().is_ready() and all(self._udp_answers(h) for h in LOOPBACKS)

    def _udp_answers(self, host: str) -> bool:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.1)
            sock.connect((host, self.port))
            sock.send(options_request(host, sock.getsockname()[1], "lab-ready"))
            try:
                return sock.recv(4096).startswith(b"SIP/2.0 ")
            except OSError:
                return False

    def _listens(self) -> str:
        lines = []
        for host in ("127.0.0.1", "[::1]"):
            lines += [f"listen=udp:{host}:{self.port}", f"listen=tcp:{host}:{self.port}"]
            lines += [f"listen=tls:{host}:{p}" for p in self.tls_ports]
            lines += [f"listen=tcp:{host}:{self.ws_port}", f"listen=tls:{host}:{self.wss_port}"]
        return "\n".join(lines)

    def write_config(self) -> None:
        (self.run_dir / "tls.cfg").write_text(_TLS_CONFIG.format(
            cert=self.certs.fullchain(self.cert) if self.chain else self.certs.cert(self.cert),
            key=self.certs.key(self.cert), ca=self.certs.ca_cert))
        auth = self.auth_user is not None
        modules = _AUTH_MODULES.format(algorithm=self.auth_algorithm) if auth else ""
        check = (_PROXY_AUTH_CHECK if self.proxy else _AUTH_CHECK).format(
            user=self.auth_user, realm=self.domain, password=self.auth_password) if auth else ""
        if self.proxy:
            routing = _PROXY_ROUTE.format(auth_check=check, blackhole=self.blackhole_port)
            modules += _PROXY_MODULES
        else:
            routing = _OPTIONS_ROUTE.format(auth_check=check, code=self.options_code, reason=self.options_reason)
        self.config_path.write_text(_CONFIG.format(
            domain=self.domain, listens=self._listens(), run=self.run_dir, auth_modules=modules, routing=routing))

    @property
    def config_path(self) -> Path:
        return self.run_dir / "kamailio.cfg"

    def command(self) -> list[str]:
        # -DD: no daemonizing; -E: log to stderr; -Y: runtime dir (default /run/kamailio)
        return ["kamailio", "-f", str(self.config_path), "-DD", "-E", "-Y", str(self.run_dir),
                "-P", str(self.run_dir / "kamailio.pid"), "-w", str(self.run_dir),
                "-m", "64", "-M", "8"]
