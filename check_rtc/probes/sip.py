# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP OPTIONS probe (RFC 3261 §11, §17.1.2 over UDP, TCP, TLS; RFC 7118 over WS and WSS).

Per endpoint: connect (TLS with the SIP domain as SNI, identity per RFC
5922 §7 through check_rtc.identity; WebSocket handshake with subprotocol
"sip"), run the non-INVITE client transaction of codec/sip_transaction.py,
answer one digest challenge when credentials were given (RFC 3261 §22.2),
and record the final answer. Any final answer is an observation, not an
error: the check judges codes. Discovery is RFC 3263 §4 through
probes/discovery.py.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import namedtuple
from contextlib import closing

from check_rtc.codec import sip
from check_rtc.codec.sip_transaction import Answered, Discarded, Provisional, RequestKey, SipTransaction, TimedOut
from check_rtc.errors import CheckRtcError, DecodeError, RemoteProtocolError, TransportError, TransportTimeout
from check_rtc.probes import Observation
from check_rtc.probes import services
from check_rtc.transport import datagram, stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

    from check_rtc.transport.websocket import WebSocket

log = logging.getLogger(__name__)

SERVICE = services.SIP
SECONDS_PER_DAY = 86400.0


class Settings(namedtuple("Settings", "name uri from_uri user_agent username password ws_path verify")):
    """What every request carries: `name` is the SIP domain (SNI, identity, default URIs)."""

    __slots__ = ()
    name: str
    uri: str | None
    from_uri: str | None
    user_agent: str
    username: str | None
    password: str | None
    ws_path: str
    verify: bool


class SipObservation(Observation):
    """The final answer to OPTIONS at one endpoint, with the TLS facts when TLS was used."""

    __slots__ = ("rtt", "code", "reason", "server", "allow", "sends", "tls_version", "cert_subject",
                 "cert_days", "identity", "authenticated")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.rtt: float | None = None
        self.code = 0
        self.reason = ""
        self.server: str | None = None
        self.allow: str | None = None
        self.sends = 0
        self.tls_version: str | None = None
        self.cert_subject: str | None = None
        self.cert_days: float | None = None
        self.identity: str | None = None
        self.authenticated: str | None = None

    def describe(self) -> str:
        text = f"{self.code} {self.reason} in {self.rtt or 0:.4f}s".replace("  ", " ")
        if self.sends > 1:
            text += f" after {self.sends} sends"
        if self.authenticated:
            text += f", authenticated as {self.authenticated}"
        if self.server:
            text += f', server "{self.server}"'
        if self.allow:
            text += f", allow {self.allow}"
        if self.tls_version:
            text += f", {self.tls_version}"
        if self.cert_subject:
            text += f", certificate {self.cert_subject}"
            if self.identity:
                text += f" ({self.identity})"
            if self.cert_days is not None:
                text += f", expires in {self.cert_days:.1f} days"
        return text


def failed(endpoint: Endpoint, error: CheckRtcError) -> SipObservation:
    return SipObservation(endpoint, error)


class OptionsProbe:
    """Callable per endpoint; holds the TLS context made once in the main thread."""

    def __init__(self, settings: Settings, tls_context: ssl.SSLContext | None) -> None:
        self.settings = settings
        self.tls_context = tls_context

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> SipObservation:
        observation = SipObservation(endpoint)
        if not endpoint.is_stream:
            with closing(datagram.open_datagram(endpoint)) as udp:
                return self._ask(Datagrams(udp), endpoint, observation, deadline)
        sock: socket.socket = stream.connect(endpoint, deadline)
        with closing(sock):
            if endpoint.is_tls:
                assert self.tls_context is not None
                sock = start_tls(sock, self.tls_context, self.settings.name, observation, deadline)
            channel: Channel = Stream(sock)
            if endpoint.transport in ("ws", "wss"):
                channel = _WebSockets(self._websocket(sock, endpoint, deadline))
            return self._ask(channel, endpoint, observation, deadline)

    def _websocket(self, sock: socket.socket, endpoint: Endpoint, deadline: Deadline) -> WebSocket:
        from check_rtc.transport.websocket import WebSocket

        connection = WebSocket(sock)
        connection.handshake(self.settings.name, endpoint.port, self.settings.ws_path, "sip",
                             endpoint.transport == "wss", deadline)
        return connection

    def _ask(self, channel: Channel, endpoint: Endpoint, observation: SipObservation,
             deadline: Deadline) -> SipObservation:
        """OPTIONS, and once more with credentials if challenged and we have them."""
        dialog = _Dialog(self.settings, endpoint, channel.local_address())
        answer = _exchange(channel, dialog.request(), endpoint, deadline)
        retry = dialog.authenticated_request(answer.response)
        if retry is not None:
            answer = _exchange(channel, retry, endpoint, deadline)
            observation.authenticated = f"{self.settings.username} ({dialog.algorithm} digest)"
        response = answer.response
        observation.rtt, observation.sends = answer.rtt, answer.sends
        observation.code, observation.reason = response.code, response.reason
        observation.server = response.get("server") or response.get("user-agent")
        observation.allow = response.get("allow")
        return observation


def start_tls(sock: socket.socket, context: ssl.SSLContext, name: str, observation: SipObservation,
              deadline: Deadline) -> ssl.SSLSocket:
    """TLS to the SIP domain `name`; the version and certificate facts go into `observation`."""
    from check_rtc import identity

    tls = stream.start_tls(sock, context, name, deadline)
    observation.tls_version = tls.version()
    cert = tls.getpeercert()
    if not cert:  # --insecure: nothing verified, nothing to report
        return tls
    observation.cert_subject = identity.subject_name(cert)
    observation.cert_days = _days_left(cert)
    try:
        # RFC 5922 §7.1: the SIP domain in a "sip" URI-ID or a DNS-ID;
        # §7.2: "wildcard ... MUST NOT be accepted".
        observation.identity = identity.verify_identity(cert, name, uri_schemes=("sip",), allow_wildcards=False)
    except identity.IdentityError as exc:
        tls.close()
        raise identity.IdentityError(f"TLS identity: {exc}") from None
    return tls


def _days_left(cert: dict[str, object]) -> float | None:
    import ssl

    not_after = cert.get("notAfter")
    if not isinstance(not_after, str):
        return None
    return (ssl.cert_time_to_seconds(not_after) - time.time()) / SECONDS_PER_DAY


class _Dialog:
    """The identifiers shared by the request and its authenticated retry (RFC 3261 §8.1.1, §22.2)."""

    def __init__(self, settings: Settings, endpoint: Endpoint, local: tuple[str, int]) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.local = local
        host = f"[{settings.name}]" if ":" in settings.name else settings.name
        self.uri = settings.uri or f"sip:{host}"
        self.from_uri = settings.from_uri or f"sip:check_sip@{host}"
        self.call_id = f"{sip.new_token()}@check_sip"
        self.from_tag = sip.new_token()
        self.cseq = 0
        self.algorithm = ""

    def request(self, extra: tuple[tuple[str, str], ...] = ()) -> tuple[bytes, RequestKey]:
        # RFC 3261 §8.1.3.5 / §22.2: a retry "MUST" have a new CSeq and, being a new
        # transaction, a new branch; Call-ID and From tag stay.
        self.cseq += 1
        spec = sip.RequestSpec("OPTIONS", self.uri, self.endpoint.transport, self.local[0], self.local[1],
                               self.from_uri, self.from_tag, self.uri, self.call_id, self.cseq, sip.new_branch(),
                               self.settings.user_agent, extra)
        return sip.encode_request(spec), RequestKey(spec.branch, spec.call_id, spec.cseq, spec.method)

    def authenticated_request(self, response: sip.Response) -> tuple[bytes, RequestKey] | None:
        """The retry answering a 401/407 digest challenge, or None (no credentials, no challenge, done)."""
        settings = self.settings
        if response.code not in (401, 407) or settings.username is None or settings.password is None:
            return None
        if self.cseq > 1:
            return None  # challenged again: the credentials were refused, report that answer
        from check_rtc.codec import sip_digest

        challenge = sip_digest.pick_challenge(response)
        if challenge is None:
            return None
        self.algorithm = challenge.algorithm
        log.debug("> %s answering the %s digest challenge of realm %r", self.endpoint, challenge.algorithm,
                  challenge.realm)
        value = sip_digest.authorization(challenge, settings.username, settings.password, "OPTIONS", self.uri,
                                         sip.new_token())
        return self.request(((challenge.header, value),))


class Channel:
    """One way to move whole SIP messages: datagrams, a framed stream, or WebSocket messages."""

    reliable = True

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def local_address(self) -> tuple[str, int]:
        address = self.sock.getsockname()
        return str(address[0]), int(address[1])

    def send(self, data: bytes, deadline: Deadline) -> None:
        stream.send(self.sock, data, deadline, "send")

    def receive(self, until: Deadline) -> list[bytes]:
        """Whole messages that came before `until` ([] if none); TransportError when closed."""
        raise NotImplementedError


class Datagrams(Channel):
    reliable = False

    def send(self, data: bytes, deadline: Deadline) -> None:
        datagram.send_datagram(self.sock, data)

    def receive(self, until: Deadline) -> list[bytes]:
        data = datagram.receive_datagram(self.sock, until.at)
        return [] if data is None else [data]


class Stream(Channel):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self.framer = sip.StreamFramer()

    def receive(self, until: Deadline) -> list[bytes]:
        try:
            chunk = stream.receive(self.sock, until, "receive")
        except TransportTimeout:
            return []
        if not chunk:
            raise TransportError("connection closed before a final answer")
        self.framer.receive_data(chunk)
        messages = []
        try:
            while (message := self.framer.next_message()) is not None:
                messages.append(message)
        except DecodeError as exc:
            # A stream cannot be resynchronised after a framing error (RFC 3261 §18.3).
            raise RemoteProtocolError(str(exc)) from None
        return messages


class _WebSockets(Channel):
    def __init__(self, connection: WebSocket) -> None:
        super().__init__(connection.sock)
        self.connection = connection

    def send(self, data: bytes, deadline: Deadline) -> None:
        self.connection.send_message(data, deadline)

    def receive(self, until: Deadline) -> list[bytes]:
        try:
            # RFC 7118 §5: "each SIP message MUST be carried within a single WebSocket message"
            message = self.connection.receive_message(until)
        except TransportTimeout:
            return []
        except DecodeError as exc:
            raise RemoteProtocolError(str(exc)) from None
        if not message:
            raise TransportError("WebSocket closed before a final answer")
        return [message]


class _Outcome:
    """What one transaction saw besides its answer, for the time-out message and the trace."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.ignored: list[str] = []
        self.provisional: str | None = None

    def drain(self, transaction: SipTransaction) -> Answered | None:
        while (event := transaction.next_event()) is not None:
            if isinstance(event, Discarded):
                log.debug("< %s ignored: %s", self.endpoint, event.reason)
                self.ignored.append(event.reason)
            elif isinstance(event, Provisional):
                self.provisional = f"{event.response.code} {event.response.reason}"
                log.debug("< %s SIP/2.0 %s", self.endpoint, self.provisional)
            elif isinstance(event, TimedOut):
                raise self.timed_out(event.sends)
            elif isinstance(event, Answered):
                log.debug("< %s SIP/2.0 %s %s", self.endpoint, event.response.code, event.response.reason)
                return event
        return None

    def timed_out(self, sends: int) -> TransportTimeout:
        text = f"no final answer after {sends} send{'s' if sends != 1 else ''}"
        if self.provisional:
            text += f" (last provisional: {self.provisional})"
        if self.ignored:
            text += f" (ignored {len(self.ignored)} invalid: {self.ignored[-1]})"
        return TransportTimeout(text)


def _exchange(channel: Channel, request: tuple[bytes, RequestKey], endpoint: Endpoint,
              deadline: Deadline) -> Answered:
    """Run one client transaction over `channel` until its final answer, or raise."""
    data, key = request
    transaction = SipTransaction(data, key, reliable=channel.reliable)
    outcome = _Outcome(endpoint)
    transaction.start(Deadline.now())
    sends = 0
    while True:
        for message in transaction.datagrams_to_send():
            sends += 1
            log.debug("> %s %s", endpoint, message.split(b"\r\n", 1)[0].decode("utf-8", "replace"))
            channel.send(message, deadline)
        answer = outcome.drain(transaction)
        if answer is not None:
            return answer
        messages = channel.receive(deadline.earlier(transaction.get_timer()))
        now = Deadline.now()
        for message in messages:
            transaction.receive(message, now)
        if not messages:
            if now >= deadline.at:
                raise outcome.timed_out(sends)
            transaction.handle_timer(now)
