# SPDX-License-Identifier: GPL-3.0-or-later
"""StunLink: one connection to a STUN/TURN server, over UDP, TCP or TLS (RFC 8489 §6.2).

Runs request/response transactions (the sans-IO StunTransaction) and sets
aside what arrives between them: TURN Data indications and ChannelData
(RFC 8656 §11-§12), which share the connection with responses. Over a
stream, messages are framed by their length fields (RFC 8489 §6.2.2, RFC
8656 §12.5); over UDP each datagram is one message.
"""

from __future__ import annotations

import logging
from collections import deque

from check_rtc.codec import stun
from check_rtc.codec.stun_transaction import Answered, Discarded, StunTransaction, TimedOut, Unauthentic
from check_rtc.errors import DecodeError, RemoteProtocolError, TransportError, TransportTimeout
from check_rtc.transport import datagram, stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    import ssl

log = logging.getLogger(__name__)

# RFC 7983 §7: a first byte of 64..79 is ChannelData (channel numbers 0x4000-0x4FFF).
_CHANNEL_FIRST_BYTES = range(0x40, 0x50)


class StunLink:
    """A connected socket to one endpoint, speaking STUN framing."""

    def __init__(self, endpoint: Endpoint, sock: socket.socket, accept_from: tuple[str, int] | None = None) -> None:
        self.endpoint = endpoint
        self.sock = sock
        self.accept_from = accept_from
        self.sends = 0
        self.ignored: list[str] = []
        self._framer = stun.StreamFramer()
        self._inbound: deque[bytes] = deque()

    @classmethod
    def open(
        cls,
        endpoint: Endpoint,
        deadline: Deadline,
        tls_context: ssl.SSLContext | None,
        server_name: str | None,
        accept_from: tuple[str, int] | None = None,
    ) -> StunLink:
        """Connect (and for TLS, handshake with `server_name` as SNI and identity).

        With `accept_from` (UDP only), answers are taken from that address
        alone, wherever the request went (RFC 5780 CHANGE-REQUEST).
        """
        if accept_from is not None:
            return cls(endpoint, datagram.open_unconnected(endpoint), accept_from)
        if not endpoint.is_stream:
            return cls(endpoint, datagram.open_datagram(endpoint))
        sock = stream.connect(endpoint, deadline)
        if endpoint.is_tls:
            assert tls_context is not None
            sock = stream.start_tls(sock, tls_context, server_name or endpoint.address, deadline)
        return cls(endpoint, sock)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> StunLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transact(self, request: stun.Message, deadline: Deadline, integrity_key: bytes | None = None) -> Answered:
        """Send `request` (retransmitted over UDP) and return the matching response.

        With `integrity_key`, the request carries MESSAGE-INTEGRITY and so must
        every answer but a 401/438 challenge (RFC 8489 §9.2.5).
        """
        data = stun.encode(request, integrity_key=integrity_key, fingerprint=True)
        transaction = StunTransaction(
            data, request.transaction_id, reliable=self.endpoint.is_stream, integrity_key=integrity_key
        )
        transaction.start(Deadline.now())
        while True:
            for outgoing in transaction.datagrams_to_send():
                self._send(outgoing, deadline)
            answer = self._answer(transaction)
            if answer is not None:
                return answer
            messages = self._read(deadline.earlier(transaction.get_timer()))
            if messages is None:
                self._tick(transaction, deadline)
            for message in messages or ():
                self._dispatch(message, transaction)

    def send(self, data: bytes, deadline: Deadline) -> None:
        """An indication or ChannelData: no transaction, no retransmission."""
        self._send(data, deadline)

    def receive(self, deadline: Deadline) -> tuple[object, bytes]:
        """The next relayed data: (channel number or peer address, application data)."""
        while not self._inbound:
            messages = self._read(deadline)
            if messages is None:
                raise TransportTimeout(f"no relayed data arrived{self.ignored_note()}")
            for message in messages:
                self._set_aside(message)
        message = self._inbound.popleft()
        log.debug("< %s %s", self.endpoint, describe_bytes(message))
        return _decode_relayed(message)

    def ignored_note(self) -> str:
        if not self.ignored:
            return ""
        return f" (ignored {len(self.ignored)} invalid: {self.ignored[-1]})"

    def _send(self, data: bytes, deadline: Deadline) -> None:
        self.sends += 1
        log.debug("> %s %s", self.endpoint, describe_bytes(data))
        if self.endpoint.is_stream:
            stream.send(self.sock, data, deadline, "send")
        else:
            datagram.send_datagram(self.sock, data, self.endpoint if self.accept_from else None)

    def _answer(self, transaction: StunTransaction) -> Answered | None:
        """Drain the events: the answer, a timeout raised, or None to keep waiting."""
        while (event := transaction.next_event()) is not None:
            if isinstance(event, Discarded):
                self._ignore(event.reason)
            elif isinstance(event, TimedOut):
                raise TransportTimeout(f"no valid answer after {event.sends} sends{self.ignored_note()}")
            elif isinstance(event, Unauthentic):
                raise RemoteProtocolError(f"{event.reason} (RFC 8489 §9.2.5: forged or misconfigured)")
            elif isinstance(event, Answered):
                log.debug("< %s %s", self.endpoint, describe(event.response))
                return event
        return None

    def _tick(self, transaction: StunTransaction, deadline: Deadline) -> None:
        """Time passed without an answer: retransmit, or end the transaction at the deadline."""
        now = Deadline.now()
        if now >= deadline.at:
            transaction.expire(now)
        else:
            transaction.handle_timer(now)

    def _dispatch(self, message: bytes, transaction: StunTransaction) -> None:
        """Relayed data goes aside; anything else is for the transaction to judge."""
        if _is_relayed_data(message):
            self._set_aside(message)
        else:
            transaction.receive(message, Deadline.now())

    def _set_aside(self, message: bytes) -> None:
        """Keep relayed data that decodes; anything else is ignored, with the reason."""
        if not _is_relayed_data(message):
            self._ignore(f"unexpected message outside a transaction: {describe_bytes(message)}")
            return
        try:
            _decode_relayed(message)
        except DecodeError as exc:
            self._ignore(str(exc))
            return
        self._inbound.append(message)

    def _ignore(self, reason: str) -> None:
        log.debug("< %s ignored: %s", self.endpoint, reason)
        self.ignored.append(reason)

    def _read(self, until: Deadline) -> list[bytes] | None:
        """Complete messages that arrived before `until`, or None if none did."""
        if self.accept_from is not None:
            return self._read_from(until)
        if not self.endpoint.is_stream:
            data = datagram.receive_datagram(self.sock, until.at)
            return None if data is None else [data]
        try:
            chunk = stream.receive(self.sock, until, "receive")
        except TransportTimeout:
            return None
        if not chunk:
            raise TransportError(f"connection closed without a valid answer{self.ignored_note()}")
        self._framer.receive_data(chunk)
        return self._deframe()

    def _read_from(self, until: Deadline) -> list[bytes] | None:
        """Datagrams from `accept_from` only; others are ignored, with where they came from."""
        received = datagram.receive_from(self.sock, until.at)
        if received is None:
            return None
        data, source = received
        if source != self.accept_from:
            self._ignore(f"answer came from {source[0]} port {source[1]}")
            return []
        return [data]

    def _deframe(self) -> list[bytes]:
        """Whole messages from the stream; undecodable bytes are dropped and noted."""
        messages = []
        while True:
            try:
                message = self._framer.next_message()
            except DecodeError as exc:
                self._ignore(str(exc))
                continue
            if message is None:
                return messages
            messages.append(message)


def _is_relayed_data(message: bytes) -> bool:
    """ChannelData, or a Data indication (RFC 8656 §11.6)."""
    if message[:1] and message[0] in _CHANNEL_FIRST_BYTES:
        return True
    # Message type 0x0017: method Data (0x007), class indication.
    return message[:2] == b"\x00\x17"


def _decode_relayed(message: bytes) -> tuple[object, bytes]:
    """(channel number or peer address, application data) of relayed data."""
    if message[0] in _CHANNEL_FIRST_BYTES:
        return stun.decode_channel_data(message)
    indication = stun.decode(message)
    peer, data = indication.get("XOR-PEER-ADDRESS"), indication.get("DATA")
    # RFC 8656 §11.6: a Data indication without XOR-PEER-ADDRESS or DATA is discarded.
    if peer is None or data is None:
        raise DecodeError("STUN Data indication without XOR-PEER-ADDRESS or DATA")
    return peer, data


def describe(message: stun.Message) -> str:
    """One trace line: method, class, transaction id and attributes (no keys in them)."""
    names = ", ".join(f"{name}={value!r}" for name, value in message.attributes)
    return f"{message.method.name} {message.cls.name} tid={message.transaction_id.hex()} {names}"


def describe_bytes(data: bytes) -> str:
    if data[:1] and data[0] in _CHANNEL_FIRST_BYTES:
        return f"ChannelData 0x{int.from_bytes(data[:2], 'big'):04X}, {len(data)} bytes"
    try:
        return describe(stun.decode(data))
    except DecodeError as exc:
        return f"{len(data)} bytes ({exc})"
