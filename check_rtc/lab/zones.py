# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS zone texts for the lab: the RTC guide's Table 5.1 records and ENUM (RFC 6116).

The service zone points at the lab servers' actual per-run ports:
NAPTR (RFC 3263 SIP, RFC 5928 TURN) -> SRV (RFC 2782) -> A/AAAA on loopback.
Sub-areas for negative tests: `broken.DOMAIN` (SRV target without address) and
`cname.DOMAIN` (SRV target that is a CNAME, which RFC 2782 forbids).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# Standard ports, used for a service the lab has not started.
DEFAULT_PORTS: dict[str, int] = {
    "sip": 5060, "sips1": 5061, "sips2": 443, "c2s": 5222, "s2s": 5269,
    "c2s_tls": 5223, "s2s_tls": 5270, "turn": 3478, "turns": 5349,
}
ENUM_ROOT = "e164.arpa"
ENUM_ZONE = "4.4.e164.arpa"  # +44: the UK numbers of the examples


@dataclass(frozen=True)
class ServicePorts:
    """The ports the zone publishes; build with from_servers()."""

    sip: int = DEFAULT_PORTS["sip"]
    sips: tuple[int, int] = (DEFAULT_PORTS["sips1"], DEFAULT_PORTS["sips2"])
    c2s: int = DEFAULT_PORTS["c2s"]
    s2s: int = DEFAULT_PORTS["s2s"]
    c2s_tls: int = DEFAULT_PORTS["c2s_tls"]
    s2s_tls: int = DEFAULT_PORTS["s2s_tls"]
    turn: int = DEFAULT_PORTS["turn"]
    turns: int = DEFAULT_PORTS["turns"]

    @classmethod
    def from_servers(cls, sip: object = None, xmpp: object = None,
                     turn: object = None) -> "ServicePorts":
        """Take the ports of a Kamailio, Prosody and Coturn (any may be None)."""
        values: dict[str, object] = {}
        if sip is not None:
            values.update(sip=getattr(sip, "port"), sips=tuple(getattr(sip, "tls_ports"))[:2])
        if xmpp is not None:
            values.update(c2s=getattr(xmpp, "c2s_port"), s2s=getattr(xmpp, "s2s_port"),
                          c2s_tls=getattr(xmpp, "c2s_tls_port"), s2s_tls=getattr(xmpp, "s2s_tls_port"))
        if turn is not None:
            values.update(turn=getattr(turn, "port"), turns=getattr(turn, "tls_port"))
        return cls(**values)  # type: ignore[arg-type]


def _header(origin: str) -> list[str]:
    return [
        f"$ORIGIN {origin}.",
        "$TTL 60",
        f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60",
        f"@ IN NS ns.{origin}.",
    ]


def service_zone(domain: str, ports: ServicePorts, extra_lines: Iterable[str] = ()) -> str:
    """The lab domain's zone (RTC guide Table 5.1) with the given ports."""
    d = domain
    p = ports
    lines = _header(d) + ["ns IN A 127.0.0.1", "ns IN AAAA ::1"]
    for host in ("@", "sip", "xmpp", "turn", "stun"):
        lines += [f"{host} IN A 127.0.0.1", f"{host} IN AAAA ::1"]
    lines += [
        # RFC 3263 §4.1: NAPTR -> SRV names, flag "s"
        f'@ IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.{d}.',
        f'@ IN NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp.{d}.',
        f'@ IN NAPTR 30 50 "s" "SIP+D2U" "" _sip._udp.{d}.',
        # RFC 5928 §3: RELAY application service tags, "s" flag, empty regexp
        f'@ IN NAPTR 100 10 "s" "RELAY:turn.udp" "" _turn._udp.{d}.',
        f'@ IN NAPTR 110 10 "s" "RELAY:turn.tcp" "" _turn._tcp.{d}.',
        f'@ IN NAPTR 120 10 "s" "RELAY:turn.tls" "" _turns._tcp.{d}.',
        f"_sips._tcp IN SRV 10 10 {p.sips[0]} sip.{d}.",
        f"_sips._tcp IN SRV 20 10 {p.sips[1]} sip.{d}.",
        f"_sip._tcp IN SRV 10 10 {p.sip} sip.{d}.",
        f"_sip._udp IN SRV 10 10 {p.sip} sip.{d}.",
        f"_xmpp-client._tcp IN SRV 5 0 {p.c2s} xmpp.{d}.",
        f"_xmpp-server._tcp IN SRV 5 0 {p.s2s} xmpp.{d}.",
        f"_xmpps-client._tcp IN SRV 5 0 {p.c2s_tls} xmpp.{d}.",
        f"_xmpps-server._tcp IN SRV 5 0 {p.s2s_tls} xmpp.{d}.",
        f"_stun._udp IN SRV 10 0 {p.turn} stun.{d}.",
        f"_stun._tcp IN SRV 10 0 {p.turn} stun.{d}.",
        f"_stuns._tcp IN SRV 10 0 {p.turns} stun.{d}.",
        f"_turn._udp IN SRV 10 0 {p.turn} turn.{d}.",
        f"_turn._tcp IN SRV 10 0 {p.turn} turn.{d}.",
        f"_turns._tcp IN SRV 10 0 {p.turns} turn.{d}.",
        # negative cases
        f"_sips._tcp.broken IN SRV 10 0 {p.sips[0]} noaddress.broken.{d}.",
        "noaddress.broken IN TXT \"this name has no A/AAAA on purpose\"",
        f"_stun._udp.cname IN SRV 10 0 {p.turn} alias.{d}.",
        f"alias IN CNAME stun.{d}.",
    ]
    lines += list(extra_lines)
    return "\n".join(lines) + "\n"


def enum_zone(domain: str) -> str:
    """ENUM under e164.arpa: +442079460000 and +442079460001 (RFC 6116 §3)."""
    return "\n".join(_header(ENUM_ZONE) + [
        f"ns.{ENUM_ZONE}. IN A 127.0.0.1",
        f'0.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:info@{domain}!" .',
        f'0.0.0.0.6.4.9.7.0.2 IN NAPTR 20 100 "u" "E2U+sip" "!^.*$!sips:info@{domain}!" .',
        # back-reference; in a zone file "\\\\" is one backslash on the wire
        f'1.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+sip" "!^\\\\+44(.*)$!sip:0\\\\1@{domain}!" .',
        '1.0.0.0.6.4.9.7.0.2 IN NAPTR 20 100 "u" "E2U+pstn:tel" "!^.*$!tel:+442079460001!" .',
    ] + enum_test_records(domain)) + "\n"


def enum_test_records(domain: str) -> list[str]:
    """+442079460002..6 in 4.4.e164.arpa: the cases check_enum must judge.

    2: non-terminal (empty flags, RFC 3761 §2.4.1) pointing into e164.DOMAIN;
    3: a catastrophic-backtracking ERE that never matches (RFC 3402 regexps come
       from strangers); 4: not POSIX (a Perl \\d); 5: a result that is not a URI;
    6: another delimiter, the "i" flag and a back-reference.
    """
    return [
        f'2.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "" "E2U+sip" "" next.e164.{domain}.',
        f'3.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+sip" "!^(\\\\+?([0-9]+)+)+#$!sip:\\\\1@{domain}!" .',
        f'4.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+sip" "!^\\\\+44\\\\d+$!sip:info@{domain}!" .',  # BIND refuses what regcomp does
        '5.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!not a uri!" .',
        f'6.0.0.0.6.4.9.7.0.2 IN NAPTR 10 100 "u" "E2U+SIP" "/^\\\\+44(20)(.*)$/sip:0\\\\1\\\\2@{domain.upper()}/i" .',
    ]


def private_enum_zone(domain: str) -> tuple[str, str]:
    """(origin, text) of a private ENUM suffix e164.DOMAIN: +15550100."""
    origin = f"e164.{domain}"
    return origin, "\n".join(_header(origin) + [
        f"ns.{origin}. IN A 127.0.0.1",
        f'0.0.1.0.5.5.5.1 IN NAPTR 10 100 "u" "E2U+sip" "!^\\\\+1(.*)$!sip:\\\\1@sip.{domain}!" .',
        # the +44 numbers again: +442079460001 agrees with e164.arpa, +442079460000 does not
        f'1.0.0.0.6.4.9.7.0.2.4.4 IN NAPTR 10 100 "u" "E2U+sip" "!^\\\\+44(.*)$!sip:0\\\\1@{domain}!" .',
        f'0.0.0.0.6.4.9.7.0.2.4.4 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:other@{domain}!" .',
        # where the non-terminal record of +442079460002 leads
        f'next IN NAPTR 10 100 "u" "E2U+sip" "!^\\\\+(.*)$!sip:\\\\1@{domain}!" .',
    ]) + "\n"


def lab_zones(domain: str, ports: ServicePorts, extra_lines: Iterable[str] = ()) -> dict[str, str]:
    """All zones of the lab, origin -> zone text."""
    origin, private = private_enum_zone(domain)
    return {domain: service_zone(domain, ports, extra_lines), ENUM_ZONE: enum_zone(domain),
            origin: private}
