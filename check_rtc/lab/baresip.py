# SPDX-License-Identifier: GPL-3.0-or-later
"""baresip (SIP user agent with RTP/RTCP, RFC 3550) on loopback for the lab: a real media peer.

A callee answers automatically; `call(callee, seconds)` runs a caller that
dials it, streams PCMU (a 440 Hz sine) both ways for `seconds`, sends RTCP
(APP at start, SR+SDES every 5 s, BYE at the end; no rtcp-mux, so RTCP is
on RTP+1) and hangs up. Both use only 127.0.0.1: the config is written
before the first start (without one, baresip writes a default that listens
on 0.0.0.0:5060), `net_interface 127.0.0.1`, and a DNS server that is the
lab's unused port, never the system resolver. RTP sockets bind 0.0.0.0
(baresip 1.0 cannot be told otherwise) but only ever talk to 127.0.0.1.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .daemon import LOOPBACKS, Daemon, StartError, _die_with_parent
from .ports import pick_port

MODULES = ("g711.so", "ausine.so", "aufile.so", "aubridge.so", "rtcpsummary.so", "account.so", "menu.so")
# Wideband codecs a far end may also offer (Debian's baresip-core ships both).
CODEC_MODULES = {"g722": "g722.so", "opus": "opus.so"}
REGISTER_SECONDS = 10.0
CALL_MARGIN_SECONDS = 15

_CONFIG = """\
poll_method epoll
sip_listen 127.0.0.1:{sip_port}
call_local_timeout 20
audio_player aubridge,nil
audio_source ausine,440
audio_alert aufile,/dev/null
ausrc_srate 48000
ausrc_channels 2
rtp_ports {rtp_first}-{rtp_last}
rtcp_mux no
jitter_buffer_delay 5-10
net_interface 127.0.0.1
dns_server 127.0.0.1:{dns_port}
module_path /usr/lib/baresip/modules
{modules}
"""


def _write_config(directory: Path, sip_port: int, rtp_first: int, account: str,
                  codecs: tuple[str, ...] = ()) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    modules = "\n".join(f"module {name}" for name in MODULES + tuple(CODEC_MODULES[c] for c in codecs))
    (directory / "config").write_text(_CONFIG.format(sip_port=sip_port, rtp_first=rtp_first,
                                                     rtp_last=rtp_first + 9, dns_port=pick_port(),
                                                     modules=modules))
    (directory / "accounts").write_text(account + "\n")
    (directory / "contacts").write_text("")


class Baresip(Daemon):
    """The auto-answering callee; attributes sip_port, rtp_ports (first, last).

    `registrar` ("host:port" of a kamailio over UDP) makes it register its
    `users` there as USER@`domain` instead of taking calls only directly; each
    user is "NAME" (answers at once) or "NAME:manual" (rings and never
    answers). `codecs` adds "g722" and "opus" to G.711.
    """

    kind = "baresip"

    def __init__(self, run_dir: Path, *, registrar: str | None = None, domain: str = "example.test",
                 users: tuple[str, ...] = ("callee",), codecs: tuple[str, ...] = ()) -> None:
        super().__init__(run_dir)
        self.sip_port = pick_port(span=2)  # SIP/TLS listens on sip_port + 1
        self.rtp_first = pick_port(span=10)
        self.registrar, self.domain, self.users, self.codecs = registrar, domain, users, codecs

    @property
    def rtp_ports(self) -> tuple[int, int]:
        return self.rtp_first, self.rtp_first + 9

    def ports(self) -> list[int]:
        return [self.sip_port, self.sip_port + 1, *range(self.rtp_first, self.rtp_first + 10)]

    def tcp_ports(self) -> list[int]:
        return [self.sip_port]

    def is_ready(self) -> bool:
        from .daemon import tcp_accepts

        return tcp_accepts(LOOPBACKS[0], self.sip_port)

    def write_config(self) -> None:
        _write_config(self.run_dir / "home", self.sip_port, self.rtp_first,
                      "\n".join(self._account(user) for user in self.users), self.codecs)

    def _account(self, user: str) -> str:
        name, _, mode = user.partition(":")
        if self.registrar is None:
            return f"<sip:{name}@127.0.0.1:{self.sip_port}>;regint=0;answermode={mode or 'auto'}"
        return (f"<sip:{name}@{self.domain}>;outbound=\"sip:{self.registrar};transport=udp\";regint=60;"
                f"answermode={mode or 'auto'}")

    def wait_registered(self) -> None:
        """Until the registrar confirmed every user (baresip logs "[1 binding]" per 200 OK)."""
        import time

        deadline = time.monotonic() + REGISTER_SECONDS
        while self.log_path.read_text(errors="replace").count("binding]") < len(self.users):
            if time.monotonic() > deadline:
                raise StartError(f"baresip did not register {self.users}: {self.log_tail()}")
            time.sleep(0.05)

    def command(self) -> list[str]:
        return ["baresip", "-f", str(self.run_dir / "home")]

    def call(self, seconds: int) -> subprocess.CompletedProcess[bytes]:
        """A caller that dials this callee, talks for `seconds`, hangs up and exits."""
        caller = self.run_dir / "caller"
        sip_port, rtp_first = pick_port(span=2), pick_port(span=10)
        _write_config(caller, sip_port, rtp_first, f"<sip:caller@127.0.0.1:{sip_port}>;regint=0")
        command = ["baresip", "-f", str(caller), "-e", f"/dial sip:callee@127.0.0.1:{self.sip_port}",
                   "-t", str(seconds)]
        with open(self.run_dir / "caller.log", "ab") as log:
            return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  preexec_fn=_die_with_parent, timeout=seconds + CALL_MARGIN_SECONDS, check=False)
