# SPDX-License-Identifier: GPL-3.0-or-later
"""WebSocket client codec (codec layer; RFC 6455 §4.1, §5; subprotocol "sip" of RFC 7118 §4).

Our own because no library of the design speaks WebSocket and the candidates
(websockets, wsproto) would add a dependency and an import larger than this
file for one handshake and a few frames. Sans-IO: handshake bytes, checked
handshake answer, masked client frames, and a decoder that turns server bytes
into whole messages. Malformed input raises DecodeError ("WebSocket ...").
"""

from __future__ import annotations

import base64
import os
import struct

from check_rtc.errors import DecodeError

# RFC 6455 §1.3: the GUID appended to the key for Sec-WebSocket-Accept.
ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HANDSHAKE_BYTES = 16384
MAX_MESSAGE_BYTES = 1 << 20
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def new_key() -> str:
    """RFC 6455 §4.1: "a randomly selected 16-byte value that has been base64-encoded"."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def handshake_request(host: str, port: int, path: str, key: str, protocol: str = "sip",
                      default_port: int = 80) -> bytes:
    """The opening handshake (RFC 6455 §4.1) asking for `protocol` (RFC 7118 §4.1: "sip")."""
    authority = f"[{host}]" if ":" in host else host
    if port != default_port:
        authority += f":{port}"
    return (f"GET {path} HTTP/1.1\r\n"
            f"Host: {authority}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Protocol: {protocol}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode("ascii")


def expected_accept(key: str) -> str:
    import hashlib

    digest = hashlib.sha1((key + ACCEPT_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def handshake_end(data: bytes) -> int | None:
    """Length of the complete handshake answer at the start of `data`, or None if incomplete."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > MAX_HANDSHAKE_BYTES:
            raise DecodeError(f"WebSocket handshake answer exceeds {MAX_HANDSHAKE_BYTES} bytes")
        return None
    return end + 4


def check_handshake(answer: bytes, key: str, protocol: str = "sip") -> None:
    """DecodeError unless `answer` accepts our handshake with `protocol` (RFC 6455 §4.1 steps 1-6)."""
    lines = answer.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[0].startswith("HTTP/") or status[1] != "101":
        raise DecodeError(f"WebSocket handshake refused: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in headers.get("connection", "").lower():
        raise DecodeError("WebSocket handshake answer lacks Upgrade: websocket")
    if headers.get("sec-websocket-accept") != expected_accept(key):
        raise DecodeError("WebSocket handshake answer has a wrong Sec-WebSocket-Accept")
    # RFC 7118 §4.1: the server "MUST" answer with the "sip" subprotocol it accepted.
    if headers.get("sec-websocket-protocol", "").lower() != protocol:
        raise DecodeError(f"WebSocket server did not accept the '{protocol}' subprotocol")


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None) -> bytes:
    """One final frame; RFC 6455 §5.3: "The masking key is a 32-bit value chosen at random"."""
    mask = mask if mask is not None else os.urandom(4)
    length = len(payload)
    # RFC 6455 §5.1: "a client MUST mask all frames that it sends to the server"
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return header + mask + _mask(payload, mask)


def _mask(payload: bytes, mask: bytes) -> bytes:
    """RFC 6455 §5.3: octet i of the payload XOR octet i MOD 4 of the key."""
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


class FrameDecoder:
    """Server bytes in, (opcode, payload) messages out, fragments joined (RFC 6455 §5.4)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> tuple[int, bytes] | None:
        """The next whole message or control frame, or None until more data comes."""
        while (frame := self._next_frame()) is not None:
            message = self._assemble(*frame)
            if message is not None:
                return message
        return None

    def _next_frame(self) -> tuple[bool, int, bytes] | None:
        data = self._buffer
        if len(data) < 2:
            return None
        first, second = data[0], data[1]
        if first & 0x70:
            raise DecodeError("WebSocket frame has reserved bits set without an extension")
        # RFC 6455 §5.1: "A client MUST close a connection if it detects a masked frame."
        if second & 0x80:
            raise DecodeError("WebSocket frame from the server is masked")
        length, offset = second & 0x7F, 2
        if length >= 126:
            size = 2 if length == 126 else 8
            if len(data) < 2 + size:
                return None
            length, offset = int.from_bytes(data[2:2 + size], "big"), 2 + size
        if length > MAX_MESSAGE_BYTES:
            raise DecodeError(f"WebSocket frame of {length} bytes exceeds {MAX_MESSAGE_BYTES}")
        if len(data) < offset + length:
            return None
        self._buffer = data[offset + length:]
        return bool(first & 0x80), first & 0x0F, data[offset:offset + length]

    def _assemble(self, final: bool, opcode: int, payload: bytes) -> tuple[int, bytes] | None:
        if opcode >= OP_CLOSE:
            # RFC 6455 §5.5: "Control frames MAY be injected in the middle of a fragmented message."
            if not final or len(payload) > 125:
                raise DecodeError("WebSocket control frame is fragmented or longer than 125 bytes")
            return opcode, payload
        if opcode not in (OP_CONTINUATION, OP_TEXT, OP_BINARY):
            raise DecodeError(f"WebSocket frame has unknown opcode {opcode:#x}")
        if (opcode == OP_CONTINUATION) != bool(self._fragments):
            raise DecodeError("WebSocket continuation frame out of sequence")
        if opcode != OP_CONTINUATION:
            self._fragment_opcode = opcode
        self._fragments.append(payload)
        if sum(len(f) for f in self._fragments) > MAX_MESSAGE_BYTES:
            raise DecodeError(f"WebSocket message exceeds {MAX_MESSAGE_BYTES} bytes")
        if not final:
            return None
        message, self._fragments = b"".join(self._fragments), []
        return self._fragment_opcode, message
