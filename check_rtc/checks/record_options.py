# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of the DNS record checks (checks layer): check_rtc_dns, check_enum.

The common options of design.md §3 that apply without a target host: -t,
-v, -V, -h, -w/-c (here: the time of all lookups), --dns-server. Imports
only argparse, so --help stays cheap.
"""

from __future__ import annotations

from check_rtc.checks import options


def make_parser(check_name: str, prog: str, description: str) -> options.Parser:
    """The common options that apply to a check of DNS records (design.md §3)."""
    parser = options.Parser(check_name, prog=prog, description=description, add_help=False)
    group = parser.add_argument_group("DNS")
    group.add_argument("--dns-server", metavar="HOST[:PORT]",
                       help="resolve through this server only, never the system resolver")
    group = parser.add_argument_group("thresholds")
    group.add_argument("-w", "--warning", metavar="RANGE", type=options.nagios_range,
                       help="lookup time (seconds, all queries) outside RANGE is WARNING")
    group.add_argument("-c", "--critical", metavar="RANGE", type=options.nagios_range,
                       help="lookup time (seconds, all queries) outside RANGE is CRITICAL")
    options._add_general_options(parser, prog)  # -t -v -V -h, as every check
    return parser
