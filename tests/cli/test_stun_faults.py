# SPDX-License-Identifier: GPL-3.0-or-later
"""check_stun against misbehaviour no real server produces: silence, garbage, stalls.

Every case must end CRITICAL before -t, naming the endpoint and the step.
"""

from __future__ import annotations

import socket

from check_rtc.codec import stun
from tests.conftest import run_check
from tests.fakes import TcpFake, UdpFake, free_port, silent, stall

TIMEOUT = 2.0


def assert_critical_in_time(result, endpoint: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert endpoint in result.summary and reason in result.summary, result.summary
    assert result.elapsed < TIMEOUT + 0.5, f"took {result.elapsed:.2f}s"


def test_silent_udp_server_times_out_after_retransmissions() -> None:
    with UdpFake(silent) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp", "no valid answer after 3 sends")
    assert len(fake.received) == 3  # RFC 8489 §6.2.1: sends at 0, 0.5 and 1.5 s fit in the budget


def test_closed_udp_port_is_critical_at_once() -> None:
    port = free_port()
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(port), "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{port}/udp", "port unreachable (ICMP)")
    assert result.elapsed < 1.0


def test_answer_for_another_transaction_is_ignored() -> None:
    def other_transaction(data: bytes) -> list[bytes]:
        answer = stun.Message(stun.Method.BINDING, stun.Class.SUCCESS, stun.new_transaction_id(),
                              (("XOR-MAPPED-ADDRESS", ("127.0.0.1", 4242)),))
        return [stun.encode(answer)]

    with UdpFake(other_transaction) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp", "no valid answer after 3 sends (ignored 3 invalid")


def test_garbage_answer_is_ignored() -> None:
    with UdpFake(lambda data: [b"HTTP/1.1 400 Bad Request\r\n\r\n"]) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp", "(ignored 3 invalid: STUN ")


def test_error_response_is_critical_with_code() -> None:
    def refuse(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        answer = stun.Message(stun.Method.BINDING, stun.Class.ERROR, request.transaction_id,
                              (("ERROR-CODE", (400, "Bad Request")),))
        return [stun.encode(answer, fingerprint=True)]

    with UdpFake(refuse, "::1") as fake:
        result = run_check("check_stun", "-H", "::1", "-p", str(fake.port), "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"[::1]:{fake.port}/udp", "Binding error response 400 Bad Request")


def test_stalled_tcp_server_times_out() -> None:
    with TcpFake(stall) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tcp", "no valid answer after 1 sends")


def test_stalled_tls_handshake_times_out() -> None:
    with TcpFake(stall) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tls", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tls", "TLS handshake: timed out")


def read_then_close(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.shutdown(socket.SHUT_RDWR)


def test_server_closing_the_connection_is_critical() -> None:
    with TcpFake(read_then_close) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tcp", "connection closed without a valid answer")


def test_refused_tcp_connection_is_critical() -> None:
    port = free_port(socket.SOCK_STREAM)
    result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{port}/tcp", "connect: connection refused")


def test_unresolvable_host_is_critical() -> None:
    result = run_check("check_stun", "-H", "no-such-host.invalid", "-t", str(TIMEOUT))
    assert_critical_in_time(result, "no-such-host.invalid:3478/udp", "address lookup")


def test_change_request_answered_from_the_primary_address_is_a_warning() -> None:
    def ignores_change_request(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        attributes: tuple[tuple[str, object], ...] = (("XOR-MAPPED-ADDRESS", ("127.0.0.1", 4242)),)
        if request.get("CHANGE-REQUEST") is None:
            attributes += (("OTHER-ADDRESS", ("127.0.0.2", 3479)),)
        return [stun.encode(stun.Message(stun.Method.BINDING, stun.Class.SUCCESS, request.transaction_id, attributes))]

    with UdpFake(ignores_change_request) as fake:
        result = run_check("check_stun", "-H", "127.0.0.1", "-p", str(fake.port), "--alternate", "-t", "5")
    assert (result.returncode, result.state) == (1, "WARNING"), result.stdout
    assert result.summary == (
        f"127.0.0.1:{fake.port}/udp: CHANGE-REQUEST not answered from the alternate address 127.0.0.2:3479: "
        f"no valid answer after 3 sends (ignored 3 invalid: answer came from 127.0.0.1 port {fake.port})")
    assert result.elapsed < 3.0  # the RFC 5780 test waits 2 s, not the whole -t
