# SPDX-License-Identifier: GPL-3.0-or-later
"""XMPP stream codec (codec layer; RFC 6120 §4-§6, §11; XEP-0220 feature).

Sans-IO, h11's shape: receive_data(bytes) (b"" is EOF), then next_event()
until it returns None. Events: the stream header, stream features, the
STARTTLS proceed/failure, a stream error, the end of the stream. The XML
comes through xml.etree's XMLPullParser after a screen that refuses what
RFC 6120 §11.1 forbids (DTDs, entity declarations, comments, processing
instructions), so no DTD is ever read and no entity expanded; an element
may not grow past a byte cap. Malformed or non-XMPP input raises
DecodeError and nothing else.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import namedtuple

from check_rtc.errors import DecodeError

STREAMS_NS = "http://etherx.jabber.org/streams"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
STREAM_ERRORS_NS = "urn:ietf:params:xml:ns:xmpp-streams"
DIALBACK_FEATURE_NS = "urn:xmpp:features:dialback"
CLIENT_NS = "jabber:client"
SERVER_NS = "jabber:server"

# No server sends stream features or a stream error this large; a peer that
# keeps one element open past it is answered with a DecodeError, not memory.
MAX_ELEMENT_BYTES = 256 * 1024
MAX_TEXT_CHARS = 200

STARTTLS = f"<starttls xmlns='{TLS_NS}'/>".encode()
CLOSE_STREAM = b"</stream:stream>"

# RFC 4422 §3.1: "SASL mechanisms are named by character strings, from 1 to
# 20 characters in length, consisting of ASCII uppercase letters, digits,
# hyphens, and/or underscores."
_MECHANISM = re.compile(r"[A-Z0-9_-]{1,20}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f|]+")


class _Signal:
    """An event without fields (a field-less namedtuple would be falsy)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class StreamOpened(namedtuple("StreamOpened", "sender stream_id version")):
    """The peer's stream header (RFC 6120 §4.7): its 'from', 'id' and 'version'."""

    __slots__ = ()
    sender: str
    stream_id: str
    version: str


class Features(namedtuple("Features", "starttls mechanisms dialback names")):
    """<stream:features/> (RFC 6120 §4.3.2).

    starttls: None (not offered), "optional" or "required" (§5.3.1);
    mechanisms: SASL mechanism names in the server's order (§6.3.3);
    dialback: the XEP-0220 §2.1 feature; names: every feature, as 'ns:name'.
    """

    __slots__ = ()
    starttls: str | None
    mechanisms: tuple[str, ...]
    dialback: bool
    names: tuple[str, ...]


class TlsProceed(_Signal):
    """<proceed/>: the TLS handshake starts now (RFC 6120 §5.4.2.3)."""

    __slots__ = ()


class TlsFailure(_Signal):
    """<failure/> to STARTTLS: the server closes the stream (RFC 6120 §5.4.2.2)."""

    __slots__ = ()


class StreamError(namedtuple("StreamError", "condition text other_host")):
    """<stream:error/> (RFC 6120 §4.9): condition, optional text, see-other-host target."""

    __slots__ = ()
    condition: str
    text: str
    other_host: str


class StreamClosed(_Signal):
    """</stream:stream>: the peer ended the stream (RFC 6120 §4.4)."""

    __slots__ = ()


class ConnectionClosed(_Signal):
    """The connection ended (EOF) while the stream was open."""

    __slots__ = ()


class OtherElement(namedtuple("OtherElement", "name")):
    """A first-level element this codec has no event for, as '{ns}local'."""

    __slots__ = ()
    name: str


Event = StreamOpened | Features | TlsProceed | TlsFailure | StreamError | StreamClosed | ConnectionClosed | OtherElement


def stream_header(to: str, sender: str | None = None, namespace: str = CLIENT_NS) -> bytes:
    """The initial stream header (RFC 6120 §4.7): 'to' the domain, 'from' for s2s (§4.7.1)."""
    sender_attribute = f" from={_quote(sender)}" if sender else ""
    return (
        f"<?xml version='1.0'?><stream:stream to={_quote(to)}{sender_attribute} version='1.0'"
        f" xmlns='{namespace}' xmlns:stream='{STREAMS_NS}'>"
    ).encode()


def _quote(value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
    return f"'{escaped}'"


class StreamParser:
    """One direction of an XMPP stream: bytes in, events out."""

    def __init__(self, max_element_bytes: int = MAX_ELEMENT_BYTES) -> None:
        self._max_bytes = max_element_bytes
        self._events: list[Event] = []
        self._closed = False
        self._error: DecodeError | None = None
        self.restart()

    def restart(self) -> None:
        """A new XML document: after TLS (RFC 6120 §5.4.3.3) or SASL (§6.4.6)."""
        self._parser = ET.XMLPullParser(("start", "end"))
        self._held = b""
        self._offset = 0  # bytes of this document screened so far
        self._element_bytes = 0
        self._depth = 0
        self._root: ET.Element | None = None

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; b"" means the connection closed.

        A malformed stream is not raised here but from next_event(), after
        the events before the fault: however the bytes were cut, the same
        events come out, then the same error (the one at the earliest byte).
        """
        if self._closed or self._error is not None:
            return
        if not data:
            self._closed = True
            self._events.append(ConnectionClosed())
            return
        try:
            self._screen_and_feed(data)
        except DecodeError as error:
            self._error = error

    def next_event(self) -> Event | None:
        """The next event, None when more data is needed; DecodeError once the stream is malformed."""
        if self._events:
            return self._events.pop(0)
        if self._error is not None:
            raise self._error
        return None

    def _screen_and_feed(self, data: bytes) -> None:
        """Parse what is safe; a trailing '<' waits for the byte that says what it opens."""
        data = self._held + data
        cut = len(data) - 1 if data.endswith(b"<") else len(data)
        data, self._held = data[:cut], data[cut:]
        position, refusal = _first_restricted(data, self._offset)
        # The bytes before a refused construct are parsed first, so that an
        # earlier fault wins whatever the chunking.
        self._feed(data[:position])
        self._offset += position
        if refusal:
            raise DecodeError(refusal)

    def _feed(self, data: bytes) -> None:
        self._element_bytes += len(data)
        completed = False
        try:
            self._parser.feed(data)
            _flush(self._parser)
            for kind, element in self._parser.read_events():
                completed |= self._handle(kind, element)  # type: ignore[arg-type]
        except ET.ParseError as exc:
            raise DecodeError(f"XMPP stream is not well-formed XML: {exc}") from None
        if completed:
            self._element_bytes = 0
        elif self._element_bytes > self._max_bytes:
            raise DecodeError(f"XMPP element exceeds {self._max_bytes} bytes")

    def _handle(self, kind: str, element: ET.Element) -> bool:
        """Track depth; True when a first-level element or the stream ended."""
        if kind == "start":
            self._depth += 1
            if self._depth == 1:
                self._open(element)
            return False
        self._depth -= 1
        if self._depth == 0:
            self._closed = True
            self._events.append(StreamClosed())
            return True
        if self._depth == 1:
            assert self._root is not None
            self._events.append(_first_level_event(element))
            self._root.remove(element)  # a long stream must not pile up in memory
            return True
        return False

    def _open(self, element: ET.Element) -> None:
        # RFC 6120 §4.8.1: the stream element is qualified by the streams namespace.
        if element.tag != f"{{{STREAMS_NS}}}stream":
            raise DecodeError(f"XMPP stream header expected, got <{_clean(element.tag)}>")
        self._root = element
        self._events.append(StreamOpened(
            _clean(element.get("from", "")), _clean(element.get("id", "")), _clean(element.get("version", ""))
        ))


def _first_restricted(data: bytes, offset: int) -> tuple[int, str]:
    """Where the first refused construct starts and why; (len(data), "") if none.

    RFC 6120 §11.1: an XMPP entity "MUST NOT" accept comments, processing
    instructions, DTD subsets or entity declarations; only the XML
    declaration may open the document. '<' cannot occur unescaped in text
    or attribute values, so every '<!' and '<?' here is markup.
    """
    found = [(len(data), "")]
    position = data.find(b"<!")
    if position != -1:
        what = "DOCTYPE" if data[position:position + 9].upper() == b"<!DOCTYPE" else "markup declaration or comment"
        found.append((position, f"XMPP restricted XML: {what} not allowed (RFC 6120 §11.1)"))
    position = data.find(b"<?")
    while position != -1 and offset + position == 0:  # the XML declaration
        position = data.find(b"<?", position + 2)
    if position != -1:
        found.append((position, "XMPP restricted XML: processing instruction not allowed (RFC 6120 §11.1)"))
    return min(found)


def _flush(parser: ET.XMLPullParser) -> None:
    """Expat 2.6 defers parsing small chunks; Pythons that ship it have flush() to undo that."""
    flush = getattr(parser, "flush", None)
    if flush is not None:
        flush()


def _first_level_event(element: ET.Element) -> Event:
    tag = element.tag
    if tag == f"{{{STREAMS_NS}}}features":
        return _features(element)
    if tag == f"{{{TLS_NS}}}proceed":
        return TlsProceed()
    if tag == f"{{{TLS_NS}}}failure":
        return TlsFailure()
    if tag == f"{{{STREAMS_NS}}}error":
        return _stream_error(element)
    return OtherElement(_clean(tag))


def _features(element: ET.Element) -> Features:
    starttls = element.find(f"{{{TLS_NS}}}starttls")
    offer = None
    if starttls is not None:
        # RFC 6120 §5.3.1: "<required/>" child = TLS is mandatory-to-negotiate.
        offer = "required" if starttls.find(f"{{{TLS_NS}}}required") is not None else "optional"
    mechanisms = tuple(_mechanism(m.text or "") for m in element.iterfind(
        f"{{{SASL_NS}}}mechanisms/{{{SASL_NS}}}mechanism"))
    dialback = element.find(f"{{{DIALBACK_FEATURE_NS}}}dialback") is not None
    names = tuple(_feature_name(child.tag) for child in element)
    return Features(offer, mechanisms, dialback, names)


def _mechanism(text: str) -> str:
    name = text.strip()
    if not _MECHANISM.fullmatch(name):
        raise DecodeError(f"XMPP SASL mechanism name is not valid: {_clean(name)!r}")
    return name


def _feature_name(tag: str) -> str:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return _clean(f"{namespace}:{local}" if namespace else local)


def _stream_error(element: ET.Element) -> StreamError:
    """RFC 6120 §4.9.2: one defined condition element, an optional <text/>."""
    condition, text, other_host = "undefined-condition", "", ""
    for child in element:
        namespace, _, local = child.tag[1:].partition("}")
        if namespace != STREAM_ERRORS_NS:
            continue
        if local == "text":
            text = _clean(child.text or "")
        else:
            condition = _clean(local)
            if local == "see-other-host":  # §4.9.3.19: the new host is the element's text
                other_host = _clean(child.text or "")
    return StreamError(condition, text, other_host)


def _clean(text: str) -> str:
    """Peer-chosen text made safe for one line of plugin output: no controls, no '|', bounded."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "..."
