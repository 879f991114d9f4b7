# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of the DNS record checks (checks layer): check_rtc_dns, check_enum.

The common options of design.md §3 that apply without a target host: -t,
-v, -V, -h, -w/-c (here: the time of all lookups), --dns-server. Imports
only argparse, so --help stays cheap.
"""

from __future__ import annotations

import argparse

from check_rtc.checks import options


def domain_name(text: str) -> str:
    """A domain to look up: RFC 1123 §2.1 host name labels (letters, digits, hyphens; '_' for
    service labels), within RFC 1035's lengths."""
    import re

    from check_rtc.codec.dns import name_to_wire

    if not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a domain name (letters, digits, '-', '_' and dots)")
    try:
        name_to_wire(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def dns_server(text: str) -> str:
    """HOST[:PORT] with an IP address, checked at parse time: a typo is a usage error."""
    from check_rtc.errors import UsageError
    from check_rtc.resolve import parse_server

    try:
        parse_server(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--dns-server ")) from None
    return text


def make_parser(check_name: str, prog: str, description: str) -> options.Parser:
    """The common options that apply to a check of DNS records (design.md §3)."""
    parser = options.Parser(check_name, prog=prog, description=description, add_help=False)
    group = parser.add_argument_group("DNS")
    group.add_argument("--dns-server", metavar="HOST[:PORT]", type=dns_server,
                       help="resolve through this server only, never the system resolver")
    group = parser.add_argument_group("thresholds")
    group.add_argument("-w", "--warning", metavar="RANGE", type=options.nagios_range,
                       help="lookup time (seconds, all queries) outside RANGE is WARNING")
    group.add_argument("-c", "--critical", metavar="RANGE", type=options.nagios_range,
                       help="lookup time (seconds, all queries) outside RANGE is CRITICAL")
    options._add_general_options(parser, prog)  # -t -v -V -h, as every check
    return parser
