# SPDX-License-Identifier: GPL-3.0-or-later
"""Media probe through a TURN relay (RFC 8656 §12, RFC 3550): two allocations stream RTP to each other.

Per endpoint: two allocations of the check's own (the TURN client of
probes/turn.py: Allocation over a StunLink, 401/438 handled), each bound
by ChannelBind to the other's relayed address; then both sides send RTP
at the codec's packet rate and RTCP on the scaled RFC 3550 schedule
(codec/rtp_session.py), multiplexed on the channel (RFC 5761), for the
duration, and end with SR+BYE. Each side's figures are what the peer's
report blocks say about its stream: the path a -> relay -> b and back.
Both allocations are deleted (Refresh 0) at the end.
"""

from __future__ import annotations

import os
import threading
import time

from check_rtc.codec import stun, turn
from check_rtc.codec.rtp_session import Learned, RtpSession
from check_rtc.emodel import Codec
from check_rtc.errors import CheckRtcError, RemoteProtocolError, TransportTimeout
from check_rtc.probes import Observation
from check_rtc.probes.stun_link import StunLink
from check_rtc.probes.turn import Allocation, Step
from check_rtc.quality import Quality, assess
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

# After the stream: how long each side waits for the peer's final report.
FINAL_REPORT_SECONDS = 0.5
SIDES = ("a", "b")


class MediaObservation(Observation):
    """What each side learned about its stream; `learned` maps 'a'/'b' to report blocks."""

    __slots__ = ("codec", "discarded", "learned", "qualities", "relayed", "rtt", "sent")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.learned: dict[str, list[Learned]] = {}
        self.sent: dict[str, int] = {}
        self.relayed: dict[str, tuple[str, int]] = {}
        self.rtt: float | None = None
        self.codec: Codec | None = None
        self.qualities: list[Quality] = []
        self.discarded = 0  # relayed data that was neither RTP nor RTCP

    def describe(self) -> str:
        relayed = (f"{sum(self.sent.values())} RTP packets relayed between {_address(self.relayed.get('a'))} "
                   f"and {_address(self.relayed.get('b'))}")
        ignored = f", {self.discarded} undecodable packets ignored" if self.discarded else ""
        return "; ".join(q.headline() for q in self.qualities) + f"; {relayed}{ignored}"


def _address(address: tuple[str, int] | None) -> str:
    if address is None:
        return "none"
    return f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"


def failed(endpoint: Endpoint, error: CheckRtcError) -> MediaObservation:
    return MediaObservation(endpoint, error)


class MediaProbe:
    """Callable per endpoint; settings shared by all endpoints."""

    def __init__(self, credentials: turn.Credentials, codec: Codec, duration: float,
                 tls_context: ssl.SSLContext | None, server_name: str | None) -> None:
        self.credentials = credentials
        self.codec = codec
        self.duration = duration
        self.tls_context = tls_context
        self.server_name = server_name

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> MediaObservation:
        observation = MediaObservation(endpoint)
        observation.codec = self.codec
        with self._link(endpoint, deadline) as first, self._link(endpoint, deadline) as second:
            allocations = {"a": Allocation(first, self.credentials), "b": Allocation(second, self.credentials)}
            for name, allocation in allocations.items():
                with Step("Allocate"):
                    observation.relayed[name] = self._allocate(allocation, deadline)
            try:
                self._bind(allocations["a"], allocations["b"], deadline)
                self._stream(allocations, observation, deadline)
            finally:
                for allocation in allocations.values():
                    self._deallocate(allocation, deadline)
        return observation

    def _link(self, endpoint: Endpoint, deadline: Deadline) -> StunLink:
        return StunLink.open(endpoint, deadline, self.tls_context, self.server_name)

    @staticmethod
    def _allocate(allocation: Allocation, deadline: Deadline) -> tuple[str, int]:
        relayed = allocation.require(stun.Method.ALLOCATE, turn.allocate(), deadline).get("XOR-RELAYED-ADDRESS")
        if not isinstance(relayed, tuple):
            raise RemoteProtocolError("Allocate success without XOR-RELAYED-ADDRESS")
        allocation.relayed = relayed
        return relayed

    @staticmethod
    def _bind(a: Allocation, b: Allocation, deadline: Deadline) -> None:
        """RFC 8656 §12: ChannelBind also installs the permission for the peer."""
        with Step("ChannelBind"):
            a.require(stun.Method.CHANNEL_BIND, turn.channel_bind(turn.FIRST_CHANNEL, b.relayed), deadline)
            b.require(stun.Method.CHANNEL_BIND, turn.channel_bind(turn.FIRST_CHANNEL, a.relayed), deadline)

    def _stream(self, allocations: dict[str, Allocation], observation: MediaObservation, deadline: Deadline) -> None:
        """Both sides at once, one thread each; the first failure is raised."""
        if deadline.remaining() < self.duration + FINAL_REPORT_SECONDS:
            raise TransportTimeout(f"--duration {self.duration:g}s does not fit in the time left before -t")
        start = time.monotonic() + 0.01
        sessions = {name: self._session(name, start) for name in SIDES}
        errors: list[CheckRtcError] = []
        threads = [threading.Thread(target=_run_side, args=(allocations[n], sessions[n], deadline, errors),
                                    daemon=True) for n in SIDES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(deadline.remaining())
        if errors:
            raise errors[0]
        for name, session in sessions.items():
            observation.learned[name] = session.learned
            observation.sent[name] = session.sent_packets
            observation.discarded += session.discarded
        rtts = [entry.rtt for entries in observation.learned.values() for entry in entries if entry.rtt is not None]
        observation.rtt = sum(rtts) / len(rtts) if rtts else None
        observation.qualities = [self._rate(observation, name, peer) for name, peer in (("a", "b"), ("b", "a"))]

    def _rate(self, observation: MediaObservation, name: str, peer: str) -> Quality:
        """Worst fraction lost and jitter of the peer's reports on this side's stream; mean round trip."""
        learned = observation.learned[name]
        if not learned:
            raise RemoteProtocolError(f"no RTCP report about the {name}->{peer} stream came back through the relay")
        loss = max(entry.block.fraction_lost for entry in learned) / 256 * 100
        jitter = max(entry.block.jitter for entry in learned) * 1000 / self.codec.clock_rate
        rtts = [entry.rtt for entry in learned if entry.rtt is not None]
        rtt = sum(rtts) / len(rtts) * 1000 if rtts else None
        detail = f"{len(learned)} reports, cumulative lost {learned[-1].block.cumulative_lost}"
        return assess(f"{observation.endpoint.label()}_{name}_to_{peer}", f"{name}->{peer}", "RTCP", self.codec,
                      loss, jitter, rtt, detail=detail)

    def _session(self, name: str, start: float) -> RtpSession:
        ssrc = int.from_bytes(os.urandom(4), "big")
        payload_type = self.codec.payload_types[0] if self.codec.payload_types else 96
        return RtpSession(ssrc, payload_type, self.codec.clock_rate, self.codec.ptime_ms / 1000, start,
                          self.duration, f"check_rtcp-{name}@check-rtc", time.time() - time.monotonic())

    @staticmethod
    def _deallocate(allocation: Allocation, deadline: Deadline) -> None:
        """Refresh(0); a failure here only leaves an allocation to expire."""
        try:
            allocation.request(stun.Method.REFRESH, turn.refresh(0), deadline)
        except CheckRtcError:
            pass


def _run_side(allocation: Allocation, session: RtpSession, deadline: Deadline, errors: list[CheckRtcError]) -> None:
    try:
        with Step("RTP stream"):
            _stream_side(allocation.link, session, deadline)
    except CheckRtcError as exc:
        errors.append(exc)


def _stream_side(link: StunLink, session: RtpSession, deadline: Deadline) -> None:
    """Send what is due, listen until the next timer; then BYE and wait for the peer's."""
    while time.monotonic() < session.end:
        for packet in session.due(time.monotonic()):
            link.send(stun.encode_channel_data(turn.FIRST_CHANNEL, packet), deadline)
        _listen(link, session, deadline.earlier(min(session.timer(), session.end)))
    link.send(stun.encode_channel_data(turn.FIRST_CHANNEL, session.goodbye(time.monotonic())), deadline)
    final = deadline.earlier(time.monotonic() + FINAL_REPORT_SECONDS)
    while not session.peer_left and not final.expired():
        _listen(link, session, final)


def _listen(link: StunLink, session: RtpSession, until: Deadline) -> None:
    """Everything relayed before `until`."""
    while not until.expired():
        try:
            _, data = link.receive(until)
        except TransportTimeout:
            return
        session.receive(data, time.monotonic())
