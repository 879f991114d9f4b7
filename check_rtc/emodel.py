# SPDX-License-Identifier: GPL-3.0-or-later
"""The E-model of ITU-T G.107 (06/2015): transmission rating R and MOS from loss and delay.

Pure computation, no I/O. Not the "simplified" E-model of other tools
(R = 93.2 - delay/40 - 2.5 x loss): every term of G.107 §7 is computed
from the parameters of Table 3 with their default values, so that an
operator can see which impairment costs how much.

    R = Ro - Is - Id - Ie,eff + A                                  (§7.1, eq. 7-1)

Inputs from a media path: the one-way mouth-to-ear delay, the packet loss
(%) and its burstiness, and the codec. The delay is built as documented in
`mouth_to_ear_ms`: half the RTCP round trip (network) + jitter buffer +
packetization + codec look-ahead. G.107 §7.4 uses three delays; for a VoIP
path without other information we set T = Ta = that delay and Tr = 2T
(the echo path is the whole round trip), as G.107 Note 7.4 and G.108 do
for a single-link connection.

Codec values (Ie, Bpl) come from ITU-T G.113 (11/2007) Appendix I, Tables
I.1 and I.3, where it gives them; CODECS names the source of every row and
marks the approximations (see the README's E-model section).
"""

from __future__ import annotations

import math
from collections import namedtuple


class Parameters(namedtuple("Parameters", "SLR RLR STMR LSTR Ds Dr TELR WEPL qdu Nc Nfor Ps Pr A mT sT")):
    """G.107 Table 3: the parameters this model does not take from the path, with their defaults."""

    __slots__ = ()


DEFAULTS = Parameters(SLR=8.0, RLR=2.0, STMR=15.0, LSTR=18.0, Ds=3.0, Dr=3.0, TELR=65.0, WEPL=110.0, qdu=1.0,
                      Nc=-70.0, Nfor=-64.0, Ps=35.0, Pr=35.0, A=0.0, mT=100.0, sT=1.0)


class Codec(namedtuple("Codec", "name sdp_names payload_types ie bpl ptime_ms clock_rate lookahead_ms source")):
    """A codec's E-model values and RTP facts (clock rate per RFC 3551 / its payload format)."""

    __slots__ = ()
    name: str
    sdp_names: tuple[str, ...]
    payload_types: tuple[int, ...]
    ie: float
    bpl: float
    ptime_ms: float
    clock_rate: int
    lookahead_ms: float
    source: str


G113 = "G.113 App. I"
CODECS: dict[str, Codec] = {c.name: c for c in (
    # Ie: G.113 Table I.1; Bpl: G.113 Table I.3 (random loss).
    Codec("g711", ("PCMU", "PCMA"), (0, 8), 0.0, 25.1, 20, 8000, 0.0, f"{G113} (PLC of G.711 App. I)"),
    Codec("g711-noplc", (), (), 0.0, 4.3, 20, 8000, 0.0, f"{G113} (no PLC)"),
    Codec("g729a", ("G729",), (18,), 11.0, 19.0, 20, 8000, 5.0, f"{G113} (G.729A+VAD)"),
    Codec("g723.1", ("G723",), (4,), 15.0, 16.1, 30, 8000, 7.5, f"{G113} (6.3 kbit/s + VAD)"),
    # G.113 gives Ie 20 for GSM-FR but no Bpl: GSM-EFR's 10.0 (Table I.3) stands in.
    Codec("gsm-fr", ("GSM",), (3,), 20.0, 10.0, 20, 8000, 0.0, f"{G113} Ie; Bpl approximation (GSM-EFR's)"),
    # iLBC is not in G.113 (11/2007): Ie of G.729A and a G.711-PLC-like Bpl, its frames being independent.
    Codec("ilbc", ("iLBC",), (), 11.0, 25.1, 20, 8000, 5.0, "approximation (not in G.113)"),
    # Wideband codecs on the narrowband scale: G.107.1's wideband gain (Rmax 129) is not modelled,
    # so G.722 and Opus score like G.711 with PLC at best.
    Codec("g722", ("G722",), (9,), 0.0, 25.1, 20, 8000, 1.5, "approximation (narrowband scale, not G.107.1)"),
    Codec("opus", ("opus",), (), 0.0, 25.1, 20, 48000, 6.5, "approximation (narrowband scale, not G.107.1)"),
)}
DEFAULT_CODEC = "g711"
# The jitter buffer a receiver needs to absorb the interarrival jitter; 2 x J is
# the usual nominal setting (RFC 3611 §4.7.7 reports the real one when present).
JITTER_BUFFER_FACTOR = 2.0


class Rating(namedtuple("Rating", "r mos ro is_ id_ ie_eff a delay_ms loss_percent")):
    """R, MOS and each G.107 term, for showing how a rating came about."""

    __slots__ = ()
    r: float
    mos: float
    ro: float
    is_: float
    id_: float
    ie_eff: float
    a: float
    delay_ms: float
    loss_percent: float


def codec_by_sdp(name: str | None, payload_type: int | None) -> Codec | None:
    """The codec an SDP encoding name or a static payload type stands for."""
    for codec in CODECS.values():
        if (name and name.lower() in (n.lower() for n in codec.sdp_names)) or payload_type in codec.payload_types:
            return codec
    return None


def mouth_to_ear_ms(rtt_ms: float, jitter_ms: float, codec: Codec) -> float:
    """One-way delay: network (RTT/2) + jitter buffer (2 x jitter) + packetization + look-ahead."""
    return rtt_ms / 2.0 + JITTER_BUFFER_FACTOR * jitter_ms + codec.ptime_ms + codec.lookahead_ms


# --- §7.2 basic signal-to-noise ratio Ro -----------------------------------------


def noise_floor(p: Parameters = DEFAULTS) -> float:
    """No (eq. 7-3): circuit, room and terminal noise powers added."""
    olr = p.SLR + p.RLR
    nos = p.Ps - p.SLR - p.Ds - 100 + 0.004 * (p.Ps - olr - p.Ds - 14) ** 2  # eq. 7-4
    pre = p.Pr + 10 * math.log10(1 + 10 ** ((10 - p.LSTR) / 10))  # eq. 7-6
    nor = p.RLR - 121 + pre + 0.008 * (pre - 35) ** 2  # eq. 7-5
    nfo = p.Nfor + p.RLR  # eq. 7-7
    return 10 * math.log10(sum(10 ** (n / 10) for n in (p.Nc, nos, nor, nfo)))


def ro(p: Parameters = DEFAULTS) -> float:
    """Ro = 15 - 1.5 (SLR + No) (eq. 7-2)."""
    return 15 - 1.5 * (p.SLR + noise_floor(p))


# --- §7.3 simultaneous impairment Is ------------------------------------------------


def simultaneous_impairment(t_ms: float, p: Parameters = DEFAULTS) -> float:
    """Is = Iolr + Ist + Iq (eq. 7-8)."""
    no = noise_floor(p)
    xolr = p.SLR + p.RLR + 0.2 * (64 + no - p.RLR)  # eq. 7-10
    iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8)  # eq. 7-9
    stmro = -10 * math.log10(10 ** (-p.STMR / 10) + math.exp(-t_ms / 4) * 10 ** (-p.TELR / 10))  # eq. 7-12
    ist = (12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8) - 28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35)
           - 13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) + 29)  # eq. 7-11
    q = 37 - 15 * math.log10(p.qdu)  # eq. 7-17
    g = 1.07 + 0.258 * q + 0.0602 * q ** 2  # eq. 7-16
    y = (ro(p) - 100) / 15 + 46 / 8.4 - g / 9  # eq. 7-14
    z = 46 / 30 - g / 40  # eq. 7-15
    iq = 15 * math.log10(1 + 10 ** y + 10 ** z)  # eq. 7-13
    return iolr + ist + iq


# --- §7.4 delay impairment Id ---------------------------------------------------------


def delay_impairment(t_ms: float, ta_ms: float, tr_ms: float, p: Parameters = DEFAULTS) -> float:
    """Id = Idte + Idle + Idd (eq. 7-18): talker echo, listener echo, absolute delay."""
    return _talker_echo(t_ms, p) + _listener_echo(tr_ms, p) + _absolute_delay(ta_ms, p)


def _talker_echo(t_ms: float, p: Parameters) -> float:
    """Idte (eq. 7-19 to 7-21); with STMR < 9 dB TERV gains Ist/2 (eq. 7-22), not at the defaults."""
    roe = -1.5 * (noise_floor(p) - p.RLR)
    terv = p.TELR - 40 * math.log10((1 + t_ms / 10) / (1 + t_ms / 150)) + 6 * math.exp(-0.3 * t_ms ** 2)
    re = 80 + 2.5 * (terv - 14)
    return ((roe - re) / 2 + math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - math.exp(-t_ms))


def _listener_echo(tr_ms: float, p: Parameters) -> float:
    """Idle (eq. 7-25, 7-26)."""
    rle = 10.5 * (p.WEPL + 7) * (tr_ms + 1) ** -0.25
    r0 = ro(p)
    return (r0 - rle) / 2 + math.sqrt((r0 - rle) ** 2 / 4 + 169)


def _absolute_delay(ta_ms: float, p: Parameters) -> float:
    """Idd (eq. 7-27, 7-28): 0 up to mT = 100 ms."""
    if ta_ms <= p.mT:
        return 0.0
    x = math.log10(ta_ms / p.mT) / math.log10(2)
    six = 6 * p.sT
    return 25 * ((1 + x ** six) ** (1 / six) - 3 * (1 + (x / 3) ** six) ** (1 / six) + 2)


# --- §7.5 equipment impairment Ie,eff ---------------------------------------------------


def effective_equipment_impairment(codec: Codec, loss_percent: float, burst_ratio: float = 1.0) -> float:
    """Ie,eff = Ie + (95 - Ie) x Ppl / (Ppl/BurstR + Bpl) (eq. 7-29)."""
    ppl = max(0.0, loss_percent)
    return codec.ie + (95 - codec.ie) * ppl / (ppl / max(1.0, burst_ratio) + codec.bpl)


# --- R and MOS ------------------------------------------------------------------------


def rating(codec: Codec, loss_percent: float, delay_ms: float, burst_ratio: float = 1.0,
           p: Parameters = DEFAULTS) -> Rating:
    """R (eq. 7-1) and MOS for a path with this one-way delay (T = Ta, Tr = 2T) and loss."""
    r0 = ro(p)
    is_ = simultaneous_impairment(delay_ms, p)
    id_ = delay_impairment(delay_ms, delay_ms, 2 * delay_ms, p)
    ie_eff = effective_equipment_impairment(codec, loss_percent, burst_ratio)
    r = r0 - is_ - id_ - ie_eff + p.A
    return Rating(r, mos_from_r(r), r0, is_, id_, ie_eff, p.A, delay_ms, loss_percent)


def mos_from_r(r: float) -> float:
    """G.107 Annex B, eq. B-4: MOS_CQE from R."""
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6
