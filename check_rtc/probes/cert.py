# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate probe: the chain a service presents, as served (RFC 8446 §4.4.2, RFC 5246 §7.4.2).

Per endpoint: connect; for XMPP STARTTLS the stream negotiation of
probes/xmpp.py (RFC 6120 §5.4); the TLS handshake of transport/stream.py,
verified against the trust anchors; then the certificates exactly as the
server sent them, even when verification failed. Optional: the leaf's
OCSP status (probes/ocsp.py), stapled or asked, and the TLSA records of
the endpoint (RFC 6698; RFC 7673 names them after the SRV target).

How the served chain is read: Python 3.11's ssl hands out only the leaf
publicly. SSL_get_peer_cert_chain is reachable as the ssl object's
get_unverified_chain(), private from 3.10 and public (on SSLSocket) from
3.13, for TLS 1.3 and 1.2 alike and after a failed verification: 0 ms of
imports. The alternatives cost more or see less: pyOpenSSL's
get_peer_cert_chain() adds 8 ms per start (measured: 47 -> 55 ms for
`import cryptography.x509` vs. with `OpenSSL.SSL`, 20 runs, Debian 12),
parsing the handshake ourselves cannot see TLS 1.3's encrypted Certificate
message, and ctypes into libssl depends on CPython's struct layout.
peer_chains() is the one function that knows the difference. pyOpenSSL
is used only where Python's ssl cannot go: for --file, to verify a chain
without a handshake, and for --ocsp, to ask for a stapled OCSP response
(transport/stapling.py); that chain is then verified as --file's is.
"""

from __future__ import annotations

import importlib
import os
import ssl
import threading
import time
from collections import namedtuple

from check_rtc.certificate import Facts, load_der
from check_rtc.errors import CheckRtcError, TlsError, UsageError
from check_rtc.probes import Observation
from check_rtc.probes.discovery import Service
from check_rtc.transport import stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from OpenSSL import crypto

    from check_rtc.probes.ocsp import OcspAnswer
    from check_rtc.resolve import Resolver
    from check_rtc.transport.stapling import StaplingContext, StaplingSocket

# Direct TLS with no SRV convention: the host itself on 443.
WEB = Service(srv={}, default_ports={"tls": 443})
# X509_V_ERR_* codes of OpenSSL's verifier that the check explains itself.
CERT_NOT_YET_VALID, CERT_HAS_EXPIRED = 9, 10
DEPTH_ZERO_SELF_SIGNED, SELF_SIGNED_IN_CHAIN = 18, 19
UNABLE_TO_GET_ISSUER_LOCALLY, UNABLE_TO_GET_ISSUER = 20, 2


class Protocol(namedtuple("Protocol", "probe transport identity alpn xmpp_mode")):
    """How to reach a service's certificate and whose naming rules apply.

    `probe`: the protocol probe whose Service finds the endpoints ("" for
    the host itself on 443); `identity`: "sip" (RFC 5922 §7), "xmpp"
    (RFC 6120 §13.7.1.2, RFC 7590) or "dns" (RFC 6125 DNS-ID); `alpn`:
    offer the protocol's ALPN; `xmpp_mode`: c2s/s2s for XMPP streams.
    The probes are imported only for the protocol asked for (startup cost).
    """

    __slots__ = ()
    probe: str
    transport: str
    identity: str
    alpn: bool
    xmpp_mode: str | None

    def service(self) -> Service:
        if not self.probe:
            return WEB
        module = importlib.import_module(f"check_rtc.probes.{self.probe}")
        return module.SERVICES[self.xmpp_mode] if self.xmpp_mode else module.SERVICE  # type: ignore[no-any-return]

    def alpn_protocols(self) -> tuple[str, ...]:
        if not self.alpn:
            return ()
        if self.xmpp_mode:
            from check_rtc.probes.xmpp import ALPN

            # XEP-0368 §3: direct TLS "MUST" use ALPN xmpp-client / xmpp-server.
            return (ALPN[self.xmpp_mode],)
        return ("http/1.1",)


PROTOCOLS = {
    "tls": Protocol("", "tls", "dns", False, None),
    "https": Protocol("", "tls", "dns", True, None),
    # RFC 5922 §7: the SIP domain, no wildcards; _sips._tcp (RFC 3263) on 5061.
    "sip": Protocol("sip", "tls", "sip", False, None),
    # RFC 7118 WebSocket: browsers judge it as HTTPS (RFC 6125 DNS-ID).
    "wss": Protocol("sip", "wss", "dns", True, None),
    "turn": Protocol("turn", "tls", "dns", False, None),
    "xmpp-client": Protocol("xmpp", "starttls", "xmpp", False, "c2s"),
    "xmpp-server": Protocol("xmpp", "starttls", "xmpp", False, "s2s"),
    "xmpps-client": Protocol("xmpp", "tls", "xmpp", True, "c2s"),
    "xmpps-server": Protocol("xmpp", "tls", "xmpp", True, "s2s"),
}


class TlsaAnswer(namedtuple("TlsaAnswer", "name records authenticated error")):
    """TLSA records (usage, selector, matching type, data) at `name`, or `error`."""

    __slots__ = ()


class CertObservation(Observation):
    """The certificates one endpoint presented, and what verification said."""

    __slots__ = ("rtt", "tls_version", "alpn", "chain", "verified", "verify_code", "verify_message",
                 "ocsp", "tlsa")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.rtt: float | None = None  # connect to the end of the handshake
        self.tls_version = ""
        self.alpn: str | None = None
        self.chain: list[Facts] = []  # as served, in the order served
        self.verified: list[Facts] = []  # the path OpenSSL built, trust anchor last
        self.verify_code: int | None = None  # None: verified (or not asked, --insecure)
        self.verify_message = ""
        self.ocsp: OcspAnswer | None = None  # None: not asked (no --ocsp)
        self.tlsa: TlsaAnswer | None = None

    def describe(self) -> str:
        leaf = self.chain[0]
        how = f"{self.tls_version}, " if self.tls_version else ""
        served = "in the file" if self.endpoint.transport == "file" else "served"
        return (f"{how}certificate {leaf.subject}, {leaf.key_text()}, {leaf.signature_hash}, "
                f"EKU {leaf.eku_text()}, {len(self.chain)} certificate{'s'[:len(self.chain) - 1]} {served}")


def failed(endpoint: Endpoint, error: CheckRtcError) -> CertObservation:
    return CertObservation(endpoint, error)


def peer_chains(tls: ssl.SSLSocket) -> tuple[list[bytes], list[bytes]]:
    """DER certificates (as served, as verified); the verified list is empty unless verified.

    Python 3.13 made SSLSocket.get_unverified_chain()/get_verified_chain()
    public (DER bytes); 3.10-3.12 have them on the private ssl object only,
    returning _ssl.Certificate objects.
    """
    if hasattr(tls, "get_unverified_chain"):
        return list(tls.get_unverified_chain() or ()), list(tls.get_verified_chain() or ())
    import _ssl

    handle = tls._sslobj  # type: ignore[attr-defined]
    if handle is None:
        return [], []

    def der(certs: object) -> list[bytes]:
        return [cert.public_bytes(_ssl.ENCODING_DER) for cert in certs or ()]  # type: ignore[attr-defined]

    return der(handle.get_unverified_chain()), der(handle.get_verified_chain())


class _Seen(threading.local):
    """What the last handshake in this thread saw (each endpoint has its own thread)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.served: list[bytes] = []
        self.verified: list[bytes] = []
        self.error: ssl.SSLCertVerificationError | None = None
        self.version = ""
        self.alpn: str | None = None
        self.staple: bytes | None = None


_seen = _Seen()


class RecordingSocket(ssl.SSLSocket):
    """An SSLSocket that keeps the peer's chain before a failed verification closes it.

    Set as a context's sslsocket_class, so transport/stream.py's handshake
    (and the XMPP probe that calls it) serve this check unchanged.
    """

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except ssl.SSLCertVerificationError as exc:
            _seen.error = exc
            raise
        finally:
            _seen.served, _seen.verified = peer_chains(self)
            _seen.version = self.version() or ""
            _seen.alpn = self.selected_alpn_protocol()


def _record_stapling(tls: StaplingSocket) -> None:
    """StaplingContext.on_handshake: the chain as served, the staple; verification comes later."""
    _seen.served, _seen.staple = tls.peer_chain(), tls.staple
    _seen.version, _seen.alpn = tls.version(), tls.selected_alpn_protocol()


def recording(context: ssl.SSLContext) -> ssl.SSLContext:
    """The context, made to record chains; identity is ours, strength is judged by us.

    OpenSSL's security level would refuse a 1024-bit key or a SHA-1
    signature during the handshake, and the check could not say which
    certificate is weak: level 0 lets the chain through to be judged.
    """
    context.sslsocket_class = RecordingSocket
    context.check_hostname = False
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


class CertProbe:
    """Callable per endpoint: handshake, chain, and the optional OCSP and TLSA look-ups."""

    def __init__(self, protocol: Protocol, name: str, context: ssl.SSLContext | StaplingContext, sender: str,
                 resolver: Resolver | None = None) -> None:
        self.protocol = protocol
        self.name = name  # SNI and, for XMPP, the stream's 'to'
        # A StaplingContext (--ocsp) asks for the staple; its chain is verified afterwards, by _verify.
        self.stapling = not isinstance(context, ssl.SSLContext)
        if self.stapling:
            context.on_handshake = _record_stapling  # type: ignore[union-attr]
            self.trust = context.trust  # type: ignore[union-attr]
            self.verify = self.trust is not None
        else:
            self.verify = context.verify_mode != ssl.CERT_NONE  # type: ignore[union-attr]
        self.context = context if self.stapling else recording(context)  # type: ignore[arg-type]
        self.sender = sender
        self.resolver = resolver  # set: look up TLSA (--dane)

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> CertObservation:
        observation = CertObservation(endpoint)
        began = time.monotonic()
        _seen.reset()
        try:
            self._handshake(endpoint, deadline)
        except TlsError:
            if _seen.error is None or not _seen.served:
                raise
            observation.verify_code = _seen.error.verify_code
            observation.verify_message = _seen.error.verify_message
        observation.rtt = time.monotonic() - began
        observation.tls_version, observation.alpn = _seen.version, _seen.alpn
        observation.chain = [load_der(der) for der in _seen.served]
        if self.stapling and self.verify:
            _verify(observation, self.trust)
        elif self.verify and observation.verify_code is None:
            observation.verified = [load_der(der) for der in _seen.verified]
        self._look_up(observation, deadline)
        return observation

    def _handshake(self, endpoint: Endpoint, deadline: Deadline) -> None:
        if self.protocol.xmpp_mode:
            # RFC 6120 §5.4 STARTTLS (or XEP-0368 direct TLS) as check_xmpp speaks it;
            # verify=False: the identity is judged by this check, not there.
            from check_rtc.probes.xmpp import StreamProbe

            sender = self.sender if self.protocol.xmpp_mode == "s2s" else None
            StreamProbe(self.protocol.xmpp_mode, self.name, sender, self.context, False)(
                endpoint, deadline)
            return
        sock = stream.connect(endpoint, deadline)
        try:
            stream.start_tls(sock, self.context, self.name, deadline).close()
        finally:
            sock.close()

    def _look_up(self, observation: CertObservation, deadline: Deadline) -> None:
        if self.stapling:
            from check_rtc.probes.ocsp import revocation

            observation.ocsp = revocation(observation.chain, observation.verified, _seen.staple, deadline)
        if self.resolver is not None:
            observation.tlsa = look_up_tlsa(self.resolver, observation.endpoint, deadline)


def tlsa_name(endpoint: Endpoint) -> str:
    """RFC 6698 §3 / RFC 7673 §3: _PORT._tcp. of the host connected to (the SRV target)."""
    return f"_{endpoint.port}._tcp.{endpoint.name.rstrip('.')}"


def look_up_tlsa(resolver: Resolver, endpoint: Endpoint, deadline: Deadline) -> TlsaAnswer:
    from check_rtc.resolve import ip_family

    if ip_family(endpoint.name) is not None:
        return TlsaAnswer("", [], False, "an IP literal has no TLSA records: give a host name")
    name = tlsa_name(endpoint)
    try:
        records, authenticated = resolver.tlsa(name, deadline)
    except CheckRtcError as exc:
        return TlsaAnswer(name, [], False, str(exc))
    return TlsaAnswer(name, records, authenticated, None)


def from_file(path: str, ca_file: str | None, ca_path: str | None, verify: bool) -> CertObservation:
    """An observation of a PEM chain on disk, verified like a served one (UsageError if unreadable)."""
    from check_rtc.certificate import pem_chain
    from check_rtc.errors import DecodeError

    try:
        with open(path, "rb") as pem:
            ders = pem_chain(pem.read(1 << 20))
    except OSError as exc:
        raise UsageError(f"cannot read --file: {(exc.strerror or str(exc)).lower()} {path}") from None
    except DecodeError as exc:
        raise UsageError(f"--file {path}: {exc}") from None
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in os.path.basename(path))
    observation = CertObservation(Endpoint(name, "", 0, "file"))
    observation.chain = [load_der(der) for der in ders]
    if verify:
        from check_rtc.transport.stapling import trust_store

        _verify(observation, trust_store(ca_file, ca_path))
    return observation


def _verify(observation: CertObservation, store: crypto.X509Store) -> None:
    """OpenSSL's own path validation (pyOpenSSL) of the chain, as in a handshake, after one or without."""
    from OpenSSL import crypto

    leaf, *rest = (crypto.X509.from_cryptography(f.cert) for f in observation.chain)
    context = crypto.X509StoreContext(store, leaf, rest)
    try:
        path = context.get_verified_chain()
    except crypto.X509StoreContextError as exc:
        observation.verify_code, _, observation.verify_message = exc.errors
        return
    observation.verified = [load_der(crypto.dump_certificate(crypto.FILETYPE_ASN1, c)) for c in path]
