# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: the RTCP, RTP and capture decoders raise DecodeError and nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from check_rtc.codec import pcap, rtcp
from check_rtc.codec.rtp_stats import ReceiverStats
from check_rtc.errors import DecodeError
from tests.codec.test_rtcp import COMPOUND

FUZZ = settings(max_examples=300, deadline=None)
SEED = rtcp.encode(COMPOUND)


def _only_decode_error(decoder, data: bytes) -> None:  # type: ignore[no-untyped-def]
    try:
        decoder(data)
    except DecodeError:
        pass


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    for decoder in (rtcp.decode, rtcp.decode_packets, rtcp.decode_rtp, pcap.read):
        _only_decode_error(decoder, data)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=8))
def test_mutated_compound(mutations: list[tuple[int, int]]) -> None:
    data = bytearray(SEED)
    for offset, value in mutations:
        data[offset] = value
    _only_decode_error(rtcp.decode_packets, bytes(data))


@FUZZ
@given(st.binary(max_size=200))
def test_capture_headers_then_garbage(body: bytes) -> None:
    for head in (pcap.write_pcap([]), pcap.write_pcapng([])):
        _only_decode_error(pcap.read, head + body)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 2 ** 32 - 1), st.floats(0, 1e6)), max_size=60))
def test_receiver_statistics_take_any_sequence(packets: list[tuple[int, int, float]]) -> None:
    stats = ReceiverStats(1, 8000)
    for seq, timestamp, arrival in packets:
        stats.receive(seq, timestamp, arrival)
    assert stats.lost >= -0x800000 and 0 <= stats.loss_fraction <= 1
    assert 0 <= stats.interval_fraction() <= 255
    assert stats.burst_ratio() >= 1


@FUZZ
@given(st.lists(st.binary(max_size=80), max_size=20))
def test_stream_analysis_and_session_take_any_datagram(payloads: list[bytes]) -> None:
    """Whatever UDP carries, the analysis and the test session count it or drop it; nothing raises."""
    import random

    from check_rtc.codec.rtp_session import RtpSession
    from check_rtc.codec.rtp_streams import StreamAnalysis, figures

    analysis = StreamAnalysis(lambda pt: 8000)
    session = RtpSession(1, 0, 8000, 0.02, 0.0, 1.0, "fuzz", 0.0, random.Random(0))
    for index, payload in enumerate(payloads):
        for data in (payload, b"\x80" + payload, b"\x80\xc8" + payload, SEED[:8] + payload):
            analysis.feed(pcap.Datagram(float(index), bytes(4), 1, bytes(4), 2, data))
            session.receive(data, float(index))
    for source in analysis.media_sources():
        figures(source, 8000, 20.0)
