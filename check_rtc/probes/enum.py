# SPDX-License-Identifier: GPL-3.0-or-later
"""ENUM lookups (RFC 6116, DDDS RFC 3402/3403): E.164 number -> NAPTR -> URIs (probe layer).

Per suffix: the ENUM domain of the number, its NAPTR records in order and
preference (RFC 3403 §4.1), non-terminal records (empty flags) followed to
the next domain (at most MAX_HOPS, no loops), and for every terminal record
that offers the Enumservice the substitution applied to the number
(codec/enum.py). Returns observations; judging is checks/enum.py's job.
"""

from __future__ import annotations

from collections import namedtuple

from check_rtc import dns_exchange
from check_rtc.codec import enum
from check_rtc.errors import DecodeError, ResolveError
from check_rtc.transport.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from check_rtc.resolve import NaptrRecord

MAX_HOPS = 5


class Outcome(namedtuple("Outcome", "record domain uri problem")):
    """One terminal record for the service: the URI it gives, or why it gives none."""

    __slots__ = ()
    record: NaptrRecord
    domain: str
    uri: str | None
    problem: str | None


class SuffixObservation:
    """What one ENUM suffix gave: the domains asked, every NAPTR seen, the outcomes."""

    __slots__ = ("suffix", "domain", "path", "records", "outcomes", "error", "elapsed")

    def __init__(self, suffix: str, domain: str) -> None:
        self.suffix = suffix
        self.domain = domain
        self.path: list[str] = []
        self.records = 0
        self.outcomes: list[Outcome] = []
        self.error: str | None = None
        self.elapsed = 0.0


def probe_enum(number: str, suffixes: tuple[str, ...], service: str, server: str | None,
               deadline: Deadline) -> list[SuffixObservation]:
    """Look the number up under every suffix, in turn."""
    aus = enum.e164_aus(number)
    resolvers = dns_exchange.servers(server)
    return [_suffix(aus, suffix, service, resolvers, deadline) for suffix in suffixes]


def _suffix(aus: str, suffix: str, service: str, resolvers: list[tuple[str, int]],
            deadline: Deadline) -> SuffixObservation:
    seen = SuffixObservation(suffix, enum.enum_domain(aus, suffix) + ".")
    started = Deadline.now()
    try:
        _follow(seen, seen.domain, aus, service, resolvers, deadline)
    except ResolveError as exc:
        seen.error = f"{exc.name.rstrip('.')}: {exc}"
    seen.elapsed = Deadline.now() - started
    return seen


def _follow(seen: SuffixObservation, domain: str, aus: str, service: str,
            resolvers: list[tuple[str, int]], deadline: Deadline) -> None:
    """The NAPTR records of `domain`; terminal ones evaluated, non-terminal ones followed."""
    if domain.lower() in seen.path or len(seen.path) > MAX_HOPS:
        seen.error = f"non-terminal NAPTR records loop or go deeper than {MAX_HOPS} domains at {domain.rstrip('.')}"
        return
    seen.path.append(domain.lower())
    records = sorted(_naptr(domain, resolvers, deadline), key=lambda r: (r.order, r.preference))
    seen.records += len(records)
    for record in records:
        if record.flags == "":
            # RFC 3761 §2.4.1 / RFC 3403 §4: no flag: non-terminal, the lookup goes on at the new domain.
            if not record.service or enum.offers(record.service, service) or record.service.upper() == "E2U":
                _follow(seen, _next_domain(record, aus), aus, service, resolvers, deadline)
        elif record.flags.lower() == "u" and enum.offers(record.service, service):
            seen.outcomes.append(_evaluate(record, domain, aus))


def _naptr(domain: str, resolvers: list[tuple[str, int]], deadline: Deadline) -> list[NaptrRecord]:
    last: ResolveError | None = None
    for resolver in resolvers:
        try:
            reply = dns_exchange.exchange(resolver, domain, "NAPTR", deadline)
        except ResolveError as exc:
            last = exc
            continue
        if reply.rcode not in ("NOERROR", "NXDOMAIN"):
            raise ResolveError(domain, "servfail", f"NAPTR lookup answered {reply.rcode}")
        return list(reply.records)  # type: ignore[arg-type]
    raise last or ResolveError(domain, "servfail", "no resolver")


def _next_domain(record: NaptrRecord, aus: str) -> str:
    """RFC 3403 §4: the replacement, or (when it is '.') the regexp's result."""
    if record.replacement != ".":
        return record.replacement
    try:
        result = enum.parse_substitution(record.regexp).apply(aus)
    except DecodeError as exc:
        raise ResolveError(record.regexp, "malformed", f"non-terminal NAPTR: {exc}") from None
    return (result or ".").rstrip(".") + "."


def _evaluate(record: NaptrRecord, domain: str, aus: str) -> Outcome:
    """Apply the record's substitution to the number and check the URI."""
    try:
        uri = enum.parse_substitution(record.regexp).apply(aus)
    except DecodeError as exc:
        return Outcome(record, domain, None, f"malformed regexp {record.regexp}: {exc}")
    if uri is None:
        return Outcome(record, domain, None, f"regexp {record.regexp} does not match {aus}")
    problem = enum.uri_problem(uri)
    return Outcome(record, domain, uri, None if problem is None else f"result '{uri}' is {problem}")
