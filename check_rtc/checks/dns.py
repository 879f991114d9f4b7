# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_dns: the NAPTR/SRV/A/AAAA records of an RTC domain are present, right and consistent.

The records of the RTC guide's Table 5.1 (probes/dns_records.py looks them
up), judged one line per record set:

- a required SRV set (_sips._tcp, _xmpp-client._tcp, _xmpp-server._tcp,
  _stun._udp, _turn._udp) missing or declared absent ('.') is CRITICAL, a
  recommended one (_turns._tcp) WARNING, the others are reported;
- NAPTR (RFC 3263, RFC 5928): flag "s", empty regexp, a replacement that
  has SRV records (CRITICAL otherwise), consistent with the SRV sets;
- SRV targets: a CNAME or no address is CRITICAL (RFC 2782), A without AAAA
  WARNING unless --ipv4-only; ports other than the standard ones are
  reported, ports that look like typos of them (3467 for 3478) WARNING;
  conflicting records WARNING;
- every address of every authoritative server (NS set, asked directly,
  --ns-port, -4/-6) must answer authoritatively, with the same records
  and SOA serial: a lagging or lame server is a WARNING naming it;
- --dnssec: every answer must carry AD from a validating resolver.
"""

from __future__ import annotations

from check_rtc.checks import record_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Sequence

    import nagiosplugin

    from check_rtc.checks.findings import Finding
    from check_rtc.probes.dns_records import DnsObservation, RecordSet, ServerView, Target
    from check_rtc.transport.deadline import Deadline

    Lines = list[tuple[str, Finding]]

NAME = "DNS"
SERVICES = ("sip", "xmpp", "stun", "turn")
STATE_ORDER = {"ok": 0, "warning": 1, "critical": 2}
# How much a missing (or declared absent) record set weighs, by need.
MISSING_STATE = {"required": "critical", "recommended": "warning", "reported": "ok", "NAPTR target": "critical"}


def build_parser() -> record_options.options.Parser:
    parser = record_options.make_parser(
        NAME, "check_rtc_dns",
        "Check the DNS records of an RTC domain (RTC guide Table 5.1): NAPTR, SRV and the targets' A/AAAA "
        "for SIP, XMPP, STUN and TURN, on every authoritative name server.")
    group = parser.add_argument_group("records")
    group.add_argument("-d", "--domain", metavar="DOMAIN", required=True, type=record_options.domain_name,
                       help="the service domain")
    group.add_argument("--services", metavar="LIST", type=record_options.options.choice_list("service", SERVICES), default=SERVICES,
                       help=f"comma list of {','.join(SERVICES)} (default: all)")
    group.add_argument("--ipv4-only", action="store_true",
                       help="targets without AAAA are fine (default: WARNING, the guide asks for both)")
    group.add_argument("--dnssec", action="store_true",
                       help="every answer must be validated (AD flag from a validating --dns-server)")
    group.add_argument("--ns-port", metavar="PORT", type=record_options.options.port_number, default=53,
                       help="port of the authoritative servers asked directly (default: %(default)s)")
    family = group.add_mutually_exclusive_group()
    family.add_argument("-4", dest="families", action="store_const", const=(4,), default=(4, 6),
                        help="ask the authoritative servers over IPv4 only")
    family.add_argument("-6", dest="families", action="store_const", const=(6,),
                        help="ask the authoritative servers over IPv6 only")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    record_options.options.execute(NAME, arguments(argv), build)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options as check_rtc_dns parses them: check_rtc audit builds its checks from these."""
    return build_parser().parse_args(argv)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import records

    return records.build_check(NAME, lambda: _run(args, deadline), args)


def _run(args: argparse.Namespace, deadline: Deadline) -> tuple[str, Lines, float, dict[str, int]]:
    from check_rtc.probes.dns_records import probe_records

    seen = probe_records(args.domain, args.services, args.dns_server, args.families, args.ns_port,
                         args.dnssec, deadline)
    lines = [(_set_label(s), _judge_set(s, seen, args)) for s in seen.sets]
    lines += [(f"{t.name.rstrip('.')}/A,AAAA", _judge_target(t, args)) for t in seen.targets.values()]
    lines += _judge_servers(seen)
    counts = {_count_label(s, seen.domain): len(s.reply.records) for s in seen.sets if s.reply is not None}
    return _headline(seen), lines, seen.elapsed, counts


def _set_label(record_set: RecordSet) -> str:
    return f"{record_set.name.rstrip('.')}/{record_set.spec.rrtype}"


def _count_label(record_set: RecordSet, domain: str) -> str:
    label = record_set.name.rstrip(".").removesuffix(domain).rstrip(".")
    return f"{label or 'domain'}_{record_set.spec.rrtype.lower()}"


def _headline(seen: DnsObservation) -> str:
    servers = ""
    if seen.servers:
        servers = f", {len(seen.servers)} authoritative server addresses agree (serial {seen.serial})"
    return f"{seen.domain}: {len(seen.sets)} record sets, {len(seen.targets)} targets{servers}"


def _finding(base_state: str, text: str, problems: list[tuple[str, str]]) -> Finding:
    from check_rtc.checks.findings import Finding

    state = max([base_state] + [state for state, _ in problems], key=STATE_ORDER.__getitem__)
    return Finding(state, "; ".join([text] + [words for _, words in problems]))


def _judge_set(record_set: RecordSet, seen: DnsObservation, args: argparse.Namespace) -> Finding:
    from check_rtc.checks.findings import Finding

    spec, reply = record_set.spec, record_set.reply
    if record_set.error is not None:
        return Finding("critical", f"lookup failed: {record_set.error}")
    assert reply is not None
    if reply.rcode not in ("NOERROR", "NXDOMAIN"):
        return Finding("critical", _failed_text(reply.rcode, args))
    if not reply.records:
        return Finding(MISSING_STATE[spec.need], _missing_text(record_set, reply.rcode))
    problems = _dnssec_problem(reply.authenticated, args)
    if spec.rrtype == "NAPTR":
        return _judge_naptr(record_set, seen, problems)
    return _judge_srv(record_set, problems)


def _failed_text(rcode: str, args: argparse.Namespace) -> str:
    if args.dnssec and rcode == "SERVFAIL":
        # RFC 4035 §5.5: a security-aware resolver "MUST return RCODE SERVFAIL" for data it finds bogus.
        return "lookup failed: answer SERVFAIL, as a validating resolver answers for bogus data (RFC 4035 §5.5)"
    return f"lookup failed: answer {rcode}"


def _missing_text(record_set: RecordSet, rcode: str) -> str:
    why = "no such name" if rcode == "NXDOMAIN" else "no records"
    need = record_set.spec.need
    if need == "NAPTR target":
        return f"{why}, but a NAPTR record points here"
    return f"{why} ({need})" if need != "reported" else why


def _dnssec_problem(authenticated: bool, args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.dnssec and not authenticated:
        return [("critical", f"not validated: no AD flag from {args.dns_server or 'the resolver'} (--dnssec)")]
    return []


def _judge_srv(record_set: RecordSet, problems: list[tuple[str, str]]) -> Finding:
    from check_rtc.checks import dns_rules

    records = sorted(record_set.reply.records,  # type: ignore[union-attr]
                     key=lambda r: (r.priority, -r.weight, r.target, r.port))
    spec = record_set.spec
    text = f"{len(records)} record{'s' if len(records) != 1 else ''}: " + ", ".join(
        f"{r.priority} {r.weight} {r.port} {r.target.rstrip('.') or '.'}" for r in records)
    if all(r.target == "." for r in records):
        # RFC 2782: 'A Target of "." means that the service is decidedly not available at this domain.'
        return _finding(MISSING_STATE[spec.need], "service declared absent (target '.', RFC 2782)", problems)
    problems = problems + dns_rules.srv_problems(records, spec.label, spec.ports)
    return _finding("ok", text, problems)


def _judge_naptr(record_set: RecordSet, seen: DnsObservation, problems: list[tuple[str, str]]) -> Finding:
    from check_rtc.checks import dns_rules

    records = sorted(record_set.reply.records, key=lambda r: (r.order, r.preference))  # type: ignore[union-attr]
    srv = {s.name.lower(): s for s in seen.sets if s.spec.rrtype == "SRV"}
    text = f"{len(records)} record{'s' if len(records) != 1 else ''}: " + ", ".join(
        f"{r.service} -> {r.replacement.rstrip('.')}" for r in records)
    chosen = {s.spec.service for s in seen.sets}
    problems = problems + dns_rules.naptr_problems(records, srv, seen.domain, chosen)
    return _finding("ok", text, problems)


def _judge_target(target: Target, args: argparse.Namespace) -> Finding:
    from check_rtc.checks.findings import Finding

    if target.error is not None:
        return Finding("critical", f"SRV target: lookup failed: {target.error}")
    if target.canonical is not None:
        # RFC 2782 Target: "the name MUST NOT be an alias (in the sense of RFC 1034 or RFC 2181)"
        return Finding("critical", f"SRV target is a CNAME to {target.canonical.rstrip('.')}; RFC 2782: "
                                   "SRV targets can't point to CNAME records")
    if not target.v4 and not target.v6:
        return Finding("critical", "SRV target has no A/AAAA record")
    text = ", ".join(target.v4 + target.v6)
    problems = _dnssec_problem(target.authenticated, args)
    if not target.v6 and not args.ipv4_only:
        problems.append(("warning", "no AAAA record: the guide asks for IPv6 too (--ipv4-only accepts this)"))
    if not target.v4:
        problems.append(("warning", "no A record: IPv4-only clients cannot reach it"))
    return _finding("ok", text, problems)


def _judge_servers(seen: DnsObservation) -> Lines:
    from check_rtc.checks.findings import Finding

    zone = (seen.zone or seen.domain).rstrip(".")
    if seen.ns_problem is not None:
        return [(f"{zone}/NS", Finding("warning", f"authoritative servers not checked: {seen.ns_problem}"))]
    newest = max([v.serial for v in seen.servers if v.serial is not None] + [seen.serial or 0])
    return [(f"{v.host.rstrip('.')}[{v.address}]", _judge_server(v, newest)) for v in seen.servers]


def _judge_server(view: ServerView, newest: int) -> Finding:
    from check_rtc.checks import dns_rules
    from check_rtc.checks.findings import Finding

    if view.problem is not None:
        return Finding("warning", f"authoritative server: {view.problem}")
    problems = []
    if view.serial is not None and dns_rules.serial_behind(view.serial, newest):
        problems.append(("warning", f"lagging: SOA serial {view.serial} is behind {newest}"))
    if view.differs:
        problems.append(("warning", f"answers differ from the resolver's for {', '.join(view.differs)}"))
    return _finding("ok", f"authoritative, SOA serial {view.serial}", problems)


if __name__ == "__main__":
    main()
