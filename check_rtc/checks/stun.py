# SPDX-License-Identifier: GPL-3.0-or-later
"""check_stun: STUN Binding answered over UDP, TCP and TLS (RFC 8489).

Probes one host (-H) or every SRV target of a domain (-d: _stun._udp,
_stun._tcp, _stuns._tcp), every address of both families, concurrently.
"""

from __future__ import annotations

import argparse
from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Sequence

    import nagiosplugin

    from check_rtc.probes.stun import StunObservation
    from check_rtc.transport.deadline import Deadline

NAME = "STUN"


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME,
        "check_stun",
        "Check that STUN servers answer Binding requests (RFC 8489) over UDP, TCP and TLS.",
        transports=("udp", "tcp", "tls"),
        default_transports="udp",
    )
    parser.add_argument_group("STUN").add_argument(
        "--alternate", action="store_true",
        help="RFC 5780: the server must name an alternate address on another IP and answer a "
             "change-IP-and-port request from it (UDP); WARNING when it cannot")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    options.run(NAME, build_parser(), build, argv)


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The options as check_stun parses them: check_rtc audit builds its checks from these."""
    return options.parse(build_parser(), argv)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import runtime

    from check_rtc.checks.findings import FindingContext

    notes = runtime.insecure_note(args, ("tls",))
    return runtime.endpoint_check(NAME, lambda: _probe(args, deadline), args, notes, (FindingContext(),), _findings)


def _probe(args: argparse.Namespace, deadline: Deadline) -> list[StunObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.stun import SERVICE, BindingProbe, failed

    # RFC 8489 §8 / RFC 7064: the TLS identity is the domain (or the host) named by the operator.
    context = runtime.tls_context(args) if "tls" in args.transport else None
    probe = BindingProbe(context, args.domain or args.hostname, args.alternate)
    return probe_service(SERVICE, runtime.targeting(args), runtime.resolver(args), probe, failed, deadline)


def _findings(observation: StunObservation) -> Iterator[nagiosplugin.Metric]:
    """RFC 5780 trouble is a WARNING: Binding works, NAT discovery does not."""
    from check_rtc.checks.findings import Finding, finding_metric

    if observation.alternate_problem is not None:
        yield finding_metric(observation.endpoint.label(), 0, Finding("warning", observation.alternate_problem))


if __name__ == "__main__":
    main()
