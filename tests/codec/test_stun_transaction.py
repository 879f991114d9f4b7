# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN client transaction under a fake clock: plain floats, no I/O (codec layer)."""

import pytest

from check_rtc.codec import stun
from check_rtc.codec.stun import Class, Message, Method
from check_rtc.codec.stun_transaction import Answered, Discarded, Event, StunTransaction, TimedOut

TID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
REQUEST = stun.encode(stun.binding_request(TID))
# RFC 8489 §6.2.1: "requests would be sent at times 0 ms, 500 ms, 1500 ms,
# 3500 ms, 7500 ms, 15500 ms, and 31500 ms"
UDP_SCHEDULE = [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
START = 1000.0  # an arbitrary monotonic clock reading


def _response(cls: Class = Class.SUCCESS, tid: bytes = TID, method: Method = Method.BINDING) -> bytes:
    attributes: tuple[tuple[str, object], ...] = (("XOR-MAPPED-ADDRESS", ("192.0.2.1", 32853)),)
    if cls == Class.ERROR:
        attributes = (("ERROR-CODE", (400, "Bad Request")),)
    return stun.encode(Message(method, cls, tid, attributes), fingerprint=True)


def _events(transaction: StunTransaction) -> list[Event]:
    events = []
    while (event := transaction.next_event()) is not None:
        events.append(event)
    return events


def _run_timers(transaction: StunTransaction, until: float) -> list[float]:
    """Fire every timer due up to `until`; the times at which a request went out."""
    sent = []
    while (timer := transaction.get_timer()) is not None and timer <= until:
        transaction.handle_timer(timer)
        sent += [timer] * len(transaction.datagrams_to_send())
    return sent


def _started(reliable: bool = False) -> StunTransaction:
    transaction = StunTransaction(REQUEST, TID, reliable=reliable)
    transaction.start(START)
    assert transaction.datagrams_to_send() == [REQUEST]
    return transaction


def test_udp_retransmission_schedule_and_timeout() -> None:
    transaction = _started()
    sent = [START, *_run_timers(transaction, START + 39.0)]
    assert [t - START for t in sent] == UDP_SCHEDULE
    assert _events(transaction) == []
    assert transaction.get_timer() == START + 39.5  # Rm * RTO = 8 s after the last send
    transaction.handle_timer(START + 39.5)
    assert _events(transaction) == [TimedOut(sends=7, after=39.5)]
    assert transaction.get_timer() is None
    assert transaction.datagrams_to_send() == []


def test_timer_fired_early_does_nothing() -> None:
    transaction = _started()
    transaction.handle_timer(START + 0.4)
    assert transaction.datagrams_to_send() == []
    assert transaction.get_timer() == START + 0.5


def test_answer_after_third_send_reports_rtt_from_first_send() -> None:
    transaction = _started()
    assert _run_timers(transaction, START + 1.5) == [START + 0.5, START + 1.5]
    transaction.receive(_response(), START + 1.75)
    [event] = _events(transaction)
    assert isinstance(event, Answered)
    assert (event.rtt, event.sends) == (1.75, 3)
    assert event.response.get("XOR-MAPPED-ADDRESS") == ("192.0.2.1", 32853)
    assert transaction.get_timer() is None


def test_response_for_another_transaction_is_discarded_and_transaction_goes_on() -> None:
    transaction = _started()
    transaction.receive(_response(tid=bytes(12)), START + 0.1)
    assert _events(transaction) == [Discarded("STUN response has another transaction id")]
    assert transaction.get_timer() == START + 0.5
    transaction.receive(_response(), START + 0.2)
    [event] = _events(transaction)
    assert isinstance(event, Answered) and event.sends == 1


def test_other_transaction_then_timeout() -> None:
    transaction = _started()
    transaction.receive(_response(tid=bytes(12)), START + 2.0)
    _run_timers(transaction, START + 100)
    assert _events(transaction) == [
        Discarded("STUN response has another transaction id"),
        TimedOut(sends=7, after=39.5),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"garbage", "STUN message has 7 bytes, shorter than the 20-byte header"),
        (REQUEST, "STUN request is not a response"),
        (_response(cls=Class.INDICATION), "STUN indication is not a response"),
        (_response(method=Method.ALLOCATE), "STUN ALLOCATE response does not answer a BINDING request"),
        (_response()[:-1] + b"\x00", "STUN FINGERPRINT"),
    ],
)
def test_non_answers_are_discarded(data: bytes, reason: str) -> None:
    transaction = _started()
    transaction.receive(data, START + 0.1)
    [event] = _events(transaction)
    assert isinstance(event, Discarded) and event.reason.startswith(reason)
    assert transaction.get_timer() == START + 0.5


def test_error_response_is_an_answer() -> None:
    transaction = _started()
    transaction.receive(_response(cls=Class.ERROR), START + 0.03)
    [event] = _events(transaction)
    assert isinstance(event, Answered)
    assert event.response.cls == Class.ERROR
    assert event.response.get("ERROR-CODE") == (400, "Bad Request")
    assert event.rtt == pytest.approx(0.03) and event.sends == 1


def test_reliable_sends_once_and_times_out_after_ti() -> None:
    transaction = _started(reliable=True)
    assert transaction.get_timer() == START + 39.5
    assert _run_timers(transaction, START + 100) == []
    assert _events(transaction) == [TimedOut(sends=1, after=39.5)]


def test_reliable_answer() -> None:
    transaction = _started(reliable=True)
    transaction.receive(_response(), START + 0.2)
    [event] = _events(transaction)
    assert isinstance(event, Answered) and event.sends == 1 and event.rtt == pytest.approx(0.2)


def test_custom_rto_rc_rm() -> None:
    transaction = StunTransaction(REQUEST, TID, reliable=False, rto=1.0, rc=3, rm=4)
    transaction.start(0.0)
    transaction.datagrams_to_send()
    assert _run_timers(transaction, 100.0) == [1.0, 3.0]
    assert _events(transaction) == [TimedOut(sends=3, after=7.0)]


@pytest.mark.parametrize("finish", ["answer", "timeout"])
def test_nothing_after_finish(finish: str) -> None:
    transaction = _started()
    if finish == "answer":
        transaction.receive(_response(), START + 0.1)
    else:
        _run_timers(transaction, START + 100)
    assert len(_events(transaction)) == 1
    transaction.receive(_response(), START + 50)
    transaction.receive(b"garbage", START + 51)
    transaction.handle_timer(START + 52)
    assert _events(transaction) == []
    assert transaction.get_timer() is None
    assert transaction.datagrams_to_send() == []


def test_nothing_before_start() -> None:
    transaction = StunTransaction(REQUEST, TID, reliable=False)
    assert transaction.get_timer() is None
    transaction.receive(_response(), 0.0)
    assert transaction.next_event() is None
    assert transaction.datagrams_to_send() == []


def test_start_twice_is_a_bug() -> None:
    transaction = _started()
    with pytest.raises(RuntimeError):
        transaction.start(START + 1)


@pytest.mark.parametrize(
    ("request_bytes", "tid"),
    [(REQUEST, bytes(12)), (_response(), TID)],
)
def test_request_must_match_transaction(request_bytes: bytes, tid: bytes) -> None:
    with pytest.raises(ValueError, match="needs a request carrying its transaction id"):
        StunTransaction(request_bytes, tid, reliable=False)
