# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture reader: pcap (us/ns, both byte orders), pcapng, link types, IPv4/IPv6, what is skipped."""

from __future__ import annotations

import struct

import pytest

from check_rtc.codec import pcap
from check_rtc.errors import DecodeError

PAYLOAD = b"\x80\x00\x00\x01" + bytes(8)
V4 = pcap.udp_frame("192.0.2.1", 4000, "192.0.2.2", 4002, PAYLOAD)
V6 = pcap.udp_frame("2001:db8::1", 4000, "2001:db8::2", 4002, PAYLOAD)


def only(capture: pcap.Capture) -> pcap.Datagram:
    assert len(capture.datagrams) == 1, capture.datagrams
    return capture.datagrams[0]


@pytest.mark.parametrize("nanoseconds", [False, True])
def test_pcap_microseconds_and_nanoseconds(nanoseconds: bool) -> None:
    datagram = only(pcap.read(pcap.write_pcap([(1700000000.25, V4)], nanoseconds=nanoseconds)))
    assert datagram == pcap.Datagram(1700000000.25, bytes([192, 0, 2, 1]), 4000, bytes([192, 0, 2, 2]), 4002, PAYLOAD)


def test_big_endian_pcap() -> None:
    little = pcap.write_pcap([(1.5, V4)])
    header = struct.pack(">IHHiIII", *struct.unpack("<IHHiIII", little[:24]))
    record = struct.pack(">IIII", *struct.unpack("<IIII", little[24:40]))
    assert only(pcap.read(header + record + little[40:])).time == 1.5


def test_pcapng_and_ipv6() -> None:
    capture = pcap.read(pcap.write_pcapng([(10.0, V4), (10.5, V6)]))
    assert [d.time for d in capture.datagrams] == [10.0, 10.5]
    assert capture.datagrams[1].src == bytes.fromhex("20010db8000000000000000000000001")


def test_pcapng_timestamp_resolution_option() -> None:
    """if_tsresol 9: nanoseconds."""
    shb = pcap._block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = pcap._block(1, struct.pack("<HHI", pcap.LINKTYPE_ETHERNET, 0, 65535) + struct.pack("<HHB3x", 9, 1, 9)
                      + struct.pack("<HH", 0, 0))
    stamp = 2_500_000_000
    epb = pcap._block(6, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(V4), len(V4)) + V4
                      + bytes(-len(V4) % 4))
    assert only(pcap.read(shb + idb + epb)).time == 2.5


@pytest.mark.parametrize(("linktype", "prefix"), [
    (pcap.LINKTYPE_LINUX_SLL, bytes(14) + b"\x08\x00"),
    (pcap.LINKTYPE_LINUX_SLL2, b"\x08\x00" + bytes(18)),
    (pcap.LINKTYPE_RAW, b""),
    (pcap.LINKTYPE_NULL, b"\x02\x00\x00\x00"),
])
def test_cooked_raw_and_loopback_link_types(linktype: int, prefix: bytes) -> None:
    frame = prefix + V4[14:]
    assert only(pcap.read(pcap.write_pcap([(1.0, frame)], linktype=linktype))).dport == 4002


def test_vlan_tag() -> None:
    tagged = V4[:12] + b"\x81\x00\x00\x05" + V4[12:]
    assert only(pcap.read(pcap.write_pcap([(1.0, tagged)]))).payload == PAYLOAD


def test_fragments_tcp_and_truncated_frames_are_skipped() -> None:
    fragment = bytearray(V4)
    fragment[14 + 6] = 0x20  # more fragments
    tcp = bytearray(V4)
    tcp[14 + 9] = 6
    capture = pcap.read(pcap.write_pcap([(1.0, bytes(fragment)), (2.0, bytes(tcp)), (3.0, V4[:30]), (4.0, V4)]))
    assert (capture.frames, capture.skipped, len(capture.datagrams)) == (4, 3, 1)


def test_a_capture_cut_short_ends_at_the_last_whole_record() -> None:
    data = pcap.write_pcap([(1.0, V4), (2.0, V4)])
    assert len(pcap.read(data[:-5]).datagrams) == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a", "capture file is neither pcap nor pcapng (unknown magic number)"),
    (pcap.write_pcap([])[:10], "capture pcap file header is truncated"),
    (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x00\x00\x00\x00", "capture pcapng section header has an invalid byte-order magic"),
    (pcap.write_pcapng([])[:-1] + b"\x00" * 13, "capture pcapng block at offset 48 has an invalid length 0"),
])
def test_not_a_capture(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        pcap.read(data)
    assert str(error.value) == message
