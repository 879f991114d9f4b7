# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN Binding probe (RFC 8489 §6 over UDP, TCP and TLS; discovery per §8).

One Binding transaction per endpoint over a StunLink: UDP with the §6.2.1
retransmission schedule, TCP/TLS with the §6.2.2 framing. Undecodable
answers and answers for another transaction are ignored, as the RFC says;
the endpoint times out if nothing valid comes.
"""

from __future__ import annotations

from check_rtc.codec import stun
from check_rtc.errors import CheckRtcError, RemoteProtocolError
from check_rtc.probes import Observation
from check_rtc.probes.discovery import Service
from check_rtc.probes.stun_link import StunLink
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

    from check_rtc.codec.stun_transaction import Answered

# RFC 8489 §8: "_stun._udp", "_stun._tcp" and "_stuns._tcp"; default ports
# 3478 for "stun" and 5349 for "stuns" (§18.3 / IANA).
SERVICE = Service(
    srv={"udp": "_stun._udp", "tcp": "_stun._tcp", "tls": "_stuns._tcp"},
    default_ports={"udp": 3478, "tcp": 3478, "tls": 5349},
)


class StunObservation(Observation):
    """A Binding answer: round-trip time, the mapped (reflexive) address, SOFTWARE."""

    __slots__ = ("rtt", "mapped", "software", "sends")

    def __init__(
        self,
        endpoint: Endpoint,
        error: CheckRtcError | None = None,
        *,
        rtt: float | None = None,
        mapped: tuple[str, int] | None = None,
        software: str | None = None,
        sends: int = 0,
    ) -> None:
        super().__init__(endpoint, error)
        self.rtt = rtt
        self.mapped = mapped
        self.software = software
        self.sends = sends

    def describe(self) -> str:
        assert self.rtt is not None and self.mapped is not None
        host, port = self.mapped
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        text = f"Binding answered in {self.rtt:.4f}s, mapped address {address}"
        if self.sends > 1:
            text += f" after {self.sends} sends"
        if self.software:
            text += f', software "{self.software}"'
        return text


def failed(endpoint: Endpoint, error: CheckRtcError) -> StunObservation:
    return StunObservation(endpoint, error=error)


class BindingProbe:
    """Callable per endpoint; holds the TLS context made once in the main thread."""

    def __init__(self, tls_context: ssl.SSLContext | None, server_name: str | None) -> None:
        self.tls_context = tls_context
        self.server_name = server_name

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> StunObservation:
        with StunLink.open(endpoint, deadline, self.tls_context, self.server_name) as link:
            answer = link.transact(stun.binding_request(), deadline)
            return _observe(endpoint, answer, link.sends)


def _observe(endpoint: Endpoint, answer: Answered, sends: int) -> StunObservation:
    """Facts from the answer; an error response or a missing address is a failure."""
    response = answer.response
    if response.cls == stun.Class.ERROR:
        code, reason = response.get("ERROR-CODE") or (0, "no ERROR-CODE")
        raise RemoteProtocolError(f"Binding error response {code} {reason}".rstrip())
    # RFC 8489 §7.3.3: the success response "MUST contain an XOR-MAPPED-ADDRESS";
    # RFC 3489 servers answer with MAPPED-ADDRESS only, which still tells the address.
    mapped = response.get("XOR-MAPPED-ADDRESS") or response.get("MAPPED-ADDRESS")
    if mapped is None:
        raise RemoteProtocolError("Binding success response without XOR-MAPPED-ADDRESS")
    if mapped[1] == 0:
        raise RemoteProtocolError(f"Binding success response maps to port 0 ({mapped[0]})")
    return StunObservation(endpoint, rtt=answer.rtt, mapped=mapped, software=response.get("SOFTWARE"), sends=sends)
