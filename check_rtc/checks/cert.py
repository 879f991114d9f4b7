# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc_cert: the certificate a service presents, judged by the rules of SIP and XMPP federation.

Sources: every endpoint of a service (-P sip, xmpp-client, ..., with -H or
discovery from -d, as the protocol checks find them) or a PEM chain
(--file). Judges, per endpoint: the chain (RFC 5280 path validation by
OpenSSL; incomplete or out of order), the expiry of every element, the
Extended Key Usage (serverAuth and clientAuth: federation authenticates
both ways), the identity for the protocol (RFC 5922 SIP, RFC 6120/7590
XMPP, else RFC 6125), key and signature strength; optionally OCSP
(RFC 6960) and DANE (RFC 6698, RFC 7671, RFC 7673).
"""

from __future__ import annotations

import argparse

from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Callable, Iterator, Sequence

    import nagiosplugin

    from check_rtc.certificate import Facts
    from check_rtc.checks.findings import Finding
    from check_rtc.probes.cert import CertObservation, TlsaAnswer
    from check_rtc.probes.ocsp import OcspAnswer
    from check_rtc.transport.deadline import Deadline

NAME = "CERT"
PROTOCOLS = ("tls", "sip", "xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server", "turn", "wss", "https")
DEFAULT_EKUS = "serverAuth,clientAuth"
WARNING_DAYS, CRITICAL_DAYS = 30.0, 14.0
KNOWN_EKUS = ("serverAuth", "clientAuth", "codeSigning", "emailProtection", "timeStamping", "OCSPSigning")
# RFC 6960 §2.4: a response is fresh until nextUpdate; without one, this long.
OCSP_MAX_AGE_DAYS = 7.0
# Why each missing purpose matters, in the operator's words.
EKU_CONSEQUENCES = {
    "serverAuth": "TLS clients will refuse the certificate",
    "clientAuth": "federation (SIP mutual TLS, XMPP s2s) will fail",
}


def eku_list(text: str) -> tuple[str, ...]:
    """'serverAuth,clientAuth'; 'none' requires nothing."""
    if text.strip().lower() == "none":
        return ()
    by_lower = {name.lower(): name for name in KNOWN_EKUS}
    chosen = [by_lower.get(item.strip().lower()) for item in text.split(",") if item.strip()]
    if not chosen or None in chosen:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of {','.join(KNOWN_EKUS)} (or none)")
    return tuple(dict.fromkeys(name for name in chosen if name))


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME,
        "check_rtc_cert",
        "Check the certificate a service presents (or a PEM chain): chain, expiry of every element,"
        " EKU serverAuth and clientAuth, identity for the protocol, key and signature strength;"
        " optionally OCSP and DANE.",
        transports=("tls", "starttls"),
        default_transports="tls",
    )
    parser._option_string_actions["-T"].help = argparse.SUPPRESS  # -P chooses the transport
    group = parser.add_argument_group("certificate")
    group.add_argument("-P", "--protocol", choices=PROTOCOLS, default="tls", metavar="PROTOCOL",
                       help=f"how to reach the certificate: {', '.join(PROTOCOLS)} (default: %(default)s)")
    group.add_argument("--file", metavar="FILE", help="judge a PEM chain (leaf first) instead of a service")
    options.add_cert_days_options(group)
    parser.set_defaults(warning_days=WARNING_DAYS, critical_days=CRITICAL_DAYS)
    group.add_argument("--require-eku", metavar="LIST", type=eku_list, default=eku_list(DEFAULT_EKUS),
                       help=f"Extended Key Usages the leaf must carry (default: {DEFAULT_EKUS}; 'none')")
    group.add_argument("--ocsp", action="store_true",
                       help="the leaf's OCSP status, as the server staples it or else from its AIA"
                            " responder: revoked is CRITICAL, and so is a Must-Staple certificate"
                            " served without a staple")
    group.add_argument("--dane", action="store_true",
                       help="the TLSA records of each endpoint (_PORT._tcp.HOST) must match the chain")
    group.add_argument("--from", dest="sender", metavar="DOMAIN", default="check-rtc.invalid",
                       help="xmpp-server: the 'from' of the stream (default: %(default)s)")
    return parser


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options as check_rtc_cert parses them: check_rtc audit builds its checks from these."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.hostname or args.domain or args.file):
        parser.error("give -H HOST, -d DOMAIN or --file FILE")
    if args.file and args.hostname:
        parser.error("--file and -H exclude each other")
    if args.file and args.dane:
        parser.error("--dane needs a service (-H or -d), not --file")
    from check_rtc.probes.cert import PROTOCOLS as TABLE

    args.transport = (TABLE[args.protocol].transport,)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    options.execute(NAME, arguments(argv), build)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    import datetime

    from check_rtc.checks import runtime
    from check_rtc.checks.findings import FindingContext

    notes = ("chain NOT verified: --insecure",) if args.insecure else ()
    contexts = (
        runtime.ThresholdContext("days", f"{args.warning_days:g}:", f"{args.critical_days:g}:",
                                 fmt_metric=_describe_days, decimals=1),
        FindingContext(),
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    from check_rtc.checks.cert_output import CertSummary

    check = runtime.endpoint_check(NAME, _prober(args, deadline), args, notes, contexts,
                                   lambda obs: _metrics(obs, args, now))
    check.add(CertSummary(notes, args.insecure))  # replaces the shared summary: adds each certificate's details
    return check


def _prober(args: argparse.Namespace, deadline: Deadline) -> Callable[[], list[CertObservation]]:
    """Trust files are loaded here, in the main thread: unreadable ones are UNKNOWN."""
    if args.file:
        from check_rtc.probes.cert import from_file

        observation = from_file(args.file, args.ca_file, args.ca_path, not args.insecure)

        def judge_file() -> list[CertObservation]:
            if args.ocsp:  # no handshake, nothing stapled: the AIA responder's word
                from check_rtc.probes.ocsp import revocation

                observation.ocsp = revocation(observation.chain, observation.verified, None, deadline)
            return [observation]

        return judge_file
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.cert import PROTOCOLS as TABLE, CertProbe, failed

    protocol = TABLE[args.protocol]
    if args.ocsp:
        from check_rtc.transport import stapling

        context = stapling.create_context(runtime.tls_options(args, protocol.alpn_protocols()))
    else:
        context = runtime.tls_context(args, alpn=protocol.alpn_protocols())
    resolver = runtime.resolver(args)
    probe = CertProbe(protocol, args.domain or args.hostname, context, args.sender,
                      resolver if args.dane else None)
    targeting = runtime.targeting(args)
    service = protocol.service()
    if not service.srv and not args.hostname:
        targeting = targeting._replace(host=args.domain)  # no SRV convention: the domain itself

    def run() -> list[CertObservation]:
        return probe_service(service, targeting, resolver, probe, failed, deadline)

    return run


def _metrics(observation: CertObservation, args: argparse.Namespace,
             now: datetime.datetime) -> Iterator[nagiosplugin.Metric]:
    """Days left per element (perfdata, --warning-days/--critical-days) and the findings."""
    import nagiosplugin

    from check_rtc.checks.findings import finding_metric

    if observation.error is not None:
        return
    label = observation.endpoint.label()
    for index, facts in enumerate(observation.chain):
        yield nagiosplugin.Metric(f"{label}_{_element(index)}_days", facts.days_left(now), context="days")
    for number, finding in enumerate(findings(observation, args, now)):
        yield finding_metric(label, number, finding)


def _element(index: int) -> str:
    return "leaf" if index == 0 else f"chain{index}"


def _describe_days(metric: nagiosplugin.Metric, context: nagiosplugin.Context) -> str:
    endpoint, element = metric.name.removesuffix("_days").rsplit("_", 1)
    what = "leaf certificate" if element == "leaf" else f"chain certificate {element.removeprefix('chain')}"
    if metric.value < 0:
        return f"{endpoint}: {what} expired {-metric.value:.1f} days ago"
    return f"{endpoint}: {what} expires in {metric.value:.1f} days"


def findings(observation: CertObservation, args: argparse.Namespace, now: datetime.datetime) -> list[Finding]:
    """Every rule the presented chain breaks."""
    found = _chain_findings(observation)
    found += _validity_findings(observation.chain, now)
    found += _eku_findings(observation.chain[0], args.require_eku)
    found += _identity_findings(observation.chain[0], args)
    found += _strength_findings(observation.chain)
    if observation.ocsp is not None:
        found += _ocsp_findings(observation, now)
    if args.dane:
        found += _dane_findings(observation)
    return found


def _chain_findings(observation: CertObservation) -> list[Finding]:
    from check_rtc.certificate import last_reachable, order_problem
    from check_rtc.checks.findings import Finding
    from check_rtc.probes import cert

    found = []
    code, chain = observation.verify_code, observation.chain
    if code in (cert.UNABLE_TO_GET_ISSUER_LOCALLY, cert.UNABLE_TO_GET_ISSUER):
        last = last_reachable(chain)
        if last.self_issued:
            found.append(Finding("critical", f"chain not trusted: it ends at {last.subject}, not a trust anchor"))
        else:
            found.append(Finding("critical", f"incomplete chain: {last.subject} was issued by {last.issuer}, which is"
                                             " neither served nor a trust anchor (missing intermediate certificate?)"))
    elif code in (cert.DEPTH_ZERO_SELF_SIGNED, cert.SELF_SIGNED_IN_CHAIN):
        found.append(Finding("critical", f"chain not trusted: {observation.verify_message}"
                                         f" ({last_reachable(chain).subject})"))
    elif code is not None and code not in (cert.CERT_NOT_YET_VALID, cert.CERT_HAS_EXPIRED):
        # Expiry is judged per element below, with the days; anything else is OpenSSL's word.
        found.append(Finding("critical", f"chain not trusted: {observation.verify_message}"))
    problem = order_problem(chain)
    if problem:
        found.append(Finding("warning", f"chain served in the wrong order: {problem}"))
    return found


def _validity_findings(chain: Sequence[Facts], now: datetime.datetime) -> list[Finding]:
    from check_rtc.checks.findings import Finding

    found = []
    for index, facts in enumerate(chain):
        ahead = facts.days_until_valid(now)
        if ahead > 0:
            what = "leaf certificate" if index == 0 else f"chain certificate {index}"
            found.append(Finding("critical", f"{what} is not valid yet: valid from {_date(facts.not_before)}"
                                             f" (in {ahead:.1f} days)"))
    return found


def _eku_findings(leaf: Facts, required: tuple[str, ...]) -> list[Finding]:
    """RFC 5280 §4.2.1.12: without the extension any purpose is allowed; with it, only those listed."""
    from check_rtc.checks.findings import Finding

    if leaf.ekus is None or "anyExtendedKeyUsage" in leaf.ekus:
        return []
    found = []
    for name in required:
        if name not in leaf.ekus:
            why = EKU_CONSEQUENCES.get(name, "required by --require-eku")
            found.append(Finding("critical", f"EKU lacks {name}: {why}"))
    return found


def _identity_findings(leaf: Facts, args: argparse.Namespace) -> list[Finding]:
    from check_rtc.checks.findings import Finding
    from check_rtc.identity import IdentityError

    reference = args.domain or args.hostname
    if not reference:
        return []
    try:
        _verify_identity(leaf, reference, args.protocol)
    except IdentityError as exc:
        return [Finding("critical", f"identity: {exc}")]
    return []


def _verify_identity(leaf: Facts, reference: str, protocol: str) -> str:
    """How the leaf names `reference` under the protocol's rules; IdentityError if it does not."""
    from check_rtc import identity
    from check_rtc.probes.cert import PROTOCOLS as TABLE

    rules = TABLE[protocol]
    if rules.identity == "sip":
        # RFC 5922 §7.1-7.2: sip: URI or DNS name of the SIP domain, no wildcards.
        return identity.verify_identity(leaf.peercert(), reference, uri_schemes=("sip",), allow_wildcards=False)
    if rules.identity == "xmpp":
        from check_rtc.probes.xmpp import verify_identity as verify_xmpp

        # RFC 6120 §13.7.1.2 / RFC 7590 §3.2: DNS-ID, SRV-ID or XmppAddr of the domain.
        return verify_xmpp(leaf, reference, rules.xmpp_mode)  # type: ignore[arg-type]
    return identity.verify_identity(leaf.peercert(), reference)


def _strength_findings(chain: Sequence[Facts]) -> list[Finding]:
    from check_rtc.certificate import weaknesses
    from check_rtc.checks.findings import Finding

    found = []
    for index, facts in enumerate(chain):
        weak = weaknesses(facts)
        if facts.self_issued and index > 0:
            # A root's self-signature is not checked by anyone (RFC 5280 §6.1); its key is.
            weak = [w for w in weak if "signature" not in w]
        what = "leaf certificate" if index == 0 else f"chain certificate {index}"
        found += [Finding("critical", f"{what} is weak: {w}") for w in weak]
    return found


def _ocsp_findings(observation: CertObservation, now: datetime.datetime) -> list[Finding]:
    from check_rtc.checks.findings import Finding
    from check_rtc.probes.ocsp import STAPLED

    answer = observation.ocsp
    assert answer is not None
    found = []
    served = observation.endpoint.transport != "file"
    if served and observation.chain[0].must_staple and answer.source != STAPLED:
        # RFC 7633 §4.2.3.1: a client that sees the feature and no status_request
        # response "MUST treat this as a fatal error" (Firefox refuses the connection).
        found.append(Finding("critical", "OCSP: the certificate is Must-Staple (RFC 7633) and the server"
                                         " staples no OCSP response: browsers refuse the connection"))
    if answer.source or answer.error:
        found += _status_findings(answer, now)
    return found


def _status_findings(answer: OcspAnswer, now: datetime.datetime) -> list[Finding]:
    from check_rtc.checks.findings import Finding

    if answer.error:
        return [Finding("warning", f"OCSP: {answer.error}")]
    if answer.status == "revoked":
        reason = f" ({answer.reason})" if answer.reason else ""
        return [Finding("critical", f"OCSP: certificate revoked on {_date(answer.revoked_at)}{reason}")]
    if answer.status != "good":
        return [Finding("critical", f"OCSP: responder does not know the certificate (status {answer.status})")]
    if answer.next_update is not None and answer.next_update < now:
        return [Finding("warning", f"OCSP: answer is stale (next update was due {_date(answer.next_update)})")]
    if answer.next_update is None and (now - answer.this_update).days > OCSP_MAX_AGE_DAYS:
        return [Finding("warning", f"OCSP: answer is stale (produced {_date(answer.this_update)})")]
    return []


def _dane_findings(observation: CertObservation) -> list[Finding]:
    from check_rtc.checks.findings import Finding

    answer = observation.tlsa
    assert answer is not None
    if answer.error:
        return [Finding("critical", f"DANE: TLSA {answer.name or 'look-up'}: {answer.error}")]
    if not answer.records:
        return [Finding("critical", f"DANE: no TLSA record at {answer.name}")]
    if not any(_tlsa_matches(record, observation) for record in answer.records):
        listed = ", ".join(f"{r.usage} {r.selector} {r.matching}" for r in answer.records)
        return [Finding("critical", f"DANE: no TLSA record at {answer.name} matches the certificate ({listed})")]
    return []


def _tlsa_matches(record: object, observation: CertObservation) -> bool:
    """RFC 7671 §5: usages 1/3 match the leaf, 0/2 a CA of the chain; 0/1 also need PKIX trust."""
    from check_rtc.certificate import tlsa_matches

    usage, selector, matching, data = record  # type: ignore[misc]
    if usage in (0, 1) and not observation.verified:
        return False
    if usage in (1, 3):
        candidates = observation.chain[:1]
    else:
        candidates = (observation.verified or observation.chain)[1:] + observation.chain[1:]
    return any(tlsa_matches(selector, matching, data, facts) for facts in candidates)


def _date(moment: datetime.datetime | None) -> str:
    from check_rtc.checks.cert_output import date

    return date(moment)


if __name__ == "__main__":
    main()
