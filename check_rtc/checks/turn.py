# SPDX-License-Identifier: GPL-3.0-or-later
"""check_turn: a TURN server relays for the right users and nobody else (RFC 8656).

Probes one host (-H) or every target of a domain (-d: RFC 5928 NAPTR, then
SRV _turn._udp, _turn._tcp, _turns._tcp), every address of both families,
concurrently; see probes/turn.py for the steps. Judgements:

- an allocation without credentials: CRITICAL ("open relay"), whatever else;
- a failed Allocate, relay round trip or CreatePermission: the endpoint failed;
- permissions granted towards private, link-local or metadata addresses:
  WARNING ("relays to private addresses"), CRITICAL with --private-peers-critical;
- a private relayed address on a server reached on a public one: WARNING
  ("external-ip not configured");
- a failed Refresh(0): WARNING (allocations linger until they expire).
"""

from __future__ import annotations

from check_rtc.checks import options, turn_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Iterator, Sequence

    import nagiosplugin

    from check_rtc.checks.findings import Finding
    from check_rtc.codec.turn import Credentials
    from check_rtc.probes.ice import IceObservation
    from check_rtc.probes.turn import TurnObservation
    from check_rtc.transport.deadline import Deadline

NAME = "TURN"


def build_parser() -> options.Parser:
    parser = options.make_parser(
        NAME,
        "check_turn",
        "Check that a TURN server (RFC 8656) refuses strangers, allocates and relays for its users, "
        "and refuses to relay towards private addresses.",
        transports=("udp", "tcp", "tls"),
        default_transports="udp",
    )
    group = parser.add_argument_group("TURN")
    turn_options.add_credential_options(group)
    group.add_argument("--realm", metavar="REALM",
                       help="the realm the server must announce (credentials are per realm)")
    group.add_argument("--relay-ipv6", action="store_true",
                       help="ask for an IPv6 relayed address (RFC 6156 REQUESTED-ADDRESS-FAMILY)")
    group.add_argument("--ice", action="store_true",
                       help="instead of the steps: gather ICE candidates with the server (host, srflx, relay) "
                            "and connect two ICE agents through relayed candidates only, as a browser would")
    group.add_argument("--private-peers-critical", action="store_true",
                       help="permissions granted towards private addresses are CRITICAL (default: WARNING)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    options.run(NAME, build_parser(), build, argv)


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    """The options as check_turn parses them: check_rtc audit builds its checks from these."""
    return options.parse(build_parser(), argv)


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import runtime
    from check_rtc.checks.findings import FindingContext
    from check_rtc.errors import UsageError

    credentials = turn_options.credentials(args)
    notes = runtime.insecure_note(args, ("tls",))
    if args.ice:
        if credentials is None:
            raise UsageError("--ice needs credentials: -u with --password-file, or --secret-file")
        return runtime.endpoint_check(NAME, lambda: _probe_ice(args, credentials, deadline), args, notes,
                                      (runtime.perfdata_context("turn_time"),), _ice_metrics)
    contexts = (FindingContext(), runtime.perfdata_context("turn_time"), runtime.perfdata_context("lifetime", 0))
    return runtime.endpoint_check(
        NAME, lambda: _probe(args, credentials, deadline), args, notes, contexts,
        lambda observation: _metrics(observation, args),
    )


def _probe(args: argparse.Namespace, credentials: Credentials | None, deadline: Deadline) -> list[TurnObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.turn import SERVICE, TurnProbe, failed

    context = runtime.tls_context(args) if "tls" in args.transport else None
    probe = TurnProbe(credentials, 6 if args.relay_ipv6 else None, context, args.domain or args.hostname)
    return probe_service(SERVICE, runtime.targeting(args), runtime.resolver(args), probe, failed, deadline)


def _probe_ice(args: argparse.Namespace, credentials: Credentials, deadline: Deadline) -> list[IceObservation]:
    from check_rtc.checks import runtime
    from check_rtc.probes import probe_service
    from check_rtc.probes.ice import IceProbe, failed
    from check_rtc.probes.turn import SERVICE

    context = runtime.tls_context(args) if "tls" in args.transport else None
    probe = IceProbe(credentials, context)
    return probe_service(SERVICE, runtime.targeting(args), runtime.resolver(args), probe, failed, deadline)


def _ice_metrics(observation: IceObservation) -> Iterator[nagiosplugin.Metric]:
    from nagiosplugin import Metric

    label = observation.endpoint.label()
    if observation.error is None:
        total = observation.gather_time + observation.connect_time  # type: ignore[operator]
        yield Metric(f"{label}_time", total, "s", min=0, context="rtt")
    for suffix, value in (("gather", observation.gather_time), ("connect", observation.connect_time)):
        if value is not None:
            yield Metric(f"{label}_{suffix}", value, "s", min=0, context="turn_time")


def _metrics(observation: TurnObservation, args: argparse.Namespace) -> Iterator[nagiosplugin.Metric]:
    """Findings (only the breaches) and perfdata of one endpoint, as far as its steps went."""
    from check_rtc.checks.findings import finding_metric

    label = observation.endpoint.label()
    for number, finding in enumerate(_findings(observation, args)):
        yield finding_metric(label, number, finding)
    if observation.allocated:
        yield from _perfdata(observation, label)


def _findings(observation: TurnObservation, args: argparse.Namespace) -> Iterator[Finding]:
    from check_rtc.addresses import private_behind_public
    from check_rtc.checks.findings import Finding

    if observation.open_relay:
        yield Finding("critical", "open relay: Allocate succeeded without credentials")
    if args.realm and observation.realm is not None and observation.realm != args.realm:
        yield Finding("critical", f"realm '{observation.realm}' is not the expected '{args.realm}' "
                                  "(coturn: realm=)")
    if observation.granted:
        # In the guide's terms: coturn's denied-peer-ip (and no loopback peers).
        yield Finding("critical" if args.private_peers_critical else "warning",
                      f"relays to private addresses: permission granted towards {', '.join(observation.granted)} "
                      "(coturn: denied-peer-ip)")
    if observation.relayed is not None and private_behind_public(observation.relayed[0], observation.endpoint.address):
        yield Finding("warning", f"relayed address {observation.relayed[0]} is private though the server was "
                                 f"reached on {observation.endpoint.address}: external-ip not configured")
    if observation.deallocate_error is not None:
        yield Finding("warning", f"allocation not deleted: {observation.deallocate_error}")


def _perfdata(observation: TurnObservation, label: str) -> Iterator[nagiosplugin.Metric]:
    from nagiosplugin import Metric

    if observation.error is None:
        yield Metric(f"{label}_time", observation.total_time, "s", min=0, context="rtt")
    for suffix, value in (("allocate", observation.allocate_time), ("relay_rtt", observation.indication_rtt),
                          ("channel_rtt", observation.channel_rtt)):
        if value is not None:
            yield Metric(f"{label}_{suffix}", value, "s", min=0, context="turn_time")
    if observation.lifetime is not None:
        yield Metric(f"{label}_lifetime", observation.lifetime, "s", min=0, context="lifetime")


if __name__ == "__main__":
    main()
