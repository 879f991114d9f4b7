# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture files: UDP datagrams out of pcap and pcapng, and a pcap writer (codec layer).

Reads what tcpdump and dumpcap write: pcap (microsecond and nanosecond
magic, either byte order) and pcapng (Section Header, Interface
Description with if_tsresol, Enhanced and Simple Packet Blocks; other
blocks skipped), link types Ethernet (with 802.1Q/802.1ad tags), Linux
cooked SLL and SLL2, BSD loopback and raw IP; IPv4 (unfragmented) and IPv6
(extension headers skipped) carrying UDP. Everything else is counted as
skipped. Sans-IO: bytes in, Datagram tuples out; a file that is not a
capture, or a truncated block header, raises DecodeError ("capture ...").

Why our own reader: the design forbids scapy/dpkt-sized dependencies on a
path that must parse 200,000 packets/s and start in milliseconds; the
formats are small (pcap: libpcap's savefile format; pcapng:
draft-ietf-opsawg-pcapng), and this reader uses struct.unpack_from on
checked offsets only.
"""

from __future__ import annotations

import struct
from collections import namedtuple

from check_rtc.errors import DecodeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 = 0, 1, 101, 113, 276
LINKTYPE_IPV4, LINKTYPE_IPV6 = 228, 229
_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
_ETHERTYPE_IPV4, _ETHERTYPE_IPV6, _VLAN_TAGS = 0x0800, 0x86DD, (0x8100, 0x88A8, 0x9100)
_ETHERNET_IPV4 = _ETHERTYPE_IPV4
_UDP = 17
# IPv6 extension headers that carry a next-header byte and a length (RFC 8200 §4).
_IPV6_EXTENSIONS = {0, 43, 60, 135, 139, 140}
_IPV6_FRAGMENT = 44


class Datagram(namedtuple("Datagram", "time src sport dst dport payload")):
    """One UDP datagram: capture time (Unix seconds), raw 4- or 16-byte addresses, ports, payload."""

    __slots__ = ()
    time: float
    src: bytes
    sport: int
    dst: bytes
    dport: int
    payload: bytes


class Capture:
    """The datagrams of a capture file and what was skipped; `read` fills both."""

    def __init__(self) -> None:
        self.datagrams: list[Datagram] = []
        self.frames = 0
        self.skipped = 0

    def add(self, time: float, linktype: int, frame: bytes) -> None:
        self.frames += 1
        datagram = udp_of_frame(time, linktype, frame)
        if datagram is None:
            self.skipped += 1
        else:
            self.datagrams.append(datagram)


def read(data: bytes) -> Capture:
    """Every UDP datagram of a pcap or pcapng file's bytes."""
    capture = Capture()
    magic = data[:4]
    if magic in _PCAP_MAGICS:
        _read_pcap(data, capture, *_PCAP_MAGICS[magic])
    elif magic == _PCAPNG_SHB:
        for time, linktype, frame in _pcapng_frames(data):
            capture.add(time, linktype, frame)
    else:
        raise DecodeError("capture file is neither pcap nor pcapng (unknown magic number)")
    return capture


# The common case, Ethernet + IPv4 without options + UDP, read in one unpack
# from the file's bytes (no frame copy): this is what makes 200,000 packets/s.
_ETHERNET_IPV4_UDP = struct.Struct("!12xHBxHxxHxB2x4s4sHHH")  # ethertype, ver/IHL, total, frag, proto, ..., UDP
_new_datagram = Datagram._make


def _read_pcap(data: bytes, capture: Capture, order: str, resolution: float) -> None:
    """pcap records; Ethernet/IPv4/UDP frames on the fast path, everything else through udp_of_frame."""
    if len(data) < 24:
        raise DecodeError("capture pcap file header is truncated")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII").unpack_from
    fast = _ETHERNET_IPV4_UDP.unpack_from
    append, slow = capture.datagrams.append, capture.add
    offset, end, frames_read = 24, len(data), 0
    while offset + 16 <= end:
        seconds, fraction, included, _ = record(data, offset)
        offset += 16
        if offset + included > end:
            break  # the last record was cut short (a capture still being written): stop there
        frames_read += 1
        time = seconds + fraction * resolution
        if linktype == LINKTYPE_ETHERNET and included >= 42:
            ethertype, first, total, fragment, protocol, src, dst, sport, dport, length = fast(data, offset)
            if ethertype == _ETHERNET_IPV4 and first == 0x45 and protocol == _UDP and not fragment & 0x3FFF \
                    and 8 <= length <= total - 20 <= included - 34:
                append(_new_datagram((time, src, sport, dst, dport, data[offset + 42 : offset + 34 + length])))
                offset += included
                continue
        slow(time, linktype, data[offset : offset + included])
        frames_read -= 1  # counted by Capture.add
        offset += included
    capture.frames += frames_read


def _pcapng_frames(data: bytes) -> Iterator[tuple[float, int, bytes]]:
    order = "<"
    interfaces: list[tuple[int, float]] = []
    offset, end = 0, len(data)
    while offset + 12 <= end:
        block_type = data[offset : offset + 4]
        if block_type == _PCAPNG_SHB:
            order = _section_order(data, offset)
            interfaces = []
        block_type_value, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or length % 4 or offset + length > end:
            raise DecodeError(f"capture pcapng block at offset {offset} has an invalid length {length}")
        body = data[offset + 8 : offset + length - 4]
        if block_type_value == 1:
            interfaces.append(_interface(body, order))
        elif block_type_value in (6, 3, 2):
            packet = _packet_block(block_type_value, body, order, interfaces)
            if packet is not None:
                yield packet
        offset += length


def _section_order(data: bytes, offset: int) -> str:
    if len(data) < offset + 12:
        raise DecodeError("capture pcapng section header is truncated")
    magic = data[offset + 8 : offset + 12]
    if magic == b"\x4d\x3c\x2b\x1a":
        return "<"
    if magic == b"\x1a\x2b\x3c\x4d":
        return ">"
    raise DecodeError("capture pcapng section header has an invalid byte-order magic")


def _interface(body: bytes, order: str) -> tuple[int, float]:
    """(link type, seconds per timestamp unit) of an Interface Description Block."""
    if len(body) < 8:
        raise DecodeError("capture pcapng interface description is truncated")
    linktype = struct.unpack_from(order + "H", body, 0)[0]
    resolution = 1e-6
    offset = 8
    while offset + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, offset)
        if code == 0:
            break
        if code == 9 and length >= 1 and offset + 5 <= len(body):  # if_tsresol
            value = body[offset + 4]
            resolution = 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        offset += 4 + length + (-length % 4)
    return linktype, resolution


def _packet_block(kind: int, body: bytes, order: str,
                  interfaces: list[tuple[int, float]]) -> tuple[float, int, bytes] | None:
    """(time, link type, frame) of an Enhanced (6), Simple (3) or obsolete Packet (2) Block."""
    if kind == 3:
        if not interfaces or len(body) < 4:
            return None
        return 0.0, interfaces[0][0], body[4:]
    if len(body) < 20:
        raise DecodeError("capture pcapng packet block is truncated")
    interface, high, low, included = struct.unpack_from(order + "IIII", body, 0)
    if kind == 2:
        interface &= 0xFFFF
    if interface >= len(interfaces):
        raise DecodeError(f"capture pcapng packet names interface {interface}, which is not described")
    linktype, resolution = interfaces[interface]
    return ((high << 32) | low) * resolution, linktype, body[20 : 20 + included]


# --- link, IP and UDP layers ------------------------------------------------------------


def udp_of_frame(time: float, linktype: int, frame: bytes) -> Datagram | None:
    """The UDP datagram a frame carries, or None (other protocols, fragments, truncation)."""
    if linktype == LINKTYPE_ETHERNET:
        ethertype, offset = _ethernet(frame)
    elif linktype == LINKTYPE_LINUX_SLL:
        ethertype, offset = (int.from_bytes(frame[14:16], "big"), 16) if len(frame) >= 16 else (0, 0)
    elif linktype == LINKTYPE_LINUX_SLL2:
        ethertype, offset = (int.from_bytes(frame[0:2], "big"), 20) if len(frame) >= 20 else (0, 0)
    elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        ethertype, offset = _raw_ip_version(frame), 0
    elif linktype == LINKTYPE_NULL:
        ethertype, offset = _raw_ip_version(frame[4:]), 4
    else:
        return None
    if ethertype == _ETHERTYPE_IPV4:
        return _ipv4(time, frame, offset)
    if ethertype == _ETHERTYPE_IPV6:
        return _ipv6(time, frame, offset)
    return None


def _ethernet(frame: bytes) -> tuple[int, int]:
    offset = 12
    ethertype = int.from_bytes(frame[12:14], "big") if len(frame) >= 14 else 0
    while ethertype in _VLAN_TAGS and len(frame) >= offset + 6:
        offset += 4
        ethertype = int.from_bytes(frame[offset : offset + 2], "big")
    return ethertype, offset + 2


def _raw_ip_version(packet: bytes) -> int:
    version = packet[0] >> 4 if packet else 0
    return {4: _ETHERTYPE_IPV4, 6: _ETHERTYPE_IPV6}.get(version, 0)


def _ipv4(time: float, frame: bytes, offset: int) -> Datagram | None:
    if len(frame) < offset + 20:
        return None
    first, _, total, _, flags_fragment, _, protocol = struct.unpack_from("!BBHHHBB", frame, offset)
    header = (first & 0x0F) * 4
    # Fragments: only a whole datagram has its UDP header and payload together.
    if protocol != _UDP or flags_fragment & 0x3FFF or header < 20:
        return None
    end = min(len(frame), offset + total) if total else len(frame)
    return _udp(time, frame[offset + 12 : offset + 16], frame[offset + 16 : offset + 20], frame, offset + header, end)


def _ipv6(time: float, frame: bytes, offset: int) -> Datagram | None:
    if len(frame) < offset + 40:
        return None
    payload_length = int.from_bytes(frame[offset + 4 : offset + 6], "big")
    next_header = frame[offset + 6]
    src, dst = frame[offset + 8 : offset + 24], frame[offset + 24 : offset + 40]
    end = min(len(frame), offset + 40 + payload_length)
    offset += 40
    while next_header in _IPV6_EXTENSIONS and offset + 2 <= end:
        next_header, offset = frame[offset], offset + 8 + frame[offset + 1] * 8
    if next_header != _UDP:
        return None  # not UDP, or a fragment (44)
    return _udp(time, src, dst, frame, offset, end)


def _udp(time: float, src: bytes, dst: bytes, frame: bytes, offset: int, end: int) -> Datagram | None:
    if offset + 8 > end:
        return None
    sport, dport, length = struct.unpack_from("!HHH", frame, offset)
    if length < 8:
        return None
    return Datagram(time, src, sport, dst, dport, frame[offset + 8 : min(end, offset + length)])


# --- writing (for tests and tools): classic pcap, Ethernet or raw IP ----------------------


def write_pcap(packets: list[tuple[float, bytes]], linktype: int = LINKTYPE_ETHERNET,
               nanoseconds: bool = False) -> bytes:
    """A pcap file of (time, frame) records."""
    magic, scale = (0xA1B23C4D, 10 ** 9) if nanoseconds else (0xA1B2C3D4, 10 ** 6)
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for time, frame in packets:
        seconds = int(time)
        out.append(struct.pack("<IIII", seconds, round((time - seconds) * scale), len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def write_pcapng(packets: list[tuple[float, bytes]], linktype: int = LINKTYPE_ETHERNET) -> bytes:
    """A pcapng file: one section, one interface (microseconds), Enhanced Packet Blocks."""
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           _block(1, struct.pack("<HHI", linktype, 0, 262144))]
    for time, frame in packets:
        stamp = round(time * 10 ** 6)
        body = struct.pack("<IIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame)) + \
            struct.pack("<I", len(frame)) + frame + bytes(-len(frame) % 4)
        out.append(_block(6, body))
    return b"".join(out)


def _block(kind: int, body: bytes) -> bytes:
    length = len(body) + 12
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def udp_frame(src: str, sport: int, dst: str, dport: int, payload: bytes) -> bytes:
    """An Ethernet frame with an IPv4 or IPv6 UDP datagram (checksums zero, as on loopback)."""
    import ipaddress

    source, destination = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if source.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, _UDP, 0, source.packed,
                         destination.packed)
        ethertype = _ETHERTYPE_IPV4
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(udp), _UDP, 64, source.packed, destination.packed)
        ethertype = _ETHERTYPE_IPV6
    return bytes(12) + struct.pack("!H", ethertype) + ip + udp
