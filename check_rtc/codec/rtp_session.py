# SPDX-License-Identifier: GPL-3.0-or-later
"""One side of a test RTP session: RTP at the codec's packet rate, RTCP on the RFC 3550 schedule (codec layer).

Sans-IO, time passed in (the aioquic shape): `due(now)` returns the RTP
and RTCP packets to send by `now`, `receive(data, now)` takes what came,
`timer()` says when to call again, `goodbye(now)` is the last compound
(SR, SDES, BYE). What this side learns about its own stream from the
peer's report blocks (fraction lost, jitter, round trip) is in `learned`.

RTCP timing is RFC 3550 §6.3.1 scaled to a check that lasts seconds, not
a call that lasts minutes: the deterministic interval Td is a quarter of
the duration instead of the 5 s minimum (§6.2), randomized to
Td x [0.5, 1.5] / (e - 3/2) as §6.3.1 says, the first report after half an
interval (§6.2: "the initial ... interval ... half"), and a final report
with BYE (§6.3.7) when the stream ends.
"""

from __future__ import annotations

import math
import random
from collections import namedtuple

from check_rtc.codec import rtcp
from check_rtc.codec.rtp_stats import ReceiverStats
from check_rtc.errors import DecodeError

# §6.3.1: "the resulting value of T is divided by e-3/2=1.21828 to compensate"
COMPENSATION = math.e - 1.5
REPORTS_PER_DURATION = 4
# G.711 silence: mu-law 0xFF; the payload only has to be the codec's size.
SILENCE = 0xFF


class Learned(namedtuple("Learned", "time block rtt")):
    """A report block about our SSRC from the peer, when it came, and the round trip it gave (s or None)."""

    __slots__ = ()
    time: float
    block: rtcp.ReportBlock
    rtt: float | None


class RtpSession:
    """Send RTP every `ptime` seconds from `start` for `duration`; report and listen."""

    def __init__(self, ssrc: int, payload_type: int, clock_rate: int, ptime: float, start: float, duration: float,
                 cname: str, ntp_offset: float, rng: random.Random | None = None, payload: bytes | None = None) -> None:
        self.ssrc, self.payload_type, self.clock_rate, self.ptime = ssrc, payload_type, clock_rate, ptime
        # Every packet carries `payload` (a frame of a test tone), or G.711 silence of the packet's size.
        self.payload = payload if payload is not None else bytes([SILENCE]) * round(ptime * clock_rate)
        self.start, self.end = start, start + duration
        self.cname, self.ntp_offset = cname, ntp_offset
        self.rng = rng or random.Random()
        self.sequence = self.rng.randrange(1 << 16)
        self.timestamp_base = self.rng.randrange(1 << 32)
        self.sent_packets = self.sent_octets = 0
        self.next_rtp = start
        self.interval = duration / REPORTS_PER_DURATION
        self.next_rtcp = start + self._randomized() / 2
        self.peer: ReceiverStats | None = None
        self.learned: list[Learned] = []
        self.peer_left = False
        self.discarded = 0

    def _randomized(self) -> float:
        return self.interval * self.rng.uniform(0.5, 1.5) / COMPENSATION

    def ntp(self, now: float) -> int:
        return rtcp.ntp_timestamp(now + self.ntp_offset)

    def timer(self) -> float:
        """When `due` next has something (RTP only until the end)."""
        return min(self.next_rtp, self.next_rtcp) if self.next_rtp < self.end else self.next_rtcp

    def due(self, now: float) -> list[bytes]:
        """The RTP packets and RTCP compound packets to send by `now`."""
        out = []
        while self.next_rtp <= now and self.next_rtp < self.end:
            out.append(self._rtp_packet())
            self.next_rtp += self.ptime
        if self.next_rtcp <= now < self.end:
            out.append(self._report(now, ()))
            self.next_rtcp = now + self._randomized()
        return out

    def _rtp_packet(self) -> bytes:
        samples = round(self.ptime * self.clock_rate)
        timestamp = (self.timestamp_base + self.sent_packets * samples) & 0xFFFFFFFF
        header = rtcp.RtpHeader(self.sent_packets == 0, self.payload_type, self.sequence, timestamp, self.ssrc, (),
                                self.payload)
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.sent_packets += 1
        self.sent_octets += len(self.payload)
        return rtcp.encode_rtp(header)

    def _report(self, now: float, extra: tuple[rtcp.Packet, ...]) -> bytes:
        """§6.4: an SR once we sent RTP (else RR), with a block about the peer, then SDES CNAME (§6.1)."""
        blocks = (self.peer.report_block(now),) if self.peer is not None and self.peer.received else ()
        if self.sent_packets:
            rtp_ts = (self.timestamp_base + round((now - self.start) * self.clock_rate)) & 0xFFFFFFFF
            report: rtcp.Packet = rtcp.SenderReport(self.ssrc, self.ntp(now), rtp_ts, self.sent_packets,
                                                    self.sent_octets, blocks)
        else:
            report = rtcp.ReceiverReport(self.ssrc, blocks)
        sdes = rtcp.SourceDescription(((self.ssrc, (("CNAME", self.cname),)),))
        return rtcp.encode((report, sdes, *extra))

    def goodbye(self, now: float) -> bytes:
        """§6.3.7: the last report, with BYE."""
        return self._report(now, (rtcp.Goodbye((self.ssrc,), "check done"),))

    def receive(self, data: bytes, now: float) -> None:
        """RTP or RTCP from the peer; undecodable data is counted and dropped."""
        try:
            if rtcp.looks_like_rtcp(data):
                self._receive_rtcp(rtcp.decode(data), now)
            else:
                self._receive_rtp(rtcp.decode_rtp(data), now)
        except DecodeError:
            self.discarded += 1

    def _receive_rtp(self, header: rtcp.RtpHeader, now: float) -> None:
        if self.peer is None:
            self.peer = ReceiverStats(header.ssrc, self.clock_rate)
        if header.ssrc == self.peer.ssrc:
            self.peer.receive(header.sequence, header.timestamp, now)

    def _receive_rtcp(self, packets: list[rtcp.Packet], now: float) -> None:
        for packet in packets:
            if isinstance(packet, rtcp.SenderReport) and self.peer is not None and packet.ssrc == self.peer.ssrc:
                self.peer.sender_report(packet.ntp_timestamp, now)
            if isinstance(packet, (rtcp.SenderReport, rtcp.ReceiverReport)):
                for block in packet.reports:
                    if block.ssrc == self.ssrc:
                        rtt = rtcp.round_trip_seconds(self.ntp(now), block.lsr, block.dlsr)
                        self.learned.append(Learned(now, block, rtt))
            elif isinstance(packet, rtcp.Goodbye):
                self.peer_left = True
