# SPDX-License-Identifier: GPL-3.0-or-later
"""The test call's payload: G.711 encoding (values of CPython 3.11's audioop, which it matches for every 16-bit sample) and frame sizes."""

from __future__ import annotations

import pytest

from check_rtc.codec import tone


@pytest.mark.parametrize(("sample", "mu", "a"), [(0, 0xFF, 0xD5), (-1, 0x7E, 0x55), (32767, 0x80, 0xAA),
                                                 (-32768, 0x00, 0x2A), (1000, 0xCE, 0xFA)])
def test_g711(sample: int, mu: int, a: int) -> None:
    assert (tone.mulaw(sample), tone.alaw(sample)) == (mu, a)


def test_frames() -> None:
    pcmu = tone.frame("PCMU", 20)
    assert len(pcmu) == 160 and pcmu[:8] == pcmu[8:16]  # 1 kHz at 8 kHz: 8 samples a period
    assert len(tone.frame("pcma", 30)) == 240
    assert tone.frame("G722", 20) == bytes(160)
    assert tone.frame("opus", 20) == b"\xf8\xff\xfe"
