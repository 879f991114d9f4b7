# SPDX-License-Identifier: GPL-3.0-or-later
"""SDP for one audio stream: the offer we make and the answer we read (codec layer; RFC 8866, RFC 3264).

encode_offer() writes a session with one audio m-line (RFC 3264 §5);
decode() reads any session description into its lines, raising DecodeError
(message "SDP ...") and nothing else; answered_media() says what the
answer accepted (RFC 3264 §6, §6.1): the first of our payload formats the
answer lists, where to send RTP and RTCP (RFC 3605 a=rtcp, else port + 1,
RFC 3550 §11), or that the stream was refused (port 0).
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.errors import DecodeError

MAX_SDP_BYTES = 65536
# RFC 3551 §6 static payload types, with the encoding names and clock rates of its Table 4.
STATIC_FORMATS = {0: ("PCMU", 8000, 1), 8: ("PCMA", 8000, 1), 9: ("G722", 8000, 1)}


class PayloadFormat(namedtuple("PayloadFormat", "payload_type encoding clock_rate channels")):
    """One RTP payload format of an m-line: a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]."""

    __slots__ = ()
    payload_type: int
    encoding: str
    clock_rate: int
    channels: int

    def rtpmap(self) -> str:
        channels = f"/{self.channels}" if self.channels != 1 else ""
        return f"a=rtpmap:{self.payload_type} {self.encoding}/{self.clock_rate}{channels}"


class Media(namedtuple("Media", "media port proto formats connection attributes")):
    """An m-line (RFC 8866 §5.14) with its own c= (or None) and a= lines ((name, value) pairs)."""

    __slots__ = ()
    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    connection: str | None
    attributes: tuple[tuple[str, str], ...]

    def attribute(self, name: str) -> list[str]:
        return [value for key, value in self.attributes if key == name]


class Session(namedtuple("Session", "origin connection media")):
    """A decoded session description: o= line, session-level c= address (or None), m-sections."""

    __slots__ = ()
    origin: str
    connection: str | None
    media: tuple[Media, ...]


class Accepted(namedtuple("Accepted", "format address rtp_port rtcp_port direction")):
    """What an answer accepted of our audio offer; `format` None: none of our codecs."""

    __slots__ = ()
    format: PayloadFormat | None
    address: str
    rtp_port: int
    rtcp_port: int
    direction: str


def encode_offer(address: str, port: int, formats: list[PayloadFormat], session_id: int, ptime_ms: int) -> bytes:
    """RFC 3264 §5: one sendrecv audio stream on `address`:`port`, `formats` in our order of preference."""
    family = "IP6" if ":" in address else "IP4"
    lines = [
        "v=0",
        # RFC 8866 §5.2: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
        f"o=check_rtc_call {session_id} {session_id} IN {family} {address}",
        "s=check_rtc_call",
        f"c=IN {family} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(f.payload_type) for f in formats)}",
        *(f.rtpmap() for f in formats),
        f"a=ptime:{ptime_ms}",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def decode(data: bytes) -> Session:
    """The lines of a session description; DecodeError when it is not one."""
    if len(data) > MAX_SDP_BYTES:
        raise DecodeError(f"SDP body exceeds {MAX_SDP_BYTES} bytes")
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line]
    # RFC 8866 §5: "An SDP description ... MUST begin with a v= line"; version 0 (§5.1).
    if not lines or lines[0].strip() != "v=0":
        raise DecodeError("SDP does not start with v=0")
    origin, connection, media = "", None, []
    for kind, value in (_line(line) for line in lines[1:]):
        if kind == "m":
            media.append(_media(value))
        elif kind == "c":
            if media:
                media[-1] = media[-1]._replace(connection=_connection(value))
            else:
                connection = _connection(value)
        elif kind == "a" and media:
            name, _, rest = value.partition(":")
            media[-1] = media[-1]._replace(attributes=media[-1].attributes + ((name, rest.strip()),))
        elif kind == "o":
            origin = value
    return Session(origin, connection, tuple(media))


def _line(line: str) -> tuple[str, str]:
    # RFC 8866 §5: <type>=<value>, where <type> is exactly one case-significant character.
    if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
        raise DecodeError(f"SDP line is not <type>=<value>: {line[:40]!r}")
    return line[0], line[2:]


def _media(value: str) -> Media:
    """RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ..."""
    fields = value.split()
    if len(fields) < 3:
        raise DecodeError(f"SDP m= line has fewer than 3 fields: {value[:40]!r}")
    port = fields[1].partition("/")[0]
    if not port.isdigit() or int(port) > 65535:
        raise DecodeError(f"SDP m= port {fields[1][:12]!r} is not 0-65535")
    return Media(fields[0], int(port), fields[2], tuple(fields[3:]), None, ())


def _connection(value: str) -> str:
    """RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address>; the address, without a TTL."""
    fields = value.split()
    if len(fields) != 3 or fields[0] != "IN" or fields[1] not in ("IP4", "IP6"):
        raise DecodeError(f"SDP c= line is not 'IN IP4|IP6 <address>': {value[:40]!r}")
    return fields[2].partition("/")[0]


def payload_formats(media: Media) -> list[PayloadFormat]:
    """The m-line's formats with their rtpmap (or the RFC 3551 static meaning); unmapped dynamic ones skipped."""
    mapped = {}
    for value in media.attribute("rtpmap"):
        pt, _, encoding = value.partition(" ")
        parts = encoding.strip().split("/")
        if pt.isdigit() and len(parts) >= 2 and parts[1].isdigit():
            channels = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
            mapped[int(pt)] = PayloadFormat(int(pt), parts[0], int(parts[1]), channels)
    formats = []
    for text in media.formats:
        number = int(text) if text.isdigit() else -1
        if number in mapped:
            formats.append(mapped[number])
        elif number in STATIC_FORMATS:
            formats.append(PayloadFormat(number, *STATIC_FORMATS[number]))
    return formats


def answered_media(answer: Session, offered: list[PayloadFormat]) -> Accepted | None:
    """What the answer's first audio stream accepted; None when it refused the stream or has none."""
    audio = next((m for m in answer.media if m.media == "audio"), None)
    # RFC 3264 §6: "An offered stream MAY be rejected in the answer, for any reason. If a
    # stream is rejected, ... the port number in the corresponding stream in the answer MUST be zero."
    if audio is None or audio.port == 0:
        return None
    address = audio.connection or answer.connection
    if address is None:
        raise DecodeError("SDP answer has no c= line for its audio stream")
    # RFC 3264 §6.1: the answer lists the formats it will use; we send the first of ours it lists.
    wanted = {_key(f): f for f in offered}
    chosen = next((wanted[_key(f)] for f in payload_formats(audio) if _key(f) in wanted), None)
    if chosen is not None:
        # RFC 3264 §5.1: "the payload type numbers indicate the value in the payload type field
        # of RTP packets the offerer is expecting to receive"; the same holds for the answer, so
        # we send with the answer's number for the codec.
        chosen = chosen._replace(payload_type=_answer_number(audio, chosen))
    return Accepted(chosen, address, audio.port, _rtcp_port(audio), _direction(audio))


def _key(fmt: PayloadFormat) -> tuple[str, int]:
    return fmt.encoding.lower(), fmt.clock_rate


def _answer_number(audio: Media, chosen: PayloadFormat) -> int:
    return next(f.payload_type for f in payload_formats(audio) if _key(f) == _key(chosen))


def _rtcp_port(audio: Media) -> int:
    # RFC 3605 §2.1: a=rtcp:<port> [...]; RFC 3550 §11: otherwise "the next higher (odd) port number".
    for value in audio.attribute("rtcp"):
        port = value.split(" ", 1)[0]
        if port.isdigit() and 0 < int(port) < 65536:
            return int(port)
    return audio.port + 1


def _direction(audio: Media) -> str:
    # RFC 3264 §6.1 / RFC 8866 §6.7: sendrecv unless the answer says otherwise.
    names = {name for name, _ in audio.attributes}
    return next((d for d in ("sendonly", "recvonly", "inactive") if d in names), "sendrecv")
