# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN client transaction as a sans-IO state machine (codec layer; RFC 8489 §6.2-§6.3).

The aioquic shape: the caller passes the time in, sends what
datagrams_to_send() returns, calls handle_timer() at get_timer(), feeds
received bytes to receive() and reads the outcome from next_event(). No clock,
no sockets, no asyncio here, so the retransmission schedule is tested with
plain floats.

The transaction only matches responses to the request. It does not check
MESSAGE-INTEGRITY (the caller knows the key: stun.verify_integrity) and it
does not judge error responses: both are answers, and the probe decides.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.codec.events import Discarded, TimedOut
from check_rtc.codec.stun import Class, Message, Method, decode, verify_integrity
from check_rtc.errors import DecodeError


class Answered(namedtuple("Answered", "response rtt sends")):
    """A success or error response with our transaction id arrived.

    `rtt` runs from the FIRST send, which is what the user waited; `sends`
    says how many copies of the request that took.
    """

    __slots__ = ()
    response: Message
    rtt: float
    sends: int


class Unauthentic(namedtuple("Unauthentic", "reason sends")):
    """Responses came, but none with a valid MESSAGE-INTEGRITY (RFC 8489 §9.2.5)."""

    __slots__ = ()
    reason: str
    sends: int


Event = Answered | TimedOut | Discarded | Unauthentic


class StunTransaction:
    """One STUN request and its response, retransmitted over unreliable transports."""

    def __init__(
        self,
        request: bytes,
        transaction_id: bytes,
        *,
        reliable: bool,
        rto: float = 0.5,
        rc: int = 7,
        rm: int = 16,
        ti: float = 39.5,
        integrity_key: bytes | None = None,
    ) -> None:
        self._method = _request_method(request, transaction_id)
        self._request = request
        self._transaction_id = transaction_id
        self._reliable = reliable
        self._rto = rto
        self._rc = rc
        self._rm = rm
        self._ti = ti
        self._outbox: list[bytes] = []
        self._events: list[Event] = []
        self._sends = 0
        self._first_send = 0.0
        self._timer: float | None = None
        self._started = False
        self._integrity_key = integrity_key
        self._unauthentic = ""

    def start(self, now: float) -> None:
        """Send the request for the first time."""
        if self._started:
            raise RuntimeError("STUN transaction already started")
        self._started = True
        self._first_send = now
        self._send(now)

    def datagrams_to_send(self) -> list[bytes]:
        """What to send now: the request, once per (re)transmission due."""
        outbox, self._outbox = self._outbox, []
        return outbox

    def receive(self, data: bytes, now: float) -> None:
        """One datagram (UDP) or one complete framed message (TCP/TLS).

        Ignored before start() and after the transaction ended.
        """
        if self._timer is None:
            return
        try:
            response = decode(data)
        except DecodeError as error:
            self._events.append(Discarded(str(error)))
            return
        reason = self._mismatch(response)
        if reason:
            self._events.append(Discarded(reason))
            return
        forged = self._forged(data, response)
        if not forged:
            self._finish(Answered(response, now - self._first_send, self._sends))
        elif self._reliable:
            self._finish(Unauthentic(forged, self._sends))
        else:
            self._unauthentic = forged
            self._events.append(Discarded(forged))

    def get_timer(self) -> float | None:
        """Absolute time of the next retransmission or time-out; None when done."""
        return self._timer

    def handle_timer(self, now: float) -> None:
        """Retransmit or time out, if the timer is due at `now`."""
        if self._timer is None or now < self._timer:
            return
        if self._reliable or self._sends >= self._rc:
            self.expire(now)
        else:
            self._send(now)

    def expire(self, now: float) -> None:
        """End the transaction without an answer: its own time-out, or the caller's deadline."""
        if self._timer is None:
            return
        # RFC 8489 §9.2.5: "If all the responses are discarded, then instead
        # of signaling a timeout after ending the transaction, the layer MUST
        # signal that the integrity protection was violated."
        if self._unauthentic:
            self._finish(Unauthentic(self._unauthentic, self._sends))
        else:
            self._finish(TimedOut(self._sends, now - self._first_send))

    def next_event(self) -> Event | None:
        """The oldest event not yet read, or None."""
        return self._events.pop(0) if self._events else None

    def _send(self, now: float) -> None:
        self._outbox.append(self._request)
        self._sends += 1
        self._timer = now + self._interval()

    def _interval(self) -> float:
        """Seconds from the send just made to the next timer."""
        # RFC 8489 §6.2.2: "if the client has not received a response by Ti
        # seconds after it sent the request message, it considers the
        # transaction to have timed out"
        if self._reliable:
            return self._ti
        # RFC 8489 §6.2.1: "If, after the last request, a duration equal to Rm
        # times the RTO has passed without a response (...), the client SHOULD
        # consider the transaction to have failed."
        if self._sends >= self._rc:
            return self._rm * self._rto
        # RFC 8489 §6.2.1: "A client SHOULD retransmit a STUN request message
        # starting with an interval of RTO ("Retransmission TimeOut"), doubling
        # after each retransmission." -- "requests would be sent at times 0 ms,
        # 500 ms, 1500 ms, 3500 ms, 7500 ms, 15500 ms, and 31500 ms."
        return self._rto * 2.0 ** (self._sends - 1)

    def _mismatch(self, message: Message) -> str:
        """Why `message` is not the answer to our request, or "" if it is."""
        # RFC 8489 §6.3: "If the message class is "Success Response" or "Error
        # Response", the agent checks that the transaction ID matches a
        # transaction that is still in progress. [...] If any errors are
        # detected, the message is silently discarded."
        if message.cls in (Class.REQUEST, Class.INDICATION):
            return f"STUN {message.cls.name.lower()} is not a response"
        if message.transaction_id != self._transaction_id:
            return "STUN response has another transaction id"
        # RFC 8489 §6.3.1.1: "The method of the response is the same as that of the request"
        if message.method != self._method:
            return f"STUN {message.method.name} response does not answer a {self._method.name} request"
        return ""

    def _forged(self, data: bytes, response: Message) -> str:
        """Why an answer fails the long-term credential check, or "" if it passes.

        RFC 8489 §9.2.5: 401 and 438 answers are not protected; any other
        answer to an authenticated request must carry a valid
        MESSAGE-INTEGRITY. Over an unreliable transport such a response "MUST
        be discarded, as if it had never been received"; over a reliable one
        it "MUST be treated as a failure".
        """
        if self._integrity_key is None or _challenge_code(response):
            return ""
        if verify_integrity(data, self._integrity_key):
            return ""
        return f"STUN {response.method.name} {response.cls.name.lower()} response without a valid MESSAGE-INTEGRITY"

    def _finish(self, event: Event) -> None:
        self._events.append(event)
        self._timer = None
        self._outbox.clear()


def _challenge_code(response: Message) -> bool:
    error = response.get("ERROR-CODE")
    return response.cls == Class.ERROR and isinstance(error, tuple) and error[0] in (401, 438)


def _request_method(request: bytes, transaction_id: bytes) -> Method:
    """The method of `request`, after checking it is a request with that transaction id."""
    message = decode(request)
    if message.cls != Class.REQUEST or message.transaction_id != transaction_id:
        raise ValueError("STUN transaction needs a request carrying its transaction id")
    return message.method
