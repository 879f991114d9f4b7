# SPDX-License-Identifier: GPL-3.0-or-later
"""INVITE client transaction and the dialog it creates, sans-IO (codec layer; RFC 3261 §17.1.1, §12, §13, §9.1; RFC 6026).

InviteTransaction is a ClientTransaction of codec/sip_transaction.py (time
passed in, datagrams_to_send(), get_timer()/handle_timer(), receive(),
next_event(), the matching of §17.1.3) with the INVITE timers: A (retransmission over unreliable
transports, T1 doubling), B (64*T1 without any answer) and D (absorbing
retransmitted final answers after a failure). A non-2xx final answer is
acknowledged by the transaction itself (§17.1.1.3); a 2xx ends the
transaction in RFC 6026's "Accepted" state, where retransmitted 2xx go on
to the caller, who acknowledges each through the Dialog (§13.2.2.4: the
ACK of a 2xx is its own transaction). cancel() gives the CANCEL of §9.1,
only once a provisional answer came.

Dialog holds what a 2xx established (§12.1.2: remote tag, remote target,
route set) and builds the ACK, the BYE, and our answers to the peer's
requests within the call (§12.2.2). Routing is loose (RFC 3261 §16.12,
every route with ;lr); a strict-routing proxy (RFC 2543) is not supported.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.codec import sip
from check_rtc.codec.events import Discarded, TimedOut
from check_rtc.codec.sip_transaction import T1_SECONDS, ClientTransaction, RequestKey
from check_rtc.errors import DecodeError

# RFC 3261 Table 4: Timer D "> 32s for UDP", "0s for TCP/SCTP"; RFC 6026 §8.11: Timer M = 64*T1.
TIMER_D_SECONDS = 32.0


class Progressed(namedtuple("Progressed", "response after")):
    """A provisional answer (1xx), `after` seconds from the first send of the INVITE."""

    __slots__ = ()
    response: sip.Response
    after: float


class Accepted(namedtuple("Accepted", "response after")):
    """A 2xx (the first, or a retransmission the caller must acknowledge again)."""

    __slots__ = ()
    response: sip.Response
    after: float


class Rejected(namedtuple("Rejected", "response after")):
    """A final answer 300-699, already acknowledged by the transaction."""

    __slots__ = ()
    response: sip.Response
    after: float


Event = Progressed | Accepted | Rejected | TimedOut | Discarded


class InviteTransaction(ClientTransaction):
    """One INVITE and its final answer (states Calling, Proceeding, Completed, Accepted, Terminated)."""

    def __init__(self, spec: sip.RequestSpec, *, reliable: bool, t1: float = T1_SECONDS) -> None:
        super().__init__(sip.encode_request(spec), RequestKey(spec.branch, spec.call_id, spec.cseq, spec.method),
                         reliable, t1)
        self.spec = spec
        self.state = "idle"
        self._timer_a: float | None = None
        self._timer_b: float | None = None
        self._timer_end: float | None = None  # D in Completed, M in Accepted
        self._ack: bytes | None = None

    def start(self, now: float) -> None:
        """Send the INVITE ("Calling")."""
        if self.state != "idle":
            raise RuntimeError("SIP INVITE transaction already started")
        self.state = "calling"
        self._first_send = now
        # RFC 3261 §17.1.1.2: "If an unreliable transport is being used, the client transaction
        # MUST start timer A with a value of T1. ... For any transport, the client transaction
        # MUST start timer B with a value of 64*T1 seconds".
        if not self._reliable:
            self._timer_a = now + self._t1
        self._timer_b = now + 64 * self._t1
        self._send()

    def receive(self, data: bytes, now: float) -> None:
        """One whole response; anything else, or a response to another request, is Discarded."""
        if self.state in ("idle", "terminated"):
            return
        response = self._response(data)
        if response is None:
            return
        if response.code < 200:
            self._provisional(response, now)
        elif response.code < 300:
            self._accepted(response, now)
        else:
            self._rejected(response, now)

    def _provisional(self, response: sip.Response, now: float) -> None:
        if self.state not in ("calling", "proceeding"):
            return
        # §17.1.1.2: "If the client transaction receives a provisional response while in the
        # "Calling" state, it transitions to the "Proceeding" state. In the "Proceeding" state,
        # the client transaction SHOULD NOT retransmit the request any longer."
        self.state = "proceeding"
        self._timer_a = self._timer_b = None
        self._events.append(Progressed(response, now - self._first_send))

    def _accepted(self, response: sip.Response, now: float) -> None:
        if self.state in ("calling", "proceeding"):
            # RFC 6026 §8.4: a 2xx moves the transaction to "Accepted" and starts Timer M
            # (64*T1), during which retransmitted 2xx are passed to the TU.
            self.state = "accepted"
            self._timer_a = self._timer_b = None
            self._timer_end = now + 64 * self._t1
        if self.state == "accepted":
            self._events.append(Accepted(response, now - self._first_send))

    def _rejected(self, response: sip.Response, now: float) -> None:
        if self.state in ("calling", "proceeding"):
            # §17.1.1.2: "When in either the "Calling" or "Proceeding" states, reception of a
            # response with status code from 300-699 MUST cause the client transaction to
            # transition to "Completed". The client transaction MUST pass the received response
            # up to the TU, and the client transaction MUST generate an ACK request".
            self.state = "completed"
            self._timer_a = self._timer_b = None
            # "set timer D ... at least 32 seconds for unreliable transports, and ... zero seconds
            # for reliable transports"
            self._timer_end = now + (0.0 if self._reliable else TIMER_D_SECONDS)
            self._ack = sip.encode_request(self._ack_spec(response))
            self._events.append(Rejected(response, now - self._first_send))
        if self.state == "completed" and self._ack is not None:
            # "Any retransmissions of the final response that are received while in the
            # "Completed" state MUST cause the ACK to be re-passed to the transport layer"
            self._outbox.append(self._ack)

    def _ack_spec(self, response: sip.Response) -> sip.RequestSpec:
        # §17.1.1.3: Call-ID, From and Request-URI of the original request; "The To header field
        # in the ACK MUST equal the To header field in the response being acknowledged"; one Via,
        # the INVITE's top Via (same branch); CSeq number of the INVITE, method ACK; its Routes.
        tag = sip.header_param(response.get("to") or "", "tag") or ""
        return self.spec._replace(method="ACK", to_tag=tag, body=b"", content_type="",
                                  extra_headers=_routes(self.spec.extra_headers))

    def cancel(self) -> sip.RequestSpec | None:
        """The CANCEL of this INVITE (§9.1), or None while no provisional answer came."""
        # §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be
        # sent; rather, the client MUST wait for the arrival of a provisional response".
        if self.state != "proceeding":
            return None
        # "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in the
        # CANCEL request MUST be identical to those in the request being cancelled ... A CANCEL
        # constructed by a client MUST have only a single Via header field value matching the
        # top Via value in the request being cancelled." -- and the same Route header fields.
        return self.spec._replace(method="CANCEL", body=b"", content_type="",
                                  extra_headers=_routes(self.spec.extra_headers))

    def get_timer(self) -> float | None:
        timers = [t for t in (self._timer_a, self._timer_b, self._timer_end) if t is not None]
        return min(timers) if timers else None

    def handle_timer(self, now: float) -> None:
        if self._timer_end is not None and now >= self._timer_end:
            # Timer D (Completed) or M (Accepted): "the client transaction MUST move to the
            # "Terminated" state".
            self.state = "terminated"
            self._timer_end = None
        elif self._timer_b is not None and now >= self._timer_b:
            # §17.1.1.2: "If the client transaction is still in the "Calling" state when timer B
            # fires, the client transaction SHOULD inform the TU that a timeout has occurred."
            self.state = "terminated"
            self._timer_a = self._timer_b = None
            self._events.append(TimedOut(self._sends, now - self._first_send))
        elif self._timer_a is not None and now >= self._timer_a:
            # "When timer A fires, the client transaction MUST retransmit the request ... and
            # reset the timer with a value of 2*T1. ... When timer A fires 2*T1 seconds later,
            # the request MUST be retransmitted again ... timer reset with a value of 4*T1."
            self._interval *= 2
            self._timer_a = now + self._interval
            self._send()


def _routes(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in headers if name.lower() == "route")


# §8.2.1: a method we recognise but do not support gets 405 with Allow.
ALLOW = "INVITE, ACK, CANCEL, BYE"


class Dialog:
    """The call a 2xx established, from the caller's side (RFC 3261 §12.1.2)."""

    def __init__(self, invite: sip.RequestSpec, response: sip.Response) -> None:
        self.invite = invite
        # §12.1.2: "The remote tag MUST be set to the value of the tag parameter in the To
        # header field of the response"; "The remote target MUST be set to the URI from the
        # Contact header field of the response"; "The route set MUST be set to the list of URIs
        # in the Record-Route header field from the response, taken in reverse order".
        self.remote_tag = sip.header_param(response.get("to") or "", "tag") or ""
        contacts = sip.split_values(response.get_all("contact"))
        if not contacts:
            raise DecodeError("SIP 2xx to INVITE has no Contact")
        self.remote_target = sip.addr_uri(contacts[0])
        self.route_set = [sip.addr_uri(value) for value in reversed(sip.split_values(response.get_all("record-route")))]
        self.local_cseq = invite.cseq

    def ack(self) -> bytes:
        """§13.2.2.4: the ACK of the 2xx (again for each retransmitted 2xx)."""
        # "The CSeq header field of the ACK MUST contain the same sequence number as the INVITE";
        # the header fields related to authentication are those of the INVITE.
        auth = tuple((n, v) for n, v in self.invite.extra_headers if n.lower().endswith("authorization"))
        return sip.encode_request(self._within("ACK", self.invite.cseq, auth))

    def bye(self) -> tuple[bytes, RequestKey]:
        """The BYE ending the call, a new non-INVITE transaction with the next CSeq (§15.1.1)."""
        self.local_cseq += 1
        spec = self._within("BYE", self.local_cseq, ())
        return sip.encode_request(spec), RequestKey(spec.branch, spec.call_id, spec.cseq, spec.method)

    def _within(self, method: str, cseq: int, extra: tuple[tuple[str, str], ...]) -> sip.RequestSpec:
        # §12.2.1.1: "If the route set is not empty, and the first URI in the route set contains
        # the lr parameter ..., the UAC MUST place the remote target URI into the Request-URI and
        # MUST include a Route header field containing the route set values in order".
        routes = tuple(("Route", f"<{uri}>") for uri in self.route_set)
        contact = tuple((n, v) for n, v in self.invite.extra_headers if n.lower() == "contact")
        return self.invite._replace(method=method, uri=self.remote_target, cseq=cseq, branch=sip.new_branch(),
                                    to_tag=self.remote_tag, body=b"", content_type="",
                                    extra_headers=routes + contact + extra)

    def answer(self, request: sip.Request) -> tuple[bytes | None, bool]:
        """Our answer to a peer's request, and whether it ended the call (a BYE of this dialog)."""
        if request.method == "ACK":
            return None, False  # §17.1: an ACK is never answered
        local_tag = self.invite.from_tag
        to_tag = sip.header_param(request.get("to") or "", "tag")
        from_tag = sip.header_param(request.get("from") or "", "tag")
        if request.get("call-id") != self.invite.call_id or to_tag != local_tag or from_tag != self.remote_tag:
            # §12.2.2: "If the UAS wishes to reject the request because it does not wish to
            # recreate the dialog, it MUST respond to the request with a 481".
            return sip.encode_response(request, 481, "Call/Transaction Does Not Exist", local_tag), False
        if request.method == "BYE":
            # §15.1.2: "the UAS MUST generate a 2xx response to the BYE, and MUST pass that to
            # the server transaction for transmission."
            return sip.encode_response(request, 200, "OK", local_tag), True
        return _not_allowed(request, local_tag), False


def _not_allowed(request: sip.Request, tag: str) -> bytes:
    # §8.2.1: "the UAS MUST generate a 405 (Method Not Allowed) response ... The UAS MUST also
    # add an Allow header field to the 405".
    return sip.encode_response(request, 405, "Method Not Allowed", tag, (("Allow", ALLOW),))
