# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: a stream decoder gives the same result however the bytes are cut.

TCP delivers bytes, not messages: whole, one byte at a time, or cut at any
point, the STUN, SIP, WebSocket and XMPP stream decoders must yield the same
messages (or the same error).
"""

from __future__ import annotations

from typing import Callable

from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import sip, stun, websocket, xmpp
from check_rtc.errors import DecodeError
from tests.codec.test_xmpp import C2S_FEATURES, HEADER, HOST_UNKNOWN, S2S_FEATURES

Outcome = tuple[list[object], str | None]


def cut(data: bytes, points: list[int]) -> list[bytes]:
    """`data` cut at `points`; no empty pieces (a read of b"" means the peer closed)."""
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    return [piece for piece in pieces if piece]


def cuts_of(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """`data` cut at any set of points."""
    return st.lists(st.integers(0, len(data)), max_size=12).map(lambda points: cut(data, sorted(points)))


def drain(feed: Callable[[bytes], None], pull: Callable[[], object | None], chunks: list[bytes]) -> Outcome:
    found: list[object] = []
    try:
        for chunk in chunks:
            feed(chunk)
            while (item := pull()) is not None:
                found.append(item)
    except DecodeError as error:
        return found, str(error)
    return found, None


def stun_outcome(chunks: list[bytes]) -> Outcome:
    framer = stun.StreamFramer()
    return drain(framer.receive_data, framer.next_message, chunks)


def sip_outcome(chunks: list[bytes]) -> Outcome:
    framer = sip.StreamFramer()
    return drain(framer.receive_data, framer.next_message, chunks)


def websocket_outcome(chunks: list[bytes]) -> Outcome:
    decoder = websocket.FrameDecoder()
    return drain(decoder.receive_data, decoder.next_message, chunks)


def xmpp_outcome(chunks: list[bytes]) -> Outcome:
    parser = xmpp.StreamParser()
    return drain(parser.receive_data, parser.next_event, chunks)


def bytewise(data: bytes) -> list[bytes]:
    return [data[i:i + 1] for i in range(len(data))]


STUN_STREAM = (
    stun.encode(stun.binding_request(), fingerprint=True)
    + stun.encode_channel_data(0x4001, b"relayed payload")
    + stun.encode(stun.Message(stun.Method.ALLOCATE, stun.Class.ERROR, bytes(12),
                               (("ERROR-CODE", (401, "Unauthorized")), ("REALM", "example.test"), ("NONCE", "n"))))
)
SIP_STREAM = (
    b"SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 5\r\n\r\nhello"
)
WEBSOCKET_STREAM = (
    websocket.encode_frame(0x1, SIP_STREAM[:40]) + websocket.encode_frame(0x9, b"ping")
    + websocket.encode_frame(0x1, SIP_STREAM[40:])
)
XMPP_STREAM = HEADER + C2S_FEATURES + S2S_FEATURES + HOST_UNKNOWN


@given(cuts_of(STUN_STREAM))
def test_stun_framing_does_not_depend_on_cuts(chunks: list[bytes]) -> None:
    assert stun_outcome(chunks) == stun_outcome([STUN_STREAM]) == stun_outcome(bytewise(STUN_STREAM))
    assert len(stun_outcome(chunks)[0]) == 3


@given(cuts_of(SIP_STREAM))
def test_sip_framing_does_not_depend_on_cuts(chunks: list[bytes]) -> None:
    assert sip_outcome(chunks) == sip_outcome([SIP_STREAM]) == sip_outcome(bytewise(SIP_STREAM))
    assert len(sip_outcome(chunks)[0]) == 2


@given(cuts_of(WEBSOCKET_STREAM))
def test_websocket_framing_does_not_depend_on_cuts(chunks: list[bytes]) -> None:
    whole = websocket_outcome([WEBSOCKET_STREAM])
    assert websocket_outcome(chunks) == whole == websocket_outcome(bytewise(WEBSOCKET_STREAM))


@given(cuts_of(XMPP_STREAM))
def test_xmpp_events_do_not_depend_on_cuts(chunks: list[bytes]) -> None:
    whole = xmpp_outcome([XMPP_STREAM])
    assert whole[0], "the capture yields events"
    assert xmpp_outcome(chunks) == whole == xmpp_outcome(bytewise(XMPP_STREAM))


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=10).map(sorted))
def test_arbitrary_bytes_give_the_same_messages_and_error_however_cut(data: bytes, points: list[int]) -> None:
    chunks = cut(data, points)
    for outcome in (stun_outcome, sip_outcome, websocket_outcome):
        assert outcome(chunks) == outcome(cut(data, [])), outcome.__name__


@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=10).map(sorted))
def test_arbitrary_bytes_give_the_same_xml_events_however_cut(data: bytes, points: list[int]) -> None:
    """Expat may see a bad token only when the byte after it arrives (b"\\t\\x00" in one
    piece: no error yet; in two: an error) and places it by where it stopped
    reading, so for XMPP the events are the same and an error, once both have
    one, is of the same kind; which call reports it, and its column, may differ."""
    (cut_events, cut_error), (whole_events, whole_error) = xmpp_outcome(cut(data, points)), xmpp_outcome(cut(data, []))
    assert cut_events == whole_events
    if cut_error and whole_error:
        assert cut_error.split(":")[0] == whole_error.split(":")[0]
