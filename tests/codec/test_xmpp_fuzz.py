# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: the XMPP stream parser raises DecodeError and nothing else (codec layer)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import xmpp
from check_rtc.errors import DecodeError
from tests.codec.test_xmpp import C2S_FEATURES, C2S_TLS_FEATURES, HEADER, HOST_UNKNOWN, S2S_FEATURES

SEED = HEADER + C2S_FEATURES + S2S_FEATURES + C2S_TLS_FEATURES + HOST_UNKNOWN


def feed_all(chunks: list[bytes], max_bytes: int = xmpp.MAX_ELEMENT_BYTES) -> None:
    parser = xmpp.StreamParser(max_bytes)
    try:
        for chunk in chunks + [b""]:
            parser.receive_data(chunk)
            while parser.next_event() is not None:
                pass
    except DecodeError as error:
        assert str(error).startswith("XMPP ")


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_arbitrary_chunks(chunks: list[bytes]) -> None:
    feed_all(chunks)


@st.composite
def mutated(draw: st.DrawFn) -> list[bytes]:
    """The prosody capture with bytes flipped, cut or inserted, fed in random pieces."""
    data = bytearray(SEED)
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(("flip", "cut", "insert")))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[position:position + draw(st.integers(1, 20))]
        else:
            data[position:position] = draw(st.sampled_from((b"<!DOCTYPE a>", b"&lol;", b"<?x?>", b"<", b">",
                                                             b"\x00", b"\xff", b"]]>", b"<a xmlns:b='c'>")))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    return [bytes(data[a:b]) for a, b in zip([0] + cuts, cuts + [len(data)])]


@given(mutated())
def test_mutated_prosody_streams(chunks: list[bytes]) -> None:
    feed_all(chunks)


@given(mutated(), st.integers(1, 400))
def test_mutated_streams_under_a_small_cap(chunks: list[bytes], cap: int) -> None:
    feed_all(chunks, cap)


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    lol = b"<!ENTITY lol0 'lol'>" + b"".join(
        b"<!ENTITY lol%d '%s'>" % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, 10))
    parser = xmpp.StreamParser()
    parser.receive_data(b"<?xml version='1.0'?><!DOCTYPE stream [" + lol + b"]><stream>&lol9;</stream>")
    try:
        parser.next_event()
    except DecodeError as error:
        assert str(error) == "XMPP restricted XML: DOCTYPE not allowed (RFC 6120 §11.1)"
    else:
        raise AssertionError("DOCTYPE accepted")
