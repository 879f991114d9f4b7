# SPDX-License-Identifier: GPL-3.0-or-later
"""check_enum: ENUM (RFC 6116) NAPTR records of an E.164 number yield the expected URI.

Per --suffix (default e164.arpa; repeatable for private trees), one line:
the URI the first matching record gives (RFC 3403 order, then preference),
the others after it. CRITICAL: no NAPTR, no record for --service, a
malformed regexp, a result that is not a valid URI, a mismatch with
--expect/--expect-regex, a failed lookup. WARNING: the suffixes disagree.
The regexps come from the zone's owner, i.e. from strangers: they run on
the bounded engine of codec/ere.py, never on Python's backtracking re.
"""

from __future__ import annotations

from check_rtc.checks import record_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import re
    from typing import Sequence

    import nagiosplugin

    from check_rtc.checks.findings import Finding
    from check_rtc.probes.enum import SuffixObservation
    from check_rtc.transport.deadline import Deadline

    Lines = list[tuple[str, Finding]]

NAME = "ENUM"
DEFAULT_SUFFIX = "e164.arpa"


def build_parser() -> record_options.options.Parser:
    parser = record_options.make_parser(
        NAME, "check_enum",
        "Check that the ENUM (RFC 6116) NAPTR records of an E.164 number yield a valid (and the expected) URI.")
    group = parser.add_argument_group("ENUM")
    group.add_argument("-n", "--number", metavar="+E164", required=True,
                       help="the E.164 number, '+' and digits (spaces, dots, dashes allowed)")
    group.add_argument("--suffix", metavar="DOMAIN", action="append",
                       help=f"ENUM tree to look under; repeatable (default: {DEFAULT_SUFFIX})")
    group.add_argument("--service", metavar="ENUMSERVICE", default="E2U+sip",
                       help="the Enumservice to select (default: %(default)s)")
    group.add_argument("--expect", metavar="URI", help="the URI the number must map to (exact)")
    group.add_argument("--expect-regex", metavar="REGEX",
                       help="a Python regular expression the whole URI must match")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    record_options.options.execute(NAME, arguments(argv), build)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The options as check_enum parses them: check_rtc audit builds its checks from these."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _validate(parser, args)
    return args


def _validate(parser: record_options.options.Parser, args: argparse.Namespace) -> None:
    """Bad input is one UNKNOWN line, before any lookup."""
    import re

    from check_rtc.codec import enum
    from check_rtc.errors import DecodeError

    args.suffix = tuple(args.suffix or (DEFAULT_SUFFIX,))
    try:
        args.aus = enum.e164_aus(args.number)
        for suffix in args.suffix:
            enum.enum_domain(args.aus, suffix)
    except DecodeError as exc:
        parser.error(str(exc))
    if enum.enumservices(args.service) is None:
        parser.error(f"--service '{args.service}' is not an Enumservice such as E2U+sip (RFC 6116 §3.4.3)")
    try:
        args.expect_pattern = re.compile(args.expect_regex) if args.expect_regex else None
    except re.error as exc:
        parser.error(f"--expect-regex: {exc}")


def build(args: argparse.Namespace, deadline: Deadline) -> nagiosplugin.Check:
    from check_rtc.checks import records

    return records.build_check(NAME, lambda: _run(args, deadline), args)


def _run(args: argparse.Namespace, deadline: Deadline) -> tuple[str, Lines, float, dict[str, int]]:
    from check_rtc.probes.enum import probe_enum

    seen = probe_enum(args.aus, args.suffix, args.service, args.dns_server, deadline)
    lines = [(f"{s.domain.rstrip('.')}/NAPTR", _judge(s, args)) for s in seen]
    lines += _disagreement(seen)
    counts = {f"{s.suffix.strip('.')}_naptr": s.records for s in seen}
    chosen = [_chosen(s) for s in seen]
    headline = f"{args.aus} -> {chosen[0]}" if chosen and chosen[0] else args.aus
    if len(seen) > 1:
        headline += f" on {len(seen)} suffixes"
    return headline, lines, sum(s.elapsed for s in seen), counts


def _chosen(seen: SuffixObservation) -> str | None:
    """The URI a caller gets: the first record (order, preference) that yields one."""
    return next((o.uri for o in seen.outcomes if o.uri is not None and o.problem is None), None)


def _judge(seen: SuffixObservation, args: argparse.Namespace) -> Finding:
    from check_rtc.checks.findings import Finding

    if seen.error is not None:
        return Finding("critical", seen.error)
    if not seen.records:
        return Finding("critical", "no NAPTR records")
    if not seen.outcomes:
        return Finding("critical", f"{seen.records} NAPTR record(s), none for {args.service}")
    problems = [o.problem for o in seen.outcomes if o.problem is not None]
    chosen = _chosen(seen)
    text = "; ".join(_describe(o) for o in seen.outcomes)
    if chosen is None or problems:
        return Finding("critical", text)
    mismatch = _mismatch(chosen, args.expect, args.expect_pattern)
    if mismatch:
        return Finding("critical", f"{mismatch}; {text}")
    return Finding("ok", text)


def _describe(outcome: object) -> str:
    record = outcome.record  # type: ignore[attr-defined]
    where = f"{record.service} (order {record.order}, preference {record.preference})"
    return f"{where}: {outcome.problem or outcome.uri}"  # type: ignore[attr-defined]


def _mismatch(uri: str, expect: str | None, pattern: re.Pattern[str] | None) -> str | None:
    if expect is not None and uri != expect:
        return f"{uri} is not the expected {expect}"
    if pattern is not None and not pattern.fullmatch(uri):
        return f"{uri} does not match --expect-regex {pattern.pattern}"
    return None


def _disagreement(seen: list[SuffixObservation]) -> Lines:
    """Several suffixes that map the number to different URIs: WARNING."""
    from check_rtc.checks.findings import Finding

    answers = {s.suffix: _chosen(s) for s in seen if _chosen(s) is not None}
    if len(set(answers.values())) <= 1:
        return []
    text = "disagree: " + ", ".join(f"{suffix} -> {uri}" for suffix, uri in answers.items())
    return [("suffixes", Finding("warning", text))]


if __name__ == "__main__":
    main()
