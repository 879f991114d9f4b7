# SPDX-License-Identifier: GPL-3.0-or-later
"""The test call's RTP payload: a 1 kHz tone in G.711, a codec's silence otherwise (codec layer; ITU-T G.711, RFC 3551, RFC 7587).

One 20 ms frame is made once and sent in every packet: at 8000 samples/s a
1000 Hz sine repeats every 8 samples, so 160 samples hold 20 whole periods
and the repeated frame is a continuous tone. G.711 encoding is written here
(a few lines; the stdlib's audioop is gone in Python 3.13). G.722 and Opus
would need their encoders: an Opus packet carries the 3-byte frame libopus
emits for digital silence (RFC 6716 §3.1: config 31, CELT fullband 20 ms),
a G.722 packet zero codes. Loss, jitter and round trip do not depend on
what the payload says.
"""

from __future__ import annotations

import math

TONE_HZ = 1000
SAMPLE_RATE = 8000
AMPLITUDE = 8000  # of 32767: about -12 dBov, clear of clipping
OPUS_SILENCE = b"\xf8\xff\xfe"
# RFC 3551 §4.5.2: G.722 is sampled at 16 kHz, 4 bits a sample on the wire: 8 bytes per ms.
G722_BYTES_PER_MS = 8


def frame(encoding: str, ptime_ms: int) -> bytes:
    """One packet's payload for the SDP encoding name (PCMU, PCMA, G722, opus)."""
    name = encoding.upper()
    if name in ("PCMU", "PCMA"):
        encode = mulaw if name == "PCMU" else alaw
        return bytes(encode(sample) for sample in _sine(ptime_ms * SAMPLE_RATE // 1000))
    if name == "G722":
        return bytes(ptime_ms * G722_BYTES_PER_MS)
    return OPUS_SILENCE


def _sine(count: int) -> list[int]:
    return [round(AMPLITUDE * math.sin(2 * math.pi * TONE_HZ * n / SAMPLE_RATE)) for n in range(count)]


def mulaw(sample: int) -> int:
    """G.711 mu-law of a 16-bit linear sample (14-bit magnitude + bias 33, segment, all bits inverted)."""
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    magnitude = min(-value if value < 0 else value, 8159) + 0x21
    if magnitude > 0x1FFF:  # beyond the last segment: its top code
        return 0x7F ^ mask
    segment = max(0, magnitude.bit_length() - 6)
    return ((segment << 4) | (magnitude >> (segment + 1)) & 0x0F) ^ mask


def alaw(sample: int) -> int:
    """G.711 A-law of a 16-bit linear sample (13-bit magnitude, even bits inverted: XOR 0x55)."""
    mask = 0xD5 if sample >= 0 else 0x55
    magnitude = min(sample if sample >= 0 else -sample - 1, 32767)
    if magnitude < 256:
        code = magnitude >> 4
    else:
        exponent = magnitude.bit_length() - 8
        code = exponent << 4 | (magnitude >> (exponent + 3)) & 0x0F
    return code ^ mask
