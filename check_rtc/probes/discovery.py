# SPDX-License-Identifier: GPL-3.0-or-later
"""Target discovery: from -H, or from a domain's SRV records (RFC 2782), to endpoints.

Every target and every address of the requested families becomes an
endpoint. A target that does not resolve is kept, with its error, so the
check reports it instead of silently probing fewer servers.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.errors import CheckRtcError, ResolveError
from check_rtc.resolve import Resolver
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint


class Service(namedtuple("Service", "srv default_ports")):
    """How a protocol is found: SRV owner label and default port per transport."""

    __slots__ = ()
    srv: dict[str, str]
    default_ports: dict[str, int]


class Targeting(namedtuple("Targeting", "host domain ports transports families")):
    """What the operator named: -H, -d, -p, -T, -4/-6."""

    __slots__ = ()
    host: str | None
    domain: str | None
    ports: tuple[int, ...]
    transports: tuple[str, ...]
    families: tuple[int, ...]


class Discovery:
    """Endpoints to probe, and targets that failed before any probe."""

    __slots__ = ("endpoints", "failures")

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []
        self.failures: list[tuple[Endpoint, CheckRtcError]] = []


def discover(service: Service, targeting: Targeting, resolver: Resolver, deadline: Deadline) -> Discovery:
    """-H: that host on the given or default ports; -d: SRV per transport."""
    found = Discovery()
    for name, port, transport in _targets(service, targeting, resolver, deadline, found):
        _add_addresses(found, name, port, transport, targeting.families, resolver, deadline)
    return found


def _targets(
    service: Service, targeting: Targeting, resolver: Resolver, deadline: Deadline, found: Discovery
) -> list[tuple[str, int, str]]:
    targets: list[tuple[str, int, str]] = []
    for transport in targeting.transports:
        if targeting.host:
            ports = targeting.ports or (service.default_ports[transport],)
            targets += [(targeting.host, port, transport) for port in ports]
        else:
            assert targeting.domain is not None
            targets += _srv_targets(service, targeting, transport, resolver, deadline, found)
    return list(dict.fromkeys(targets))


def _srv_targets(
    service: Service,
    targeting: Targeting,
    transport: str,
    resolver: Resolver,
    deadline: Deadline,
    found: Discovery,
) -> list[tuple[str, int, str]]:
    domain = targeting.domain or ""
    owner = f"{service.srv[transport]}.{domain}"
    try:
        records = resolver.srv(owner, deadline)
    except CheckRtcError as exc:
        found.failures.append((Endpoint(owner, "", 0, transport), exc))
        return []
    if not records:
        # No SRV: use the domain's own A/AAAA on the default port (RFC 8489 §8:
        # "the client SHOULD use the default port ... and the domain name").
        ports = targeting.ports or (service.default_ports[transport],)
        return [(domain, port, transport) for port in ports]
    if all(record.target == "." for record in records):
        # RFC 2782: 'A Target of "." means that the service is decidedly not
        # available at this domain.'
        absent = ResolveError(owner, "absent", "service declared absent (SRV target '.')")
        found.failures.append((Endpoint(owner, "", 0, transport), absent))
        return []
    return [(r.target, r.port, transport) for r in records if r.target != "."]


def _add_addresses(
    found: Discovery,
    name: str,
    port: int,
    transport: str,
    families: tuple[int, ...],
    resolver: Resolver,
    deadline: Deadline,
) -> None:
    try:
        addresses = resolver.addresses(name, families, deadline)
    except CheckRtcError as exc:
        found.failures.append((Endpoint(name, "", port, transport), exc))
        return
    if not addresses:
        wanted = " or ".join(f"IPv{f}" for f in families)
        error = ResolveError(name, "noanswer", f"no {wanted} address")
        found.failures.append((Endpoint(name, "", port, transport), error))
    for address in addresses:
        found.endpoints.append(Endpoint(name, address, port, transport))
