# SPDX-License-Identifier: GPL-3.0-or-later
"""Media streams of a capture: RTP and RTCP per SSRC, with their figures (codec layer; RFC 3550 §6.4, A.1-A.8).

Sans-IO: feed UDP datagrams (time, addresses, payload) in capture order,
then ask for the streams. RTCP is told from RTP by RFC 5761 §4 (packet
type 192-223); RTP needs the RFC 3550 A.1 probation (two packets in
sequence) before it counts, which keeps other UDP that happens to start
with version bits 2 (DNS ids, ...) out.

A stream is one media source (SSRC). Its figures come from the reports
its receiver sent (RTCP SR/RR report blocks, RFC 3611 XR VoIP Metrics)
when the capture has any, else from its RTP packets as the capture point
received them (RFC 3550 A.3, A.8). From reports, each figure is the worst
that any report of the stream shows (fraction lost, jitter, round trip).

Round trip (RFC 3550 §6.4.1): A - LSR - DLSR. A capture has both packets
with one clock: when the SR that LSR names is in the capture, the round
trip is the RR's capture time - the SR's capture time - DLSR (the capture
point's round trip through the reporter, clock-independent); otherwise A
is the RR's capture time on the NTP scale, which assumes the sender's clock
agrees with the capture host's.
"""

from __future__ import annotations

import struct
from collections import namedtuple

from check_rtc.codec import rtcp
from check_rtc.codec.rtp_stats import ReceiverStats
from check_rtc.errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from check_rtc.codec.pcap import Datagram

# RFC 5761 §4: RTP payload types 72-76 would collide with RTCP SR..APP; not RTP.
_RTCP_COLLIDING_TYPES = range(72, 77)
_FIXED_HEADER = struct.Struct("!xBHII").unpack_from


class Report(namedtuple("Report", "time reporter block")):
    """A report block about a source, from `reporter`, captured at `time`."""

    __slots__ = ()
    time: float
    reporter: int
    block: rtcp.ReportBlock


class Source:
    """What the capture holds about one SSRC: its RTP, the reports about it, its SRs."""

    def __init__(self, ssrc: int) -> None:
        self.ssrc = ssrc
        self.rtp: ReceiverStats | None = None
        self.payload_type: int | None = None
        self.flow: tuple[bytes, int, bytes, int] | None = None
        self.reports: list[Report] = []
        self.voip_metrics: rtcp.VoipMetrics | None = None
        self.sender_reports: dict[int, float] = {}  # LSR value (middle 32 NTP bits) -> capture time
        self.cname: str | None = None
        self.bye = False


class StreamAnalysis:
    """Collects sources from datagrams; `clock_rate(pt)` gives the RTP clock for a payload type."""

    def __init__(self, clock_rate: Callable[[int | None], int]) -> None:
        self.clock_rate = clock_rate
        self.sources: dict[int, Source] = {}
        self.rtcp_packets = self.rtp_packets = self.malformed = self.not_compound = 0
        self.last_error: str | None = None

    def source(self, ssrc: int) -> Source:
        found = self.sources.get(ssrc)
        if found is None:
            found = self.sources[ssrc] = Source(ssrc)
        return found

    def feed(self, datagram: Datagram) -> None:
        payload = datagram.payload
        if len(payload) < 4 or payload[0] >> 6 != rtcp.VERSION:
            return
        if 192 <= payload[1] <= 223:  # RFC 5761 §4 (rtcp.looks_like_rtcp, inlined: the hot path)
            self._rtcp(datagram)
        elif len(payload) >= rtcp.RTP_HEADER_BYTES and payload[1] & 0x7F not in _RTCP_COLLIDING_TYPES:
            self._rtp(datagram)

    def _malformed(self, error: DecodeError) -> None:
        self.malformed += 1
        self.last_error = str(error)

    def _rtp(self, datagram: Datagram) -> None:
        payload = datagram.payload
        if payload[0] == 0x80:  # no padding, extension or CSRCs: the fixed header is all there is
            payload_type, sequence, timestamp, ssrc = _FIXED_HEADER(payload)
            payload_type &= 0x7F
        else:
            try:
                header = rtcp.decode_rtp(payload)
            except DecodeError as error:
                self._malformed(error)
                return
            payload_type, sequence, timestamp, ssrc = header.payload_type, header.sequence, header.timestamp, header.ssrc
        source = self.sources.get(ssrc) or self.source(ssrc)
        stats = source.rtp
        if stats is None:
            source.payload_type = payload_type
            source.flow = (datagram.src, datagram.sport, datagram.dst, datagram.dport)
            stats = source.rtp = ReceiverStats(ssrc, self.clock_rate(payload_type))
        if stats.receive(sequence, timestamp, datagram.time):
            self.rtp_packets += 1

    def _rtcp(self, datagram: Datagram) -> None:
        try:
            packets = rtcp.decode_packets(datagram.payload)
        except DecodeError as error:
            self._malformed(error)
            return
        self.rtcp_packets += 1
        try:
            rtcp.decode(datagram.payload)
        except DecodeError:
            self.not_compound += 1  # reduced-size or first packet not a report: used all the same
        for packet in packets:
            self._rtcp_packet(packet, datagram.time)

    def _rtcp_packet(self, packet: rtcp.Packet, time: float) -> None:
        if isinstance(packet, rtcp.SenderReport):
            self.source(packet.ssrc).sender_reports[rtcp.middle_32(packet.ntp_timestamp)] = time
        if isinstance(packet, (rtcp.SenderReport, rtcp.ReceiverReport)):
            for block in packet.reports:
                self.source(block.ssrc).reports.append(Report(time, packet.ssrc, block))
        elif isinstance(packet, rtcp.ExtendedReport):
            for xr_block in packet.blocks:
                if isinstance(xr_block, rtcp.VoipMetrics):
                    self.source(xr_block.ssrc).voip_metrics = xr_block
        elif isinstance(packet, rtcp.SourceDescription):
            for ssrc, items in packet.chunks:
                self.source(ssrc).cname = dict(items).get("CNAME", self.source(ssrc).cname)
        elif isinstance(packet, rtcp.Goodbye):
            for ssrc in packet.ssrcs:
                self.source(ssrc).bye = True

    def media_sources(self) -> list[Source]:
        """Sources with figures: valid RTP or reports about them, by SSRC."""
        return [s for _, s in sorted(self.sources.items())
                if s.reports or s.voip_metrics or (s.rtp is not None and s.rtp.received)]


# --- figures of one source --------------------------------------------------------------


class Figures(namedtuple("Figures", "origin loss_percent jitter_ms rtt_ms burst_ratio end_system_delay_ms")):
    """What a stream is judged on; origin says where the figures come from."""

    __slots__ = ()
    origin: str
    loss_percent: float
    jitter_ms: float
    rtt_ms: float | None
    burst_ratio: float
    end_system_delay_ms: float | None


def figures(source: Source, clock_rate: int, ptime_ms: float) -> Figures:
    """RFC 3611 XR VoIP Metrics, else the worst of the RTCP reports, else the captured RTP."""
    if source.voip_metrics is not None:
        return _from_voip_metrics(source, source.voip_metrics, clock_rate, ptime_ms)
    if source.reports:
        return _from_reports(source, clock_rate)
    assert source.rtp is not None
    return Figures("RTP", source.rtp.loss_fraction * 100, source.rtp.jitter_ms, None, source.rtp.burst_ratio(), None)


def _from_reports(source: Source, clock_rate: int) -> Figures:
    # §6.4.1 fraction lost: "the fraction of RTP data packets from source SSRC_n lost since the previous SR or RR"
    loss = max(r.block.fraction_lost for r in source.reports) / 256 * 100
    jitter = max(r.block.jitter for r in source.reports) * 1000 / clock_rate
    rtts = [rtt for r in source.reports if (rtt := round_trip(source, r)) is not None]
    return Figures("RTCP", loss, jitter, max(rtts) * 1000 if rtts else None, 1.0, None)


def round_trip(source: Source, report: Report) -> float | None:
    """Seconds from the SR that LSR names to the report, less DLSR (see the module docstring)."""
    block = report.block
    sent = source.sender_reports.get(block.lsr)
    if block.lsr and sent is not None:
        rtt = report.time - sent - block.dlsr / 65536
        return rtt if rtt >= 0 else None
    return rtcp.round_trip_seconds(rtcp.ntp_timestamp(report.time), block.lsr, block.dlsr)


def _from_voip_metrics(source: Source, metrics: rtcp.VoipMetrics, clock_rate: int, ptime_ms: float) -> Figures:
    """RFC 3611 §4.7: loss and discard rates (x256), round trip and end system delay (ms)."""
    jitter = max((r.block.jitter for r in source.reports), default=0) * 1000 / clock_rate
    loss = (metrics.loss_rate + metrics.discard_rate) / 256 * 100
    rtt = float(metrics.round_trip_delay) if metrics.round_trip_delay else None
    return Figures("RTCP XR", loss, jitter, rtt, _xr_burst_ratio(metrics, ptime_ms), float(metrics.end_system_delay) or None)


def _xr_burst_ratio(metrics: rtcp.VoipMetrics, ptime_ms: float) -> float:
    """BurstR = 1/(p+q) (G.107 §3.5) with the §4.7.2 mean burst and gap durations as the
    Markov model's mean sojourns: p = ptime/gap, q = ptime/burst (an approximation: RFC 3611
    bursts may hold received packets)."""
    if not metrics.burst_duration or not metrics.gap_duration:
        return 1.0
    return max(1.0, 1.0 / (ptime_ms / metrics.gap_duration + ptime_ms / metrics.burst_duration))
