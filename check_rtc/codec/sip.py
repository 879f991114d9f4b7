# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP message codec (codec layer; RFC 3261 §7, §18.3, §20, §25).

Builds requests (and our answers to a peer's requests) as bytes and parses
responses and requests: one whole message from a datagram or a WebSocket
message (RFC 7118 §5), or a byte stream cut into messages by Content-Length
(RFC 3261 §18.3) with StreamFramer. No I/O, no clock. Malformed input
raises DecodeError, with a message that starts with "SIP ", and nothing
else.

Only what a client needs to judge an answer is interpreted: the status line,
header fields by name (compact forms folded into long ones, RFC 3261 §7.3.3),
the top Via's branch, CSeq, the auth-params of a digest challenge, and the
URI and parameters of name-addr values (Contact, Record-Route, To's tag).
"""

from __future__ import annotations

import os
from collections import namedtuple

from check_rtc.errors import DecodeError

# A header section larger than this never ends in practice: a peer that keeps
# sending header lines must not hold the check until its deadline.
MAX_HEADER_BYTES = 16384
MAX_BODY_BYTES = 65536
# RFC 3261 §8.1.1.7: "The branch ID inserted by an element compliant with
# this specification MUST always begin with the characters "z9hG4bK"."
BRANCH_COOKIE = "z9hG4bK"

# RFC 3261 §7.3.3 compact forms (and RFC 3515/3841/4028 ones a proxy may use).
COMPACT_FORMS = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to",
    "v": "via", "o": "event", "r": "refer-to", "u": "allow-events", "x": "session-expires",
}


class _Fields:
    """Header access shared by Response and Request (`headers`: lower-case name, value pairs)."""

    __slots__ = ()
    headers: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]


class Response(_Fields, namedtuple("Response", "code reason headers body")):
    """A SIP response: status code, reason phrase, (lower-case name, value) pairs, body."""

    __slots__ = ()
    code: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Request(_Fields, namedtuple("Request", "method uri headers body")):
    """A SIP request a peer sent us (a BYE within our call): method, Request-URI, headers, body."""

    __slots__ = ()
    method: str
    uri: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class RequestSpec(namedtuple(
        "RequestSpec", "method uri via_transport via_host via_port from_uri from_tag to_uri call_id cseq "
                       "branch user_agent extra_headers to_tag body content_type",
        defaults=("check_sip", (), "", b"", ""))):
    """Everything that goes into one request; the probe fills it, encode_request() writes it.

    `to_tag` is the remote tag of a dialog (RFC 3261 §12.2.1.1), `body` goes with `content_type`.
    """

    __slots__ = ()
    method: str
    uri: str
    via_transport: str
    via_host: str
    via_port: int
    from_uri: str
    from_tag: str
    to_uri: str
    call_id: str
    cseq: int
    branch: str
    user_agent: str
    extra_headers: tuple[tuple[str, str], ...]
    to_tag: str
    body: bytes
    content_type: str


def new_branch() -> str:
    """A branch unique in space and time (RFC 3261 §8.1.1.7), with the magic cookie."""
    return f"{BRANCH_COOKIE}-{os.urandom(8).hex()}"


def new_token() -> str:
    """Random text for tags and Call-IDs (RFC 3261 §19.3: "at least 32 bits of randomness")."""
    return os.urandom(8).hex()


def encode_request(spec: RequestSpec) -> bytes:
    """The request as bytes, with the mandatory header fields of RFC 3261 §8.1.1."""
    via_host = f"[{spec.via_host}]" if ":" in spec.via_host else spec.via_host
    lines = [
        f"{spec.method} {spec.uri} SIP/2.0",
        # RFC 3581 §3: "rport" asks the server to answer the source port (NAT).
        f"Via: SIP/2.0/{spec.via_transport.upper()} {via_host}:{spec.via_port};branch={spec.branch};rport",
        # RFC 3261 §8.1.1.6: "A UAC MUST insert a Max-Forwards header field ... 70"
        "Max-Forwards: 70",
        f"From: <{spec.from_uri}>;tag={spec.from_tag}",
        f"To: <{spec.to_uri}>" + (f";tag={spec.to_tag}" if spec.to_tag else ""),
        f"Call-ID: {spec.call_id}",
        f"CSeq: {spec.cseq} {spec.method}",
        f"User-Agent: {spec.user_agent}",
        # RFC 3261 §11.1: an OPTIONS "SHOULD" carry Accept; SDP is what a UA answers with.
        "Accept: application/sdp",
    ]
    lines += [f"{name}: {value}" for name, value in spec.extra_headers]
    if spec.content_type:
        lines.append(f"Content-Type: {spec.content_type}")
    lines += [f"Content-Length: {len(spec.body)}", "", ""]
    return "\r\n".join(lines).encode("utf-8") + spec.body


def encode_response(request: Request, code: int, reason: str, to_tag: str,
                    extra_headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    """Our answer to a peer's request (a BYE within our call), without a body.

    RFC 3261 §8.2.6.2: "The From field of the response MUST equal the From header field of
    the request. The Call-ID ... MUST equal ... The CSeq ... MUST equal ... The Via header
    field values in the response MUST equal the Via header field values in the request".
    """
    to = request.get("to") or ""
    if ";tag=" not in to.replace(" ", "").lower():
        to += f";tag={to_tag}"
    lines = [f"SIP/2.0 {code} {reason}"]
    lines += [f"Via: {via}" for via in request.get_all("via")]
    lines += [f"From: {request.get('from') or ''}", f"To: {to}", f"Call-ID: {request.get('call-id') or ''}",
              f"CSeq: {request.get('cseq') or ''}"]
    lines += [f"{name}: {value}" for name, value in extra_headers]
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8")


def decode_response(data: bytes) -> Response:
    """One whole response (a datagram, a WebSocket message, or a framed stream message)."""
    first, headers, body = _decode(data)
    code, reason = _status_line(first)
    return Response(code, reason, headers, body)


def is_response(data: bytes) -> bool:
    """RFC 3261 §7: a response starts with the SIP-Version, a request with its method."""
    return data.lstrip(b"\r\n")[:8].upper() == b"SIP/2.0 "


def decode_request(data: bytes) -> Request:
    """One whole request; RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF."""
    first, headers, body = _decode(data.lstrip(b"\r\n"))
    parts = first.split(" ")
    if len(parts) != 3 or parts[2].upper() != "SIP/2.0" or not parts[0].isalpha() or not parts[1]:
        raise DecodeError(f"SIP request line expected, got {first[:40]!r}")
    return Request(parts[0].upper(), parts[1], headers, body)


def _decode(data: bytes) -> tuple[str, tuple[tuple[str, str], ...], bytes]:
    """The first line, the header fields and the body of one whole message."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")  # RFC 3261 §7.5: bare LF tolerated
    if not separator:
        raise DecodeError("SIP message has no end of header section")
    if len(head) > MAX_HEADER_BYTES:
        raise DecodeError(f"SIP header section exceeds {MAX_HEADER_BYTES} bytes")
    lines = _unfold(_text(head).splitlines())
    headers = tuple(_header(line) for line in lines[1:] if line)
    length = content_length(headers)
    if length is not None and length > len(body):
        raise DecodeError(f"SIP body is truncated ({len(body)} of {length} bytes)")
    return (lines[0] if lines else ""), headers, body if length is None else body[:length]


def _text(head: bytes) -> str:
    # RFC 3261 §7.3: header values are UTF-8; a stray byte must not fail a
    # check on a server that answers otherwise, so it becomes U+FFFD.
    return head.decode("utf-8", "replace")


def _unfold(lines: list[str]) -> list[str]:
    """RFC 3261 §7.3.1: a line starting with whitespace continues the previous one."""
    joined: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and len(joined) > 1:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    return joined


def _status_line(line: str) -> tuple[int, str]:
    """RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF."""
    version, _, rest = line.partition(" ")
    if version.upper() != "SIP/2.0":
        shown = line[:40] + ("..." if len(line) > 40 else "")
        raise DecodeError(f"SIP status line expected, got {shown!r}")
    code_text, _, reason = rest.partition(" ")
    if len(code_text) != 3 or not code_text.isdigit() or not 100 <= int(code_text) <= 699:
        raise DecodeError(f"SIP status code {code_text[:10]!r} is not 100-699")
    return int(code_text), reason.strip()


def _header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    name = name.strip().lower()
    if not colon or not name or " " in name:
        raise DecodeError(f"SIP header line without a name: {line[:40]!r}")
    return COMPACT_FORMS.get(name, name), value.strip()


def content_length(headers: tuple[tuple[str, str], ...]) -> int | None:
    """The Content-Length value, None when absent; DecodeError when not a sane number."""
    values = [value for name, value in headers if name == "content-length"]
    if not values:
        return None
    if not values[0].isdigit() or int(values[0]) > MAX_BODY_BYTES:
        raise DecodeError(f"SIP Content-Length {values[0][:20]!r} is not 0-{MAX_BODY_BYTES}")
    return int(values[0])


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages (RFC 3261 §18.3).

    "In the case of stream-oriented transports such as TCP, the
    Content-Length header field indicates the size of the body." A missing
    Content-Length is read as 0. Framing errors raise DecodeError: a stream
    cannot be resynchronised after them.
    """

    def __init__(self) -> None:
        self._buffer = b""

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> bytes | None:
        """The next complete message, or None until more data comes."""
        # RFC 3261 §7.5: "implementations ... MUST ignore any CRLFs appearing before the start-line"
        # (and RFC 5626 §3.5.1 keep-alive CRLFs look the same).
        self._buffer = self._buffer.lstrip(b"\r\n")
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                raise DecodeError(f"SIP header section exceeds {MAX_HEADER_BYTES} bytes")
            return None
        if end > MAX_HEADER_BYTES:
            raise DecodeError(f"SIP header section exceeds {MAX_HEADER_BYTES} bytes")
        lines = _unfold(_text(self._buffer[:end]).splitlines())[1:]
        length = content_length(tuple(_header(line) for line in lines if line)) or 0
        total = end + 4 + length
        if len(self._buffer) < total:
            return None
        message, self._buffer = self._buffer[:total], self._buffer[total:]
        return message


def via_branch(via: str) -> str | None:
    """The branch parameter of the first Via value, or None."""
    first = via.split(",", 1)[0]
    for param in first.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "branch":
            return value.strip()
    return None


def cseq(value: str) -> tuple[int, str]:
    """RFC 3261 §20.16: CSeq = 1*DIGIT LWS Method; DecodeError when malformed."""
    parts = value.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
        raise DecodeError(f"SIP CSeq {value[:30]!r} is not 'NUMBER METHOD'")
    return int(parts[0]), parts[1]


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    """A WWW-/Proxy-Authenticate value: (scheme, lower-case auth-param -> value).

    RFC 3261 §25.1 / RFC 7235 §2.1: auth-param = token "=" ( token / quoted-string ).
    """
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        name, value_text, position = _auth_param(rest, position)
        if name:
            params[name.lower()] = value_text
    return scheme, params


def _auth_param(text: str, position: int) -> tuple[str, str, int]:
    """One name=value from `position`; returns it and the position after its comma."""
    equals = text.find("=", position)
    if equals < 0:
        raise DecodeError(f"SIP challenge parameter without '=': {text[position:position + 30]!r}")
    name = text[position:equals].strip(" ,\t")
    index = equals + 1
    while index < len(text) and text[index] in " \t":
        index += 1
    if text[index:index + 1] == '"':
        value, index = _quoted(text, index + 1)
    else:
        end = text.find(",", index)
        end = len(text) if end < 0 else end
        value, index = text[index:end].strip(), end
    comma = text.find(",", index)
    return name, value, len(text) if comma < 0 else comma + 1


def _quoted(text: str, index: int) -> tuple[str, int]:
    """RFC 3261 §25.1 quoted-string from just after the opening quote, with quoted-pairs."""
    value = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            value.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(value), index + 1
        value.append(char)
        index += 1
    raise DecodeError("SIP challenge has an unterminated quoted string")


def split_values(values: list[str]) -> list[str]:
    """RFC 3261 §7.3.1: comma-separated values of one header field, commas inside <> or quotes kept."""
    items = []
    for value in values:
        depth, quoted, start = 0, False, 0
        for index, char in enumerate(value):
            if char == '"':
                quoted = not quoted
            elif not quoted and char in "<>":
                depth += 1 if char == "<" else -1
            elif char == "," and not quoted and depth <= 0:
                items.append(value[start:index].strip())
                start = index + 1
        items.append(value[start:].strip())
    return [item for item in items if item]


def addr_uri(value: str) -> str:
    """RFC 3261 §20.10: the URI of a name-addr ('"A" <sip:a@b>;p') or addr-spec ('sip:a@b;p')."""
    opening = value.find("<")
    if opening >= 0:
        closing = value.find(">", opening)
        if closing < 0:
            raise DecodeError(f"SIP name-addr without '>': {value[:40]!r}")
        return value[opening + 1 : closing].strip()
    # §20.10: without <>, a ';' starts the header parameters, not URI parameters.
    return value.split(";", 1)[0].strip()


def header_param(value: str, name: str) -> str | None:
    """A header parameter after the URI (e.g. To's "tag", RFC 3261 §19.3), or None."""
    closing = value.find(">")
    params = value[closing + 1 :] if closing >= 0 else value.partition(";")[2]
    for param in params.split(";"):
        key, _, text = param.partition("=")
        if key.strip().lower() == name:
            return text.strip()
    return None
