# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc audit: every check of an RTC domain at once, within one deadline (checks layer).

The plan comes from DNS: the SRV owners of each protocol's Service
definition (RFC 2782; the probes' own tables) say which transports the
domain publishes. The audit then builds each individual check from its own
options (the check module's arguments() and build()) and runs them all
concurrently under the one deadline of -t, so every verdict is that
check's own. Findings are the results that are not OK, grouped per area
by message: one fault seen at several endpoints is one finding that lists
every place it was seen, with its remedy from check_rtc/remedies.py.
"""

from __future__ import annotations

import importlib
import shlex
import threading
from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Callable

    import nagiosplugin

    from check_rtc.transport.deadline import Deadline

    Progress = Callable[[int, int, "Part"], None]

AREAS = {"dns": "DNS", "cert": "Certificates", "sip": "SIP", "xmpp": "XMPP", "turn": "TURN/STUN", "enum": "ENUM"}
STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
OK, UNKNOWN = 0, 3
# Time past the deadline for a check to report its own timeouts before it is declared late.
GRACE_SECONDS = 0.2
# SRV-published services: key -> (probe module, XMPP mode or None).
SERVICES = {"sip": ("sip", None), "c2s": ("xmpp", "c2s"), "s2s": ("xmpp", "s2s"), "stun": ("stun", None),
            "turn": ("turn", None)}
# check_rtc_cert -P protocol for each service and transport that carries TLS.
CERT_PROTOCOLS = (("sip", "sip", "tls"), ("xmpp-client", "c2s", "starttls"), ("xmpps-client", "c2s", "tls"),
                  ("xmpp-server", "s2s", "starttls"), ("xmpps-server", "s2s", "tls"), ("turn", "turn", "tls"))


class Part(namedtuple("Part", "area name module argv")):
    """One individual check of the audit: its area, executable, module and command-line options."""

    __slots__ = ()
    area: str
    name: str
    module: str
    argv: tuple[str, ...]

    def command(self) -> str:
        return shlex.join((self.name, *self.argv))


class Outcome(namedtuple("Outcome", "part state summary results")):
    """What one check said: state 0-3, its status-line summary, its nagiosplugin results."""

    __slots__ = ()
    part: Part
    state: int
    summary: str
    results: list[nagiosplugin.Result]


class Issue:
    """One finding of the report: a message of one area, every place it was seen, what to change."""

    __slots__ = ("area", "state", "message", "where", "evidence", "remedies", "command")

    def __init__(self, area: str, state: int, message: str, evidence: str | None,
                 remedies: list[tuple[str, str]], command: str) -> None:
        self.area, self.state, self.message = area, state, message
        self.where: list[str] = []
        self.evidence = evidence
        self.remedies = remedies
        self.command = command


# -- the plan: what the domain publishes, and the checks to run ---------------------------------

def published(domain: str, dns_server: str | None, deadline: Deadline) -> dict[str, tuple[str, ...]]:
    """Per service key, the transports whose SRV owner has real targets (not '.'), all asked at once."""
    owners = [(key, transport, f"{label}.{domain}")
              for key, service in _services().items() for transport, label in service.srv.items()]
    found = [False] * len(owners)

    def ask(index: int, owner: str) -> None:
        from check_rtc.errors import CheckRtcError
        from check_rtc.resolve import Resolver

        try:
            found[index] = any(r.target != "." for r in Resolver(dns_server).srv(owner, deadline))
        except CheckRtcError:  # the DNS area reports the failed lookup
            pass

    _run_threads([lambda i=i, owner=owner: ask(i, owner) for i, (_, _, owner) in enumerate(owners)], deadline)
    return {key: tuple(t for (k, t, _), yes in zip(owners, found) if k == key and yes) for key in SERVICES}


def _services() -> dict[str, object]:
    services = {}
    for key, (module, mode) in SERVICES.items():
        probe = importlib.import_module(f"check_rtc.probes.{module}")
        services[key] = probe.SERVICES[mode] if mode else probe.SERVICE
    return services


def plan(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    """The checks of the chosen areas, each with the options the audit was given."""
    planners: dict[str, Callable[[argparse.Namespace, dict[str, tuple[str, ...]]], list[Part]]] = {
        "dns": _dns_parts, "cert": _cert_parts, "sip": _sip_parts, "xmpp": _xmpp_parts,
        "turn": _turn_parts, "enum": _enum_parts}
    return [part for area in args.areas for part in planners[area](args, publishes)]


def _dns_options(args: argparse.Namespace) -> tuple[str, ...]:
    return ("--dns-server", args.dns_server) if args.dns_server else ()


def _family(args: argparse.Namespace) -> tuple[str, ...]:
    return (f"-{args.families[0]}",) if len(args.families) == 1 else ()


def _service_options(args: argparse.Namespace) -> tuple[str, ...]:
    """What every service check gets: the domain, the resolver, the family, the trust anchors."""
    tls = [(option, value) for option, value in (("--ca-file", args.ca_file), ("--ca-path", args.ca_path),
                                                 ("--client-cert", args.client_cert),
                                                 ("--client-key", args.client_key)) if value]
    return ("-d", args.domain, *_dns_options(args), *_family(args), *(item for pair in tls for item in pair))


def _dns_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    argv = ("-d", args.domain, *_dns_options(args), "--ns-port", str(args.ns_port), *_family(args))
    return [Part("dns", "check_rtc_dns", "check_rtc.checks.dns", argv)]


def _cert_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    """--ocsp: a revoked certificate, or a Must-Staple one served without its staple, is wrong too."""
    return [Part("cert", "check_rtc_cert", "check_rtc.checks.cert",
                 ("-P", protocol, *_service_options(args), "--ocsp"))
            for protocol, key, transport in CERT_PROTOCOLS if transport in publishes[key]]


def _endpoint_part(area: str, check: str, transports: tuple[str, ...], args: argparse.Namespace,
                   *extra: str) -> list[Part]:
    if not transports:
        return []
    argv = (*_service_options(args), "-T", ",".join(transports), *extra)
    return [Part(area, f"check_{check}", f"check_rtc.checks.{check}", argv)]


def _sip_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    return _endpoint_part("sip", "sip", publishes["sip"], args)


def _xmpp_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    return [part for mode in ("c2s", "s2s") for part in _endpoint_part("xmpp", "xmpp", publishes[mode], args,
                                                                          "-m", mode)]


def _turn_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    """STUN, and TURN with the credentials if given (without: the refusal of strangers still counts)."""
    credentials = [(option, value) for option, value in (("-u", args.turn_user),
                                                         ("--password-file", args.turn_password_file),
                                                         ("--secret-file", args.turn_secret_file)) if value]
    return (_endpoint_part("turn", "stun", publishes["stun"], args)
            + _endpoint_part("turn", "turn", publishes["turn"], args, *(x for pair in credentials for x in pair)))


def _enum_parts(args: argparse.Namespace, publishes: dict[str, tuple[str, ...]]) -> list[Part]:
    suffixes = tuple(item for suffix in args.enum_suffix for item in ("--suffix", suffix))
    return [Part("enum", "check_enum", "check_rtc.checks.enum", ("-n", number, *_dns_options(args), *suffixes))
            for number in args.number]


# -- running the checks ----------------------------------------------------------------------------

def run(parts: list[Part], deadline: Deadline, progress: Progress) -> list[Outcome]:
    """Build every check here (an unusable option is UNKNOWN, not a crash), then run them all at once."""
    import logging

    # nagiosplugin warns through logging; the report says everything the operator needs.
    logging.getLogger("nagiosplugin").addHandler(logging.NullHandler())
    outcomes: list[Outcome | None] = [None] * len(parts)
    lock = threading.Lock()
    done = [0]

    def evaluate(index: int, part: Part, check: nagiosplugin.Check | Outcome) -> None:
        outcomes[index] = check if isinstance(check, Outcome) else _evaluate(part, check)
        with lock:
            done[0] += 1
            progress(done[0], len(parts), part)

    checks = [_build(part, deadline) for part in parts]
    _run_threads([lambda i=i, p=p, c=c: evaluate(i, p, c) for i, (p, c) in enumerate(zip(parts, checks))], deadline)
    late = "no verdict before the deadline (-t)"
    return [outcome or Outcome(part, UNKNOWN, late, []) for part, outcome in zip(parts, outcomes)]


def _run_threads(jobs: list[Callable[[], None]], deadline: Deadline) -> None:
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline.remaining() + GRACE_SECONDS)


def _build(part: Part, deadline: Deadline) -> nagiosplugin.Check | Outcome:
    from check_rtc.errors import CheckRtcError

    module = importlib.import_module(part.module)
    try:
        check = module.build(module.arguments(part.argv), deadline)
    except (CheckRtcError, ModuleNotFoundError) as exc:
        return Outcome(part, UNKNOWN, str(exc), [])
    check.name = module.NAME
    return check


def _evaluate(part: Part, check: nagiosplugin.Check) -> Outcome:
    try:
        check()
    except Exception as exc:  # a bug in one check must not hide the others' verdicts
        return Outcome(part, UNKNOWN, f"internal error: {type(exc).__name__}: {exc}", [])
    return Outcome(part, int(check.state), check.summary_str, list(check.results))


# -- findings --------------------------------------------------------------------------------------

def issues(outcomes: list[Outcome], domain: str) -> list[Issue]:
    """The results that are not OK, one Issue per (area, state, message), in the checks' order."""
    from check_rtc.remedies import remedies

    found: dict[tuple[str, int, str], Issue] = {}
    for outcome in outcomes:
        command, evidence = outcome.part.command(), _evidence(outcome.results)
        for state, subject, message in _problems(outcome):
            key = (outcome.part.area, state, message)
            if key not in found:
                found[key] = Issue(outcome.part.area, state, message, evidence.get(subject),
                                   remedies(outcome.part.area, subject, message, domain, command), command)
            if subject:
                found[key].where.append(subject)
    return list(found.values())


def _problems(outcome: Outcome) -> list[tuple[int, str, str]]:
    """(state, subject, message) of each result that is not OK; a check that could not run is one."""
    if not outcome.results and outcome.state != OK:
        return [(outcome.state, "", outcome.summary)]
    return [(int(r.state), *_split(str(r))) for r in outcome.results if int(r.state) != OK]


def _split(text: str) -> tuple[str, str]:
    """'subject: message' (an endpoint label or a record set, then the words), or ('', text)."""
    subject, sep, message = text.partition(": ")
    return (subject, message) if sep and " " not in subject else ("", text)


def _evidence(results: list[nagiosplugin.Result]) -> dict[str, str]:
    """What each endpoint that answered showed, in its check's own words (subject -> facts)."""
    shown = [_split(str(r)) for r in results
             if int(r.state) == OK and r.metric is not None and r.metric.context == "reachable"]
    return {subject: message for subject, message in shown if subject}


def worst(outcomes: list[Outcome]) -> int:
    return max((outcome.state for outcome in outcomes), default=UNKNOWN)
