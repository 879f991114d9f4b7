# SPDX-License-Identifier: GPL-3.0-or-later
"""STUN Binding probe (RFC 8489 §6 over UDP, TCP and TLS; discovery per §8).

One Binding transaction per endpoint over a StunLink: UDP with the §6.2.1
retransmission schedule, TCP/TLS with the §6.2.2 framing. Undecodable
answers and answers for another transaction are ignored, as the RFC says;
the endpoint times out if nothing valid comes.
"""

from __future__ import annotations

from check_rtc.addresses import private_behind_public
from check_rtc.codec import stun
from check_rtc.errors import CheckRtcError, RemoteProtocolError
from check_rtc.probes import Observation
from check_rtc.probes import services
from check_rtc.probes.stun_link import StunLink
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

    from check_rtc.codec.stun_transaction import Answered

# How long the RFC 5780 test waits: a server without it may stay silent, and
# that must not cost the whole -t (three sends fit, RFC 8489 §6.2.1).
ALTERNATE_WAIT_SECONDS = 2.0

SERVICE = services.STUN


class StunObservation(Observation):
    """A Binding answer: round-trip time, the mapped (reflexive) address, SOFTWARE;
    with the RFC 5780 test, the alternate address and what became of CHANGE-REQUEST."""

    __slots__ = ("rtt", "mapped", "software", "sends", "alternate", "alternate_problem")

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
        self.alternate: tuple[str, int] | None = None
        self.alternate_problem: str | None = None

    def describe(self) -> str:
        assert self.rtt is not None and self.mapped is not None
        text = f"Binding answered in {self.rtt:.4f}s, mapped address {_address(self.mapped)}"
        if self.sends > 1:
            text += f" after {self.sends} sends"
        if self.software:
            text += f', software "{self.software}"'
        if private_behind_public(self.mapped[0], self.endpoint.address):
            text += " (private: this host reaches the server from inside its network)"
        if self.alternate is not None and self.alternate_problem is None:
            text += f", CHANGE-REQUEST answered from the alternate address {_address(self.alternate)}"
        return text


def failed(endpoint: Endpoint, error: CheckRtcError) -> StunObservation:
    return StunObservation(endpoint, error=error)


class BindingProbe:
    """Callable per endpoint; holds the TLS context made once in the main thread."""

    def __init__(self, tls_context: ssl.SSLContext | None, server_name: str | None,
                 alternate: bool = False) -> None:
        self.tls_context = tls_context
        self.server_name = server_name
        self.alternate = alternate

    def __call__(self, endpoint: Endpoint, deadline: Deadline) -> StunObservation:
        with StunLink.open(endpoint, deadline, self.tls_context, self.server_name) as link:
            answer = link.transact(stun.binding_request(), deadline)
        observation = _observe(endpoint, answer, link.sends)
        # RFC 5780 §7.2: CHANGE-REQUEST "is only valid over UDP".
        if self.alternate and not endpoint.is_stream:
            _test_alternate(observation, answer.response, deadline)
        return observation


def _test_alternate(observation: StunObservation, response: stun.Message, deadline: Deadline) -> None:
    """RFC 5780 §4.3 / RFC 3489 §9: is a change-IP-and-port request answered from the alternate address?"""
    other = response.get("OTHER-ADDRESS") or response.get("CHANGED-ADDRESS")
    if not isinstance(other, tuple):
        observation.alternate_problem = "no OTHER-ADDRESS or CHANGED-ADDRESS: NAT behaviour discovery not offered"
        return
    observation.alternate = other
    if other[0] == observation.endpoint.address:
        observation.alternate_problem = (f"alternate address {_address(other)} has the same IP: "
                                         "'change IP' needs a second address")
        return
    observation.alternate_problem = _change_request(observation.endpoint, other, deadline)


def _change_request(endpoint: Endpoint, other: tuple[str, int], deadline: Deadline) -> str | None:
    """Send CHANGE-REQUEST(change IP, change port); None if the answer came from `other`."""
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST, stun.new_transaction_id(),
                           (("CHANGE-REQUEST", (True, True)),))
    budget = deadline.earlier(Deadline.now() + ALTERNATE_WAIT_SECONDS)
    try:
        with StunLink.open(endpoint, deadline, None, None, accept_from=other) as link:
            response = link.transact(request, budget).response
    except CheckRtcError as exc:
        return f"CHANGE-REQUEST not answered from the alternate address {_address(other)}: {exc}"
    if response.cls == stun.Class.ERROR:
        code, reason = response.get("ERROR-CODE") or (0, "")
        return f"CHANGE-REQUEST refused: {code} {reason}".rstrip()
    return None


def _address(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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
