# SPDX-License-Identifier: GPL-3.0-or-later
"""check_sip against misbehaviour no real server produces: garbage, strangers' answers, stalls.

Every case must end CRITICAL before -t, naming the endpoint and the step.
"""

from __future__ import annotations

import socket

from tests.conftest import run_check
from tests.fakes import TcpFake, UdpFake, free_port, silent, stall

TIMEOUT = 2.0


def assert_critical_in_time(result, summary: str) -> None:  # type: ignore[no-untyped-def]
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary == summary
    assert result.perfdata == {}
    assert result.elapsed < TIMEOUT + 0.5, f"took {result.elapsed:.2f}s"


def answer(request: bytes, status: str = "200 OK", call_id: str | None = None) -> bytes:
    """A response to `request` copying Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2)."""
    lines = request.decode().split("\r\n")
    copied = [line for line in lines if line.split(":")[0] in ("Via", "From", "To", "Call-ID", "CSeq")]
    if call_id is not None:
        copied = [f"Call-ID: {call_id}" if line.startswith("Call-ID:") else line for line in copied]
    return ("\r\n".join([f"SIP/2.0 {status}", *copied, "Content-Length: 0", "", ""])).encode()


def check_udp(port: int, *extra: str):  # type: ignore[no-untyped-def]
    return run_check("check_sip", "-H", "127.0.0.1", "-p", str(port), "-T", "udp", "-t", str(TIMEOUT), *extra)


def test_silent_udp_server_times_out_after_timer_e_retransmissions() -> None:
    with UdpFake(silent) as fake:
        result = check_udp(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp: no final answer after 3 sends")
    # RFC 3261 §17.1.2.2: timer E at T1 = 0.5 s, then 1 s: sends at 0, 0.5 and 1.5 s fit in 1.9 s.
    assert len(fake.received) == 3
    assert len({request.split(b"branch=")[1][:30] for request in fake.received}) == 1  # retransmissions


def test_closed_udp_port_is_critical_at_once() -> None:
    port = free_port()
    result = check_udp(port)
    assert_critical_in_time(result, f"127.0.0.1:{port}/udp: port unreachable (ICMP)")
    assert result.elapsed < 1.0


def test_answer_with_another_call_id_is_ignored() -> None:
    with UdpFake(lambda data: [answer(data, call_id="someone-else@example")]) as fake:
        result = check_udp(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp: no final answer after 3 sends "
                                    "(ignored 3 invalid: SIP response with another Call-ID)")


def test_garbage_is_ignored() -> None:
    with UdpFake(lambda data: [b"HTTP/1.1 400 Bad Request\r\n\r\n"]) as fake:
        result = check_udp(fake.port)
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp: no final answer after 3 sends "
                                    "(ignored 3 invalid: SIP status line expected, got 'HTTP/1.1 400 Bad Request')")


def test_provisional_answers_end_nothing() -> None:
    with UdpFake(lambda data: [answer(data, "100 Trying")]) as fake:
        result = check_udp(fake.port)
    # RFC 3261 §17.1.2.2: in "Proceeding" timer E is reset to T2 (4 s): sends at 0 and 0.5 s only.
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/udp: no final answer after 2 sends "
                                    "(last provisional: 100 Trying)")


def test_late_final_answer_after_provisional_is_taken() -> None:
    with UdpFake(lambda data: [answer(data, "100 Trying"), answer(data, "200 Fine")], "::1") as fake:
        result = run_check("check_sip", "-H", "::1", "-p", str(fake.port), "-T", "udp", "-t", str(TIMEOUT))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout
    assert result.summary.startswith(f"[::1]:{fake.port}/udp: 200 Fine in ")


def serve_answer(conn: socket.socket, status: str = "200 OK") -> None:
    conn.sendall(answer(conn.recv(65536), status))
    stall(conn)


def never_ending_header(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"SIP/2.0 200 OK\r\n")
    try:
        for number in range(100000):
            conn.sendall(b"X-Filler-%d: %s\r\n" % (number, b"y" * 60))
    except OSError:
        pass


def test_never_ending_header_is_critical_at_once() -> None:
    with TcpFake(never_ending_header) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tcp: SIP header section exceeds 16384 bytes")
    assert result.elapsed < 1.0


def test_answer_over_tcp_is_framed_by_content_length() -> None:
    with TcpFake(serve_answer) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert (result.returncode, result.state) == (0, "OK"), result.stdout


def test_silence_after_tcp_connect_times_out() -> None:
    with TcpFake(stall) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tcp: no final answer after 1 send")


def test_server_closing_the_connection_is_critical() -> None:
    def read_then_close(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.shutdown(socket.SHUT_RDWR)

    with TcpFake(read_then_close) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tcp", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tcp: connection closed before a final answer")


def test_stalled_tls_handshake_times_out() -> None:
    with TcpFake(stall) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "tls", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/tls: TLS handshake: timed out")


def test_websocket_handshake_refused_is_critical() -> None:
    def not_websocket(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        stall(conn)

    with TcpFake(not_websocket) as fake:
        result = run_check("check_sip", "-H", "127.0.0.1", "-p", str(fake.port), "-T", "ws", "-t", str(TIMEOUT))
    assert_critical_in_time(result, f"127.0.0.1:{fake.port}/ws: WebSocket handshake refused: 'HTTP/1.1 404 Not Found'")


def test_unresolvable_host_is_critical() -> None:
    result = run_check("check_sip", "-H", "no-such-host.invalid", "-T", "udp", "-t", str(TIMEOUT))
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert result.summary.startswith("no-such-host.invalid:5060/udp: address lookup failed")


def test_usage_errors_are_unknown() -> None:
    for args, message in (
        (["-H", "x", "--expect", "7xx"], "'7xx' is not a SIP code (100-699), class (2xx) or range (200-299)"),
        (["-H", "x", "--expect", "300-200"], "'300-200' is not a SIP code"),
        (["-H", "x", "-T", "sctp"], "transport 'sctp' is not one of udp,tcp,tls,ws,wss"),
        (["-H", "x", "--ws-path", "sip"], "--ws-path 'sip' must start with '/'"),
        (["-H", "x", "--warning-days", "soon"], "'soon' is not a number of days"),
    ):
        result = run_check("check_sip", *args)
        assert (result.returncode, result.state) == (3, "UNKNOWN"), result.stdout
        assert message in result.summary, result.summary


def test_username_without_password_is_unknown() -> None:
    result = run_check("check_sip", "-H", "127.0.0.1", "-u", "alice")
    assert (result.returncode, result.state) == (3, "UNKNOWN")
    assert result.summary == "-u needs a password: --password-file FILE or $CHECK_RTC_PASSWORD"
    missing = run_check("check_sip", "-H", "127.0.0.1", "-u", "alice", "--password-file", "/nonexistent")
    assert (missing.returncode, missing.summary) == (3, "argument --password-file: no such file: /nonexistent")
    assert "usage: check_sip" in missing.stdout
