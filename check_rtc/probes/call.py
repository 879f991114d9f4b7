# SPDX-License-Identifier: GPL-3.0-or-later
"""The synthetic test call (probes layer; RFC 3261 §13-15 INVITE, ACK, CANCEL, BYE; RFC 3264 offer/answer; RFC 3550).

At one endpoint (the first that RFC 3263 discovery or -H yields and that
connects): INVITE with an SDP offer of the chosen codecs, one digest
challenge answered (RFC 3261 §22.2, §22.3), provisional answers timed, a
final answer recorded. A 2xx is acknowledged and the call runs: RTP with a
test tone and RTCP both ways for the duration (probes/call_media.py) while
the dialog is watched (retransmitted 2xx acknowledged again, a BYE from the
far end answered), then BYE. When the time for an answer runs out after a
provisional answer, the call is CANCELled (§9.1). The observation holds
facts; checks/call.py judges them.
"""

from __future__ import annotations

import logging
import socket
from collections import namedtuple
from contextlib import ExitStack, closing

from check_rtc import emodel
from check_rtc.codec import sdp, sip, tone
from check_rtc.codec.events import Discarded, TimedOut
from check_rtc.codec.sip_invite import Accepted, Dialog, InviteTransaction, Progressed, Rejected
from check_rtc.codec.sip_transaction import Answered, RequestKey, SipTransaction
from check_rtc.errors import CheckRtcError, DecodeError, RemoteProtocolError, TransportError, TransportTimeout
from check_rtc.probes.call_media import MediaStream, PortPair, new_session
from check_rtc.probes.sip import Channel, Datagrams, SipObservation, Stream, start_tls
from check_rtc.quality import Quality, assess
from check_rtc.transport import datagram, stream
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

    from check_rtc.probes.discovery import Targeting
    from check_rtc.resolve import Resolver

log = logging.getLogger(__name__)

# Time kept after the media for BYE and its answer.
TEARDOWN_SECONDS = 1.0
PTIME_MS = 20
# What we offer per --codec: RFC 3551 static types; Opus per RFC 7587 §7 (opus/48000/2, dynamic type).
OFFERS = {"pcmu": sdp.PayloadFormat(0, "PCMU", 8000, 1), "pcma": sdp.PayloadFormat(8, "PCMA", 8000, 1),
          "g722": sdp.PayloadFormat(9, "G722", 8000, 1), "opus": sdp.PayloadFormat(111, "opus", 48000, 2)}


class CallSettings(namedtuple("CallSettings", "name uri from_uri user_agent username password codecs duration")):
    """The call to place: `name` is the SIP domain (SNI, identity), `codecs` keys of OFFERS in order."""

    __slots__ = ()
    name: str
    uri: str
    from_uri: str
    user_agent: str
    username: str | None
    password: str | None
    codecs: tuple[str, ...]
    duration: float


class CallObservation(SipObservation):
    """What the call showed: the SIP facts of SipObservation (code, reason, TLS) and the call's own."""

    __slots__ = ("progress", "last_progress", "progress_after", "ringing_after", "answer_after", "cancelled", "codec", "refused", "media_address",
                 "sent", "received", "rtcp_received", "sources", "qualities", "far_reports", "far_hangup",
                 "bye_answer")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.progress: str | None = None  # first provisional answer, e.g. "180 Ringing"
        self.last_progress: str | None = None
        self.progress_after: float | None = None
        self.ringing_after: float | None = None  # first 18x: the far end alerts (RFC 3261 §21.1)
        self.answer_after: float | None = None
        self.cancelled: str | None = None  # CANCEL's outcome, when the call was cancelled
        self.codec: sdp.PayloadFormat | None = None
        self.refused: str | None = None  # why the SDP answer accepted none of our audio
        self.media_address: tuple[str, int] | None = None  # where the answer said to send RTP
        self.sent = self.received = self.rtcp_received = 0
        self.sources: dict[tuple[str, int], int] = {}
        self.qualities: list[Quality] = []
        self.far_reports = 0  # report blocks about our stream in the far end's RTCP
        self.far_hangup = False
        self.bye_answer: str | None = None

    @property
    def answered(self) -> bool:
        return 200 <= self.code < 300

    @property
    def post_dial_delay(self) -> float | None:
        """Dialling to ringing (the first 18x), or to the answer when nothing rang first (ITU-T E.721)."""
        return self.ringing_after if self.ringing_after is not None else self.answer_after

    def describe(self) -> str:
        text = f"{self.code} {self.reason}".strip() if self.code else "no final answer"
        if self.answer_after is not None:
            text += f" in {self.answer_after:.4f}s"
        if self.progress:
            text += f" (first {self.progress} after {self.progress_after:.4f}s)"
        if self.authenticated:
            text += f", authenticated as {self.authenticated}"
        if self.codec is not None:
            text += f", {self.codec.encoding}/{self.codec.clock_rate}"
        if self.qualities:
            text += "; " + "; ".join(q.headline() for q in self.qualities)
        if self.codec is not None and not any(q.name == "out" for q in self.qualities):
            # RFC 3550 §6.2: a far end reports every 5 s or so; a short call may end before its first.
            text += "; out: no RTCP report from the far end about our stream"
        if self.codec is not None:
            text += f"; RTP sent {self.sent}, received {self.received}"
        return text


def failed(endpoint: Endpoint, error: CheckRtcError) -> CallObservation:
    return CallObservation(endpoint, error)


class CallProbe:
    """Places the call at one endpoint; the TLS context is made once in the main thread."""

    def __init__(self, settings: CallSettings, tls_context: ssl.SSLContext | None) -> None:
        self.settings = settings
        self.tls_context = tls_context

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> CallObservation:
        observation = CallObservation(endpoint)
        with ExitStack() as stack:
            channel = self._connect(endpoint, observation, deadline, stack)
            ports = PortPair(channel.local_address()[0])
            stack.callback(ports.close)
            _Call(self.settings, channel, ports, observation, deadline).run()
        return observation

    def _connect(self, endpoint: Endpoint, observation: CallObservation, deadline: Deadline,
                 stack: ExitStack) -> Channel:
        if not endpoint.is_stream:
            return Datagrams(stack.enter_context(closing(datagram.open_datagram(endpoint))))
        sock: socket.socket = stack.enter_context(closing(stream.connect(endpoint, deadline)))
        if endpoint.is_tls:
            assert self.tls_context is not None
            sock = stack.enter_context(closing(start_tls(sock, self.tls_context, self.settings.name, observation,
                                                         deadline)))
        return Stream(sock)


class _Call:
    """One call over one channel: INVITE (and its retry), media, BYE."""

    def __init__(self, settings: CallSettings, channel: Channel, ports: PortPair, observation: CallObservation,
                 deadline: Deadline) -> None:
        self.settings, self.channel, self.ports = settings, channel, ports
        self.observation, self.deadline = observation, deadline
        self.endpoint = observation.endpoint
        self.local = channel.local_address()
        self.call_id = f"{sip.new_token()}@check_rtc_call"
        self.from_tag = sip.new_token()
        self.cseq = 0
        self.offered = [OFFERS[name] for name in settings.codecs]
        self.invite: InviteTransaction | None = None
        self.dialog: Dialog | None = None
        self.others: list[SipTransaction] = []  # CANCEL or BYE in progress
        # The answer must come early enough for the media and the BYE before the deadline.
        self.ring_until = deadline.at - settings.duration - TEARDOWN_SECONDS

    # -- the call --------------------------------------------------------------------------------------
    def run(self) -> None:
        if self.ring_until <= Deadline.now():
            raise TransportTimeout(f"--duration {self.settings.duration:g}s does not fit in the time left before -t")
        final = self._invite(())
        retry = self._authenticated(final) if final is not None else None
        if retry is not None:
            final = self._invite(retry)
        if final is None:
            self._unanswered()
            return
        self.observation.code, self.observation.reason = final.response.code, final.response.reason
        self.observation.server = final.response.get("server") or final.response.get("user-agent")
        if isinstance(final, Accepted):
            self.observation.answer_after = final.after
            self._talk(final.response)

    def _invite(self, extra: tuple[tuple[str, str], ...]) -> Accepted | Rejected | None:
        """One INVITE transaction until its final answer (None: the deadline came first);
        CANCEL when the answer comes too late for the call."""
        self.cseq += 1
        spec = self._spec(extra)
        self.invite = InviteTransaction(spec, reliable=self.channel.reliable)
        self.invite.start(Deadline.now())
        while not self.deadline.expired():
            self._flush(self.invite)
            final = self._drain_invite()
            if final is not None:
                return final
            wake = self._next_timer()
            if not self.observation.cancelled:
                if Deadline.now() >= self.ring_until:
                    self._cancel()
                wake = self.ring_until if wake is None else min(wake, self.ring_until)
            self._pump(self.deadline.earlier(wake))
        return None

    def _unanswered(self) -> None:
        """No final answer before the deadline: "no answer" after a provisional one, else unreachable."""
        assert self.invite is not None
        if self.observation.progress is None:
            sends = self.invite.sends
            raise TransportTimeout(f"no answer to INVITE after {sends} send{'s' if sends != 1 else ''}")

    def _spec(self, extra: tuple[tuple[str, str], ...]) -> sip.RequestSpec:
        host = f"[{self.local[0]}]" if ":" in self.local[0] else self.local[0]
        contact = f"<sip:check_rtc_call@{host}:{self.local[1]};transport={self.endpoint.transport}>"
        offer = sdp.encode_offer(self.ports.address, self.ports.port, self.offered, int(Deadline.now() * 1000),
                                 PTIME_MS)
        return sip.RequestSpec("INVITE", self.settings.uri, self.endpoint.transport, self.local[0], self.local[1],
                               self.settings.from_uri, self.from_tag, self.settings.uri, self.call_id, self.cseq,
                               sip.new_branch(), self.settings.user_agent, (("Contact", contact), *extra),
                               body=offer, content_type="application/sdp")

    def _authenticated(self, final: Accepted | Rejected) -> tuple[tuple[str, str], ...] | None:
        """The Authorization answering a first 401/407, or None."""
        settings = self.settings
        if final.response.code not in (401, 407) or settings.username is None or settings.password is None:
            return None
        from check_rtc.codec import sip_digest

        challenge = sip_digest.pick_challenge(final.response)
        if challenge is None:
            return None
        self.observation.authenticated = f"{settings.username} ({challenge.algorithm} digest)"
        value = sip_digest.authorization(challenge, settings.username, settings.password, "INVITE", settings.uri,
                                         sip.new_token())
        return ((challenge.header, value),)

    def _drain_invite(self) -> Accepted | Rejected | None:
        assert self.invite is not None
        while (event := self.invite.next_event()) is not None:
            if isinstance(event, Progressed):
                self._progressed(event)
            if isinstance(event, Discarded):
                log.debug("< %s ignored: %s", self.endpoint, event.reason)
            elif isinstance(event, TimedOut):
                raise TransportTimeout(f"no answer to INVITE after {event.sends} sends")
            elif isinstance(event, (Accepted, Rejected)):
                log.debug("< %s SIP/2.0 %s %s", self.endpoint, event.response.code, event.response.reason)
                return event
        return None

    def _progressed(self, event: Progressed) -> None:
        observation = self.observation
        observation.last_progress = f"{event.response.code} {event.response.reason}"
        if observation.progress is None:
            observation.progress = observation.last_progress
            observation.progress_after = event.after
        # RFC 3261 §21.1.1: 100 Trying comes from the next hop; 18x from the far end.
        if event.response.code >= 180 and observation.ringing_after is None:
            observation.ringing_after = event.after

    def _cancel(self) -> None:
        assert self.invite is not None
        spec = self.invite.cancel()
        if spec is None:
            return  # no provisional answer yet: §9.1 forbids a CANCEL, the INVITE runs on to the deadline
        self.observation.cancelled = "sent"
        self._start(sip.encode_request(spec), RequestKey(spec.branch, spec.call_id, spec.cseq, "CANCEL"))

    # -- after the 2xx ---------------------------------------------------------------------------------
    def _talk(self, response: sip.Response) -> None:
        assert self.invite is not None
        self.dialog = Dialog(self.invite.spec, response)
        self._send(self.dialog.ack())
        accepted = self._accepted_media(response)
        if accepted is not None:
            self._stream(accepted)
        self._hang_up()

    def _accepted_media(self, response: sip.Response) -> sdp.Accepted | None:
        try:
            accepted = sdp.answered_media(sdp.decode(response.body), self.offered)
        except DecodeError as exc:
            raise RemoteProtocolError(f"SDP answer: {exc}") from None
        offered = ", ".join(f.encoding for f in self.offered)
        if accepted is None:
            self.observation.refused = f"the answer refused the audio stream (offered {offered})"
        elif accepted.format is None:
            self.observation.refused = f"the answer accepts none of the offered codecs ({offered})"
        else:
            self.observation.codec = accepted.format
            self.observation.media_address = (accepted.address, accepted.rtp_port)
            return accepted
        return None

    def _stream(self, accepted: sdp.Accepted) -> None:
        fmt = accepted.format
        assert fmt is not None
        session = new_session(fmt.payload_type, fmt.clock_rate, PTIME_MS, self.settings.duration,
                              tone.frame(fmt.encoding, PTIME_MS))
        media = MediaStream(self.ports, session, (accepted.address, accepted.rtp_port, accepted.rtcp_port))
        media.start()
        until = self.deadline.earlier(session.end)
        while not until.expired() and not self.observation.far_hangup:
            self._pump(until)
        if self.observation.far_hangup:
            media.stop.set()
        media.join(self.deadline.remaining())
        if media.error is not None:
            raise media.error
        self._observe(media, fmt)

    def _observe(self, media: MediaStream, fmt: sdp.PayloadFormat) -> None:
        session, observation = media.session, self.observation
        observation.sent, observation.sources = session.sent_packets, media.sources
        observation.received = session.peer.received if session.peer is not None else 0
        observation.rtcp_received = media.rtcp_packets
        observation.far_reports = len(session.learned)
        codec = _emodel_codec(fmt)
        label = self.endpoint.label()
        rtts = [entry.rtt * 1000 for entry in session.learned if entry.rtt is not None]
        rtt = sum(rtts) / len(rtts) if rtts else None
        if session.learned:
            loss = max(entry.block.fraction_lost for entry in session.learned) / 256 * 100
            jitter = max(entry.block.jitter for entry in session.learned) * 1000 / fmt.clock_rate
            detail = f"{len(session.learned)} reports from the far end"
            observation.qualities.append(assess(f"{label}_out", "out", "the far end's RTCP", codec, loss, jitter,
                                                rtt, detail=detail))
        if session.peer is not None and session.peer.received:
            peer = session.peer
            detail = f"{peer.received} packets, {max(0, peer.lost)} lost"
            observation.qualities.append(assess(f"{label}_in", "in", "RTP received", codec,
                                                peer.loss_fraction * 100, peer.jitter_ms, rtt,
                                                peer.burst_ratio(), detail=detail))

    def _hang_up(self) -> None:
        if self.observation.far_hangup or self.dialog is None:
            return
        data, key = self.dialog.bye()
        bye = self._start(data, key)
        while bye in self.others and not self.deadline.expired():
            self._pump(self.deadline.earlier(self._next_timer()))
        if self.observation.bye_answer is None:
            self.observation.bye_answer = "no answer"

    # -- messages --------------------------------------------------------------------------------------
    def _start(self, data: bytes, key: RequestKey) -> SipTransaction:
        transaction = SipTransaction(data, key, reliable=self.channel.reliable)
        transaction.start(Deadline.now())
        self.others.append(transaction)
        self._flush(transaction)
        return transaction

    def _next_timer(self) -> float | None:
        timers = [t.get_timer() for t in [self.invite, *self.others] if t is not None]
        due = [t for t in timers if t is not None]
        return min(due) if due else None

    def _pump(self, until: Deadline) -> None:
        """Read what comes before `until`, hand it out, run the timers that are due."""
        for message in self.channel.receive(until):
            self._dispatch(message)
        now = Deadline.now()
        for transaction in [self.invite, *self.others]:
            if transaction is not None:
                transaction.handle_timer(now)
                self._flush(transaction)
        self._finish_others()

    def _dispatch(self, message: bytes) -> None:
        now = Deadline.now()
        if not sip.is_response(message):
            self._answer(message)
            return
        for transaction in [self.invite, *self.others]:
            if transaction is not None:
                transaction.receive(message, now)
        self._reacknowledge()

    def _reacknowledge(self) -> None:
        """§13.2.2.4: "The UAC core MUST generate an ACK request for each 2xx received"."""
        if self.dialog is None or self.invite is None:
            return
        while (event := self.invite.next_event()) is not None:
            if isinstance(event, Accepted):
                self._send(self.dialog.ack())
        self._flush(self.invite)

    def _answer(self, message: bytes) -> None:
        try:
            request = sip.decode_request(message)
        except DecodeError as exc:
            log.debug("< %s ignored: %s", self.endpoint, exc)
            return
        log.debug("< %s %s %s", self.endpoint, request.method, request.uri)
        if self.dialog is None:
            return  # no call yet: nothing a request could be for
        answer, ended = self.dialog.answer(request)
        if answer is not None:
            self._send(answer)
        if ended:
            self.observation.far_hangup = True

    def _finish_others(self) -> None:
        for transaction in list(self.others):
            while (event := transaction.next_event()) is not None:
                if isinstance(event, (Answered, TimedOut)):
                    self.others.remove(transaction)
                    self._record(transaction, event)

    def _record(self, transaction: SipTransaction, event: Answered | TimedOut) -> None:
        text = f"{event.response.code} {event.response.reason}" if isinstance(event, Answered) else "no answer"
        if self.observation.cancelled and self.dialog is None:
            self.observation.cancelled = text
        else:
            self.observation.bye_answer = text

    def _flush(self, transaction: InviteTransaction | SipTransaction) -> None:
        for data in transaction.datagrams_to_send():
            self._send(data)

    def _send(self, data: bytes) -> None:
        log.debug("> %s %s", self.endpoint, data.split(b"\r\n", 1)[0].decode("utf-8", "replace"))
        self.channel.send(data, self.deadline)


def _emodel_codec(fmt: sdp.PayloadFormat) -> emodel.Codec:
    """The E-model's codec for an SDP encoding name (PCMU/PCMA -> g711, G722, opus)."""
    name = fmt.encoding.lower()
    return next(c for c in emodel.CODECS.values() if name in (n.lower() for n in c.sdp_names))


def place_call(probe: CallProbe, targeting: Targeting, resolver: Resolver, deadline: Deadline) -> list[CallObservation]:
    """One call, at the first endpoint that takes it; the endpoints that failed before it are reported too.

    RFC 3263 §4.3: "the client SHOULD try the next element in the list" when a
    transport failure occurs; a SIP answer of any kind ends the search.
    """
    from check_rtc.probes.discovery import discover
    from check_rtc.probes.sip import SERVICE

    found = discover(SERVICE, targeting, resolver, deadline)
    observations = [failed(endpoint, error) for endpoint, error in found.failures]
    for endpoint in found.endpoints:
        try:
            observations.append(probe(endpoint, deadline))
            break
        except TransportError as exc:
            observations.append(failed(endpoint, exc))
            if deadline.expired():
                break
        except CheckRtcError as exc:
            observations.append(failed(endpoint, exc))
            break
    return observations
