# SPDX-License-Identifier: GPL-3.0-or-later
"""DER reading (ITU-T X.690 §8, §10), sans-IO (codec layer): the few fields cryptography hands out dearly.

Debian's cryptography 38 loads its OpenSSL backend (7 ms per start) for
Certificate.public_key(), only to tell a key's type and size; the
SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) read from the certificate's own
DER says the same for nothing. Also the otherName strings (SRV-ID,
XmppAddr) that cryptography gives as raw DER. Single-byte tags and
definite lengths only, as DER requires of everything in a certificate.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.errors import DecodeError

SEQUENCE, INTEGER, BIT_STRING, OBJECT_IDENTIFIER = 0x30, 0x02, 0x03, 0x06
UTF8_STRING, IA5_STRING = 0x0C, 0x16
EXPLICIT_0 = 0xA0  # [0] EXPLICIT, constructed: TBSCertificate's version
MAX_LENGTH_OCTETS = 4


class Tlv(namedtuple("Tlv", "tag value encoding end")):
    """One element: its tag, its contents, its whole encoding, and where the next one starts."""

    __slots__ = ()
    tag: int
    value: bytes
    encoding: bytes
    end: int


def read(data: bytes, offset: int = 0) -> Tlv:
    """The element at `offset`; DecodeError when it is cut short or not DER."""
    if offset + 2 > len(data):
        raise DecodeError("DER: element cut short")
    tag, length, start = data[offset], data[offset + 1], offset + 2
    if tag & 0x1F == 0x1F:
        raise DecodeError("DER: multi-byte tag")
    if length & 0x80:
        # X.690 §10.1: "The definite form of length encoding shall be used".
        count = length & 0x7F
        if not 0 < count <= MAX_LENGTH_OCTETS or start + count > len(data):
            raise DecodeError("DER: bad length")
        length, start = int.from_bytes(data[start:start + count], "big"), start + count
    end = start + length
    if end > len(data):
        raise DecodeError("DER: element cut short")
    return Tlv(tag, data[start:end], data[offset:end], end)


def children(data: bytes) -> list[Tlv]:
    """The elements one after another in `data` (the contents of a SEQUENCE)."""
    found, offset = [], 0
    while offset < len(data):
        element = read(data, offset)
        found.append(element)
        offset = element.end
    return found


def expect(element: Tlv, tag: int) -> bytes:
    """The contents of `element`, which must carry `tag`."""
    if element.tag != tag:
        raise DecodeError(f"DER: tag 0x{element.tag:02x} where 0x{tag:02x} belongs")
    return element.value


def object_identifier(value: bytes) -> str:
    """X.690 §8.19: the dotted form; the first subidentifier holds the first two arcs."""
    arcs, current = [], 0
    for byte in value:
        current = current << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    if not arcs or value[-1] & 0x80:
        raise DecodeError("DER: bad OBJECT IDENTIFIER")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def text(data: bytes) -> str:
    """A whole UTF8String or IA5String element as text; '' for anything else."""
    try:
        element = read(data)
    except DecodeError:
        return ""
    if element.tag not in (UTF8_STRING, IA5_STRING) or element.end != len(data):
        return ""
    return element.value.decode("utf-8", "replace")
