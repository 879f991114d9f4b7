# SPDX-License-Identifier: GPL-3.0-or-later
"""The command-line contract every check shares (design.md §3).

Follows the Monitoring Plugins Development Guidelines: usage errors,
--help and --version exit 3 (UNKNOWN), because argparse's own exit 2 would
read as CRITICAL in Nagios. Imports only argparse: parsing --help must not
pay for nagiosplugin, ssl or dnspython.
"""

from __future__ import annotations

import argparse
import os
import sys

from check_rtc import __version__
from check_rtc.transport.deadline import Deadline

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, NoReturn, Sequence

    import nagiosplugin

    Refine = Callable[["Parser", argparse.Namespace], None]

UNKNOWN = 3
DEFAULT_TIMEOUT = 10.0
# design.md §3: secrets come from a file or the environment, never from argv.
PASSWORD_ENV = "CHECK_RTC_PASSWORD"
# How long before -t the probes must be done, so the verdict is printed in time.
MARGIN_FRACTION = 0.1
MARGIN_MAX_SECONDS = 0.5


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose every exit is UNKNOWN and whose words go to stdout."""

    def __init__(self, check_name: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.check_name = check_name

    def error(self, message: str) -> NoReturn:
        print(f"{self.check_name} UNKNOWN - {message}")
        self.print_usage(sys.stdout)
        sys.exit(UNKNOWN)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message.rstrip("\n"))
        sys.exit(UNKNOWN)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 3600 seconds")
    return value


def port_number(text: str) -> int:
    """'5061'."""
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (1-65535)")
    return int(text)


def port_list(text: str) -> tuple[int, ...]:
    """'5061' or '5061,443'."""
    return tuple(port_number(item) for item in text.split(","))


def readable_file(text: str) -> str:
    """A file this process can read, checked at parse time: a typo is a usage error, not a CRITICAL."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    if not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {text}")
    return text


def readable_dir(text: str) -> str:
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"no such directory: {text}")
    return text


def days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} days is negative")
    return value


def add_login_options(group: argparse._ArgumentGroup, user_help: str, metavar: str = "USER") -> None:
    """-u and --password-file, the same in every check that logs in."""
    group.add_argument("-u", "--username", metavar=metavar, help=user_help)
    group.add_argument("--password-file", metavar="FILE", type=readable_file,
                       help=f"password of -u: the first line of FILE, else ${PASSWORD_ENV}")


def add_cert_days_options(group: argparse._ArgumentGroup) -> None:
    """--warning-days/--critical-days: days left on the served certificate."""
    group.add_argument("--warning-days", metavar="DAYS", type=days,
                       help="TLS certificate expiring within DAYS is WARNING")
    group.add_argument("--critical-days", metavar="DAYS", type=days,
                       help="TLS certificate expiring within DAYS is CRITICAL")


def nagios_range(text: str) -> str:
    """Validates Nagios range syntax ('10', '10:', '~:10', '@5:10') through nagiosplugin."""
    from nagiosplugin import Range

    try:
        Range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid range '{text}': {exc}") from None
    return text


def choice_list(what: str, allowed: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: a comma list of `allowed` words ('udp,tls'), repeats dropped, in the order given."""
    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
        wrong = [t for t in chosen if t not in allowed]
        if wrong or not chosen:
            raise argparse.ArgumentTypeError(f"{what} '{','.join(wrong)}' is not one of {','.join(allowed)}")
        return chosen

    return parse


def make_parser(
    check_name: str, prog: str, description: str, transports: Sequence[str], default_transports: str
) -> Parser:
    """A parser with the common options of design.md §3; checks add their own."""
    parser = Parser(check_name, prog=prog, description=description, add_help=False)
    _add_target_options(parser, transports, default_transports)
    _add_threshold_options(parser)
    _add_tls_options(parser)
    _add_general_options(parser, prog)
    return parser


def _add_target_options(parser: Parser, transports: Sequence[str], default: str) -> None:
    group = parser.add_argument_group("target")
    group.add_argument("-H", "--hostname", metavar="HOST", help="host name or IP literal to probe; skips discovery")
    group.add_argument("-p", "--port", metavar="PORT[,PORT]", type=port_list, default=(),
                       help="port(s) (default: the protocol's standard port for each transport)")
    group.add_argument("-d", "--domain", metavar="DOMAIN",
                       help="service domain: DNS discovery when -H is absent; TLS name and SNI")
    group.add_argument("-T", "--transport", metavar="LIST", type=choice_list("transport", transports),
                       default=choice_list("transport", transports)(default),
                       help=f"comma list of {','.join(transports)} (default: {default})")
    family = group.add_mutually_exclusive_group()
    family.add_argument("-4", dest="families", action="store_const", const=(4,), default=(4, 6),
                        help="IPv4 only")
    family.add_argument("-6", dest="families", action="store_const", const=(6,), help="IPv6 only")
    group.add_argument("--dns-server", metavar="HOST[:PORT]",
                       help="resolve through this server only, never the system resolver")


def _add_threshold_options(parser: Parser) -> None:
    group = parser.add_argument_group("thresholds")
    group.add_argument("-w", "--warning", metavar="RANGE", type=nagios_range,
                       help="response time (seconds) outside RANGE is WARNING")
    group.add_argument("-c", "--critical", metavar="RANGE", type=nagios_range,
                       help="response time (seconds) outside RANGE is CRITICAL")
    group.add_argument("--require-all", action="store_true",
                       help="any failed endpoint is CRITICAL (default: WARNING while another answers)")


def _add_tls_options(parser: Parser) -> None:
    group = parser.add_argument_group("TLS")
    group.add_argument("--ca-file", metavar="FILE", type=readable_file,
                       help="trust anchors (PEM) instead of the system store")
    group.add_argument("--ca-path", metavar="DIR", type=readable_dir, help="hashed directory of trust anchors")
    group.add_argument("--client-cert", metavar="FILE", type=readable_file,
                       help="present this client certificate (PEM)")
    group.add_argument("--client-key", metavar="FILE", type=readable_file,
                       help="key of --client-cert, if not in that file")
    group.add_argument("--insecure", action="store_true",
                       help="do not verify the server certificate (the output says so)")


def _add_general_options(parser: Parser, prog: str) -> None:
    group = parser.add_argument_group("general")
    group.add_argument("-t", "--timeout", metavar="SECONDS", type=positive_seconds, default=DEFAULT_TIMEOUT,
                       help="one deadline for the whole check, DNS included (default: %(default)g)")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="more output; -vvv adds a protocol trace")
    group.add_argument("-V", "--version", action="version", version=f"{prog} (check-rtc) {__version__}")
    group.add_argument("-h", "--help", action="help", help="show this help and exit")


def budget(args: argparse.Namespace) -> float:
    """Seconds the probes have: -t, less the time needed to report."""
    return float(args.timeout - min(MARGIN_MAX_SECONDS, args.timeout * MARGIN_FRACTION))


def require_time(parser: Parser, args: argparse.Namespace, needed: float, what: str) -> None:
    """A usage error when `what` cannot fit in -t at all: the check could not tell anything."""
    if needed >= budget(args):
        parser.error(f"{what} needs more than {needed:g}s; -t {args.timeout:g} leaves {budget(args):g}s")


def start_deadline(args: argparse.Namespace) -> Deadline:
    """The one deadline of the check: -t, less the time needed to report."""
    return Deadline(budget(args))


def parse(parser: Parser, argv: Sequence[str] | None = None, refine: Refine | None = None) -> argparse.Namespace:
    """Parse, let the check `refine` its own options (cross-checks, derived
    values), then cross-check the common ones."""
    args = parser.parse_args(argv)
    if refine is not None:
        refine(parser, args)
    if not args.hostname and not args.domain:
        parser.error("give -H HOST or -d DOMAIN")
    return args


def run(
    name: str,
    parser: Parser,
    build: Callable[[argparse.Namespace, Deadline], nagiosplugin.Check],
    argv: Sequence[str] | None = None,
    refine: Refine | None = None,
) -> None:
    """Every check's main(): parse, start the one deadline, build the check, run it."""
    execute(name, parse(parser, argv, refine), build)


def execute(name: str, args: argparse.Namespace,
            build: Callable[[argparse.Namespace, Deadline], nagiosplugin.Check]) -> None:
    """Start the one deadline, build the check and run it (for checks that parse their own way)."""
    deadline = start_deadline(args)
    from check_rtc.checks import runtime

    runtime.execute(name, args, lambda: build(args, deadline))
