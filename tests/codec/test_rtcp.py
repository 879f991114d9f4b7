# SPDX-License-Identifier: GPL-3.0-or-later
"""RTCP and RTP codec: round trips, RFC 3550 A.2 validity checks, exact error messages, truncation."""

from __future__ import annotations

import struct

import pytest

from check_rtc.codec import rtcp
from check_rtc.errors import DecodeError

BLOCK = rtcp.ReportBlock(0x22222222, 25, -3, 0x0001_0005, 160, 0x12345678, 0x00010000)
VOIP = rtcp.VoipMetrics(0x22222222, 5, 1, 10, 2, 120, 3000, 30, 45, -20, -60, 127, 16, 88, 127, 41, 40, 0x80,
                        60, 120, 200)
COMPOUND = [
    rtcp.SenderReport(0x11111111, rtcp.ntp_timestamp(1.7e9), 160, 10, 1600, (BLOCK,)),
    rtcp.SourceDescription(((0x11111111, (("CNAME", "alice@example.test"), ("TOOL", "check-rtc"))),)),
    rtcp.App(1, 0x11111111, "PING", b"1234"),
    rtcp.ExtendedReport(0x11111111, (VOIP, rtcp.XrBlock(4, 0, b"\x00\x00\x00\x01\x00\x00\x00\x02"))),
    rtcp.Goodbye((0x11111111,), "check done"),
]


def test_compound_round_trip() -> None:
    assert rtcp.decode(rtcp.encode(COMPOUND)) == COMPOUND


def test_receiver_report_round_trip_and_signed_cumulative_lost() -> None:
    report = [rtcp.ReceiverReport(7, (BLOCK, BLOCK._replace(ssrc=8, cumulative_lost=0x7FFFFF)))]
    decoded = rtcp.decode(rtcp.encode(report))
    assert decoded == report
    assert decoded[0].reports[0].cumulative_lost == -3


def test_sender_report_wire_layout() -> None:
    """RFC 3550 §6.4.1: V=2, RC, PT=200, length in 32-bit words minus one."""
    data = rtcp.encode([rtcp.SenderReport(1, 2, 3, 4, 5, ())])
    assert data == struct.pack("!BBHIQIII", 0x80, 200, 6, 1, 2, 3, 4, 5)


def test_voip_metrics_block_is_eight_words() -> None:
    """RFC 3611 §4.7: block type 7, block length 8."""
    data = rtcp.encode([rtcp.ExtendedReport(1, (VOIP,))])
    assert data[8:12] == b"\x07\x00\x00\x08" and len(data) == 8 + 4 + 32


@pytest.mark.parametrize(("data", "message"), [
    (rtcp.encode([rtcp.Goodbye((1,), "")]),
     "RTCP compound packet starts with packet type 203, not SR or RR (RFC 3550 A.2)"),
    (bytes([0xA0]) + rtcp.encode([rtcp.ReceiverReport(1, ())])[1:] ,
     "RTCP compound packet has padding in its first packet (RFC 3550 A.2)"),
    (b"\x40\xc9\x00\x01\x00\x00\x00\x01", "RTCP version 1 is not 2"),
    (rtcp.encode([rtcp.ReceiverReport(1, ())]) + b"\x80\xca\x00\x05",
     "RTCP SDES packet is truncated: its length says 20 bytes, 0 remain"),
    (b"", "RTCP packet is empty"),
    (rtcp.encode([rtcp.ReceiverReport(1, ())])[:6], "RTCP RR packet is truncated: its length says 4 bytes, 2 remain"),
    (b"\x81\xc9\x00\x01\x00\x00\x00\x01", "RTCP RR packet is truncated"),
])
def test_invalid_compounds_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        rtcp.decode(data)
    assert str(error.value) == message


def test_lengths_must_add_up() -> None:
    """A.2: "something wrong with packet format" when the lengths do not end at the compound's end."""
    data = rtcp.encode([rtcp.ReceiverReport(1, ())]) + b"\x80"
    with pytest.raises(DecodeError, match=r"^RTCP header is truncated \(1 bytes after the last packet\)$"):
        rtcp.decode(data)


def test_padding_only_on_the_last_packet() -> None:
    rr = bytearray(rtcp.encode([rtcp.ReceiverReport(1, ())]))
    sdes = bytearray(rtcp.encode([rtcp.SourceDescription(((1, (("CNAME", "x"),)),))]))
    padded_last = bytes(rr) + bytes([sdes[0] | 0x20, sdes[1]]) + (len(sdes) // 4).to_bytes(2, "big") + \
        bytes(sdes[4:]) + b"\x00\x00\x00\x04"
    assert isinstance(rtcp.decode(padded_last)[1], rtcp.SourceDescription)
    rr[0] |= 0x20
    with pytest.raises(DecodeError, match="^RTCP padding on a packet that is not the last of the compound$"):
        rtcp.decode_packets(bytes(rr) + bytes(sdes))


def test_reduced_size_rtcp_decodes_with_decode_packets_only() -> None:
    """RFC 5506: a lone BYE or APP; decode() holds to A.2, decode_packets() does not."""
    data = rtcp.encode([rtcp.App(0, 5, "PING", b"")])
    assert rtcp.decode_packets(data) == [rtcp.App(0, 5, "PING", b"")]
    with pytest.raises(DecodeError):
        rtcp.decode(data)


def test_unknown_packet_types_are_kept() -> None:
    feedback = b"\x81\xcd\x00\x02" + bytes(8)
    packets = rtcp.decode(rtcp.encode([rtcp.ReceiverReport(1, ())]) + feedback)
    assert packets[1] == rtcp.Unknown(205, 1, bytes(8))


def test_voip_metrics_with_a_wrong_length() -> None:
    data = rtcp.encode([rtcp.ReceiverReport(1, ()), rtcp.ExtendedReport(1, (rtcp.XrBlock(7, 0, bytes(28)),))])
    with pytest.raises(DecodeError, match=r"^RTCP XR block type 7 is 28 bytes, not 32 \(RFC 3611 §4.7: block length 8\)$"):
        rtcp.decode(data)


def test_every_truncation_raises_decode_error() -> None:
    data = rtcp.encode(COMPOUND)
    for end in range(len(data)):
        try:
            rtcp.decode_packets(data[:end])
        except DecodeError:
            continue


# --- RTP ---------------------------------------------------------------------------------------


def test_rtp_round_trip() -> None:
    header = rtcp.RtpHeader(True, 0, 65535, 0xFFFFFFF0, 0xDEADBEEF, (1, 2), b"\xff" * 160)
    assert rtcp.decode_rtp(rtcp.encode_rtp(header)) == header


def test_rtp_extension_and_padding_are_removed() -> None:
    fixed = struct.pack("!BBHII", 0xB0, 8, 1, 2, 3)  # V=2, P=1, X=1
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x10\xaa\x00\x00"
    packet = fixed + extension + b"audio" + b"\x00\x00\x03"
    assert rtcp.decode_rtp(packet) == rtcp.RtpHeader(False, 8, 1, 2, 3, (), b"audio")


@pytest.mark.parametrize(("data", "message"), [
    (b"\x40" + bytes(11), "RTP version 1 is not 2"),
    (b"\x80\x00\x00", "RTP header is truncated"),
    (b"\x82" + bytes(11) + b"\x00\x00\x00\x01", "RTP header is truncated"),
    (b"\xa0" + bytes(11) + b"\x05", "RTP padding count is invalid"),
    (b"\x90" + bytes(11) + b"\x00\x00\x00\x02", "RTP header extension is truncated"),
])
def test_invalid_rtp(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        rtcp.decode_rtp(data)
    assert str(error.value) == message


def test_rtcp_is_told_from_rtp_by_packet_type() -> None:
    """RFC 5761 §4: second byte 192-223 is RTCP."""
    assert rtcp.looks_like_rtcp(rtcp.encode([rtcp.ReceiverReport(1, ())]))
    assert not rtcp.looks_like_rtcp(rtcp.encode_rtp(rtcp.RtpHeader(True, 0, 1, 2, 3, (), b"")))


# --- NTP and round trip (§6.4.1) ----------------------------------------------------------------


def test_round_trip_example_of_rfc_3550() -> None:
    """§6.4.1's example: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
    DLSR = 0x0005:4000 (5.250 s): delay 6.125 s."""
    arrival = 0xB7108000 << 16
    assert rtcp.round_trip_seconds(arrival, 0xB7052000, 0x00054000) == 6.125


def test_no_round_trip_without_an_sr_or_from_the_future() -> None:
    assert rtcp.round_trip_seconds(0xB7108000 << 16, 0, 5) is None
    assert rtcp.round_trip_seconds(0xB7050000 << 16, 0xB7052000, 0) is None


def test_ntp_timestamp_of_the_unix_epoch() -> None:
    assert rtcp.ntp_timestamp(0.5) == (rtcp.NTP_UNIX_OFFSET << 32) + (1 << 31)
    assert rtcp.middle_32(rtcp.ntp_timestamp(0.5)) == ((rtcp.NTP_UNIX_OFFSET & 0xFFFF) << 16) | 0x8000
