# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: the SIP and WebSocket decoders raise DecodeError and nothing else (codec layer)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import sip, websocket
from check_rtc.codec.sip_transaction import RequestKey, SipTransaction
from check_rtc.errors import DecodeError
from tests.codec.test_sip import KAMAILIO_200



def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """`seed` with a slice replaced by arbitrary bytes, or cut short."""
    return st.tuples(st.integers(0, len(seed)), st.integers(0, 40), st.binary(max_size=40)).map(
        lambda t: seed[: t[0]] + t[2] + seed[t[0] + t[1]:])


SIPISH = st.one_of(st.binary(max_size=300), mutated(KAMAILIO_200),
                   st.lists(st.sampled_from([b"SIP/2.0 200 OK", b"\r\n", b":", b"l: 5", b"Content-Length: 99999",
                                             b" folded", b"\n", b"v: x;branch=", b"CSeq: 1"]), max_size=30)
                   .map(b"".join))


@given(SIPISH)
def test_decode_response_raises_only_decode_error(data: bytes) -> None:
    try:
        response = sip.decode_response(data)
    except DecodeError as error:
        assert str(error).startswith("SIP ")
    else:
        assert 100 <= response.code <= 699


@given(st.lists(SIPISH, max_size=5))
def test_stream_framer_raises_only_decode_error(chunks: list[bytes]) -> None:
    framer = sip.StreamFramer()
    try:
        for chunk in chunks:
            framer.receive_data(chunk)
            while framer.next_message() is not None:
                pass
    except DecodeError as error:
        assert str(error).startswith("SIP ")


@given(st.lists(SIPISH, max_size=5))
def test_transaction_discards_instead_of_raising(messages: list[bytes]) -> None:
    transaction = SipTransaction(b"OPTIONS", RequestKey("b", "c", 1, "OPTIONS"), reliable=False)
    transaction.start(0.0)
    for message in messages:
        transaction.receive(message, 0.1)
    while transaction.next_event() is not None:
        pass


@given(st.text(max_size=200))
def test_challenge_parser_raises_only_decode_error(text: str) -> None:
    try:
        sip.parse_challenge(text)
    except DecodeError as error:
        assert str(error).startswith("SIP ")


@given(st.lists(st.binary(max_size=80), max_size=6))
def test_frame_decoder_raises_only_decode_error(chunks: list[bytes]) -> None:
    decoder = websocket.FrameDecoder()
    try:
        for chunk in chunks:
            decoder.receive_data(chunk)
            while decoder.next_message() is not None:
                pass
    except DecodeError as error:
        assert str(error).startswith("WebSocket ")


@given(st.binary(max_size=300))
def test_handshake_check_raises_only_decode_error(data: bytes) -> None:
    try:
        websocket.check_handshake(data, "dGhlIHNhbXBsZSBub25jZQ==")
    except DecodeError as error:
        assert str(error).startswith("WebSocket ")
