# SPDX-License-Identifier: GPL-3.0-or-later
"""RTP receiver statistics (codec layer; RFC 3550 A.1, A.3, A.8, §6.4.1).

What an RTP receiver knows of one source, computed exactly as RFC 3550's
appendix code does: sequence validation with probation and wrap-around
(A.1), expected and lost packets, cumulative and fraction lost (A.3),
interarrival jitter (A.8), and the report block a receiver would send.
Arrival times are passed in (seconds, any clock), so this is sans-IO.

Beyond the RFC, for a monitoring verdict: duplicates and reordered packets
(counted against the set of extended sequence numbers seen) and the loss
burstiness of ITU-T G.107 §3.5 (BurstR = 1/(p+q) of the two-state Markov
model, from the received/lost pattern).
"""

from __future__ import annotations

from check_rtc.codec.rtcp import ReportBlock, middle_32

RTP_SEQ_MOD = 1 << 16
# A.1: "MAX_DROPOUT = 3000, MAX_MISORDER = 100, MIN_SEQUENTIAL = 2"
MAX_DROPOUT = 3000
MAX_MISORDER = 100
MIN_SEQUENTIAL = 2
# A.3: the cumulative number lost is clamped to a signed 24-bit field.
LOST_MAX, LOST_MIN = 0x7FFFFF, -0x800000


class ReceiverStats:
    """One source as seen by one receiver (the `source` struct of RFC 3550 A.1)."""

    def __init__(self, ssrc: int, clock_rate: int) -> None:
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.base_seq = self.max_seq = self.bad_seq = self.cycles = 0
        self.received = self.received_prior = self.expected_prior = 0
        self.probation = MIN_SEQUENTIAL
        self.started = False
        self.jitter = 0.0
        self._transit: float | None = None
        self.duplicates = self.reordered = 0
        self._seen: set[int] = set()
        self.last_sr: int = 0  # middle 32 bits of the last SR's NTP timestamp (LSR)
        self.last_sr_arrival: float | None = None

    # -- A.1 -----------------------------------------------------------------
    def _init_seq(self, seq: int) -> None:
        self.base_seq = self.max_seq = seq
        self.bad_seq = RTP_SEQ_MOD + 1  # so seq == bad_seq is false
        self.cycles = self.received = self.received_prior = self.expected_prior = 0
        self._seen.clear()

    def update_seq(self, seq: int) -> bool:
        """A.1 update_seq(): True if the packet counts as valid for this source."""
        if not self.started:
            # A.1: "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL;"
            self._init_seq(seq)
            self.max_seq = (seq - 1) % RTP_SEQ_MOD
            self.started = True
        udelta = (seq - self.max_seq) % RTP_SEQ_MOD
        if self.probation:
            return self._on_probation(seq)
        if udelta < MAX_DROPOUT:
            if seq < self.max_seq:
                self.cycles += RTP_SEQ_MOD  # "Sequence number wrapped - count another 64K cycle."
            self.max_seq = seq
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:
            # "the sequence number made a very large jump"
            if seq != self.bad_seq:
                self.bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1)
                return False
            # "Two sequential packets -- assume that the other side restarted without telling us"
            self._init_seq(seq)
        self.received += 1
        return True

    def _on_probation(self, seq: int) -> bool:
        """A.1: a source is valid after MIN_SEQUENTIAL packets in sequence."""
        if seq == (self.max_seq + 1) % RTP_SEQ_MOD:
            self.probation -= 1
            self.max_seq = seq
            if self.probation == 0:
                self._init_seq(seq)
                self.received += 1
                return True
        else:
            self.probation = MIN_SEQUENTIAL - 1
            self.max_seq = seq
        return False

    # -- A.8 and the packet as a whole -------------------------------------------
    def receive(self, seq: int, timestamp: int, arrival: float) -> bool:
        """One RTP packet (sequence, RTP timestamp) that arrived at `arrival` seconds."""
        if not self.update_seq(seq):
            return False
        self._count_order(self.extended(seq))
        # A.8: transit = arrival - r->ts in timestamp units; J += (|D| - J)/16.
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            self.jitter += (d - self.jitter) / 16.0
        self._transit = transit
        return True

    def extended(self, seq: int) -> int:
        """The extended sequence number of `seq` near the current maximum (behind it when reordered)."""
        ext = self.cycles + seq
        if seq > self.max_seq and seq - self.max_seq > RTP_SEQ_MOD - MAX_MISORDER:
            ext -= RTP_SEQ_MOD  # a late packet from before the last wrap
        return ext

    def _count_order(self, ext: int) -> None:
        if ext in self._seen:
            self.duplicates += 1
        elif ext < self.extended_max and self._seen:
            self.reordered += 1
        self._seen.add(ext)

    # -- A.3 -------------------------------------------------------------------
    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        """A.3: "expected = extended_max - s->base_seq + 1"."""
        return self.extended_max - self.base_seq + 1 if self.received else 0

    @property
    def lost(self) -> int:
        """A.3: cumulative lost, clamped to 24 bits signed (duplicates can make it negative)."""
        return max(LOST_MIN, min(LOST_MAX, self.expected - self.received))

    @property
    def loss_fraction(self) -> float:
        """Lost over expected since the start, 0..1 (never negative)."""
        return max(0, self.expected - self.received) / self.expected if self.expected else 0.0

    @property
    def jitter_ms(self) -> float:
        return self.jitter * 1000.0 / self.clock_rate

    def interval_fraction(self) -> int:
        """A.3: fraction lost since the previous call, 8-bit fixed point; advances the interval."""
        expected, received = self.expected, self.received
        expected_interval = expected - self.expected_prior
        received_interval = received - self.received_prior
        self.expected_prior, self.received_prior = expected, received
        lost_interval = expected_interval - received_interval
        if expected_interval == 0 or lost_interval <= 0:
            return 0
        return (lost_interval << 8) // expected_interval

    # -- §6.4.1 ------------------------------------------------------------------
    def sender_report(self, ntp_timestamp: int, arrival: float) -> None:
        """An SR from this source arrived: remember LSR and when (for DLSR)."""
        self.last_sr = middle_32(ntp_timestamp)
        self.last_sr_arrival = arrival

    def report_block(self, now: float) -> ReportBlock:
        """The reception report a receiver sends about this source at `now` (seconds)."""
        dlsr = 0
        if self.last_sr_arrival is not None:
            # §6.4.1 DLSR: "expressed in units of 1/65536 seconds"
            dlsr = int((now - self.last_sr_arrival) * 65536) & 0xFFFFFFFF
        return ReportBlock(self.ssrc, self.interval_fraction(), self.lost, self.extended_max & 0xFFFFFFFF,
                           int(self.jitter), self.last_sr, dlsr)

    # -- ITU-T G.107 §3.5 ----------------------------------------------------------
    def burst_ratio(self) -> float:
        """BurstR = 1/(p+q): p = P(loss after a received packet), q = P(receipt after a loss).

        1 for random loss (and without loss); above 1 when losses come in bursts.
        """
        if not self.received:
            return 1.0
        received_to_lost = lost_to_received = after_received = after_lost = 0
        previous = True
        for ext in range(self.base_seq, self.extended_max + 1):
            here = ext in self._seen
            if previous:
                after_received += 1
                received_to_lost += not here
            else:
                after_lost += 1
                lost_to_received += here
            previous = here
        if not received_to_lost or not after_lost:
            return 1.0
        p, q = received_to_lost / after_received, lost_to_received / after_lost
        return 1.0 / (p + q) if p + q else 1.0
