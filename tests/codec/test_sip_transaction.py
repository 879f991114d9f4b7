# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP non-INVITE client transaction under a fake clock: timers E and F (RFC 3261 §17.1.2)."""

from __future__ import annotations

from check_rtc.codec import sip
from check_rtc.codec.sip_transaction import (Answered, Discarded, Event, Provisional, RequestKey, SipTransaction,
                                             TimedOut)

KEY = RequestKey("z9hG4bK-1", "c1@check_sip", 1, "OPTIONS")
REQUEST = sip.encode_request(sip.RequestSpec("OPTIONS", "sip:example.test", "udp", "127.0.0.1", 5062,
                                             "sip:check_sip@example.test", "t1", "sip:example.test", KEY.call_id,
                                             KEY.cseq, KEY.branch, "check_sip"))
START = 1000.0


def response(code: int = 200, branch: str = KEY.branch, call_id: str = KEY.call_id, cseq: str = "1 OPTIONS") -> bytes:
    return (f"SIP/2.0 {code} Reason\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch={branch}\r\nCall-ID: {call_id}\r\n"
            f"CSeq: {cseq}\r\nContent-Length: 0\r\n\r\n").encode()


def events(transaction: SipTransaction) -> list[Event]:
    found = []
    while (event := transaction.next_event()) is not None:
        found.append(event)
    return found


def started(reliable: bool = False) -> SipTransaction:
    transaction = SipTransaction(REQUEST, KEY, reliable=reliable)
    transaction.start(START)
    assert transaction.datagrams_to_send() == [REQUEST]
    return transaction


def send_times(transaction: SipTransaction, until: float) -> list[float]:
    sent = []
    while (timer := transaction.get_timer()) is not None and timer <= until:
        transaction.handle_timer(timer)
        sent += [timer - START] * len(transaction.datagrams_to_send())
    return sent


def test_udp_timer_e_doubles_to_t2_and_timer_f_ends_at_64_t1() -> None:
    transaction = started()
    # RFC 3261 §17.1.2.2: E at T1, then MIN(2*T1, T2)...: 0.5, 1, 2, 4, 4, 4 ... until F at 32 s.
    assert send_times(transaction, START + 31.9) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert transaction.get_timer() == START + 32.0
    transaction.handle_timer(START + 32.0)
    assert events(transaction) == [TimedOut(sends=11, after=32.0)]
    assert transaction.get_timer() is None and transaction.datagrams_to_send() == []


def test_reliable_transport_never_retransmits() -> None:
    transaction = started(reliable=True)
    assert transaction.get_timer() == START + 32.0
    assert send_times(transaction, START + 40) == []
    assert events(transaction) == [TimedOut(sends=1, after=32.0)]


def test_provisional_moves_to_proceeding_where_e_is_t2() -> None:
    transaction = started()
    transaction.receive(response(100), START + 0.1)
    assert [type(e) for e in events(transaction)] == [Provisional]
    assert send_times(transaction, START + 9) == [0.5, 4.5, 8.5]


def test_final_answer_ends_with_rtt_from_the_first_send() -> None:
    transaction = started()
    send_times(transaction, START + 0.5)
    transaction.receive(response(404), START + 0.75)
    [answer] = events(transaction)
    assert isinstance(answer, Answered) and (answer.response.code, answer.rtt, answer.sends) == (404, 0.75, 2)
    assert transaction.get_timer() is None
    transaction.receive(response(200), START + 0.8)  # after the end: ignored
    assert events(transaction) == []


def test_responses_for_other_requests_are_discarded() -> None:
    transaction = started()
    for data, reason in (
        (response(branch="z9hG4bK-2"), "SIP response for another branch (top Via)"),
        (response(call_id="other"), "SIP response with another Call-ID"),
        (response(cseq="2 OPTIONS"), "SIP response with another CSeq (2 OPTIONS)"),
        (response(cseq="1 INVITE"), "SIP response with another CSeq (1 INVITE)"),
        (response(cseq="one"), "SIP CSeq 'one' is not 'NUMBER METHOD'"),
        (b"garbage\r\n\r\n", "SIP status line expected, got 'garbage'"),
    ):
        transaction.receive(data, START + 0.1)
        assert events(transaction) == [Discarded(reason)]
    assert transaction.get_timer() == START + 0.5  # still waiting
