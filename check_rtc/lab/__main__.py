# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line of the lab: `python3 -m check_rtc.lab start|demo`.

start  start every lab server, print where each listens, the CA path and
       env-style lines, then wait for Ctrl-C / SIGTERM and stop everything.
demo   start every lab server, run each check in DEMO_COMMANDS against it and
       print the command line, its real output and its exit code.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Iterator, NamedTuple

from . import Lab
from .daemon import Daemon
from .ports import pick_port

DEMO_TIMEOUT_SECONDS = 30


class DemoCommand(NamedTuple):
    """One demo entry: the name users type, the module that implements it, and
    its arguments as a str.format template over the lab's servers (turn,
    turn_rest, sip, xmpp, dns), ca, domain and the secret files (turn_password_file,
    xmpp_password_file)."""

    name: str
    module: str
    args: str


# The one list of demo commands; add a check here when it exists.
DEMO_COMMANDS: tuple[DemoCommand, ...] = (
    DemoCommand("check_stun", "check_rtc.checks.stun", "-H 127.0.0.1 -p {turn.port} -T udp,tcp"),
    DemoCommand("check_stun", "check_rtc.checks.stun", "-H ::1 -p {turn.tls_port} -T tls --ca-file {ca}"),
    DemoCommand("check_stun", "check_rtc.checks.stun",
                "-d {domain} --dns-server 127.0.0.1:{dns.port} -T udp,tcp,tls --ca-file {ca} -w 0.5 -c 1"),
    # What failures look like: a certificate the system store does not trust,
    # and one port of two where nothing answers (redundancy lost).
    DemoCommand("check_stun", "check_rtc.checks.stun", "-H 127.0.0.1 -p {turn.tls_port} -T tls"),
    DemoCommand("check_stun", "check_rtc.checks.stun", "-H 127.0.0.1 -p {turn.port},{unused_port} -t 3"),
    DemoCommand("check_stun", "check_rtc.checks.stun", "-H 127.0.0.1 -p {turn.port} --alternate"),
    DemoCommand("check_turn", "check_rtc.checks.turn",
                "-H 127.0.0.1 -p {turn.port} -u {turn.username} --password-file {turn_password_file}"),
    DemoCommand("check_turn", "check_rtc.checks.turn",
                "-d {domain} --dns-server [::1]:{dns.port} -T udp,tcp,tls -u {turn.username}"
                " --password-file {turn_password_file} --ca-file {ca} -c 1"),
    DemoCommand("check_turn", "check_rtc.checks.turn", "-H ::1 -p {turn_rest.port} --secret-file {turn_secret_file}"),
    DemoCommand("check_turn", "check_rtc.checks.turn",
                "-H 127.0.0.1 -p {turn.port} --ice -u {turn.username} --password-file {turn_password_file}"),
    # Without credentials only the refusal of strangers is checked.
    DemoCommand("check_turn", "check_rtc.checks.turn", "-H 127.0.0.1 -p {turn.port}"),
    DemoCommand("check_sip", "check_rtc.checks.sip", "-H 127.0.0.1 -p {sip.port} -T udp,tcp"),
    DemoCommand("check_sip", "check_rtc.checks.sip",
                "-H ::1 -d {domain} -p {sip.tls_ports[0]},{sip.tls_ports[1]} -T tls --ca-file {ca} --warning-days 30"),
    DemoCommand("check_sip", "check_rtc.checks.sip",
                "-H 127.0.0.1 -d {domain} -p {sip.wss_port} -T wss --ws-path /sip --ca-file {ca}"),
    DemoCommand("check_sip", "check_rtc.checks.sip",
                "-d {domain} --dns-server 127.0.0.1:{dns.port} --ca-file {ca} -w 0.5 -c 1"),
    # A failure: a SIP domain the certificate does not name.
    DemoCommand("check_sip", "check_rtc.checks.sip",
                "-H 127.0.0.1 -d other.example -p {sip.tls_ports[0]} -T tls --ca-file {ca}"),
    DemoCommand("check_xmpp", "check_rtc.checks.xmpp", "-H 127.0.0.1 -d {domain} -p {xmpp.c2s_port} --ca-file {ca}"),
    DemoCommand("check_xmpp", "check_rtc.checks.xmpp",
                "-H ::1 -d {domain} -m s2s -p {xmpp.s2s_tls_port} -T tls --ca-file {ca} --require-dialback"),
    DemoCommand("check_xmpp", "check_rtc.checks.xmpp",
                "-d {domain} --dns-server 127.0.0.1:{dns.port} -T starttls,tls --ca-file {ca}"
                " -u {xmpp.jid} --password-file {xmpp_password_file} --cert-warning 30"),
    # A failure: a SASL mechanism the policy forbids is offered.
    DemoCommand("check_xmpp", "check_rtc.checks.xmpp",
                "-H 127.0.0.1 -d {domain} -p {xmpp.c2s_port} --ca-file {ca} --forbid-mech PLAIN"),
    DemoCommand("check_rtcp", "check_rtc.checks.rtcp",
                "--turn -H 127.0.0.1 -p {turn.port} -u {turn.username} --password-file {turn_password_file}"
                " --duration 2 --warning-mos 4 --critical-mos 3.6"),
    DemoCommand("check_rtcp", "check_rtc.checks.rtcp",
                "--turn -H ::1 -p {turn.tls_port} -T tls --ca-file {ca} -u {turn.username}"
                " --password-file {turn_password_file} --duration 2 --codec g729a"),
    # A threshold crossed: no relay answers in under 0.01 ms.
    DemoCommand("check_rtcp", "check_rtc.checks.rtcp",
                "--turn -H 127.0.0.1 -p {turn.port} -u {turn.username} --password-file {turn_password_file}"
                " --duration 1 --warning-rtt 0.01"),
    DemoCommand("check_rtc_cert", "check_rtc.checks.cert",
                "-P sip -H 127.0.0.1 -d {domain} -p {sip.tls_ports[0]} --ca-file {ca}"),
    DemoCommand("check_rtc_cert", "check_rtc.checks.cert",
                "-P xmpp-server -d {domain} --dns-server 127.0.0.1:{dns.port} --ca-file {ca}"),
    DemoCommand("check_rtc_cert", "check_rtc.checks.cert",
                "-P turn -H ::1 -d {domain} -p {turn.tls_port} --ca-file {ca} --require-eku serverAuth"),
    DemoCommand("check_rtc_cert", "check_rtc.checks.cert", "--file {ca} --require-eku none --ca-file {ca}"),
    # A failure: a SIP domain the certificate does not name.
    DemoCommand("check_rtc_cert", "check_rtc.checks.cert",
                "-P sip -H 127.0.0.1 -d other.example -p {sip.tls_ports[0]} --ca-file {ca}"),
    DemoCommand("check_rtc_dns", "check_rtc.checks.dns",
                "-d {domain} --dns-server 127.0.0.1:{dns.port} --ns-port {dns.port} -w 0.5 -c 1"),
    # Failures: an SRV target without an address, and --dnssec where nothing is signed.
    DemoCommand("check_rtc_dns", "check_rtc.checks.dns",
                "-d broken.{domain} --dns-server [::1]:{dns.port} --ns-port {dns.port} --services sip"),
    DemoCommand("check_rtc_dns", "check_rtc.checks.dns",
                "-d {domain} --dns-server 127.0.0.1:{dns.port} --ns-port {dns.port} --services stun --dnssec"),
    DemoCommand("check_enum", "check_rtc.checks.enum",
                "-n +442079460001 --dns-server 127.0.0.1:{dns.port} --suffix e164.arpa --suffix e164.{domain}"
                " --expect sip:02079460001@{domain}"),
    DemoCommand("check_enum", "check_rtc.checks.enum", "-n +442079460002 --dns-server 127.0.0.1:{dns.port} -v"),
    # Failures: a catastrophic-backtracking regexp from the zone, and suffixes that disagree.
    DemoCommand("check_enum", "check_rtc.checks.enum", "-n +442079460003 --dns-server 127.0.0.1:{dns.port}"),
    DemoCommand("check_enum", "check_rtc.checks.enum",
                "-n +442079460000 --dns-server 127.0.0.1:{dns.port} --suffix e164.arpa --suffix e164.{domain}"),
    # Everything at once: the lab's domain found in its DNS, every area, a report with remedies.
    DemoCommand("check_rtc", "check_rtc.checks.rtc",
                "audit {domain} --dns-server 127.0.0.1:{dns.port} --ns-port {dns.port} --ca-file {ca}"
                " --turn-user {turn.username} --turn-password-file {turn_password_file} -n +442079460000"),
    # The synthetic test call: through a registrar/proxy kamailio to a baresip
    # that answers with a tone, and to one that never answers.
    DemoCommand("check_rtc_call", "check_rtc.checks.call",
                "--uri sip:callee@{domain} -H 127.0.0.1 -p {proxy.port} -T udp --duration 3 -t 10"),
    DemoCommand("check_rtc_call", "check_rtc.checks.call",
                "--uri sip:ringer@{domain} -H 127.0.0.1 -p {proxy.port} -T udp --duration 1 -t 4"),
)


def _write_secret(path: Path, secret: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    return path


def _context(lab: Lab, servers: dict[str, Daemon]) -> dict[str, object]:
    turn, xmpp = servers["turn"], servers["xmpp"]
    return {
        **servers,
        "ca": lab.certs.ca_cert,
        "domain": lab.domain,
        "turn_password_file": _write_secret(lab.run_dir / "turn.password", getattr(turn, "password")),
        "turn_secret_file": _write_secret(lab.run_dir / "turn.secret", getattr(servers["turn_rest"], "secret")),
        "xmpp_password_file": _write_secret(lab.run_dir / "xmpp.password", getattr(xmpp, "password")),
        "unused_port": pick_port(),  # nothing listens there: what a dead service looks like
    }


def _table(lab: Lab, servers: dict[str, Daemon], ctx: dict[str, object]) -> str:
    t, r, s, x, d = (servers[k] for k in ("turn", "turn_rest", "sip", "xmpp", "dns"))
    g = getattr
    rows = [
        ("coturn (ltc)", f"udp+tcp {g(t, 'port')}, tls {g(t, 'tls_port')}, rfc5780 alt {g(t, 'alt_port')}",
         f"user {g(t, 'username')}, password in {ctx['turn_password_file']}"),
        ("coturn (rest)", f"udp+tcp {g(r, 'port')}, tls {g(r, 'tls_port')}, rfc5780 alt {g(r, 'alt_port')}",
         "static-auth-secret (LAB_TURN_REST_SECRET)"),
        ("kamailio", f"udp+tcp {g(s, 'port')}, tls {g(s, 'tls_ports')[0]} {g(s, 'tls_ports')[1]},"
         f" ws {g(s, 'ws_port')}, wss {g(s, 'wss_port')}", f"OPTIONS -> {g(s, 'options_code')}"),
        ("prosody", f"c2s {g(x, 'c2s_port')}, s2s {g(x, 's2s_port')}, c2s-tls {g(x, 'c2s_tls_port')},"
         f" s2s-tls {g(x, 's2s_tls_port')}", f"{g(x, 'jid')}, password in {ctx['xmpp_password_file']}"),
        ("bind", f"udp+tcp {g(d, 'port')}", f"zones {', '.join(g(d, 'zones'))}"),
    ]
    lines = [f"{'server':14} {'ports (127.0.0.1 and ::1)':58} notes"]
    lines += [f"{a:14} {b:58} {c}" for a, b, c in rows]
    lines += ["", f"CA certificate: {lab.certs.ca_cert}", f"run dir: {lab.run_dir}", ""]
    env = {
        "LAB_DOMAIN": lab.domain, "LAB_CA": lab.certs.ca_cert, "LAB_DNS": f"127.0.0.1:{g(d, 'port')}",
        "LAB_TURN_PORT": g(t, "port"), "LAB_TURN_TLS_PORT": g(t, "tls_port"),
        "LAB_TURN_USER": g(t, "username"), "LAB_TURN_PASSWORD_FILE": ctx["turn_password_file"],
        "LAB_TURN_REST_PORT": g(r, "port"), "LAB_TURN_REST_SECRET": g(r, "secret"),
        "LAB_SIP_PORT": g(s, "port"), "LAB_SIP_TLS_PORTS": ",".join(map(str, g(s, "tls_ports"))),
        "LAB_SIP_WS_PORT": g(s, "ws_port"), "LAB_SIP_WSS_PORT": g(s, "wss_port"),
        "LAB_XMPP_C2S_PORT": g(x, "c2s_port"), "LAB_XMPP_S2S_PORT": g(x, "s2s_port"),
        "LAB_XMPP_C2S_TLS_PORT": g(x, "c2s_tls_port"), "LAB_XMPP_S2S_TLS_PORT": g(x, "s2s_tls_port"),
        "LAB_XMPP_JID": g(x, "jid"), "LAB_XMPP_PASSWORD_FILE": ctx["xmpp_password_file"],
    }
    lines += [f"{k}={shlex.quote(str(v))}" for k, v in env.items()]
    return "\n".join(lines)


def _run_demo(ctx: dict[str, object]) -> None:
    # The children import check_rtc from the same tree as this lab.
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    for entry in DEMO_COMMANDS:
        args = shlex.split(entry.args.format(**ctx))
        print(f"$ {entry.name} {shlex.join(args)}")
        try:
            done = subprocess.run([sys.executable, "-m", entry.module, *args], env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=DEMO_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"(no result after {DEMO_TIMEOUT_SECONDS} s)\n")
            continue
        sys.stdout.write(done.stdout + done.stderr)
        print(f"[exit code {done.returncode}]\n")


def _wait_for_signal() -> None:
    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m check_rtc.lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("start", "demo"))
    parser.add_argument("--domain", default="example.test")
    parser.add_argument("--run-dir", help="keep configs and logs here (default: a temp dir, removed)")
    opts = parser.parse_args(argv)
    began = time.monotonic()
    with Lab(domain=opts.domain, run_dir=opts.run_dir) as lab:
        servers = lab.start_all()
        ctx = _context(lab, servers)
        print(_table(lab, servers, ctx))
        print(f"\n# lab up in {time.monotonic() - began:.2f} s", flush=True)
        if opts.command == "start":
            print("# Ctrl-C or SIGTERM stops it", flush=True)
            _wait_for_signal()
        else:
            print()
            with _phone(lab) as proxy:
                _run_demo({**ctx, "proxy": proxy})
    return 0


@contextmanager
def _phone(lab: Lab) -> Iterator[Daemon]:
    """For the call demo: a registrar/proxy kamailio and a baresip registered as
    'callee' (answers with a tone) and 'ringer' (never answers)."""
    from .baresip import Baresip

    proxy = lab.kamailio(proxy=True)
    with Baresip(lab.run_dir / "baresip", registrar=f"127.0.0.1:{proxy.port}", domain=lab.domain,
                 users=("callee", "ringer:manual")) as phone:
        phone.wait_registered()
        yield proxy


if __name__ == "__main__":
    sys.exit(main())
