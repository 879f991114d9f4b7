# SPDX-License-Identifier: GPL-3.0-or-later
"""The E-model of ITU-T G.107: the reference result, each term, Ie,eff, the R-to-MOS curve."""

from __future__ import annotations

import pytest

from check_rtc import emodel

G711 = emodel.CODECS["g711"]


def test_all_defaults_give_r_93_2() -> None:
    """G.107 §7.7: "the default values ... result in a very high quality with R = 93.2"."""
    rating = emodel.rating(G711, 0.0, 0.0)
    assert rating.r == pytest.approx(93.2, abs=0.01)
    assert rating.mos == pytest.approx(4.41, abs=0.005)


def test_each_term_at_the_defaults() -> None:
    """Ro = 94.77 (eq. 7-2), Is = 1.41 (eq. 7-8), Id = 0.15 at T = 0 (eq. 7-18), Ie,eff = 0, A = 0."""
    assert emodel.noise_floor() == pytest.approx(-61.18, abs=0.01)
    assert emodel.ro() == pytest.approx(94.77, abs=0.01)
    assert emodel.simultaneous_impairment(0) == pytest.approx(1.41, abs=0.01)
    assert emodel.delay_impairment(0, 0, 0) == pytest.approx(0.15, abs=0.01)
    assert emodel.effective_equipment_impairment(G711, 0) == 0


def test_delay_terms() -> None:
    """Idd is zero up to mT = 100 ms, then grows (eq. 7-27); Idte needs T > 0 (eq. 7-19)."""
    assert emodel._absolute_delay(100, emodel.DEFAULTS) == 0
    assert emodel._absolute_delay(200, emodel.DEFAULTS) == pytest.approx(25 * (2 ** (1 / 6) - 3 * (1 + (1 / 3) ** 6) ** (1 / 6) + 2))
    assert emodel._talker_echo(0, emodel.DEFAULTS) == 0
    assert emodel.rating(G711, 0, 400).r == pytest.approx(62.2, abs=0.1)


def test_effective_equipment_impairment() -> None:
    """eq. 7-29: Ie + (95 - Ie) Ppl / (Ppl/BurstR + Bpl)."""
    g729 = emodel.CODECS["g729a"]
    assert emodel.effective_equipment_impairment(g729, 2.0) == pytest.approx(11 + 84 * 2 / (2 + 19.0))
    assert emodel.effective_equipment_impairment(G711, 1.0, burst_ratio=2.0) == pytest.approx(95 * 1 / (0.5 + 25.1))
    assert emodel.effective_equipment_impairment(emodel.CODECS["g711-noplc"], 1.0) == pytest.approx(95 / 5.3)


@pytest.mark.parametrize(("r", "mos"), [(-5, 1.0), (0, 1.0), (50, 2.575), (80, 4.024), (93.2, 4.409), (100, 4.5),
                                        (120, 4.5)])
def test_r_to_mos(r: float, mos: float) -> None:
    """G.107 Annex B: MOS = 1 + 0.035R + R(R-60)(100-R) 7e-6, clamped to 1 and 4.5."""
    assert emodel.mos_from_r(r) == pytest.approx(mos, abs=0.001)


def test_mouth_to_ear_delay() -> None:
    assert emodel.mouth_to_ear_ms(100, 10, emodel.CODECS["g729a"]) == 50 + 20 + 20 + 5


def test_codec_lookup_by_sdp_name_and_static_payload_type() -> None:
    assert emodel.codec_by_sdp("PCMA", None) is G711
    assert emodel.codec_by_sdp(None, 18) is emodel.CODECS["g729a"]
    assert emodel.codec_by_sdp("opus", None) is emodel.CODECS["opus"]
    assert emodel.codec_by_sdp(None, 96) is None


def test_grid_is_monotonic() -> None:
    for codec in emodel.CODECS.values():
        rows = [[emodel.rating(codec, loss, delay).r for delay in (0, 100, 200, 300)] for loss in (0, 1, 3, 5)]
        assert all(row == sorted(row, reverse=True) for row in rows)
        assert all(list(column) == sorted(column, reverse=True) for column in zip(*rows))
