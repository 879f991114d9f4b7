# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS records that let clients find an RTC domain (probe layer).

RTC guide Table 5.1: NAPTR (RFC 3263 for SIP, RFC 5928 for TURN) -> SRV
(RFC 2782; SIP RFC 3263, XMPP RFC 6120 §3.2 and XEP-0368, STUN RFC 8489 §8,
TURN RFC 8656) -> A/AAAA of every target; then the same record sets asked
of every authoritative name server of the zone, directly, with the SOA
serial. Returns observations per record set, target and server; judging
them is checks/dns.py's job. The SRV labels and standard ports come from
probes/services.py, as the protocol probes' discovery.
"""

from __future__ import annotations

import threading
from collections import namedtuple

from check_rtc import dns_exchange
from check_rtc.errors import ResolveError
from check_rtc.probes import services
from check_rtc.transport.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from check_rtc.dns_exchange import Reply
    from check_rtc.probes.services import Service

    Ask = Callable[[str, str], Reply]

REQUIRED, RECOMMENDED, REPORTED, NAPTR_TARGET = "required", "recommended", "reported", "NAPTR target"
# The guide's port-443 plan: TLS services may also listen on 443.
TLS_443 = 443


class Spec(namedtuple("Spec", "service label rrtype need ports")):
    """A record set to look up: `label` relative to the domain ('' = the domain
    itself), how much it is needed, and the standard ports of its SRV label."""

    __slots__ = ()
    service: str
    label: str
    rrtype: str
    need: str
    ports: tuple[int, ...]


def _srv(service: str, definition: Service, transport: str, need: str) -> Spec:
    ports = (definition.default_ports[transport],)
    if transport == "tls":
        ports += (TLS_443,)
    return Spec(service, definition.srv[transport], "SRV", need, ports)


def _specs() -> dict[str, tuple[Spec, ...]]:
    c2s, s2s, sip, stun, turn = services.XMPP["c2s"], services.XMPP["s2s"], services.SIP, services.STUN, services.TURN
    return {
        # The guide: SIP over TLS always; NAPTR is optional, but when there, it must be right.
        "sip": (Spec("sip", "", "NAPTR", REPORTED, ()), _srv("sip", sip, "tls", REQUIRED),
                _srv("sip", sip, "tcp", REPORTED), _srv("sip", sip, "udp", REPORTED)),
        "xmpp": (_srv("xmpp", c2s, "starttls", REQUIRED), _srv("xmpp", s2s, "starttls", REQUIRED),
                 _srv("xmpp", c2s, "tls", REPORTED), _srv("xmpp", s2s, "tls", REPORTED)),
        "stun": (_srv("stun", stun, "udp", REQUIRED), _srv("stun", stun, "tcp", REPORTED),
                 _srv("stun", stun, "tls", REPORTED)),
        "turn": (Spec("turn", "", "NAPTR", REPORTED, ()), _srv("turn", turn, "udp", REQUIRED),
                 _srv("turn", turn, "tcp", REPORTED), _srv("turn", turn, "tls", RECOMMENDED)),
    }


SERVICES = ("sip", "xmpp", "stun", "turn")
# NAPTR service tag -> (service, SRV label a client is sent to by convention)
NAPTR_SERVICES = {
    **{tag: ("sip", services.SIP.srv[t]) for tag, t in services.SIP.naptr.items()},
    **{tag: ("turn", services.TURN.srv[t]) for tag, t in services.TURN.naptr.items()},
}


def specs(services: tuple[str, ...]) -> list[Spec]:
    """The record sets of the chosen services; one NAPTR set for the domain."""
    chosen = [spec for service in services for spec in _specs()[service]]
    naptr = [spec for spec in chosen if spec.rrtype == "NAPTR"][:1]
    return naptr + [spec for spec in chosen if spec.rrtype != "NAPTR"]


class RecordSet(namedtuple("RecordSet", "spec name reply error")):
    """One record set as the resolver gave it: the Reply, or the ResolveError."""

    __slots__ = ()
    spec: Spec
    name: str
    reply: Reply | None
    error: ResolveError | None


class Target(namedtuple("Target", "name v4 v6 canonical authenticated error")):
    """An SRV target's addresses; `canonical` is set when the name is a CNAME;
    `authenticated`: both answers carried the AD flag."""

    __slots__ = ()
    name: str
    v4: tuple[str, ...]
    v6: tuple[str, ...]
    canonical: str | None
    authenticated: bool
    error: ResolveError | None


class ServerView(namedtuple("ServerView", "host address serial differs problem")):
    """What one authoritative server said: its SOA serial, the record sets
    whose answer differs from the resolver's, or why it gave no proper answer."""

    __slots__ = ()
    host: str
    address: str
    serial: int | None
    differs: tuple[str, ...]
    problem: str | None


class DnsObservation:
    """Everything the probe saw for one domain."""

    __slots__ = ("domain", "sets", "targets", "zone", "serial", "servers", "ns_problem", "elapsed")

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.sets: list[RecordSet] = []
        self.targets: dict[str, Target] = {}
        self.zone: str | None = None
        self.serial: int | None = None
        self.servers: list[ServerView] = []
        self.ns_problem: str | None = None
        self.elapsed = 0.0


def absolute(label: str, domain: str) -> str:
    return f"{label}.{domain}." if label else f"{domain}."


def probe_records(domain: str, services: tuple[str, ...], server: str | None, families: tuple[int, ...],
                  ns_port: int, dnssec: bool, deadline: Deadline) -> DnsObservation:
    """Look up every record set, target and authoritative server of `domain`."""
    domain = domain.rstrip(".")
    resolvers = dns_exchange.servers(server)
    started = Deadline.now()
    ask = _asker(resolvers, deadline, dnssec)
    seen = DnsObservation(domain)
    seen.sets = [_lookup(spec, absolute(spec.label, domain), ask) for spec in specs(services)]
    seen.sets += _naptr_targets(seen.sets, services, ask)
    seen.targets = _targets(seen.sets, ask)
    seen.elapsed = Deadline.now() - started
    _authoritative(seen, ask, families, ns_port, deadline)
    return seen


def _asker(resolvers: list[tuple[str, int]], deadline: Deadline, dnssec: bool) -> Ask:
    """Ask the resolvers in turn until one answers (resolv.conf semantics)."""

    def ask(name: str, rrtype: str) -> Reply:
        for number, resolver in enumerate(resolvers):
            try:
                return dns_exchange.exchange(resolver, name, rrtype, deadline, dnssec=dnssec)
            except ResolveError:
                if number == len(resolvers) - 1:
                    raise
        raise AssertionError("no resolver")  # servers() never returns an empty list

    return ask


def _lookup(spec: Spec, name: str, ask: Ask) -> RecordSet:
    try:
        return RecordSet(spec, name, ask(name, spec.rrtype), None)
    except ResolveError as exc:
        return RecordSet(spec, name, None, exc)


def _naptr_targets(sets: list[RecordSet], services: tuple[str, ...], ask: Ask) -> list[RecordSet]:
    """SRV owners that NAPTR records of the chosen services point at but the standard list does not hold."""
    known = {record_set.name.lower() for record_set in sets}
    extra: list[RecordSet] = []
    for record_set in sets:
        if record_set.spec.rrtype != "NAPTR" or record_set.reply is None:
            continue
        for record in record_set.reply.records:
            owner = record.replacement  # type: ignore[attr-defined]
            service = NAPTR_SERVICES.get(record.service.upper(), ("", ""))[0]  # type: ignore[attr-defined]
            if service in services and record.flags.lower() == "s" and owner != "." \
                    and owner.lower() not in known:  # type: ignore[attr-defined]
                known.add(owner.lower())
                extra.append(_lookup(Spec(service, owner, "SRV", NAPTR_TARGET, ()), owner, ask))
    return extra


def _targets(sets: list[RecordSet], ask: Ask) -> dict[str, Target]:
    names = {record.target  # type: ignore[attr-defined]
             for record_set in sets if record_set.spec.rrtype == "SRV" and record_set.reply is not None
             for record in record_set.reply.records if record.target != "."}  # type: ignore[attr-defined]
    return {name: _target(name, ask) for name in sorted(names)}


def _answered(reply: Reply, name: str, rrtype: str) -> Reply:
    """The reply, unless its rcode says the lookup failed (SERVFAIL, REFUSED, ...)."""
    if reply.rcode not in ("NOERROR", "NXDOMAIN"):
        raise ResolveError(name, "servfail", f"{rrtype} lookup answered {reply.rcode}")
    return reply


def _target(name: str, ask: Ask) -> Target:
    try:
        v4, v6 = _answered(ask(name, "A"), name, "A"), _answered(ask(name, "AAAA"), name, "AAAA")
    except ResolveError as exc:
        return Target(name, (), (), None, False, exc)
    return Target(name, tuple(map(str, v4.records)), tuple(map(str, v6.records)), v4.canonical or v6.canonical,
                  v4.authenticated and v6.authenticated, None)


def _authoritative(seen: DnsObservation, ask: Ask, families: tuple[int, ...], ns_port: int,
                   deadline: Deadline) -> None:
    """The zone, its serial, and every address of every NS asked directly."""
    try:
        apex = _answered(ask(f"{seen.domain}.", "SOA"), seen.domain, "SOA")
        seen.zone = apex.zone or f"{seen.domain}."
        seen.serial = _serial(apex if apex.records else ask(seen.zone, "SOA"))
        hosts = sorted(str(host) for host in _answered(ask(seen.zone, "NS"), seen.zone, "NS").records)
        addresses = [(host, address) for host in hosts for address in _addresses(host, families, ask)]
    except ResolveError as exc:
        seen.ns_problem = str(exc)
        return
    if not addresses:
        seen.ns_problem = f"no {' or '.join(f'IPv{f}' for f in families)} address for the name servers of " \
                          f"{seen.zone.rstrip('.')} ({', '.join(h.rstrip('.') for h in hosts) or 'no NS records'})"
        return
    seen.servers = _ask_all(addresses, seen, ns_port, deadline)


def _serial(reply: Reply) -> int | None:
    return int(reply.records[0]) if reply.records else None  # type: ignore[call-overload]


def _addresses(host: str, families: tuple[int, ...], ask: Ask) -> list[str]:
    found: list[str] = []
    for family in sorted(families, reverse=True):
        found += [str(a) for a in ask(host, "AAAA" if family == 6 else "A").records]
    return found


def _ask_all(addresses: list[tuple[str, str]], seen: DnsObservation, port: int,
             deadline: Deadline) -> list[ServerView]:
    """Every server at once, one thread each; a server still busy at the deadline timed out."""
    views: list[ServerView | None] = [None] * len(addresses)

    def run(index: int, host: str, address: str) -> None:
        views[index] = _server_view(host, address, port, seen, deadline)

    threads = [threading.Thread(target=run, args=(i, h, a), daemon=True) for i, (h, a) in enumerate(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline.remaining())
    return [view or ServerView(host, address, None, (), "no answer before the deadline")
            for view, (host, address) in zip(views, addresses)]


def _server_view(host: str, address: str, port: int, seen: DnsObservation, deadline: Deadline) -> ServerView:
    """Ask one authoritative server, recursion off, what the resolver was asked."""
    assert seen.zone is not None
    try:
        soa = dns_exchange.exchange((address, port), seen.zone, "SOA", deadline, recursion=False)
        if soa.rcode != "NOERROR" or not soa.authoritative:
            why = soa.rcode if soa.rcode != "NOERROR" else "answer without the AA flag"
            return ServerView(host, address, None, (), f"lame: not authoritative for {seen.zone.rstrip('.')} ({why})")
        differs = tuple(record_set.name.rstrip(".") + "/" + record_set.spec.rrtype
                        for record_set in seen.sets if _differs(record_set, (address, port), deadline))
    except ResolveError as exc:
        return ServerView(host, address, None, (), str(exc))
    return ServerView(host, address, _serial(soa), differs, None)


def _differs(record_set: RecordSet, server: tuple[str, int], deadline: Deadline) -> bool:
    if record_set.reply is None:
        return False
    theirs = dns_exchange.exchange(server, record_set.name, record_set.spec.rrtype, deadline, recursion=False)
    return sorted(map(repr, theirs.records)) != sorted(map(repr, record_set.reply.records))
