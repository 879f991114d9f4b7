# SPDX-License-Identifier: GPL-3.0-or-later
"""ICE through the TURN server, as a browser does it (RFC 8445 with aioice; check_turn --ice).

Two ICE agents of the check gather candidates with the server as their STUN
and TURN server (host, server-reflexive, relayed), then connect to each
other offering only their relayed candidates, so the data they exchange
must cross the relay. This is the test a WebRTC deployment needs, without
the false alarms of a browser's trickle-ICE page: a candidate type that
fails is reported, but only a missing relayed candidate or a failed
connection fails the endpoint. aioice (+60 ms to import) is loaded here only.
"""

from __future__ import annotations

import time

from check_rtc.errors import CheckRtcError, RemoteProtocolError, TransportTimeout
from check_rtc.probes import Observation
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

    from check_rtc.codec.turn import Credentials

PAYLOAD = b"check-rtc ice probe"


class IceObservation(Observation):
    """Candidates gathered per type, and how long gathering and connecting took."""

    __slots__ = ("candidates", "gather_time", "connect_time")

    def __init__(self, endpoint: Endpoint, error: CheckRtcError | None = None) -> None:
        super().__init__(endpoint, error)
        self.candidates: dict[str, int] = {}
        self.gather_time: float | None = None
        self.connect_time: float | None = None

    def describe(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.candidates.items()))
        return (f"ICE gathered {kinds} in {self.gather_time:.4f}s; connected through the relay in "
                f"{self.connect_time:.4f}s")


def failed(endpoint: Endpoint, error: CheckRtcError) -> IceObservation:
    return IceObservation(endpoint, error)


class IceProbe:
    """Callable per endpoint (UDP or TCP/TLS towards the TURN server)."""

    def __init__(self, credentials: Credentials, tls_context: ssl.SSLContext | None) -> None:
        self.credentials = credentials
        self.tls_context = tls_context

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> IceObservation:
        import asyncio

        observation = IceObservation(endpoint)
        try:
            asyncio.run(asyncio.wait_for(self._run(endpoint, observation), deadline.timeout("ICE")))
        except asyncio.TimeoutError:
            raise TransportTimeout(f"ICE: {_stage(observation)} did not finish before the deadline") from None
        return observation

    async def _run(self, endpoint: Endpoint, observation: IceObservation) -> None:
        import asyncio

        agents = [self._agent(endpoint, controlling) for controlling in (True, False)]
        try:
            started = time.monotonic()
            await asyncio.gather(*(_gather(agent) for agent in agents))
            observation.gather_time = time.monotonic() - started
            observation.candidates = _count(agents[0].local_candidates)
            started = time.monotonic()
            await _connect_through_relay(*agents)
            observation.connect_time = time.monotonic() - started
        finally:
            await asyncio.gather(*(agent.close() for agent in agents), return_exceptions=True)

    def _agent(self, endpoint: Endpoint, controlling: bool) -> Any:
        import aioice

        server = (endpoint.address, endpoint.port)
        return aioice.Connection(
            ice_controlling=controlling,
            # aioice asks STUN servers over UDP only; over TCP/TLS the TURN
            # allocation's mapped address is the reflexive one.
            stun_server=server if endpoint.transport == "udp" else None,
            turn_server=server,
            turn_username=self.credentials.username,
            turn_password=self.credentials.password,
            # aioice passes this to loop.create_connection(ssl=...): a context works.
            turn_ssl=self.tls_context if endpoint.is_tls else False,  # type: ignore[arg-type]
            turn_transport="udp" if endpoint.transport == "udp" else "tcp",
            use_ipv4=True,
            use_ipv6=False,
        )


async def _gather(agent: Any) -> None:
    """Gather; a TURN failure means no relayed candidate, with aioice's reason."""
    try:
        await agent.gather_candidates()
    except Exception as exc:  # aioice 0.8 raises TransactionFailed, OSError, ConnectionError...
        raise RemoteProtocolError(f"ICE gathering: no relayed candidate: {_reason(exc)}") from None
    if not any(c.type == "relay" for c in agent.local_candidates):
        raise RemoteProtocolError(f"ICE gathering: no relayed candidate: {await _turn_failure(agent)}")


async def _turn_failure(agent: Any) -> str:
    """Why aioice got no relayed candidate.

    aioice 0.8 raises the TURN error out of gather_candidates(); newer
    releases drop it silently. Asking for an allocation the same way gives
    the reason with either.
    """
    import asyncio

    from aioice import turn

    try:
        transport, _ = await turn.create_turn_endpoint(
            asyncio.DatagramProtocol, server_addr=agent.turn_server, username=agent.turn_username,
            password=agent.turn_password, ssl=agent.turn_ssl, transport=agent.turn_transport)
    except Exception as exc:  # aioice's TransactionFailed, OSError, ConnectionError...
        return _reason(exc)
    transport.close()
    return "the TURN allocation works, but aioice did not offer it as a candidate"


async def _connect_through_relay(first: Any, second: Any) -> None:
    """Each agent learns only the other's relayed candidates; then both connect and talk."""
    import asyncio

    for local, remote in ((first, second), (second, first)):
        local.remote_username, local.remote_password = remote.local_username, remote.local_password
        for candidate in remote.local_candidates:
            if candidate.type == "relay":
                await local.add_remote_candidate(candidate)
        await local.add_remote_candidate(None)
    try:
        await asyncio.gather(first.connect(), second.connect())
        await first.send(PAYLOAD)
        received = await second.recv()
    except ConnectionError as exc:
        raise RemoteProtocolError(f"ICE connection through the relay failed: {_reason(exc)}") from None
    if received != PAYLOAD:
        raise RemoteProtocolError("ICE: data changed on the way through the relay")


def _count(candidates: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for candidate in candidates:
        counts[candidate.type] = counts.get(candidate.type, 0) + 1
    return counts


def _stage(observation: IceObservation) -> str:
    return "gathering" if observation.gather_time is None else "connecting"


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
