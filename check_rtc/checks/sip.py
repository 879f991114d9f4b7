# SPDX-License-Identifier: GPL-3.0-or-later
"""check_sip: SIP OPTIONS answered over UDP, TCP, TLS, WS and WSS (RFC 3261, RFC 7118).

Probes one host (-H) or every target RFC 3263 yields for a domain (-d:
NAPTR, SRV, A/AAAA), every address of both families, concurrently. Judges
the final answer's code (--expect), the response time (-w/-c) and the days
left on the TLS certificate (--warning-days/--critical-days); TLS identity
follows RFC 5922.
"""

from __future__ import annotations

import argparse

from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Sequence

    import nagiosplugin

    from check_rtc.probes.sip import Settings, SipObservation
    from check_rtc.transport.deadline import Deadline

NAME = "SIP"
TRANSPORTS = ("udp", "tcp", "tls", "ws", "wss")
TLS_TRANSPORTS = ("tls", "wss")


def expect_list(text: str) -> tuple[tuple[int, int], ...]:
    """'200', '2xx', '200-299,401,404' -> inclusive code ranges."""
    ranges = []
    for item in (part.strip().lower() for part in text.split(",")):
        low, _, high = item.partition("-")
        if len(item) == 3 and item[0] in "123456" and item[1:] == "xx":
            ranges.append((int(item[0]) * 100, int(item[0]) * 100 + 99))
        elif _code(low) and (not high or (_code(high) and int(low) <= int(high))):
            ranges.append((int(low), int(high or low)))
        else:
            raise argparse.ArgumentTypeError(
                f"'{item}' is not a SIP code (100-699), class (2xx) or range (200-299)")
    return tuple(ranges)


def _code(text: str) -> bool:
    return text.isdigit() and 100 <= int(text) <= 699


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME,
        "check_sip",
        "Check that SIP servers answer OPTIONS (RFC 3261) over UDP, TCP, TLS, WS and WSS, on every "
        "target RFC 3263 yields for a domain.",
        transports=TRANSPORTS,
        default_transports="udp,tcp,tls",
    )
    group = parser.add_argument_group("SIP")
    group.add_argument("--expect", metavar="CODES", type=expect_list,
                       help="final answers that are OK: codes, classes, ranges (e.g. 200-299,401,404); "
                            "default 2xx. Others are WARNING; 503 and no answer are CRITICAL")
    group.add_argument("--uri", metavar="URI", help="Request-URI and To (default: sip:DOMAIN or sip:HOST)")
    group.add_argument("--from", dest="from_uri", metavar="URI",
                       help="From URI (default: sip:check_sip@DOMAIN)")
    group.add_argument("--user-agent", metavar="TEXT", default="check_sip (check-rtc)",
                       help="User-Agent header (default: %(default)s)")
    group.add_argument("--ws-path", metavar="PATH", default="/", help="WebSocket resource path (default: /)")
    options.add_login_options(group, "answer a 401/407 digest challenge as USER (RFC 3261 §22, RFC 8760)")
    options.add_cert_days_options(group)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    options.run(NAME, build_parser(), build, argv, _refine)


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The options as check_sip parses them: check_rtc audit builds its checks from these."""
    return options.parse(build_parser(), argv, _refine)


def _refine(parser: options.Parser, args: argparse.Namespace) -> None:
    if not args.ws_path.startswith("/"):
        parser.error(f"--ws-path '{args.ws_path}' must start with '/'")
    if any(c in args.user_agent + (args.uri or "") + (args.from_uri or "") for c in "\r\n"):
        parser.error("--uri, --from and --user-agent must be one line")


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import runtime

    settings = _settings(args)  # before probing: an unreadable password file is UNKNOWN
    notes = runtime.insecure_note(args, TLS_TRANSPORTS)
    from check_rtc.checks.sip_contexts import ResponseContext

    contexts = (ResponseContext(args.expect), runtime.cert_days_context(args))
    return runtime.endpoint_check(NAME, lambda: _probe(args, settings, deadline), args, notes, contexts, _metrics)


def _settings(args: argparse.Namespace) -> Settings:
    from check_rtc import secrets
    from check_rtc.probes.sip import Settings

    password = secrets.login_password(args.username, args.password_file)
    # RFC 5922 §7.1/§7.3: the identity (and SNI) is the SIP domain, not the SRV target.
    return Settings(args.domain or args.hostname, args.uri, args.from_uri, args.user_agent, args.username,
                    password, args.ws_path, not args.insecure)


def _probe(args: argparse.Namespace, settings: Settings, deadline: Deadline) -> list[SipObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.sip import SERVICE, OptionsProbe, failed

    context = None
    if any(t in TLS_TRANSPORTS for t in args.transport):
        context = runtime.tls_context(args)
        # RFC 5922 §7: SIP identity is matched by check_rtc.identity (URI-IDs, no
        # wildcards), not by OpenSSL's host name check; the chain is still verified.
        context.check_hostname = False
    probe = OptionsProbe(settings, context)
    return probe_service(SERVICE, runtime.targeting(args), runtime.resolver(args), probe, failed, deadline)


def _metrics(observation: SipObservation) -> Iterator[nagiosplugin.Metric]:
    import nagiosplugin

    if observation.error is not None:  # judged by "reachable" alone
        return
    label = observation.endpoint.label()
    yield nagiosplugin.Metric(f"{label}_response", observation, context="response")
    if observation.cert_days is not None:
        yield nagiosplugin.Metric(f"{label}_cert_days", observation.cert_days, context="cert_days")


if __name__ == "__main__":
    main()
