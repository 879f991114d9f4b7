# SPDX-License-Identifier: GPL-3.0-or-later
"""XMPP stream negotiation probe (RFC 6120 §4-§5, §13.7; XEP-0368; RFC 7590).

Per endpoint: connect; for direct TLS (XEP-0368) the TLS handshake first;
open the stream to the XMPP domain, read the features; over STARTTLS ask for
TLS, handshake, restart the stream and read the features again; check that
the certificate names the domain; close the stream. Returns what was seen
(times, STARTTLS offer, SASL mechanisms before and after TLS, dialback,
certificate lifetime); the optional login is probes/xmpp_login.py.
"""

from __future__ import annotations

import logging
import socket
import time

from check_rtc.codec import xmpp
from check_rtc.errors import CheckRtcError, RemoteProtocolError, TransportError
from check_rtc.probes import Observation
from check_rtc.probes import services
from check_rtc.transport import stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Callable

log = logging.getLogger(__name__)

SERVICES = services.XMPP
# XEP-0368 §3: direct TLS "MUST" use ALPN "xmpp-client" / "xmpp-server".
ALPN = {"c2s": "xmpp-client", "s2s": "xmpp-server"}
NAMESPACES = {"c2s": xmpp.CLIENT_NS, "s2s": xmpp.SERVER_NS}
SECONDS_PER_DAY = 86400.0
# RFC 7590 §3.2 / RFC 6120 §13.7.1.2: the SRV-ID service names, and the OIDs
# of id-on-dnsSRV (RFC 4985 SRVName) and id-on-xmppAddr (RFC 6120 §13.7.1.4).
SRV_ID_SERVICES = {"c2s": "_xmpp-client", "s2s": "_xmpp-server"}
SRV_NAME_OID = "1.3.6.1.5.5.7.8.7"
XMPP_ADDR_OID = "1.3.6.1.5.5.7.8.5"


class XmppObservation(Observation):
    """One endpoint's stream negotiation: times, offers, certificate, login."""

    __slots__ = ("rtt", "connect", "tls", "starttls", "plain_mechanisms", "features", "sender",
                 "tls_version", "alpn", "cert_days", "identity", "login", "ping")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.rtt: float | None = None  # connect to post-TLS features: the whole negotiation
        self.connect = 0.0
        self.tls = 0.0
        self.starttls: str | None = None  # "required", "optional"; None for direct TLS
        self.plain_mechanisms: tuple[str, ...] = ()  # SASL offered before TLS
        self.features: xmpp.Features | None = None  # after TLS
        self.sender = ""
        self.tls_version = ""
        self.alpn: str | None = None
        self.cert_days: float | None = None  # None when not verified (--insecure)
        self.identity = ""
        self.login: float | None = None
        self.ping: float | None = None

    def describe(self) -> str:
        assert self.features is not None and self.rtt is not None
        how = f"STARTTLS {self.starttls}" if self.starttls else f"direct TLS (ALPN {self.alpn or 'none'})"
        facts = [f"{how}, {self.tls_version}"]
        if self.cert_days is not None:
            facts.append(f"certificate valid {self.cert_days:.0f} days, {self.identity}")
        facts.append("SASL " + (" ".join(self.features.mechanisms) or "none"))
        if self.features.dialback:
            facts.append("dialback")
        if self.login is not None and self.ping is not None:
            facts.append(f"login {self.login:.3f}s, ping {self.ping:.3f}s")
        return f"negotiated in {self.rtt:.3f}s: " + ", ".join(facts)


def failed(endpoint: Endpoint, error: CheckRtcError) -> XmppObservation:
    return XmppObservation(endpoint, error)


class StreamProbe:
    """Callable per endpoint; settings and the TLS context are made once in the main thread."""

    def __init__(self, mode: str, domain: str, sender: str | None, tls_context: ssl.SSLContext, verify: bool,
                 login: Callable[[Endpoint, Deadline], tuple[float, float]] | None = None) -> None:
        self.mode = mode
        self.domain = domain
        self.sender = sender
        self.tls_context = tls_context
        self.verify = verify
        self.login = login

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> XmppObservation:
        observation = XmppObservation(endpoint)
        began = time.monotonic()
        sock = stream.connect(endpoint, deadline)
        observation.connect = time.monotonic() - began
        # Small writes in a row (header, STARTTLS) must not wait for a delayed ACK (Nagle).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = _Session(endpoint, sock, deadline)
        try:
            if endpoint.transport == "tls":
                self._direct_tls(session, observation)
            else:
                self._starttls(session, observation)
            observation.rtt = time.monotonic() - began
            session.close()
        finally:
            session.sock.close()
        if self.login is not None:
            observation.login, observation.ping = self.login(endpoint, deadline)
        return observation

    def _direct_tls(self, session: _Session, observation: XmppObservation) -> None:
        self._handshake(session, observation)
        # XEP-0368 §3: the negotiated ALPN protocol, if any, for long output.
        observation.alpn = session.tls_socket().selected_alpn_protocol()
        observation.features = self._open(session, observation)

    def _starttls(self, session: _Session, observation: XmppObservation) -> None:
        offered = self._open(session, observation)
        observation.plain_mechanisms = offered.mechanisms
        # RFC 6120 §5.3.1: STARTTLS is offered as a feature, and "<required/>"
        # says TLS is mandatory-to-negotiate. The check judges "optional".
        if offered.starttls is None:
            raise RemoteProtocolError("STARTTLS not offered (RFC 6120 §5.3.1)")
        observation.starttls = offered.starttls
        session.send(xmpp.STARTTLS, "STARTTLS")
        answer = session.next_event("STARTTLS")
        if isinstance(answer, xmpp.TlsFailure):
            raise RemoteProtocolError("STARTTLS refused with <failure/> (RFC 6120 §5.4.2.2)")
        if not isinstance(answer, xmpp.TlsProceed):
            raise RemoteProtocolError(f"STARTTLS answered with {_name(answer)}, not <proceed/>")
        self._handshake(session, observation)
        # RFC 6120 §5.4.3.3: after TLS the client "MUST" initiate a new stream.
        session.parser.restart()
        observation.features = self._open(session, observation)

    def _open(self, session: _Session, observation: XmppObservation) -> xmpp.Features:
        """Send the stream header, read the peer's header and its features."""
        session.send(xmpp.stream_header(self.domain, self.sender, NAMESPACES[self.mode]), "stream header")
        opened = session.next_event("stream header")
        if not isinstance(opened, xmpp.StreamOpened):
            raise RemoteProtocolError(f"stream header expected, got {_name(opened)}")
        # RFC 6120 §4.7.5: without version='1.0' the peer sends no features at all.
        if not opened.version.startswith("1."):
            raise RemoteProtocolError(f"stream version '{opened.version}' is not 1.x (RFC 6120 §4.7.5)")
        observation.sender = opened.sender
        features = session.next_event("stream features")
        if not isinstance(features, xmpp.Features):
            raise RemoteProtocolError(f"stream features expected, got {_name(features)}")
        return features

    def _handshake(self, session: _Session, observation: XmppObservation) -> None:
        began = time.monotonic()
        # XEP-0368 §3 / RFC 7590 §3.1: SNI and the reference identity are the XMPP domain.
        session.sock = stream.start_tls(session.sock, self.tls_context, self.domain, session.deadline)
        observation.tls = time.monotonic() - began
        tls = session.tls_socket()
        observation.tls_version = tls.version() or ""
        if self.verify:
            observation.identity = verify_identity(tls, self.domain, self.mode)
            observation.cert_days = _days_left(tls.getpeercert() or {})


class _Session:
    """A socket, the stream parser over it, and the > / < trace."""

    def __init__(self, endpoint: Endpoint, sock: socket.socket, deadline: Deadline) -> None:
        self.endpoint = endpoint
        self.sock = sock
        self.deadline = deadline
        self.parser = xmpp.StreamParser()

    def tls_socket(self) -> ssl.SSLSocket:
        return self.sock  # type: ignore[return-value]

    def send(self, data: bytes, step: str) -> None:
        log.debug("> %s %s", self.endpoint, data.decode(errors="replace"))
        stream.send(self.sock, data, self.deadline, step)

    def next_event(self, step: str) -> xmpp.Event:
        """The next stream event; a stream error or the end of the stream is a failure."""
        while (event := self.parser.next_event()) is None:
            _quick_ack(self.sock)
            data = stream.receive(self.sock, self.deadline, step)
            log.debug("< %s %s", self.endpoint, data.decode(errors="replace") or "(connection closed)")
            self.parser.receive_data(data)
        if isinstance(event, xmpp.StreamError):
            raise RemoteProtocolError(_stream_error(event))
        if isinstance(event, xmpp.StreamClosed):
            raise RemoteProtocolError(f"{step}: stream closed by the server")
        if isinstance(event, xmpp.ConnectionClosed):
            raise TransportError(f"{step}: connection closed by the server")
        return event

    def close(self) -> None:
        """RFC 6120 §4.4: end the stream politely; the answer is not waited for."""
        try:
            self.send(xmpp.CLOSE_STREAM, "close stream")
        except TransportError:
            pass  # the verdict is in; a peer that hung up first changes nothing


def _quick_ack(sock: socket.socket) -> None:
    """ACK what arrives at once (Linux TCP_QUICKACK; the kernel clears it, so before every wait).

    After the handshake the server writes its TLS 1.3 session tickets, then
    its answer to our restarted stream; with Nagle on its side the answer
    waits for our ACK of the tickets, which a delayed ACK holds back 40 ms:
    time that would be measured as the server's.
    """
    option = getattr(socket, "TCP_QUICKACK", None)
    if option is not None:
        sock.setsockopt(socket.IPPROTO_TCP, option, 1)


def _stream_error(event: xmpp.StreamError) -> str:
    """RFC 6120 §4.9.3: the condition, the new host of see-other-host, the text."""
    text = f"stream error {event.condition}"
    if event.other_host:
        text += f" (see other host {event.other_host})"
    return text + (f": {event.text}" if event.text else "")


def _name(event: xmpp.Event) -> str:
    if isinstance(event, xmpp.OtherElement):
        return f"<{event.name}>"
    return type(event).__name__


def verify_identity(tls: ssl.SSLSocket, domain: str, mode: str) -> str:
    """How the certificate names the XMPP domain; IdentityError (CRITICAL) if it does not.

    RFC 6120 §13.7.1.2 / RFC 7590 §3.2 (RFC 6125 rules): a DNS-ID of the
    domain, wildcard allowed in the left-most label only, else an SRV-ID
    (_xmpp-client / _xmpp-server) or an XmppAddr of the domain. A certificate
    that names only the server host, not the domain, fails.
    """
    from check_rtc.identity import IdentityError, verify_identity as verify_dns_id

    cert = tls.getpeercert() or {}
    try:
        return verify_dns_id(cert, domain)
    except IdentityError:
        # ssl reports otherName SANs only as '<unsupported>': read them from the DER.
        if not any(kind == "othername" for kind, _ in cert.get("subjectAltName", ())):
            raise
        found = _other_name_identity(tls.getpeercert(binary_form=True) or b"", domain, mode)
        if not found:
            raise
        return found


def _other_name_identity(certificate: bytes, domain: str, mode: str) -> str:
    """An SRV-ID (RFC 4985) or XmppAddr (RFC 6120 §13.7.1.4) naming `domain`, else ''."""
    from cryptography import x509

    from check_rtc.codec import der

    try:
        names = x509.load_der_x509_certificate(certificate).extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.OtherName)
    except (ValueError, x509.ExtensionNotFound):
        return ""
    service = f"{SRV_ID_SERVICES[mode]}.{domain}".lower()
    for name in names:
        text = der.text(name.value)  # cryptography hands otherName values over as raw DER
        if name.type_id.dotted_string == SRV_NAME_OID and text.lower() == service:
            return f"SAN SRV-ID {text}"
        if name.type_id.dotted_string == XMPP_ADDR_OID and text.lower() == domain.lower():
            return f"SAN XmppAddr {text}"
    return ""


def _days_left(cert: dict[str, object]) -> float | None:
    import ssl

    not_after = cert.get("notAfter")
    if not isinstance(not_after, str):
        return None
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / SECONDS_PER_DAY
