# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS queries to one named server (RFC 1035 §4.2, RFC 7766, RFC 6840 §5.7), under the deadline.

The record checks (check_rtc_dns, check_enum) ask one server at a time and
need what a stub resolver hides: the AA and AD flags, the CNAME chain, the
zone's SOA owner, recursion off for authoritative servers. So they send
their own queries, dnspython's message codec on a plain socket: UDP, TCP
when the answer is truncated. dns.resolver is imported only to read the
system's resolver list (see resolve.import_dnspython for the cost).
Every failure is a ResolveError.
"""

from __future__ import annotations

import socket
import struct
import time
from collections import namedtuple

from check_rtc.errors import ResolveError, TransportTimeout
from check_rtc.resolve import NaptrRecord, SrvRecord, import_dnspython, parse_server
from check_rtc.transport.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

UDP_TRY_SECONDS = 2.0  # one UDP try; the next goes out when it passes (RFC 1035 §4.2.1 retransmission)
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: no fragmentation
MAX_CNAME_CHAIN = 8
RECEIVE_BYTES = 65535


class Reply(namedtuple("Reply", "rcode authoritative authenticated canonical records zone elapsed")):
    """An answer: rcode text, AA and AD flags, the name a CNAME chain led to
    (None without CNAME), the records (SrvRecord, NaptrRecord, address text,
    NS target, SOA serial), the owner of a SOA in the answer or authority
    section (the zone), and the seconds it took."""

    __slots__ = ()
    rcode: str
    authoritative: bool
    authenticated: bool
    canonical: str | None
    records: tuple[object, ...]
    zone: str | None
    elapsed: float


def servers(spec: str | None) -> list[tuple[str, int]]:
    """--dns-server, or the system's resolvers from /etc/resolv.conf."""
    if spec:
        return [parse_server(spec)]
    dns = import_dnspython(("dns.resolver",))
    try:
        found = dns.resolver.Resolver().nameservers
    except dns.resolver.NoResolverConfiguration:
        found = []
    if not found:
        raise ResolveError("/etc/resolv.conf", "servfail", "no name server configured")
    return [(address, 53) for address in found]


def exchange(server: tuple[str, int], name: str, rrtype: str, deadline: Deadline,
             recursion: bool = True, dnssec: bool = False) -> Reply:
    """Ask `server` (address, port) for `name`/`rrtype`; the reply, whatever its rcode."""
    dns = import_dnspython(("dns.flags", "dns.message", "dns.rcode", "dns.rdatatype"))
    query = dns.message.make_query(name, rrtype, use_edns=0, payload=EDNS_PAYLOAD, want_dnssec=dnssec)
    if not recursion:
        query.flags &= ~dns.flags.RD
    if dnssec:
        # RFC 6840 §5.7: AD in a query asks a validating resolver to say whether it validated.
        query.flags |= dns.flags.AD
    started = time.monotonic()
    where = _where(server)
    response = _udp(dns, query, server, deadline, f"DNS {rrtype} {name} via {where}")
    if response.flags & dns.flags.TC:
        response = _tcp(dns, query, server, deadline, f"DNS {rrtype} {name} via {where} (TCP)")
    return _reply(dns, query, response, time.monotonic() - started)


def _where(server: tuple[str, int]) -> str:
    address = f"[{server[0]}]" if ":" in server[0] else server[0]
    return f"{address}:{server[1]}"


def _socket(server: tuple[str, int], kind: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    return socket.socket(family, kind)


def _udp(dns: Any, query: Any, server: tuple[str, int], deadline: Deadline, step: str) -> Any:
    wire = query.to_wire()
    with _socket(server, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(server)
            while True:
                sock.send(wire)
                until = min(deadline.at, time.monotonic() + UDP_TRY_SECONDS)
                response = _receive_udp(dns, sock, query, until)
                if response is not None:
                    return response
                deadline.timeout(step)  # raises once the whole budget is gone
        except OSError as exc:
            raise ResolveError(query.question[0].name.to_text(), "servfail",
                               f"{step}: {_reason(exc)}") from None
        except ResolveError:
            raise
        except TransportTimeout as exc:  # the deadline passed
            raise ResolveError(query.question[0].name.to_text(), "timeout", str(exc)) from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _receive_udp(dns: Any, sock: socket.socket, query: Any, until: float) -> Any:
    """The matching response, or None at `until`; other datagrams are ignored (RFC 5452 §9.1)."""
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data = sock.recv(RECEIVE_BYTES)
        except socket.timeout:
            return None
        response = _decode(dns, data, query)
        if response is not None:
            return response


def _decode(dns: Any, data: bytes, query: Any) -> Any:
    try:
        response = dns.message.from_wire(data)
    except dns.exception.DNSException:  # malformed: as if it never came
        return None
    return response if query.is_response(response) else None


def _tcp(dns: Any, query: Any, server: tuple[str, int], deadline: Deadline, step: str) -> Any:
    """RFC 7766 §5: a truncated UDP answer is asked again over TCP (two-byte length prefix)."""
    wire = query.to_wire()
    name = query.question[0].name.to_text()
    with _socket(server, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(deadline.timeout(step))
            sock.connect(server)
            sock.sendall(struct.pack("!H", len(wire)) + wire)
            length = struct.unpack("!H", _read(sock, 2, deadline, step))[0]
            response = _decode(dns, _read(sock, length, deadline, step), query)
        except OSError as exc:
            raise ResolveError(name, "servfail", f"{step}: {_reason(exc)}") from None
        except ResolveError:
            raise
        except TransportTimeout as exc:  # the deadline passed
            raise ResolveError(name, "timeout", str(exc)) from None
    if response is None:
        raise ResolveError(name, "servfail", f"{step}: malformed answer")
    return response


def _read(sock: socket.socket, count: int, deadline: Deadline, step: str) -> bytes:
    data = b""
    while len(data) < count:
        sock.settimeout(deadline.timeout(step))
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise OSError(0, "connection closed")
        data += chunk
    return data


def _reply(dns: Any, query: Any, response: Any, elapsed: float) -> Reply:
    question = query.question[0]
    current, canonical = question.name, None
    records: tuple[object, ...] = ()
    for _ in range(MAX_CNAME_CHAIN):
        rrset = _find(response.answer, current, question.rdtype)
        if rrset is not None:
            records = tuple(_value(dns, rdata) for rdata in rrset)
            break
        alias = _find(response.answer, current, dns.rdatatype.CNAME)
        if alias is None:
            break
        current = alias[0].target
        canonical = current.to_text()
    return Reply(dns.rcode.to_text(response.rcode()), bool(response.flags & dns.flags.AA),
                 bool(response.flags & dns.flags.AD), canonical, records, _zone(dns, response), elapsed)


def _find(section: Any, name: Any, rdtype: int) -> Any:
    return next((rrset for rrset in section if rrset.name == name and rrset.rdtype == rdtype), None)


def _zone(dns: Any, response: Any) -> str | None:
    for rrset in list(response.answer) + list(response.authority):
        if rrset.rdtype == dns.rdatatype.SOA:
            return str(rrset.name.to_text())
    return None


def _value(dns: Any, rdata: Any) -> object:
    """Our value for one record: the resolver's namedtuples, or text."""
    kind = rdata.rdtype
    if kind == dns.rdatatype.SRV:
        return SrvRecord(rdata.priority, rdata.weight, rdata.port, rdata.target.to_text())
    if kind == dns.rdatatype.NAPTR:
        return NaptrRecord(rdata.order, rdata.preference, _text(rdata.flags), _text(rdata.service),
                           _text(rdata.regexp), rdata.replacement.to_text())
    if kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return rdata.address
    if kind == dns.rdatatype.SOA:
        return rdata.serial
    if kind in (dns.rdatatype.NS, dns.rdatatype.CNAME):
        return rdata.target.to_text()
    return rdata.to_text()


def _text(field: bytes) -> str:
    return field.decode("ascii", "backslashreplace")
