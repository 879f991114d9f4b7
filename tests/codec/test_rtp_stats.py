# SPDX-License-Identifier: GPL-3.0-or-later
"""Receiver statistics as RFC 3550 A.1, A.3 and A.8 compute them, and the session of the active mode."""

from __future__ import annotations

import random

import pytest

from check_rtc.codec import rtcp
from check_rtc.codec.rtp_session import RtpSession
from check_rtc.codec.rtp_stats import ReceiverStats

PTIME = 0.02
SAMPLES = 160


def feed(stats: ReceiverStats, sequence: list[int], jitter_ms: list[float] | None = None) -> None:
    """Packets sent every 20 ms with 160-sample timestamps; arrival shifted by jitter_ms[i]."""
    for index, seq in enumerate(sequence):
        offset = (jitter_ms[index] if jitter_ms else 0.0) / 1000
        stats.receive(seq, (seq * SAMPLES) & 0xFFFFFFFF, 10.0 + ((seq - sequence[0]) % 65536) * PTIME + offset)


def test_probation_then_counting() -> None:
    """A.1: a source is valid after MIN_SEQUENTIAL = 2 packets in sequence; base_seq is the second."""
    stats = ReceiverStats(1, 8000)
    assert stats.receive(100, 0, 0.0) is False
    assert stats.receive(101, 160, 0.02) is True
    assert (stats.base_seq, stats.received, stats.expected) == (101, 1, 1)


def test_loss_expected_and_fraction() -> None:
    """A.3: expected = extended max - base + 1; lost = expected - received; fraction x 256."""
    stats = ReceiverStats(1, 8000)
    feed(stats, [s for s in range(1000, 1101) if s not in (1010, 1011, 1050, 1099)])
    assert (stats.expected, stats.received, stats.lost) == (100, 96, 4)
    assert stats.interval_fraction() == (4 << 8) // 100
    assert stats.interval_fraction() == 0  # nothing new since: the interval restarts
    assert stats.loss_fraction == pytest.approx(0.04)


def test_sequence_wrap_around_counts_a_cycle() -> None:
    stats = ReceiverStats(1, 8000)
    feed(stats, [(65530 + i) % 65536 for i in range(12)])
    assert (stats.cycles, stats.max_seq, stats.extended_max) == (65536, 5, 65536 + 5)
    assert (stats.expected, stats.lost) == (11, 0)


def test_duplicates_and_reordering() -> None:
    stats = ReceiverStats(1, 8000)
    feed(stats, [1, 2, 3, 5, 4, 6, 6, 7])
    assert (stats.duplicates, stats.reordered) == (1, 1)
    # A.3: duplicates count as received, so the cumulative lost can go below the truth.
    assert (stats.expected, stats.received, stats.lost) == (6, 7, -1)
    assert stats.loss_fraction == 0


def test_a_restarted_source_is_followed_after_two_sequential_packets() -> None:
    """A.1: a jump of more than MAX_DROPOUT is ignored once, then the source is re-synced."""
    stats = ReceiverStats(1, 8000)
    feed(stats, [10, 11, 12])
    assert stats.receive(40000, 0, 1.0) is False
    assert stats.receive(40001, 160, 1.02) is True
    assert (stats.base_seq, stats.received) == (40001, 1)


def test_jitter_of_a_steady_stream_is_zero() -> None:
    stats = ReceiverStats(1, 8000)
    feed(stats, list(range(100)))
    assert stats.jitter == pytest.approx(0, abs=1e-6)


def test_jitter_follows_a_8_of_rfc_3550() -> None:
    """J += (|D| - J) / 16 per packet, D the transit difference in timestamp units."""
    stats = ReceiverStats(1, 8000)
    feed(stats, [0, 1, 2, 3], [0.0, 0.0, 5.0, 0.0])
    # D = 0 (1), 40 (2: 5 ms late = 40 units), 40 (3: back on time)
    first = 40 / 16
    assert stats.jitter == pytest.approx(first + (40 - first) / 16)
    assert stats.jitter_ms == pytest.approx(stats.jitter / 8)


def test_report_block_with_lsr_and_dlsr() -> None:
    stats = ReceiverStats(7, 8000)
    feed(stats, [1, 2, 3])
    stats.sender_report(0x0000_B705_2000_0000, 100.0)
    block = stats.report_block(105.25)
    assert (block.ssrc, block.lsr, block.dlsr, block.highest_sequence) == (7, 0xB7052000, 0x00054000, 3)


def test_burst_ratio_of_random_and_bursty_loss() -> None:
    """G.107 §3.5: BurstR = 1/(p+q); isolated losses give about 1, one long burst far more."""
    random_loss = ReceiverStats(1, 8000)
    feed(random_loss, [s for s in range(1000) if s % 10 != 5])
    bursty = ReceiverStats(2, 8000)
    feed(bursty, [s for s in range(1000) if not 500 <= s < 600])
    assert random_loss.burst_ratio() == pytest.approx(1 / (0.1 + 1), rel=0.02) or random_loss.burst_ratio() >= 1
    assert bursty.burst_ratio() > 50


def test_two_sessions_report_loss_and_round_trip_to_each_other() -> None:
    a = RtpSession(1, 0, 8000, PTIME, 0.0, 2.0, "a", 1e9, random.Random(1))
    b = RtpSession(2, 0, 8000, PTIME, 0.0, 2.0, "b", 1e9, random.Random(2))
    now, sent = 0.0, 0
    while now < 2.1:
        for packet in a.due(now):
            sent += 1
            if not (sent % 10 == 0 and not rtcp.looks_like_rtcp(packet)):  # every 10th RTP packet lost
                b.receive(packet, now + 0.005)
        for packet in b.due(now):
            a.receive(packet, now + 0.005)
        now += 0.001
    b.receive(a.goodbye(now), now + 0.005)
    a.receive(b.goodbye(now + 0.005), now + 0.010)
    assert a.sent_packets == 100 and b.peer_left and a.peer_left
    assert max(entry.block.fraction_lost for entry in a.learned) > 0
    # What b counted is what a learns (a loss after b's highest sequence is not yet a loss, A.3).
    assert a.learned[-1].block.cumulative_lost == b.peer.lost and 8 <= b.peer.lost <= 10
    assert a.learned[-1].rtt == pytest.approx(0.010, abs=0.001)
    assert b.learned[-1].block.cumulative_lost == 0
