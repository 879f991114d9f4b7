# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtcp against real peers: a test stream through the lab's coturn (UDP, TCP, TLS), a call
between two Debian baresips captured by dumpcap and cross-checked with tshark, and the RTP-MIB
served by a real snmpd (v2c and v3)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run_check

TURN_LINE = re.compile(r"^a->b: MOS 4\.\d\d, R 9\d\.\d, loss 0\.00%, jitter \d+\.\d\d ms, RTT \d+\.\d\d ms; "
                       r"b->a: MOS 4\.\d\d, R 9\d\.\d, loss 0\.00%, jitter \d+\.\d\d ms, RTT \d+\.\d\d ms; "
                       r"(\d+) RTP packets relayed between 127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+$")


@pytest.fixture(scope="module")
def password_file(tmp_path_factory, turn) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("rtcp") / "password"
    path.write_text(turn.password + "\n")
    return path


@pytest.mark.parametrize(("address", "transport"), [("127.0.0.1", "udp"), ("::1", "tcp"), ("127.0.0.1", "tls")])
def test_stream_through_the_relay(lab, turn, password_file, address: str, transport: str) -> None:  # type: ignore[no-untyped-def]
    port = turn.tls_port if transport == "tls" else turn.port
    result = run_check("check_rtcp", "--turn", "-H", address, "-p", str(port), "-T", transport, "--ca-file",
                       str(lab.certs.ca_cert), "-u", turn.username, "--password-file", str(password_file),
                       "--duration", "1", "--warning-mos", "4", "--critical-rtt", "100")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    label = f"[{address}]:{port}/{transport}" if ":" in address else f"{address}:{port}/{transport}"
    summary = result.summary.removeprefix(f"{label}: ")
    match = TURN_LINE.match(summary)
    assert match and int(match[1]) == 100, summary
    names = {f"{label}_{d}_{m}" for d in ("a_to_b", "b_to_a") for m in ("mos", "r", "loss", "jitter_ms", "rtt_ms")}
    assert set(result.perfdata) == names | {f"{label}_rtt"}
    assert result.perfdata[f"{label}_a_to_b_mos"].endswith(";4:;;0")


def test_rest_secret(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from check_rtc.lab import Coturn

    rest = next(s for s in lab.servers if isinstance(s, Coturn) and s.mode == "rest")
    (tmp_path / "secret").write_text(rest.secret + "\n")
    result = run_check("check_rtcp", "--turn", "-H", "127.0.0.1", "-p", str(rest.port), "--secret-file",
                       str(tmp_path / "secret"), "--duration", "0.5")
    assert result.state == "OK", result.stdout


def test_wrong_password_is_critical_and_never_printed(turn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "wrong").write_text("not-the-password\n")
    result = run_check("check_rtcp", "--turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u", turn.username,
                       "--password-file", str(tmp_path / "wrong"), "--duration", "0.5", "-vvv")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary.startswith(f"127.0.0.1:{turn.port}/udp: Allocate: 401 Unauthorized: wrong username")
    assert "not-the-password" not in result.stdout + result.stderr


def test_turn_without_credentials_is_unknown(turn) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtcp", "--turn", "-H", "127.0.0.1", "-p", str(turn.port))
    assert (result.returncode, result.summary) == (3, "--turn needs credentials: -u with --password-file, or "
                                                      "--secret-file")


def test_duration_longer_than_the_timeout_is_a_usage_error(turn, password_file) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtcp", "--turn", "-H", "127.0.0.1", "-p", str(turn.port), "-u", turn.username,
                       "--password-file", str(password_file), "--duration", "20", "-t", "5")
    assert (result.returncode, result.summary) == (
        3, "a stream of --duration 20s needs more than 20.5s; -t 5 leaves 4.5s")


# --- a real call, captured ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def call_capture(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """Two baresips call each other for 6 s (PCMU, RTCP on RTP+1) while dumpcap records lo."""
    from check_rtc.lab.baresip import Baresip

    directory = tmp_path_factory.mktemp("call")
    capture = directory / "call.pcapng"
    with Baresip(directory / "baresip") as callee:
        # Only the callee's RTP/RTCP ports: both directions of this call, nothing of other tests.
        low, high = callee.rtp_ports
        dumpcap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"udp portrange {low}-{high}", "-w", str(capture)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(capture)
            callee.call(6)
            time.sleep(0.3)
        finally:
            dumpcap.send_signal(signal.SIGINT)
            dumpcap.wait(10)
    return capture


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not (path.exists() and path.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # dumpcap writes its header before the capture filter is live


def tshark_reports(capture: Path) -> dict[int, tuple[int, int, int, int, int]]:
    """tshark's decoding of each SR/RR's first report block: source SSRC -> (fraction, cumulative, jitter, lsr, dlsr)."""
    fields = ["rtcp.ssrc.identifier", "rtcp.ssrc.fraction", "rtcp.ssrc.cum_nr", "rtcp.ssrc.jitter", "rtcp.ssrc.lsr",
              "rtcp.ssrc.dlsr"]
    # No SIP in the capture to announce the RTCP ports: tshark's RTCP heuristic finds them (real-peers.md §6).
    out = subprocess.run(["tshark", "-r", str(capture), "--enable-heuristic", "rtcp_udp",
                          "-Y", "rtcp.pt == 200 || rtcp.pt == 201", "-T", "fields",
                          *(x for f in fields for x in ("-e", f))], capture_output=True, text=True, check=True).stdout
    reports = {}
    for line in out.splitlines():
        values = [v.split(",")[0] for v in line.split("\t")]
        if values[1]:
            reports[int(values[0], 16)] = tuple(int(v) for v in values[1:])
    return reports  # type: ignore[return-value]


def test_baresip_call_agrees_with_tshark(call_capture: Path) -> None:
    result = run_check("check_rtcp", "--pcap", str(call_capture), "-vv")
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.startswith("2 streams, worst: SSRC 0x")
    ours = {}
    for line in result.long_output[:2]:
        match = re.search(r"SSRC 0x([0-9a-f]{8})\b.*last: fraction lost (\d+)/256, cumulative lost (-?\d+), "
                          r"jitter (\d+); CNAME [^;]+; ended with BYE(?:; RTP captured: (\d+) packets, 0 lost)?", line)
        assert match, line
        ours[int(match[1], 16)] = (int(match[2]), int(match[3]), int(match[4]))
        # The RTP itself is in the capture unless dumpcap's filter went live after
        # the stream began; when it is, the whole call is there.
        assert match[5] is None or int(match[5]) >= 250  # 6 s of 20 ms packets, less A.1's probation
    theirs = tshark_reports(call_capture)
    assert set(ours) == set(theirs)
    assert {ssrc: values[:3] for ssrc, values in theirs.items()} == ours


# --- SNMP: RTP-MIB from a real snmpd --------------------------------------------------------------

ENTRY = "1.3.6.1.2.1.87.1.7.1"
ROWS = {  # session 1: SSRC 0x12345678 received by 0x87654321; session 2: a poor one
    "1.305419896.2271560481": {3: ("string", "alice@example.test"), 5: ("gauge", 42), 6: ("counter", 12),
                               7: ("gauge", 160), 11: ("integer", 0), 12: ("counter64", 988)},
    "2.16.32": {5: ("gauge", 300), 6: ("counter", 90), 7: ("gauge", 800), 11: ("integer", 18), 12: ("counter64", 910)},
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory):  # type: ignore[no-untyped-def]
    from check_rtc.lab.snmpd import Snmpd

    table = {f"{ENTRY}.{column}.{index}": value for index, row in ROWS.items() for column, value in row.items()}
    table["1.3.6.1.4.1.99999.1.0"] = ("string", "2.5")
    table["1.3.6.1.4.1.99999.2.0"] = ("integer", 12)
    directory = tmp_path_factory.mktemp("snmp")
    with Snmpd(directory / "snmpd", "1.3.6.1", table) as snmpd:
        (directory / "community").write_text(snmpd.community + "\n")
        (directory / "auth").write_text(snmpd.auth_passphrase + "\n")
        (directory / "priv").write_text(snmpd.priv_passphrase + "\n")
        snmpd.files = directory
        yield snmpd


def snmp_args(agent, version: str) -> list[str]:  # type: ignore[no-untyped-def]
    if version == "2c":
        return ["--snmp", "127.0.0.1", "-p", str(agent.port), "--community-file", str(agent.files / "community")]
    return ["--snmp", "::1", "-p", str(agent.port), "--snmp-version", "3", "--security-name", agent.user,
            "--auth-file", str(agent.files / "auth"), "--priv-file", str(agent.files / "priv")]


@pytest.mark.parametrize("version", ["2c", "3"])
def test_rtp_mib_receiver_table(agent, version: str) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtcp", *snmp_args(agent, version), "--warning-mos", "4", "--critical-mos", "1")
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == "s2_ssrc_0x00000010 MOS 1.47 (outside range 4:)"
    assert result.long_output[0].startswith("[WARNING] session 2 SSRC 0x00000010 at receiver 0x00000020: MOS 1.47, ")
    assert "loss 9.00%, jitter 100.00 ms, RTT 300.00 ms, g729a, from RTP-MIB (910 received, 90 lost)" \
        in result.long_output[0]
    assert result.long_output[1].startswith("[OK] session 1 SSRC 0x12345678 at receiver 0x87654321: MOS 4.25, ")
    assert result.perfdata["s1_ssrc_0x12345678_loss"] == "1.20%;;;0"
    assert result.perfdata["s1_ssrc_0x12345678_rtt_ms"] == "42.00;;;0"


def test_oids_from_the_command_line(agent) -> None:  # type: ignore[no-untyped-def]
    result = run_check("check_rtcp", *snmp_args(agent, "2c"), "--oid-loss", "1.3.6.1.4.1.99999.1.0",
                       "--oid-jitter", "1.3.6.1.4.1.99999.2.0")
    assert result.summary == "OIDs of 127.0.0.1: MOS 4.14, R 83.3, loss 2.50%, jitter 12.00 ms, RTT unknown"


def test_wrong_community_is_unknown_and_not_printed(agent, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "wrong").write_text("guess-me\n")
    result = run_check("check_rtcp", "--snmp", "127.0.0.1", "-p", str(agent.port), "--community-file",
                       str(tmp_path / "wrong"), "-t", "3")
    assert result.returncode == 3
    assert result.summary.startswith(f"SNMP 127.0.0.1:{agent.port}: No SNMP response received before timeout")
    assert "guess-me" not in result.stdout
