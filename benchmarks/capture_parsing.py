# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: capture parsing speed of check_rtcp --pcap (packets per second, best of N).

Writes a capture of 200,000 RTP packets in 4 streams (G.711, 20 ms) with
RTCP SR/RR between them, then times, in this process:
- reading: pcap/pcapng records -> Ethernet -> IPv4 -> UDP datagrams;
- the whole analysis: reading + RTP/RTCP classification + RFC 3550 A.1/A.8
  statistics per stream + RTCP decoding.

    /usr/bin/python3 benchmarks/capture_parsing.py [--packets 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from check_rtc.codec import pcap, rtcp
from check_rtc.codec.rtp_streams import StreamAnalysis

STREAMS = 4


def build(packets: int, writer: str) -> bytes:
    frames = []
    for index in range(packets):
        stream = index % STREAMS
        seq = index // STREAMS
        header = rtcp.RtpHeader(False, 0, seq & 0xFFFF, seq * 160 & 0xFFFFFFFF, 0x1000 + stream, (), b"\xff" * 160)
        frame = pcap.udp_frame("127.0.0.1", 20000 + 2 * stream, "127.0.0.1", 30000 + 2 * stream,
                               rtcp.encode_rtp(header))
        frames.append((1.7e9 + seq * 0.02, frame))
        if seq % 250 == 0 and stream == 0:
            block = rtcp.ReportBlock(0x1001, 0, 0, seq, 8, 0, 0)
            sr = rtcp.encode([rtcp.SenderReport(0x1000, rtcp.ntp_timestamp(1.7e9 + seq * 0.02), seq * 160, seq,
                                                seq * 160, (block,))])
            frames.append((1.7e9 + seq * 0.02, pcap.udp_frame("127.0.0.1", 20001, "127.0.0.1", 30001, sr)))
    return pcap.write_pcapng(frames) if writer == "pcapng" else pcap.write_pcap(frames)


def best(rounds: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def analyse(data: bytes) -> None:
    analysis = StreamAnalysis(lambda pt: 8000)
    for datagram in pcap.read(data).datagrams:
        analysis.feed(datagram)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    print(f"interpreter: {sys.executable} {sys.version.split()[0]}; {opts.packets} RTP packets + RTCP; best of "
          f"{opts.rounds}")
    for kind in ("pcap", "pcapng"):
        data = build(opts.packets, kind)
        count = pcap.read(data).frames
        reading = best(opts.rounds, lambda data=data: pcap.read(data))
        whole = best(opts.rounds, lambda data=data: analyse(data))
        print(f"{kind:7} {len(data) / 1e6:6.1f} MB  read: {count / reading:10,.0f} packets/s   "
              f"read + RTP/RTCP analysis: {count / whole:10,.0f} packets/s")


if __name__ == "__main__":
    main()
