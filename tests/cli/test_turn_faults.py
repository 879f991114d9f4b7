# SPDX-License-Identifier: GPL-3.0-or-later
"""check_turn against misbehaviour coturn will not produce."""

from __future__ import annotations

from check_rtc.codec import stun
from tests.conftest import run_check
from tests.fakes import UdpFake

TIMEOUT = 2.0


def challenge(request: stun.Message) -> bytes:
    answer = stun.Message(stun.Method.ALLOCATE, stun.Class.ERROR, request.transaction_id,
                          (("ERROR-CODE", (401, "Unauthorized")), ("REALM", "fake.test"), ("NONCE", "n0nce")))
    return stun.encode(answer, fingerprint=True)


def run(fake: UdpFake, *extra: str, password_file: str = "") -> object:
    args = ["-H", "127.0.0.1", "-p", str(fake.port), "-t", str(TIMEOUT), *extra]
    if password_file:
        args += ["-u", "user", "--password-file", password_file]
    return run_check("check_turn", *args)


def assert_critical(result, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert (result.returncode, result.state) == (2, "CRITICAL"), result.stdout
    assert reason in result.summary, result.summary
    assert result.elapsed < TIMEOUT + 0.5


def test_garbage_is_ignored_until_the_deadline() -> None:
    with UdpFake(lambda data: [b"\x00\x01garbage that is not STUN"]) as fake:
        result = run(fake)
    assert_critical(result, "unauthenticated Allocate: no valid answer after 3 sends (ignored 3 invalid: STUN ")


def test_answer_for_another_transaction_is_ignored() -> None:
    def other(data: bytes) -> list[bytes]:
        return [challenge(stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST, stun.new_transaction_id()))]

    with UdpFake(other) as fake:
        result = run(fake)
    assert_critical(result, "(ignored 3 invalid: STUN response has another transaction id)")


def test_401_without_realm_and_nonce_is_critical() -> None:
    def bare(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        return [stun.encode(stun.Message(stun.Method.ALLOCATE, stun.Class.ERROR, request.transaction_id,
                                         (("ERROR-CODE", (401, "Unauthorized")),)))]

    with UdpFake(bare) as fake:
        result = run(fake)
    assert_critical(result, "unauthenticated Allocate: 401 without REALM and NONCE")


def test_success_without_message_integrity_is_not_believed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def forged(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        if request.get("USERNAME") is None:
            return [challenge(request)]
        success = stun.Message(stun.Method.ALLOCATE, stun.Class.SUCCESS, request.transaction_id,
                               (("XOR-RELAYED-ADDRESS", ("192.0.2.1", 5000)), ("LIFETIME", 600)))
        return [stun.encode(success, fingerprint=True)]

    password = tmp_path / "pw"
    password.write_text("secret-pw\n")
    with UdpFake(forged) as fake:
        result = run(fake, password_file=str(password))
    # RFC 8489 §9.2.5: discarded over UDP, and "integrity protection was violated" at the end.
    assert_critical(result, "Allocate: STUN ALLOCATE success response without a valid MESSAGE-INTEGRITY")


def test_silence_after_the_challenge_times_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def challenge_then_silence(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        return [] if request.get("USERNAME") else [challenge(request)]

    password = tmp_path / "pw"
    password.write_text("secret-pw\n")
    with UdpFake(challenge_then_silence) as fake:
        result = run(fake, password_file=str(password))
    assert_critical(result, "Allocate: no valid answer after ")


def test_stale_nonce_is_retried_with_the_new_nonce(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """RFC 8489 §9.2.5: a 438 carries a new NONCE; the request is sent again with it.

    The fake grants the Allocate only with the second nonce, then answers the
    rest of the steps with errors, so the check reports how far it got.
    """
    key = stun.long_term_key("user", "fake.test", "secret-pw")
    nonces: list[object] = []

    def stale_once(data: bytes) -> list[bytes]:
        request = stun.decode(data)
        nonces.append(request.get("NONCE"))
        if request.get("USERNAME") is None:
            return [challenge(request)]
        if request.get("NONCE") == "n0nce":
            stale = stun.Message(request.method, stun.Class.ERROR, request.transaction_id,
                                 (("ERROR-CODE", (438, "Stale Nonce")), ("NONCE", "fresh")))
            return [stun.encode(stale)]
        success = stun.Message(request.method, stun.Class.SUCCESS, request.transaction_id,
                               (("XOR-RELAYED-ADDRESS", ("192.0.2.1", 5000)), ("LIFETIME", 600)))
        return [stun.encode(success, integrity_key=key)]

    password = tmp_path / "pw"
    password.write_text("secret-pw\n")
    with UdpFake(stale_once) as fake:
        result = run(fake, password_file=str(password))
    assert nonces[:3] == [None, "n0nce", "fresh"]
    # Allocated with the fresh nonce; the second allocation (same fake port
    # pair) and the relay step then run against a fake that relays nothing.
    assert "Allocate: 438" not in result.stdout
    assert result.state == "CRITICAL" and "relay round trip (Send/Data): no relayed data arrived" in result.summary
