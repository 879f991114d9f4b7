# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN Binding probe (RFC 8489 §6 over UDP, TCP and TLS; discovery per §8).

Drives the sans-IO StunTransaction over a socket: UDP with the §6.2.1
retransmission schedule, TCP/TLS with the §6.2.2 framing. Undecodable
answers and answers for another transaction are ignored, as the RFC says;
the endpoint times out if nothing valid comes.
"""

from __future__ import annotations

import logging
import socket
from contextlib import closing

from check_rtc.codec import stun
from check_rtc.codec.stun_transaction import Answered, Discarded, StunTransaction, TimedOut
from check_rtc.errors import CheckRtcError, DecodeError, RemoteProtocolError, TransportError, TransportTimeout
from check_rtc.probes import Observation
from check_rtc.probes.discovery import Service
from check_rtc.transport import datagram, stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

log = logging.getLogger(__name__)

# RFC 8489 §8: "_stun._udp", "_stun._tcp" and "_stuns._tcp"; default ports
# 3478 for "stun" and 5349 for "stuns" (§18.3 / IANA).
SERVICE = Service(
    srv={"udp": "_stun._udp", "tcp": "_stun._tcp", "tls": "_stuns._tcp"},
    default_ports={"udp": 3478, "tcp": 3478, "tls": 5349},
)


class StunObservation(Observation):
    """A Binding answer: round-trip time, the mapped (reflexive) address, SOFTWARE."""

    __slots__ = ("rtt", "mapped", "software", "sends")

    def __init__(
        self,
        endpoint: Endpoint,
        error: CheckRtcError | None = None,
        *,
        rtt: float | None = None,
        mapped: tuple[str, int] | None = None,
        software: str | None = None,
        sends: int = 0,
    ) -> None:
        super().__init__(endpoint, error)
        self.rtt = rtt
        self.mapped = mapped
        self.software = software
        self.sends = sends

    def describe(self) -> str:
        assert self.rtt is not None and self.mapped is not None
        host, port = self.mapped
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        text = f"Binding answered in {self.rtt:.4f}s, mapped address {address}"
        if self.sends > 1:
            text += f" after {self.sends} sends"
        if self.software:
            text += f', software "{self.software}"'
        return text


def failed(endpoint: Endpoint, error: CheckRtcError) -> StunObservation:
    return StunObservation(endpoint, error=error)


class BindingProbe:
    """Callable per endpoint; holds the TLS context made once in the main thread."""

    def __init__(self, tls_context: ssl.SSLContext | None, server_name: str | None) -> None:
        self.tls_context = tls_context
        self.server_name = server_name

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> StunObservation:
        request = stun.binding_request()
        data = stun.encode(request, fingerprint=True)
        exchange = _Exchange(endpoint, StunTransaction(data, request.transaction_id, reliable=endpoint.is_stream))
        if endpoint.is_stream:
            answer = self._over_stream(exchange, deadline)
        else:
            answer = _over_datagram(exchange, deadline)
        return _observe(exchange, answer)

    def _over_stream(self, exchange: _Exchange, deadline: Deadline) -> Answered:
        sock = stream.connect(exchange.endpoint, deadline)
        if exchange.endpoint.is_tls:
            assert self.tls_context is not None
            name = self.server_name or exchange.endpoint.address
            sock = stream.start_tls(sock, self.tls_context, name, deadline)
        with closing(sock):
            return _drive_stream(exchange, sock, deadline)


class _Exchange:
    """One transaction at one endpoint, with what was sent and ignored along the way."""

    def __init__(self, endpoint: Endpoint, transaction: StunTransaction) -> None:
        self.endpoint = endpoint
        self.transaction = transaction
        self.sends = 0
        self.ignored: list[str] = []

    def outgoing(self) -> list[bytes]:
        datagrams = self.transaction.datagrams_to_send()
        for data in datagrams:
            self.sends += 1
            log.debug("> %s %s", self.endpoint, _describe_bytes(data))
        return datagrams

    def incoming(self, data: bytes) -> None:
        self.transaction.receive(data, Deadline.now())

    def tick(self, deadline: Deadline) -> None:
        """Time passed without an answer: retransmit, or give up at the deadline."""
        now = Deadline.now()
        if now >= deadline.at:
            raise self.timed_out()
        self.transaction.handle_timer(now)

    def answer(self) -> Answered | None:
        """Drain the events: the answer, a timeout raised, or None to keep waiting."""
        while (event := self.transaction.next_event()) is not None:
            if isinstance(event, Discarded):
                log.debug("< %s ignored: %s", self.endpoint, event.reason)
                self.ignored.append(event.reason)
            elif isinstance(event, TimedOut):
                raise self.timed_out()
            elif isinstance(event, Answered):
                log.debug("< %s %s", self.endpoint, _describe(event.response))
                return event
        return None

    def timed_out(self) -> TransportTimeout:
        return TransportTimeout(f"no valid answer after {self.sends} sends{self.ignored_note()}")

    def ignored_note(self) -> str:
        if not self.ignored:
            return ""
        return f" (ignored {len(self.ignored)} invalid: {self.ignored[-1]})"


def _over_datagram(exchange: _Exchange, deadline: Deadline) -> Answered:
    sock = datagram.open_datagram(exchange.endpoint)
    with closing(sock):
        exchange.transaction.start(Deadline.now())
        while True:
            for data in exchange.outgoing():
                datagram.send_datagram(sock, data)
            answer = exchange.answer()
            if answer is not None:
                return answer
            timer = exchange.transaction.get_timer()
            data = datagram.receive_datagram(sock, min(timer or deadline.at, deadline.at))
            if data is None:
                exchange.tick(deadline)
            else:
                exchange.incoming(data)


def _drive_stream(exchange: _Exchange, sock: socket.socket, deadline: Deadline) -> Answered:
    exchange.transaction.start(Deadline.now())
    for data in exchange.outgoing():
        stream.send(sock, data, deadline, "send")
    buffer = b""
    while (answer := exchange.answer()) is None:
        try:
            chunk = stream.receive(sock, deadline.earlier(exchange.transaction.get_timer()), "receive")
        except TransportTimeout:
            exchange.tick(deadline)
            continue
        if not chunk:
            raise TransportError(f"connection closed without a valid answer{exchange.ignored_note()}")
        buffer = _deframe(exchange, buffer + chunk)
    return answer


def _deframe(exchange: _Exchange, buffer: bytes) -> bytes:
    """Pass every complete message in `buffer` on; return the incomplete rest.

    RFC 8489 §6.2.2: over a stream the Message Length field frames each
    message. Bytes that do not start a STUN header cannot be resynchronised,
    so they are dropped (and the transaction waits for a valid answer).
    """
    while len(buffer) >= stun.HEADER_BYTES:
        try:
            length = stun.message_length(buffer[: stun.HEADER_BYTES])
        except DecodeError:
            exchange.incoming(buffer)  # the transaction records it as Discarded
            return b""
        if len(buffer) < length:
            return buffer
        exchange.incoming(buffer[:length])
        buffer = buffer[length:]
    return buffer


def _observe(exchange: _Exchange, answer: Answered) -> StunObservation:
    """Facts from the answer; an error response or a missing address is a failure."""
    response = answer.response
    if response.cls == stun.Class.ERROR:
        code, reason = response.get("ERROR-CODE") or (0, "no ERROR-CODE")
        raise RemoteProtocolError(f"Binding error response {code} {reason}".rstrip())
    # RFC 8489 §7.3.3: the success response "MUST contain an XOR-MAPPED-ADDRESS";
    # RFC 3489 servers answer with MAPPED-ADDRESS only, which still tells the address.
    mapped = response.get("XOR-MAPPED-ADDRESS") or response.get("MAPPED-ADDRESS")
    if mapped is None:
        raise RemoteProtocolError("Binding success response without XOR-MAPPED-ADDRESS")
    if mapped[1] == 0:
        raise RemoteProtocolError(f"Binding success response maps to port 0 ({mapped[0]})")
    return StunObservation(
        exchange.endpoint, rtt=answer.rtt, mapped=mapped, software=response.get("SOFTWARE"), sends=exchange.sends
    )


def _describe(message: stun.Message) -> str:
    names = ", ".join(f"{name}={value!r}" for name, value in message.attributes)
    return f"{message.method.name} {message.cls.name} tid={message.transaction_id.hex()} {names}"


def _describe_bytes(data: bytes) -> str:
    try:
        return _describe(stun.decode(data))
    except DecodeError as exc:
        return f"{len(data)} bytes ({exc})"
