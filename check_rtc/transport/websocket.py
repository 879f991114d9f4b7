# SPDX-License-Identifier: GPL-3.0-or-later
"""WebSocket transport: the RFC 6455 opening handshake and messages over a connected stream.

Drives codec/websocket.py over a TCP or TLS socket under the deadline. A
refused or malformed handshake is a TransportError naming the step.
"""

from __future__ import annotations

import socket

from check_rtc.codec import websocket
from check_rtc.errors import DecodeError, TransportError
from check_rtc.transport import stream
from check_rtc.transport.deadline import Deadline


class WebSocket:
    """A client WebSocket on `sock`: send_message() and receive_message()."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._decoder = websocket.FrameDecoder()

    def handshake(self, host: str, port: int, path: str, protocol: str, secure: bool, deadline: Deadline) -> None:
        key = websocket.new_key()
        request = websocket.handshake_request(host, port, path, key, protocol, 443 if secure else 80)
        stream.send(self.sock, request, deadline, "WebSocket handshake")
        buffer = b""
        while (end := self._handshake_end(buffer)) is None:
            chunk = stream.receive(self.sock, deadline, "WebSocket handshake")
            if not chunk:
                raise TransportError("WebSocket handshake: connection closed")
            buffer += chunk
        try:
            websocket.check_handshake(buffer[:end], key, protocol)
        except DecodeError as exc:
            raise TransportError(str(exc)) from None
        self._decoder.receive_data(buffer[end:])

    @staticmethod
    def _handshake_end(buffer: bytes) -> int | None:
        try:
            return websocket.handshake_end(buffer)
        except DecodeError as exc:
            raise TransportError(str(exc)) from None

    def send_message(self, payload: bytes, deadline: Deadline) -> None:
        # RFC 7118 §5: SIP messages may go in text or binary frames; text, as browsers send.
        stream.send(self.sock, websocket.encode_frame(websocket.OP_TEXT, payload), deadline, "send")

    def receive_message(self, deadline: Deadline) -> bytes:
        """The next data message; answers pings; b'' when the server closed."""
        while True:
            message = self._decoder.next_message()
            if message is None:
                chunk = stream.receive(self.sock, deadline, "receive")
                if not chunk:
                    return b""
                self._decoder.receive_data(chunk)
                continue
            opcode, payload = message
            if opcode == websocket.OP_CLOSE:
                return b""
            if opcode == websocket.OP_PING:
                # RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame"
                stream.send(self.sock, websocket.encode_frame(websocket.OP_PONG, payload), deadline, "send")
            elif opcode in (websocket.OP_TEXT, websocket.OP_BINARY):
                return payload
