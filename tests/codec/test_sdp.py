# SPDX-License-Identifier: GPL-3.0-or-later
"""SDP offer and answer (RFC 8866, RFC 3264): our offer, baresip's answer, the refusals, and the decode contract."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import sdp
from check_rtc.errors import DecodeError

PCMU = sdp.PayloadFormat(0, "PCMU", 8000, 1)
PCMA = sdp.PayloadFormat(8, "PCMA", 8000, 1)
OPUS = sdp.PayloadFormat(111, "opus", 48000, 2)
# An answer in the shape of baresip 1.0's to an offer of PCMU and PCMA (written here, not a capture).
BARESIP_ANSWER = (b"v=0\r\no=- 1510 2212 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  b"m=audio 31004 RTP/AVP 0 8\r\nb=AS:64\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
                  b"a=sendrecv\r\na=label:1\r\na=ssrc:1419399137 cname:sip:callee@127.0.0.1\r\na=ptime:20\r\n")


def test_offer() -> None:
    assert sdp.encode_offer("127.0.0.1", 40000, [PCMU, OPUS], 7, 20) == (
        b"v=0\r\no=check_rtc_call 7 7 IN IP4 127.0.0.1\r\ns=check_rtc_call\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        b"m=audio 40000 RTP/AVP 0 111\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/2\r\na=ptime:20\r\n"
        b"a=sendrecv\r\n")
    assert b"c=IN IP6 ::1" in sdp.encode_offer("::1", 40000, [PCMU], 7, 20)


def test_baresip_answer() -> None:
    accepted = sdp.answered_media(sdp.decode(BARESIP_ANSWER), [PCMA, PCMU])
    assert accepted == sdp.Accepted(PCMU, "127.0.0.1", 31004, 31005, "sendrecv")


def test_answer_numbering_rtcp_attribute_and_direction() -> None:
    answer = (b"v=0\r\no=x 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 96\r\nc=IN IP6 ::1\r\n"
              b"a=rtpmap:96 OPUS/48000/2\r\na=rtcp:5003\r\na=recvonly\r\n")
    assert sdp.answered_media(sdp.decode(answer), [PCMU, OPUS]) == sdp.Accepted(
        OPUS._replace(payload_type=96), "::1", 5000, 5003, "recvonly")


def test_refusals() -> None:
    refused = b"v=0\r\no=x 1 1 IN IP4 a\r\nc=IN IP4 127.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n"
    assert sdp.answered_media(sdp.decode(refused), [PCMU]) is None
    other = b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 18\r\n"
    assert sdp.answered_media(sdp.decode(other), [PCMU]) == sdp.Accepted(None, "127.0.0.1", 9, 10, "sendrecv")


@pytest.mark.parametrize(("data", "message"), [
    (b"", "SDP does not start with v=0"),
    (b"v=1\r\n", "SDP does not start with v=0"),
    (b"v=0\r\nnonsense\r\n", "SDP line is not <type>=<value>: 'nonsense'"),
    (b"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "SDP m= port '70000' is not 0-65535"),
    (b"v=0\r\nm=audio\r\n", "SDP m= line has fewer than 3 fields: 'audio'"),
    (b"v=0\r\nc=IN IP9 x\r\n", "SDP c= line is not 'IN IP4|IP6 <address>': 'IN IP9 x'"),
    (b"v=0\r\n" + b"a=x\r\n" * 20000, "SDP body exceeds 65536 bytes"),
])
def test_decode_errors(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        sdp.decode(data)
    assert str(error.value) == message


def test_answer_without_connection() -> None:
    with pytest.raises(DecodeError, match="^SDP answer has no c= line for its audio stream$"):
        sdp.answered_media(sdp.decode(b"v=0\r\nm=audio 9 RTP/AVP 0\r\n"), [PCMU])


@given(st.binary(max_size=600))
def test_arbitrary_bytes_only_decode_error(data: bytes) -> None:
    try:
        sdp.answered_media(sdp.decode(b"v=0\r\n" + data), [PCMU, OPUS])
    except DecodeError:
        pass


@given(st.lists(st.sampled_from(BARESIP_ANSWER.split(b"\r\n")) | st.binary(max_size=30), max_size=20))
def test_mutated_answers_only_decode_error(lines: list[bytes]) -> None:
    try:
        sdp.answered_media(sdp.decode(b"\r\n".join([b"v=0", *lines])), [PCMU])
    except DecodeError:
        pass
