# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests: the STUN decoders raise DecodeError and nothing else (codec layer)."""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import stun
from check_rtc.codec.stun import Class, Message, Method
from check_rtc.codec.stun_transaction import Answered, Discarded, StunTransaction
from check_rtc.errors import DecodeError

TID = bytes(range(12))

SEEDS = [
    stun.encode(
        Message(
            Method.ALLOCATE,
            Class.SUCCESS,
            TID,
            (
                ("XOR-RELAYED-ADDRESS", ("2001:db8::7", 49152)),
                ("XOR-MAPPED-ADDRESS", ("192.0.2.1", 32853)),
                ("LIFETIME", 600),
                ("SOFTWARE", "coturn"),
                ("ERROR-CODE", (438, "Stale Nonce")),
                ("UNKNOWN-ATTRIBUTES", (1, 2)),
                ("ICMP", (3, 1, 7)),
                ("ADDRESS-ERROR-CODE", (2, 440, "")),
            ),
        ),
        integrity_key=b"key",
        fingerprint=True,
    ),
    stun.encode(stun.binding_request(TID), fingerprint=True),
]


def _decodes_or_decode_error(data: bytes) -> None:
    try:
        message = stun.decode(data)
    except DecodeError as error:
        assert str(error).startswith("STUN ")
    else:
        assert isinstance(message, Message)


@given(st.binary(max_size=200))
def test_decode_arbitrary_bytes(data: bytes) -> None:
    _decodes_or_decode_error(data)


@st.composite
def stun_shaped(draw: st.DrawFn) -> bytes:
    """A valid header followed by arbitrary attribute bytes of a 4-byte multiple."""
    body = draw(st.binary(max_size=120))
    body += bytes(-len(body) % 4)
    message_type = draw(st.sampled_from([0x0001, 0x0101, 0x0111, 0x0113, 0x0016]))
    return message_type.to_bytes(2, "big") + len(body).to_bytes(2, "big") + b"\x21\x12\xa4\x42" + TID + body


@given(stun_shaped())
def test_decode_well_framed_garbage(data: bytes) -> None:
    _decodes_or_decode_error(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid message with bytes flipped, then truncated or extended."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=24))


@given(mutated())
def test_decode_mutated_messages(data: bytes) -> None:
    _decodes_or_decode_error(data)


@given(mutated())
def test_verify_integrity_raises_only_decode_error(data: bytes) -> None:
    try:
        verified = stun.verify_integrity(data, b"key")
    except DecodeError as error:
        assert str(error).startswith("STUN ")
    else:
        assert isinstance(verified, bool)


@given(st.binary(max_size=80))
def test_decode_channel_data_raises_only_decode_error(data: bytes) -> None:
    try:
        channel, payload = stun.decode_channel_data(data)
    except DecodeError as error:
        assert str(error).startswith("STUN ChannelData ")
    else:
        assert 0x4000 <= channel <= 0x4FFF and len(payload) <= len(data) - 4


@given(st.lists(st.one_of(st.binary(max_size=100), mutated()), max_size=5), st.floats(0, 50))
def test_transaction_receive_never_raises(datagrams: list[bytes], now: float) -> None:
    transaction = StunTransaction(stun.encode(stun.binding_request(TID)), TID, reliable=False)
    transaction.start(0.0)
    for data in datagrams:
        transaction.receive(data, now)
    events = []
    while (event := transaction.next_event()) is not None:
        events.append(event)
    assert all(isinstance(event, (Answered, Discarded)) for event in events)
    assert sum(isinstance(event, Answered) for event in events) <= 1


@given(st.binary(min_size=16, max_size=16))
def test_ipv6_text_round_trips(packed: bytes) -> None:
    value = (str(ipaddress.IPv6Address(packed)), 1)
    message = Message(Method.BINDING, Class.SUCCESS, TID, (("XOR-MAPPED-ADDRESS", value),))
    decoded = stun.decode(stun.encode(message)).get("XOR-MAPPED-ADDRESS")
    assert isinstance(decoded, tuple) and decoded[1] == 1
    ip = decoded[0]
    assert ipaddress.IPv6Address(ip).packed == packed
    if not packed.startswith(bytes(10) + b"\xff\xff"):  # Python 3.13 writes IPv4-mapped ones dotted
        assert ip == value[0]
