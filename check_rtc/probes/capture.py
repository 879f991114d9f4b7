# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture probe: the media streams of a pcap/pcapng file, rated (RFC 3550, RFC 3611, ITU-T G.107).

Reads the file (the only I/O), hands its UDP datagrams to the sans-IO
stream analysis and rates every stream with the E-model; judging is for
checks/rtcp.py. A file that cannot be read or is not a capture is a
UsageError (UNKNOWN): the check cannot tell anything about the media.
"""

from __future__ import annotations

from check_rtc import emodel
from check_rtc.codec import pcap
from check_rtc.codec.rtp_streams import Source, StreamAnalysis, figures
from check_rtc.errors import DecodeError, UsageError
from check_rtc.quality import Quality, assess


class CaptureResult:
    """The rated streams of one capture, and what the analysis counted."""

    __slots__ = ("analysis", "capture", "streams")

    def __init__(self, streams: list[Quality], analysis: StreamAnalysis, capture: pcap.Capture) -> None:
        self.streams = streams
        self.analysis = analysis
        self.capture = capture

    def describe(self) -> str:
        a = self.analysis
        text = (f"{self.capture.frames} frames, {len(self.capture.datagrams)} UDP datagrams, "
                f"{a.rtp_packets} RTP and {a.rtcp_packets} RTCP packets")
        if a.malformed:
            text += f", {a.malformed} malformed (last: {a.last_error})"
        if a.not_compound:
            text += f", {a.not_compound} RTCP packets not RFC 3550 compound"
        return text


def read_capture(path: str) -> pcap.Capture:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read capture {path}: {exc.strerror or exc}") from None
    try:
        return pcap.read(data)
    except DecodeError as exc:
        raise UsageError(f"{path}: {exc}") from None


def probe_capture(path: str, default_codec: emodel.Codec) -> CaptureResult:
    capture = read_capture(path)
    analysis = StreamAnalysis(lambda pt: _codec(pt, default_codec).clock_rate)
    for datagram in capture.datagrams:
        analysis.feed(datagram)
    streams = [rate(source, _codec(source.payload_type, default_codec)) for source in analysis.media_sources()]
    return CaptureResult(streams, analysis, capture)


def _codec(payload_type: int | None, default: emodel.Codec) -> emodel.Codec:
    """The codec of a static payload type (RFC 3551), else the operator's --codec."""
    found = emodel.codec_by_sdp(None, payload_type) if payload_type is not None else None
    return found or default


def rate(source: Source, codec: emodel.Codec) -> Quality:
    f = figures(source, codec.clock_rate, codec.ptime_ms)
    return assess(f"ssrc_0x{source.ssrc:08x}", _name(source), f.origin, codec, f.loss_percent, f.jitter_ms,
                  f.rtt_ms, f.burst_ratio, f.end_system_delay_ms, _detail(source))


def _name(source: Source) -> str:
    name = f"SSRC 0x{source.ssrc:08x}"
    if source.flow is not None:
        src, sport, dst, dport = source.flow
        name += f" {_endpoint(src, sport)} -> {_endpoint(dst, dport)}"
    return name


def _endpoint(raw: bytes, port: int) -> str:
    import ipaddress

    address = ipaddress.ip_address(raw)
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def _detail(source: Source) -> str:
    parts = []
    if source.reports:
        last = source.reports[-1]
        parts.append(f"{len(source.reports)} reports by SSRC 0x{last.reporter:08x}; last: fraction lost "
                     f"{last.block.fraction_lost}/256, cumulative lost {last.block.cumulative_lost}, "
                     f"jitter {last.block.jitter}")
    if source.cname:
        parts.append(f"CNAME {source.cname}")
    if source.bye:
        parts.append("ended with BYE")
    rtp = source.rtp
    if rtp is not None and rtp.received:
        parts.append(f"RTP captured: {rtp.received} packets, {max(0, rtp.expected - rtp.received)} lost, "
                     f"{rtp.duplicates} duplicates, {rtp.reordered} reordered")
    return "; ".join(parts)
