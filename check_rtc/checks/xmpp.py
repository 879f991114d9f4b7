# SPDX-License-Identifier: GPL-3.0-or-later
"""check_xmpp: XMPP c2s and s2s streams, STARTTLS required or direct TLS (RFC 6120, XEP-0368).

Probes one host (-H) or every SRV target of the XMPP domain (-d:
_xmpp-client/_xmpps-client or _xmpp-server/_xmpps-server, RFC 6120 §3.2
fallback), every address of both families, concurrently. Judges the
STARTTLS offer, the SASL mechanisms, dialback/EXTERNAL for s2s, the
certificate's identity and lifetime, and optionally logs in (slixmpp).
"""

from __future__ import annotations

import argparse
from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator, Sequence

    import nagiosplugin

    from check_rtc.checks.findings import Finding
    from check_rtc.probes.xmpp import XmppObservation
    from check_rtc.transport.deadline import Deadline

NAME = "XMPP"
TRANSPORTS = ("starttls", "tls")


def mechanism_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip().upper() for name in text.split(",") if name.strip())
    # RFC 4422 §3.1: "SASL mechanisms are named by character strings, from 1 to
    # 20 characters in length, consisting of ASCII [A-Z, 0-9, -, _]".
    wrong = [n for n in names if not (0 < len(n) <= 20 and all(c.isascii() and (c.isalnum() or c in "-_") for c in n))]
    if wrong or not names:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of SASL mechanism names (RFC 4422 §3.1)")
    return names


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME,
        "check_xmpp",
        "Check XMPP client (c2s) or server (s2s) streams: STARTTLS offered and required, or direct"
        " TLS (XEP-0368); the certificate names the XMPP domain; SASL policy; optional login."
        " -T starttls: RFC 6120 STARTTLS on 5222/5269; -T tls: direct TLS on 5223/5270.",
        transports=TRANSPORTS,
        default_transports="starttls",
    )
    group = parser.add_argument_group("XMPP")
    group.add_argument("-m", "--mode", choices=("c2s", "s2s"), default="c2s",
                       help="client-to-server or server-to-server streams (default: %(default)s)")
    group.add_argument("--from", dest="sender", metavar="DOMAIN",
                       help="s2s: the 'from' of the stream, our server's domain (default: check-xmpp.invalid)")
    group.add_argument("--optional-starttls", choices=("warning", "critical"), default="warning",
                       help="state when STARTTLS is offered but not required (default: %(default)s)")
    group.add_argument("--forbid-mech", metavar="LIST", type=mechanism_list, action="append", default=[],
                       help="SASL mechanisms that must not be offered, e.g. PLAIN")
    group.add_argument("--require-mech", metavar="LIST", type=mechanism_list, action="append", default=[],
                       help="SASL mechanisms that must be offered after TLS, e.g. SCRAM-SHA-1")
    group.add_argument("--require-dialback", action="store_true", help="s2s: dialback (XEP-0220) must be offered")
    group.add_argument("--require-external", action="store_true",
                       help="s2s: SASL EXTERNAL must be offered (present --client-cert to be offered it)")
    options.add_cert_days_options(group)
    options.add_login_options(group, "c2s: log in as this JID and ping the server", metavar="JID")
    return parser


def _refine(parser: options.Parser, args: argparse.Namespace) -> None:
    if args.username and ("@" not in args.username or args.username.startswith("@") or args.username.endswith("@")):
        parser.error(f"-u needs a JID like user@example.org, not '{args.username}'")
    if args.username and args.mode != "c2s":
        parser.error("-u logs in over c2s; it does not go with -m s2s")
    if (args.require_dialback or args.require_external) and args.mode != "s2s":
        parser.error("--require-dialback and --require-external go with -m s2s")
    if not args.domain and args.username:
        # The JID's domain is the XMPP domain when -d is not given.
        args.domain = args.username.split("@", 1)[1].split("/", 1)[0]
    args.forbid_mech = {name for names in args.forbid_mech for name in names}
    args.require_mech = [name for names in args.require_mech for name in names]


def main(argv: Sequence[str] | None = None) -> None:
    options.run(NAME, build_parser(), build, argv, _refine)


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The options as check_xmpp parses them: check_rtc audit builds its checks from these."""
    return options.parse(build_parser(), argv, _refine)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import runtime
    from check_rtc.checks.findings import FindingContext

    notes = runtime.insecure_note(args, TRANSPORTS)
    contexts = (
        runtime.ThresholdContext("xmpp-time", None, None, fmt_metric="{name} {valueunit}"),
        runtime.cert_days_context(args),
        FindingContext(),
    )
    run = _prober(args, deadline)
    return runtime.endpoint_check(NAME, run, args, notes, contexts, lambda obs: _metrics(obs, args))


def _prober(args: argparse.Namespace, deadline: Deadline) -> Callable[[], list[XmppObservation]]:
    """Everything that can fail as UNKNOWN (trust files, the password) happens here, in the main thread."""
    from check_rtc import secrets
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.xmpp import ALPN, SERVICES, StreamProbe, failed

    domain = args.domain or args.hostname
    context = runtime.tls_context(args, alpn=(ALPN[args.mode],))
    # Identity is ours (RFC 6120 §13.7.1.2: DNS-ID, SRV-ID, XmppAddr); the chain is OpenSSL's.
    context.check_hostname = False
    login = None
    password = secrets.login_password(args.username, args.password_file)
    if args.username:
        from check_rtc.probes.xmpp_login import SlixmppLogin

        login = SlixmppLogin(args.username, password, domain, runtime.tls_context(args, alpn=(ALPN["c2s"],)))
    sender = (args.sender or "check-xmpp.invalid") if args.mode == "s2s" else None
    probe = StreamProbe(args.mode, domain, sender, context, not args.insecure, login)

    def run() -> list[XmppObservation]:
        return probe_service(SERVICES[args.mode], runtime.targeting(args), runtime.resolver(args), probe,
                             failed, deadline)

    return run


def _metrics(observation: XmppObservation, args: argparse.Namespace) -> Iterator[nagiosplugin.Metric]:
    """Perfdata per endpoint (connect, TLS, cert days, login, ping) and the policy findings."""
    import nagiosplugin

    from check_rtc.checks.findings import finding_metric

    if observation.error is not None:
        return
    label = observation.endpoint.label()
    yield nagiosplugin.Metric(f"{label}_connect", observation.connect, "s", min=0, context="xmpp-time")
    yield nagiosplugin.Metric(f"{label}_tls", observation.tls, "s", min=0, context="xmpp-time")
    if observation.cert_days is not None:
        yield nagiosplugin.Metric(f"{label}_cert_days", observation.cert_days, context="cert_days")
    if observation.login is not None and observation.ping is not None:
        yield nagiosplugin.Metric(f"{label}_login", observation.login, "s", min=0, context="xmpp-time")
        yield nagiosplugin.Metric(f"{label}_ping", observation.ping, "s", min=0, context="xmpp-time")
    for number, finding in enumerate(findings(observation, args)):
        yield finding_metric(label, number, finding)


def findings(observation: XmppObservation, args: argparse.Namespace) -> list[Finding]:
    """What the policy says about an endpoint that negotiated TLS."""
    from check_rtc.checks.findings import Finding

    assert observation.features is not None
    found = []
    if observation.starttls == "optional":
        # RFC 6120 §5.3.1: without <required/> a client may carry on in clear.
        found.append(Finding(args.optional_starttls, "STARTTLS offered but not required"))
    if "PLAIN" in observation.plain_mechanisms:
        found.append(Finding("critical", "SASL PLAIN offered before TLS: passwords may cross in clear"))
    offered = observation.features.mechanisms
    for name in sorted(args.forbid_mech & set(offered + observation.plain_mechanisms)):
        found.append(Finding("critical", f"SASL {name} offered (--forbid-mech)"))
    for name in args.require_mech:
        if name not in offered:
            found.append(Finding("critical", f"SASL {name} not offered (--require-mech)"))
    if args.require_dialback and not observation.features.dialback:
        found.append(Finding("critical", "dialback (XEP-0220) not offered (--require-dialback)"))
    if args.require_external and "EXTERNAL" not in offered:
        found.append(Finding("critical", "SASL EXTERNAL not offered (--require-external)"))
    return found


if __name__ == "__main__":
    main()
