# SPDX-License-Identifier: GPL-3.0-or-later
"""check_xmpp against misbehaviour no real server produces: silence, garbage, stalls, bad XML.

Every case must end CRITICAL before -t, naming the endpoint and the step.
"""

from __future__ import annotations

import socket
import time

import pytest

from tests.conftest import run_check
from tests.fakes import TcpFake, free_port, stall

TIMEOUT = 2.0
HEADER = (b"<?xml version='1.0'?><stream:stream from='example.test' id='fake' version='1.0'"
          b" xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
NO_STARTTLS = HEADER + (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                        b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
STARTTLS = HEADER + (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
                     b"</starttls></stream:features>")


def after_header(*answers: bytes, then: str = "stall") -> object:
    """A server that reads the client's header, then writes `answers` (one per client write)."""

    def serve(conn: socket.socket) -> None:
        try:
            for answer in answers:
                conn.recv(65536)
                conn.sendall(answer)
            if then == "close":
                conn.shutdown(socket.SHUT_RDWR)
            else:
                stall(conn)
        except OSError:
            pass

    return serve


def endless(prefix: bytes, chunk: bytes) -> object:
    """A server that answers with `prefix`, then `chunk` again and again."""

    def serve(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(prefix)
            while True:
                conn.sendall(chunk)
                time.sleep(0.001)
        except OSError:
            pass

    return serve


def check(port: int, *args: str) -> object:
    return run_check("check_xmpp", "-H", "127.0.0.1", "-d", "example.test", "-p", str(port), "-t", str(TIMEOUT),
                     *args)


def assert_critical_in_time(result, summary: str) -> None:  # type: ignore[no-untyped-def]
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == summary
    assert result.elapsed < TIMEOUT + 0.5, f"took {result.elapsed:.2f}s"


@pytest.mark.parametrize("serve, reason", [
    (stall, "stream header: timed out"),
    (after_header(HEADER), "stream features: timed out"),
    (after_header(b"SSH-2.0-OpenSSH_9.2\r\n"), "XMPP stream is not well-formed XML: syntax error: line 1, column 0"),
    (after_header(b"<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY a 'b'>]>"),
     "XMPP restricted XML: DOCTYPE not allowed (RFC 6120 §11.1)"),
    (after_header(HEADER + b"<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                  b"</stream:error></stream:stream>"), "stream error policy-violation"),
    (after_header(HEADER + b"<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>"
                  b"xmpp2.example.test</see-other-host></stream:error>"),
     "stream error see-other-host (see other host xmpp2.example.test)"),
    (after_header(NO_STARTTLS), "STARTTLS not offered (RFC 6120 §5.3.1)"),
    (after_header(STARTTLS, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
     "STARTTLS refused with <failure/> (RFC 6120 §5.4.2.2)"),
    (after_header(STARTTLS, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "TLS handshake: timed out"),
    (after_header(HEADER, then="close"), "stream features: connection closed by the server"),
    (after_header(b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
                  b"<stream:features/>"), "stream version '' is not 1.x (RFC 6120 §4.7.5)"),
])
def test_misbehaving_server_is_critical(serve, reason: str) -> None:  # type: ignore[no-untyped-def]
    with TcpFake(serve) as fake:
        result = check(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/starttls: {reason}")


def test_a_never_ending_stream_header_is_cut_off() -> None:
    with TcpFake(endless(b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' ", b"a='b' " * 1000)) as fake:
        result = check(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/starttls: XMPP element exceeds 262144 bytes")


def test_a_never_ending_stanza_is_cut_off() -> None:
    with TcpFake(endless(HEADER + b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>",
                         b"<x/>" * 1000)) as fake:
        result = check(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/starttls: XMPP element exceeds 262144 bytes")


def test_a_trickle_ends_at_the_deadline() -> None:
    with TcpFake(endless(HEADER + b"<stream:features>", b" ")) as fake:
        result = check(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/starttls: stream features: timed out")


def test_stalled_direct_tls_handshake_times_out() -> None:
    with TcpFake(stall) as fake:
        result = check(fake.port, "-T", "tls")
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tls: TLS handshake: timed out")


def test_refused_connection_is_critical() -> None:
    port = free_port(socket.SOCK_STREAM)
    result = check(port)
    assert_critical_in_time(result, f"127.0.0.1:{port}/starttls: connect: connection refused")


@pytest.mark.parametrize("args, message", [
    (["-H", "127.0.0.1", "-u", "monitor"], "XMPP UNKNOWN - -u needs a JID like user@example.org, not 'monitor'"),
    (["-d", "example.test", "-m", "s2s", "-u", "a@example.test"],
     "XMPP UNKNOWN - -u logs in over c2s; it does not go with -m s2s"),
    (["-d", "example.test", "--require-dialback"],
     "XMPP UNKNOWN - --require-dialback and --require-external go with -m s2s"),
    (["-d", "example.test", "-T", "udp"], "XMPP UNKNOWN - argument -T/--transport: transport 'udp' is not one of "
                                          "starttls,tls"),
    (["-d", "example.test", "--warning-days", "soon"],
     "XMPP UNKNOWN - argument --warning-days: 'soon' is not a number of days"),
    (["-d", "example.test", "-u", "a@example.test", "--password-file", "/nonexistent"],
     "XMPP UNKNOWN - argument --password-file: no such file: /nonexistent"),
    ([], "XMPP UNKNOWN - give -H HOST or -d DOMAIN"),
])
def test_bad_usage_is_one_unknown_line(args: list[str], message: str) -> None:
    result = run_check("check_xmpp", *args)
    assert result.returncode == 3
    assert result.stdout.splitlines()[0] == message
