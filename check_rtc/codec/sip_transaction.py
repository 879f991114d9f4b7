# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP non-INVITE client transaction as a sans-IO state machine (codec layer; RFC 3261 §17.1.2, §17.1.3).

The shape of codec/stun_transaction.py: the caller passes the time in, sends
what datagrams_to_send() returns, calls handle_timer() at get_timer(), feeds
each received message (a datagram, a framed stream message or a WebSocket
message) to receive() and reads the outcome from next_event().

Timers: E (retransmission over unreliable transports, T1 doubling up to T2,
then T2 once a provisional answer came) and F (transaction timeout, 64*T1).
Provisional responses are reported but end nothing; responses that are not
for this transaction are discarded, as §17.1.3 says.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.codec.events import Discarded, TimedOut
from check_rtc.codec.sip import Response, cseq, decode_response, via_branch
from check_rtc.errors import DecodeError

# RFC 3261 §17.1.1.1 / Table 4: T1 500 ms (RTT estimate), T2 4 s (maximum
# retransmit interval for non-INVITE requests); Timer F = 64*T1.
T1_SECONDS = 0.5
T2_SECONDS = 4.0


class Answered(namedtuple("Answered", "response rtt sends")):
    """A final response (200-699) to our request; `rtt` from the FIRST send."""

    __slots__ = ()
    response: Response
    rtt: float
    sends: int


class Provisional(namedtuple("Provisional", "response")):
    """A 1xx for our request: the transaction goes on (RFC 3261 §17.1.2.2)."""

    __slots__ = ()
    response: Response


Event = Answered | Provisional | TimedOut | Discarded


class RequestKey(namedtuple("RequestKey", "branch call_id cseq method")):
    """What a response must carry to belong to our request (RFC 3261 §17.1.3)."""

    __slots__ = ()
    branch: str
    call_id: str
    cseq: int
    method: str


class ClientTransaction:
    """What every client transaction has (RFC 3261 §17.1): the request, the
    datagrams due, the events not yet read, and the matching of §17.1.3."""

    def __init__(self, request: bytes, key: RequestKey, reliable: bool, t1: float) -> None:
        self.key = key
        self._request = request
        self._reliable = reliable
        self._t1 = t1
        self._outbox: list[bytes] = []
        self._events: list[object] = []
        self._sends = 0
        self._first_send = 0.0
        self._interval = t1

    @property
    def sends(self) -> int:
        """How often the request was sent (retransmissions included)."""
        return self._sends

    def datagrams_to_send(self) -> list[bytes]:
        """What to send now: the request, once per (re)transmission due (and, for INVITE, ACKs)."""
        outbox, self._outbox = self._outbox, []
        return outbox

    def next_event(self) -> object | None:
        """The oldest event not yet read, or None."""
        return self._events.pop(0) if self._events else None

    def _send(self) -> None:
        self._outbox.append(self._request)
        self._sends += 1

    def _response(self, data: bytes) -> Response | None:
        """The response in `data` if it belongs to this transaction; else a Discarded event and None."""
        try:
            response = decode_response(data)
            reason = self._mismatch(response)
        except DecodeError as error:
            self._events.append(Discarded(str(error)))
            return None
        if reason:
            self._events.append(Discarded(reason))
            return None
        return response

    def _mismatch(self, response: Response) -> str:
        """Why `response` is not for our request, or "" if it is."""
        # RFC 3261 §17.1.3: "If the response has the same value of the branch
        # parameter in the top Via header field as the branch parameter in the
        # top Via header field of the request that created the transaction" and
        # "the method parameter in the CSeq header field matches the method of
        # the request that created the transaction".
        key = self.key
        if via_branch(response.get("via") or "") != key.branch:
            return "SIP response for another branch (top Via)"
        if response.get("call-id") != key.call_id:
            return "SIP response with another Call-ID"
        if cseq(response.get("cseq") or "") != (key.cseq, key.method):
            return f"SIP response with another CSeq ({response.get('cseq')})"
        return ""


class SipTransaction(ClientTransaction):
    """One non-INVITE request and its final response."""

    def __init__(self, request: bytes, key: RequestKey, *, reliable: bool, t1: float = T1_SECONDS,
                 t2: float = T2_SECONDS) -> None:
        super().__init__(request, key, reliable, t1)
        self._t2 = t2
        self._timer_e: float | None = None
        self._timer_f: float | None = None
        self._proceeding = False
        self._started = False

    def start(self, now: float) -> None:
        """Send the request for the first time ("Trying" state)."""
        if self._started:
            raise RuntimeError("SIP transaction already started")
        self._started = True
        self._first_send = now
        # RFC 3261 §17.1.2.2: "The "Trying" state is entered when the TU
        # initiates a new client transaction ... the client transaction MUST
        # set timer F to fire in 64*T1 seconds."
        self._timer_f = now + 64 * self._t1
        # "If an unreliable transport is in use, the client transaction MUST
        # set timer E to fire in T1 seconds."
        if not self._reliable:
            self._timer_e = now + self._t1
        self._send()

    def receive(self, data: bytes, now: float) -> None:
        """One whole message; ignored before start() and after the transaction ended."""
        if self._timer_f is None:
            return
        response = self._response(data)
        if response is None:
            return
        if response.code < 200:
            # RFC 3261 §17.1.2.2: "If a provisional response is received while in the
            # "Trying" state, ... the client transaction SHOULD move to the "Proceeding" state."
            self._proceeding = True
            self._events.append(Provisional(response))
        else:
            self._finish(Answered(response, now - self._first_send, self._sends))

    def get_timer(self) -> float | None:
        """Absolute time of the next retransmission or time-out; None when done."""
        if self._timer_f is None:
            return None
        return min(self._timer_f, self._timer_e) if self._timer_e is not None else self._timer_f

    def handle_timer(self, now: float) -> None:
        """Retransmit (timer E) or time out (timer F), if due at `now`."""
        if self._timer_f is not None and now >= self._timer_f:
            # RFC 3261 §17.1.2.2: "If Timer F fires while the client transaction is
            # still in the "Trying" state, the client transaction SHOULD inform the
            # TU about the timeout, and then it SHOULD enter the "Terminated" state."
            self._finish(TimedOut(self._sends, now - self._first_send))
        elif self._timer_e is not None and now >= self._timer_e:
            self._retransmit(now)

    def _retransmit(self, now: float) -> None:
        # RFC 3261 §17.1.2.2: "If timer E fires while still in this state, the timer
        # is reset, but this time with a value of MIN(2*T1, T2). ... If Timer E fires
        # while in the "Proceeding" state, the request MUST be passed to the transport
        # layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
        self._interval = self._t2 if self._proceeding else min(2 * self._interval, self._t2)
        self._timer_e = now + self._interval
        self._send()

    def _finish(self, event: Event) -> None:
        self._events.append(event)
        self._timer_e = self._timer_f = None
        self._outbox.clear()
