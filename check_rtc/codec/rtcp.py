# SPDX-License-Identifier: GPL-3.0-or-later
"""RTP header and RTCP compound packet codec (codec layer; RFC 3550 §5.1, §6.4-§6.7, A.2; RFC 3611 §4.7).

Pure functions and namedtuples: bytes in, packets out, and back. No I/O,
no clock. Malformed input raises DecodeError, with a message that starts
with "RTCP " or "RTP ", and nothing else; a bad argument to an encoder is a
caller bug and raises ValueError.

Why our own codec: the design's libraries have none (aiortc's RTCP code is
not in Debian 12 and would pull in codecs, av and crypto at start-up).

Packets: SR, RR, SDES, BYE, APP and XR (with the VoIP Metrics block decoded
and other blocks kept raw); any other packet type is kept as Unknown.
`decode` applies the RFC 3550 A.2 validity checks to a compound packet;
`decode_packets` checks only each packet's own header and length, for
reduced-size RTCP (RFC 5506) and for captures of peers that bend the rules.
"""

from __future__ import annotations

import struct
from collections import namedtuple

from check_rtc.codec.reader import Reader
from check_rtc.errors import DecodeError

TYPE_CHECKING = False

VERSION = 2
SR, RR, SDES, BYE, APP, XR = 200, 201, 202, 203, 204, 207
TYPE_NAMES = {SR: "SR", RR: "RR", SDES: "SDES", BYE: "BYE", APP: "APP", XR: "XR", 205: "RTPFB", 206: "PSFB"}
VOIP_METRICS_BLOCK = 7
# RFC 3611 §4.7: 127 means "unavailable" for R factors and MOS values.
UNAVAILABLE = 127
# RFC 3550 §6.5: SDES item types; END (0) terminates a chunk's item list.
SDES_ITEMS = {1: "CNAME", 2: "NAME", 3: "EMAIL", 4: "PHONE", 5: "LOC", 6: "TOOL", 7: "NOTE", 8: "PRIV"}
RTP_HEADER_BYTES = 12
NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01


class RtpHeader(namedtuple("RtpHeader", "marker payload_type sequence timestamp ssrc csrcs payload")):
    """The fixed RTP header (RFC 3550 §5.1) with CSRCs, and the payload without padding."""

    __slots__ = ()
    marker: bool
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    csrcs: tuple[int, ...]
    payload: bytes


class ReportBlock(namedtuple("ReportBlock", "ssrc fraction_lost cumulative_lost highest_sequence jitter lsr dlsr")):
    """One reception report (RFC 3550 §6.4.1); fraction_lost is the 8-bit fixed-point value."""

    __slots__ = ()
    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    highest_sequence: int
    jitter: int
    lsr: int
    dlsr: int


class SenderReport(namedtuple("SenderReport", "ssrc ntp_timestamp rtp_timestamp packet_count octet_count reports")):
    """SR (RFC 3550 §6.4.1): sender info, then report blocks; ntp_timestamp is the 64-bit value."""

    __slots__ = ()
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...]


class ReceiverReport(namedtuple("ReceiverReport", "ssrc reports")):
    """RR (RFC 3550 §6.4.2)."""

    __slots__ = ()
    ssrc: int
    reports: tuple[ReportBlock, ...]


class SourceDescription(namedtuple("SourceDescription", "chunks")):
    """SDES (RFC 3550 §6.5): chunks of (ssrc, ((item name, text), ...))."""

    __slots__ = ()
    chunks: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]


class Goodbye(namedtuple("Goodbye", "ssrcs reason")):
    """BYE (RFC 3550 §6.6)."""

    __slots__ = ()
    ssrcs: tuple[int, ...]
    reason: str


class App(namedtuple("App", "subtype ssrc name data")):
    """APP (RFC 3550 §6.7): a 4-character name and application data."""

    __slots__ = ()
    subtype: int
    ssrc: int
    name: str
    data: bytes


class VoipMetrics(namedtuple("VoipMetrics", "ssrc loss_rate discard_rate burst_density gap_density "
                                            "burst_duration gap_duration round_trip_delay end_system_delay "
                                            "signal_level noise_level rerl gmin r_factor ext_r_factor mos_lq "
                                            "mos_cq rx_config jb_nominal jb_maximum jb_abs_max")):
    """XR VoIP Metrics report block (RFC 3611 §4.7), fields as on the wire.

    Rates and densities are fractions x 256; durations and delays are ms;
    MOS values are x 10; 127 in R factors and MOS means unavailable.
    """

    __slots__ = ()
    ssrc: int
    loss_rate: int
    discard_rate: int
    burst_density: int
    gap_density: int
    burst_duration: int
    gap_duration: int
    round_trip_delay: int
    end_system_delay: int
    signal_level: int
    noise_level: int
    rerl: int
    gmin: int
    r_factor: int
    ext_r_factor: int
    mos_lq: int
    mos_cq: int
    rx_config: int
    jb_nominal: int
    jb_maximum: int
    jb_abs_max: int


class XrBlock(namedtuple("XrBlock", "block_type type_specific data")):
    """An XR report block this codec does not interpret (RFC 3611 §3)."""

    __slots__ = ()
    block_type: int
    type_specific: int
    data: bytes


class ExtendedReport(namedtuple("ExtendedReport", "ssrc blocks")):
    """XR (RFC 3611 §2): the sender's SSRC and its report blocks."""

    __slots__ = ()
    ssrc: int
    blocks: tuple[VoipMetrics | XrBlock, ...]


class Unknown(namedtuple("Unknown", "packet_type count body")):
    """A packet of another type (feedback, ...), kept with its body."""

    __slots__ = ()
    packet_type: int
    count: int
    body: bytes


if TYPE_CHECKING:
    Packet = SenderReport | ReceiverReport | SourceDescription | Goodbye | App | ExtendedReport | Unknown


# --- RTP ----------------------------------------------------------------------


def decode_rtp(data: bytes) -> RtpHeader:
    """The RTP header of one packet (RFC 3550 §5.1), header extension skipped, padding removed."""
    reader = Reader(data, "RTP header")
    first, second = reader.uint(1), reader.uint(1)
    if first >> 6 != VERSION:
        raise DecodeError(f"RTP version {first >> 6} is not 2")
    sequence, timestamp, ssrc = reader.uint(2), reader.uint(4), reader.uint(4)
    csrcs = tuple(reader.uint(4) for _ in range(first & 0x0F))
    if first & 0x10:
        # RFC 3550 §5.3.1: 16 bits profile-defined, 16 bits length in 32-bit words.
        extension = Reader(reader.rest(), "RTP header extension")
        extension.uint(2)
        extension.take(4 * extension.uint(2))
        reader = extension
    payload = reader.rest()
    if first & 0x20:
        payload = _unpad(payload, "RTP")
    return RtpHeader(bool(second & 0x80), second & 0x7F, sequence, timestamp, ssrc, csrcs, payload)


def _unpad(body: bytes, what: str) -> bytes:
    """RFC 3550 §5.1: "The last octet of the padding contains a count of how many padding octets"."""
    if not body or not 0 < body[-1] <= len(body):
        raise DecodeError(f"{what} padding count is invalid")
    return body[: -body[-1]]


def encode_rtp(header: RtpHeader) -> bytes:
    """An RTP packet without extension or padding."""
    first = (VERSION << 6) | len(header.csrcs)
    second = (0x80 if header.marker else 0) | header.payload_type
    fixed = struct.pack("!BBHII", first, second, header.sequence, header.timestamp, header.ssrc)
    return fixed + b"".join(struct.pack("!I", csrc) for csrc in header.csrcs) + header.payload


def looks_like_rtcp(data: bytes) -> bool:
    """RFC 5761 §4: on a shared port, packet types 192-223 (second byte) are RTCP."""
    return len(data) >= 4 and data[0] >> 6 == VERSION and 192 <= data[1] <= 223


# --- RTCP decoding --------------------------------------------------------------

def decode(data: bytes) -> list[Packet]:
    """A compound RTCP packet, with the validity checks of RFC 3550 A.2.

    "The first RTCP packet in the compound packet MUST always be a report
    packet" (§6.1), version 2 with padding clear (A.2: RTCP_VALID_MASK);
    every packet has version 2; the lengths add up to the compound's.
    """
    if len(data) >= 2 and data[0] >> 6 == VERSION and data[1] not in (SR, RR):
        raise DecodeError(f"RTCP compound packet starts with packet type {data[1]}, not SR or RR (RFC 3550 A.2)")
    if len(data) >= 1 and data[0] & 0x20:
        raise DecodeError("RTCP compound packet has padding in its first packet (RFC 3550 A.2)")
    return decode_packets(data)


def decode_packets(data: bytes) -> list[Packet]:
    """Every packet of a compound (or reduced-size, RFC 5506) RTCP packet; headers and lengths checked."""
    if not data:
        raise DecodeError("RTCP packet is empty")
    packets = []
    reader = Reader(data, "RTCP packet")
    while reader.remaining:
        if reader.remaining < 4:
            raise DecodeError(f"RTCP header is truncated ({reader.remaining} bytes after the last packet)")
        first, packet_type, words = reader.uint(1), reader.uint(1), reader.uint(2)
        if first >> 6 != VERSION:
            raise DecodeError(f"RTCP version {first >> 6} is not 2")
        if 4 * words > reader.remaining:
            raise DecodeError(f"RTCP {TYPE_NAMES.get(packet_type, packet_type)} packet is truncated: its length "
                              f"says {4 * words} bytes, {reader.remaining} remain")
        body = reader.take(4 * words)
        if first & 0x20:
            # RFC 3550 §6.4.1: padding "only on the last individual packet" of a compound.
            if reader.remaining:
                raise DecodeError("RTCP padding on a packet that is not the last of the compound")
            body = _unpad(body, "RTCP")
        packets.append(_decode_packet(packet_type, first & 0x1F, body))
    return packets


def _decode_packet(packet_type: int, count: int, body: bytes) -> Packet:
    decoder = _DECODERS.get(packet_type)
    if decoder is None:
        return Unknown(packet_type, count, body)
    # SR and RR may end in a profile-specific extension (§6.4.1): left unread.
    return decoder(Reader(body, f"RTCP {TYPE_NAMES[packet_type]} packet"), count)  # type: ignore[no-any-return,return-value]


def _report_blocks(reader: Reader, count: int) -> tuple[ReportBlock, ...]:
    blocks = []
    for _ in range(count):
        block = Reader(reader.take(24), "RTCP report block")
        ssrc, lost = block.uint(4), block.uint(4)
        cumulative = lost & 0xFFFFFF
        # §6.4.1: "cumulative number of packets lost ... signed integer" (24 bits).
        if cumulative & 0x800000:
            cumulative -= 0x1000000
        blocks.append(ReportBlock(ssrc, lost >> 24, cumulative, block.uint(4), block.uint(4), block.uint(4),
                                  block.uint(4)))
    return tuple(blocks)


def _decode_sr(reader: Reader, count: int) -> SenderReport:
    ssrc, ntp, rtp_ts, packets, octets = reader.uint(4), reader.uint(8), reader.uint(4), reader.uint(4), reader.uint(4)
    return SenderReport(ssrc, ntp, rtp_ts, packets, octets, _report_blocks(reader, count))


def _decode_rr(reader: Reader, count: int) -> ReceiverReport:
    return ReceiverReport(reader.uint(4), _report_blocks(reader, count))


def _decode_sdes(reader: Reader, count: int) -> SourceDescription:
    chunks = []
    for _ in range(count):
        ssrc = reader.uint(4)
        items, used = _sdes_items(reader)
        # §6.5: each chunk ends with END and null octets up to the next 32-bit boundary.
        reader.take(-(4 + used) % 4)
        chunks.append((ssrc, items))
    return SourceDescription(tuple(chunks))


def _sdes_items(reader: Reader) -> tuple[tuple[tuple[str, str], ...], int]:
    """The items of one chunk up to END; (items, octets read including END)."""
    items, used = [], 0
    while (item_type := reader.uint(1)) != 0:
        length = reader.uint(1)
        text = reader.take(length).decode("utf-8", "replace")
        items.append((SDES_ITEMS.get(item_type, str(item_type)), text))
        used += 2 + length
    return tuple(items), used + 1


def _decode_bye(reader: Reader, count: int) -> Goodbye:
    ssrcs = tuple(reader.uint(4) for _ in range(count))
    reason = ""
    if reader.remaining:
        reason = reader.take(reader.uint(1)).decode("utf-8", "replace")
    return Goodbye(ssrcs, reason)


def _decode_app(reader: Reader, subtype: int) -> App:
    ssrc, name = reader.uint(4), reader.take(4).decode("ascii", "replace")
    return App(subtype, ssrc, name, reader.rest())


def _decode_xr(reader: Reader, count: int) -> ExtendedReport:
    ssrc = reader.uint(4)
    blocks = []
    while reader.remaining:
        block_type, specific, words = reader.uint(1), reader.uint(1), reader.uint(2)
        block = Reader(reader.take(4 * words), f"RTCP XR block type {block_type}")
        blocks.append(_decode_voip_metrics(block) if block_type == VOIP_METRICS_BLOCK
                      else XrBlock(block_type, specific, block.rest()))
    return ExtendedReport(ssrc, tuple(blocks))


_VOIP_LAYOUT = "!IBBBBHHHHbbBBBBBBBxHHH"  # RFC 3611 §4.7.1: 32 octets after the block header


def _decode_voip_metrics(block: Reader) -> VoipMetrics:
    if block.remaining != struct.calcsize(_VOIP_LAYOUT):
        raise block.error(f"is {block.remaining} bytes, not 32 (RFC 3611 §4.7: block length 8)")
    return VoipMetrics(*struct.unpack(_VOIP_LAYOUT, block.rest()))


_DECODERS = {SR: _decode_sr, RR: _decode_rr, SDES: _decode_sdes, BYE: _decode_bye, APP: _decode_app,
             XR: _decode_xr}


# --- RTCP encoding ----------------------------------------------------------------


def encode(packets: list[Packet] | tuple[Packet, ...]) -> bytes:
    """A compound packet of `packets`, in order (the caller puts a report first, §6.1)."""
    return b"".join(_encode_packet(packet) for packet in packets)


def _header(packet_type: int, count: int, body: bytes) -> bytes:
    if not 0 <= count < 32:
        raise ValueError(f"RTCP count {count} does not fit in 5 bits")
    if len(body) % 4:
        raise ValueError("RTCP packet body is not a multiple of 32 bits")
    return struct.pack("!BBH", (VERSION << 6) | count, packet_type, len(body) // 4) + body


def _encode_packet(packet: Packet) -> bytes:
    if isinstance(packet, SenderReport):
        info = struct.pack("!IQIII", packet.ssrc, packet.ntp_timestamp, packet.rtp_timestamp, packet.packet_count,
                           packet.octet_count)
        return _header(SR, len(packet.reports), info + _encode_blocks(packet.reports))
    if isinstance(packet, ReceiverReport):
        return _header(RR, len(packet.reports), struct.pack("!I", packet.ssrc) + _encode_blocks(packet.reports))
    if isinstance(packet, SourceDescription):
        return _header(SDES, len(packet.chunks), b"".join(_encode_chunk(ssrc, items) for ssrc, items in packet.chunks))
    if isinstance(packet, Goodbye):
        return _header(BYE, len(packet.ssrcs), _encode_bye_body(packet))
    if isinstance(packet, App):
        return _header(APP, packet.subtype, struct.pack("!I4s", packet.ssrc, packet.name.encode("ascii")) + packet.data)
    if isinstance(packet, ExtendedReport):
        return _header(XR, 0, struct.pack("!I", packet.ssrc) + b"".join(map(_encode_xr_block, packet.blocks)))
    return _header(packet.packet_type, packet.count, packet.body)


def _encode_blocks(blocks: tuple[ReportBlock, ...]) -> bytes:
    return b"".join(
        struct.pack("!IIIIII", b.ssrc, (b.fraction_lost << 24) | (b.cumulative_lost & 0xFFFFFF), b.highest_sequence,
                    b.jitter, b.lsr, b.dlsr)
        for b in blocks
    )


def _encode_chunk(ssrc: int, items: tuple[tuple[str, str], ...]) -> bytes:
    codes = {name: code for code, name in SDES_ITEMS.items()}
    data = b"".join(bytes((codes[name], len(text.encode()))) + text.encode() for name, text in items) + b"\x00"
    return struct.pack("!I", ssrc) + data + bytes(-len(data) % 4)


def _encode_bye_body(packet: Goodbye) -> bytes:
    body = b"".join(struct.pack("!I", ssrc) for ssrc in packet.ssrcs)
    if packet.reason:
        reason = packet.reason.encode()
        body += bytes((len(reason),)) + reason
    return body + bytes(-len(body) % 4)


def _encode_xr_block(block: VoipMetrics | XrBlock) -> bytes:
    if isinstance(block, VoipMetrics):
        return struct.pack("!BBH", VOIP_METRICS_BLOCK, 0, 8) + struct.pack(_VOIP_LAYOUT, *block)
    return struct.pack("!BBH", block.block_type, block.type_specific, len(block.data) // 4) + block.data


# --- NTP timestamps (RFC 3550 §4) --------------------------------------------------


def ntp_timestamp(unix_seconds: float) -> int:
    """The 64-bit NTP timestamp of a Unix time."""
    return int((unix_seconds + NTP_UNIX_OFFSET) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def middle_32(ntp: int) -> int:
    """§6.4.1 LSR: "The middle 32 bits out of 64 in the NTP timestamp"."""
    return (ntp >> 16) & 0xFFFFFFFF


def round_trip_seconds(arrival_ntp: int, lsr: int, dlsr: int) -> float | None:
    """§6.4.1: round trip = A - LSR - DLSR, in units of 1/65536 s; None without an SR to refer to.

    "If no SR has been received yet ... the LSR field is set to zero"; a
    negative result (clock steps, a stale block) is no measurement either.
    """
    if lsr == 0:
        return None
    delay = (middle_32(arrival_ntp) - lsr - dlsr) & 0xFFFFFFFF
    if delay >= 0x80000000:
        return None
    return delay / 65536.0
