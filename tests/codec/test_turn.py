# SPDX-License-Identifier: GPL-3.0-or-later
"""TURN client codec: REST credentials, the long-term credential state, integrity on answers."""

from __future__ import annotations

import base64
import hashlib
import hmac

from check_rtc.codec import stun, turn
from check_rtc.codec.stun_transaction import Answered, Discarded, StunTransaction, TimedOut, Unauthentic


def error(request: stun.Message, code: int, *extra: tuple[str, object]) -> stun.Message:
    return stun.Message(request.method, stun.Class.ERROR, request.transaction_id,
                        (("ERROR-CODE", (code, "x")),) + extra)


def test_rest_credentials_follow_the_turn_rest_api() -> None:
    credentials = turn.rest_credentials("s3cr3t", "alice", 600, now=1_700_000_000.9)
    assert credentials.username == "1700000600:alice"
    expected = hmac.new(b"s3cr3t", b"1700000600:alice", hashlib.sha1).digest()
    assert base64.b64decode(credentials.password) == expected
    assert "password=<hidden>" in repr(credentials) and credentials.password not in repr(credentials)


def test_a_401_challenge_teaches_realm_and_nonce_then_requests_are_signed() -> None:
    auth = turn.Authenticator(turn.Credentials("user", "pw"))
    first = auth.request(stun.Method.ALLOCATE, turn.allocate())
    assert first.get("USERNAME") is None and not auth.ready
    assert auth.learn(error(first, 401, ("REALM", "example.test"), ("NONCE", "abc")))
    second = auth.request(stun.Method.ALLOCATE, turn.allocate(6))
    assert (second.get("USERNAME"), second.get("REALM"), second.get("NONCE")) == ("user", "example.test", "abc")
    assert second.get("REQUESTED-ADDRESS-FAMILY") == 0x02 and second.get("REQUESTED-TRANSPORT") == 17
    assert auth.key == stun.long_term_key("user", "example.test", "pw")


def test_a_second_401_means_wrong_credentials_not_another_retry() -> None:
    auth = turn.Authenticator(turn.Credentials("user", "pw"))
    request = auth.request(stun.Method.ALLOCATE, turn.allocate())
    assert auth.learn(error(request, 401, ("REALM", "r"), ("NONCE", "n1")))
    assert not auth.learn(error(request, 401, ("REALM", "r"), ("NONCE", "n2")))


def test_stale_nonce_is_retried_once_with_the_new_nonce() -> None:
    auth = turn.Authenticator(turn.Credentials("user", "pw"))
    request = auth.request(stun.Method.REFRESH, turn.refresh(0))
    auth.learn(error(request, 401, ("REALM", "r"), ("NONCE", "old")))
    assert auth.learn(error(request, 438, ("NONCE", "new")))
    assert auth.request(stun.Method.REFRESH, turn.refresh(0)).get("NONCE") == "new"
    assert not auth.learn(error(request, 438, ("NONCE", "new")))  # same nonce again: give up


def test_without_credentials_a_challenge_is_not_retried() -> None:
    auth = turn.Authenticator(None)
    request = auth.request(stun.Method.ALLOCATE, turn.allocate())
    assert not auth.learn(error(request, 401, ("REALM", "r"), ("NONCE", "n")))
    assert auth.realm == "r"


def test_error_reasons_carry_a_hint() -> None:
    request = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST, stun.new_transaction_id())
    assert turn.error_reason(error(request, 486)).startswith("486 Allocation Quota Reached: ")
    assert turn.error_reason(error(request, 599)) == "599 x"


def signed_transaction(reliable: bool) -> tuple[StunTransaction, stun.Message, bytes]:
    key = stun.long_term_key("user", "r", "pw")
    request = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST, stun.new_transaction_id(),
                           (("USERNAME", "user"),))
    data = stun.encode(request, integrity_key=key)
    transaction = StunTransaction(data, request.transaction_id, reliable=reliable, integrity_key=key)
    transaction.start(0.0)
    return transaction, request, key


def success(request: stun.Message, key: bytes | None) -> bytes:
    answer = stun.Message(request.method, stun.Class.SUCCESS, request.transaction_id, (("LIFETIME", 600),))
    return stun.encode(answer, integrity_key=key)


def test_unsigned_success_is_discarded_over_udp_and_reported_at_the_end() -> None:
    transaction, request, key = signed_transaction(reliable=False)
    transaction.receive(success(request, None), 0.1)
    assert isinstance(transaction.next_event(), Discarded)
    transaction.expire(0.5)
    assert transaction.next_event() == Unauthentic(
        "STUN ALLOCATE success response without a valid MESSAGE-INTEGRITY", 1)


def test_unsigned_success_fails_at_once_over_tcp() -> None:
    transaction, request, key = signed_transaction(reliable=True)
    transaction.receive(success(request, stun.long_term_key("user", "r", "other")), 0.1)
    assert isinstance(transaction.next_event(), Unauthentic)
    assert transaction.get_timer() is None


def test_signed_success_and_unsigned_challenge_are_answers() -> None:
    transaction, request, key = signed_transaction(reliable=False)
    transaction.receive(success(request, key), 0.2)
    event = transaction.next_event()
    assert isinstance(event, Answered) and event.rtt == 0.2
    challenge, request2, _ = signed_transaction(reliable=False)
    challenge.receive(stun.encode(error(request2, 438, ("NONCE", "n"))), 0.1)
    assert isinstance(challenge.next_event(), Answered)


def test_expire_without_forgeries_is_a_timeout() -> None:
    transaction, _, _ = signed_transaction(reliable=False)
    transaction.expire(1.0)
    assert transaction.next_event() == TimedOut(1, 1.0)
