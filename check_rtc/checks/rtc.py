# SPDX-License-Identifier: GPL-3.0-or-later
"""check_rtc: one-off diagnostics of an RTC domain; `check_rtc audit DOMAIN` (checks layer).

The audit finds the domain's services in DNS, runs every individual check
on them at once within -t (checks/audit.py), and prints a report grouped
by area with a remedy per finding (checks/audit_report.py,
check_rtc/remedies.py). Its first line is a plugin status line and its
exit code the worst state, so it runs as a Nagios check as well.
"""

from __future__ import annotations

import argparse
import functools
import sys

from check_rtc import __version__
from check_rtc.checks import options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn, Sequence

    from check_rtc.checks.audit import Part, Progress
    from check_rtc.checks.audit_report import Report
    from check_rtc.transport.deadline import Deadline

NAME = "RTC"
AREA_KEYS = ("dns", "cert", "sip", "xmpp", "turn", "enum")


def e164(text: str) -> str:
    from check_rtc.codec import enum
    from check_rtc.errors import DecodeError

    try:
        enum.e164_aus(text)
    except DecodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> options.Parser:
    parser = options.Parser(NAME, prog="check_rtc", description="One-off diagnostics of an RTC domain.")
    parser.add_argument("-V", "--version", action="version", version=f"check_rtc (check-rtc) {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=functools.partial(options.Parser, NAME))
    audit = commands.add_parser(
        "audit", add_help=False, help="run every check on a domain and report what to fix",
        description="Find the services of an RTC domain in DNS and run every check on them at once (DNS "
                    "records, certificates, SIP, XMPP, STUN/TURN, ENUM), over IPv4 and IPv6; report each "
                    "finding with its evidence and remedy. Exit code: the worst state.")
    _add_audit_options(audit)
    return parser


def _add_audit_options(parser: options.Parser) -> None:
    parser.add_argument("domain", metavar="DOMAIN", help="the RTC domain (SIP domain, XMPP domain, TURN realm)")
    group = parser.add_argument_group("DNS")
    group.add_argument("--dns-server", metavar="HOST[:PORT]",
                       help="resolve through this server only, never the system resolver")
    group.add_argument("--ns-port", metavar="PORT", type=int, default=53,
                       help="port of the authoritative servers asked directly (default: %(default)s)")
    family = group.add_mutually_exclusive_group()
    family.add_argument("-4", dest="families", action="store_const", const=(4,), default=(4, 6), help="IPv4 only")
    family.add_argument("-6", dest="families", action="store_const", const=(6,), help="IPv6 only")
    group = parser.add_argument_group("TLS")
    group.add_argument("--ca-file", metavar="FILE", type=options.readable_file,
                       help="trust anchors (PEM) instead of the system store")
    group.add_argument("--ca-path", metavar="DIR", type=options.readable_dir, help="hashed directory of trust anchors")
    group.add_argument("--client-cert", metavar="FILE", type=options.readable_file,
                       help="present this client certificate (PEM)")
    group.add_argument("--client-key", metavar="FILE", type=options.readable_file, help="key of --client-cert")
    _add_service_options(parser)
    group = parser.add_argument_group("report")
    areas = options.choice_list("area", AREA_KEYS)
    group.add_argument("--only", metavar="AREAS", type=areas, help=f"only these areas ({','.join(AREA_KEYS)})")
    group.add_argument("--skip", metavar="AREAS", type=areas, default=(), help="all areas but these")
    group.add_argument("--json", action="store_true", help="the report as JSON, for scripts")
    options._add_general_options(parser, "check_rtc audit")  # -t -v -V -h, as every check


def _add_service_options(parser: options.Parser) -> None:
    group = parser.add_argument_group("TURN (without credentials: only the refusal of strangers is checked)")
    group.add_argument("--turn-user", metavar="USER", help="TURN long-term credential username (check_turn -u)")
    group.add_argument("--turn-password-file", metavar="FILE", type=options.readable_file,
                       help="its password: the first line of FILE (check_turn --password-file)")
    group.add_argument("--turn-secret-file", metavar="FILE", type=options.readable_file,
                       help="TURN REST API shared secret (check_turn --secret-file)")
    group = parser.add_argument_group("ENUM")
    group.add_argument("-n", "--number", metavar="+E164", type=e164, action="append", default=[],
                       help="an E.164 number whose ENUM records to check; repeatable")
    group.add_argument("--enum-suffix", metavar="DOMAIN", action="append", default=[],
                       help="ENUM tree to look under; repeatable (default: e164.arpa)")


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.areas = tuple(a for a in args.only or AREA_KEYS if a not in args.skip)
    if not args.areas:
        parser.error("--only and --skip leave no area")
    if args.only and "enum" in args.only and not args.number:
        parser.error("--only enum needs -n NUMBER")
    if args.turn_password_file and not args.turn_user:
        parser.error("--turn-password-file goes with --turn-user")
    return args


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = arguments(argv)
    deadline = options.start_deadline(args)
    try:
        report = run_audit(args, deadline, _progress() if sys.stderr.isatty() and not args.json else _quiet)
    except Exception as exc:  # a bug: one UNKNOWN line, never a traceback below -vvv
        _unknown(exc, args.verbose)
    if args.json:
        from check_rtc.checks.audit_report import as_json

        sys.stdout.write(as_json(report))
    else:
        _print_text(report)
    sys.exit(report.state)


def run_audit(args: argparse.Namespace, deadline: Deadline, progress: Progress) -> Report:
    """Find what the domain publishes, run the checks of the chosen areas, gather the findings."""
    from check_rtc.checks import audit
    from check_rtc.checks.audit_report import Report

    started = deadline.now()
    publishes = audit.published(args.domain, args.dns_server, deadline)
    outcomes = audit.run(audit.plan(args, publishes), deadline, progress)
    return Report(args.domain, args.areas, outcomes, audit.issues(outcomes, args.domain), deadline.now() - started)


def _progress() -> Progress:
    """A one-line progress indicator on the terminal's stderr, erased when all checks are done."""
    def show(done: int, total: int, part: Part) -> None:
        erase = "\r\x1b[K"
        sys.stderr.write(erase if done == total else f"{erase}{done}/{total} checks done ({part.name})")
        sys.stderr.flush()

    return show


def _quiet(done: int, total: int, part: Part) -> None:
    return None


def _print_text(report: Report) -> None:
    import shutil

    from check_rtc.checks.audit_report import text

    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns - 1 if terminal else None
    sys.stdout.write(text(report, colour=terminal, width=width))


def _unknown(exc: Exception, verbose: int) -> NoReturn:
    import traceback

    from check_rtc import secrets

    print(secrets.mask(f"{NAME} UNKNOWN - internal error: {type(exc).__name__}: {exc}"))
    if verbose >= 3:
        print(secrets.mask(traceback.format_exc()).rstrip("\n"))
    sys.exit(options.UNKNOWN)


if __name__ == "__main__":
    main()
