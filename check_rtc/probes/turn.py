# SPDX-License-Identifier: GPL-3.0-or-later
"""TURN probe (RFC 8656; discovery per RFC 5928 NAPTR and SRV): the steps an operator relies on.

Per endpoint, over one StunLink each for two allocations of the check's own:

1. an Allocate without credentials must be refused with 401, REALM and NONCE;
2. the authenticated Allocate (long-term or REST credentials, 438 retried);
3. a relay round trip between the two allocations, by Send/Data indications
   and by ChannelBind/ChannelData;
4. permissions towards loopback, private, link-local and metadata addresses
   are requested, never used: the server should refuse them (403);
5. the relayed address is compared with the address the server was reached on;
6. Refresh with lifetime 0 deletes both allocations.

The probe records what it saw; checks/turn.py judges it.
"""

from __future__ import annotations

import time

from check_rtc.codec import stun, turn
from check_rtc.errors import CheckRtcError, RemoteProtocolError, TransportError
from check_rtc.probes import Observation
from check_rtc.probes import services
from check_rtc.probes.stun_link import StunLink
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Callable

    from check_rtc.codec.stun_transaction import Answered

SERVICE = services.TURN

# Step 4: one address per class a relay must not reach. Only permissions are
# asked for (RFC 8656 §9); no data is ever sent towards them (design.md §9).
FORBIDDEN_PEERS = {
    4: (("loopback", "127.0.0.1"), ("private 10/8", "10.0.0.1"), ("private 172.16/12", "172.16.0.1"),
        ("private 192.168/16", "192.168.0.1"), ("link-local", "169.254.0.1"),
        ("cloud metadata", "169.254.169.254")),
    6: (("loopback", "::1"), ("unique local", "fd00::1"), ("link-local", "fe80::1"),
        ("cloud metadata", "fd00:ec2::254")),
}
MAX_CHALLENGES = 2
DISCARD_PORT = 9  # permissions are per IP address; the port is not looked at
PAYLOAD = b"check-rtc relay probe"


class TurnObservation(Observation):
    """What one TURN endpoint did at each step."""

    __slots__ = ("realm", "open_relay", "allocated", "relayed", "mapped", "lifetime", "allocate_time",
                 "indication_rtt", "channel_rtt", "granted", "refused", "deallocate_error", "total_time")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.realm: str | None = None
        self.open_relay = False
        self.allocated = False
        self.relayed: tuple[str, int] | None = None
        self.mapped: tuple[str, int] | None = None
        self.lifetime: int | None = None
        self.allocate_time: float | None = None
        self.indication_rtt: float | None = None
        self.channel_rtt: float | None = None
        self.granted: list[str] = []
        self.refused: list[str] = []
        self.deallocate_error: str | None = None
        self.total_time = 0.0

    def describe(self) -> str:
        if not self.allocated:
            return f"refuses an unauthenticated Allocate (401, realm '{self.realm}'); no credentials to go further"
        text = (f"relayed address {_address(self.relayed)}, mapped {_address(self.mapped)}, "
                f"lifetime {self.lifetime}s, allocated in {self.allocate_time:.4f}s")
        if self.indication_rtt is not None and self.channel_rtt is not None:
            text += (f"; relay round trip {self.indication_rtt:.4f}s (Send/Data), "
                     f"{self.channel_rtt:.4f}s (ChannelData)")
        if self.refused:
            text += f"; refused permissions towards {len(self.refused)} private address classes"
        return text


def _address(address: tuple[str, int] | None) -> str:
    if address is None:
        return "none"
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def failed(endpoint: Endpoint, error: CheckRtcError) -> TurnObservation:
    return TurnObservation(endpoint, error)


class Step:
    """Names the step in a failure inside it: 'CreatePermission: no valid answer ...'."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, (TransportError, RemoteProtocolError)):
            raise type(exc)(f"{self.name}: {exc}") from None


class Allocation:
    """One client allocation: its link, its credential state, its relayed address."""

    def __init__(self, link: StunLink, credentials: turn.Credentials | None) -> None:
        self.link = link
        self.auth = turn.Authenticator(credentials)
        self.relayed: tuple[str, int] = ("", 0)

    def request(self, method: stun.Method, attributes: tuple[tuple[str, object], ...],
                deadline: Deadline) -> Answered:
        """A request, retried with what a 401 or 438 challenge taught (RFC 8489 §9.2.5).

        At most two retries: the first answer may be 401 (no credentials yet)
        and the next 438 (the nonce went stale in between).
        """
        for _ in range(MAX_CHALLENGES):
            answer = self.link.transact(self.auth.request(method, attributes), deadline, self.auth.key)
            if answer.response.cls != stun.Class.ERROR or not self.auth.learn(answer.response):
                return answer
        return self.link.transact(self.auth.request(method, attributes), deadline, self.auth.key)

    def require(self, method: stun.Method, attributes: tuple[tuple[str, object], ...],
                deadline: Deadline) -> stun.Message:
        """A request that must succeed; an error answer is a RemoteProtocolError."""
        response = self.request(method, attributes, deadline).response
        if response.cls == stun.Class.ERROR:
            raise RemoteProtocolError(turn.error_reason(response))
        return response


class TurnProbe:
    """Callable per endpoint; settings shared by all endpoints."""

    def __init__(self, credentials: turn.Credentials | None, relay_family: int | None,
                 tls_context: ssl.SSLContext | None, server_name: str | None) -> None:
        self.credentials = credentials
        self.relay_family = relay_family
        self.tls_context = tls_context
        self.server_name = server_name

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> TurnObservation:
        """Every step that applies; a failing step ends the probe but keeps what came before."""
        observation = TurnObservation(endpoint)
        started = time.monotonic()
        with self._link(endpoint, deadline) as first:
            a = Allocation(first, None)
            with Step("unauthenticated Allocate"):
                self._challenge(a, observation, deadline)
            if observation.open_relay or self.credentials is not None:
                try:
                    self._allocate_and_relay(a, endpoint, observation, deadline)
                except CheckRtcError as exc:
                    observation.error = exc
        observation.total_time = time.monotonic() - started
        return observation

    def _link(self, endpoint: Endpoint, deadline: Deadline) -> StunLink:
        return StunLink.open(endpoint, deadline, self.tls_context, self.server_name)

    def _challenge(self, a: Allocation, observation: TurnObservation, deadline: Deadline) -> None:
        """Step 1: 401 with REALM and NONCE, or an open relay."""
        answer = a.link.transact(a.auth.request(stun.Method.ALLOCATE, self._allocate()), deadline)
        response = answer.response
        if response.cls == stun.Class.SUCCESS:
            observation.open_relay = True
            self._allocated(a, response, observation)
            observation.allocate_time = answer.rtt
            return
        if (response.get("ERROR-CODE") or (0,))[0] != 401:  # type: ignore[index]
            raise RemoteProtocolError(turn.error_reason(response))
        # RFC 8656 §7.2 / RFC 8489 §9.2.4: the challenge carries REALM and NONCE.
        if response.get("REALM") is None or response.get("NONCE") is None:
            raise RemoteProtocolError("401 without REALM and NONCE: long-term credentials cannot work")
        observation.realm = str(response.get("REALM"))
        a.auth = turn.Authenticator(self.credentials)
        a.auth.learn(response)

    def _allocate(self) -> tuple[tuple[str, object], ...]:
        return turn.allocate(self.relay_family)

    def _allocated(self, a: Allocation, response: stun.Message, observation: TurnObservation | None) -> None:
        relayed = response.get("XOR-RELAYED-ADDRESS")
        if not isinstance(relayed, tuple):
            raise RemoteProtocolError("Allocate success without XOR-RELAYED-ADDRESS")
        a.relayed = relayed
        if observation is not None:
            observation.allocated = True
            observation.relayed = relayed
            observation.mapped = response.get("XOR-MAPPED-ADDRESS")  # type: ignore[assignment]
            observation.lifetime = response.get("LIFETIME")  # type: ignore[assignment]

    def _allocate_and_relay(self, a: Allocation, endpoint: Endpoint, observation: TurnObservation,
                            deadline: Deadline) -> None:
        if not observation.open_relay:
            with Step("Allocate"):
                answer = a.request(stun.Method.ALLOCATE, self._allocate(), deadline)
                if answer.response.cls == stun.Class.ERROR:
                    raise RemoteProtocolError(turn.error_reason(answer.response))
                self._allocated(a, answer.response, observation)
                observation.allocate_time = answer.rtt
        with self._link(endpoint, deadline) as second:
            b = self._second_allocation(second, observation.open_relay, deadline)
            try:
                self._relay(a, b, observation, deadline)
                self._ask_forbidden_peers(a, endpoint, observation, deadline)
            finally:
                observation.deallocate_error = self._deallocate((a, b), deadline)

    def _second_allocation(self, link: StunLink, open_relay: bool, deadline: Deadline) -> Allocation:
        b = Allocation(link, None if open_relay else self.credentials)
        with Step("second Allocate"):
            self._allocated(b, b.require(stun.Method.ALLOCATE, self._allocate(), deadline), None)
        return b

    def _relay(self, a: Allocation, b: Allocation, observation: TurnObservation, deadline: Deadline) -> None:
        """Step 3: A -> relay -> B -> relay -> A, by indications, then by channels."""
        with Step("CreatePermission"):
            a.require(stun.Method.CREATE_PERMISSION, turn.create_permission(b.relayed), deadline)
            b.require(stun.Method.CREATE_PERMISSION, turn.create_permission(a.relayed), deadline)
        with Step("relay round trip (Send/Data)"):
            observation.indication_rtt = _round_trip(a, b, turn.send_indication, deadline)
        with Step("ChannelBind"):
            a.require(stun.Method.CHANNEL_BIND, turn.channel_bind(turn.FIRST_CHANNEL, b.relayed), deadline)
            b.require(stun.Method.CHANNEL_BIND, turn.channel_bind(turn.FIRST_CHANNEL, a.relayed), deadline)
        with Step("relay round trip (ChannelData)"):
            observation.channel_rtt = _round_trip(a, b, _channel_frame, deadline)

    def _ask_forbidden_peers(self, a: Allocation, endpoint: Endpoint, observation: TurnObservation,
                             deadline: Deadline) -> None:
        """Step 4: only CreatePermission requests; nothing is sent to these addresses."""
        family = 6 if ":" in a.relayed[0] else 4
        for name, address in FORBIDDEN_PEERS[family]:
            # When the check itself came over loopback, a loopback peer is
            # its own kind: not a finding about the server (issue 3, step 4).
            if name == "loopback" and _is_loopback(endpoint.address):
                continue
            with Step(f"CreatePermission towards {name} {address}"):
                response = a.request(stun.Method.CREATE_PERMISSION,
                                     turn.create_permission((address, DISCARD_PORT)), deadline).response
            if response.cls == stun.Class.SUCCESS:
                observation.granted.append(f"{name} {address}")
            else:
                observation.refused.append(f"{name} {address}")

    def _deallocate(self, allocations: tuple[Allocation, ...], deadline: Deadline) -> str | None:
        """Step 6: Refresh with LIFETIME 0; the first failure, if any."""
        for allocation in allocations:
            try:
                with Step("Refresh(0)"):
                    allocation.require(stun.Method.REFRESH, turn.refresh(0), deadline)
            except CheckRtcError as exc:
                return str(exc)
        return None


def _channel_frame(peer: tuple[str, int], data: bytes) -> bytes:
    """ChannelData on the channel both allocations bound to each other's relayed address."""
    return stun.encode_channel_data(turn.FIRST_CHANNEL, data)


def _round_trip(a: Allocation, b: Allocation, frame: Callable[[tuple[str, int], bytes], bytes],
                deadline: Deadline) -> float:
    """Send PAYLOAD from A to B's relayed address, echo it back; seconds taken."""
    started = time.monotonic()
    a.link.send(frame(b.relayed, PAYLOAD), deadline)
    _expect(b.link.receive(deadline), a.relayed)
    b.link.send(frame(a.relayed, PAYLOAD), deadline)
    _expect(a.link.receive(deadline), b.relayed)
    return time.monotonic() - started


def _expect(received: tuple[object, bytes], sender: tuple[str, int]) -> None:
    origin, data = received
    if data != PAYLOAD:
        raise RemoteProtocolError(f"relayed data changed on the way ({len(data)} bytes)")
    # ChannelData names the channel, a Data indication the peer: the relayed address that sent.
    if isinstance(origin, tuple) and origin != sender:
        raise RemoteProtocolError(f"relayed data came from {_address(origin)}, not from {_address(sender)}")


def _is_loopback(address: str) -> bool:
    return address.startswith("127.") or address == "::1"
