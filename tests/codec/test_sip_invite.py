# SPDX-License-Identifier: GPL-3.0-or-later
"""INVITE client transaction and dialog (RFC 3261 §17.1.1, §12, §13.2.2.4, §9.1; RFC 6026) on a fake clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from check_rtc.codec import sip
from check_rtc.codec.events import Discarded, TimedOut
from check_rtc.codec.sip_invite import Accepted, Dialog, InviteTransaction, Progressed, Rejected

SPEC = sip.RequestSpec("INVITE", "sip:callee@example.test", "udp", "127.0.0.1", 5099, "sip:mon@example.test", "ft1",
                       "sip:callee@example.test", "c1@x", 1, "z9hG4bK-1", "t", (("Contact", "<sip:mon@127.0.0.1:5099>"),),
                       body=b"v=0\r\n", content_type="application/sdp")


def response(code: int, reason: str, *extra: str, branch: str = "z9hG4bK-1", method: str = "INVITE") -> bytes:
    lines = [f"SIP/2.0 {code} {reason}", f"Via: SIP/2.0/UDP 127.0.0.1:5099;branch={branch}",
             "From: <sip:mon@example.test>;tag=ft1", "To: <sip:callee@example.test>;tag=tt9", "Call-ID: c1@x",
             f"CSeq: 1 {method}", *extra, "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def events(transaction: InviteTransaction) -> list[object]:
    found = []
    while (event := transaction.next_event()) is not None:
        found.append(event)
    return found


def test_timer_a_doubles_and_timer_b_times_out() -> None:
    transaction = InviteTransaction(SPEC, reliable=False)
    transaction.start(0.0)
    sends = [0.0]
    while (timer := transaction.get_timer()) is not None:
        transaction.handle_timer(timer)
        if transaction.datagrams_to_send():
            sends.append(timer)
    assert sends == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert events(transaction) == [TimedOut(7, 32.0)]


def test_reliable_has_only_timer_b() -> None:
    transaction = InviteTransaction(SPEC, reliable=True)
    transaction.start(10.0)
    assert len(transaction.datagrams_to_send()) == 1 and transaction.get_timer() == 42.0


def test_provisional_stops_retransmission_and_allows_cancel() -> None:
    transaction = InviteTransaction(SPEC, reliable=False)
    transaction.start(0.0)
    assert transaction.cancel() is None  # §9.1: no CANCEL before a provisional answer
    transaction.receive(response(180, "Ringing"), 0.2)
    assert transaction.get_timer() is None
    assert [type(e) for e in events(transaction)] == [Progressed]
    cancel = sip.encode_request(transaction.cancel())  # type: ignore[arg-type]
    assert cancel.startswith(b"CANCEL sip:callee@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-1;")
    assert b"CSeq: 1 CANCEL\r\n" in cancel and b"Contact" not in cancel and cancel.endswith(b"Content-Length: 0\r\n\r\n")


def test_rejection_is_acknowledged_again_for_each_retransmission() -> None:
    transaction = InviteTransaction(SPEC, reliable=False)
    transaction.start(0.0)
    transaction.datagrams_to_send()
    transaction.receive(response(486, "Busy Here"), 0.1)
    [event] = events(transaction)
    assert isinstance(event, Rejected) and event.response.code == 486 and event.after == 0.1
    [ack] = transaction.datagrams_to_send()
    assert ack.startswith(b"ACK sip:callee@example.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-1;")
    assert b"To: <sip:callee@example.test>;tag=tt9\r\n" in ack and b"CSeq: 1 ACK\r\n" in ack
    transaction.receive(response(486, "Busy Here"), 0.6)
    assert transaction.datagrams_to_send() == [ack] and events(transaction) == []
    assert transaction.get_timer() == 32.1  # timer D


def test_accepted_passes_retransmitted_2xx_until_timer_m() -> None:
    transaction = InviteTransaction(SPEC, reliable=False)
    transaction.start(0.0)
    transaction.datagrams_to_send()
    ok = response(200, "OK", "Contact: <sip:callee@127.0.0.1:15072>")
    transaction.receive(ok, 0.3)
    transaction.receive(ok, 0.8)
    assert [type(e) for e in events(transaction)] == [Accepted, Accepted]
    assert transaction.datagrams_to_send() == []  # the 2xx ACK is the dialog's
    transaction.handle_timer(32.3)
    assert transaction.state == "terminated"


def test_responses_for_other_requests_are_discarded() -> None:
    transaction = InviteTransaction(SPEC, reliable=True)
    transaction.start(0.0)
    transaction.receive(response(200, "OK", branch="z9hG4bK-2"), 0.1)
    transaction.receive(response(200, "OK", method="BYE"), 0.1)
    transaction.receive(b"garbage", 0.1)
    assert events(transaction) == [Discarded("SIP response for another branch (top Via)"),
                                   Discarded("SIP response with another CSeq (1 BYE)"),
                                   Discarded("SIP message has no end of header section")]


def test_dialog_routes_ack_bye_and_answers() -> None:
    ok = sip.decode_response(response(200, "OK", "Record-Route: <sip:p2;lr>, <sip:p1;lr>",
                                      "Contact: \"B\" <sip:callee@127.0.0.1:15072;transport=udp>;expires=60"))
    dialog = Dialog(SPEC, ok)
    assert (dialog.remote_tag, dialog.remote_target, dialog.route_set) == (
        "tt9", "sip:callee@127.0.0.1:15072;transport=udp", ["sip:p1;lr", "sip:p2;lr"])
    ack = dialog.ack()
    assert ack.startswith(b"ACK sip:callee@127.0.0.1:15072;transport=udp SIP/2.0\r\n")
    assert b"Route: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\n" in ack and b"CSeq: 1 ACK\r\n" in ack
    bye, key = dialog.bye()
    assert b"CSeq: 2 BYE\r\n" in bye and b";tag=tt9\r\n" in bye and key.cseq == 2 and key.method == "BYE"
    far_bye = sip.decode_request(
        b"BYE sip:mon@127.0.0.1:5099 SIP/2.0\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK-9\r\nFrom: <sip:callee@example.test>;tag=tt9\r\n"
        b"To: <sip:mon@example.test>;tag=ft1\r\nCall-ID: c1@x\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n")
    answer, ended = dialog.answer(far_bye)
    assert ended and answer == (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK-9\r\nFrom: <sip:callee@example.test>;"
                                b"tag=tt9\r\nTo: <sip:mon@example.test>;tag=ft1\r\nCall-ID: c1@x\r\nCSeq: 5 BYE\r\n"
                                b"Content-Length: 0\r\n\r\n")
    stranger, ended = dialog.answer(far_bye._replace(headers=far_bye.headers[:3] + (("call-id", "other"),)
                                                     + far_bye.headers[4:]))
    assert not ended and stranger is not None and stranger.startswith(b"SIP/2.0 481 Call/Transaction Does Not Exist\r\n")
    info, _ = dialog.answer(far_bye._replace(method="INFO"))
    assert info is not None and b"SIP/2.0 405 Method Not Allowed\r\n" in info and b"Allow: INVITE, ACK, CANCEL, BYE\r\n" in info


@given(st.lists(st.binary(max_size=300) | st.sampled_from([response(180, "Ringing"), response(486, "Busy"),
                                                           response(200, "OK", "Contact: <sip:c@h>")]), max_size=8),
       st.lists(st.floats(0, 100), max_size=8))
def test_arbitrary_input_never_raises(messages: list[bytes], times: list[float]) -> None:
    transaction = InviteTransaction(SPEC, reliable=False)
    transaction.start(0.0)
    for message in messages:
        transaction.receive(message, 1.0)
    for now in sorted(times):
        transaction.handle_timer(now)
    events(transaction)
    transaction.datagrams_to_send()
