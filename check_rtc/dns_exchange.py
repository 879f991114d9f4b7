# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS queries to one named server (RFC 1035 §4.2, RFC 7766, RFC 6840 §5.7), under the deadline.

The record checks (check_rtc_dns, check_enum) ask one server at a time and
need what a stub resolver hides: the AA and AD flags, the CNAME chain, the
zone's SOA owner, recursion off for authoritative servers. So they send
their own queries on a plain socket, encoded and decoded by codec/dns.py:
UDP, TCP when the answer is truncated. Without --dns-server the servers are
the nameserver lines of /etc/resolv.conf. Every failure is a ResolveError.
"""

from __future__ import annotations

import os
import socket
import time
from collections import namedtuple

from check_rtc.codec import dns
from check_rtc.errors import DecodeError, ResolveError, TransportTimeout
from check_rtc.resolve import DNS_PORT, parse_server
from check_rtc.transport.deadline import Deadline

UDP_TRY_SECONDS = 2.0  # one UDP try; the next goes out when it passes (RFC 1035 §4.2.1 retransmission)
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: no fragmentation
MAX_CNAME_CHAIN = 8
RECEIVE_BYTES = 65535
RESOLV_CONF = "/etc/resolv.conf"
MAX_NAMESERVERS = 3  # resolv.conf(5): "Up to MAXNS (currently 3) name servers may be listed"


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


def servers(spec: str | None, resolv_conf: str = RESOLV_CONF) -> list[tuple[str, int]]:
    """--dns-server, or the system's resolvers: the nameserver lines of resolv.conf."""
    if spec:
        return [parse_server(spec)]
    try:
        with open(resolv_conf, encoding="utf-8", errors="replace") as handle:
            found = [words[1] for words in map(str.split, handle)
                     if len(words) > 1 and words[0] == "nameserver"][:MAX_NAMESERVERS]
    except OSError:
        found = []
    if not found:
        raise ResolveError(resolv_conf, "servfail", "no name server configured")
    return [(address, DNS_PORT) for address in found]


def exchange(server: tuple[str, int], name: str, rrtype: str, deadline: Deadline,
             recursion: bool = True, dnssec: bool = False) -> Reply:
    """Ask `server` (address, port) for `name`/`rrtype`; the reply, whatever its rcode."""
    # RFC 5452 §9.2: the query ID is random, so an off-path forger has to guess it.
    query = Query(int.from_bytes(os.urandom(2), "big"), dns.absolute(name), rrtype)
    try:
        wire = dns.encode_query(query.id, name, rrtype, recursion=recursion, dnssec=dnssec, payload=EDNS_PAYLOAD)
    except ValueError as exc:
        raise ResolveError(name, "malformed", str(exc)) from None
    started = time.monotonic()
    step = f"DNS {rrtype} {query.name} via {_where(server)}"
    response = _udp(wire, query, server, deadline, step)
    if response.flags & dns.TC:
        response = _tcp(wire, query, server, deadline, f"{step} (TCP)")
    return _reply(query, response, time.monotonic() - started)


class Query(namedtuple("Query", "id name rrtype")):
    """What was asked: the ID, the absolute name and the type."""

    __slots__ = ()
    id: int
    name: str
    rrtype: str


def _where(server: tuple[str, int]) -> str:
    address = f"[{server[0]}]" if ":" in server[0] else server[0]
    return f"{address}:{server[1]}"


def _socket(server: tuple[str, int], kind: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    return socket.socket(family, kind)


def _udp(wire: bytes, query: Query, server: tuple[str, int], deadline: Deadline, step: str) -> dns.Message:
    with _socket(server, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(server)
            while True:
                sock.send(wire)
                until = min(deadline.at, time.monotonic() + UDP_TRY_SECONDS)
                response = _receive_udp(sock, query, until)
                if response is not None:
                    return response
                deadline.timeout(step)  # raises once the whole budget is gone
        except OSError as exc:
            raise ResolveError(query.name, "servfail", f"{step}: {_reason(exc)}") from None
        except TransportTimeout as exc:  # the deadline passed
            raise ResolveError(query.name, "timeout", str(exc)) from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _receive_udp(sock: socket.socket, query: Query, until: float) -> dns.Message | None:
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
        response = _decode(data, query)
        if response is not None:
            return response


def _decode(data: bytes, query: Query) -> dns.Message | None:
    try:
        response = dns.decode_message(data)
    except DecodeError:  # malformed: as if it never came
        return None
    return response if dns.is_response_to(response, query.id, query.name, query.rrtype) else None


def _tcp(wire: bytes, query: Query, server: tuple[str, int], deadline: Deadline, step: str) -> dns.Message:
    """RFC 7766 §5: a truncated UDP answer is asked again over TCP (two-byte length prefix, §8)."""
    with _socket(server, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(deadline.timeout(step))
            sock.connect(server)
            sock.sendall(len(wire).to_bytes(2, "big") + wire)
            length = int.from_bytes(_read(sock, 2, deadline, step), "big")
            response = _decode(_read(sock, length, deadline, step), query)
        except OSError as exc:
            raise ResolveError(query.name, "servfail", f"{step}: {_reason(exc)}") from None
        except TransportTimeout as exc:  # the deadline passed
            raise ResolveError(query.name, "timeout", str(exc)) from None
    if response is None:
        raise ResolveError(query.name, "servfail", f"{step}: malformed answer")
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


def _reply(query: Query, response: dns.Message, elapsed: float) -> Reply:
    """Follow the CNAME chain from the question's name to the records of its type."""
    wanted, alias = dns.TYPES[query.rrtype], dns.TYPES["CNAME"]
    current, canonical = query.name, None
    records: tuple[object, ...] = ()
    for _ in range(MAX_CNAME_CHAIN):
        found = _find(response.answer, current, wanted)
        if found:
            records = tuple(_value(record.value) for record in found)
            break
        aliases = _find(response.answer, current, alias)
        if not aliases:
            break
        current = canonical = str(aliases[0].value)
    return Reply(response.rcode, bool(response.flags & dns.AA), bool(response.flags & dns.AD), canonical,
                 records, _zone(response), elapsed)


def _find(section: tuple[dns.Record, ...], name: str, rrtype: int) -> list[dns.Record]:
    return [record for record in section if record.rrtype == rrtype and record.name.lower() == name.lower()]


def _zone(response: dns.Message) -> str | None:
    """The owner of the first SOA in the answer or authority section: the zone's apex."""
    soa = dns.TYPES["SOA"]
    return next((record.name for record in response.answer + response.authority if record.rrtype == soa), None)


def _value(value: object) -> object:
    """Our value for one record: the SOA's serial, else the codec's value."""
    return value.serial if isinstance(value, dns.Soa) else value
