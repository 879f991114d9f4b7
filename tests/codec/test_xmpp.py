# SPDX-License-Identifier: GPL-3.0-or-later
"""XMPP stream codec on bytes captured from prosody 0.12 (codec layer; RFC 6120)."""

from __future__ import annotations

import pytest

from check_rtc.codec import xmpp
from check_rtc.codec.xmpp import (ConnectionClosed, Features, OtherElement, StreamClosed, StreamError, StreamOpened,
                                  StreamParser, TlsFailure, TlsProceed)
from check_rtc.errors import DecodeError

# Captured from the lab's prosody 0.12.3 (c2s, STARTTLS required; then after TLS).
HEADER = (b"<?xml version='1.0'?><stream:stream xml:lang='en' from='example.test' id='9e22496b-3eaa'"
          b" xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xmlns='jabber:client'>")
C2S_FEATURES = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                b"</stream:features>")
C2S_TLS_FEATURES = (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                    b"</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>")
# s2s with encryption optional: dialback and an optional STARTTLS.
S2S_FEATURES = (b"<stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
                b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
HOST_UNKNOWN = (b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text"
                b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve nope.test</text>"
                b"</stream:error></stream:stream>")
STREAM_OPEN = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"


def events(*chunks: bytes, parser: StreamParser | None = None) -> list[xmpp.Event]:
    parser = parser or StreamParser()
    found = []
    for chunk in chunks:
        parser.receive_data(chunk)
        while (event := parser.next_event()) is not None:
            found.append(event)
    return found


def test_prosody_c2s_header_and_features() -> None:
    assert events(HEADER + C2S_FEATURES) == [
        StreamOpened("example.test", "9e22496b-3eaa", "1.0"),
        Features("required", (), False, ("urn:ietf:params:xml:ns:xmpp-tls:starttls",)),
    ]


def test_features_after_tls_list_the_mechanisms_in_order() -> None:
    features = events(HEADER + C2S_TLS_FEATURES)[1]
    assert features == Features(None, ("PLAIN", "SCRAM-SHA-1"), False, ("urn:ietf:params:xml:ns:xmpp-sasl:mechanisms",))


def test_s2s_optional_starttls_and_dialback() -> None:
    features = events(HEADER + S2S_FEATURES)[1]
    assert (features.starttls, features.dialback) == ("optional", True)


def test_byte_at_a_time_gives_the_same_events() -> None:
    data = HEADER + C2S_FEATURES + b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    assert events(*(bytes([b]) for b in data)) == events(data)


def test_proceed_failure_and_other_elements() -> None:
    assert events(STREAM_OPEN, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                  b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", b"<message/>")[1:] == [
        TlsProceed(), TlsFailure(), OtherElement("message")]


def test_stream_error_with_text_then_end_of_stream() -> None:
    assert events(HEADER + HOST_UNKNOWN)[1:] == [
        StreamError("host-unknown", "This server does not serve nope.test", ""), StreamClosed()]


def test_see_other_host_carries_the_new_host() -> None:
    error = (b"<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:db8::5]:5222"
             b"</see-other-host></stream:error>")
    assert events(STREAM_OPEN + error)[1] == StreamError("see-other-host", "", "[2001:db8::5]:5222")


def test_eof_while_the_stream_is_open() -> None:
    assert events(STREAM_OPEN, b"")[1:] == [ConnectionClosed()]


def test_restart_begins_a_new_document() -> None:
    parser = StreamParser()
    events(HEADER + C2S_FEATURES + b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", parser=parser)
    parser.restart()
    assert events(HEADER + C2S_TLS_FEATURES, parser=parser)[0] == StreamOpened("example.test", "9e22496b-3eaa", "1.0")


def test_stream_header_to_and_from() -> None:
    assert xmpp.stream_header("example.test", "peer.test", xmpp.SERVER_NS) == (
        b"<?xml version='1.0'?><stream:stream to='example.test' from='peer.test' version='1.0'"
        b" xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>")
    assert b"to='a&apos;b&lt;'" in xmpp.stream_header("a'b<")


def test_peer_text_is_one_clean_line() -> None:
    error = (b"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text"
             b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'>line one\nline | two&#9;" + b"x" * 300
             + b"</text></stream:error>")
    text = events(STREAM_OPEN + error)[1].text
    assert text.startswith("line one line two x") and "|" not in text and "\n" not in text
    assert len(text) == xmpp.MAX_TEXT_CHARS + 3


@pytest.mark.parametrize("data, message", [
    (b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]><lolz>&lol2;</lolz>",
     "XMPP restricted XML: DOCTYPE not allowed (RFC 6120 §11.1)"),
    (STREAM_OPEN + b"<!ENTITY x 'y'>", "XMPP restricted XML: markup declaration or comment not allowed (RFC 6120 §11.1)"),
    (STREAM_OPEN + b"<!-- hello -->", "XMPP restricted XML: markup declaration or comment not allowed (RFC 6120 §11.1)"),
    (STREAM_OPEN + b"<?php x?>", "XMPP restricted XML: processing instruction not allowed (RFC 6120 §11.1)"),
    (b"<html><body>", "XMPP stream header expected, got <html>"),
    (STREAM_OPEN + b"<a>&foo;</a>", "XMPP stream is not well-formed XML: undefined entity: line 1, column 80"),
    (b"SSH-2.0-OpenSSH_9.2\r\n", "XMPP stream is not well-formed XML: syntax error: line 1, column 0"),
    (STREAM_OPEN + b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>a b"
     b"</mechanism></mechanisms></stream:features>", "XMPP SASL mechanism name is not valid: 'a b'"),
])
def test_refused_input_raises_decode_error_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as error:
        events(data)
    assert str(error.value) == message


def test_doctype_split_across_chunks_is_refused() -> None:
    with pytest.raises(DecodeError, match="DOCTYPE not allowed"):
        events(b"<?xml version='1.0'?><", b"!DOCTYPE x>")


def test_an_element_that_never_ends_hits_the_cap() -> None:
    parser = StreamParser(max_element_bytes=1000)
    events(STREAM_OPEN + b"<message><body>", parser=parser)
    with pytest.raises(DecodeError) as error:
        for _ in range(20):
            events(b"x" * 100, parser=parser)
    assert str(error.value) == "XMPP element exceeds 1000 bytes"


def test_a_never_ending_stream_header_hits_the_cap() -> None:
    parser = StreamParser(max_element_bytes=1000)
    with pytest.raises(DecodeError, match="XMPP element exceeds 1000 bytes"):
        events(b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' ", *[b"a='b' " * 50] * 10,
               parser=parser)


def test_completed_elements_reset_the_cap_and_leave_the_tree() -> None:
    parser = StreamParser(max_element_bytes=1000)
    events(STREAM_OPEN, parser=parser)
    for _ in range(50):
        assert events(b"<message>" + b"x" * 500 + b"</message>", parser=parser) == [OtherElement("message")]
    assert parser._root is not None and len(parser._root) == 0
