# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: CPU and wall time per invocation of each check against the lab.

Starts the lab, then runs every case as a fresh process with a clean
environment (env -i, as a monitoring daemon does), interleaved round by
round so that machine noise hits every case alike, and prints the medians
and the ratio of each to the floor (a minimal nagiosplugin check).

    /usr/bin/python3 benchmarks/bench.py [--rounds 30] [--python /usr/bin/python3]

CPU is user+sys of the whole process tree (os.wait4 rusage, which includes
the children it waited for, e.g. check_dig's dig).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PLUGINS = Path("/usr/lib/nagios/plugins")
WRAPPER = "import sys\nfrom check_rtc.checks.{module} import main\nsys.exit(main())\n"


def console_script(python: str, module: str, directory: Path) -> list[str]:
    """What pip and dh_python3 install: a plain import-and-call wrapper."""
    installed = Path(python).parent / f"check_{module}"
    if installed.exists():
        return [python, str(installed)]
    script = directory / f"check_{module}"
    script.write_text(WRAPPER.format(module=module))
    return [python, str(script)]


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, exit code) of one run."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, time.monotonic() - started, process.returncode


def cases(python: str, lab: object, servers: dict[str, object], directory: Path) -> dict[str, list[str]]:
    """Every case, by name: the floor and anchors, then each check's own."""
    dns = servers["dns"]
    found = {
        "floor: minimal nagiosplugin check": [python, str(REPO / "benchmarks" / "floor_check.py")],
        "python3 -c pass": [python, "-c", "pass"],
        "C check_tcp": [str(PLUGINS / "check_tcp"), "-H", "127.0.0.1", "-p", str(servers["sip"].port)],  # type: ignore[attr-defined]
        "C check_dig": [str(PLUGINS / "check_dig"), "-H", "127.0.0.1", "-p", str(dns.port),  # type: ignore[attr-defined]
                        "-l", "_stun._udp.example.test", "-T", "SRV"],
    }
    ca = str(lab.certs.ca_cert)  # type: ignore[attr-defined]
    for check_cases in (stun_cases, turn_cases, sip_cases, xmpp_cases, rtcp_cases, cert_cases, dns_cases,
                        enum_cases, rtc_cases):
        found.update(check_cases(console_script(python, check_cases.__name__[:-6], directory), servers, ca, directory))
    return {name: argv for name, argv in found.items() if Path(argv[0]).exists()}


def stun_cases(stun: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    turn, dns = servers["turn"], servers["dns"]
    return {
        "check_stun --help": stun + ["--help"],
        "check_stun -T udp": stun + ["-H", "127.0.0.1", "-p", str(turn.port)],
        "check_stun -T tcp": stun + ["-H", "127.0.0.1", "-p", str(turn.port), "-T", "tcp"],
        "check_stun -T tls": stun + ["-H", "127.0.0.1", "-p", str(turn.tls_port), "-T", "tls", "--ca-file", ca],
        "check_stun -d (SRV, 2 addresses)": stun + ["-d", "example.test", "--dns-server", f"127.0.0.1:{dns.port}"],
    }


def turn_cases(turn_check: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    turn = servers["turn"]
    password = directory / "turn.password"
    password.write_text(turn.password + "\n")
    credentials = ["-u", turn.username, "--password-file", str(password)]
    return {
        "check_turn --help": turn_check + ["--help"],
        "check_turn -T udp, no credentials": turn_check + ["-H", "127.0.0.1", "-p", str(turn.port)],
        "check_turn -T udp, all steps": turn_check + ["-H", "127.0.0.1", "-p", str(turn.port), *credentials],
        "check_turn -T tls, all steps": turn_check + ["-H", "127.0.0.1", "-p", str(turn.tls_port), "-T", "tls",
                                                      "--ca-file", ca, *credentials],
        "check_turn --ice": turn_check + ["-H", "127.0.0.1", "-p", str(turn.port), "--ice", *credentials],
    }


def sip_cases(sip: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    kamailio = servers["sip"]
    return {
        "check_sip --help": sip + ["--help"],
        "check_sip -T udp": sip + ["-H", "127.0.0.1", "-p", str(kamailio.port), "-T", "udp"],
        "check_sip -T tls": sip + ["-H", "127.0.0.1", "-d", "example.test", "-p", str(kamailio.tls_ports[0]),
                                   "-T", "tls", "--ca-file", ca],
        "check_sip -T wss": sip + ["-H", "127.0.0.1", "-d", "example.test", "-p", str(kamailio.wss_port),
                                   "-T", "wss", "--ca-file", ca],
    }


def xmpp_cases(xmpp: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    prosody = servers["xmpp"]
    common = ["-H", "127.0.0.1", "-d", "example.test", "--ca-file", ca]
    return {
        "check_xmpp --help": xmpp + ["--help"],
        "check_xmpp c2s STARTTLS": xmpp + common + ["-p", str(prosody.c2s_port)],
        "check_xmpp c2s direct TLS": xmpp + common + ["-p", str(prosody.c2s_tls_port), "-T", "tls"],
    }


def cert_cases(cert: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    """check_rtc_cert and check_ssl_cert on the same kamailio TLS port (the issue's 8x target)."""
    tls_port = str(servers["sip"].tls_ports[0])
    prosody = servers["xmpp"]
    return {
        "check_rtc_cert --help": cert + ["--help"],
        "check_rtc_cert -P sip": cert + ["-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p", tls_port,
                                         "--ca-file", ca],
        "check_rtc_cert -P sip --ocsp": cert + ["-P", "sip", "-H", "127.0.0.1", "-d", "example.test", "-p",
                                                tls_port, "--ca-file", ca, "--ocsp"],
        "check_rtc_cert -P xmpp-client": cert + ["-P", "xmpp-client", "-H", "127.0.0.1", "-d", "example.test",
                                                 "-p", str(prosody.c2s_port), "--ca-file", ca],
        "check_ssl_cert (same sip endpoint)": [str(PLUGINS / "check_ssl_cert"), "-H", "127.0.0.1", "-p", tls_port,
                                               "--rootcert-file", ca, "-m", "example.test", "--ignore-sct",
                                               "--ignore-ocsp"],
    }


def dns_cases(dns_check: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    """check_rtc_dns on the lab zone: 14 record sets, 4 targets, both NS addresses asked directly."""
    port = str(servers["dns"].port)
    return {
        "check_rtc_dns --help": dns_check + ["--help"],
        "check_rtc_dns -d (4 services, 2 NS)": dns_check + ["-d", "example.test", "--dns-server", f"127.0.0.1:{port}",
                                                          "--ns-port", port],
    }


def enum_cases(enum_check: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    server = ["--dns-server", f"127.0.0.1:{servers['dns'].port}"]
    return {
        "check_enum --help": enum_check + ["--help"],
        "check_enum -n (back-reference)": enum_check + ["-n", "+442079460001", *server],
        "check_enum -n, 2 suffixes": enum_check + ["-n", "+442079460001", "--suffix", "e164.arpa", "--suffix",
                                                   "e164.example.test", *server],
    }


def rtcp_cases(rtcp_check: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    turn = servers["turn"]
    password = directory / "turn.password"
    password.write_text(turn.password + "\n")
    capture = directory / "call.pcap"
    capture.write_bytes(small_capture())
    return {
        "check_rtcp --help": rtcp_check + ["--help"],
        "check_rtcp --pcap (10 s call, 1000 pkts)": rtcp_check + ["--pcap", str(capture)],
        "check_rtcp --turn --duration 1": rtcp_check + ["--turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u",
                                                        turn.username, "--password-file", str(password),
                                                        "--duration", "1"],
    }


def rtc_cases(rtc: list[str], servers: dict[str, Any], ca: str, directory: Path) -> dict[str, list[str]]:
    """The audit of the whole lab domain: every check at once, in one process."""
    turn, port = servers["turn"], str(servers["dns"].port)
    password = directory / "turn.password"
    password.write_text(turn.password + "\n")
    return {
        "check_rtc audit (the whole lab)": rtc + ["audit", "example.test", "--dns-server", f"127.0.0.1:{port}",
                                                  "--ns-port", port, "--ca-file", ca, "--turn-user", turn.username,
                                                  "--turn-password-file", str(password), "-n", "+442079460000"],
    }


def small_capture() -> bytes:
    """10 s of G.711 both ways (20 ms) with an SR/RR pair every 5 s, as a short call's capture."""
    from check_rtc.codec import pcap, rtcp

    frames = []
    for seq in range(500):
        for ssrc, (src, dst) in ((1, (4000, 4002)), (2, (4002, 4000))):
            packet = rtcp.encode_rtp(rtcp.RtpHeader(False, 0, seq, seq * 160, ssrc, (), b"\xff" * 160))
            frames.append((1.7e9 + seq * 0.02, pcap.udp_frame("127.0.0.1", src, "127.0.0.1", dst, packet)))
        if seq % 250 == 249:
            for ssrc, peer, (src, dst) in ((1, 2, (4001, 4003)), (2, 1, (4003, 4001))):
                block = rtcp.ReportBlock(peer, 0, 0, seq, 8, 0, 0)
                report = rtcp.encode([rtcp.SenderReport(ssrc, rtcp.ntp_timestamp(1.7e9 + seq * 0.02), seq * 160,
                                                        seq, seq * 160, (block,))])
                frames.append((1.7e9 + seq * 0.02, pcap.udp_frame("127.0.0.1", src, "127.0.0.1", dst, report)))
    return pcap.write_pcap(frames)


def run(rounds: int, python: str) -> None:
    sys.path.insert(0, str(REPO))
    from check_rtc.lab import Lab

    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if not (Path(python).parent / "check_stun").exists():
        env["PYTHONPATH"] = str(REPO)
    with Lab() as lab, tempfile.TemporaryDirectory() as directory:
        servers = lab.start_all()
        table = cases(python, lab, servers, Path(directory))
        for argv in table.values():  # warm up: bytecode written, page cache filled
            measure(argv, env)
        samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in table}
        for _ in range(rounds):
            for name, argv in table.items():
                samples[name].append(measure(argv, env))
    report(samples, python)


def report(samples: dict[str, list[tuple[float, float, int]]], python: str) -> None:
    """The medians as a reStructuredText table, ready for README.rst."""
    floor = statistics.median(cpu for cpu, _, _ in samples["floor: minimal nagiosplugin check"])
    rounds = len(next(iter(samples.values())))
    width = max(len(name) for name in samples) + 4
    rule = f"{'=' * width}  ======  =======  =======  ====="
    print(f"interpreter: {python}; {rounds} interleaved rounds; medians\n")
    print(rule)
    print(f"{'case':{width}}  cpu ms  wall ms  x floor  exit")
    print(rule)
    for name, runs in samples.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        codes = ",".join(sorted({str(r[2]) for r in runs}))
        label = f"``{name}``" if name.startswith("check_") else name
        print(f"{label:{width}}  {cpu * 1000:6.1f}  {wall * 1000:7.1f}  {cpu / floor:7.2f}  {codes:5}")
    print(rule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--python", default="/usr/bin/python3", help="interpreter whose packages are measured")
    args = parser.parse_args()
    if shutil.which(args.python) is None:
        parser.error(f"no interpreter {args.python}")
    run(args.rounds, args.python)


if __name__ == "__main__":
    main()
