# SPDX-License-Identifier: GPL-3.0-or-later
"""Target discovery: from -H, or from a domain's SRV records (RFC 2782), to endpoints.

Every target and every address of the requested families becomes an
endpoint. A target that does not resolve is kept, with its error, so the
check reports it instead of silently probing fewer servers.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc.errors import CheckRtcError, ResolveError
from check_rtc.probes.services import Service
from check_rtc.resolve import Resolver
from check_rtc.transport.deadline import Deadline
from check_rtc.transport.endpoint import Endpoint


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
    if targeting.host:
        targets = [
            (targeting.host, port, transport)
            for transport in targeting.transports
            for port in targeting.ports or (service.default_ports[transport],)
        ]
    else:
        targets = _domain_targets(service, targeting, resolver, deadline, found)
    return list(dict.fromkeys(targets))


def _domain_targets(
    service: Service, targeting: Targeting, resolver: Resolver, deadline: Deadline, found: Discovery
) -> list[tuple[str, int, str]]:
    """NAPTR (where the protocol has it), then SRV, then the domain itself."""
    targets, listed = _naptr_targets(service, targeting, resolver, deadline, found)
    for transport in targeting.transports:
        if transport not in listed:
            owner = f"{service.srv[transport]}.{targeting.domain}"
            targets += _srv_targets(owner, transport, service, targeting, resolver, deadline, found, True)
    return targets


def _naptr_targets(
    service: Service, targeting: Targeting, resolver: Resolver, deadline: Deadline, found: Discovery
) -> tuple[list[tuple[str, int, str]], set[str]]:
    """Targets through the domain's NAPTR records, and the transports they listed.

    A transport the records do not list is looked up by SRV directly, as
    when there are no NAPTR records (RFC 3263 §4.1): a monitoring check
    reports what is there rather than what a client would pick.
    """
    if not service.naptr:
        return [], set()
    domain = targeting.domain or ""
    try:
        records = resolver.naptr(domain, deadline)
    except CheckRtcError as exc:
        found.failures.append((Endpoint(domain, "", 0, "naptr"), exc))
        return [], set()
    targets: list[tuple[str, int, str]] = []
    listed: set[str] = set()
    for record in records:
        transport = service.naptr.get(record.service.upper())
        # RFC 3263 §4.1 / RFC 5928 §4: the "s" flag says the replacement is an SRV owner name.
        if transport in targeting.transports and record.flags.lower() == "s":
            listed.add(transport)
            targets += _srv_targets(record.replacement, transport, service, targeting, resolver, deadline,
                                    found, False)
    return targets, listed


def _srv_targets(
    owner: str,
    transport: str,
    service: Service,
    targeting: Targeting,
    resolver: Resolver,
    deadline: Deadline,
    found: Discovery,
    fallback: bool,
) -> list[tuple[str, int, str]]:
    """Targets of one SRV owner; with `fallback`, the domain itself when there are none."""
    try:
        records = resolver.srv(owner, deadline)
    except CheckRtcError as exc:
        found.failures.append((Endpoint(owner, "", 0, transport), exc))
        return []
    if not records and fallback:
        # No SRV: use the domain's own A/AAAA on the default port (RFC 2782 usage
        # rules; RFC 8489 §8: "the client SHOULD use the default port ...").
        ports = targeting.ports or (service.default_ports[transport],)
        return [(targeting.domain or "", port, transport) for port in ports]
    if not records:
        missing = ResolveError(owner, "noanswer", "NAPTR points here but there is no SRV record")
        found.failures.append((Endpoint(owner, "", 0, transport), missing))
        return []
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
