# SPDX-License-Identifier: GPL-3.0-or-later
"""Media quality of one stream: loss, jitter, round trip and the G.107 rating they give (no judging).

The one place where a stream's figures (from RTCP reports, captured RTP,
XR VoIP Metrics or the RTP-MIB) meet the E-model, so that every source of
check_rtcp rates alike. Thresholds are for checks/rtcp.py.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc import emodel


class Quality(namedtuple("Quality", "label name origin codec loss_percent jitter_ms rtt_ms rating detail")):
    """`label` for perfdata, `name` for people; rtt_ms is None when no round trip was measurable."""

    __slots__ = ()
    label: str
    name: str
    origin: str
    codec: emodel.Codec
    loss_percent: float
    jitter_ms: float
    rtt_ms: float | None
    rating: emodel.Rating
    detail: str

    def headline(self) -> str:
        """The status-line form: name, MOS, R, loss, jitter, round trip."""
        rtt = f"RTT {self.rtt_ms:.2f} ms" if self.rtt_ms is not None else "RTT unknown"
        return (f"{self.name}: MOS {self.rating.mos:.2f}, R {self.rating.r:.1f}, loss {self.loss_percent:.2f}%, "
                f"jitter {self.jitter_ms:.2f} ms, {rtt}")

    def describe(self) -> str:
        """'MOS 4.41, R 93.2 (...terms), loss 0.00%, jitter 0.12 ms, RTT 0.35 ms, G.711 from RTCP (...)'."""
        r = self.rating
        rtt = f"RTT {self.rtt_ms:.2f} ms" if self.rtt_ms is not None else "RTT unknown (delay from jitter only)"
        terms = (f"Ro {r.ro:.1f} - Is {r.is_:.1f} - Id {r.id_:.1f} - Ie,eff {r.ie_eff:.1f} + A {r.a:.0f}, "
                 f"one-way delay {r.delay_ms:.1f} ms")
        return (f"{self.name}: MOS {r.mos:.2f}, R {r.r:.1f} ({terms}), loss {self.loss_percent:.2f}%, "
                f"jitter {self.jitter_ms:.2f} ms, {rtt}, {self.codec.name}, from {self.origin}"
                + (f" ({self.detail})" if self.detail else ""))


def assess(label: str, name: str, origin: str, codec: emodel.Codec, loss_percent: float, jitter_ms: float,
           rtt_ms: float | None, burst_ratio: float = 1.0, end_system_delay_ms: float | None = None,
           detail: str = "") -> Quality:
    """Rate a stream: one-way delay per emodel.mouth_to_ear_ms, or RTT/2 + the end system
    delay an RFC 3611 §4.7.5 report gives (it already holds jitter buffer and codec)."""
    network = rtt_ms or 0.0
    if end_system_delay_ms is not None:
        delay = network / 2 + end_system_delay_ms
    else:
        delay = emodel.mouth_to_ear_ms(network, jitter_ms, codec)
    rating = emodel.rating(codec, loss_percent, delay, burst_ratio)
    return Quality(label, name, origin, codec, loss_percent, jitter_ms, rtt_ms, rating, detail)
