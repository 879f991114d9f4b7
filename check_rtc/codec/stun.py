# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN/TURN message codec (codec layer; RFC 8489 §5-§6, §9, §14; RFC 8656; RFC 5780).

Pure functions and immutable value objects (namedtuples): bytes in, Message out, and back. No I/O,
no clock. Malformed input raises DecodeError, with a message that starts with
"STUN ", and nothing else; a bad argument to an encoder is a caller bug and
raises ValueError.

Why our own codec rather than aioice.stun: importing aioice costs +60 ms
(Debian) / +107 ms (PyPI) per plugin start, because its __init__ pulls in ICE,
mDNS and dnspython, against a ~31 ms floor for a whole minimal nagiosplugin
check; and aioice.stun.parse_message leaks struct.error / IndexError on
malformed input. This module imports only cheap stdlib modules (enum, struct,
zlib, collections; hmac and hashlib only when integrity is computed) and
formats IP addresses itself instead of importing socket or ipaddress.

Choices a reader should know:

- Values: addresses are (ip_string, port); ERROR-CODE is (code, reason);
  flags (DONT-FRAGMENT, USE-CANDIDATE) are True; unknown attributes are kept
  as ("0xHHHH", raw bytes) in order. PASSWORD-ALGORITHM(S) stay raw bytes.
- Text: USERNAME, REALM, NONCE and ALTERNATE-DOMAIN feed keys and are echoed
  back, so they are decoded strictly as UTF-8 (bad bytes: DecodeError).
  SOFTWARE and reason phrases are only informational, so bad bytes become
  U+FFFD instead of failing a check on a server that otherwise works.
- Attributes after MESSAGE-INTEGRITY (other than MESSAGE-INTEGRITY-SHA256
  and FINGERPRINT) are bounds-checked but dropped, as RFC 8489 §14.5 says.
- Keys: RFC 8489 §9.2.2 runs realm and password through OpaqueString (RFC
  5389: SASLprep). We use the strings as given, like coturn does; an
  operator with a non-ASCII password must supply its prepared form.
"""

from __future__ import annotations

import enum
import os
import struct
import zlib
from collections import namedtuple

from check_rtc.codec.reader import Reader
from check_rtc.errors import DecodeError

# Imported only by type checkers: typing alone costs ~5 ms per plugin start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Decoder = Callable[[Reader, bytes], object]
    Encoder = Callable[[Any, bytes], bytes]
    Address = tuple[str, int]

HEADER_BYTES = 20
MAGIC_COOKIE = 0x2112A442
_COOKIE_BYTES = MAGIC_COOKIE.to_bytes(4, "big")
# RFC 8489 §14.7: "XOR'ed with the 32-bit value 0x5354554e"
FINGERPRINT_XOR = 0x5354554E
_MI_CODE = 0x0008
_MI_SHA256_CODE = 0x001C
_FINGERPRINT_CODE = 0x8028
_MI_BYTES = 20
CHANNEL_MIN = 0x4000
CHANNEL_MAX = 0x4FFF


class Method(enum.IntEnum):
    """STUN methods (RFC 8489 §18.2, RFC 8656 §17)."""

    BINDING = 0x001
    ALLOCATE = 0x003
    REFRESH = 0x004
    SEND = 0x006
    DATA = 0x007
    CREATE_PERMISSION = 0x008
    CHANNEL_BIND = 0x009


class Class(enum.IntEnum):
    """STUN message classes, as the two bits C1 C0 (RFC 8489 §5)."""

    REQUEST = 0b00
    INDICATION = 0b01
    SUCCESS = 0b10
    ERROR = 0b11


class Message(namedtuple("Message", "method cls transaction_id attributes", defaults=((),))):
    """One STUN message; `attributes` keeps wire order as (name, value) pairs."""

    __slots__ = ()
    method: Method
    cls: Class
    transaction_id: bytes
    attributes: tuple[tuple[str, object], ...]

    def get(self, name: str, default: object = None) -> object:
        """The value of the first attribute called `name`, else `default`."""
        for key, value in self.attributes:
            if key == name:
                return value
        return default


def new_transaction_id() -> bytes:
    """96 random bits (RFC 8489 §5: "uniformly and randomly chosen from the interval 0 .. 2**96-1")."""
    return os.urandom(12)


def binding_request(transaction_id: bytes | None = None) -> Message:
    """A Binding request with no attributes, the core of every STUN check."""
    return Message(Method.BINDING, Class.REQUEST, transaction_id or new_transaction_id())


# --- message type: RFC 8489 §5 interleaves method and class bits -------------
#
#   0                 1
#   2  3  4 5 6 7 8 9 0 1 2 3 4 5
#  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
#  |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
#  |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
#  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+


def _message_type(method: int, cls: int) -> int:
    """Interleave 12 method bits and 2 class bits into the 14-bit message type."""
    bits = (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
    return bits | ((cls & 0b01) << 4) | ((cls & 0b10) << 7)


def _split_type(message_type: int) -> tuple[int, int]:
    """The (method, class) bits of a 14-bit message type."""
    method = (message_type & 0x000F) | ((message_type & 0x00E0) >> 1) | ((message_type & 0x3E00) >> 2)
    return method, ((message_type >> 4) & 0b01) | ((message_type >> 7) & 0b10)


# --- IP addresses, formatted here to avoid importing socket or ipaddress ------


def _format_ip(packed: bytes) -> str:
    """Dotted quad for 4 bytes, RFC 5952 text for 16 bytes."""
    if len(packed) == 4:
        return ".".join(str(octet) for octet in packed)
    groups = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2)]
    start, length = _longest_zero_run(groups)
    words = [f"{group:x}" for group in groups]
    # RFC 5952 §4.2.2: "The symbol "::" MUST NOT be used to shorten just one 16-bit 0 field."
    if length < 2:
        return ":".join(words)
    return ":".join(words[:start]) + "::" + ":".join(words[start + length :])


def _longest_zero_run(groups: list[int]) -> tuple[int, int]:
    """(start, length) of the first longest run of zero groups (RFC 5952 §4.2.3)."""
    best = (0, 0)
    run_start = 0
    for index, group in enumerate([*groups, 1]):
        if group:
            if index - run_start > best[1]:
                best = (run_start, index - run_start)
            run_start = index + 1
    return best


def _parse_ip(text: str) -> bytes:
    """4 or 16 bytes for an IPv4 or IPv6 literal; ValueError if it is neither."""
    packed = _parse_ipv6(text) if ":" in text else _parse_ipv4(text)
    if packed is None:
        raise ValueError(f"invalid IP address {text!r}")
    return packed


def _parse_ipv4(text: str) -> bytes | None:
    """4 bytes for a dotted quad without leading zeros, else None."""
    parts = text.split(".")
    if len(parts) != 4 or not all(_is_decimal_octet(part) for part in parts):
        return None
    return bytes(int(part) for part in parts)


def _is_decimal_octet(part: str) -> bool:
    """True for "0".."255" written without a leading zero."""
    if not (part.isascii() and part.isdigit()) or len(part) > 3:
        return False
    return int(part) <= 255 and (part == "0" or not part.startswith("0"))


def _parse_ipv6(text: str) -> bytes | None:
    """16 bytes for an IPv6 literal (with "::" and a dotted-quad tail), else None."""
    head, elided, tail = text.partition("::")
    left, right = _ipv6_groups(head), _ipv6_groups(tail)
    if left is None or right is None:
        return None
    missing = 8 - len(left) - len(right)
    if (elided and missing < 1) or (not elided and missing != 0):
        return None
    return b"".join(group.to_bytes(2, "big") for group in left + [0] * missing + right)


def _ipv6_groups(part: str) -> list[int] | None:
    """The 16-bit groups of one side of "::", or None if one is malformed."""
    if not part:
        return []
    words = part.split(":")
    groups: list[int] = []
    if "." in words[-1]:
        quad = _parse_ipv4(words.pop())
        if quad is None:
            return None
        groups = [int.from_bytes(quad[:2], "big"), int.from_bytes(quad[2:], "big")]
    if not all(0 < len(word) <= 4 and all(c in "0123456789abcdefABCDEF" for c in word) for word in words):
        return None
    return [int(word, 16) for word in words] + groups


# --- attribute value codecs: (Reader over the value, transaction id) -> value --


def _xor_address(packed: bytes, port: int, transaction_id: bytes) -> tuple[bytes, int]:
    """XOR-MAPPED-ADDRESS obfuscation; its own inverse."""
    # RFC 8489 §14.2: IPv4 is XORed with the magic cookie, IPv6 "with the
    # concatenation of the magic cookie and the 96-bit transaction ID"
    mask = (_COOKIE_BYTES + transaction_id)[: len(packed)]
    return bytes(a ^ b for a, b in zip(packed, mask, strict=True)), port ^ (MAGIC_COOKIE >> 16)


def _decode_address(reader: Reader, transaction_id: bytes, xor: bool) -> Address:
    reader.take(1)  # RFC 8489 §14.1: the first 8 bits "MUST be set to 0 and MUST be ignored by receivers"
    family = reader.uint(1)
    port = reader.uint(2)
    # RFC 8489 §14.1: "0x01:IPv4", "0x02:IPv6"
    if family not in (1, 2):
        raise reader.error(f"has unknown address family {family}")
    packed = reader.take(4 if family == 1 else 16)
    reader.done()
    if xor:
        packed, port = _xor_address(packed, port, transaction_id)
    return _format_ip(packed), port


def _encode_address(value: Address, transaction_id: bytes, xor: bool) -> bytes:
    ip, port = value
    packed = _parse_ip(ip)
    if xor:
        packed, port = _xor_address(packed, port, transaction_id)
    return bytes([0, 1 if len(packed) == 4 else 2]) + port.to_bytes(2, "big") + packed


def _address(xor: bool) -> tuple[Decoder, Encoder]:
    def decode(reader: Reader, transaction_id: bytes) -> object:
        return _decode_address(reader, transaction_id, xor)

    def encode(value: Address, transaction_id: bytes) -> bytes:
        return _encode_address(value, transaction_id, xor)

    return decode, encode


def _uint(size: int, field: int = 0) -> tuple[Decoder, Encoder]:
    """An unsigned integer of `size` bytes, then zero bytes up to `field` (RFFU)."""
    padding = max(field - size, 0)

    def decode(reader: Reader, transaction_id: bytes) -> object:
        value = reader.uint(size)
        reader.take(padding)  # "Reserved For Future Use": ignored on receipt
        reader.done()
        return value

    def encode(value: int, transaction_id: bytes) -> bytes:
        return value.to_bytes(size, "big") + bytes(padding)

    return decode, encode


def _opaque(low: int = 0, high: int = 0xFFFF, step: int = 1) -> tuple[Decoder, Encoder]:
    """Raw bytes whose length must lie in [low, high] and be a multiple of `step`."""

    def decode(reader: Reader, transaction_id: bytes) -> object:
        size = reader.remaining
        if not (low <= size <= high and size % step == 0):
            raise reader.error(f"has length {size}, expected {_expected_length(low, high, step)}")
        return reader.rest()

    def encode(value: bytes, transaction_id: bytes) -> bytes:
        return bytes(value)

    return decode, encode


def _expected_length(low: int, high: int, step: int) -> str:
    if low == high:
        return str(low)
    if step == 1:
        return f"{low} to {high}"
    return f"a multiple of {step} from {low} to {high}"


def _text(errors: str) -> tuple[Decoder, Encoder]:
    """UTF-8 text; errors="strict" turns bad bytes into DecodeError."""

    def decode(reader: Reader, transaction_id: bytes) -> object:
        try:
            return reader.rest().decode("utf-8", errors)
        except UnicodeDecodeError:
            raise reader.error("is not valid UTF-8") from None

    def encode(value: str, transaction_id: bytes) -> bytes:
        return value.encode("utf-8")

    return decode, encode


def _flag() -> tuple[Decoder, Encoder]:
    """An attribute with an empty value: present means True."""

    def decode(reader: Reader, transaction_id: bytes) -> object:
        reader.done()
        return True

    def encode(value: object, transaction_id: bytes) -> bytes:
        return b""

    return decode, encode


def _decode_code(reader: Reader) -> int:
    """Class and Number of an error code (RFC 8489 §14.8), validated."""
    hundreds = reader.uint(1) & 0x07
    number = reader.uint(1)
    # RFC 8489 §14.8: the Class "MUST be between 3 and 6", the Number "MUST be between 0 and 99"
    if not (3 <= hundreds <= 6 and number <= 99):
        raise reader.error(f"has invalid code {hundreds * 100 + number}")
    return hundreds * 100 + number


def _encode_code(code: int) -> bytes:
    if not 300 <= code <= 699:
        raise ValueError(f"STUN error code {code} is outside 300..699")
    return bytes([code // 100, code % 100])


def _reason(reader: Reader) -> str:
    # Reason phrases are informational: never fail a check on their bytes.
    return reader.rest().decode("utf-8", "replace")


def _decode_error_code(reader: Reader, transaction_id: bytes) -> object:
    reader.take(2)  # RFC 8489 §14.8: reserved bits, "SHOULD be 0 and are for alignment"
    return _decode_code(reader), _reason(reader)


def _encode_error_code(value: tuple[int, str], transaction_id: bytes) -> bytes:
    code, reason = value
    return bytes(2) + _encode_code(code) + reason.encode("utf-8")


def _decode_address_error_code(reader: Reader, transaction_id: bytes) -> object:
    family = reader.uint(1)  # RFC 8656 §18.13: Family, then 13 reserved bits
    reader.take(1)
    return family, _decode_code(reader), _reason(reader)


def _encode_address_error_code(value: tuple[int, int, str], transaction_id: bytes) -> bytes:
    family, code, reason = value
    return bytes([family, 0]) + _encode_code(code) + reason.encode("utf-8")


def _decode_unknown_attributes(reader: Reader, transaction_id: bytes) -> object:
    # RFC 8489 §14.13: "a list of 16-bit values, each of which represents an attribute type"
    codes = []
    while reader.remaining:
        codes.append(reader.uint(2))
    return tuple(codes)


def _encode_unknown_attributes(value: tuple[int, ...], transaction_id: bytes) -> bytes:
    return b"".join(code.to_bytes(2, "big") for code in value)


def _decode_change_request(reader: Reader, transaction_id: bytes) -> object:
    flags = reader.uint(4)
    reader.done()
    # RFC 5780 §7.2: A (0x04) is "change IP", B (0x02) is "change port"
    return bool(flags & 0x04), bool(flags & 0x02)


def _encode_change_request(value: tuple[bool, bool], transaction_id: bytes) -> bytes:
    change_ip, change_port = value
    return ((0x04 if change_ip else 0) | (0x02 if change_port else 0)).to_bytes(4, "big")


def _decode_even_port(reader: Reader, transaction_id: bytes) -> object:
    flags = reader.uint(1)
    reader.done()
    return bool(flags & 0x80)  # RFC 8656 §18.8: the R bit asks to reserve the next-higher port


def _encode_even_port(value: bool, transaction_id: bytes) -> bytes:
    return bytes([0x80 if value else 0])


def _decode_icmp(reader: Reader, transaction_id: bytes) -> object:
    reader.take(2)  # RFC 8656 §18.14: Reserved, then ICMP Type, ICMP Code, Error Data
    value = reader.uint(1), reader.uint(1), reader.uint(4)
    reader.done()
    return value


def _encode_icmp(value: tuple[int, int, int], transaction_id: bytes) -> bytes:
    icmp_type, icmp_code, error_data = value
    return bytes([0, 0, icmp_type, icmp_code]) + error_data.to_bytes(4, "big")


class AttributeSpec(namedtuple("AttributeSpec", "code name decode encode")):
    """How one attribute type is named and coded."""

    __slots__ = ()
    code: int
    name: str
    decode: Decoder
    encode: Encoder


def _spec(code: int, name: str, codec: tuple[Decoder, Encoder]) -> AttributeSpec:
    return AttributeSpec(code, name, *codec)


ATTRIBUTES: tuple[AttributeSpec, ...] = (
    # RFC 8489 §14 (comprehension-required range first)
    _spec(0x0001, "MAPPED-ADDRESS", _address(xor=False)),
    _spec(0x0006, "USERNAME", _text("strict")),
    _spec(_MI_CODE, "MESSAGE-INTEGRITY", _opaque(_MI_BYTES, _MI_BYTES)),
    _spec(0x0009, "ERROR-CODE", (_decode_error_code, _encode_error_code)),
    _spec(0x000A, "UNKNOWN-ATTRIBUTES", (_decode_unknown_attributes, _encode_unknown_attributes)),
    _spec(0x0014, "REALM", _text("strict")),
    _spec(0x0015, "NONCE", _text("strict")),
    # RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4
    _spec(_MI_SHA256_CODE, "MESSAGE-INTEGRITY-SHA256", _opaque(16, 32, 4)),
    _spec(0x001D, "PASSWORD-ALGORITHM", _opaque()),
    _spec(0x001E, "USERHASH", _opaque(32, 32)),
    _spec(0x0020, "XOR-MAPPED-ADDRESS", _address(xor=True)),
    _spec(0x8002, "PASSWORD-ALGORITHMS", _opaque()),
    _spec(0x8003, "ALTERNATE-DOMAIN", _text("strict")),
    _spec(0x8022, "SOFTWARE", _text("replace")),
    _spec(0x8023, "ALTERNATE-SERVER", _address(xor=False)),
    _spec(_FINGERPRINT_CODE, "FINGERPRINT", _uint(4)),
    # RFC 3489 §11.2.3: the classic servers' name for the alternate address
    _spec(0x0005, "CHANGED-ADDRESS", _address(xor=False)),
    # RFC 5780 §7 (NAT behaviour discovery)
    _spec(0x0003, "CHANGE-REQUEST", (_decode_change_request, _encode_change_request)),
    _spec(0x0026, "PADDING", _opaque()),
    _spec(0x0027, "RESPONSE-PORT", _uint(2, field=4)),
    _spec(0x802B, "RESPONSE-ORIGIN", _address(xor=False)),
    _spec(0x802C, "OTHER-ADDRESS", _address(xor=False)),
    # RFC 8656 §18 (TURN)
    _spec(0x000C, "CHANNEL-NUMBER", _uint(2, field=4)),
    _spec(0x000D, "LIFETIME", _uint(4)),
    _spec(0x0012, "XOR-PEER-ADDRESS", _address(xor=True)),
    _spec(0x0013, "DATA", _opaque()),
    _spec(0x0016, "XOR-RELAYED-ADDRESS", _address(xor=True)),
    _spec(0x0017, "REQUESTED-ADDRESS-FAMILY", _uint(1, field=4)),
    _spec(0x0018, "EVEN-PORT", (_decode_even_port, _encode_even_port)),
    _spec(0x0019, "REQUESTED-TRANSPORT", _uint(1, field=4)),
    _spec(0x001A, "DONT-FRAGMENT", _flag()),
    _spec(0x0022, "RESERVATION-TOKEN", _opaque(8, 8)),
    _spec(0x8000, "ADDITIONAL-ADDRESS-FAMILY", _uint(1, field=4)),
    _spec(0x8001, "ADDRESS-ERROR-CODE", (_decode_address_error_code, _encode_address_error_code)),
    _spec(0x8004, "ICMP", (_decode_icmp, _encode_icmp)),
    # RFC 8445 §16.1 (ICE)
    _spec(0x0024, "PRIORITY", _uint(4)),
    _spec(0x0025, "USE-CANDIDATE", _flag()),
    _spec(0x8029, "ICE-CONTROLLED", _uint(8)),
    _spec(0x802A, "ICE-CONTROLLING", _uint(8)),
)
_BY_CODE = {spec.code: spec for spec in ATTRIBUTES}
_BY_NAME = {spec.name: spec for spec in ATTRIBUTES}
# Computed by encode() from its keyword arguments, never taken from Message.attributes.
_COMPUTED = frozenset({"MESSAGE-INTEGRITY", "MESSAGE-INTEGRITY-SHA256", "FINGERPRINT"})


def _attribute_name(code: int) -> str:
    spec = _BY_CODE.get(code)
    return spec.name if spec else f"0x{code:04X}"


# --- decoding -------------------------------------------------------------------


def _check_header(header: bytes) -> int:
    """The length field of a STUN header, after checking what a header alone can show."""
    if len(header) < HEADER_BYTES:
        raise DecodeError(f"STUN message has {len(header)} bytes, shorter than the 20-byte header")
    # RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be zeroes."
    if header[0] & 0xC0:
        raise DecodeError("STUN message does not start with two zero bits")
    cookie = int.from_bytes(header[4:8], "big")
    # RFC 8489 §6.3: "The magic cookie field MUST contain the fixed value 0x2112A442"
    if cookie != MAGIC_COOKIE:
        raise DecodeError(f"STUN magic cookie is 0x{cookie:08X}, not 0x2112A442")
    length = int.from_bytes(header[2:4], "big")
    # RFC 8489 §5: "Since all STUN attributes are padded to a multiple of 4
    # bytes, the last 2 bits of this field are always zero."
    if length % 4:
        raise DecodeError(f"STUN message length {length} is not a multiple of 4")
    return length


def message_length(header: bytes) -> int:
    """Total bytes of the message that `header` (its first 20 bytes or more) starts.

    For framing STUN over TCP/TLS (RFC 8489 §6.2.2); DecodeError if `header`
    is not a STUN header.
    """
    return HEADER_BYTES + _check_header(header)


def is_stun(data: bytes) -> bool:
    """A cheap test for demultiplexing: could `data` be a STUN message?

    RFC 7983 §7: a first byte of 0 to 3 is STUN; the magic cookie confirms it.
    """
    return len(data) >= HEADER_BYTES and data[0] < 4 and data[4:8] == _COOKIE_BYTES


def _decode_header(data: bytes) -> tuple[Method, Class, bytes]:
    length = _check_header(data)
    body = len(data) - HEADER_BYTES
    if length != body:
        raise DecodeError(f"STUN message length {length} does not match the {body} bytes after the header")
    method, cls = _split_type(int.from_bytes(data[0:2], "big"))
    try:
        return Method(method), Class(cls), data[8:HEADER_BYTES]
    except ValueError:
        raise DecodeError(f"STUN method 0x{method:03X} is unknown") from None


def _walk(data: bytes) -> list[tuple[int, int, bytes]]:
    """(code, offset, value) of each attribute that counts, bounds and FINGERPRINT checked."""
    found: list[tuple[int, int, bytes]] = []
    allowed: frozenset[int] | None = None
    offset = HEADER_BYTES
    while offset < len(data):
        code = int.from_bytes(data[offset : offset + 2], "big")
        length = int.from_bytes(data[offset + 2 : offset + 4], "big")
        # RFC 8489 §14: values "are padded with 1, 2, or 3 bytes of padding so
        # that its value contains a multiple of 4 bytes"
        end = offset + 4 + length + (-length % 4)
        if end > len(data):
            raise DecodeError(f"STUN attribute {_attribute_name(code)} is truncated")
        if code == _FINGERPRINT_CODE:
            _check_fingerprint(data, offset, end)
        if allowed is None or code in allowed:
            found.append((code, offset, data[offset + 4 : offset + 4 + length]))
            allowed = _ALLOWED_AFTER.get(code, allowed)
        offset = end
    return found


# RFC 8489 §14.5: "With the exception of the MESSAGE-INTEGRITY-SHA256 and
# FINGERPRINT attributes, which appear after MESSAGE-INTEGRITY, agents MUST
# ignore all other attributes that follow MESSAGE-INTEGRITY." §14.6 says the
# same of MESSAGE-INTEGRITY-SHA256, except FINGERPRINT.
_ALLOWED_AFTER = {
    _MI_CODE: frozenset({_MI_SHA256_CODE, _FINGERPRINT_CODE}),
    _MI_SHA256_CODE: frozenset({_FINGERPRINT_CODE}),
}


def _check_fingerprint(data: bytes, offset: int, end: int) -> None:
    # RFC 8489 §14.7: "When present, the FINGERPRINT attribute MUST be the last
    # attribute in the message"
    if end != len(data):
        raise DecodeError("STUN attribute FINGERPRINT is not the last attribute")
    if end - offset != 8:
        raise DecodeError(f"STUN attribute FINGERPRINT has length {end - offset - 4}, expected 4")
    received = int.from_bytes(data[offset + 4 : end], "big")
    expected = _fingerprint(data[:offset])
    if received != expected:
        raise DecodeError(f"STUN FINGERPRINT 0x{received:08X} does not match the message (0x{expected:08X})")


def _fingerprint(head: bytes) -> int:
    # RFC 8489 §14.7: "the CRC-32 of the STUN message up to (but excluding) the
    # FINGERPRINT attribute itself, XOR'ed with the 32-bit value 0x5354554e"
    return zlib.crc32(head) ^ FINGERPRINT_XOR


def _decode_attribute(code: int, value: bytes, transaction_id: bytes) -> tuple[str, object]:
    spec = _BY_CODE.get(code)
    if spec is None:
        return f"0x{code:04X}", value
    return spec.name, spec.decode(Reader(value, f"STUN attribute {spec.name}"), transaction_id)


def decode(data: bytes) -> Message:
    """The Message in `data` (one whole message); DecodeError if malformed."""
    method, cls, transaction_id = _decode_header(data)
    attributes = tuple(_decode_attribute(code, value, transaction_id) for code, _, value in _walk(data))
    return Message(method, cls, transaction_id, attributes)


# --- message integrity and keys (RFC 8489 §9, §14.5) -----------------------------


def long_term_key(username: str, realm: str, password: str) -> bytes:
    """RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)).

    The strings are used as given (no OpaqueString/SASLprep): see the module docstring.
    """
    import hashlib  # lazily: a plain Binding check never needs it (~2 ms)

    return hashlib.md5(f"{username}:{realm}:{password}".encode("utf-8")).digest()


def short_term_key(password: str) -> bytes:
    """RFC 8489 §9.1.1: key = OpaqueString(password), here the UTF-8 of the password as given."""
    return password.encode("utf-8")


def _hmac_sha1(key: bytes, data: bytes) -> bytes:
    import hmac  # lazily, as in long_term_key

    return hmac.digest(key, data, "sha1")


def _integrity_input(head: bytes) -> bytes:
    # RFC 8489 §14.5: the HMAC covers the message up to MESSAGE-INTEGRITY, with
    # "the length field of the STUN message header ... adjusted to point to the
    # end of the MESSAGE-INTEGRITY attribute"
    length = len(head) - HEADER_BYTES + 4 + _MI_BYTES
    return head[:2] + length.to_bytes(2, "big") + head[4:]


def verify_integrity(data: bytes, key: bytes) -> bool:
    """True if `data` carries a MESSAGE-INTEGRITY that `key` produced.

    False when the attribute is absent or wrong; DecodeError when `data` is
    not a well-formed STUN message.
    """
    import hmac

    _decode_header(data)
    for code, offset, value in _walk(data):
        if code == _MI_CODE:
            return hmac.compare_digest(value, _hmac_sha1(key, _integrity_input(data[:offset])))
    return False


# --- encoding ------------------------------------------------------------------------


def _header(message: Message, length: int) -> bytes:
    if length > 0xFFFF:
        raise ValueError(f"STUN message body of {length} bytes does not fit the 16-bit length")
    message_type = _message_type(message.method, message.cls)
    return struct.pack("!HHI", message_type, length, MAGIC_COOKIE) + message.transaction_id


def _tlv(code: int, value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise ValueError(f"STUN attribute {_attribute_name(code)} of {len(value)} bytes is too long")
    # RFC 8489 §14: "The padding bits MUST be set to zero on sending"
    return struct.pack("!HH", code, len(value)) + value + bytes(-len(value) % 4)


def _encode_attribute(name: str, value: object, transaction_id: bytes) -> bytes:
    if name in _COMPUTED:
        raise ValueError(f"STUN attribute {name} is computed by encode(), not given")
    spec = _BY_NAME.get(name)
    if spec is not None:
        return _tlv(spec.code, spec.encode(value, transaction_id))
    if name.startswith("0x") and isinstance(value, bytes):
        return _tlv(int(name, 16), value)
    raise ValueError(f"unknown STUN attribute {name!r}")


def encode(message: Message, *, integrity_key: bytes | None = None, fingerprint: bool = False) -> bytes:
    """The wire form of `message`, optionally with MESSAGE-INTEGRITY and FINGERPRINT last."""
    if len(message.transaction_id) != 12:
        raise ValueError("STUN transaction id must be 12 bytes")
    body = b"".join(
        _encode_attribute(name, value, message.transaction_id) for name, value in message.attributes
    )
    if integrity_key is not None:
        head = _header(message, len(body)) + body
        body += _tlv(_MI_CODE, _hmac_sha1(integrity_key, _integrity_input(head)))
    if fingerprint:
        # the length in the header covers the FINGERPRINT attribute (8 bytes) too
        body += _tlv(
            _FINGERPRINT_CODE, _fingerprint(_header(message, len(body) + 8) + body).to_bytes(4, "big")
        )
    return _header(message, len(body)) + body


# --- TURN ChannelData (RFC 8656 §12.4) --------------------------------------------


def encode_channel_data(channel: int, payload: bytes) -> bytes:
    """A ChannelData message, padded to 4 bytes (valid on every transport)."""
    # RFC 8656 §12: client-chosen channel numbers lie in 0x4000 through 0x4FFF
    if not CHANNEL_MIN <= channel <= CHANNEL_MAX:
        raise ValueError(f"TURN channel number 0x{channel:04X} is outside 0x4000..0x4FFF")
    if len(payload) > 0xFFFF:
        raise ValueError(f"TURN ChannelData payload of {len(payload)} bytes is too long")
    # RFC 8656 §12.5: "Over TCP and TLS-over-TCP, the ChannelData message MUST
    # be padded to a multiple of four bytes"; over UDP "the padding is not
    # required but MAY be included".
    return struct.pack("!HH", channel, len(payload)) + payload + bytes(-len(payload) % 4)


def channel_data_length(header: bytes) -> int:
    """Total bytes, padding included, of the ChannelData message `header` starts (TCP framing)."""
    _, length = _channel_header(header)
    return 4 + length + (-length % 4)


def _channel_header(data: bytes) -> tuple[int, int]:
    if len(data) < 4:
        raise DecodeError(f"STUN ChannelData has {len(data)} bytes, shorter than the 4-byte header")
    channel = int.from_bytes(data[0:2], "big")
    if not CHANNEL_MIN <= channel <= CHANNEL_MAX:
        raise DecodeError(f"STUN ChannelData channel number 0x{channel:04X} is outside 0x4000..0x4FFF")
    return channel, int.from_bytes(data[2:4], "big")


def decode_channel_data(data: bytes) -> tuple[int, bytes]:
    """(channel number, application data) of one ChannelData message, padding allowed."""
    channel, length = _channel_header(data)
    if 4 + length > len(data):
        raise DecodeError(
            f"STUN ChannelData length {length} exceeds the {len(data) - 4} bytes after the header"
        )
    if len(data) > channel_data_length(data):
        raise DecodeError(
            f"STUN ChannelData has {len(data) - 4 - length} bytes after length {length}, more than padding"
        )
    return channel, data[4 : 4 + length]


# --- stream framing --------------------------------------------------------------


class StreamFramer:
    """Splits a TCP/TLS byte stream into STUN messages and TURN ChannelData.

    RFC 8489 §6.2.2: over a stream the Message Length field frames each
    message; RFC 8656 §12.5: ChannelData is padded to four bytes there. Bytes
    that start neither cannot be resynchronised: next_message() drops what
    is buffered and raises DecodeError, and the caller reads on.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> bytes | None:
        """The next whole message, or None until more bytes arrive."""
        if len(self._buffer) < 4:
            return None
        try:
            length = self._frame_length()
        except DecodeError:
            self._buffer = b""
            raise
        if length is None or len(self._buffer) < length:
            return None
        message, self._buffer = self._buffer[:length], self._buffer[length:]
        return message

    def _frame_length(self) -> int | None:
        # RFC 7983 §7: a first byte of 64..79 is ChannelData, 0..3 is STUN.
        if 0x40 <= self._buffer[0] <= 0x4F:
            return channel_data_length(self._buffer[:4])
        if len(self._buffer) < HEADER_BYTES:
            return None
        return message_length(self._buffer[:HEADER_BYTES])
