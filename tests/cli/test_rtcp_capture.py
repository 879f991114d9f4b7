# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtcp --pcap on captures the test crafts: loss, jitter, reordering, duplicates, wrap-around,
SSRC change, malformed packets, RTCP reports and XR, thresholds, percentile, unreadable input."""

from __future__ import annotations

from pathlib import Path

import pytest

from check_rtc.codec import pcap, rtcp
from tests.conftest import run_check

A, B = ("127.0.0.1", 4000), ("127.0.0.1", 4002)
T0 = 1_700_000_000.0


def rtp(seq: int, ssrc: int = 0x1111, pt: int = 0, ts: int | None = None) -> bytes:
    return rtcp.encode_rtp(rtcp.RtpHeader(False, pt, seq & 0xFFFF, (seq * 160 if ts is None else ts) & 0xFFFFFFFF,
                                          ssrc, (), b"\xff" * 160))


def frame(payload: bytes, src: tuple[str, int] = A, dst: tuple[str, int] = B) -> bytes:
    return pcap.udp_frame(src[0], src[1], dst[0], dst[1], payload)


def stream(sequence: list[int], ssrc: int = 0x1111, delays_ms: dict[int, float] | None = None,
           first: int | None = None) -> list[tuple[float, bytes]]:
    """RTP every 20 ms by sequence number (relative to `first`), some arriving late."""
    base = sequence[0] if first is None else first
    return [(T0 + (seq - base) * 0.02 + (delays_ms or {}).get(seq, 0) / 1000, frame(rtp(seq, ssrc)))
            for seq in sequence]


def write(tmp_path: Path, packets: list[tuple[float, bytes]], name: str = "c.pcap") -> str:
    path = tmp_path / name
    writer = pcap.write_pcapng if name.endswith(".pcapng") else pcap.write_pcap
    path.write_bytes(writer(packets))
    return str(path)


def check(*args: str):  # type: ignore[no-untyped-def]
    return run_check("check_rtcp", *args)


def test_clean_stream_is_ok_with_its_figures(tmp_path: Path) -> None:
    result = check("--pcap", write(tmp_path, stream(list(range(200)))))
    assert (result.returncode, result.state) == (0, "OK")
    assert result.summary == ("SSRC 0x00001111 127.0.0.1:4000 -> 127.0.0.1:4002: MOS 4.40, R 92.5, loss 0.00%, "
                              "jitter 0.00 ms, RTT unknown")
    assert result.perfdata == {"ssrc_0x00001111_mos": "4.40;;;0", "ssrc_0x00001111_r": "92.53;;;0",
                               "ssrc_0x00001111_loss": "0.00%;;;0", "ssrc_0x00001111_jitter_ms": "0.00;;;0"}
    assert result.long_output[-1] == "200 frames, 200 UDP datagrams, 199 RTP and 0 RTCP packets"


def test_loss_lowers_mos_and_crosses_thresholds(tmp_path: Path) -> None:
    lost = {10, 30, 50, 70, 90, 110, 130, 150, 170, 190}
    path = write(tmp_path, stream([s for s in range(200) if s not in lost]))
    result = check("--pcap", path, "--warning-loss", "2", "--critical-loss", "8", "--warning-mos", "4.2",
                   "--critical-mos", "3.6")
    assert (result.returncode, result.state) == (1, "WARNING")
    assert result.summary == ("ssrc_0x00001111 MOS 3.89 (outside range 4.2:); "
                              "ssrc_0x00001111 loss 5.03% (outside range 0:2)")
    assert result.perfdata["ssrc_0x00001111_mos"] == "3.89;4.2:;3.6:;0"
    assert "RTP captured: 189 packets, 10 lost, 0 duplicates, 0 reordered" in result.long_output[0]


def test_jitter_in_ms_and_threshold(tmp_path: Path) -> None:
    delays = {s: 30.0 for s in range(1, 200, 2)}  # every other packet 30 ms late
    result = check("--pcap", write(tmp_path, stream(list(range(200)), delays_ms=delays)), "--critical-jitter", "20")
    assert (result.returncode, result.state) == (2, "CRITICAL")
    assert result.summary == "ssrc_0x00001111 jitter 30.00 ms (outside range 0:20)"


def test_reordering_and_duplicates_are_counted_not_lost(tmp_path: Path) -> None:
    packets = stream(list(range(100)))
    packets[50], packets[51] = packets[51], packets[50]
    packets.insert(70, packets[69])
    result = check("--pcap", write(tmp_path, packets))
    assert result.state == "OK"
    assert "RTP captured: 100 packets, 0 lost, 1 duplicates, 1 reordered" in result.long_output[0]
    assert result.perfdata["ssrc_0x00001111_loss"] == "0.00%;;;0"


def test_sequence_wrap_around(tmp_path: Path) -> None:
    sequence = list(range(65436, 65536)) + list(range(0, 100))
    result = check("--pcap", write(tmp_path, [(T0 + i * 0.02, frame(rtp(s))) for i, s in enumerate(sequence)]))
    assert result.state == "OK"
    assert "RTP captured: 199 packets, 0 lost" in result.long_output[0]


def test_ssrc_change_makes_a_second_stream(tmp_path: Path) -> None:
    packets = stream(list(range(100)), ssrc=0x1111) + stream(list(range(100, 200)), ssrc=0x2222, first=0)
    result = check("--pcap", write(tmp_path, packets, "c.pcapng"))
    assert result.state == "OK"
    assert result.summary.startswith("2 streams, worst: SSRC 0x0000")
    assert {"ssrc_0x00001111_mos", "ssrc_0x00002222_mos"} <= set(result.perfdata)


def test_malformed_packets_are_counted_and_ignored(tmp_path: Path) -> None:
    bad_rtcp = b"\x81\xc9\x00\x07" + bytes(8)  # length says 28 bytes, 8 follow
    packets = stream(list(range(50))) + [(T0 + 2, frame(bad_rtcp)), (T0 + 2.1, frame(b"\xa0" + bytes(11) + b"\x09"))]
    result = check("--pcap", write(tmp_path, packets))
    assert result.state == "OK"
    assert result.long_output[-1] == ("52 frames, 52 UDP datagrams, 49 RTP and 0 RTCP packets, 2 malformed "
                                      "(last: RTP padding count is invalid)")


def test_rtcp_reports_give_loss_jitter_and_round_trip(tmp_path: Path) -> None:
    """The receiver's RR names the sender's SR (LSR) 40 ms after it with DLSR 30 ms: RTT 10 ms."""
    sr_ntp = rtcp.ntp_timestamp(T0 + 1.0)
    sr = rtcp.encode([rtcp.SenderReport(0x1111, sr_ntp, 160, 50, 8000, ())])
    block = rtcp.ReportBlock(0x1111, 64, 12, 60, 800, rtcp.middle_32(sr_ntp), int(0.030 * 65536))
    rr = rtcp.encode([rtcp.ReceiverReport(0x2222, (block,))])
    packets = stream(list(range(100))) + [(T0 + 1.0, frame(sr)), (T0 + 1.04, frame(rr, B, A))]
    result = check("--pcap", write(tmp_path, sorted(packets)))
    assert result.summary == ("SSRC 0x00001111 127.0.0.1:4000 -> 127.0.0.1:4002: MOS 1.84, R 35.2, loss 25.00%, "
                              "jitter 100.00 ms, RTT 10.00 ms")
    assert "from RTCP (1 reports by SSRC 0x00002222; last: fraction lost 64/256, cumulative lost 12, jitter 800" \
        in result.long_output[0]


def test_xr_voip_metrics_are_used(tmp_path: Path) -> None:
    voip = rtcp.VoipMetrics(0x1111, 13, 0, 0, 0, 0, 0, 120, 60, 0, 0, 127, 16, 127, 127, 127, 127, 0, 40, 80, 120)
    xr = rtcp.encode([rtcp.ReceiverReport(0x2222, ()), rtcp.ExtendedReport(0x2222, (voip,))])
    result = check("--pcap", write(tmp_path, stream(list(range(50))) + [(T0 + 1.1, frame(xr, B, A))]))
    assert result.summary.endswith("loss 5.08%, jitter 0.00 ms, RTT 120.00 ms")
    assert "one-way delay 120.0 ms" in result.long_output[0] and "from RTCP XR" in result.long_output[0]


def test_percentile_judges_one_stream(tmp_path: Path) -> None:
    good = stream(list(range(100)), ssrc=0x1)
    bad = stream([s for s in range(100) if s % 5], ssrc=0x2)
    path = write(tmp_path, good + bad)
    assert check("--pcap", path, "--critical-mos", "4").state == "CRITICAL"
    result = check("--pcap", path, "--critical-mos", "4", "--percentile", "100")
    assert (result.state, result.summary.split(":")[0]) == ("OK", "2 streams, 100th percentile")
    assert result.perfdata["ssrc_0x00000002_mos"].endswith(";;;0")


def test_dynamic_payload_type_uses_the_codec_option(tmp_path: Path) -> None:
    packets = [(T0 + i * 0.02, frame(rtp(i, pt=18))) for i in range(50)]
    result = check("--pcap", write(tmp_path, packets))
    assert "g729a" in result.long_output[0] and "MOS 4.0" in result.summary


@pytest.mark.parametrize(("content", "summary"), [
    (None, "cannot read capture {path}: No such file or directory"),
    (b"not a capture", "{path}: capture file is neither pcap nor pcapng (unknown magic number)"),
    (pcap.write_pcap([(T0, frame(b"hello"))]), "no RTP or RTCP stream in {path} (1 frames, 1 UDP datagrams, "
                                               "0 RTP and 0 RTCP packets)"),
])
def test_unreadable_or_empty_captures_are_unknown(tmp_path: Path, content: bytes | None, summary: str) -> None:
    path = tmp_path / "in.pcap"
    if content is not None:
        path.write_bytes(content)
    result = check("--pcap", str(path))
    assert (result.returncode, result.summary) == (3, summary.format(path=path))
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize(("args", "message"), [
    ((), "give --turn, --pcap FILE or --snmp HOST"),
    (("--turn",), "--turn needs -H HOST or -d DOMAIN (the TURN server)"),
    (("--pcap", "x", "-w", "1"), "-w/-c judge the --turn round trip in seconds; use --warning-rtt/--critical-rtt (ms)"),
    (("--pcap", "x", "--percentile", "0"), "argument --percentile: 0 is not between 0 (exclusive) and 100"),
    (("--pcap", "x", "--warning-mos", "a:b:c"), "argument --warning-mos: invalid range 'a:b:c': "),
])
def test_usage_errors_are_unknown(args: tuple[str, ...], message: str) -> None:
    result = check(*args)
    assert result.returncode == 3
    assert result.stdout.splitlines()[0].startswith(f"RTCP UNKNOWN - {message}")
